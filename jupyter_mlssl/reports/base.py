"""Reports that render themselves.

Every check returns a report: a dataclass that mixes in :class:`Report`. A report knows how
to become a pandas table (``to_frame``), an HTML table for the notebook (``_repr_html_``,
through pandas Styler), plain text for the terminal (``__repr__``) and JSON-ready data for
``--json`` (``to_dict``). Faces never compute; they only choose one of these.

The terminal text comes from :meth:`Report.text_tables`: plain :class:`Table` rows, no
pandas, so that ``mlssl`` prints a report without paying 0.2 s to import pandas and numpy.
A report that only defines ``to_frame`` / ``tables`` still prints (through pandas).

Declare report dataclasses with ``@dataclass(repr=False)`` so the text rendering here is
the ``repr`` (a generated dataclass repr would win otherwise).

pandas is imported inside the methods that need it: importing this module must stay cheap
because ``%load_ext jupyter_mlssl`` imports the faces.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.reports.table import Table

if TYPE_CHECKING:
    import pandas as pd


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One thing a check found: a stable ``code``, its severity, and a message with the fix."""

    code: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": str(self.severity), "message": self.message}


FINDING_COLUMNS = ["code", "severity", "message"]


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    import pandas as pd

    rows = [f.to_dict() for f in findings]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def findings_tables(findings: Iterable[Finding]) -> list[Table]:
    """The "Findings" table, or nothing when there are none."""
    rows = [[f.code, str(f.severity), f.message] for f in findings]
    return [Table("Findings", FINDING_COLUMNS, rows)] if rows else []


class Report:
    """Mixin for report dataclasses. Subclasses implement ``to_dict`` and ``to_frame``."""

    #: Caption of the main table.
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        raise NotImplementedError

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The captioned tables this report shows; by default its frame, then its findings."""
        out = [(self.title, self.to_frame())]
        findings = list(getattr(self, "findings", ()) or ())
        if findings:
            out.append(("Findings", findings_frame(findings)))
        return out

    def text_tables(self) -> list[Table]:
        """The tables of :meth:`tables` as plain rows. Reports override this to build them
        without pandas; this default goes through the frames."""
        return [Table.from_frame(caption, frame) for caption, frame in self.tables()]

    @property
    def exit_status(self) -> int:
        """0 when all is well, 1 when a check found a problem, 2 for unusable input."""
        findings = getattr(self, "findings", ()) or ()
        return 1 if any(f.severity == Severity.ERROR for f in findings) else 0

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    def summary(self) -> str:
        """One line for a status bar, a log or a ``UsageError``."""
        findings = [f for f in getattr(self, "findings", ()) or () if f.severity == Severity.ERROR]
        if findings:
            first = findings[0]
            more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
            return f"{first.code}: {first.message}{more}"
        return f"{self.title or type(self).__name__}: ok"

    # -- rendering -------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        from jupyter_mlssl.reports.rendering import tables_to_html

        return tables_to_html(self.tables())

    def __repr__(self) -> str:
        from jupyter_mlssl.reports.rendering import tables_to_text

        return tables_to_text(self.text_tables())

    __str__ = __repr__


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)
