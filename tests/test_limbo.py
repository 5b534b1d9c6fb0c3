"""x509-limbo's web-PKI server cases through ``inspect``: no exception, and the suite's verdict.

How a case becomes an ``inspect`` call, and which finding codes mean "rejected", is in
``tests/limbo.py``; the vendored data and its filter in ``tests/data/limbo/README.md``. The
cases where the product disagrees on purpose (or cannot be asked the question) are listed
in :data:`KNOWN_DISAGREEMENTS`, each with its reason, and explained in ``docs/limbo.md``;
an allow-listed case that starts to agree fails too, so the list stays exact.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from tests import limbo

STRICTER_CA_AS_LEAF = ("stricter by design: a CA certificate as the server certificate is "
                       "ca_certificate_as_leaf (the web PKI forbids it; RFC 5280 allows it)")
NO_DEPTH = "input the API does not take: max_chain_depth"
VERIFIER_AKI_SKI = ("not enforced by the verifier the product relies on, and not re-checked: "
                    "AKI/SKI presence and form in CA certificates")
VERIFIER_PEDANTIC = "not enforced by the verifier the product relies on; clients accept it"
CN_LINT = ("the product warns (no_san warning: the CN is not among the SANs, CABF 7.1.4.3), "
           "which does not reject: clients ignore the CN")
PSL = "public suffix list not consulted (the verifier does not either)"
EKU = "EKU choices: the verifier accepts a leaf without EKU or with anyExtendedKeyUsage"

#: case id -> why the product's verdict differs from the suite's expected result.
KNOWN_DISAGREEMENTS: dict[str, str] = {
    "pathlen::validation-ignores-pathlen-in-leaf": STRICTER_CA_AS_LEAF,
    "rfc5280::ca-as-leaf": STRICTER_CA_AS_LEAF,
    "pathlen::self-issued-certs-pathlen": (
        "the verifier counts self-issued intermediates against pathLenConstraint (RFC 5280 "
        "6.1.4 (l) does not); the ordering itself now goes past the self-issued one"),
    "pathlen::max-chain-depth-0-exhausted": NO_DEPTH,
    "pathlen::max-chain-depth-1-exhausted": NO_DEPTH,
    "rfc5280::aki::intermediate-missing-aki": VERIFIER_AKI_SKI,
    "rfc5280::aki::cross-signed-root-missing-aki": VERIFIER_AKI_SKI,
    "rfc5280::ski::root-missing-ski": VERIFIER_AKI_SKI,
    "rfc5280::ski::intermediate-missing-ski": VERIFIER_AKI_SKI,
    "webpki::aki::root-with-aki-authoritycertissuer": VERIFIER_AKI_SKI,
    "webpki::aki::root-with-aki-authoritycertserialnumber": VERIFIER_AKI_SKI,
    "webpki::aki::root-with-aki-all-fields": VERIFIER_AKI_SKI,
    "webpki::aki::root-with-aki-ski-mismatch": VERIFIER_AKI_SKI,
    "rfc5280::nc::permitted-dns-match-noncritical": (
        VERIFIER_PEDANTIC + " (non-critical nameConstraints)"),
    "rfc5280::pc::ica-noncritical-pc": VERIFIER_PEDANTIC + " (non-critical policyConstraints)",
    "rfc5280::serial::zero": VERIFIER_PEDANTIC + " (serial number 0)",
    "rfc5280::nc::permitted-dn-match": (
        "stricter by design: a leaf without subjectAltName is no_san (an error; the web "
        "PKI verifier refuses it too)"),
    "webpki::cn::ipv4-hex-mismatch": CN_LINT,
    "webpki::cn::ipv4-leading-zeros-mismatch": CN_LINT,
    "webpki::cn::ipv6-uppercase-mismatch": CN_LINT,
    "webpki::cn::ipv6-uncompressed-mismatch": CN_LINT,
    "webpki::cn::ipv6-non-rfc5952-mismatch": CN_LINT,
    "webpki::cn::punycode-not-in-san": CN_LINT,
    "webpki::cn::utf8-vs-punycode-mismatch": CN_LINT,
    "webpki::cn::not-in-san": CN_LINT,
    "webpki::cn::case-mismatch": CN_LINT,
    "webpki::eku::ee-anyeku": EKU,
    "webpki::eku::ee-without-eku": EKU,
    "webpki::eku::root-has-eku": EKU,
    "webpki::san::public-suffix-wildcard-san": PSL,
    "webpki::san::public-suffix-multi-label-wildcard-san": PSL,
    "webpki::san::public-suffix-private-namespace-wildcard-san": PSL,
}

CASES = limbo.cases()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("limbo")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_limbo_case(case: limbo.Case, workdir: Path):
    with warnings.catch_warnings():
        # Some cases are deliberately non-conforming (a zero serial): cryptography warns.
        warnings.simplefilter("ignore")
        report = limbo.inspect_case(case, workdir)  # must not raise
    rejected = limbo.rejecting_codes(report)
    agrees = (not rejected) == case.accepts
    findings = [(f.code, f.message) for f in report.findings]
    if case.id in KNOWN_DISAGREEMENTS:
        assert not agrees, (
            f"{case.id} now agrees with x509-limbo ({case.expected}): remove it from "
            "KNOWN_DISAGREEMENTS and docs/limbo.md")
    else:
        assert agrees, f"expected {case.expected}, product rejects with {rejected}: {findings}"
    # Every finding is one line the user can act on.
    assert all("\n" not in message for _, message in findings)


def test_known_disagreements_are_vendored_cases_and_documented():
    ids = {c.id for c in CASES}
    assert set(KNOWN_DISAGREEMENTS) <= ids
    doc = (Path(__file__).parent.parent / "docs" / "limbo.md").read_text()
    listed = set(re.findall(r"^\| `([^`]+)` \|", doc, re.M))
    assert listed == set(KNOWN_DISAGREEMENTS)


def test_vendored_cases_are_the_documented_filter():
    # tests/data/limbo/README.md: SERVER validations without CRLs.
    import json

    raw = json.loads(limbo.LIMBO_JSON.read_text())["testcases"]
    assert len(raw) == len(CASES) == 190
    assert all(t["validation_kind"] == "SERVER" and not t["crls"] for t in raw)
