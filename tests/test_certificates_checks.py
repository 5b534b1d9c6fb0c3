"""Every finding code of ``inspect``, the chain logic, and the checks the verifier skips."""

from __future__ import annotations

import datetime as dt

import pytest

from jupyter_mlssl.certificates import ALL_CODES, inspect
from jupyter_mlssl.certificates.checks import hostname_matches, max_validity_days
from tests.pki import now, openssl_sign_sha1, write_bundle

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def ca(pki):
    root = pki.root()
    return root, pki.intermediate(root)


@pytest.fixture
def store(tmp_path, ca):
    return ca[0].write_cert(tmp_path / "root.pem")


def _check(tmp_path, certs, *, key=None, **kw):
    write_bundle(tmp_path / "chain.pem", certs)
    if key is not None:
        key.write_key(tmp_path / "key.pem")
    return inspect(tmp_path / "chain.pem", key=tmp_path / "key.pem" if key else None, **kw)


def _finding(report, code):
    found = [f for f in report.findings if f.code == code]
    assert found, f"{code} not in {report.findings}"
    assert "\n" not in found[0].message and report.source in found[0].message
    return found[0]


def test_good_chain_is_clean(tmp_path, pki, ca, store):
    _root, inter = ca
    leaf = pki.leaf(inter, ["api.example.test", "www.example.test"])
    report = _check(tmp_path, [leaf, inter], key=leaf, ca_bundle=store, cname="API.example.test.")
    assert report.exit_status == 0 and report.trusted is True
    assert [f.code for f in report.findings if f.severity != "info"] == []
    assert [c.role for c in report.certificates] == ["leaf", "intermediate"]
    frame = report.to_frame()
    assert list(frame["role"]) == ["leaf", "intermediate"]
    assert {"days_left", "sans", "key_type", "key_size", "signature_hash",
            "fingerprint_sha256"} <= set(frame.columns)
    assert frame["days_left"][0] in (88, 89)
    assert frame["sans"][0] == "api.example.test, www.example.test"
    assert next(caption for caption, _ in report.tables()).startswith("Certificate")
    assert report.not_after == leaf.cert.not_valid_after_utc and report.days_left in (88, 89)


def test_key_mismatch(tmp_path, pki, ca, store):
    leaf, other = pki.leaf(ca[1]), pki.leaf(ca[1])
    write_bundle(tmp_path / "chain.pem", [leaf, ca[1]])
    other.write_key(tmp_path / "other.key")
    report = inspect(tmp_path / "chain.pem", key=tmp_path / "other.key", ca_bundle=store)
    assert "other.key" in _finding(report, "key_mismatch").message
    assert report.exit_status == 1


def test_expired_is_not_also_untrusted(tmp_path, pki, ca, store):
    leaf = pki.leaf(ca[1], not_before=now() - dt.timedelta(days=100), days=30)
    report = _check(tmp_path, [leaf, ca[1]], ca_bundle=store)
    _finding(report, "expired")
    assert report.trusted is True
    assert not {"untrusted_root", "chain_incomplete"} & set(report.finding_codes())
    assert report.days_left is not None and report.days_left < 0
    assert report.exit_status == 1


def test_not_yet_valid(tmp_path, pki, ca, store):
    leaf = pki.leaf(ca[1], not_before=now() + dt.timedelta(days=2))
    report = _check(tmp_path, [leaf, ca[1]], ca_bundle=store)
    _finding(report, "not_yet_valid")
    assert report.exit_status == 1


def test_expiring_soon_at_a_third_or_30_days(tmp_path, pki, ca, store):
    soon = pki.leaf(ca[1], not_before=now() - dt.timedelta(days=80), days=90)
    report = _check(tmp_path, [soon, ca[1]], ca_bundle=store)
    assert _finding(report, "expiring_soon").severity == "warning"
    assert report.exit_status == 0
    # a 200-day certificate with 50 days left is under a third, but not under 30 days
    later = pki.leaf(ca[1], not_before=now() - dt.timedelta(days=150), days=200)
    assert "expiring_soon" not in _check(tmp_path, [later, ca[1]], ca_bundle=store).finding_codes()
    # a 9-day certificate with 4 days left is above a third: fine
    short = pki.leaf(ca[1], not_before=now() - dt.timedelta(days=5), days=9)
    assert "expiring_soon" not in _check(tmp_path, [short, ca[1]], ca_bundle=store).finding_codes()


def test_hostname_mismatch(tmp_path, pki, ca, store):
    leaf = pki.leaf(ca[1], ["api.example.test"])
    report = _check(tmp_path, [leaf, ca[1]], ca_bundle=store, cname="other.example.test")
    message = _finding(report, "hostname_mismatch").message
    assert "other.example.test" in message and "api.example.test" in message


@pytest.mark.parametrize(("name", "sans", "ok"), [
    ("api.example.test", ["*.example.test"], True),
    ("API.Example.Test.", ["*.example.test"], True),
    ("a.b.example.test", ["*.example.test"], False),
    ("example.test", ["*.example.test"], False),
    ("10.0.0.5", [], True),
    ("10.0.0.6", [], False),
])
def test_hostname_rules(name, sans, ok):
    assert hostname_matches(name, sans, ["10.0.0.5"]) is ok


def test_no_san_and_cn_not_among_sans(tmp_path, pki, ca, store):
    bare = pki.leaf(ca[1], ["api.example.test"], san=False)
    report = _check(tmp_path, [bare, ca[1]], ca_bundle=store, cname="api.example.test")
    assert _finding(report, "no_san").severity == "error"
    assert report.exit_status == 1
    odd = pki.leaf(ca[1], ["api.example.test"], cn="legacy.example.test")
    report = _check(tmp_path, [odd, ca[1]], ca_bundle=store)
    assert _finding(report, "no_san").severity == "warning"
    assert report.exit_status == 0


def test_chain_order_and_unlinked(tmp_path, pki, ca, store):
    _root, inter = ca
    leaf = pki.leaf(inter)
    report = _check(tmp_path, [inter, leaf], ca_bundle=store)
    assert "mlssl cert convert" in _finding(report, "chain_order").message
    assert [c.role for c in report.certificates] == ["leaf", "intermediate"]
    assert report.chain_pem.startswith(leaf.pem.decode())
    assert report.exit_status == 1
    stranger = pki.intermediate(pki.root("Other Root"), "Other Intermediate")
    report = _check(tmp_path, [leaf, inter, stranger], ca_bundle=store)
    assert "Other Intermediate" in _finding(report, "chain_order").message
    assert report.certificates[-1].role == "intermediate"


def test_missing_intermediate_vs_untrusted_root(tmp_path, pki, ca, store, no_ca_env):
    root, inter = ca
    leaf = pki.leaf(inter)
    # trust store has the root, file lacks the intermediate: incomplete
    report = _check(tmp_path, [leaf], ca_bundle=store)
    message = _finding(report, "chain_incomplete").message
    assert "mlssl Test Intermediate" in message and "untrusted_root" not in report.finding_codes()
    # a complete chain to a root that Mozilla's store (certifi) lacks: untrusted root
    report = _check(tmp_path, [leaf, inter, root])
    assert "mlssl Test Root" in _finding(report, "untrusted_root").message
    assert "chain_incomplete" not in report.finding_codes()
    assert report.trust_store and "Mozilla" in report.trust_store
    # the gap case: leaf and root, intermediate missing
    report = _check(tmp_path, [leaf, root], ca_bundle=store)
    _finding(report, "chain_incomplete")
    assert [c.role for c in report.certificates] == ["leaf", "root"]


def test_self_signed(tmp_path, pki):
    ss = pki.leaf(None, ["dev.example.test"])
    report = _check(tmp_path, [ss], key=ss)
    assert _finding(report, "self_signed").severity == "error"
    assert "untrusted_root" not in report.finding_codes()
    pinned = _check(tmp_path, [ss], key=ss, ca_bundle=tmp_path / "chain.pem")
    assert _finding(pinned, "self_signed").severity == "warning"
    assert pinned.exit_status == 0 and pinned.trusted is True


def test_ca_certificate_as_leaf(tmp_path, pki, ca, store):
    root, inter = ca
    report = _check(tmp_path, [inter, root], ca_bundle=store)
    assert "only CA" in _finding(report, "ca_certificate_as_leaf").message
    ca_leaf = pki.leaf(inter, ca=True)
    report = _check(tmp_path, [ca_leaf, inter], ca_bundle=store)
    _finding(report, "ca_certificate_as_leaf")
    assert report.exit_status == 1


def test_weak_key(tmp_path, pki, ca, store):
    weak = pki.leaf(ca[1], kind="rsa", bits=1024)
    report = _check(tmp_path, [weak, ca[1]], ca_bundle=store)
    assert "1024" in _finding(report, "weak_key").message
    assert report.certificates[0].key_type == "RSA" and report.certificates[0].key_size == 1024


def test_rsa_key_not_a_multiple_of_8_bits_is_weak(tmp_path, pki, ca, store):
    odd = pki.leaf(ca[1], kind="rsa", bits=2052)  # long enough, but BR 6.1.5 wants 8 | bits
    report = _check(tmp_path, [odd, ca[1]], ca_bundle=store)
    message = _finding(report, "weak_key").message
    assert "2052 bits, not a multiple of 8" in message and "RSA 2048, 3072 or 4096" in message
    assert report.exit_status == 1


def test_names_from_the_certificate_reach_messages_on_one_printable_line(tmp_path, pki, ca,
                                                                        store):
    # found by random fuzzing: a byte flipped to "\n" in the CN split the no_san warning
    hostile = pki.leaf(ca[1], ["api.example.test", "x\x1b]0;owned\x07.example.test"],
                       cn="api\nexample.test")
    report = _check(tmp_path, [hostile, ca[1]], ca_bundle=store, cname="other.example.test")
    messages = [f.message for f in report.findings]
    assert {"no_san", "hostname_mismatch"} <= set(report.finding_codes())
    assert all(m.isprintable() for m in messages), messages


def test_weak_signature_leaf_and_intermediate(tmp_path, pki, ca, store):
    root, inter = ca
    sha1_inter = openssl_sign_sha1(tmp_path, pki.intermediate(root, "SHA1 Intermediate"), root)
    leaf = pki.leaf(sha1_inter)
    report = _check(tmp_path, [leaf, sha1_inter], ca_bundle=store)
    assert "SHA1" in _finding(report, "weak_signature").message
    assert report.certificates[1].signature_hash == "sha1"
    assert "untrusted_root" not in report.finding_codes()  # the real reason is named
    sha1_leaf = openssl_sign_sha1(tmp_path, pki.leaf(inter), inter, ca=False)
    report = _check(tmp_path, [sha1_leaf, inter], ca_bundle=store)
    _finding(report, "weak_signature")
    assert report.exit_status == 1


def test_validity_too_long_per_sc081(tmp_path, pki, ca, store):
    long = pki.leaf(ca[1], days=300)
    report = _check(tmp_path, [long, ca[1]], ca_bundle=store)
    finding = _finding(report, "validity_too_long")
    assert finding.severity == "warning"
    assert "200" in finding.message if now() >= dt.datetime(2026, 3, 15, tzinfo=UTC) else True
    # issued in 2025 for 390 days: within the 398-day rule of the time
    issued = dt.datetime(2025, 6, 1, tzinfo=UTC)
    old = pki.leaf(ca[1], not_before=issued, days=390)
    report = _check(tmp_path, [old, ca[1]], ca_bundle=store, now=issued + dt.timedelta(days=30))
    assert "validity_too_long" not in report.finding_codes()


@pytest.mark.parametrize(("issued", "limit"), [
    ("2019-01-01", 825), ("2020-09-01", 398), ("2026-03-14", 398), ("2026-03-15", 200),
    ("2027-03-14", 200), ("2027-03-15", 100), ("2029-03-15", 47), ("2017-01-01", None),
])
def test_sc081_dates(issued, limit):
    when = dt.datetime.fromisoformat(issued).replace(tzinfo=UTC)
    assert max_validity_days(when) == limit


def test_every_finding_code_is_covered_by_this_suite():
    """The codes contract: these tests and test_certificates_loading name every one."""
    import pathlib

    here = pathlib.Path(__file__).parent
    text = "".join(p.read_text() for p in here.glob("test_certificates_*.py"))
    assert [code for code in ALL_CODES if f'"{code}"' not in text] == []


def test_ssl_cert_file_is_not_read(tmp_path, pki, ca, monkeypatch):
    """The default store is Mozilla's via certifi, whatever this machine trusts."""
    root, inter = ca
    leaf = pki.leaf(inter)
    monkeypatch.setenv("SSL_CERT_FILE", str(root.write_cert(tmp_path / "machine-root.pem")))
    report = _check(tmp_path, [leaf, inter, root])
    _finding(report, "untrusted_root")
    explicit = _check(tmp_path, [leaf, inter, root], ca_bundle=tmp_path / "machine-root.pem")
    assert explicit.trusted and explicit.exit_status == 0


def test_bad_ca_bundle_is_unusable_input(tmp_path, pki, ca):
    leaf = pki.leaf(ca[1])
    report = _check(tmp_path, [leaf, ca[1]], ca_bundle=tmp_path / "no-such-bundle.pem")
    assert "no-such-bundle.pem" in _finding_any(report, "unreadable").message
    assert report.exit_status == 2
    (tmp_path / "junk.pem").write_text("not a bundle")
    report = _check(tmp_path, [leaf, ca[1]], ca_bundle=tmp_path / "junk.pem")
    assert report.exit_status == 2


def _finding_any(report, code):
    return next(f for f in report.findings if f.code == code)


def test_naive_now_means_utc_and_crlf_bom_input(tmp_path, pki, ca, store):
    leaf = pki.leaf(ca[1])
    data = b"\xef\xbb\xbf" + (leaf.pem + ca[1].pem).replace(b"\n", b"\r\n")
    (tmp_path / "windows.pem").write_bytes(data)
    naive = dt.datetime.now(UTC).replace(tzinfo=None)
    report = inspect(tmp_path / "windows.pem", ca_bundle=store, now=naive)
    assert report.exit_status == 0 and len(report.certificates) == 2


def test_html_rendering_has_both_tables(tmp_path, pki, ca, store):
    leaf = pki.leaf(ca[1])
    report = _check(tmp_path, [ca[1], leaf], key=leaf, ca_bundle=store)
    html = report._repr_html_()
    assert "chain_order" in html and "fingerprint_sha256" in html
    assert "PRIVATE" not in html and "PRIVATE" not in repr(report)
