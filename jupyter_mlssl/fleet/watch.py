"""``watch``: a fleet report (or some targets' rows) turned into findings for cron and CI.

Exit status: 0 nothing due; 1 something due, expired or failing its probe; 2 an error (a
resource or workspace that could not be read, or a renewal that raised). With ``renew``,
what is due or expired and renewable here (Microsoft-provided and ACME-managed
certificates) is renewed through the callable passed in; one's own certificates are
reported with the command that would replace them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.fleet.rows import FleetRow, rank
from jupyter_mlssl.reports import Table
from jupyter_mlssl.reports.base import Report

if TYPE_CHECKING:
    import pandas as pd

#: row verdict -> exit status it calls for
EXIT = {"expired": 1, "failing": 1, "due": 1, "error": 2}
RENEWABLE = ("Microsoft", "ACME")
COLUMNS = ["event", "target", "kind", "days_left", "message"]


@dataclass
class Finding:
    event: str  # expired | failing | due | error | plain_http | renewed | renew_failed | ...
    target: str
    kind: str
    days_left: int | None
    message: str
    status: int  # the exit status this finding calls for

    def line(self) -> str:
        days = "" if self.days_left is None else f" days_left={self.days_left}"
        return f"{self.event} {self.target} kind={self.kind}{days} {self.message}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "target": self.target, "kind": self.kind,
                "days_left": self.days_left, "message": self.message, "status": self.status}


@dataclass(repr=False)
class WatchReport(Report):
    findings_: list[Finding] = field(default_factory=list)
    checked: int = 0
    title = "Watch"

    @property
    def exit_status(self) -> int:
        return max((f.status for f in self.findings_), default=0)

    def lines(self) -> list[str]:
        """One line per finding, for a log; a last line with the totals."""
        out = [f.line() for f in self.findings_]
        out.append(f"checked {self.checked} endpoints: exit {self.exit_status}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "exit_status": self.exit_status,
                "findings": [f.to_dict() for f in self.findings_]}

    def _cells(self) -> list[list[Any]]:
        return [[f.event, f.target, f.kind, f.days_left, f.message] for f in self.findings_]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._cells(), columns=COLUMNS)

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [(self.summary(), self.to_frame())]

    def text_tables(self) -> list[Table]:
        return [Table(self.summary(), COLUMNS, self._cells())]

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    __str__ = __repr__

    def summary(self) -> str:
        return f"checked {self.checked} endpoints: exit {self.exit_status}"


def own_certificate_hint(row: FleetRow) -> str:
    return (f"own certificate: replace it with `mlssl update {row.target} --cert NEW_CHAIN.pem"
            " --key NEW_KEY.pem`")


def watch(rows: list[FleetRow], *, renew: Callable[[str], Any] | None = None) -> WatchReport:
    """Findings for ``rows`` (worst first); with ``renew``, renew what is due and renewable."""
    report = WatchReport(checked=len(rows))
    for row in sorted(rows, key=rank):
        verdict = row.verdict
        if verdict == "plain_http":
            report.findings_.append(Finding("plain_http", row.target, row.kind, None,
                                            "served over plain HTTP", 0))
            continue
        if verdict not in EXIT:
            continue
        message = row.detail or _describe(row)
        status = EXIT[verdict]
        if verdict in ("due", "expired") and renew is not None:
            if row.cert_kind in RENEWABLE:
                report.findings_.append(_renew(row, renew, verdict))
                continue
            message = f"{message}; {own_certificate_hint(row)}"
        elif verdict in ("due", "expired") and row.cert_kind not in RENEWABLE:
            message = f"{message}; {own_certificate_hint(row)}"
        report.findings_.append(Finding(verdict, row.target, row.kind, row.days_left,
                                        message, status))
    return report


def _describe(row: FleetRow) -> str:
    if row.verdict == "failing":
        return f"probe: {row.probe}"
    due = row.renewal_due.date().isoformat() if row.renewal_due else "?"
    after = row.not_after.date().isoformat() if row.not_after else "?"
    return f"expires {after}, renewal due {due} ({row.cert_kind or 'unknown'} certificate)"


def _renew(row: FleetRow, renew: Callable[[str], Any], verdict: str) -> Finding:
    try:
        result = renew(row.target)
    except MlsslError as exc:
        return Finding("renew_failed", row.target, row.kind, row.days_left,
                       f"{verdict}; renewal failed: {exc}", 2)
    status = int(getattr(result, "exit_status", 0) or 0)
    summary = str(getattr(result, "summary", lambda: "")() or "").splitlines()
    text = summary[0] if summary else ""
    if status:
        return Finding("renew_failed", row.target, row.kind, row.days_left,
                       f"{verdict}; renewal failed: {text}", 2)
    return Finding("renewed", row.target, row.kind, row.days_left,
                   f"was {verdict}; renewed ({text})", 0)
