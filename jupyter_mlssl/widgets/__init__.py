"""The widget panel: ``jupyter_mlssl.panel()`` or ``%mlssl panel [TARGET]``.

A plain class that owns its widgets (a VBox: target picker, sign-in box, status of the
target, tabs, one status line). Each tab is its own small class with named handler methods
(``panel.certificate.on_inspect()``, ``panel.change.on_apply()``, ...) that tests and
scripts call directly; buttons call the same methods.

Nothing a widget holds (``get_state()``, hence nothing saved in the notebook) ever contains
key material: see :mod:`jupyter_mlssl.widgets.certificate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ipywidgets as w

from jupyter_mlssl.secrets import Scrubber
from jupyter_mlssl.widgets.base import PanelContext, report_status, show
from jupyter_mlssl.widgets.certificate import CertificateTab
from jupyter_mlssl.widgets.change import ChangeTab
from jupyter_mlssl.widgets.dns import DnsTab
from jupyter_mlssl.widgets.fleet import FleetTab
from jupyter_mlssl.widgets.history import HistoryTab
from jupyter_mlssl.widgets.probe import ProbeTab
from jupyter_mlssl.widgets.signin import SignIn

__all__ = ["Panel", "reachable_widgets"]

TITLES = ("Certificate", "Change", "DNS", "Probe", "History", "Fleet")


class Panel:
    """Check, change and verify TLS on a deployed model, by clicking."""

    def __init__(self, target: str | None = None, *,
                 targets: list[str] | tuple[str, ...] | None = None,
                 ca_bundle: str | None = None, credential: Any = None,
                 arm_endpoint: str | None = None, timeout: float | None = None) -> None:
        # What is not given comes from `%config MlsslMagic.*` when the magic is loaded, so
        # `jupyter_mlssl.panel()` and `%mlssl panel` agree.
        config = magic_defaults()
        self.signin = SignIn()
        self.context = PanelContext(
            target=target or config.get("target"),
            targets=list(targets if targets is not None else config.get("targets") or ()),
            ca_bundle=ca_bundle or config.get("ca_bundle"),
            credential=credential or config.get("credential") or "default",
            arm_endpoint=arm_endpoint or config.get("arm_endpoint"),
            timeout=timeout if timeout is not None else config.get("timeout"),
            signin=self.signin, scrub=self._scrub,
        )
        self.certificate = CertificateTab(self.context)
        self.change = ChangeTab(self.context, self.certificate)
        self.dns = DnsTab(self.context)
        self.probe = ProbeTab(self.context)
        self.history = HistoryTab(self.context)
        self.fleet = FleetTab(self.context, opened=self._open_from_fleet)
        self.status_button = self.context.button("Status", self.on_status, icon="refresh")
        self.target_out = w.Output()
        self.tabs = w.Tab(
            children=[self.certificate.widget, self.change.widget, self.dns.widget,
                      self.probe.widget, self.history.widget, self.fleet.widget],
            titles=TITLES,
        )
        self.widget = w.VBox([
            w.HBox([self.context.picker, self.status_button]),
            self.signin.box,
            self.target_out,
            self.tabs,
            self.context.status,
        ])

    @property
    def status(self) -> w.HTML:
        """The one status line (errors land here, escaped)."""
        return self.context.status

    @property
    def picker(self) -> w.Combobox:
        return self.context.picker

    def _scrub(self, text: object) -> str:
        password = self.certificate.material.password if hasattr(self, "certificate") else None
        typed = self.certificate.password.value if hasattr(self, "certificate") else ""
        return Scrubber([password.reveal_text() if password else "", typed])(text)

    def on_status(self, _button: Any = None) -> Any:
        """Show the picked target's TLS status, name, address and certificate expiry."""
        report = None
        with self.context.busy("Reading the target's status"):
            self.context.refresh_targets()
            report = self.context.target().status()
            show(self.target_out, report)
            self.context.say(*report_status(report, "status"))
        return report

    def _open_from_fleet(self, target: str) -> None:
        """A row of the Fleet view picked: show that target, on the Certificate tab."""
        self.tabs.selected_index = 0
        self.on_status()

    def widgets(self) -> Iterator[w.Widget]:
        return reachable_widgets(self.widget)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<jupyter_mlssl Panel target={self.context.target_id or '(none)'}>"


def magic_defaults() -> dict[str, Any]:
    """The loaded ``MlsslMagic``'s settings, or nothing outside IPython / before %load_ext."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    magic = shell.magics_manager.registry.get("MlsslMagic") if shell is not None else None
    return magic.defaults() if magic is not None else {}


def reachable_widgets(root: w.Widget) -> Iterator[w.Widget]:
    """Every widget reachable from ``root`` through its traits (children, layout, style...)."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        if not isinstance(item, w.Widget) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        for name in item.keys:
            stack.append(getattr(item, name, None))
