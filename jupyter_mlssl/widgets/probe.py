"""The Probe tab: what a client really sees at the service's HTTPS address.

Left empty, the URL, the ``--resolve`` pins and the trust store come from the picked target
(the local target's names live in its own zone, so the probe needs its pins and its CA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.widgets.base import report_status, show
from jupyter_mlssl.widgets.dns import split_list

if TYPE_CHECKING:
    from jupyter_mlssl.widgets.base import PanelContext


class ProbeTab:
    def __init__(self, context: PanelContext) -> None:
        self.context = context
        self.urls = w.Textarea(description="URLs",
                               placeholder="one per line (empty: the target's scoring URI)")
        self.resolve = w.Text(description="Resolve", placeholder="HOST:PORT:ADDRESS, ...")
        self.ca_bundle = w.Text(description="CA bundle", value=context.ca_bundle or "",
                                placeholder="PEM file (empty: Mozilla's, via certifi)")
        self.probe_button = context.button("Probe", self.on_probe, style="primary",
                                           icon="lock")
        self.out = w.Output()
        self.widget = w.VBox([self.urls, self.resolve, self.ca_bundle, self.probe_button,
                              self.out])

    def fill_from_target(self) -> None:
        target = self.context.target()
        endpoint = target.endpoint(target.status())
        if not endpoint.url:
            from jupyter_mlssl.errors import InputError

            raise InputError(f"{target.id}: has no scoring URL yet; type the URL to probe")
        self.urls.value = endpoint.url
        if not self.resolve.value and endpoint.resolve:
            self.resolve.value = ", ".join(endpoint.resolve)
        if not self.ca_bundle.value and endpoint.ca_bundle:
            self.ca_bundle.value = endpoint.ca_bundle

    def on_probe(self, _button: Any = None) -> Any:
        report = None
        with self.context.busy("Probing"):
            if not self.urls.value.strip():
                self.fill_from_target()
            urls = [u.strip() for u in self.urls.value.splitlines() if u.strip()]
            kwargs: dict[str, Any] = {
                "ca_bundle": self.ca_bundle.value.strip() or None,
                "resolve": split_list(self.resolve.value),
            }
            if self.context.timeout is not None:
                kwargs["timeout"] = self.context.timeout
            if len(urls) == 1:
                from jupyter_mlssl.probing import probe

                report = probe(urls[0], **kwargs)
            else:
                from jupyter_mlssl.probing import probe_many

                report = probe_many(urls, **kwargs)
            show(self.out, report)
            self.context.say(*report_status(report, "probed"))
        return report
