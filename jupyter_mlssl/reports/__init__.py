"""Reports that render themselves, and how they look.

``base``: :class:`Report`, :class:`Finding`, :class:`Severity`; ``table``: :class:`Table`
(plain rows, what the terminal prints); ``rendering``: text without pandas, HTML through
pandas Styler. Cheap to import: pandas loads only when a report renders as HTML or a frame.
"""

from __future__ import annotations

from jupyter_mlssl.reports.base import (
    FINDING_COLUMNS,
    Finding,
    Report,
    Severity,
    escape,
    findings_frame,
    findings_tables,
)
from jupyter_mlssl.reports.table import Table

__all__ = ["FINDING_COLUMNS", "Finding", "Report", "Severity", "Table", "escape",
           "findings_frame", "findings_tables"]
