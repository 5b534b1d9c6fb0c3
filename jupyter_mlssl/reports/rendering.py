"""How report tables look: pandas Styler in the notebook, aligned text in a terminal.

Colours follow what a user scans for: failures red, warnings amber, good news green, days
left coloured by how soon the certificate runs out. The rules key on column names shared by
every report (``severity``, ``verdict``, ``outcome``, ``days_left``), so a new report gets
them for free by naming its columns the same way.
"""

from __future__ import annotations

import html
import numbers
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

    from jupyter_mlssl.reports.table import Table

RED = "background-color: #fde2e1; color: #9b1c1c; font-weight: 600"
AMBER = "background-color: #fef3c7; color: #92400e"
GREEN = "background-color: #dcfce7; color: #166534"

GOOD_WORDS = {"ok", "resolves", "succeeded", "applied", "enabled", "auto", "pass", "dry_run"}
BAD_WORDS = {
    "error", "failed", "rolled_back", "refused", "blocked", "expired", "mismatch",
    "not_found", "no_answer", "timeout", "not_tls", "handshake_failed", "dns_error",
    "hostname_mismatch", "self_signed", "untrusted_root", "incomplete_chain", "weak_key",
    "weak_signature", "protocol_too_old", "not_yet_valid", "fail", "malformed_certificate",
    "chain_invalid", "interrupted",
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
    from pandas import StringDtype

    parts = []
    for caption, frame in tables:
        # Every string is escaped here, once: cells and headers by Styler (escape="html"),
        # the caption by us (Styler puts it in the page as given). Subjects, SANs, file
        # names and server messages are attacker-chosen text, never markup.
        # Control and bidi-override characters are shown as escapes as in the terminal: a
        # U+202E in a file name would otherwise reverse what the reader sees. (Styler runs
        # the formatter on the already escaped text.)
        styled = style(frame, html.escape(visible(caption), quote=True) if caption else "")
        styled = styled.format(escape="html", na_rep="")
        text_columns = [c for c in frame.columns
                        if frame[c].dtype == object or isinstance(frame[c].dtype, StringDtype)]
        if text_columns:
            styled = styled.format(_visible_cell, subset=text_columns, escape="html",
                                   na_rep="")
        styled = styled.format_index(_visible_cell, escape="html", axis="columns")
        parts.append(styled.to_html())
    # Wide tables (a probe has 20 columns) scroll inside the cell instead of being clipped.
    return ('<div class="jupyter-mlssl-report" style="overflow-x: auto">'
            + "\n".join(parts) + "</div>")


def _visible_cell(value: Any) -> Any:
    return visible(value) if isinstance(value, str) else value


# -- text ----------------------------------------------------------------------------------
# Control characters shown as escapes in terminal text: C0 (tabs and newlines too: a table
# cell is one line), DEL, C1, and the bidirectional overrides that reorder what a reader
# sees (U+202E turns "gpj.exe" around). An ESC or OSC sequence from a certificate subject
# would otherwise retitle the terminal, recolour it or hide text. Lone surrogates too (a
# typed '\ud800' echoed back): UTF-8 cannot encode them, so stdout and the kernel's message
# to the browser would fail on the line meant to explain the error.
_INVISIBLE = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
              0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF,
              *range(0xD800, 0xE000)]
_VISIBLE = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _INVISIBLE}


def visible(text: object) -> str:
    """``text`` with every control / bidi-override character written as an escape (``\\x1b``,
    ``\\u202e``): safe to print in a terminal, and still one line."""
    return str(text).translate(_VISIBLE)


#: the longest a one-line message gets (a UsageError line, the CLI's stderr line). Not 300:
#: Azure messages quote whole ARM ids, in the fix too (`mlssl status <id>`), and the longest
#: of them run to ~470 characters; cutting those would cut the command to run.
LINE_LIMIT = 500
#: a single word (an echoed value, a path) longer than this is always shortened, so a line
#: that echoes a value is its message plus at most this much
WORD_LIMIT = 200
#: words are not shortened below this when fitting a line into LINE_LIMIT
WORD_FLOOR = 48


def _shorten(word: str, size: int) -> str:
    """``word`` in ``size`` characters: its head and (longer) tail around an ellipsis. The
    tail carries the most: a file's name, an ARM id's resource name."""
    if len(word) <= size:
        return word
    head = (size - 1) * 2 // 5
    return word[:head] + "…" + word[len(word) - (size - 1 - head):]


def one_line(text: object, limit: int = LINE_LIMIT) -> str:
    """One printable line of at most ``limit`` characters: whitespace runs collapse to a
    blank, control characters become escapes, and an over-long word (a 5 MB value echoed
    back, a deep path) keeps its head and tail around an ellipsis. When the line is still
    too long the longest words are shortened first, so the message's own words (what is at
    fault, the fix) survive; only then is the line itself cut in the middle."""
    text = str(text)
    if len(text) > 40 * limit:  # megabytes: only its ends can show, keep the work bounded
        text = f"{text[: 20 * limit]} … {text[-20 * limit:]}"
    words = [_shorten(visible(word), WORD_LIMIT) for word in text.split()]
    excess = sum(map(len, words)) + len(words) - 1 - limit
    for _ in range(8):  # the few longest words; a line of many words is cut below
        if excess <= 0:
            break
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        size = max(WORD_FLOOR, len(words[longest]) - excess)
        if size >= len(words[longest]):
            break
        excess -= len(words[longest]) - size
        words[longest] = _shorten(words[longest], size)
    line = " ".join(words)
    if len(line) > limit:
        # Keep the start (what is at fault) and the end (usually the fix).
        tail = limit // 3
        line = line[: limit - tail - 1] + "…" + line[-tail:]
    return line


def tables_to_text(tables: list[Table] | list[tuple[str, pd.DataFrame]]) -> str:
    """Aligned text tables, the way a terminal shows them; pure Python so that the CLI
    prints without importing pandas (0.2 s of a 0.3 s run). Frames are accepted too, for
    reports that only know ``to_frame``."""
    from jupyter_mlssl.reports.table import Table

    parts = []
    for item in tables:
        table = item if isinstance(item, Table) else Table.from_frame(*item)
        body = "(empty)" if not table.rows or not table.columns else _aligned(table)
        caption = visible(table.caption)
        parts.append(f"{caption}\n{body}" if caption else body)
    return "\n\n".join(parts)


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _is_number(value: Any) -> bool:
    # numpy bools register as neither bool nor Number; plain bools are Numbers: exclude both
    return isinstance(value, numbers.Number) and type(value).__name__ not in ("bool", "bool_")


def _number_text(value: Any) -> str:
    """Numbers as pandas prints them in a table: integers bare, floats with a sign blank and
    at most 6 decimals, trailing zeros dropped (at least one decimal kept)."""
    if isinstance(value, numbers.Integral):
        return str(value)
    text = f"{float(value): .6f}"
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    return text


def _aligned(table: Table) -> str:
    """Columns separated by one blank, headers left-aligned. Text columns read left to right
    (every message and URL starts at the same place); a column of numbers is right-aligned
    within itself, the block then left-aligned under its header. Missing cells are blank;
    trailing blanks are trimmed."""
    columns = []
    for index, name in enumerate(table.columns):
        values = [row[index] if index < len(row) else None for row in table.rows]
        header = visible(name)
        if all(_missing(v) or _is_number(v) for v in values):
            texts = ["" if _missing(v) else _number_text(v) for v in values]
            inner = max((len(t) for t in texts), default=0)
            texts = [t.rjust(inner) if t else "" for t in texts]
        else:
            texts = ["" if _missing(v) else visible(v) for v in values]
        width = max(len(header), *(len(t) for t in texts))
        columns.append([header.ljust(width), *(t.ljust(width) for t in texts)])
    return "\n".join(" ".join(cells).rstrip() for cells in zip(*columns, strict=True))
