"""The chain a server presented: each certificate parsed and summarised once per process."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections.abc import Sequence

from cryptography import x509

from jupyter_mlssl.pki import facts
from jupyter_mlssl.probing.report import CertSummary


def summarize(cert: x509.Certificate, der: bytes) -> CertSummary:
    return CertSummary(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=hashlib.sha256(der).hexdigest(),
        key=facts.describe_key(cert),
        signature=facts.signature_hash(cert),
        der=der,
    )


@functools.lru_cache(maxsize=512)
def parse_presented(der: bytes) -> tuple[x509.Certificate, CertSummary]:
    """A presented certificate, parsed and summarised once per process: the workflow's wait
    loop and fleets of replicas present the same DER again and again. Both results are
    immutable, so sharing them between reports is safe; the cache is bounded.

    Every lazily parsed part is read here (:func:`~jupyter_mlssl.pki.facts.problem`),
    so a damaged certificate raises ``MalformedCertificate`` now, not in a later check.
    """
    try:
        cert = x509.load_der_x509_certificate(der)
    except BaseException as exc:
        if not facts.catchable(exc):
            raise
        raise facts.MalformedCertificate("DER encoding", facts.detail(exc)) from None
    with facts.parser_warnings_silenced():
        fault = facts.problem(cert)
    if fault is not None:
        raise fault
    return cert, summarize(cert, der)


def parse_chain(ders: Sequence[bytes]) -> list[tuple[x509.Certificate, CertSummary]]:
    """:func:`parse_presented` for each certificate; a failure names its position in the chain."""
    parsed = []
    for position, der in enumerate(ders):
        try:
            parsed.append(parse_presented(der))
        except facts.MalformedCertificate as fault:
            role = "leaf" if position == 0 else f"certificate {position + 1}"
            raise MalformedChain(position, f"the {role} of the {len(ders)} presented is "
                                           f"malformed: {fault}") from None
    return parsed


class MalformedChain(ValueError):
    """A presented certificate that does not parse; ``position`` 0 is the leaf."""

    def __init__(self, position: int, message: str) -> None:
        self.position = position
        super().__init__(message)


def days_left(not_after: dt.datetime, now: dt.datetime) -> int:
    """Whole days until ``not_after``; negative once expired (-1 on the first day after)."""
    return math.floor((not_after - now).total_seconds() / 86400)
