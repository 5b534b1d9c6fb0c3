"""``FleetReport``: the table (worst first), its JSON, and the picture."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.fleet.rows import COLUMNS, VERDICTS, FleetRow, rank
from jupyter_mlssl.reports import Table
from jupyter_mlssl.reports.base import Report

if TYPE_CHECKING:
    import pandas as pd


@dataclass(repr=False)
class FleetReport(Report):
    rows: list[FleetRow] = field(default_factory=list)
    workspaces: int = 0
    calls: int = 0
    notes: list[str] = field(default_factory=list)
    probed: bool = False
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    title = "Fleet"

    def __post_init__(self) -> None:
        self.rows.sort(key=rank)

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for row in self.rows:
            out[row.verdict] += 1
        return {k: n for k, n in out.items() if n}

    def to_dict(self) -> dict[str, Any]:
        return {"generated": self.generated.isoformat(), "workspaces": self.workspaces,
                "probed": self.probed, "counts": self.counts(), "notes": list(self.notes),
                "rows": [row.to_dict() for row in self.rows]}

    def _cells(self) -> list[list[Any]]:
        out = []
        for row in self.rows:
            data = row.to_dict()
            for key in ("not_after", "renewal_due"):
                if data[key]:
                    data[key] = data[key][:10]
            out.append([data[c] for c in COLUMNS])
        return out

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._cells(), columns=COLUMNS)

    def _caption(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in self.counts().items()) or "no endpoints"
        return f"Fleet: {len(self.rows)} endpoints in {self.workspaces} workspaces ({counts})"

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [(self._caption(), self.to_frame())]

    def text_tables(self) -> list[Table]:
        return [Table(self._caption(), COLUMNS, self._cells())]

    @property
    def exit_status(self) -> int:
        return 0

    def summary(self) -> str:
        return self._caption()

    def soonest(self) -> list[dict[str, Any]]:
        """Rows with a known expiry, soonest first (the status bar's cache)."""
        known = [r for r in self.rows if r.not_after is not None and r.tls != "Disabled"]
        known.sort(key=lambda r: r.not_after or self.generated)
        return [{"target": r.target, "fqdn": r.address,
                 "not_after": r.not_after.isoformat() if r.not_after else None,
                 "days_left": r.days_left, "verdict": r.verdict} for r in known]

    def chart_data(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        from jupyter_mlssl.fleet.chart import chart_data

        return chart_data(self.rows, now or dt.datetime.now(dt.timezone.utc))

    def plot(self, now: dt.datetime | None = None) -> Any:
        """The picture: each certificate's validity as a bar on a time axis (altair)."""
        from jupyter_mlssl.fleet.chart import plot

        return plot(self.rows, now or dt.datetime.now(dt.timezone.utc))
