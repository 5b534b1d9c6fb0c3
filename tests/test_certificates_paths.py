"""Checks judge the path the verifier built; its refusals come with a reason and a fix.

One test per defect class found by running x509-limbo (docs/limbo.md), each with
certificates minted here, plus the ordering's cost on a large bundle.
"""

from __future__ import annotations

import datetime as dt
import time

from jupyter_mlssl.certificates import inspect
from jupyter_mlssl.certificates.chain import order_chain
from tests.pki import many_chains, now, write_bundle

UTC = dt.timezone.utc


def _inspect(tmp_path, presented, trusted, **kw):
    write_bundle(tmp_path / "chain.pem", presented)
    write_bundle(tmp_path / "store.pem", trusted)
    return inspect(tmp_path / "chain.pem", ca_bundle=tmp_path / "store.pem", **kw)


def _errors(report):
    return {f.code: f.message for f in report.findings if f.severity == "error"}


def test_expired_trust_anchor_is_expired_naming_the_root(tmp_path, pki):
    # The root expired yesterday; the intermediate and leaf are current.
    root = pki.root("Old Root", not_before=now() - dt.timedelta(days=400), days=399)
    inter = pki.intermediate(root, not_before=now() - dt.timedelta(days=300))
    leaf = pki.leaf(inter, ["api.example.test"])
    report = _inspect(tmp_path, [leaf, inter], [root], cname="api.example.test")
    errors = _errors(report)
    assert set(errors) == {"expired"}, report.findings
    assert "the root 'Old Root'" in errors["expired"] and "store.pem" in errors["expired"]
    assert "untrusted_root" not in errors


def test_checks_follow_the_verified_path_not_an_expired_cross_sign(tmp_path, pki):
    # The same intermediate (same name and key) signed twice: by an old root, expired,
    # and by a new root. The file lists the expired one first; a valid path exists.
    old_root, new_root = pki.root("Old Root"), pki.root("New Root")
    expired = pki.intermediate(old_root, "Shared ICA", path_length=None,
                               not_before=now() - dt.timedelta(days=100), days=50)
    current = pki.intermediate(new_root, "Shared ICA", path_length=None, key=expired.key)
    leaf = pki.leaf(expired, ["api.example.test"])
    report = _inspect(tmp_path, [leaf, expired, current], [old_root, new_root],
                      cname="api.example.test")
    assert "expired" not in _errors(report), report.findings
    assert report.trusted is True


def test_intermediate_without_key_usage_is_chain_invalid_not_untrusted_root(tmp_path, pki):
    # A CA certificate without keyUsage breaks the web PKI profile: the verifier says
    # so, and the finding names that certificate, not the (trusted) root.
    root = pki.root("Good Root")
    inter = pki.intermediate(root, "No KU ICA", key_usage=False)
    leaf = pki.leaf(inter, ["api.example.test"])
    report = _inspect(tmp_path, [leaf, inter], [root], cname="api.example.test")
    errors = _errors(report)
    assert set(errors) == {"chain_invalid"}, report.findings
    assert "'No KU ICA'" in errors["chain_invalid"]
    assert "lacks the keyUsage" in errors["chain_invalid"]


def test_path_length_violation_names_the_constrained_ca(tmp_path, pki):
    root = pki.root("Root")
    inter0 = pki.intermediate(root, "ICA pathlen 0", path_length=0)
    inter1 = pki.intermediate(inter0, "ICA below")
    leaf = pki.leaf(inter1, ["api.example.test"])
    report = _inspect(tmp_path, [leaf, inter1, inter0], [root], cname="api.example.test")
    errors = _errors(report)
    assert set(errors) == {"chain_invalid"}, report.findings
    message = errors["chain_invalid"]
    assert "path length" in message and "'ICA pathlen 0'" in message
    assert "'Root'" not in message


def test_self_issued_intermediate_does_not_end_the_ordering(tmp_path, pki):
    # A key rollover: "Root" re-issued for a new key, signed by the old one. It is
    # self-issued (subject == issuer) but not the trust anchor.
    root = pki.root("Root")
    rollover = pki.intermediate(root, "Root", path_length=None)
    leaf = pki.leaf(rollover, ["api.example.test"])
    order = order_chain([leaf.cert, rollover.cert, root.cert])
    assert order.certificates == [leaf.cert, rollover.cert, root.cert]
    assert order.path_length == 3 and order.unlinked == []
    report = _inspect(tmp_path, [leaf, rollover], [root], cname="api.example.test")
    assert _errors(report) == {}, report.findings
    assert report.trusted is True


def test_damaged_certificate_is_a_finding_not_an_exception(tmp_path):
    # cryptography's builder cannot write a duplicate extension; x509-limbo's case has two
    # subjectAltName extensions in the leaf, which cryptography refuses when read.
    from tests import limbo

    case = next(c for c in limbo.cases() if c.id == "rfc5280::duplicate-extensions")
    report = limbo.inspect_case(case, tmp_path)
    errors = _errors(report)
    assert "malformed_certificate" in errors, report.findings
    assert "presented.pem" in errors["malformed_certificate"]
    assert report.exit_status != 0


def test_ordering_is_linear_in_the_bundle_size():
    # 6,000 certificates (2,000 chains) took 28.8 s when every pair was compared.
    certs = many_chains(2000)
    started = time.perf_counter()
    order = order_chain(certs)
    elapsed = time.perf_counter() - started
    assert order.path_length == 3
    assert elapsed < 2.0, f"ordering 6,000 certificates took {elapsed:.2f} s"


def test_refusal_that_concerns_the_trust_anchor_names_it_in_the_store(tmp_path):
    # x509-limbo's root carries an unknown critical extension: the verifier refuses it as
    # an anchor; the finding names that root, where it is, and that it is the store's.
    from tests import limbo

    case = next(c for c in limbo.cases() if c.id == "rfc5280::unknown-critical-extension-root")
    report = limbo.inspect_case(case, tmp_path)
    errors = _errors(report)
    assert set(errors) == {"chain_invalid"}, report.findings
    message = errors["chain_invalid"]
    assert "the root 'x509-limbo-root' in the trust store" in message
    assert "1.3.6.1.4.1.55738.666.1" in message and "cannot anchor" in message
