"""How report tables look: pandas Styler in the notebook, aligned text in a terminal.

Colours follow what a user scans for: failures red, warnings amber, good news green, days
left coloured by how soon the certificate runs out. The rules key on column names shared by
every report (``severity``, ``verdict``, ``outcome``, ``days_left``), so a new report gets
them for free by naming its columns the same way.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

RED = "background-color: #fde2e1; color: #9b1c1c; font-weight: 600"
AMBER = "background-color: #fef3c7; color: #92400e"
GREEN = "background-color: #dcfce7; color: #166534"

GOOD_WORDS = {"ok", "resolves", "succeeded", "applied", "enabled", "auto", "pass", "dry_run"}
BAD_WORDS = {
    "error", "failed", "rolled_back", "refused", "blocked", "expired", "mismatch",
    "not_found", "no_answer", "timeout", "not_tls", "handshake_failed", "dns_error",
    "hostname_mismatch", "self_signed", "untrusted_root", "incomplete_chain", "weak_key",
    "weak_signature", "protocol_too_old", "not_yet_valid", "fail",
}
WARN_WORDS = {"warning", "expiring_soon", "disabled", "pending", "skipped", "info_warning"}

#: days left under which a certificate is shown amber (red below zero)
EXPIRY_WARNING_DAYS = 30


def _word_style(value: Any) -> str:
    word = str(value).strip().lower()
    if word in BAD_WORDS:
        return RED
    if word in WARN_WORDS:
        return AMBER
    if word in GOOD_WORDS:
        return GREEN
    return ""


def _days_style(value: Any) -> str:
    try:
        days = float(value)
    except (TypeError, ValueError):
        return ""
    if days != days:  # NaN: no certificate
        return ""
    if days < 0:
        return RED
    if days < EXPIRY_WARNING_DAYS:
        return AMBER
    return GREEN


WORD_COLUMNS = ("severity", "verdict", "outcome", "status", "result", "verification", "tls")
DAY_COLUMNS = ("days_left",)


def style(frame: pd.DataFrame, caption: str = "") -> Styler:
    styler = frame.style
    for column in frame.columns:
        name = str(column).lower()
        if name in WORD_COLUMNS:
            styler = styler.map(_word_style, subset=[column])
        elif name in DAY_COLUMNS:
            styler = styler.map(_days_style, subset=[column])
    styler = styler.hide(axis="index")
    styler = styler.set_table_styles(
        [
            {"selector": "th", "props": "text-align: left;"},
            {"selector": "td", "props": "text-align: left; vertical-align: top;"},
            {
                "selector": "caption",
                "props": "caption-side: top; font-weight: 600; text-align: left;",
            },
        ]
    )
    if caption:
        styler = styler.set_caption(caption)
    return styler


def tables_to_html(tables: list[tuple[str, pd.DataFrame]]) -> str:
    parts = []
    for caption, frame in tables:
        # Styler escapes cell text (escape="html"): messages may contain <, & from servers.
        parts.append(style(frame, caption).format(escape="html", na_rep="").to_html())
    # Wide tables (a probe has 20 columns) scroll inside the cell instead of being clipped.
    return ('<div class="jupyter-mlssl-report" style="overflow-x: auto">'
            + "\n".join(parts) + "</div>")


def tables_to_text(tables: list[tuple[str, pd.DataFrame]]) -> str:
    import pandas as pd

    parts = []
    for caption, frame in tables:
        with pd.option_context(
            "display.max_colwidth", 90, "display.width", 200, "display.max_columns", 50
        ):
            # na_rep does not reach pd.NA in nullable columns nor None in object ones: blank
            # every missing cell ourselves so a terminal shows empty, not <NA> / None.
            shown = frame.astype(object).where(frame.notna(), "")
            body = "(empty)" if frame.empty else _left_aligned(shown)
        parts.append(f"{caption}\n{body}" if caption else body)
    return "\n\n".join(parts)


def _left_aligned(frame: pd.DataFrame) -> str:
    """Text columns read left to right: pandas right-aligns them, which ragged-edges every
    message and URL. Numbers stay right-aligned."""
    from numpy import bool_ as np_bool

    formatters = {}
    for column in frame.columns:
        values = frame[column]
        if all((isinstance(v, numbers.Number) and not isinstance(v, (bool, np_bool))) or v == ""
               for v in values):
            continue
        width = max(len(str(column)), *(len(str(v)) for v in values))
        formatters[column] = lambda v, width=width: f"{v!s:<{width}}"
    text = frame.to_string(index=False, formatters=formatters, justify="left")
    return "\n".join(line.rstrip() for line in text.splitlines())
