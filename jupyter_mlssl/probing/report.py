"""What one probe saw, and the table of many.

A :class:`ProbeResult` is plain data (dates, strings, numbers); the certificate chain keeps
its DER bytes for callers who want to look closer, but ``to_dict`` (what ``--json`` prints)
carries only summaries, so JSON output stays readable and small.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.reports import Report, Table

if TYPE_CHECKING:
    import pandas as pd

#: Columns of ``ProbeReport.to_frame()``, in order (a contract: the panel and the
#: workflow read them by name).
COLUMNS = (
    "url", "verdict", "protocol", "cipher", "trusted", "hostname_ok", "days_left", "not_after",
    "issuer", "chain_length", "http_status", "server", "hsts", "http_redirect", "dns_ms",
    "connect_ms", "tls_ms", "first_byte_ms", "total_ms", "error",
)


@dataclass(frozen=True)
class CertSummary:
    """One presented certificate, as a person reads it."""

    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint: str  # sha256, hex
    key: str  # e.g. "EC P-256", "RSA 2048"
    signature: str | None  # the signature hash ("sha256"), or "ed25519" / "ed448"
    der: bytes = field(repr=False, default=b"")

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "fingerprint": self.fingerprint,
            "key": self.key,
            "signature": self.signature,
        }


@dataclass
class Timings:
    """Milliseconds per stage; None for a stage the probe never reached."""

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    total_ms: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None else round(v, 3)) for k, v in asdict(self).items()}


@dataclass(repr=False)
class ProbeResult(Report):
    """What a client sees at one URL. ``verdict`` is the worst of ``problems`` (or "ok")."""

    url: str
    host: str
    port: int
    address: str | None = None
    verdict: str = "ok"
    error: str | None = None
    #: every verdict that applies, worst first (``verdict`` is the first, or "ok")
    problems: list[str] = field(default_factory=list)
    protocol: str | None = None
    cipher: str | None = None
    chain: list[CertSummary] = field(default_factory=list)
    leaf_fingerprint: str | None = None
    not_after: dt.datetime | None = None
    days_left: int | None = None
    trusted: bool | None = None
    hostname_ok: bool | None = None
    http_status: int | None = None
    server: str | None = None
    hsts: str | None = None
    #: plain http on port 80: True redirects to https, False answers without redirecting,
    #: None when nothing answered there (or the URL is plain http)
    http_redirect: bool | None = None
    #: where port 80 redirects to, or why it does not (None when not checked)
    http_redirect_detail: str | None = None
    http_error: str | None = None
    timings: Timings = field(default_factory=Timings)

    title = "HTTPS probe"

    @property
    def issuer(self) -> str | None:
        return self.chain[0].issuer if self.chain else None

    @property
    def exit_status(self) -> int:
        return 0 if self.verdict == "ok" else 1

    def summary(self) -> str:
        if self.verdict == "ok":
            return f"{self.url}: ok"
        return f"{self.url}: {self.verdict}: {self.error}"

    def row(self) -> dict[str, Any]:
        t = self.timings
        return {
            "url": self.url,
            "verdict": self.verdict,
            "protocol": self.protocol,
            "cipher": self.cipher,
            "trusted": self.trusted,
            "hostname_ok": self.hostname_ok,
            "days_left": self.days_left,
            "not_after": self.not_after,
            "issuer": self.issuer,
            "chain_length": len(self.chain) if self.chain else None,
            "http_status": self.http_status,
            "server": self.server,
            "hsts": self.hsts,
            "http_redirect": self.http_redirect,
            "dns_ms": _round(t.dns_ms),
            "connect_ms": _round(t.connect_ms),
            "tls_ms": _round(t.tls_ms),
            "first_byte_ms": _round(t.first_byte_ms),
            "total_ms": _round(t.total_ms),
            "error": self.error,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "host": self.host,
            "port": self.port,
            "address": self.address,
            "verdict": self.verdict,
            "error": self.error,
            "problems": list(self.problems),
            "protocol": self.protocol,
            "cipher": self.cipher,
            "trusted": self.trusted,
            "hostname_ok": self.hostname_ok,
            "leaf_fingerprint": self.leaf_fingerprint,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "days_left": self.days_left,
            "issuer": self.issuer,
            "chain": [c.to_dict() for c in self.chain],
            "http_status": self.http_status,
            "server": self.server,
            "hsts": self.hsts,
            "http_redirect": self.http_redirect,
            "http_redirect_detail": self.http_redirect_detail,
            "http_error": self.http_error,
            "timings": self.timings.to_dict(),
        }

    def to_frame(self) -> pd.DataFrame:
        return _frame([self])

    def text_tables(self) -> list[Table]:
        return [_table(self.title, [self])]


@dataclass(repr=False)
class ProbeReport(Report):
    """Many probes, one table, in the order the URLs were given."""

    results: list[ProbeResult] = field(default_factory=list)

    title = "HTTPS probe"

    @property
    def exit_status(self) -> int:
        return 0 if all(r.verdict == "ok" for r in self.results) else 1

    @property
    def failed(self) -> list[ProbeResult]:
        return [r for r in self.results if r.verdict != "ok"]

    def summary(self) -> str:
        bad = self.failed
        if not bad:
            return f"{self.title}: {len(self.results)} of {len(self.results)} ok"
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        return bad[0].summary() + more

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        return {
            "ok": self.exit_status == 0,
            "verdicts": counts,
            "results": [r.to_dict() for r in self.results],
        }

    def to_frame(self) -> pd.DataFrame:
        return _frame(self.results)

    def text_tables(self) -> list[Table]:
        return [_table(self.title, self.results)]

    # No __len__ on purpose: an empty report must not be falsy next to exit_status.
    def __iter__(self) -> Iterator[ProbeResult]:
        return iter(self.results)

    def __getitem__(self, index: int) -> ProbeResult:
        return self.results[index]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _table(title: str, results: list[ProbeResult]) -> Table:
    return Table.of_dicts(title, list(COLUMNS), (r.row() for r in results))


def _frame(results: list[ProbeResult]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame([r.row() for r in results], columns=list(COLUMNS))
    # Nullable integers: a missing day count or status must not turn the column into floats.
    for column in ("days_left", "chain_length", "http_status"):
        frame[column] = frame[column].astype("Int64")
    return frame
