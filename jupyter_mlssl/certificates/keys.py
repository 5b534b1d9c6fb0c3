"""Loading a private key: PEM or DER, telling missing, wrong and unneeded passwords apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jupyter_mlssl.certificates import codes
from jupyter_mlssl.certificates.reading import (
    CERT_LABELS,
    CSR_LABELS,
    P7_LABELS,
    der_certificate,
    error,
)
from jupyter_mlssl.pki.pem import pem_blocks
from jupyter_mlssl.reports import Finding

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


@dataclass
class ParsedKey:
    key: PrivateKeyTypes | None = None
    encrypted: bool = False
    problem: Finding | None = None


def password_fix() -> str:
    return "put the password in an environment variable and pass --password-env VAR"


def decode_key(data: bytes, password: bytes | None, name: str, *, der: bool) -> ParsedKey:
    """Load one private key, telling missing, wrong and unneeded passwords apart.

    cryptography raises TypeError for "encrypted, no password" and "password given, not
    encrypted", and ValueError for a wrong password or bad data; probing with ``None``
    separates the last two without matching message texts.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    loader = (
        serialization.load_der_private_key if der else serialization.load_pem_private_key
    )
    try:
        return ParsedKey(loader(data, password), encrypted=password is not None)
    except TypeError:
        if password is None:
            return ParsedKey(problem=error(
                codes.KEY_PASSWORD_REQUIRED,
                f"the private key in {name} is encrypted and no password was given: "
                + password_fix(),
            ))
        # A password was given for a key that is not encrypted: harmless, load it without.
        try:
            return ParsedKey(loader(data, None))
        except (TypeError, ValueError, UnsupportedAlgorithm):
            pass
    except (ValueError, UnsupportedAlgorithm):
        if password is not None:
            try:
                loader(data, None)
            except TypeError:  # it is encrypted, so the password was wrong
                return ParsedKey(problem=error(
                    codes.KEY_PASSWORD_WRONG,
                    f"the password does not decrypt the private key in {name}: check the "
                    "value of the variable named by --password-env",
                ))
            except (ValueError, UnsupportedAlgorithm):
                pass
    return ParsedKey(problem=error(
        codes.UNREADABLE,
        f"the private key in {name} is corrupt or of an unsupported type: export it again "
        "as PEM (PKCS#8)",
    ))


def load_key_file(data: bytes, name: str, password: bytes | None) -> ParsedKey:
    """A key given on its own (``--key``): PEM or DER, never a certificate."""
    if b"-----BEGIN" in data:
        blocks, truncated = pem_blocks(data)
        if truncated:
            return ParsedKey(problem=error(
                codes.UNREADABLE,
                f"{name} is truncated (a BEGIN line without its END line): copy the key "
                "file again",
            ))
        for label, block in blocks:
            if label.endswith(b"PRIVATE KEY"):
                return decode_key(block, password, name, der=False)
        labels = {label for label, _ in blocks}
        if labels & (CERT_LABELS | P7_LABELS):
            what = "a certificate, not a private key"
        elif labels & CSR_LABELS:
            what = "a certificate signing request, not a private key"
        else:
            what = "no private key"
        return ParsedKey(problem=error(
            codes.UNREADABLE, f"{name} holds {what}: give the private key file with --key"
        ))
    if not data.strip():
        return ParsedKey(problem=error(
            codes.UNREADABLE, f"{name} is empty: give the private key file with --key"
        ))
    key = decode_key(data, password, name, der=True)
    if key.problem is None or key.problem.code != codes.UNREADABLE:
        return key
    if der_certificate(data) is not None:
        return ParsedKey(problem=error(
            codes.UNREADABLE,
            f"{name} holds a certificate, not a private key: give the private key file "
            "with --key",
        ))
    return ParsedKey(problem=error(
        codes.UNREADABLE,
        f"{name} is not a private key (neither PEM nor DER): give the private key file "
        "with --key",
    ))
