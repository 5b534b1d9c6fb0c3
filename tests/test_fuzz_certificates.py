"""Hostile and malformed certificate input: never a traceback, never unbounded.

Property-based: hypothesis mutates certificates minted at test time, in every input format
(DER, PEM, PKCS#12, PKCS#7), by flipping bytes, truncating, splicing in pieces of other
inputs, duplicating a slice (an extension, a certificate) and nudging DER lengths, and runs
each result through the API and through the CLI in-process. Every case must end in
documented finding codes and an exit status of 0, 1 or 2, with a one-line, printable
message naming the input. Then inputs of up to 10 MB of hostile shapes are answered in
under 2 s each.

Bounded: ``derandomize=True`` (the same examples on every run), a deadline per example,
and a few hundred examples per property (together well under a minute on a loaded
2-core machine).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import io
import os
import random
import time
import warnings
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from hypothesis import given
from hypothesis import strategies as st

from jupyter_mlssl.certificates import ALL_CODES, MAX_INPUT_BYTES, inspect
from jupyter_mlssl.certificates.loading import MAX_CERTIFICATES
from jupyter_mlssl.cli import main
from tests.fuzzing import fuzz
from tests.malformed import KINDS, malformed, pem
from tests.pki import TestPKI

FUZZ = fuzz(300)
#: one moment for every inspection, so the minted certificates are always in date
NOW = dt.datetime.now(dt.timezone.utc)
PASSWORD = "fuzz-pw"
PASSWORD_VAR = "MLSSL_FUZZ_PASSWORD"
#: the longest one-line message accepted (faces may shorten lines further)
MAX_LINE = 300


class Seeds:
    """Valid inputs of every format, and pieces of them to splice."""

    def __init__(self) -> None:
        pki = TestPKI()
        self.root = pki.root()
        inter = pki.intermediate(self.root)
        leaf = pki.leaf(inter, ["fuzz.example.test", "10.0.0.1"])
        rsa_leaf = pki.leaf(inter, ["rsa.example.test"], kind="rsa", bits=2048)
        bad = {kind: malformed(pki, inter, kind, ca=False) for kind in KINDS}
        key = leaf.key
        certs = [leaf.cert, inter.cert]
        # cryptography serialises a lazily damaged certificate as it is: a container that
        # is sound around a certificate that is not
        damaged = x509.load_der_x509_certificate(bad["duplicate_extension"])
        self.by_format: dict[str, list[bytes]] = {
            "der": [leaf.der, inter.der, rsa_leaf.der, *bad.values()],
            "pem": [
                leaf.pem + inter.pem,
                inter.pem + leaf.pem + leaf.key_pem(),
                rsa_leaf.pem + inter.pem + self.root.pem,
                leaf.pem + pem(bad["duplicate_extension"]),
                pem(bad["bad_san_ip"]) + inter.pem,
            ],
            "pkcs12": [
                pkcs12.serialize_key_and_certificates(
                    b"fuzz", key, leaf.cert, [inter.cert],
                    serialization.BestAvailableEncryption(PASSWORD.encode())),
                pkcs12.serialize_key_and_certificates(
                    b"fuzz", key, leaf.cert, [inter.cert], serialization.NoEncryption()),
                pkcs12.serialize_key_and_certificates(
                    b"fuzz", key, leaf.cert, [damaged], serialization.NoEncryption()),
            ],
            "pkcs7": [
                pkcs7.serialize_certificates(certs, serialization.Encoding.DER),
                pkcs7.serialize_certificates(certs, serialization.Encoding.PEM),
                pkcs7.serialize_certificates([*certs, damaged], serialization.Encoding.DER),
            ],
        }
        self.pieces = [s for seeds in self.by_format.values() for s in seeds]


@pytest.fixture(scope="module")
def seeds() -> Seeds:
    return Seeds()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def bundle(seeds, workdir):
    path = workdir / "root.pem"
    path.write_bytes(seeds.root.pem)
    return str(path)


# -- mutations -----------------------------------------------------------------------------
def _nudge_length(data: bytearray, rng: random.Random) -> None:
    """Change the length byte after a SEQUENCE / OCTET STRING / context tag by a little."""
    spots = [i for i in range(len(data) - 1) if data[i] in (0x30, 0x04, 0xA3, 0x31)]
    if spots:
        at = rng.choice(spots) + 1
        data[at] = (data[at] + rng.choice((-2, -1, 1, 2, 0x80))) % 256


def mutate(seed: bytes, pieces: list[bytes], ops: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(seed)
    for op, draw, b in ops:
        rng = random.Random(draw * 7919 + b)
        # hypothesis favours small integers; scattered, they reach every part of the input
        a = (draw * 2654435761) >> 7
        n = len(data)
        if n == 0:
            break
        if op == "flip":
            data[a % n] = b % 256
        elif op == "flip_middle":  # where a DER certificate's key, names and extensions are
            data[n // 4 + a % max(n // 2, 1)] = b % 256
        elif op == "truncate":
            del data[a % n:]
        elif op == "splice":
            piece = pieces[b % len(pieces)]
            start = rng.randrange(len(piece))
            data[a % n:a % n] = piece[start:start + rng.randint(1, 400)]
        elif op == "duplicate":
            start = a % n
            chunk = data[start:start + 1 + b % 300]
            data[start:start] = chunk
        elif op == "length":
            _nudge_length(data, rng)
    return bytes(data)


OPS = st.lists(
    # Flips three times as often: they mostly keep the DER framing, so the damage reaches
    # the lazily parsed parts (extensions, names, key) instead of the outer parse.
    st.tuples(st.sampled_from(["flip", "flip_middle", "flip_middle", "truncate", "splice",
                               "duplicate", "length"]),
              st.integers(0, 1 << 16), st.integers(0, 1 << 16)),
    min_size=1, max_size=4,
)


def _mutated(seeds: Seeds, fmt: str, index: int, ops, in_base64: bool) -> bytes:
    """A seed of ``fmt`` after ``ops``; for PEM, the DER inside may be mutated instead."""
    seed = seeds.by_format[fmt][index % len(seeds.by_format[fmt])]
    if fmt == "pem" and in_base64:
        # Mutate the certificate inside the armour, keep the armour intact.
        first = seed.split(b"-----END CERTIFICATE-----", 1)[0]
        body = b"".join(first.split(b"\n")[1:])
        der = mutate(base64.b64decode(body), seeds.pieces, ops)
        rest = seed[len(first) + len(b"-----END CERTIFICATE-----\n"):]
        return pem(der) + rest
    return mutate(seed, seeds.pieces, ops)


def _assert_line(text: str, where: str) -> None:
    assert "\n" not in text and text.isprintable(), text
    assert where in text, (where, text)


#: the outcome of every case, for the report at the end of the module: code -> count
OUTCOMES: dict[str, int] = {}


def _tally(codes: list[str], status: int) -> None:
    key = f"exit {status}: {codes[0] if codes else 'ok'}"
    OUTCOMES[key] = OUTCOMES.get(key, 0) + 1


# -- the API ---------------------------------------------------------------------------------
@FUZZ
@given(fmt=st.sampled_from(["der", "pem", "pkcs12", "pkcs7"]), index=st.integers(0, 8),
       ops=OPS, in_base64=st.booleans(),
       password=st.sampled_from([None, PASSWORD, None, PASSWORD, "x\x00y"]))
def test_api_never_raises_on_mutated_input(seeds, bundle, fmt, index, ops, in_base64, password):
    data = _mutated(seeds, fmt, index, ops, in_base64)
    with warnings.catch_warnings(record=True) as caught:  # a notebook would show each one
        warnings.simplefilter("always")
        report = inspect(data, password=password, ca_bundle=bundle, now=NOW, name="fuzzed.bin")
    assert [str(w.message) for w in caught] == []
    codes = report.finding_codes()
    assert set(codes) <= set(ALL_CODES)
    assert report.exit_status in (0, 1, 2)
    for finding in report.findings:
        assert "\n" not in finding.message
    errors = [f for f in report.findings if f.severity.value == "error"]
    if report.exit_status == 2:
        first = next(f for f in errors if f.code in ("unreadable", "no_certificate",
                                                      "key_password_required",
                                                      "key_password_wrong",
                                                      "malformed_certificate"))
        _assert_line(first.message, "fuzzed.bin")
        assert len(first.message) <= MAX_LINE, first.message
    else:
        report.to_dict()
        repr(report)
    _tally(codes, report.exit_status)


# -- the CLI, in-process ---------------------------------------------------------------------
def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@FUZZ
@given(fmt=st.sampled_from(["der", "pem", "pkcs12", "pkcs7"]), index=st.integers(0, 8),
       ops=OPS, in_base64=st.booleans(), convert=st.booleans())
def test_cli_ends_in_a_status_and_one_line(seeds, bundle, workdir, fmt, index, ops, in_base64,
                                           convert):
    data = _mutated(seeds, fmt, index, ops, in_base64)
    path = workdir / f"fuzzed.{fmt}"
    path.write_bytes(data)
    os.environ[PASSWORD_VAR] = PASSWORD
    try:
        if convert:
            argv = ["cert", "convert", str(path), "--out-cert", str(workdir / "out.pem"),
                    "--force", "--password-env", PASSWORD_VAR]
        else:
            argv = ["cert", "inspect", str(path), "--ca-bundle", bundle,
                    "--password-env", PASSWORD_VAR]
        status, out, err = _cli(argv)
    finally:
        del os.environ[PASSWORD_VAR]
    assert status in (0, 1, 2)
    assert "Traceback" not in out + err
    assert len(err.strip().splitlines()) == (1 if status else 0), err  # no warnings either
    last = err.strip().splitlines()[-1] if status else ""
    if status:
        _assert_line(last, str(path))
        if status == 2:
            assert len(last) <= MAX_LINE + len("mlssl: unreadable: "), last
    # "mlssl: CODE: message" from a report; "mlssl: message" from an InputError (convert)
    code = last.split(": ")[1] if status else "ok"
    code = code if code in ALL_CODES or code == "ok" else "input error"
    _tally([f"{code} (cli {'convert' if convert else 'inspect'})"], status)


def test_report_outcomes(capsys):
    """Not a check: prints how the fuzz cases ended (run with -s to see it)."""
    if not OUTCOMES:
        pytest.skip("the fuzz properties did not run")
    with capsys.disabled():
        print("\nfuzz outcomes:", sum(OUTCOMES.values()), "cases")
        for key, count in sorted(OUTCOMES.items(), key=lambda kv: -kv[1]):
            print(f"  {count:5d}  {key}")
    assert all(key.startswith(("exit 0", "exit 1", "exit 2")) for key in OUTCOMES)


# -- bounded time on large hostile input -----------------------------------------------------
def _many_small_certificates(count: int, *, linked: bool = False) -> bytes:
    """``count`` certificates under one issuer name, or each issued by the next one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    start = NOW - dt.timedelta(days=1)
    out = []
    for i in range(count):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"n{i}")])
        issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                               f"n{i + 1}" if linked else "n0")])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                .public_key(key.public_key()).serial_number(i + 1)
                .not_valid_before(start).not_valid_after(start + dt.timedelta(days=30))
                .sign(key, hashes.SHA256()))
        out.append(cert.public_bytes(serialization.Encoding.PEM))
    return b"".join(out)


_EMPTY_BLOCK = b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"
_BASE64_BLOCK = (MAX_INPUT_BYTES - 100) * 3 // 4 * 76 // 77  # base64 lines are 76 + 1 bytes
#: how to build each shape (built when its test runs, not when the module is collected)
SHAPES: dict[str, Callable[[random.Random], bytes]] = {
    "10,000 BEGIN lines": lambda rng: b"-----BEGIN CERTIFICATE-----\n" * 10_000,
    "10 MB of BEGIN lines": lambda rng: (
        b"-----BEGIN CERTIFICATE-----\n" * 400_000)[:MAX_INPUT_BYTES],
    "10 MB of random bytes": lambda rng: rng.randbytes(MAX_INPUT_BYTES),
    "10 MB of base64 in one block": lambda rng: (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(rng.randbytes(_BASE64_BLOCK))
        + b"-----END CERTIFICATE-----\n"),
    "10 MB of empty blocks": lambda rng: (_EMPTY_BLOCK * 200_000)[:MAX_INPUT_BYTES - 1],
    "mismatched BEGIN and END lines": lambda rng: (
        b"-----BEGIN X-----\n-----END Y-----\n" * 300_000)[:MAX_INPUT_BYTES],
    f"{MAX_CERTIFICATES} small certificates": lambda rng: _many_small_certificates(
        MAX_CERTIFICATES),
    # the worst case for ordering: the path to build is as long as the file
    f"{MAX_CERTIFICATES} certificates in one linked chain": lambda rng: (
        _many_small_certificates(MAX_CERTIFICATES, linked=True)),
    "one certificate too many": lambda rng: _many_small_certificates(MAX_CERTIFICATES + 1),
    "one too many in one linked chain": lambda rng: _many_small_certificates(
        MAX_CERTIFICATES + 1, linked=True),
    # counted only once parsed: cryptography reads the whole SET first
    "24,000 certificates in one PKCS#7 (6 MB)": lambda rng: pkcs7.serialize_certificates(
        list(x509.load_pem_x509_certificates(_many_small_certificates(1000)))[:250] * 96,
        serialization.Encoding.DER),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_large_hostile_input_is_answered_in_under_two_seconds(shape):
    data = SHAPES[shape](random.Random(10))
    assert len(data) <= MAX_INPUT_BYTES
    start = time.perf_counter()
    report = inspect(data, name="big.pem", now=NOW)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{shape}: {elapsed:.2f} s"
    assert report.exit_status in (1, 2)
    assert set(report.finding_codes()) <= set(ALL_CODES)
    if shape.startswith(("one ", "24,000 ")):
        assert report.finding_codes() == ["unreadable"]
        assert f"more than {MAX_CERTIFICATES:,} " in report.findings[0].message
    elif shape.startswith(f"{MAX_CERTIFICATES} "):
        assert len(report.certificates) == MAX_CERTIFICATES


def test_one_byte_over_ten_megabytes_is_refused_unread(tmp_path):
    path = tmp_path / "huge.pem"
    with open(path, "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)
    report = inspect(path)
    assert report.finding_codes() == ["unreadable"]
    assert "over 10 MB" in report.findings[0].message


# -- the notebook faces, with a certificate damaged inside -----------------------------------
@pytest.fixture(scope="module")
def damaged(seeds, workdir, pki):
    """A leaf followed by an intermediate with a duplicate extension, as a file."""
    inter = pki.intermediate(seeds.root)
    leaf = pki.leaf(inter, ["api.example.test"])
    path = workdir / "damaged.pem"
    path.write_bytes(leaf.pem + pem(malformed(pki, seeds.root, "duplicate_extension")))
    return path


def test_magic_turns_a_damaged_certificate_into_one_usage_line(ip, damaged, capfd):
    from IPython.core.error import UsageError

    result = ip.run_cell(f"%mlssl cert inspect {damaged}")
    assert type(result.error_in_exec) is UsageError
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    text = str(result.error_in_exec)
    assert text.startswith("malformed_certificate: certificate 2 of 2 in ")
    assert str(damaged) in text and "\n" not in text and len(text) <= MAX_LINE + 30


def test_panel_upload_of_a_damaged_certificate_lands_in_the_status_line(damaged):
    from jupyter_mlssl.widgets import Panel
    from tests.ipshell import upload

    panel = Panel()
    tab = panel.certificate
    upload(tab.cert_upload, "damaged.pem", damaged.read_bytes())
    report = tab.on_inspect()
    assert report is not None and report.exit_status == 2
    assert report.finding_codes() == ["malformed_certificate"]
    assert "malformed_certificate" in panel.status.value and "✖" in panel.status.value
    assert "damaged.pem" in panel.status.value


# -- fixed hostile cases the mutations reach only by luck ------------------------------------
def test_pkcs7_that_is_not_signed_data_is_unreadable_not_a_traceback():
    # ContentInfo { id-data, [0] OCTET STRING "abc" }: cryptography raises
    # UnsupportedAlgorithm, not ValueError, for anything but signedData.
    body = bytes.fromhex("06092a864886f70d010701") + b"\xa0\x05\x04\x03abc"
    report = inspect(b"\x30" + bytes([len(body)]) + body, name="data.p7b")
    assert report.finding_codes() == ["unreadable"] and report.exit_status == 2
    message = report.findings[0].message
    assert message.startswith("data.p7b is a PKCS#7 file that cannot be read")
    assert len(message) <= MAX_LINE and message.isprintable()


def test_pkcs7_over_the_certificate_limit_is_refused():
    certs = list(x509.load_pem_x509_certificates(_many_small_certificates(
        MAX_CERTIFICATES + 1)))
    der = pkcs7.serialize_certificates(certs, serialization.Encoding.DER)
    start = time.perf_counter()
    report = inspect(der, name="store.p7b")
    assert time.perf_counter() - start < 2.0
    assert report.finding_codes() == ["unreadable"]
    assert report.findings[0].message.startswith(
        f"store.p7b holds more than {MAX_CERTIFICATES:,} certificates")


def test_pem_scan_is_linear():
    """Twice the BEGIN lines cost about twice the time, not four times (it was quadratic)."""
    from jupyter_mlssl.pki.pem import pem_blocks as _pem_blocks

    def cost(lines: int) -> float:
        data = b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" * lines
        start = time.perf_counter()
        for _ in range(3):
            _pem_blocks(data)
        return time.perf_counter() - start

    cost(1000)  # warm up
    small, large = cost(20_000), cost(80_000)
    assert large < small * 4 * 2.5, (small, large)  # 4x the input; quadratic would be 16x


def test_panel_upload_of_10_mb_of_key_armour_is_answered_in_under_two_seconds():
    from cryptography.hazmat.primitives.asymmetric import ec

    from jupyter_mlssl.widgets import Panel
    from tests.ipshell import upload

    minted = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    begin = minted.splitlines(keepends=True)[0]  # a key's BEGIN line, from a key minted here
    begins = (begin * 400_000)[:MAX_INPUT_BYTES]
    panel = Panel()
    start = time.perf_counter()
    upload(panel.certificate.cert_upload, "keys.pem", begins)
    report = panel.certificate.on_inspect()
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert panel.certificate.material.key is None  # no complete key block: nothing split off
    assert report is not None and report.exit_status == 2
