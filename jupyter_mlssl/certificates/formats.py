"""Readers per format: PEM (certificates, PKCS#7, an embedded key), DER, PKCS#7 and PKCS#12.

Each turns bytes into :class:`Parsed` (certificates, a key, a problem) without raising;
:func:`malformed` reads every certificate once (:func:`jupyter_mlssl.pki.facts.problem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mlssl.certificates import codes
from jupyter_mlssl.certificates.keys import ParsedKey, decode_key, password_fix
from jupyter_mlssl.certificates.reading import (
    CERT_LABELS,
    CSR_LABELS,
    MAX_CERTIFICATES,
    P7_LABELS,
    error,
    too_many,
)
from jupyter_mlssl.pki import facts
from jupyter_mlssl.pki.pem import pem_blocks
from jupyter_mlssl.reports import Finding

if TYPE_CHECKING:
    from cryptography import x509


def malformed(certs: list[x509.Certificate], name: str) -> Finding | None:
    """malformed_certificate for the first certificate whose lazy parts do not parse.

    It is named by its place in the file, not its subject: the subject may be the broken
    part, and a damaged name is no help to the reader.
    """
    for index, cert in enumerate(certs):
        fault = facts.problem(cert)
        if fault is None:
            continue
        place = f"certificate {index + 1} of {len(certs)}" if len(certs) > 1 else "the certificate"
        return error(
            codes.MALFORMED_CERTIFICATE,
            f"{place} in {name} is malformed: {fault}: get a fresh copy from your CA, or "
            "reissue it",
        )
    return None


def unknown_version(name: str, exc: Exception) -> Finding:
    """cryptography refuses a certificate of a version other than 1 or 3 while loading it."""
    version = getattr(exc, "parsed_version", "?")
    return error(
        codes.MALFORMED_CERTIFICATE,
        f"a certificate in {name} is malformed: its version field says {version}, which is "
        "no X.509 version: get a fresh copy from your CA, or reissue it",
    )


@dataclass
class Parsed:
    format: str = ""
    certificates: list[x509.Certificate] = field(default_factory=list)
    key: ParsedKey = field(default_factory=ParsedKey)
    problem: Finding | None = None
    #: whether the input's order means anything (PKCS#7 is a SET; PKCS#12 names the leaf)
    ordered: bool = True


def parse_pem(data: bytes, name: str, password: bytes | None) -> Parsed:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    blocks, truncated = pem_blocks(data, limit=MAX_CERTIFICATES)
    if len(blocks) > MAX_CERTIFICATES:
        return Parsed("pem", problem=too_many(name, "PEM blocks"))
    if truncated:
        return Parsed("pem", problem=error(
            codes.UNREADABLE,
            f"{name} is truncated (a BEGIN line without its END line): copy or download the "
            "file again",
        ))
    parsed = Parsed("pem")
    try:
        for label, block in blocks:
            if label in CERT_LABELS:
                if label != b"CERTIFICATE":  # OpenSSL's aliases; cryptography wants this one
                    block = block.replace(label, b"CERTIFICATE")
                parsed.certificates.append(x509.load_pem_x509_certificate(block))
            elif label in P7_LABELS:
                if label != b"PKCS7":
                    block = block.replace(label, b"PKCS7")
                parsed.certificates.extend(pkcs7.load_pem_pkcs7_certificates(block))
                parsed.format, parsed.ordered = "pkcs7", False
            elif label.endswith(b"PRIVATE KEY") and parsed.key.key is None:
                parsed.key = decode_key(block, password, name, der=False)
    except x509.InvalidVersion as exc:
        return Parsed("pem", problem=unknown_version(name, exc))
    except BaseException as exc:  # ValueError, UnsupportedAlgorithm...
        if not facts.catchable(exc):
            raise
        return Parsed("pem", problem=error(
            codes.UNREADABLE,
            f"{name} holds a corrupt PEM block (bad base64 or a damaged certificate): copy "
            "or download the file again",
        ))
    if not parsed.certificates:
        labels = {label for label, _ in blocks}
        if any(label.endswith(b"PRIVATE KEY") for label in labels):
            fix = "holds a private key but no certificate: pass the key with --key and the "
            fix += "certificate file as CERT"
        elif labels & CSR_LABELS:
            fix = "holds a certificate signing request, not a certificate: send it to your "
            fix += "CA and inspect the certificate it returns"
        else:
            fix = "holds no certificate: give the certificate file (PEM, DER, PFX or P7B)"
        parsed.problem = error(codes.NO_CERTIFICATE, f"{name} {fix}")
    return parsed


def parse_binary(data: bytes, name: str, password: bytes | None) -> Parsed:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    try:
        return Parsed("der", [x509.load_der_x509_certificate(data)])
    except x509.InvalidVersion as exc:  # framed as a certificate: say what is wrong in it
        return Parsed("der", problem=unknown_version(name, exc))
    except BaseException as exc:
        if not facts.catchable(exc):
            raise
    try:
        return Parsed("pkcs7", list(pkcs7.load_der_pkcs7_certificates(data)), ordered=False)
    except ValueError:
        pass
    except BaseException as exc:  # UnsupportedAlgorithm: PKCS#7 that is not a certs-only bag
        if not facts.catchable(exc):
            raise
        return Parsed("pkcs7", problem=error(
            codes.UNREADABLE,
            f"{name} is a PKCS#7 file that cannot be read ({facts.detail(exc)}): export the "
            "certificates again as a .p7b or PEM chain",
        ))
    p12 = parse_pkcs12(data, name, password)
    if p12 is not None:
        return p12
    # Perhaps a DER private key given as the certificate: say so rather than "garbage".
    key = decode_key(data, None, name, der=True)
    if key.problem is None or key.problem.code == codes.KEY_PASSWORD_REQUIRED:
        return Parsed("der", problem=error(
            codes.NO_CERTIFICATE,
            f"{name} holds a private key but no certificate: pass the key with --key and the "
            "certificate file as CERT",
        ))
    return Parsed(problem=error(
        codes.NO_CERTIFICATE,
        f"{name} holds no certificate in any known format (PEM, DER, PKCS#12, PKCS#7): give "
        "the certificate file",
    ))


def parse_pkcs12(data: bytes, name: str, password: bytes | None) -> Parsed | None:
    """PKCS#12, or None when the bytes are not PKCS#12 at all.

    cryptography says "Invalid password or PKCS12 data" for a missing password, a wrong one
    and a password given to an unprotected file alike, but "Could not deserialize" for
    non-PKCS#12 bytes; the retries below separate the first three.
    """
    from cryptography.hazmat.primitives.serialization import pkcs12

    attempts: list[bytes | None] = [password] if password is not None else []
    attempts += [None, b""]  # unprotected, then Windows' "empty password" export
    for attempt in attempts:
        try:
            bundle = pkcs12.load_pkcs12(data, attempt)
        except ValueError as exc:
            if "deserialize" in str(exc).lower():
                return None
            continue
        except BaseException as exc:  # UnsupportedAlgorithm, or a panic in the native code
            if not facts.catchable(exc):
                raise
            return Parsed("pkcs12", problem=error(
                codes.UNREADABLE,
                f"{name} is a PKCS#12 file that cannot be read ({facts.detail(exc)}): export "
                "it again (openssl pkcs12 -export, AES-256)",
            ))
        certs = [bundle.cert.certificate] if bundle.cert is not None else []
        certs += [c.certificate for c in bundle.additional_certs]
        parsed = Parsed("pkcs12", certs, ParsedKey(bundle.key, encrypted=attempt is not None),
                         ordered=False)
        if not certs:
            parsed.problem = error(
                codes.NO_CERTIFICATE,
                f"{name} is a PKCS#12 file with no certificate in it: export it again with "
                "the certificate chain",
            )
        return parsed
    if password is None:
        return Parsed("pkcs12", problem=error(
            codes.KEY_PASSWORD_REQUIRED,
            f"{name} is a password-protected PKCS#12 file and no password was given: "
            + password_fix(),
        ))
    return Parsed("pkcs12", problem=error(
        codes.KEY_PASSWORD_WRONG,
        f"the password does not open the PKCS#12 file {name}: check the value of the "
        "variable named by --password-env",
    ))

