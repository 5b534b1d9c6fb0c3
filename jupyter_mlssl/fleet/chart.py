"""The picture: every certificate's validity as a bar on a time axis.

Why altair (Vega-Lite): its charts are a JSON spec rendered by the ``vega`` mime renderer
that JupyterLab and Notebook 7 ship built in, with no internet and no kernel round-trip;
Voila renders the same mime bundle through its own bundled renderer; the spec can be saved
(``chart.save("fleet.html")``) for a report. It is imported only when a chart is drawn, so
``%load_ext jupyter_mlssl`` stays fast.

Why the spec is offered as Vega-Lite v5: JupyterLab 4, Notebook 7 and Voila 0.5 bundle a
renderer for the ``application/vnd.vegalite.v3/v4/v5+json`` mime types only (measured in
their static bundles); altair 6 writes v6 specs, and with no v6 renderer its default falls
back to HTML that loads vega from a CDN, which fails offline. The marks and encodings used
here mean the same in v5 and v6, so :class:`FleetChart` offers the spec under the v5 mime
type, and keeps the altair chart (``.chart``) for saving or further layering.

What is drawn: a bar from notBefore to notAfter per certificate (coloured by the row's
verdict), a tick at its renewal-due point, a rule for today, and the CA/Browser Forum's
ballot SC-081 maximum lifetimes as reference lines (200 days from 15 March 2026, 100 days
from 15 March 2027, 47 days from 15 March 2029) measured from today: a certificate issued
today may not outlive them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jupyter_mlssl.fleet.rows import VERDICTS, FleetRow

COLOURS = {"expired": "#b2182b", "failing": "#d6604d", "error": "#762a83", "due": "#f4a582",
           "plain_http": "#878787", "pending": "#c2a5cf", "unknown": "#92c5de",
           "ok": "#4393c3"}
#: SC-081: (from this date on, the maximum validity in days)
SC081 = ((dt.date(2026, 3, 15), 200), (dt.date(2027, 3, 15), 100), (dt.date(2029, 3, 15), 47))


def sc081_lines(now: dt.datetime) -> list[dict[str, Any]]:
    """Where each SC-081 limit ends for a certificate issued today."""
    return [{"limit": f"SC-081: {days} days (from {since:%d %b %Y})",
             "at": (now + dt.timedelta(days=days)).isoformat()} for since, days in SC081]


def chart_data(rows: list[FleetRow], now: dt.datetime) -> list[dict[str, Any]]:
    """One bar per row whose certificate dates are known (rows without dates are left out)."""
    out = []
    for row in rows:
        if row.not_after is None:
            continue
        start = row.not_before or row.not_after - dt.timedelta(days=90)
        out.append({
            "target": row.target, "endpoint": f"{row.name} ({row.kind})",
            "start": start.isoformat(), "end": row.not_after.isoformat(),
            "due": row.renewal_due.isoformat() if row.renewal_due else None,
            "verdict": row.verdict, "days_left": row.days_left,
            "start_known": row.not_before is not None,
        })
    return out


MIME = "application/vnd.vegalite.v5+json"
V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


class FleetChart:
    """The picture: displays natively in JupyterLab, Notebook 7 and Voila (see above)."""

    def __init__(self, chart: Any, count: int) -> None:
        self.chart = chart
        self.count = count

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.chart.to_dict()
        spec["$schema"] = V5_SCHEMA
        return spec

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME: self.to_dict(), "text/plain": repr(self)}

    def save(self, path: str) -> None:
        """An HTML (or JSON) file of the picture (altair's ``save``)."""
        self.chart.save(path)

    def __repr__(self) -> str:
        return f"<fleet validity chart: {self.count} certificates>"


def plot(rows: list[FleetRow], now: dt.datetime) -> FleetChart:
    try:
        import altair as alt
    except ImportError:
        raise ImportError("the fleet's picture needs altair: pip install"
                          " 'jupyter-mlssl[fleet]'") from None

    data = chart_data(rows, now)
    order = [d["endpoint"] for d in data]  # rows come worst first: keep that order
    y = alt.Y("endpoint:N", sort=order, title=None)
    colour = alt.Color("verdict:N", title="verdict",
                       scale=alt.Scale(domain=list(VERDICTS),
                                       range=[COLOURS[v] for v in VERDICTS]))
    base = alt.Chart(alt.Data(values=data))
    bars = base.mark_bar(height=10).encode(
        x=alt.X("start:T", title="validity"), x2="end:T", y=y, color=colour,
        tooltip=["target:N", "verdict:N", "start:T", "end:T", "due:T", "days_left:Q"],
    )
    due = base.transform_filter("datum.due != null").mark_tick(
        color="black", thickness=2, size=14).encode(x="due:T", y=y, tooltip=["due:T"])
    today = alt.Chart(alt.Data(values=[{"at": now.isoformat(), "what": "today"}])).mark_rule(
        color="black", strokeWidth=2).encode(x="at:T", tooltip=["what:N", "at:T"])
    limits = alt.Chart(alt.Data(values=sc081_lines(now))).mark_rule(
        strokeDash=[4, 4], color="#555").encode(x="at:T", tooltip=["limit:N", "at:T"])
    height = max(60, 18 * len(data))
    chart = (bars + due + today + limits).properties(
        width=640, height=height, title="Certificate validity (tick: renewal due)")
    return FleetChart(chart, len(data))
