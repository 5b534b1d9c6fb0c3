"""The certificate core (jupyter_mlssl.pki): one answer per fact, one trust store.

What was written twice before (certificates/ and probing/) and disagreed: the signature
hash of an Ed25519 / Ed448 certificate, and which CAs the default trust store holds.
"""

from __future__ import annotations

import ast
import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from jupyter_mlssl.certificates import inspect
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.pki import facts
from jupyter_mlssl.pki.bundle import load_pem_bundle
from jupyter_mlssl.pki.trust import trust_store
from jupyter_mlssl.probing.presented import summarize
from tests.pki import TestPKI, openssl_sign_sha1, write_bundle

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_mlssl"


def _self_signed(key, algorithm, cn: str = "sig.example.test") -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), False)
        .sign(key, algorithm)
    )


# -- one signature hash, whoever asks ----------------------------------------------------------
@pytest.mark.parametrize(("make_key", "expected_hash", "expected_key"), [
    (ed25519.Ed25519PrivateKey.generate, "ed25519", "Ed25519"),
    (ed448.Ed448PrivateKey.generate, "ed448", "Ed448"),
])
def test_eddsa_signature_is_named_the_same_by_inspection_and_probe(tmp_path, make_key,
                                                                   expected_hash,
                                                                   expected_key):
    cert = _self_signed(make_key(), None)
    assert facts.signature_hash(cert) == expected_hash
    assert not facts.weak_signature(cert)  # EdDSA hashes internally: nothing weak to flag
    der = cert.public_bytes(serialization.Encoding.DER)
    summary = summarize(cert, der)  # what a probe reports for a presented certificate
    assert summary.signature == expected_hash
    assert summary.key == expected_key
    path = tmp_path / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    report = inspect(str(path))  # what a certificate check reports for the same file
    assert report.certificates[0].signature_hash == expected_hash
    assert report.certificates[0].key_type == expected_key
    assert "weak_signature" not in {f.code for f in report.findings}


def test_hashed_signatures_name_the_hash_and_sha1_is_weak(pki, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sha256 = _self_signed(key, hashes.SHA256())
    assert facts.signature_hash(sha256) == "sha256" and not facts.weak_signature(sha256)
    assert facts.describe_key(sha256) == "RSA 2048"
    assert facts.public_key_description(sha256) == ("RSA", 2048)
    root = pki.root(kind="rsa")
    sha1 = openssl_sign_sha1(tmp_path, pki.leaf(root, kind="rsa"), root, ca=False).cert
    assert facts.signature_hash(sha1) == "sha1" and facts.weak_signature(sha1)
    assert summarize(sha1, sha1.public_bytes(serialization.Encoding.DER)).signature == "sha1"


def test_names_of_a_certificate(pki):
    leaf = pki.leaf(None, ["a.example.test", "127.0.0.1"], cn="Leaf\nCN").cert
    assert facts.san_names(leaf) == (["a.example.test"], ["127.0.0.1"])
    assert facts.subject_common_name(leaf) == "Leaf\nCN"
    assert facts.describe(leaf) == "'Leaf?CN'"  # one line, whatever the certificate holds
    assert facts.display_name(leaf.subject) == "Leaf\nCN"
    empty = x509.Name([])
    assert facts.common_name(empty) is None and facts.display_name(empty) == "(empty name)"
    assert facts.self_issued(leaf) and facts.self_signed(leaf) and not facts.is_ca(leaf)


def test_covered_name_is_one_the_verifier_accepts(pki):
    # The certificate check and the probe both ask the verifier about a name the leaf covers
    # (to judge trust apart from the name asked about); they now pick it the same way.
    def covered(names):
        return facts.covered_name(pki.leaf(None, names).cert)

    assert covered(["*.Example.test"]) == x509.DNSName("wildcard-check.example.test")
    assert covered(["host.example.test."]) == x509.DNSName("host.example.test")
    assert covered(["10.0.0.1"]) == x509.IPAddress(ipaddress.ip_address("10.0.0.1"))
    assert facts.covered_name(pki.leaf(None, ["x.test"], san=False).cert) is None


# -- one trust store ---------------------------------------------------------------------------
@pytest.fixture
def roots(tmp_path):
    pki = TestPKI()
    first, second = pki.root("Env File Root"), pki.root("Env Dir Root")
    cafile = write_bundle(tmp_path / "cafile.pem", [first])
    capath = tmp_path / "capath"
    capath.mkdir()
    # OpenSSL reads subject-hash names from a CA directory; other files there are not read.
    write_bundle(capath / "0a1b2c3d.0", [second])
    write_bundle(capath / "unrelated.pem", [pki.root("Not Hashed Root")])
    return {"first": first.cert, "second": second.cert, "cafile": cafile, "capath": capath}


def test_certificate_checks_use_mozilla_whatever_the_environment(roots, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(roots["cafile"]))
    monkeypatch.setenv("SSL_CERT_DIR", str(roots["capath"]))
    store = trust_store()
    assert store.default and "Mozilla" in store.name
    assert roots["first"] not in store.members and store.count > 50


def test_probe_default_honours_ssl_cert_file_and_dir(roots, no_ca_env, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(roots["cafile"]))
    only_file = trust_store(honour_env=True)
    assert only_file.members == {roots["first"]} and not only_file.default
    assert str(roots["cafile"]) in only_file.name
    monkeypatch.setenv("SSL_CERT_DIR", str(roots["capath"]))
    both = trust_store(honour_env=True)
    assert both.members == {roots["first"], roots["second"]}
    assert both.trusts_issuer_of(roots["second"])
    monkeypatch.delenv("SSL_CERT_FILE")
    assert trust_store(honour_env=True).members == {roots["second"]}


def test_a_ca_added_to_ssl_cert_dir_is_picked_up(roots, no_ca_env, monkeypatch):
    monkeypatch.setenv("SSL_CERT_DIR", str(roots["capath"]))
    before = trust_store(honour_env=True)
    assert trust_store(honour_env=True) is before  # cached while the directory is unchanged
    added = TestPKI().root("Added Root")
    write_bundle(roots["capath"] / "f00dcafe.0", [added])
    assert trust_store(honour_env=True).members == before.members | {added.cert}


def test_probe_default_falls_back_to_certifi(no_ca_env, monkeypatch, tmp_path):
    assert trust_store(honour_env=True).default
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))  # ignored, as Python does
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))  # no hashed file in it
    assert trust_store(honour_env=True).default


def test_explicit_bundle_wins_over_the_environment(roots, monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(roots["cafile"]))
    monkeypatch.setenv("SSL_CERT_DIR", str(roots["capath"]))
    explicit = write_bundle(tmp_path / "explicit.pem", [TestPKI().root("Explicit Root")])
    for honour in (True, False):
        store = trust_store(explicit, honour_env=honour)
        assert store.count == 1 and store.path == str(explicit)
        assert roots["first"] not in store.members


def test_unusable_bundles_are_one_line_input_errors(tmp_path):
    with pytest.raises(InputError, match=r"--ca-bundle .*absent.pem cannot be read"):
        trust_store(tmp_path / "absent.pem")
    with pytest.raises(InputError, match="is a directory"):
        trust_store(tmp_path)
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificates here\n")
    with pytest.raises(InputError, match=r"--ca-bundle .* holds no PEM certificate"):
        trust_store(empty)


def test_an_edited_bundle_is_reloaded(tmp_path):
    pki = TestPKI()
    path = write_bundle(tmp_path / "ca.pem", [pki.root("One")])
    first = trust_store(path)
    assert trust_store(path) is first  # cached while the file is unchanged
    write_bundle(path, [pki.root("One"), pki.root("Two")])
    assert trust_store(path).count == 2


def test_bundle_loader_skips_a_bad_block():
    pki = TestPKI()
    good = pki.root("Good").pem
    broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    certs = load_pem_bundle(broken + b"text between blocks\n" + good)
    assert [facts.subject_common_name(c) for c in certs] == ["Good"]


# -- the layering the core exists for ---------------------------------------------------------
def _imports(path: Path) -> set[str]:
    """Every jupyter_mlssl module ``path`` imports, at any depth (function level included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("jupyter_mlssl.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("jupyter_mlssl"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                as_path = PACKAGE.parent / (sub.replace(".", "/") + ".py")
                found.add(sub if as_path.exists() else node.module)
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_certificates_and_probing_share_only_the_core():
    for package, other in (("certificates", "probing"), ("probing", "certificates")):
        for path in (PACKAGE / package).glob("*.py"):
            wrong = {m for m in _imports(path) if m.startswith(f"jupyter_mlssl.{other}")}
            assert not wrong, f"{path.name} imports {wrong}: share it through jupyter_mlssl.pki"
    for path in (PACKAGE / "pki").glob("*.py"):
        upward = {m for m in _imports(path)
                  if m.split(".")[1] in {"certificates", "probing", "targets", "workflow"}}
        assert not upward, f"pki/{path.name} imports {upward}"


def test_no_import_cycle_among_the_certificate_modules():
    paths = [p for pkg in ("pki", "certificates", "probing") for p in (PACKAGE / pkg).glob("*.py")]
    graph = {_module(p): set() for p in paths}
    for path in paths:
        me = _module(path)
        # A submodule importing its own package's __init__ is how Python imports it anyway.
        graph[me] = {m for m in _imports(path) if m in graph and m != me
                     and not me.startswith(m + ".")}

    def cycle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return [*trail, start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [c for c in map(cycle_from, sorted(graph)) if c]
    assert not cycles, f"import cycle: {' -> '.join(cycles[0])}"


def test_private_keys_are_split_off_whole_and_unterminated_ones_stay():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from jupyter_mlssl.pki.pem import split_private_keys

    cert = b"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"
    minted = ec.generate_private_key(ec.SECP256R1())  # keys are minted here, never stored
    sec1 = minted.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    pkcs8 = minted.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    key = sec1.rstrip(b"\n") + b"\r\n"
    end_ec = sec1.splitlines(keepends=True)[-1]  # the SEC 1 key's END line
    dangling = b"".join(pkcs8.splitlines(keepends=True)[:2])  # a BEGIN and one line, no END
    rest, keys = split_private_keys(cert + key + dangling + cert)
    assert keys == [key]
    assert rest == cert + dangling + cert
    # a BEGIN closes at the next END of its own label only
    rest, keys = split_private_keys(dangling + end_ec)
    assert keys == [] and rest == dangling + end_ec
