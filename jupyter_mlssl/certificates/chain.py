"""Find the leaf, put the chain in order, and decide whether a trusted path exists.

The verdict "a trusted path exists" comes from ``cryptography.x509.verification`` (RFC 5280
path building plus the CA/B Forum web PKI profile). Its one error class says only
"candidates exhausted" for a missing intermediate, an untrusted root and a self-signed leaf
alike, so :func:`classify_path` looks at the chain's issuer links against the store to tell
them apart (docs/tls-notes.md, "From verifier errors to findings").
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


def order_chain(certs: list[x509.Certificate], key: PrivateKeyTypes | None = None) -> ChainOrder:
    """Leaf first, each certificate followed by its issuer; never trust the input order.

    The leaf is the certificate the key belongs to; without a key, the one that issued no
    other certificate in the input (a non-CA one first). Self-signed roots that the path
    does not reach are kept after it (a missing intermediate, reported elsewhere); other
    leftovers are ``unlinked``.
    """
    unique = list(dict.fromkeys(certs))  # drop exact duplicates, keep first occurrence
    if not unique:
        return ChainOrder([], 0, False)
    leaf = None
    if key is not None:
        leaf = next((c for c in unique if same_public_key(c, key)), None)
    if leaf is None:
        issuers = {
            id(i) for i in unique for c in unique
            if c is not i and not self_issued(c) and may_have_issued(i, c)
        }
        candidates = [c for c in unique if id(c) not in issuers]
        leaf = next((c for c in candidates if not is_ca(c)), None)
        leaf = leaf or (candidates[0] if candidates else unique[0])
    path = [leaf]
    while not self_issued(path[-1]):
        nxt = next((c for c in unique if c not in path and may_have_issued(c, path[-1])), None)
        if nxt is None:
            break
        path.append(nxt)
    rest = [c for c in unique if c not in path]
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

    ``rejected`` means the verifier refused for a reason the structural checks must name
    (weak signature, CA as leaf, path length, name constraints...); ``detail`` carries its
    message. ``missing_issuer`` names the issuer that is nowhere to be found.
    """

    status: str
    chain: list[x509.Certificate] = field(default_factory=list)
    detail: str | None = None
    top: x509.Certificate | None = None


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


def verify_chain(certificates: list[x509.Certificate], path_length: int, store: TrustStore,
                 now: dt.datetime) -> PathVerdict:
    """Does a trusted path exist from the leaf to the store, ignoring time and hostname?

    Expiry and the hostname are checked (and reported) separately, so when the verifier
    refuses only because of time, it is asked again at a moment inside every certificate's
    validity window: an expired certificate should not also be called untrusted.
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
    if chain is None and detail and "not valid at validation time" in detail:
        start = max(c.not_valid_before_utc for c in certificates)
        end = min(c.not_valid_after_utc for c in path)
        if start <= end:
            chain, detail = _verify(path, extra, store, start + (end - start) / 2)
    if chain is not None:
        return PathVerdict("trusted", chain=chain)
    verdict = classify_path(path, store)
    # "candidates exhausted" alone means no issuer was found; with an interior error
    # (forbidden signature algorithm, weak CA key...) the checks name the real reason.
    exhausted = detail is not None and "with no interior errors" in detail
    timing = detail is not None and "not valid at validation time" in detail
    if verdict.status == "trusted" and timing:
        # No moment when every certificate is valid: judge the links alone; expiry is
        # reported by the checks.
        return verdict
    if verdict.status == "trusted" and exhausted:
        # The issuer's name is in the store but no path verifies (other key, constraints).
        verdict = PathVerdict("untrusted_root", detail=detail, top=path[-1])
    elif verdict.status == "trusted":
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
