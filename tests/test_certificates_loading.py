"""Loading certificates in every form a user has, and every way the input can be unusable.

Certificates and keys are minted at run time (tests/pki.py); nothing is committed.
"""

from __future__ import annotations

import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from jupyter_mlssl.certificates import INPUT_CODES, inspect, load, load_or_raise
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.secrets import Secret
from tests.pki import write_bundle

PRIVATE = "PRIVATE " + "KEY"


@pytest.fixture(scope="module")
def chain(pki):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    return root, inter, leaf


@pytest.fixture
def files(tmp_path, chain):
    root, inter, leaf = chain
    write_bundle(tmp_path / "full.pem", [leaf, inter])
    root.write_cert(tmp_path / "root.pem")
    leaf.write_key(tmp_path / "key.pem")
    return tmp_path


def _only_input_problem(report, code, name):
    """The documented code, one line naming the file, exit 2, and no certificate rows."""
    assert report.finding_codes() == [code], report.findings
    message = report.findings[0].message
    assert "\n" not in message and str(name) in message
    assert report.exit_status == 2
    assert report.certificates == [] and report.chain_pem == ""


def _p12(leaf, extra, password: bytes | None, *, legacy: bool = False, with_key: bool = True):
    if password is None:
        enc = serialization.NoEncryption()
    elif legacy:  # 3DES + SHA-1 MAC: what older Windows and OpenSSL export
        enc = (serialization.PrivateFormat.PKCS12.encryption_builder()
               .kdf_rounds(2048)
               .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
               .hmac_hash(hashes.SHA1())
               .build(password))
    else:
        enc = serialization.BestAvailableEncryption(password)
    return pkcs12.serialize_key_and_certificates(
        b"api", leaf.key if with_key else None, leaf.cert, [c.cert for c in extra], enc)


# -- every input format ----------------------------------------------------------------------
def test_pem_single_certificate(files, chain):
    leaf = chain[2]
    leaf.write_cert(files / "leaf.pem")
    loaded = load(files / "leaf.pem")
    assert loaded.format == "pem" and loaded.certificates == [leaf.cert]


def test_pem_bundle_is_kept_leaf_first(files, chain):
    _root, inter, leaf = chain
    loaded = load(files / "full.pem", key=files / "key.pem")
    assert loaded.certificates == [leaf.cert, inter.cert]
    assert not loaded.reordered and "converted" not in [f.code for f in loaded.findings]


def test_pem_with_key_inside_the_same_file(tmp_path, chain):
    _root, inter, leaf = chain
    (tmp_path / "both.pem").write_bytes(leaf.pem + inter.pem + leaf.key_pem())
    loaded = load(tmp_path / "both.pem")
    assert loaded.key is not None and loaded.key_source == str(tmp_path / "both.pem")
    assert "no_key" not in [f.code for f in loaded.findings]


def test_der_certificate(tmp_path, chain):
    leaf = chain[2]
    (tmp_path / "leaf.der").write_bytes(leaf.der)
    report = inspect(tmp_path / "leaf.der")
    assert report.format == "der"
    assert report.leaf_fingerprint == leaf.cert.fingerprint(hashes.SHA256()).hex()
    converted = [f for f in report.findings if f.code == "converted"]
    assert converted and "DER" in converted[0].message
    assert "mlssl cert convert" in converted[0].message


@pytest.mark.parametrize("legacy", [False, True])
def test_pkcs12_with_password(tmp_path, chain, legacy):
    _root, inter, leaf = chain
    (tmp_path / "api.pfx").write_bytes(_p12(leaf, [inter], b"s3cret", legacy=legacy))
    loaded = load(tmp_path / "api.pfx", password="s3cret")
    assert loaded.format == "pkcs12"
    assert loaded.certificates == [leaf.cert, inter.cert]
    assert loaded.key is not None and loaded.key_encrypted
    codes = [f.code for f in loaded.findings]
    assert "converted" in codes and "no_key" not in codes


def test_pkcs12_rc2_40_from_openssl_legacy_export(tmp_path, chain):
    """The oldest PFX still met (RC2-40, what `openssl pkcs12 -export -legacy` and old Windows
    write). cryptography cannot write it, so the openssl CLI makes it, as for SHA-1."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    _root, inter, leaf = chain
    cert = leaf.write_cert(tmp_path / "leaf.pem")
    key = leaf.write_key(tmp_path / "leaf.key")
    inter.write_cert(tmp_path / "inter.pem")
    out = tmp_path / "legacy.pfx"
    made = subprocess.run(
        ["openssl", "pkcs12", "-export", "-legacy", "-in", str(cert), "-inkey", str(key),
         "-certfile", str(tmp_path / "inter.pem"), "-out", str(out), "-passout", "pass:pw"],
        capture_output=True, text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"this openssl cannot write RC2-40 PKCS#12: {made.stderr.strip()[:80]}")
    key.unlink()
    info = subprocess.run(["openssl", "pkcs12", "-info", "-legacy", "-noout", "-in", str(out),
                           "-passin", "pass:pw"], capture_output=True, text=True)
    assert "40BitRC2" in info.stdout + info.stderr  # really the legacy cipher
    loaded = load(out, password=b"pw")
    assert loaded.format == "pkcs12" and loaded.input_problem is None
    assert loaded.certificates == [leaf.cert, inter.cert]
    assert loaded.key is not None
    assert inspect(out, password=b"pw", cname="api.example.test").exit_status != 2
    assert load(out, password=b"wrong").input_problem.code == "key_password_wrong"


def test_pkcs12_without_password(tmp_path, chain):
    _root, inter, leaf = chain
    (tmp_path / "open.pfx").write_bytes(_p12(leaf, [inter], None))
    loaded = load(tmp_path / "open.pfx")
    assert loaded.key is not None and loaded.certificates[0] == leaf.cert
    # a password given for an unprotected file is not an error
    assert load(tmp_path / "open.pfx", password=b"unneeded").input_problem is None


def test_pkcs12_password_required_and_wrong(tmp_path, chain):
    _root, inter, leaf = chain
    path = tmp_path / "locked.pfx"
    path.write_bytes(_p12(leaf, [inter], b"right"))
    _only_input_problem(inspect(path), "key_password_required", path)
    assert "--password-env" in inspect(path).findings[0].message
    _only_input_problem(inspect(path, password=b"wrong"), "key_password_wrong", path)


def test_pkcs12_without_key_warns_no_key(tmp_path, chain):
    _root, inter, leaf = chain
    (tmp_path / "nokey.pfx").write_bytes(_p12(leaf, [inter], None, with_key=False))
    no_key = [f for f in load(tmp_path / "nokey.pfx").findings if f.code == "no_key"]
    assert no_key and no_key[0].severity == "warning"


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_pkcs7_is_reordered_without_a_chain_order_error(tmp_path, chain, encoding):
    root, inter, leaf = chain
    path = tmp_path / "chain.p7b"
    path.write_bytes(pkcs7.serialize_certificates([inter.cert, leaf.cert, root.cert], encoding))
    loaded = load(path)
    assert loaded.format == "pkcs7"
    assert loaded.certificates == [leaf.cert, inter.cert, root.cert]
    codes = [f.code for f in loaded.findings]
    assert "chain_order" not in codes and "converted" in codes


# -- key passwords -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["pkcs8", "traditional"])
def test_encrypted_key_password_missing_wrong_right(tmp_path, files, chain, fmt):
    leaf = chain[2]
    private_format = (serialization.PrivateFormat.PKCS8 if fmt == "pkcs8"
                      else serialization.PrivateFormat.TraditionalOpenSSL)
    key_path = tmp_path / "enc.key"
    key_path.write_bytes(leaf.key.private_bytes(
        serialization.Encoding.PEM, private_format,
        serialization.BestAvailableEncryption(b"pw")))
    _only_input_problem(inspect(files / "full.pem", key=key_path), "key_password_required",
                        key_path)
    _only_input_problem(inspect(files / "full.pem", key=key_path, password="nope"),
                        "key_password_wrong", key_path)
    ok = inspect(files / "full.pem", key=key_path, password=b"pw", ca_bundle=files / "root.pem")
    assert ok.exit_status == 0, ok.findings
    assert "converted" in ok.finding_codes()  # Azure wants the key unencrypted


def test_password_not_needed_is_fine(files):
    report = inspect(files / "full.pem", key=files / "key.pem", password="not-needed",
                     ca_bundle=files / "root.pem")
    assert report.exit_status == 0 and "key_mismatch" not in report.finding_codes()


def test_der_key(tmp_path, files, chain):
    leaf = chain[2]
    (tmp_path / "key.der").write_bytes(leaf.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    loaded = load(files / "full.pem", key=tmp_path / "key.der")
    assert loaded.key is not None and loaded.input_problem is None


# -- garbage -------------------------------------------------------------------------------
def test_missing_path(tmp_path):
    path = tmp_path / "nope.pem"
    _only_input_problem(inspect(path), "unreadable", path)


def test_directory(tmp_path):
    _only_input_problem(inspect(tmp_path), "unreadable", tmp_path)
    assert "directory" in inspect(tmp_path).findings[0].message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pem"
    path.write_bytes(b"")
    _only_input_problem(inspect(path), "no_certificate", path)


def test_random_bytes(tmp_path):
    path = tmp_path / "random.bin"
    path.write_bytes(os.urandom(3000))
    _only_input_problem(inspect(path), "no_certificate", path)
    text = tmp_path / "notes.txt"
    text.write_text("this is not a certificate\n")
    _only_input_problem(inspect(text), "no_certificate", text)


def test_key_given_as_certificate(tmp_path, files, chain):
    _only_input_problem(inspect(files / "key.pem"), "no_certificate", files / "key.pem")
    assert "--key" in inspect(files / "key.pem").findings[0].message
    der = tmp_path / "key.der"
    der.write_bytes(chain[2].key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    _only_input_problem(inspect(der), "no_certificate", der)
    assert "private key" in inspect(der).findings[0].message


def test_csr_given_as_certificate(tmp_path):
    from jupyter_mlssl.pki.minting import csr_pem, make_csr

    path = tmp_path / "req.pem"
    path.write_text(csr_pem(make_csr("api.example.test")[0]))
    _only_input_problem(inspect(path), "no_certificate", path)
    assert "signing request" in inspect(path).findings[0].message


def test_certificate_given_as_key(tmp_path, files, chain):
    _only_input_problem(inspect(files / "full.pem", key=files / "full.pem"), "unreadable",
                        files / "full.pem")
    der = tmp_path / "leaf.der"
    der.write_bytes(chain[2].der)
    report = inspect(files / "full.pem", key=der)
    _only_input_problem(report, "unreadable", der)
    assert "certificate, not a private key" in report.findings[0].message


def test_truncated_pem(tmp_path, chain):
    pem = chain[2].pem
    path = tmp_path / "cut.pem"
    path.write_bytes(pem[: len(pem) // 2])
    _only_input_problem(inspect(path), "unreadable", path)
    assert "truncated" in inspect(path).findings[0].message
    key = tmp_path / "cut.key"
    key.write_bytes(chain[2].key_pem()[:60])
    _only_input_problem(inspect(chain[2].pem, key=key), "unreadable", key)


def test_corrupt_base64(tmp_path, chain):
    lines = chain[2].pem.splitlines()
    lines[3] = b"!!!!" + lines[3][4:]
    path = tmp_path / "bad.pem"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _only_input_problem(inspect(path), "unreadable", path)


def test_file_over_10_mb_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.pem"
    with path.open("wb") as handle:  # sparse: the size says 2 GB, nothing is read
        handle.truncate(2 * 1024**3)
    report = inspect(path)
    _only_input_problem(report, "unreadable", path)
    assert "10 MB" in report.findings[0].message
    assert inspect(b"x" * (10 * 1024 * 1024 + 1)).findings[0].code == "unreadable"


def test_bytes_input_and_names(chain):
    _root, inter, leaf = chain
    report = inspect(leaf.pem + inter.pem, key=leaf.key_pem(), name="upload.pem",
                     ca_bundle=None)
    assert report.source == "upload.pem" and len(report.certificates) == 2
    assert inspect(b"").findings[0].message.startswith("the certificate data")


def test_input_codes_are_exactly_the_exit_2_ones():
    assert {"unreadable", "no_certificate", "key_password_required",
            "key_password_wrong", "malformed_certificate"} == INPUT_CODES


@pytest.mark.parametrize("kind", ["duplicate_extension", "bad_utf8_name", "bad_san_ip",
                                  "bad_basic_constraints"])
def test_a_certificate_damaged_inside_is_malformed_not_a_traceback(pki, chain, tmp_path, kind):
    """Damage past the DER framing (cryptography parses it lazily) is found at load."""
    from tests.malformed import malformed, pem

    root, _inter, leaf = chain
    path = tmp_path / "damaged.pem"
    path.write_bytes(leaf.pem + pem(malformed(pki, root, kind)))
    report = inspect(path)
    assert report.finding_codes() == ["malformed_certificate"]
    assert report.exit_status == 2
    message = report.findings[0].message
    assert message.startswith(f"certificate 2 of 2 in {path} ")
    assert "cannot be parsed" in message and len(message) < 300


@pytest.mark.parametrize("form", ["der", "pem"])
def test_an_unknown_version_is_malformed(chain, form):
    from tests.malformed import pem

    _root, _inter, leaf = chain
    der = leaf.der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x07", 1)
    report = inspect(der if form == "der" else pem(der), name=f"v8.{form}")
    assert report.finding_codes() == ["malformed_certificate"] and report.exit_status == 2
    assert report.findings[0].message.startswith(
        f"a certificate in v8.{form} is malformed: its version field says 7")


def test_a_password_with_a_nul_is_refused_before_it_reaches_openssl(chain):
    _root, inter, leaf = chain
    pfx = pkcs12.serialize_key_and_certificates(
        b"x", leaf.key, leaf.cert, [inter.cert],
        serialization.BestAvailableEncryption(b"pw"))
    report = inspect(pfx, password="p\x00w", name="site.pfx")
    assert report.finding_codes() == ["key_password_wrong"]
    assert "NUL" in report.findings[0].message and report.exit_status == 2


@pytest.mark.parametrize("container", ["pkcs12", "pkcs7"])
def test_a_container_with_bytes_after_it_is_read_without_a_warning(chain, container):
    # cryptography falls back to BER with a UserWarning; in a notebook that is a pink box
    # above the finding, and on the command line a second stderr line.
    import warnings

    _root, inter, leaf = chain
    if container == "pkcs12":
        data = pkcs12.serialize_key_and_certificates(
            b"x", leaf.key, leaf.cert, [inter.cert], serialization.NoEncryption())
    else:
        data = pkcs7.serialize_certificates([leaf.cert, inter.cert],
                                            serialization.Encoding.DER)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = inspect(data + b"\x00\x00junk", name=f"site.{container}")
    assert [str(w.message) for w in caught] == []
    assert report.format == container
    assert report.leaf is not None and report.exit_status in (0, 1)


def test_a_name_attribute_of_the_wrong_length_is_read_without_a_warning():
    # A country code of 16 characters: cryptography warns each time it reads the name (found
    # by random fuzzing, a flipped length byte in a PKCS#7 file).
    import datetime as dt
    import warnings

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "Elbonia-Republic", _validate=False),
            x509.NameAttribute(NameOID.COMMON_NAME, "api.example.test")])
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(5)
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("api.example.test")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = inspect(cert.public_bytes(serialization.Encoding.PEM), name="c.pem")
        repr(report), report.to_dict()
    assert [str(w.message) for w in caught] == []
    assert "self_signed" in report.finding_codes()


def test_a_password_of_non_utf8_bytes_from_the_environment_opens_the_key(chain):
    # An environment variable holding Latin-1 bytes reaches os.environ as lone surrogates
    # (surrogateescape); the key was encrypted with those bytes.
    _root, _inter, leaf = chain
    latin1 = "pässwort".encode("latin-1")
    key = leaf.key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.BestAvailableEncryption(latin1))
    from_env = latin1.decode("utf-8", "surrogateescape")
    loaded = load(leaf.cert.public_bytes(serialization.Encoding.PEM), key=key,
                  password=from_env, name="site.pem", key_name="site.key")
    assert loaded.key is not None, loaded.findings
    assert "key_password_wrong" not in [f.code for f in loaded.findings]


def test_a_password_with_a_lone_surrogate_is_a_password_problem_not_a_traceback(chain):
    _root, inter, leaf = chain
    pfx = pkcs12.serialize_key_and_certificates(
        b"x", leaf.key, leaf.cert, [inter.cert],
        serialization.BestAvailableEncryption(b"pw"))
    report = inspect(pfx, password="p\ud800w", name="site.pfx")
    assert report.finding_codes() == ["key_password_wrong"] and report.exit_status == 2
    assert "U+D800" in report.findings[0].message


# -- the load API --------------------------------------------------------------------------
def test_load_keeps_the_key_unprintable(files, chain):
    loaded = load(files / "full.pem", key=files / "key.pem")
    assert PRIVATE not in repr(loaded) and PRIVATE not in str(loaded)
    secret = loaded.key_pem()
    assert isinstance(secret, Secret) and PRIVATE not in repr(secret)
    assert secret.reveal_text().startswith("-----BEGIN " + PRIVATE)
    assert PRIVATE not in loaded.chain_pem()
    certs = x509.load_pem_x509_certificates(loaded.chain_pem().encode())
    assert certs == [chain[2].cert, chain[1].cert]


def test_load_or_raise(tmp_path, files):
    with pytest.raises(InputError) as info:
        load_or_raise(tmp_path / "missing.pem")
    assert info.value.code == "unreadable" and "missing.pem" in str(info.value)
    assert info.value.exit_status == 2
    assert load_or_raise(files / "full.pem").leaf is not None
