"""A test PKI minted at run time with cryptography's builders.

No key or certificate is ever committed: every test that needs one asks this module.
trustme is not used for leaves because cryptography's verifier rejects its critical SAN
with a non-empty subject (see docs/tls-notes.md, "Test certificates").

    pki = TestPKI()
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    leaf.write_chain(tmp_path / "chain.pem", [inter])    # leaf first
    leaf.write_key(tmp_path / "key.pem")
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def new_key(kind: str = "ec", bits: int = 2048):
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Issued:
    cert: x509.Certificate
    key: object

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def key_pem(self, password: bytes | None = None) -> bytes:
        enc = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        )

    def write_cert(self, path: Path) -> Path:
        Path(path).write_bytes(self.pem)
        return Path(path)

    def write_chain(self, path: Path, rest: list[Issued] = ()) -> Path:  # type: ignore[assignment]
        Path(path).write_bytes(self.pem + b"".join(i.pem for i in rest))
        return Path(path)

    def write_key(self, path: Path, password: bytes | None = None) -> Path:
        Path(path).write_bytes(self.key_pem(password))
        os.chmod(path, 0o600)
        return Path(path)


class TestPKI:
    """Mint roots, intermediates and leaves, with knobs for every broken case."""

    __test__ = False  # not a pytest class

    def root(self, cn: str = "mlssl Test Root", *, kind: str = "ec", bits: int = 2048,
             days: int = 3650, not_before: dt.datetime | None = None) -> Issued:
        key = new_key(kind, bits)
        start = not_before or (now() - dt.timedelta(days=1))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(_name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return Issued(cert, key)

    def intermediate(self, issuer: Issued, cn: str = "mlssl Test Intermediate", *,
                     kind: str = "ec", bits: int = 2048, days: int = 1825,
                     not_before: dt.datetime | None = None, key: object = None,
                     path_length: int | None = 0, aki: bool = True,
                     key_usage: bool = True) -> Issued:
        """A CA certificate ``issuer`` signed. ``key``: reuse one (a cross-sign); ``cn`` equal
        to the issuer's makes it self-issued; ``aki`` / ``key_usage`` False leave those out."""
        key = key or new_key(kind, bits)
        start = not_before or (now() - dt.timedelta(days=1))
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(issuer.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                key.public_key()), False)  # type: ignore[attr-defined]
        )
        if key_usage:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        if aki:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer.key.public_key()  # type: ignore[attr-defined]
                ),
                False,
            )
        cert = builder.sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]
        return Issued(cert, key)

    def leaf(self, issuer: Issued | None, names: list[str] = ("leaf.example.test",),  # type: ignore[assignment]
             *, cn: str | None = None, kind: str = "ec", bits: int = 2048,
             not_before: dt.datetime | None = None, days: int = 90, san: bool = True,
             ca: bool = False) -> Issued:
        """A server certificate. ``issuer=None`` makes it self-signed."""
        key = new_key(kind, bits)
        start = not_before or (now() - dt.timedelta(hours=1))
        subject = _name(cn if cn is not None else (names[0] if names else "leaf"))
        signer_key = key if issuer is None else issuer.key
        issuer_name = subject if issuer is None else issuer.cert.subject
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        )
        if san and names:
            entries: list[x509.GeneralName] = []
            for n in names:
                try:
                    entries.append(x509.IPAddress(ipaddress.ip_address(n)))
                except ValueError:
                    entries.append(x509.DNSName(n))
            builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer.key.public_key()  # type: ignore[attr-defined]
                ),
                False,
            )
        cert = builder.sign(signer_key, hashes.SHA256())  # type: ignore[arg-type]
        return Issued(cert, key)


def write_bundle(path: Path, certs: list[Issued]) -> Path:
    Path(path).write_bytes(b"".join(c.pem for c in certs))
    return Path(path)


def openssl_sign_sha1(tmp: Path, issued: Issued, issuer: Issued, *, ca: bool = True) -> Issued:
    """Re-sign ``issued``'s key under ``issuer`` with SHA-1 (cryptography refuses SHA-1).

    Uses the openssl CLI (docs/tls-notes.md, "Test certificates").
    """
    tmp = Path(tmp)
    key_file = issued.write_key(tmp / "sha1.key")
    issuer_cert = issuer.write_cert(tmp / "sha1-issuer.pem")
    issuer_key = issuer.write_key(tmp / "sha1-issuer.key")
    csr = tmp / "sha1.csr"
    ext = tmp / "sha1.ext"
    cn = issued.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    ext.write_text(
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
        if ca
        else "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:" + str(cn) + "\n"
    )
    subprocess.run(
        ["openssl", "req", "-new", "-key", str(key_file), "-subj", f"/CN={cn}", "-out", str(csr)],
        check=True, capture_output=True,
    )
    out = tmp / "sha1.pem"
    subprocess.run(
        ["openssl", "x509", "-req", "-sha1", "-in", str(csr), "-CA", str(issuer_cert),
         "-CAkey", str(issuer_key), "-CAcreateserial", "-days", "365", "-extfile", str(ext),
         "-out", str(out)],
        check=True, capture_output=True,
    )
    for f in (key_file, issuer_key, csr):
        f.unlink()
    return Issued(x509.load_pem_x509_certificate(out.read_bytes()), issued.key)


def many_chains(chains: int) -> list[x509.Certificate]:
    """``3 * chains`` certificates: that many root -> intermediate -> leaf chains, roots
    first, then intermediates, then leaves (a large bundle to order). One Ed25519 key signs
    them all: only names and key identifiers matter for ordering, and it mints fast."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    start = now() - dt.timedelta(days=1)

    def cert(subject: str, issuer: str, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(ski, False)
        )
        return builder.sign(key, None)

    roots = [cert(f"root {n}", f"root {n}", True) for n in range(chains)]
    inters = [cert(f"inter {n}", f"root {n}", True) for n in range(chains)]
    leaves = [cert(f"leaf{n}.example.test", f"inter {n}", False) for n in range(chains)]
    return roots + inters + leaves
