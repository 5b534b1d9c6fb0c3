"""From a presented chain to verdicts: what a browser-like client would think of it.

The handshake ran with verification off, so that a broken chain still shows us its
certificates. Here we verify it with cryptography's ``x509.verification`` (RFC 5280 path
building plus the CA/B Forum web PKI profile; no CN fallback), against the trust store the
user's Python would use. That verifier raises one exception class with a free-text message
and stops at the first problem (docs/tls-notes.md), so around it we run our own checks for
what it does not report or cannot tell apart: dates of each certificate, leaf key strength,
SHA-1/MD5 signatures, and "candidates exhausted", which means any of self-signed, untrusted
root or missing intermediate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from jupyter_mlssl.pki import facts
from jupyter_mlssl.pki.facts import display_name
from jupyter_mlssl.pki.trust import TrustStore
from jupyter_mlssl.probing.presented import days_left, parse_chain
from jupyter_mlssl.probing.report import CertSummary

UTC = dt.timezone.utc

#: Every verdict, worst first. One URL gets one verdict: the first of these that applies.
#: Why this order: a failure to reach the server hides everything behind it, so those come
#: first, in the order a client meets them (name, TCP, TLS). Then what breaks *every* modern
#: client whatever it trusts (a presented certificate that does not parse: a damaged or
#: repeated extension, a name that is not UTF-8, an unknown key type; an obsolete protocol;
#: a certificate out of date or for another name), then what breaks clients by trust
#: (self-signed, unknown root, missing intermediate: some browsers fetch a missing
#: intermediate, so that one is the mildest), then weak crypto, which modern clients
#: reject but which is fixed by reissuing.
WORST_FIRST: tuple[str, ...] = (
    "dns_error",
    "refused",
    "timeout",
    "not_tls",
    "handshake_failed",
    "malformed_certificate",
    "protocol_too_old",
    "expired",
    "not_yet_valid",
    "hostname_mismatch",
    "self_signed",
    "untrusted_root",
    "incomplete_chain",
    "weak_signature",
    "weak_key",
    "ok",
)
VERDICTS = frozenset(WORST_FIRST)
_RANK = {v: i for i, v in enumerate(WORST_FIRST)}

#: Protocols a modern client still speaks (Mozilla "intermediate": TLS 1.2 and 1.3).
MODERN_PROTOCOLS = frozenset({"TLSv1.2", "TLSv1.3"})


def worst_first(verdicts: Iterable[str]) -> list[str]:
    """The distinct verdicts, worst first; ``["ok"]`` when there are none."""
    found = sorted(set(verdicts) - {"ok"}, key=_RANK.__getitem__)
    return found or ["ok"]


# -- certificates, as a person reads them -------------------------------------------------
def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except ValueError:
        return True  # e.g. a SHA-1 self-signature cryptography refuses to check: same name
    except Exception:
        return False
    return True


def _label(cert: x509.Certificate, position: int) -> str:
    role = "leaf" if position == 0 else "intermediate"
    return f"{role} '{display_name(cert.subject)}'"


# -- the assessment -----------------------------------------------------------------------


@dataclass
class Assessment:
    """What the chain says. ``problems`` maps verdicts to the sentence behind each."""

    certs: list[x509.Certificate]
    chain: list[CertSummary]
    problems: dict[str, str] = field(default_factory=dict)
    trusted: bool | None = None
    hostname_ok: bool | None = None

    def add(self, verdict: str, message: str) -> None:
        self.problems.setdefault(verdict, message)


def _subject_for(host: str) -> x509.DNSName | x509.IPAddress:
    name = host.rstrip(".").lower()  # the verifier rejects a trailing dot (docs/tls-notes.md)
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _kind(message: str) -> str:
    """Sort the verifier's one exception class by its (observed) messages: docs/tls-notes.md."""
    if "not valid at validation time" in message:
        return "time"
    if "no matching subjectAltName" in message:
        return "name"
    if "has no subjectAltName" in message:
        return "no_san"
    if "Forbidden signature algorithm" in message:
        return "signature"
    if "key is too weak" in message:
        return "weak_ca_key"
    if "candidates exhausted" in message:
        return "exhausted"
    return "other"


def _names_match(leaf: x509.Certificate, subject: Any) -> tuple[bool, str]:
    """Does ``leaf`` cover ``subject``, whatever its trust and dates?

    The leaf is made its own trust anchor and checked at a moment it is valid, so the only
    thing left to fail is the name: the verifier's own (browser-like) matching, no CN.
    """
    when = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2
    try:
        (
            PolicyBuilder()
            .store(Store([leaf]))
            .time(when)
            .build_server_verifier(subject)
            .verify(leaf, [])
        )
    except VerificationError as exc:
        kind = _kind(str(exc))
        if kind in ("name", "no_san"):
            return False, _name_message(leaf, subject, kind)
        return True, ""
    return True, ""


def _sans(leaf: x509.Certificate) -> list[str]:
    names = facts.san_names(leaf)
    return [*names[0], *names[1]] if names is not None else []


def _name_message(leaf: x509.Certificate, subject: Any, kind: str) -> str:
    wanted = str(subject.value)
    if kind == "no_san":
        return (
            f"the certificate has no subjectAltName (CN '{display_name(leaf.subject)}'); clients "
            f"no longer fall back to the CN: reissue it with {wanted} as a SAN"
        )
    names = ", ".join(_sans(leaf)) or "none"
    return f"the certificate is for {names}, not {wanted}: reissue it with {wanted} as a SAN"


def _diagnose_untrusted(certs: list[x509.Certificate], trust: TrustStore) -> tuple[str, str]:
    """Tell apart the three causes of "candidates exhausted" (docs/tls-notes.md)."""
    leaf = certs[0]
    if _is_self_signed(leaf):
        return "self_signed", (
            f"the certificate for '{display_name(leaf.subject)}' is self-signed: clients do not "
            "trust it; use a certificate from a CA (or add it to --ca-bundle for a test)"
        )
    top = certs[-1]
    if _is_self_signed(top):
        return "untrusted_root", (
            f"the chain ends in root '{display_name(top.subject)}', which is not in the trust "
            f"store ({trust.path})"
        )
    presented = {c.subject.public_bytes() for c in certs}
    if trust.trusts_issuer_of(top) or top.issuer.public_bytes() in presented:
        return "untrusted_root", (
            f"no trusted path from '{display_name(leaf.subject)}' to the trust store "
            f"({trust.path}), although issuer '{display_name(top.issuer)}' is known by name"
        )
    # The top certificate's issuer is neither sent nor trusted. Without fetching (AIA) we
    # cannot know whether it is a missing intermediate or an unknown root; the usual
    # misconfigurations are "served the leaf alone" and "private CA", so judge by what the
    # top certificate is.
    if facts.is_ca(top):
        return "untrusted_root", (
            f"the chain ends at '{display_name(top.subject)}', issued by "
            f"'{display_name(top.issuer)}', which is not in the trust store ({trust.path}) "
            "(or an intermediate is missing)"
        )
    return "incomplete_chain", (
        f"the server sends no certificate for issuer '{display_name(top.issuer)}' of "
        f"'{display_name(top.subject)}' and the trust store does not have it: serve the "
        "full chain (leaf first, then the intermediates)"
    )


def _validity_window(certs: Sequence[x509.Certificate]) -> dt.datetime | None:
    start = max(c.not_valid_before_utc for c in certs)
    end = min(c.not_valid_after_utc for c in certs)
    if start >= end:
        return None
    return start + min(dt.timedelta(days=1), (end - start) / 2)


def _check_dates(
    assessment: Assessment, certs: Sequence[x509.Certificate], now: dt.datetime, start: int
) -> None:
    for position, cert in enumerate(certs, start):
        label = _label(cert, position)
        if now > cert.not_valid_after_utc:
            days = -days_left(cert.not_valid_after_utc, now)
            assessment.add(
                "expired",
                f"{label} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC "
                f"({days} day{'s' if days != 1 else ''} ago): renew it",
            )
        elif now < cert.not_valid_before_utc:
            assessment.add(
                "not_yet_valid",
                f"{label} is valid only from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC: "
                "check the issuing clock, or wait",
            )


def _check_crypto(assessment: Assessment, certs: Sequence[x509.Certificate]) -> None:
    # The verifier accepts a weak *leaf* key (docs/tls-notes.md), so check keys ourselves.
    for position, cert in enumerate(certs):
        self_signed = _is_self_signed(cert)
        if position and self_signed:
            continue  # a root's own key and signature are the client's business, not ours
        weakness = facts.key_weakness(cert)
        if weakness:
            assessment.add("weak_key",
                           f"{_label(cert, position)} has {weakness}: {facts.STRONG_KEY_FIX}")
        digest = facts.signature_hash(cert)
        if digest in facts.WEAK_HASHES and not self_signed:
            assessment.add(
                "weak_signature",
                f"{_label(cert, position)} is signed with {digest.upper()}: clients reject it; "
                "reissue it signed with SHA-256",
            )


def assess(
    ders: Sequence[bytes], host: str, trust: TrustStore, now: dt.datetime | None = None
) -> Assessment:
    """Everything wrong with the chain ``ders`` (leaf first, as sent) for ``host``.

    Raises :class:`MalformedChain` when a presented certificate does not parse.
    """
    now = now or dt.datetime.now(UTC)
    parsed = parse_chain(ders)
    certs = [cert for cert, _ in parsed]
    chain = [summary for _, summary in parsed]
    assessment = Assessment(certs=certs, chain=chain)
    leaf = certs[0]
    try:
        subject: Any = _subject_for(host)
    except ValueError:
        subject = None  # a name the verifier cannot even represent, e.g. with "_"

    _check_dates(assessment, [leaf], now, 0)
    _check_crypto(assessment, certs)

    if subject is None:
        assessment.hostname_ok = False
        assessment.add("hostname_mismatch", f"'{host}' is not a valid DNS name for a certificate")
    # Path validation is deterministic in (store, name, chain, moment), and the moment only
    # matters through the validity of the certificates on the path it found. So a success is
    # remembered with that window: probing the same endpoint again (the workflow's wait
    # loop), or a fleet of replicas serving one certificate, skips the path search while
    # the answer cannot have changed. Failures are not remembered.
    cache_key = (str(subject.value), tuple(ders)) if subject is not None else None
    known = trust.verified.get(cache_key) if cache_key is not None else None
    if known is not None and known[0] <= now <= known[1]:
        assessment.trusted = assessment.hostname_ok = True
        return assessment

    _verify_path(assessment, host, subject, trust, now, cache_key)
    if assessment.hostname_ok is None and subject is not None:
        ok, why = _names_match(leaf, subject)
        assessment.hostname_ok = ok
        if not ok:
            assessment.add("hostname_mismatch", why)
    return assessment


@dataclass
class _Attempt:
    """One question to the verifier: the name it is asked about, at which moment."""

    name: Any
    when: dt.datetime


def _verify_path(assessment: Assessment, host: str, subject: Any, trust: TrustStore,
                 now: dt.datetime, cache_key: tuple[str, tuple[bytes, ...]] | None) -> None:
    """Verify; when it stops at a problem we already understand, step past it (another
    moment, or a name the leaf does cover) to find what else is wrong."""
    leaf, intermediates = assessment.certs[0], assessment.certs[1:]
    first = subject if subject is not None else facts.covered_name(leaf)
    attempt: _Attempt | None = _Attempt(first, now)
    for _try in range(4):
        if attempt is None or attempt.name is None:
            return
        try:
            path = trust.builder.time(attempt.when).build_server_verifier(attempt.name).verify(
                leaf, intermediates
            )
        except VerificationError as exc:
            attempt = _after_refusal(assessment, str(exc), attempt, subject, trust, now)
            continue
        except ValueError as exc:  # a name build_server_verifier refuses ("bad_name.x")
            if subject is None or attempt.name is not subject:
                return
            assessment.hostname_ok = False
            assessment.add("hostname_mismatch",
                           f"'{host}' cannot be matched by any certificate ({exc})")
            attempt = _Attempt(facts.covered_name(leaf), attempt.when)
            continue
        assessment.trusted = True
        if subject is not None and attempt.name is subject:
            assessment.hostname_ok = True
            if attempt.when is now and cache_key is not None:
                _remember(trust, cache_key, path)
        return


def _remember(trust: TrustStore, key: tuple[str, tuple[bytes, ...]],
              path: Sequence[x509.Certificate]) -> None:
    """Remember a verified path with the window in which the answer cannot change."""
    if len(trust.verified) > 4096:
        trust.verified.clear()
    trust.verified[key] = (
        max(c.not_valid_before_utc for c in path),
        min(c.not_valid_after_utc for c in path),
    )


def _after_refusal(assessment: Assessment, message: str, attempt: _Attempt, subject: Any,
                   trust: TrustStore, now: dt.datetime) -> _Attempt | None:
    """Record what a refusal means; the next question to ask, or None to stop."""
    certs = assessment.certs
    leaf = certs[0]
    kind = _kind(message)
    if kind == "time" and attempt.when is now:
        _check_dates(assessment, certs[1:], now, 1)
        if not assessment.problems.keys() & {"expired", "not_yet_valid"}:
            assessment.add("expired", f"a certificate in the chain is out of date: {message}")
        window = _validity_window(certs)
        return None if window is None else _Attempt(attempt.name, window)
    if kind in ("name", "no_san") and subject is not None and attempt.name is subject:
        assessment.hostname_ok = False
        assessment.add("hostname_mismatch", _name_message(leaf, subject, kind))
        return _Attempt(facts.covered_name(leaf), attempt.when)
    assessment.trusted = False
    if kind == "exhausted" or (kind == "other" and _is_self_signed(leaf)):
        # A self-signed leaf also fails on profile rules (no AKI, ...) before the
        # path search gives up: it is self-signed all the same.
        assessment.add(*_diagnose_untrusted(certs, trust))
    elif kind == "signature":
        assessment.add("weak_signature", f"the chain uses a forbidden signature: "
                                         f"{_short(message)}")
    elif kind == "weak_ca_key":
        assessment.add("weak_key", f"a CA certificate in the chain has a weak key: "
                                   f"{_short(message)}")
    elif kind == "time":  # out of date even where all we were sent is in date
        assessment.trusted = None
    else:
        assessment.add("untrusted_root", f"clients will not trust this chain: "
                                         f"{_short(message)}")
    return None


def _short(message: str) -> str:
    # "validation failed: X (encountered processing <Certificate(...)>)" -> "X"
    message = message.removeprefix("validation failed: ")
    return message.split(" (encountered processing", 1)[0]
