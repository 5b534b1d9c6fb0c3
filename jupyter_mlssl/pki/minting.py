"""Make keys, a local CA, leaves, self-signed certificates and CSRs; write them safely.

Certificates are built with cryptography's ``CertificateBuilder`` so that its own verifier
accepts them: a non-critical SAN (a critical SAN with a non-empty subject is refused, which
is why trustme leaves are not used, docs/tls-notes.md), the serverAuth EKU, and AKI/SKI.
Private keys leave this module only as :class:`~jupyter_mlssl.secrets.Secret` PEM and are
written with mode 0600, atomically, never over an existing file unless asked.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.store.files import write_atomic

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import (
        CertificateIssuerPrivateKeyTypes,
        PrivateKeyTypes,
    )

#: Backdate notBefore a little so a client whose clock is behind does not see "not yet valid".
BACKDATE = dt.timedelta(minutes=5)


def new_key(kind: str = "ec", bits: int = 2048) -> CertificateIssuerPrivateKeyTypes:
    """A fresh private key: EC P-256 (the default, small and fast) or RSA of ``bits``."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    raise ValueError(f"key kind must be 'ec' or 'rsa', not {kind!r}")


def _name(common_name: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _general_names(names: Iterable[str]) -> list[x509.GeneralName]:
    from cryptography import x509

    out: list[x509.GeneralName] = []
    for name in dict.fromkeys(n.strip().rstrip(".") for n in names if n and n.strip()):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name.lower()))
    return out


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _check_days(days: int) -> None:
    if days < 1:
        raise InputError(f"--days {days}: a certificate must be valid for at least 1 day")


def make_ca(common_name: str, *, days: int = 3650,
            key: CertificateIssuerPrivateKeyTypes | None = None,
            ) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """A self-signed root CA (for the local target and tests), with its key."""
    key = key or new_key()
    return _ca(common_name, key, days=days, issuer=None, path_length=None), key


def make_intermediate(ca_cert: x509.Certificate, ca_key: CertificateIssuerPrivateKeyTypes,
                      common_name: str, *, days: int = 1825,
                      ) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """An intermediate CA under ``ca_cert`` (path length 0), as public CAs issue leaves."""
    key = new_key()
    return _ca(common_name, key, days=days, issuer=(ca_cert, ca_key), path_length=0), key


def _ca(common_name: str, key: CertificateIssuerPrivateKeyTypes, *, days: int,
        issuer: tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes] | None,
        path_length: int | None) -> x509.Certificate:
    """A CA certificate for ``key``: self-signed when ``issuer`` is None, else signed by it
    (with an AKI, and never outliving it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    _check_days(days)
    start = _now() - BACKDATE
    not_after = start + dt.timedelta(days=days)
    builder = x509.CertificateBuilder().subject_name(_name(common_name))
    if issuer is None:
        builder = builder.issuer_name(_name(common_name))
        signer = key
    else:
        issuer_cert, signer = issuer
        builder = builder.issuer_name(issuer_cert.subject)
        not_after = min(not_after, issuer_cert.not_valid_after_utc)
    builder = (
        builder.public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                          decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(_aki(issuer[0], signer), False)
    return builder.sign(signer, hashes.SHA256())


def _aki(ca_cert: x509.Certificate,
         ca_key: CertificateIssuerPrivateKeyTypes) -> x509.AuthorityKeyIdentifier:
    from cryptography import x509

    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_key.public_key())


def _leaf_builder(subject: x509.Name, issuer: x509.Name, key: PrivateKeyTypes,
                  names: Sequence[str], days: int) -> x509.CertificateBuilder:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    _check_days(days)
    general = _general_names(names)
    if not general:
        raise InputError("a server certificate needs at least one DNS name or IP address")
    start = _now() - BACKDATE
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=True, data_encipherment=False, key_agreement=False,
                          key_cert_sign=False, crl_sign=False, encipher_only=False,
                          decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(general), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)  # type: ignore[arg-type]
    )


def issue_leaf(ca_cert: x509.Certificate, ca_key: CertificateIssuerPrivateKeyTypes,
               names: list[str], *, days: int = 90,
               key: CertificateIssuerPrivateKeyTypes | None = None,
               ) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """A server certificate for ``names`` (DNS names or IPs; the first is the CN)."""
    from cryptography.hazmat.primitives import hashes

    key = key or new_key()
    first = names[0].strip().rstrip(".").lower() if names else ""
    builder = _leaf_builder(_name(first), ca_cert.subject, key, names, days)
    cert = builder.add_extension(_aki(ca_cert, ca_key), False).sign(ca_key, hashes.SHA256())
    return cert, key


def self_signed(cname: str, *, days: int = 90, names: Sequence[str] | None = None,
                ) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """A self-signed server certificate for ``cname`` (and ``names``): development only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = new_key()
    subject = _name(cname.strip().rstrip(".").lower())
    builder = _leaf_builder(subject, subject, key, [cname, *(names or ())], days)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
    return builder.add_extension(aki, False).sign(key, hashes.SHA256()), key


def make_csr(cname: str, sans: Sequence[str] = (),
             ) -> tuple[x509.CertificateSigningRequest, CertificateIssuerPrivateKeyTypes]:
    """A new key and a CSR for ``cname`` plus ``sans`` (the CN is always also a SAN)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    if not cname or not cname.strip():
        raise InputError("--cname is empty: give the DNS name clients will use")
    key = new_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(cname.strip().rstrip(".").lower()))
        .add_extension(x509.SubjectAlternativeName(_general_names([cname, *sans])), False)
        .sign(key, hashes.SHA256())
    )
    return csr, key


# -- PEM -----------------------------------------------------------------------------------
def cert_pem(cert_or_list: x509.Certificate | Sequence[x509.Certificate]) -> str:
    """PEM text of one certificate or a chain (in the order given)."""
    from cryptography.hazmat.primitives import serialization

    certs = [cert_or_list] if not isinstance(cert_or_list, Sequence) else cert_or_list
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs)


def csr_pem(csr: x509.CertificateSigningRequest) -> str:
    from cryptography.hazmat.primitives import serialization

    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_pem(key: PrivateKeyTypes) -> Secret:
    """The key as unencrypted PKCS#8 PEM (what Azure wants), held as a Secret."""
    from cryptography.hazmat.primitives import serialization

    return Secret(key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))


# -- files ---------------------------------------------------------------------------------
def _check_target(path: Path, force: bool) -> None:
    if path.is_dir():
        raise InputError(f"{path} is a directory: give a file name to write")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: the directory {path.parent} does not exist")
    if path.exists() and not force:
        raise InputError(f"{path} already exists: choose another name, or add --force to "
                         "overwrite it")


def check_writable(paths: Iterable[str | os.PathLike[str]], *, force: bool = False) -> None:
    """Refuse before writing anything, so a command never leaves half its output behind."""
    for path in paths:
        _check_target(Path(path), force)


def _write(path: str | os.PathLike[str], data: bytes, mode: int, force: bool) -> Path:
    """Write atomically with ``mode`` from the start; without ``force`` never clobber a file."""
    target = Path(path)
    _check_target(target, force)
    try:
        return write_atomic(target, data, mode=mode, overwrite=force)
    except FileExistsError:  # appeared since the check: still refuse
        raise InputError(f"{target} already exists: choose another name, or add --force "
                         "to overwrite it") from None


def write_public(path: str | os.PathLike[str], data: str | bytes, *, force: bool = False) -> Path:
    """Write a certificate, chain or CSR (mode 0644)."""
    return _write(path, data.encode("ascii") if isinstance(data, str) else data, 0o644, force)


def write_private(path: str | os.PathLike[str], data: bytes | Secret, *,
                  force: bool = False) -> Path:
    """Write a private key: mode 0600, atomic, refusing to overwrite unless ``force``."""
    raw = data.reveal() if isinstance(data, Secret) else bytes(data)
    return _write(path, raw, 0o600, force)
