"""Find the leaf, put the chain in order, and decide whether a trusted path exists.

The verdict "a trusted path exists" comes from ``cryptography.x509.verification`` (RFC 5280
path building plus the CA/B Forum web PKI profile). Its one error class says only
"candidates exhausted" for a missing intermediate, an untrusted root and a self-signed leaf
alike, so :func:`classify_path` looks at the chain's issuer links against the store to tell
them apart (docs/tls-notes.md, "From verifier errors to findings"). Other refusals are
free text too: :mod:`jupyter_mlssl.certificates.refusals` turns them into a sentence.
Facts of one certificate and the trust store live in :mod:`jupyter_mlssl.pki`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mlssl.pki.facts import (
    covered_name,
    is_ca,
    may_have_issued,
    same_public_key,
    self_issued,
    self_signed,
)
from jupyter_mlssl.pki.trust import TrustStore

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


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


def _verify(path: list[x509.Certificate], extra: list[x509.Certificate], store: TrustStore,
            when: dt.datetime) -> tuple[list[x509.Certificate] | None, str | None]:
    from cryptography.x509.verification import VerificationError

    subject = covered_name(path[0])
    if subject is None:
        return None, "leaf server certificate has no subjectAltName"
    try:
        verifier = store.builder.time(when).build_server_verifier(subject)
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
    if not any(c in store.members or store.trusts_issuer_of(c) for c in certificates):
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
    if top in store.members or store.trusts_issuer_of(top):
        return PathVerdict("trusted", top=top)
    if self_issued(top):
        return PathVerdict("self_signed" if len(path) == 1 else "untrusted_root", top=top)
    return PathVerdict("incomplete", top=top)
