"""The Change tab's "Free certificate (ACME)": where the TXT records go, which CA, and, for
records published by hand, the records to publish and a Continue button.

The widgets hold names only: the EAB HMAC key is read from the environment variable whose
NAME is typed here, and the certificate's key stays in the pending order (a ``Secret``),
never in widget state.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from jupyter_mlssl.widgets.base import LABEL, field_layout


class AcmeBox:
    def __init__(self, context: Any) -> None:
        self.context = context
        self.dns = w.Text(description="TXT records in", value="",
                          placeholder="local://NAME, manual, or an Azure DNS zone id",
                          style=LABEL, layout=field_layout(max_width="48em"))
        self.directory = w.Text(description="ACME CA", value="letsencrypt",
                                placeholder="letsencrypt, letsencrypt-staging, zerossl, "
                                "google or a directory URL",
                                style=LABEL, layout=field_layout(max_width="48em"))
        self.sans = w.Text(description="More names", placeholder="comma-separated (optional)",
                           style=LABEL, layout=field_layout(max_width="48em"))
        self.email = w.Text(description="Email", placeholder="optional", style=LABEL,
                            layout=field_layout(max_width="32em"))
        self.eab_kid = w.Text(description="EAB key id", placeholder="ZeroSSL, Google: from "
                              "the CA's console", style=LABEL,
                              layout=field_layout(max_width="32em"))
        self.eab_env = w.Text(description="EAB HMAC var", placeholder="NAME of the "
                              "environment variable holding the HMAC key", style=LABEL,
                              layout=field_layout(max_width="32em"))
        self.ca_bundle = w.Text(description="CA's trust", placeholder="trust store for an "
                                "internal ACME server (optional)", style=LABEL,
                                layout=field_layout(max_width="48em"))
        self.records = w.HTML()
        self.pending: Any = None
        self._after: Callable[[Any], Any] | None = None
        self.continue_button = context.button("Continue", self.on_continue, style="primary",
                                              icon="play",
                                              enabled_when=lambda: self.pending is not None)
        self.cancel_button = context.button("Cancel order", self.on_cancel,
                                            enabled_when=lambda: self.pending is not None)
        self.manual_box = w.VBox([self.records,
                                  w.HBox([self.continue_button, self.cancel_button])],
                                 layout=w.Layout(display="none"))
        self.widget = w.VBox([self.dns, self.directory, self.sans, self.email, self.eab_kid,
                              self.eab_env, self.ca_bundle, self.manual_box])
        self.inputs = [self.dns, self.directory, self.sans, self.email, self.eab_kid,
                       self.eab_env, self.ca_bundle]

    def order(self, cname: str | None) -> dict[str, Any]:
        """The order's settings (``renewal.enable_with_acme``'s ``order``)."""
        from jupyter_mlssl.acme.directories import directory_url
        from jupyter_mlssl.errors import InputError

        if not cname:
            raise InputError("a free certificate needs the DNS name: give the CNAME in the "
                             "Certificate tab")
        dns = self.dns.value.strip()
        if not dns:
            raise InputError("say where the _acme-challenge TXT records go: local://NAME, "
                             "manual, or an Azure DNS zone id")
        zone = dns if dns.lower().startswith("/subscriptions/") else None
        return {
            "names": [cname, *[n.strip() for n in self.sans.value.split(",") if n.strip()]],
            "dns": None if zone else dns, "dns_zone": zone,
            "directory": directory_url(self.directory.value.strip() or None),
            "email": self.email.value.strip() or None,
            "eab_kid": self.eab_kid.value.strip() or None,
            "eab_hmac_env": self.eab_env.value.strip() or None,
            "acme_ca_bundle": self.ca_bundle.value.strip() or None,
        }

    def start(self, order: dict[str, Any], progress: Callable[[str], None],
              after: Callable[[Any], Any]) -> Any:
        """Place the order. Records published by us: finish now and return ``after(issued)``.
        Published by hand: show them with Continue, and return None."""
        from jupyter_mlssl.acme.issue import complete
        from jupyter_mlssl.acme.renewal import begin_order, publisher_for

        shown: list[tuple[str, str, str]] = []
        publisher = publisher_for(order["dns"], order["dns_zone"],
                                  ask=lambda action, name, value: shown.append(
                                      (action, name, value)),
                                  credential=self.context.credential,
                                  arm_endpoint=self.context.arm_endpoint,
                                  names=order["names"])
        self.abandon()
        pending = begin_order(order, publisher, environ=os.environ, progress=progress)
        if order["dns"] != "manual":
            return after(complete(pending, progress=progress))
        self.pending, self._after = pending, after
        rows = "".join(f"<tr><td><code>{html.escape(name)}.</code></td><td>60</td><td>TXT"
                       f"</td><td><code>\"{html.escape(value)}\"</code></td></tr>"
                       for action, name, value in shown if action == "add")
        self.records.value = ("<b>Publish these DNS records, then press Continue:</b>"
                              f"<table>{rows}</table>")
        self.manual_box.layout.display = "flex"
        self.context.refresh_buttons()
        return None

    def on_continue(self, _button: Any = None) -> Any:
        from jupyter_mlssl.acme.issue import complete

        pending, after = self.pending, self._after
        if pending is None or after is None:
            return None
        self.pending, self._after = None, None
        self.manual_box.layout.display = "none"
        report = None
        with self.context.busy("Validating and installing the free certificate"):
            report = after(complete(pending, progress=self.context.progress))
        return report

    def on_cancel(self, _button: Any = None) -> None:
        self.abandon()
        self.context.say("The order was cancelled; nothing was changed.")

    def abandon(self) -> None:
        from jupyter_mlssl.acme.issue import abandon

        if self.pending is not None:
            abandon(self.pending)
        self.pending, self._after = None, None
        self.manual_box.layout.display = "none"
        self.records.value = ""
        self.context.refresh_buttons()
