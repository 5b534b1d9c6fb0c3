"""Names and facts of one certificate, read safely: the one place the package asks them.

Safe accessors for the parts of a certificate that cryptography parses lazily.

``x509.load_der_x509_certificate`` checks only the outer framing: the extensions, the
names, the public key and the signature algorithm are decoded the first time they are
read, and each can then raise (``ValueError`` for bad ASN.1 or invalid UTF-8,
``DuplicateExtension``, ``UnsupportedGeneralNameType``, ``UnsupportedAlgorithm`` for an
unknown curve, or pyo3's ``PanicException``, a ``BaseException``, from the native code).
Rather than guard every read, :func:`problem` reads them all once, when a certificate
enters the library (a file being loaded, a chain presented by a server), and says which
part is broken; the accessors below never raise, so code past that gate, and code that
reads a certificate nobody gated (a trust store's), gets a neutral answer instead of a
traceback.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import (
        CertificatePublicKeyTypes,
        PrivateKeyTypes,
    )

T = TypeVar("T")

_ASN1_ERROR = re.compile(r"error parsing asn1 value: ParseError \{ kind: (\w+)")

#: How much of a parser's own message goes into ours: enough to name the fault
#: ("duplicate extension", "Curve 1.2.3 is not supported"), short enough for one line.
DETAIL_CHARS = 80


class MalformedCertificate(ValueError):
    """A certificate whose ``part`` cannot be parsed; ``detail`` is the parser's reason."""

    def __init__(self, part: str, detail: str) -> None:
        self.part, self.detail = part, detail
        super().__init__(f"its {part} cannot be parsed ({detail})")


def catchable(exc: BaseException) -> bool:
    """An error from parsing, including a Rust panic surfacing through pyo3.

    ``PanicException`` derives from ``BaseException`` and is not importable from a public
    place, so it is recognised by its class name; KeyboardInterrupt, SystemExit,
    GeneratorExit and asyncio's CancelledError are never swallowed.
    """
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def detail(exc: BaseException) -> str:
    """The parser's reason on one short line, e.g. ``DuplicateExtension: ...``."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    asn1 = _ASN1_ERROR.match(text)
    if asn1:  # "error parsing asn1 value: ParseError { kind: InvalidLength, location: ..."
        return f"invalid DER: {asn1.group(1)}"
    if type(exc).__name__ != "ValueError" and not text.startswith(type(exc).__name__):
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


@contextlib.contextmanager
def parser_warnings_silenced() -> Iterator[None]:
    """Silence what cryptography warns about damaged input while it is being read.

    It warns (CryptographyDeprecationWarning) about a negative serial number, falls back to
    BER, with a UserWarning, for a PKCS#7 or PKCS#12 file that is not DER, and warns about a
    name attribute of the wrong length (a country code of 17 characters) when it reads a
    name; the outcome is reported as a finding, and a warning printed to stderr would break
    the one-line error.
    """
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for message in ("PKCS#7 certificates could not be parsed",
                        "PKCS#12 bundle could not be parsed",
                        "Attribute's length must be"):
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        yield


def _read(part: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except BaseException as exc:
        if not catchable(exc):
            raise
        raise MalformedCertificate(part, detail(exc)) from None


def _read_name(name: x509.Name) -> None:
    for attribute in name:
        str(attribute.value)
    name.rfc4514_string()


def problem(cert: x509.Certificate) -> MalformedCertificate | None:
    """Read every lazily parsed part of ``cert`` once; the first that fails, or None."""
    from cryptography import x509

    def extensions() -> None:
        for ext in cert.extensions:
            ext.value  # noqa: B018 (parsing is the point)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return
        for ip in san.get_values_for_type(x509.IPAddress):
            str(ip)

    try:
        _read("version", lambda: cert.version)
        _read("serial number", lambda: cert.serial_number)
        _read("subject name", lambda: _read_name(cert.subject))
        _read("issuer name", lambda: _read_name(cert.issuer))
        _read("validity dates", lambda: (cert.not_valid_before_utc, cert.not_valid_after_utc))
        _read("extensions", extensions)
        _read("public key", cert.public_key)
        _read("signature algorithm", lambda: cert.signature_algorithm_oid.dotted_string)
    except MalformedCertificate as exc:
        return exc
    return None


# -- accessors that never raise ----------------------------------------------------------------
def _quiet(read: Callable[[], T], default: T) -> T:
    try:
        return read()
    except BaseException as exc:
        if not catchable(exc):
            raise
        return default


def extension(cert: x509.Certificate, kind: type[Any]) -> Any | None:
    """The value of ``cert``'s extension of class ``kind``; None if absent or unreadable."""
    from cryptography import x509

    def read() -> Any | None:
        try:
            return cert.extensions.get_extension_for_class(kind).value
        except x509.ExtensionNotFound:
            return None

    return _quiet(read, None)


def san_names(cert: x509.Certificate) -> tuple[list[str], list[str]] | None:
    """``(dns_names, ip_addresses)`` of the subjectAltName; None when absent or unreadable."""
    from cryptography import x509

    def read() -> tuple[list[str], list[str]] | None:
        san = extension(cert, x509.SubjectAlternativeName)
        if san is None:
            return None
        return ([str(d) for d in san.get_values_for_type(x509.DNSName)],
                [str(ip) for ip in san.get_values_for_type(x509.IPAddress)])

    return _quiet(read, None)


def covered_name(cert: x509.Certificate) -> x509.DNSName | x509.IPAddress | None:
    """A name the certificate covers, as the verifier takes it: to ask "is this chain
    trusted?" whatever name the user asked about (a wildcard gives a name under it; a
    trailing dot, which the verifier refuses, is dropped). None without a usable SAN."""
    import ipaddress

    from cryptography import x509

    names = san_names(cert)
    if names is None:
        return None
    for dns in names[0]:
        host = dns.rstrip(".").lower()
        if host.startswith("*."):
            host = "wildcard-check" + host[1:]
        try:
            return x509.DNSName(host)
        except ValueError:
            continue
    for ip in names[1]:
        return x509.IPAddress(ipaddress.ip_address(ip))
    return None


def is_ca(cert: x509.Certificate) -> bool:
    """basicConstraints cA is asserted (False when absent or unreadable)."""
    from cryptography import x509

    constraints = extension(cert, x509.BasicConstraints)
    return bool(getattr(constraints, "ca", False))


def common_name(name: x509.Name) -> str | None:
    """The first CN of ``name``, or None when it has none or it cannot be read."""
    from cryptography.x509.oid import NameOID

    def read() -> str | None:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(values[0].value) if values else None

    return _quiet(read, None)


def printable(text: str, limit: int = 80) -> str:
    """A certificate's own text fit for a one-line message: control characters (a name
    may hold a newline or a tab) become "?", and at most ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def name_text(name: x509.Name) -> str:
    """``name`` as RFC 4514 text (control characters as "?"), or a placeholder when it
    cannot be read."""
    return _quiet(lambda: printable(name.rfc4514_string(), limit=1000), "(unreadable name)")


def subject(cert: x509.Certificate) -> x509.Name | None:
    return _quiet(lambda: cert.subject, None)


def issuer(cert: x509.Certificate) -> x509.Name | None:
    return _quiet(lambda: cert.issuer, None)


def public_key(cert: x509.Certificate) -> CertificatePublicKeyTypes | None:
    """The public key, or None for an unknown type or curve or a damaged key."""
    return _quiet(cert.public_key, None)


#: Signature hashes clients refuse (CA/B Forum BRs 7.1.3.2; browsers since 2017).
WEAK_HASHES = frozenset({"sha1", "md5"})


def signature_hash(cert: x509.Certificate) -> str:
    """The signature's hash ("sha256"); for a signature without a separate hash, the
    algorithm's name; else the dotted OID; "unknown" when none can be read.

    Ed25519 and Ed448 answer "ed25519" / "ed448": PureEdDSA hashes inside the algorithm
    (SHA-512, SHAKE256), so there is no weak digest to flag, and a report that names the
    algorithm says more than a blank. An OID cryptography does not know gives its dotted
    form (never "Unknown OID"), so the user can look it up.
    """

    def read() -> str:
        try:
            algorithm = cert.signature_hash_algorithm
        except BaseException as exc:
            if not catchable(exc):
                raise
            algorithm = None  # UnsupportedAlgorithm: an OID cryptography does not know
        if algorithm is not None:
            return str(algorithm.name)
        oid = cert.signature_algorithm_oid
        name = getattr(oid, "_name", None)
        return str(name) if name and name != "Unknown OID" else oid.dotted_string

    return _quiet(read, "unknown")


def weak_signature(cert: x509.Certificate) -> bool:
    """Signed with a hash in :data:`WEAK_HASHES` (whether that matters for a root is the
    caller's policy)."""
    return signature_hash(cert) in WEAK_HASHES


def key_description(public_key: object) -> tuple[str, int | None]:
    """``(type, size in bits)`` of a public key, e.g. ("EC secp256r1", 256)."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA", public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}", public_key.curve.key_size
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA", public_key.key_size
    return type(public_key).__name__, None


def public_key_description(cert: x509.Certificate) -> tuple[str, int | None]:
    """:func:`key_description` of the certificate's key; ("unreadable", None) if damaged."""
    key = public_key(cert)
    return key_description(key) if key is not None else ("unreadable", None)


#: the smallest keys the web PKI takes (CA/B Forum Baseline Requirements 6.1.5)
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
#: what to do about any weak key
STRONG_KEY_FIX = "reissue it with RSA 2048, 3072 or 4096, or EC P-256 or P-384"


def renewal_point(not_before: dt.datetime, not_after: dt.datetime) -> dt.datetime:
    """When a third of the lifetime is left: when to renew (cert-manager's default, and what
    ACME clients do without a renewal window from the CA). The one lifetime rule the
    certificate checks, the fleet and ``renew`` share."""
    if not_after <= not_before:
        return not_after
    return not_after - (not_after - not_before) / 3


def key_weakness(cert: x509.Certificate) -> str | None:
    """What is wrong with the certificate's key for the web PKI, as "has ..." words, or
    None. The one rule the certificate checks and the probe share: RSA under 2048 bits or
    not a multiple of 8, EC under 256 bits, and DSA at all (BR 6.1.5 allows none)."""
    kind, bits = public_key_description(cert)
    if kind == "RSA" and (bits or 0) < MIN_RSA_BITS:
        return f"a weak RSA {bits}-bit key"
    if kind == "RSA" and bits and bits % 8:
        return f"an RSA key of {bits} bits, not a multiple of 8 as the CA/B Forum requires"
    if kind.startswith("EC ") and (bits or 0) < MIN_EC_BITS:
        return f"a weak {kind} key"
    if kind == "DSA":
        return f"a DSA {bits}-bit key, which the web PKI no longer allows"
    return None


def describe_key(cert: x509.Certificate) -> str:
    """The key on one short line: "RSA 2048", "DSA 1024", "EC secp256r1", "Ed25519"."""
    kind, bits = public_key_description(cert)
    return f"{kind} {bits}" if kind in ("RSA", "DSA") else kind


def subject_common_name(cert: x509.Certificate) -> str | None:
    """The subject's first CN, or None."""
    name = subject(cert)
    return common_name(name) if name is not None else None


def display_name(name: x509.Name) -> str:
    """How a person reads a name: its CN, else its RFC 4514 text, else "(empty name)"."""
    cn = common_name(name)
    if cn:
        return cn
    return name_text(name) or "(empty name)"


def describe(cert: x509.Certificate) -> str:
    """How messages name a certificate: its CN, else its whole subject, quoted."""
    cn = subject_common_name(cert)
    if cn:
        return f"'{printable(cn)}'"
    name = subject(cert)
    text = name_text(name) if name is not None else "(unreadable name)"
    return f"'{text or '(empty subject)'}'"


# -- links between certificates ------------------------------------------------------------
def self_issued(cert: x509.Certificate) -> bool:
    return bool(cert.subject == cert.issuer)


def key_id(cert: x509.Certificate, kind: str) -> bytes | None:
    """The Subject Key Identifier (``kind="ski"``) or the Authority Key Identifier's key id."""
    from cryptography import x509

    if kind == "ski":
        ski = extension(cert, x509.SubjectKeyIdentifier)
        return ski.digest if ski is not None else None
    aki = extension(cert, x509.AuthorityKeyIdentifier)
    return aki.key_identifier if aki is not None else None


def self_signed(cert: x509.Certificate) -> bool:
    """Self-issued and signed by its own key, as far as the key identifiers tell.

    A self-issued CA certificate whose AKI names another key (a key rollover, RFC 5280
    6.1) is an intermediate: the path goes on to the certificate that holds that key.
    """
    if not self_issued(cert):
        return False
    aki, ski = key_id(cert, "aki"), key_id(cert, "ski")
    return aki is None or ski is None or aki == ski


def may_have_issued(issuer: x509.Certificate, cert: x509.Certificate) -> bool:
    """Name link, confirmed by AKI/SKI when both are present (cheap; no signature check)."""
    if issuer.subject != cert.issuer:
        return False
    aki, ski = key_id(cert, "aki"), key_id(issuer, "ski")
    return aki is None or ski is None or aki == ski


def same_public_key(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    from cryptography.hazmat.primitives import serialization

    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(cert.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki))
