"""The Fleet view: every endpoint's TLS in one table, the validity picture, and a list whose
rows open a target in the other tabs.

Azure needs a sign-in (the panel's credential); local targets need none. The picture is
drawn with altair only when this view runs an inventory (the ``fleet`` extra): without it the
table still shows, and the status line says what to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.widgets.base import LABEL, show

if TYPE_CHECKING:
    from collections.abc import Callable

    from jupyter_mlssl.widgets.base import PanelContext


class FleetTab:
    def __init__(self, context: PanelContext, opened: Callable[[str], None] | None = None) -> None:
        self.context = context
        self.opened = opened
        self.azure = w.Checkbox(value=False, description="Azure (Resource Graph)",
                                style=LABEL, indent=False)
        self.local = w.Checkbox(value=True, description="Local targets", indent=False)
        self.probe = w.Checkbox(value=True, description="Probe each endpoint", indent=False)
        self.subscriptions = w.Text(description="Subscriptions", style=LABEL,
                                    placeholder="all readable (comma-separated ids to narrow)")
        self.run_button = context.button("Inventory", self.on_run, icon="list")
        self.rows = w.Select(options=[], rows=8, description="Open",
                             layout=w.Layout(width="100%"), style=LABEL)
        self.rows.observe(self.on_pick, names="value")
        self.table_out = w.Output()
        self.chart_out = w.Output()
        self.report: Any = None
        self.widget = w.VBox([
            w.HBox([self.azure, self.local, self.probe]),
            self.subscriptions,
            self.run_button,
            self.rows,
            self.chart_out,
            self.table_out,
        ])

    def on_run(self, _button: Any = None) -> Any:
        report = None
        with self.context.busy("Taking the fleet's inventory"):
            from jupyter_mlssl.fleet import fleet

            credential = None
            if self.azure.value:
                credential = self.context.signin.credential(self.context.credential,
                                                            self.context.arm_endpoint)
            subs = [s.strip() for s in self.subscriptions.value.split(",") if s.strip()]
            report = fleet(subscriptions=subs, local=self.local.value,
                           azure=bool(self.azure.value), probe=self.probe.value,
                           credential=credential, arm_endpoint=self.context.arm_endpoint,
                           ca_bundle=self.context.ca_bundle,
                           probe_timeout=self.context.timeout or 5.0)
            self.show(report)
        return report

    def show(self, report: Any) -> None:
        self.report = report
        self.rows.unobserve(self.on_pick, names="value")
        try:
            self.rows.options = [(f"{row.verdict:<10} {row.target}", row.target)
                                 for row in report.rows]
            self.rows.value = None
        finally:
            self.rows.observe(self.on_pick, names="value")
        show(self.table_out, report)
        try:
            chart = report.plot()
        except ImportError:
            show(self.chart_out)
            self.context.say(f"{report.summary()} (install jupyter-mlssl[fleet] for the"
                             " picture)")
            return
        show(self.chart_out, chart)
        self.context.say(f"✔ {report.summary()}")

    def on_pick(self, change: dict[str, Any]) -> None:
        """A row picked: that target becomes the panel's target (the other tabs act on it)."""
        target = change.get("new")
        row = next((r for r in getattr(self.report, "rows", []) if r.target == target), None)
        if row is None or row.kind == "workspace":
            return  # a workspace's error row names no target to open
        self.context.picker.value = str(target)
        if self.opened is not None:
            self.opened(str(target))
