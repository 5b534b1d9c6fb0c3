"""One real TLS server on loopback per broken case; each gets its verdict.

Certificates are minted at test time (tests/pki.py); every probe names the server by a
test DNS name through a curl-style ``resolve`` override, so SNI and name checks are real.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ssl
import time

import pytest

from jupyter_mlssl.probing import WORST_FIRST, probe
from tests.pki import TestPKI, now, openssl_sign_sha1, write_bundle
from tests.tlsservers import TLSServer, refused_port

NAME = "api.example.test"


@pytest.fixture(scope="module")
def ca(pki: TestPKI, tmp_path_factory):
    """A root, an intermediate under it, and the root alone as the trust store."""
    root = pki.root()
    inter = pki.intermediate(root)
    path = write_bundle(tmp_path_factory.mktemp("ca") / "root.pem", [root])
    return root, inter, str(path)


def run(server: TLSServer, host: str = NAME, ca_bundle: str | None = None, **kw):
    report = probe(server.url(host), resolve=[server.resolve(host)], ca_bundle=ca_bundle, **kw)
    assert len(report.results) == 1
    return report.results[0]


def test_good_chain_is_ok_with_everything_filled_in(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME])
    hsts = "max-age=63072000; includeSubDomains"
    with TLSServer([leaf, inter], headers={"Strict-Transport-Security": hsts}) as server:
        report = probe(server.url(NAME), resolve=[server.resolve(NAME)], ca_bundle=bundle)
    r = report.results[0]
    assert r.verdict == "ok" and r.error is None and r.problems == []
    assert report.exit_status == 0
    assert r.trusted is True and r.hostname_ok is True
    assert r.protocol == "TLSv1.3" and r.cipher
    assert r.address == "127.0.0.1" and r.port == server.port and r.host == NAME
    assert [c.der for c in r.chain] == [leaf.der, inter.der]
    assert r.leaf_fingerprint == hashlib.sha256(leaf.der).hexdigest()
    assert r.not_after == leaf.cert.not_valid_after_utc
    assert r.days_left in (88, 89)
    assert (r.http_status, r.server, r.hsts) == (200, "mlssl-test", hsts)
    assert r.http_redirect is None  # not port 443: no port-80 check ("auto")
    t = r.timings
    assert t.dns_ms is not None and t.connect_ms is not None and t.tls_ms is not None
    assert t.first_byte_ms is not None and t.total_ms is not None
    assert t.total_ms >= t.tls_ms > 0
    assert server.handshakes == 1


def test_expired_leaf(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME], not_before=now() - dt.timedelta(days=100), days=30)
    with TLSServer([leaf, inter]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "expired", r.error
    assert r.days_left is not None and r.days_left < -60
    assert "expired on" in r.error
    assert r.problems == ["expired"]


def test_not_yet_valid_leaf(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME], not_before=now() + dt.timedelta(days=10))
    with TLSServer([leaf, inter]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "not_yet_valid", r.error


def test_wrong_host(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, ["other.example.test"])
    with TLSServer([leaf, inter]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "hostname_mismatch", r.error
    assert r.hostname_ok is False
    assert r.trusted is True  # trust is judged past the name
    assert "other.example.test" in r.error and NAME in r.error


def test_cn_only_certificate_gets_no_cn_fallback(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME], san=False)  # CN=api.example.test, no SAN
    with TLSServer([leaf, inter]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "hostname_mismatch", r.error
    assert "subjectAltName" in r.error


def test_self_signed(pki, ca):
    leaf = pki.leaf(None, [NAME])
    with TLSServer([leaf]) as server:
        r = run(server, ca_bundle=ca[2])
    assert r.verdict == "self_signed", r.error
    assert r.trusted is False


def test_untrusted_root(pki, ca):
    other_root = pki.root("Some Other Root")
    other_inter = pki.intermediate(other_root, "Some Other Intermediate")
    leaf = pki.leaf(other_inter, [NAME])
    with TLSServer([leaf, other_inter]) as server:
        r = run(server, ca_bundle=ca[2])
    assert r.verdict == "untrusted_root", r.error
    assert r.trusted is False and r.hostname_ok is True


def test_untrusted_root_sent_by_the_server(pki, ca):
    other_root = pki.root("Sent Root")
    other_inter = pki.intermediate(other_root, "Sent Intermediate")
    leaf = pki.leaf(other_inter, [NAME])
    with TLSServer([leaf, other_inter, other_root]) as server:
        r = run(server, ca_bundle=ca[2])
    assert r.verdict == "untrusted_root", r.error
    assert "Sent Root" in r.error


def test_leaf_without_its_intermediate(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME])
    with TLSServer([leaf]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "incomplete_chain", r.error
    assert len(r.chain) == 1


def test_the_probe_and_the_checks_share_one_key_rule(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME], kind="rsa", bits=2052)
    with TLSServer([leaf, inter]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "weak_key", r.error
    assert "not a multiple of 8" in r.error


def test_rsa_1024_leaf(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME], kind="rsa", bits=1024)
    with TLSServer([leaf, inter]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "weak_key", r.error
    assert "RSA 1024" in r.error
    assert r.chain[0].key == "RSA 1024"


def test_sha1_signed_intermediate(pki, ca, tmp_path):
    root, _, bundle = ca
    inter = pki.intermediate(root, "SHA-1 Intermediate")
    sha1_inter = openssl_sign_sha1(tmp_path, inter, root)
    assert sha1_inter.cert.signature_hash_algorithm.name == "sha1"
    leaf = pki.leaf(inter, [NAME])  # same subject and key as the SHA-1 re-signing
    with TLSServer([leaf, sha1_inter]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "weak_signature", r.error
    assert "SHA1" in r.error
    assert r.chain[1].signature == "sha1"


def test_tls_1_0_only(pki, ca):
    # OpenSSL 3 serves TLS 1.0 only at security level 0 (tests/tlsservers.py sets it);
    # the probe's client context also goes down to TLS 1.0 so that it can say so.
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME])
    with TLSServer([leaf, inter], min_version=ssl.TLSVersion.TLSv1,
                   max_version=ssl.TLSVersion.TLSv1) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "protocol_too_old", r.error
    assert r.protocol == "TLSv1"
    assert r.trusted is True  # the chain itself is fine
    assert r.http_status == 200


def test_plain_http_on_the_tls_port():
    with TLSServer(plain_http=True) as server:
        r = probe(f"https://{NAME}:{server.port}/", resolve=[server.resolve(NAME)]).results[0]
    assert r.verdict == "not_tls", r.error
    assert "plain HTTP" in r.error


def test_refused_port():
    port = refused_port()
    r = probe(f"https://{NAME}:{port}/", resolve=[f"{NAME}:{port}:127.0.0.1"]).results[0]
    assert r.verdict == "refused", r.error
    assert r.timings.connect_ms is None


def test_handshake_that_never_finishes_times_out_in_bounded_time():
    with TLSServer(stall=True) as server:
        start = time.perf_counter()
        r = probe(f"https://{NAME}:{server.port}/", resolve=[server.resolve(NAME)],
                  timeout=0.5).results[0]
        elapsed = time.perf_counter() - start
    assert r.verdict == "timeout", r.error
    assert "TLS handshake" in r.error
    assert 0.4 < elapsed < 3.0


def test_name_that_does_not_resolve():
    # .invalid never resolves (RFC 6761); this asks the real system resolver.
    r = probe("https://no-such-host.invalid/", timeout=3).results[0]
    assert r.verdict == "dns_error", r.error
    assert "does not resolve" in r.error
    assert r.address is None


def test_worst_verdict_wins_and_all_are_listed(pki, ca):
    bundle = ca[2]
    leaf = pki.leaf(None, ["other.example.test"], kind="rsa", bits=1024,
                    not_before=now() - dt.timedelta(days=100), days=30)
    with TLSServer([leaf]) as server:
        r = run(server, ca_bundle=bundle)
    assert r.verdict == "expired"
    assert r.problems == ["expired", "hostname_mismatch", "self_signed", "weak_key"]
    assert r.problems == sorted(r.problems, key=WORST_FIRST.index)
    assert r.error.startswith("leaf") and "; hostname_mismatch: " in r.error


def test_now_moves_the_judgement(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME], days=90)
    with TLSServer([leaf, inter]) as server:
        later = run(server, ca_bundle=bundle, now=now() + dt.timedelta(days=120))
        today = run(server, ca_bundle=bundle)
    assert later.verdict == "expired" and later.days_left < 0
    assert today.verdict == "ok"  # the remembered verification did not leak across times


def test_ip_address_url_matches_an_ip_san(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, ["127.0.0.1"])
    with TLSServer([leaf, inter]) as server:
        r = probe(server.url("127.0.0.1"), ca_bundle=bundle).results[0]
    assert r.verdict == "ok", r.error


def test_host_that_is_no_valid_certificate_name(pki, ca):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME])
    with TLSServer([leaf, inter]) as server:
        r = run(server, host="bad_name.example.test", ca_bundle=bundle)
    assert r.verdict == "hostname_mismatch", r.error
    assert r.hostname_ok is False and r.trusted is True


def test_expired_intermediate(pki, ca):
    root, _inter, bundle = ca
    # An intermediate valid for a day (from yesterday), judged two days on, under a leaf
    # that is still in date then.
    inter = pki.intermediate(root, "Old Intermediate", days=1)
    leaf = pki.leaf(inter, [NAME], not_before=now() - dt.timedelta(hours=2))
    later = now() + dt.timedelta(days=2)
    with TLSServer([leaf, inter]) as server:
        r = run(server, ca_bundle=bundle, now=later)
    assert r.verdict == "expired", r.error
    assert "intermediate 'Old Intermediate' expired" in r.error


def test_remembered_verification_is_per_name_and_trust_store(pki, ca, tmp_path):
    _root, inter, bundle = ca
    leaf = pki.leaf(inter, [NAME])
    other_trust = str(write_bundle(tmp_path / "other.pem", [pki.root("Unrelated Root")]))
    with TLSServer([leaf, inter]) as server:
        assert run(server, ca_bundle=bundle).verdict == "ok"  # now remembered
        assert run(server, host="other.example.test", ca_bundle=bundle).verdict == \
            "hostname_mismatch"
        assert run(server, ca_bundle=other_trust).verdict == "untrusted_root"
        assert run(server, ca_bundle=bundle).verdict == "ok"
