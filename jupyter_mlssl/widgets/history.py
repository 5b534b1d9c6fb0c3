"""The History tab: every change attempted on the picked target, newest first.

History is the local audit log (SQLite), so reading it needs no sign-in and no network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.widgets.base import LABEL, show

if TYPE_CHECKING:
    from jupyter_mlssl.widgets.base import PanelContext


class HistoryTab:
    def __init__(self, context: PanelContext) -> None:
        self.context = context
        self.limit = w.BoundedIntText(value=50, min=1, max=10_000, description="Last", style=LABEL)
        self.refresh_button = context.button("Refresh", self.on_refresh, icon="history")
        self.out = w.Output()
        self.widget = w.VBox([w.HBox([self.limit, self.refresh_button]), self.out])

    def on_refresh(self, _button: Any = None) -> Any:
        report = None
        with self.context.busy("Reading history"):
            from jupyter_mlssl.store.history import entries

            report = entries(self.context.target_id or None, limit=self.limit.value)
            show(self.out, report)
            self.context.say(f"History of {self.context.target_id or 'all targets'}: "
                             f"{report.summary()}")
        return report
