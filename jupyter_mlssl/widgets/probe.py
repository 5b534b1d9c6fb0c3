"""The Probe tab: what a client really sees at the service's HTTPS address.

Left empty, the URL, the ``--resolve`` pins and the trust store come from the picked target
(the local target's names live in its own zone, so the probe needs its pins and its CA).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.widgets.base import FAILED, LABEL, OK, field_layout, report_status, show
from jupyter_mlssl.widgets.dns import split_list

if TYPE_CHECKING:
    from jupyter_mlssl.widgets.base import PanelContext


class ProbeTab:
    def __init__(self, context: PanelContext) -> None:
        self.context = context
        self.urls = w.Textarea(description="URLs",
                               placeholder="one per line (empty: the target's scoring URI)",
                               style=LABEL, layout=field_layout(max_width="60em"))
        # Pins and bundle paths run to 60+ characters (a local CA under the state directory)
        self.resolve = w.Text(description="Resolve", placeholder="HOST:PORT:ADDRESS, ...",
                              style=LABEL, layout=field_layout(max_width="60em"))
        self.ca_bundle = w.Text(description="CA bundle", value=context.ca_bundle or "",
                                placeholder="PEM file (empty: Mozilla's, via certifi)",
                                style=LABEL, layout=field_layout(max_width="60em"))
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
            if len(report.results) == 1:
                # One endpoint: the verdict first, as a card; the full table stays below.
                from IPython.display import HTML

                show(self.out, HTML(summary_card(report.results[0])), report)
            else:
                show(self.out, report)
            self.context.say(*report_status(report, "probed"))
        return report


#: What "trusted" / "hostname_ok" say, for people.
_YES_NO = {True: "yes", False: "no", None: "not checked"}


def summary_card(result: Any) -> str:
    """One endpoint's probe as a card: verdict, trust, hostname, days left, protocol, HTTP
    status. Every value is HTML-escaped (they come from the server and the URL)."""

    def esc(value: object) -> str:
        return html.escape("—" if value is None or value == "" else str(value), quote=True)

    ok = result.verdict == "ok"
    colour = OK if ok else FAILED
    why = result.error or (result.problems[0] if result.problems else "")
    days = result.days_left
    expires = f"{days} ({result.not_after:%Y-%m-%d})" if days is not None and (
        result.not_after) else days
    rows = [
        ("Trusted", _YES_NO.get(result.trusted, result.trusted)),
        ("Hostname", f"{result.host}: " + ("matches" if result.hostname_ok else
                                           "does not match" if result.hostname_ok is False
                                           else "not checked")),
        ("Days left", expires),
        ("Protocol", result.protocol),
        ("HTTP status", result.http_status),
    ]
    cells = "".join(
        f'<div style="color: #555">{esc(label)}</div><div><b>{esc(value)}</b></div>'
        for label, value in rows
    )
    return (
        f'<div class="mlssl-probe-card" style="border: 2px solid {colour}; border-radius: 6px;'
        ' padding: 8px 12px; margin: 4px 0 8px; max-width: 40em">'
        f'<div style="font-size: 1.15em; color: {colour}"><b>'
        f'{"✔" if ok else "✖"} {esc(result.verdict)}</b>'
        f' <span style="color: #555; font-size: 0.85em">{esc(result.url)}</span></div>'
        + (f'<div style="color: {colour}">{esc(why)}</div>' if why else "")
        + '<div style="display: grid; grid-template-columns: max-content auto;'
        f' gap: 2px 12px; margin-top: 6px">{cells}</div></div>'
    )
