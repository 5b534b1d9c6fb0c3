"""Find the leaf, put the chain in order, and decide whether a trusted path exists.

The verdict "a trusted path exists" comes from ``cryptography.x509.verification`` (RFC 5280
path building plus the CA/B Forum web PKI profile). Its one error class says only
"candidates exhausted" for a missing intermediate, an untrusted root and a self-signed leaf
alike, so :func:`classify_path` looks at the chain's issuer links against the store to tell
them apart (docs/tls-notes.md, "From verifier errors to findings"). Other refusals are
free text too: :func:`explain` turns them into a sentence, a fix and the certificate they
concern.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mlssl.errors import InputError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.x509.verification import Store


# -- small facts about one certificate -----------------------------------------------------
# Each reads through jupyter_mlssl.certificates.facts, so a damaged extension or name gives a
# neutral answer here; loading reports the damage itself (malformed_certificate).
def common_name(cert: x509.Certificate) -> str | None:
    from jupyter_mlssl.certificates import facts

    name = facts.subject(cert)
    return facts.common_name(name) if name is not None else None


def describe(cert: x509.Certificate) -> str:
    """How messages name a certificate: its CN, else its whole subject."""
    from jupyter_mlssl.certificates import facts

    cn = common_name(cert)
    if cn:
        return f"'{facts.printable(cn)}'"
    name = facts.subject(cert)
    text = facts.name_text(name) if name is not None else "(unreadable name)"
    return f"'{text or '(empty subject)'}'"


def is_ca(cert: x509.Certificate) -> bool:
    from jupyter_mlssl.certificates import facts

    return facts.is_ca(cert)


def self_issued(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer


def _key_id(cert: x509.Certificate, kind: str) -> bytes | None:
    from cryptography import x509

    from jupyter_mlssl.certificates import facts

    if kind == "ski":
        ski = facts.extension(cert, x509.SubjectKeyIdentifier)
        return ski.digest if ski is not None else None
    aki = facts.extension(cert, x509.AuthorityKeyIdentifier)
    return aki.key_identifier if aki is not None else None


def may_have_issued(issuer: x509.Certificate, cert: x509.Certificate) -> bool:
    """Name link, confirmed by AKI/SKI when both are present (cheap; no signature check)."""
    if issuer.subject != cert.issuer:
        return False
    aki, ski = _key_id(cert, "aki"), _key_id(issuer, "ski")
    return aki is None or ski is None or aki == ski


def same_public_key(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    from cryptography.hazmat.primitives import serialization

    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return cert.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)


def san_names(cert: x509.Certificate) -> tuple[list[str], list[str]] | None:
    """``(dns_names, ip_addresses)`` of the subjectAltName; None when absent or unreadable."""
    from jupyter_mlssl.certificates import facts

    return facts.san_names(cert)


# -- ordering ------------------------------------------------------------------------------
@dataclass
class ChainOrder:
    certificates: list[x509.Certificate]  # the leaf's path, then unlinked ones
    path_length: int
    changed: bool  # differs from the input order (duplicates aside)
    unlinked: list[x509.Certificate] = field(default_factory=list)


def self_signed(cert: x509.Certificate) -> bool:
    """Self-issued and signed by its own key, as far as the key identifiers tell.

    A self-issued CA certificate whose AKI names another key (a key rollover, RFC 5280
    6.1) is an intermediate: the path goes on to the certificate that holds that key.
    """
    if not self_issued(cert):
        return False
    aki, ski = _key_id(cert, "aki"), _key_id(cert, "ski")
    return aki is None or ski is None or aki == ski


def order_chain(certs: list[x509.Certificate], key: PrivateKeyTypes | None = None) -> ChainOrder:
    """Leaf first, each certificate followed by its issuer; never trust the input order.

    The leaf is the certificate the key belongs to; without a key, the one that issued no
    other certificate in the input (a non-CA one first). Self-signed roots that the path
    does not reach are kept after it (a missing intermediate, reported elsewhere); other
    leftovers are ``unlinked``. Issuers are looked up by subject name, so ordering is
    linear in the number of certificates (a bundle of thousands took seconds when every
    pair was compared).
    """
    unique = list(dict.fromkeys(certs))  # drop exact duplicates, keep first occurrence
    if not unique:
        return ChainOrder([], 0, False)
    by_subject: dict[x509.Name, list[x509.Certificate]] = {}
    for cert in unique:
        by_subject.setdefault(cert.subject, []).append(cert)

    def issuers_of(cert: x509.Certificate) -> list[x509.Certificate]:
        return [i for i in by_subject.get(cert.issuer, ()) if i is not cert
                and may_have_issued(i, cert)]

    leaf = None
    if key is not None:
        leaf = next((c for c in unique if same_public_key(c, key)), None)
    if leaf is None:
        issuers = {id(i) for c in unique if not self_signed(c) for i in issuers_of(c)}
        candidates = [c for c in unique if id(c) not in issuers]
        leaf = next((c for c in candidates if not is_ca(c)), None)
        leaf = leaf or (candidates[0] if candidates else unique[0])
    path, on_path = [leaf], {id(leaf)}
    while not self_signed(path[-1]):
        nxt = next((c for c in issuers_of(path[-1]) if id(c) not in on_path), None)
        if nxt is None:
            break
        path.append(nxt)
        on_path.add(id(nxt))
    rest = [c for c in unique if id(c) not in on_path]
    # Kept after the path, in input order. A root the path did not reach is probably the
    # top of a chain with a gap (reported as chain_incomplete); anything else is unlinked.
    unlinked = [c for c in rest if not self_issued(c)]
    ordered = path + rest
    return ChainOrder(ordered, len(path), ordered != unique, unlinked)


# -- trust store ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TrustStore:
    """A verifier ``Store`` plus the indexes :func:`classify_path` needs."""

    name: str
    store: Store
    subjects: frozenset[x509.Name]
    members: frozenset[x509.Certificate]
    default: bool


def _parse_bundle(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, skipping blocks a future cryptography may refuse.

    Real bundles hold oddities (negative serial numbers warn today; docs/tls-notes.md,
    "Trust stores"); one bad block must not cost the whole store.
    """
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            return list(x509.load_pem_x509_certificates(data))
        except ValueError:
            pass
        from jupyter_mlssl.certificates.loading import _pem_blocks

        out = []
        for label, block in _pem_blocks(data)[0]:
            if label == b"CERTIFICATE":
                try:
                    out.append(x509.load_pem_x509_certificate(block))
                except ValueError:
                    continue
        return out


@functools.lru_cache(maxsize=16)
def _store_from_file(path: str, mtime_ns: int, size: int, default: bool) -> TrustStore:
    # Cached per (path, mtime, size): certifi's ~150 roots are parsed once per process.
    from cryptography.x509.verification import Store

    with open(path, "rb") as handle:
        certs = _parse_bundle(handle.read(64 * 1024 * 1024))
    if not certs:
        raise InputError(
            f"--ca-bundle {path} holds no PEM certificate: give a PEM file of trusted CAs"
        )
    return TrustStore(
        name="Mozilla's trust store (certifi)" if default else f"the trust store {path}",
        store=Store(certs),
        subjects=frozenset(c.subject for c in certs),
        members=frozenset(certs),
        default=default,
    )


def trust_store(ca_bundle: str | os.PathLike[str] | None = None) -> TrustStore:
    """The store for path validation: ``ca_bundle`` if given, else certifi's Mozilla store.

    SSL_CERT_FILE is deliberately not read: a certificate check answers "will browsers and
    Azure's clients trust this?", not "does this machine?". Raises InputError when the
    bundle cannot be used.
    """
    if ca_bundle is None:
        import certifi

        path, default = certifi.where(), True
    else:
        path, default = os.fspath(ca_bundle), False
    try:
        info = os.stat(path)
    except OSError as exc:
        raise InputError(
            f"--ca-bundle {path} cannot be read ({exc.strerror}); check the path"
        ) from None
    if os.path.isdir(path):
        raise InputError(f"--ca-bundle {path} is a directory: give one PEM file of trusted CAs")
    return _store_from_file(path, info.st_mtime_ns, info.st_size, default)


# -- path validation -----------------------------------------------------------------------
@dataclass
class PathVerdict:
    """``status``: trusted, incomplete, untrusted_root, self_signed or rejected.

    ``chain``: the path the checks judge, leaf first and trust anchor last: the one the
    verifier built when it built one (possibly at another moment than ``now``, when only
    time stood in the way: ``elsewhen``), else the presented path plus the store's
    certificate that issued its top. ``rejected`` means the verifier refused for another
    reason: ``detail`` is its message, :func:`explain` turns it into a sentence.
    """

    status: str
    chain: list[x509.Certificate] = field(default_factory=list)
    detail: str | None = None
    top: x509.Certificate | None = None
    elsewhen: bool = False


def _verifier_subject(leaf: x509.Certificate) -> x509.DNSName | x509.IPAddress | None:
    """A name the leaf covers, so that the trust verdict does not depend on --cname."""
    from cryptography import x509

    names = san_names(leaf)
    if names is None:
        return None
    for dns in names[0]:
        host = dns.rstrip(".").lower()
        if host.startswith("*."):
            host = "wildcard-check" + host[1:]
        try:
            x509.DNSName(host)
            return x509.DNSName(host)
        except ValueError:
            continue
    for ip in names[1]:
        return x509.IPAddress(ipaddress.ip_address(ip))
    return None


def _verify(path: list[x509.Certificate], extra: list[x509.Certificate], store: TrustStore,
            when: dt.datetime) -> tuple[list[x509.Certificate] | None, str | None]:
    from cryptography.x509.verification import PolicyBuilder, VerificationError

    subject = _verifier_subject(path[0])
    if subject is None:
        return None, "leaf server certificate has no subjectAltName"
    try:
        verifier = PolicyBuilder().store(store.store).time(when).build_server_verifier(subject)
        return verifier.verify(path[0], path[1:] + extra), None
    except VerificationError as exc:
        return None, str(exc)
    except ValueError as exc:  # a SAN the policy cannot express as a subject
        return None, str(exc)


_TIMING = "not valid at validation time"


def _anchor_for(top: x509.Certificate, store: TrustStore) -> list[x509.Certificate]:
    """The store's certificate that issued ``top`` (for the checks, when no path was built)."""
    if top in store.members:
        return []
    return [c for c in store.members if may_have_issued(c, top)][:1]


def verify_chain(certificates: list[x509.Certificate], path_length: int, store: TrustStore,
                 now: dt.datetime) -> PathVerdict:
    """Does a trusted path exist from the leaf to the store, ignoring time and hostname?

    The hostname is checked (and reported) separately. When the verifier refuses only
    because of time, it is asked again at a moment inside every presented certificate's
    validity, to learn the path it would build: the checks then judge that path at ``now``,
    trust anchor included (an expired root is ``expired``, not silently accepted), and an
    expired certificate is not also called untrusted.
    """
    path, extra = certificates[:path_length], certificates[path_length:]
    if path[0] in store.members:
        # Pinned: the leaf itself is a trust anchor (a development certificate passed as
        # --ca-bundle). Clients configured that way trust it whatever its extensions.
        return PathVerdict("trusted", chain=[path[0]], top=path[0])
    if not any(c in store.members or c.issuer in store.subjects for c in certificates):
        # No certificate names an issuer in the store, so no path can exist: skip the
        # verifier's exhaustive search (most of the cost of an untrusted inspection).
        return classify_path(path, store)
    chain, detail = _verify(path, extra, store, now)
    elsewhen = False
    if chain is None and detail and _TIMING in detail:
        start = max(c.not_valid_before_utc for c in certificates)
        end = min(c.not_valid_after_utc for c in path)
        if start <= end:
            chain, retry = _verify(path, extra, store, start + (end - start) / 2)
            elsewhen = chain is not None
            if retry and _TIMING not in retry:
                detail = retry  # time aside, the verifier has another objection
    if chain is not None:
        return PathVerdict("trusted", chain=list(chain), top=chain[-1], elsewhen=elsewhen)
    verdict = classify_path(path, store)
    # "candidates exhausted" alone means no issuer was found; with an interior error
    # (forbidden signature algorithm, path length, weak CA key...) that error is the reason.
    exhausted = detail is not None and "with no interior errors" in detail
    if verdict.status == "trusted" and detail is not None and _TIMING in detail:
        # No moment when every certificate is valid: judge the links alone, and the
        # presented path up to the store's anchor for expiry.
        verdict.chain = path + _anchor_for(path[-1], store)
        return verdict
    if verdict.status == "trusted" and exhausted:
        # The issuer's name is in the store but no path verifies: the store holds another
        # certificate of that name (other key), so the real root is not trusted here.
        return PathVerdict("untrusted_root", detail=detail, top=path[-1])
    if verdict.status == "trusted":
        verdict.status = "rejected"
        verdict.detail = detail
    return verdict


def classify_path(path: list[x509.Certificate], store: TrustStore) -> PathVerdict:
    """What the top of the supplied chain links to: the store, nothing, or itself."""
    top = path[-1]
    if top in store.members or top.issuer in store.subjects:
        return PathVerdict("trusted", top=top)
    if self_issued(top):
        return PathVerdict("self_signed" if len(path) == 1 else "untrusted_root", top=top)
    return PathVerdict("incomplete", top=top)


# -- the verifier's reasons, in plain words ------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """Why the verifier refused a path: ``reason`` and ``fix`` are sentences for the user;
    ``certificate`` is the one it concerns when that can be told; ``code`` is the finding
    code that already says it (then no second finding is needed), else None."""

    reason: str
    fix: str
    certificate: x509.Certificate | None = None
    code: str | None = None


_REISSUE = "ask the CA for a certificate (and chain) that follows the web PKI profile"
_CHAIN = "use the chain your CA publishes for this certificate, or reissue from a current CA"
#: (substring of cryptography's VerificationError text, plain reason, fix, code that says it)
_REASONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("path length constraint violated",
     "a CA's path length limit (basicConstraints pathLenConstraint) is exceeded by the "
     "intermediates below it", _CHAIN, None),
    ("basicConstraints.cA must not be asserted in an EE",
     "the leaf is a CA certificate", "give the server certificate, leaf first",
     "ca_certificate_as_leaf"),
    ("basicConstraints.cA must be asserted", "an issuing certificate is not marked as a CA "
     "(basicConstraints cA is false)", _CHAIN, None),
    ("has no basicConstraints", "an issuing certificate has no basicConstraints extension",
     _CHAIN, None),
    ("keyUsage.keyCertSign must be asserted", "an issuing certificate's keyUsage does not "
     "allow signing certificates (keyCertSign)", _CHAIN, None),
    ("must not assert keyCertSign", "the leaf's keyUsage allows signing certificates "
     "(keyCertSign), which a server certificate must not", _REISSUE, None),
    ("name constraint", "a CA's name constraints do not allow the leaf's names "
     "(or cannot be checked)", "get the certificate from a CA allowed to issue for these "
     "names", None),
    ("Forbidden signature algorithm", "a certificate is signed with an algorithm clients "
     "refuse (SHA-1, MD5)", _CHAIN, "weak_signature"),
    ("Forbidden public key algorithm", "a certificate has a key type or curve clients "
     "refuse (DSA, P-192, explicit curve parameters)", _CHAIN, None),
    ("key is too weak", "a certificate has an RSA key under 2048 bits", _CHAIN, None),
    ("malformed public key", "an issuing certificate's public key cannot be read", _CHAIN,
     None),
    ("required EKU not found", "the leaf's extendedKeyUsage does not allow TLS server "
     "authentication (serverAuth)", "reissue it with the serverAuth extended key usage",
     None),
    ("no subjectAltName", "the leaf has no subjectAltName", "reissue it with the service's "
     "DNS name as a SAN", "no_san"),
    ("invalid domain name", "the leaf's subjectAltName holds a name that is not a valid "
     "host name (a wildcard not alone in the left-most label, an underscore...)",
     "reissue it with plain DNS names", None),
    ("subjectAltName MUST", "the leaf's subjectAltName criticality breaks RFC 5280 "
     "(critical exactly when the subject is empty)", _REISSUE, None),
    ("serial between 1 and 20 octets", "a certificate's serial number is not 1 to 20 "
     "octets (RFC 5280 4.1.2.2)", _REISSUE, None),
    ("non-empty Issuer", "a certificate has an empty issuer name", _REISSUE, None),
    ("mismatch between signatureAlgorithm and SPKI", "a certificate's signature "
     "algorithm does not match its issuer's key type", _REISSUE, None),
    ("authorityKeyIdentifier", "a certificate's Authority Key Identifier breaks the "
     "profile", _REISSUE, None),
    ("invalid extension", "a certificate has an extension the profile forbids, lacks a "
     "required one (such as the Authority Key Identifier) or marks one with the wrong "
     "criticality", _REISSUE, None),
    ("signature does not match", "a certificate's signature does not verify with the key "
     "of the certificate named as its issuer (a wrong or re-keyed issuer certificate)",
     _CHAIN, None),
    ("maximum name constraint check limit", "the chain needs more name-constraint checks "
     "than a client allows (a pathological chain)", _CHAIN, None),
)


def _named_certificate(detail: str,
                       candidates: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate "(encountered processing <Certificate(subject=<Name(...)>" names."""
    mark = "encountered processing <Certificate(subject=<Name("
    at = detail.find(mark)
    if at < 0:
        return None
    subject = detail[at + len(mark):].split(")>, ...)>", 1)[0]
    return next((c for c in candidates if c.subject.rfc4514_string() == subject), None)


def explain(detail: str, path: list[x509.Certificate], store: TrustStore) -> Refusal:
    """A plain sentence, a fix and the certificate concerned for a VerificationError text.

    cryptography's messages are free text (docs/tls-notes.md); an interior error under
    "candidates exhausted" concerns an issuer candidate and does not name it, so then the
    certificate is the first issuer of the presented path the reason can apply to.
    """
    from cryptography import x509

    candidates = path + [c for c in store.members if any(_links(c, p) for p in path)]
    named = _named_certificate(detail, candidates)
    text = detail.split("candidates exhausted:", 1)[-1].strip()
    text = text.removeprefix("validation failed:").strip()
    match = next((row for row in _REASONS if row[0] in detail), None)
    if match is None:
        reason, fix, code = f"the verifier says: {text}", _CHAIN, None
    else:
        needle, reason, fix, code = match
        if needle == "invalid extension":
            reason = _extension_reason(text) or reason
    if named is None and "candidates exhausted" in detail:
        issuers = candidates[1:]
        if "path length" in detail:
            # The CA whose pathLenConstraint is smaller than the intermediates below it.
            limits = [(_path_length(c), below, c) for below, c in enumerate(issuers)]
            named = next((c for limit, below, c in limits
                          if limit is not None and limit < below), None)
        elif "basicConstraints" in detail or "keyCertSign" in detail:
            named = next((c for c in issuers if not is_ca(c) or not _can_sign(c)), None)
        elif "name constraint" in detail:
            named = next((c for c in issuers if _has(c, x509.NameConstraints)), None)
        named = named or (issuers[0] if issuers else None)
    elif named is None:
        named = path[0]
    return Refusal(reason, fix, named, code)


def _extension_reason(text: str) -> str | None:
    """'invalid extension: 2.5.29.35: Certificate is missing required extension' in words."""
    from cryptography import x509

    parts = text.split("invalid extension:", 1)[-1].split(":", 1)
    if len(parts) != 2:
        return None
    oid, why = parts[0].strip(), parts[1].split("(encountered", 1)[0].strip()
    try:
        name = getattr(x509.ObjectIdentifier(oid), "_name", oid)
    except ValueError:
        return None
    label = oid if name in (oid, "Unknown OID") else f"{name} ({oid})"
    if "missing required extension" in why:
        return f"a certificate lacks the {label} extension the profile requires"
    return f"a certificate's {label} extension breaks the profile: {why[:1].lower()}{why[1:]}"


def _links(issuer: x509.Certificate, cert: x509.Certificate) -> bool:
    try:
        return may_have_issued(issuer, cert)
    except Exception:  # a damaged key identifier: only naming is at stake here
        return False


def _has(cert: x509.Certificate, kind: type) -> bool:
    from cryptography import x509

    try:
        cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return False
    except Exception:  # damaged extensions (reported as malformed_certificate elsewhere)
        return False
    return True


def _path_length(cert: x509.Certificate) -> int | None:
    from cryptography import x509

    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
    except x509.ExtensionNotFound:
        return None
    except Exception:  # damaged extensions (reported elsewhere)
        return None


def _can_sign(cert: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign)
    except x509.ExtensionNotFound:
        return True  # no keyUsage: any use is allowed (RFC 5280 4.2.1.3)
    except Exception:  # damaged extensions (reported elsewhere)
        return False
