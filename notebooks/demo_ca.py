"""A stand-in certificate authority for the tutorial notebooks, so they run with no account.

In real life you send a CSR to a CA (your company's PKI, or a public CA) and get back your
certificate and the CA's chain, or a PFX from a Windows colleague. This module plays that
part on this machine with throwaway keys, so the notebooks can show the real steps around
it. Its root certificate is not trusted by anything, so the notebooks pass it as
``--ca-bundle``, exactly where you would pass your company's root.

Never use it for anything real: its keys live only in this process.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from jupyter_mlssl.pki import minting


class DemoCA:
    """A root CA and an issuing CA under it, as public CAs are organised."""

    def __init__(self, name: str = "Contoso Demo") -> None:
        self.root, self._root_key = minting.make_ca(f"{name} Root CA")
        self.issuing, self._issuing_key = minting.make_intermediate(
            self.root, self._root_key, f"{name} Issuing CA")

    def write_root(self, path: str | Path) -> Path:
        """The trust anchor, to pass as ``--ca-bundle`` (public: no key in it)."""
        return minting.write_public(path, minting.cert_pem(self.root), force=True)

    def sign(self, csr_path: str | Path, *, days: int = 90,
             starting: dt.datetime | None = None) -> x509.Certificate:
        """What the CA does with your CSR: a server certificate for the names it asks for.

        ``starting`` backdates the certificate (the renewal notebook uses it to make one
        that has already expired).
        """
        csr = x509.load_pem_x509_csr(Path(csr_path).read_bytes())
        if not csr.is_signature_valid:
            raise ValueError(f"{csr_path}: the CSR's signature does not verify")
        names = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        start = starting or dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
        issuing_ski = self.issuing.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier).value
        return (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.issuing.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(names, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuing_ski),
                False)
            .sign(self._issuing_key, hashes.SHA256())
        )

    def write_chain(self, cert: x509.Certificate, path: str | Path, *,
                    issuing_ca_first: bool = False) -> Path:
        """The chain as the CA's download page gives it; many give the issuing CA first."""
        chain = [self.issuing, cert] if issuing_ca_first else [cert, self.issuing]
        return minting.write_public(path, minting.cert_pem(chain), force=True)

    def write_pfx(self, cert: x509.Certificate, key_path: str | Path, path: str | Path,
                  password: str) -> Path:
        """The same certificate, key and chain as a password-protected PFX (Windows export)."""
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), None)
        data = pkcs12.serialize_key_and_certificates(
            cert.subject.rfc4514_string().encode(), key, cert, [self.issuing],  # type: ignore[arg-type]
            serialization.BestAvailableEncryption(password.encode()))
        return minting.write_private(path, data, force=True)
