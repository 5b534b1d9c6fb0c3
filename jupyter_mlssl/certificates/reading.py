"""Reading a certificate or key file, bounded before any heavy work.

Input is refused when over 10 MB or over :data:`MAX_CERTIFICATES` certificates; the labels
say which PEM blocks are certificates, PKCS#7 or CSRs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Union

from jupyter_mlssl.certificates import codes
from jupyter_mlssl.pki import facts
from jupyter_mlssl.reports import Finding, Severity

if TYPE_CHECKING:
    from cryptography import x509

#: Certificates, keys and chains are kilobytes; anything this large is the wrong file.
MAX_INPUT_BYTES = 10 * 1024 * 1024
#: A server's chain is 2 to 5 certificates, and the CA bundles people mistake for one hold
#: about 150 (Mozilla's, Debian's). Past 1,000 the file is not a certificate chain, and
#: the bound keeps the whole inspection well under a second (ordering indexes certificates
#: by subject: 1,000 in one linked chain take about 0.1 s to inspect).
MAX_CERTIFICATES = 1000

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
P7_LABELS = {b"PKCS7", b"CERTIFICATE CHAIN"}
CSR_LABELS = {b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"}


def error(code: str, message: str) -> Finding:
    return Finding(code, Severity.ERROR, message)


# -- reading ---------------------------------------------------------------------------------
def read_input(source: Source, default_name: str) -> tuple[str, bytes | None, Finding | None]:
    """``(name, data, problem)`` for a path or in-memory bytes, refusing oversized input.

    The size is checked with ``stat`` before reading, and the read is bounded too, so a
    10 GB file (or ``/dev/zero``) is refused without being read.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > MAX_INPUT_BYTES:
            return default_name, None, error(
                codes.UNREADABLE,
                f"{default_name} is {len(data) / 1e6:.0f} MB, too large for a certificate or "
                "key: give the certificate file itself",
            )
        return default_name, data, None
    name = os.fspath(source)
    path = Path(name)
    try:
        info = path.stat()
    except FileNotFoundError:
        return name, None, error(codes.UNREADABLE, f"{name}: no such file; check the path")
    except OSError as exc:
        return name, None, error(
            codes.UNREADABLE, f"{name} cannot be read ({exc.strerror}); check the path"
        )
    except ValueError:  # e.g. an embedded NUL byte: not a usable path at all
        return name, None, error(codes.UNREADABLE, f"{name!r} is not a valid path")
    if stat.S_ISDIR(info.st_mode):
        return name, None, error(
            codes.UNREADABLE, f"{name} is a directory: give the certificate file inside it"
        )
    if info.st_size > MAX_INPUT_BYTES:
        return name, None, too_large(name, info.st_size)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        return name, None, error(
            codes.UNREADABLE, f"{name} cannot be read ({exc.strerror}); check its permissions"
        )
    if len(data) > MAX_INPUT_BYTES:  # a pipe or device whose stat size said nothing
        return name, None, too_large(name, None)
    return name, data, None


def too_large(name: str, size: int | None) -> Finding:
    shown = f" ({size / 1e6:.0f} MB)" if size is not None else ""
    return error(
        codes.UNREADABLE,
        f"{name} is over 10 MB{shown}, too large for a certificate or key: give the "
        "certificate file itself",
    )


def too_many(name: str, what: str) -> Finding:
    return error(
        codes.UNREADABLE,
        f"{name} holds more than {MAX_CERTIFICATES:,} {what}, too many for a certificate "
        "file: give the server's certificate chain, not a whole store",
    )


def password_bytes(password: bytes | str | None) -> bytes | None:
    """The password as OpenSSL takes it. ``surrogateescape``: a variable holding bytes that
    are not UTF-8 reaches Python as lone surrogates (U+DC80..U+DCFF); this gives back the
    bytes the user set. Raises ``UnicodeEncodeError`` for any other lone surrogate, which no
    password typed anywhere can hold."""
    if password is None:
        return None
    if isinstance(password, str):
        return password.encode("utf-8", "surrogateescape")
    return bytes(password)


def der_certificate(data: bytes) -> x509.Certificate | None:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(data)
    except BaseException as exc:  # also InvalidVersion, which is not a ValueError
        if not facts.catchable(exc):
            raise
        return None
