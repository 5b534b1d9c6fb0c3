"""The DNS tab: does the service's name resolve, and to the service?

Left empty, the fields are filled from the picked target (its name, its address and, for
the local target, the loopback nameserver that serves its zone), so one click answers
"is DNS pointing at my deployment?" (step 4 of the Azure article).

"Point NAME here" does that step: with a zone (an Azure DNS zone id, or ``local`` for the
local target) it shows the plan (the record before and after) first; the second button
applies it, then asks the zone's own nameservers (``change/dns_change.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.widgets.base import LABEL, field_layout, report_status, show

if TYPE_CHECKING:
    from jupyter_mlssl.widgets.base import PanelContext


def split_list(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.replace(",", " ").split() if part)


class DnsTab:
    def __init__(self, context: PanelContext) -> None:
        self.context = context
        self.name = w.Text(description="Name", placeholder="empty: the target's name",
                           style=LABEL, layout=field_layout())
        self.expect = w.Text(description="Expect", placeholder="address or name (optional)",
                             style=LABEL, layout=field_layout())
        self.nameservers = w.Text(description="Nameservers",
                                  placeholder="IP[:PORT], ... (empty: system resolver)",
                                  style=LABEL, layout=field_layout())
        self.check_button = context.button("Check DNS", self.on_check, style="primary",
                                           icon="globe")
        self.zone = w.Text(description="Zone", placeholder="Azure DNS zone id, or local",
                           style=LABEL, layout=field_layout())
        self.plan_button = context.button("Plan: point name here", self.on_plan, icon="list")
        self.point_button = context.button("Point name here", self.on_point,
                                           style="warning", icon="arrow-right")
        self.out = w.Output()
        self.widget = w.VBox([self.name, self.expect, self.nameservers, self.check_button,
                              self.zone, w.HBox([self.plan_button, self.point_button]),
                              self.out])

    def fill_from_target(self) -> None:
        target = self.context.target()
        endpoint = target.endpoint(target.status())
        if not endpoint.hostname:
            from jupyter_mlssl.errors import InputError

            raise InputError(f"{target.id}: has no DNS name yet; enable TLS with a CNAME or "
                             "leaf domain label first, or type a name")
        self.name.value = endpoint.hostname
        if not self.expect.value and endpoint.expected_address:
            self.expect.value = endpoint.expected_address
        if not self.nameservers.value and endpoint.nameservers:
            self.nameservers.value = ", ".join(endpoint.nameservers)

    def on_check(self, _button: Any = None) -> Any:
        report = None
        with self.context.busy("Checking DNS"):
            if not self.name.value.strip():
                self.fill_from_target()
            from jupyter_mlssl.dns import check_dns

            kwargs: dict[str, Any] = {}
            if self.context.timeout is not None:
                kwargs["timeout"] = self.context.timeout
            report = check_dns(
                self.name.value.strip(),
                expect=self.expect.value.strip() or None,
                nameservers=split_list(self.nameservers.value),
                **kwargs,
            )
            show(self.out, report)
            self.context.say(*report_status(report, "DNS checked"))
        return report

    # -- "point NAME here" (dns set) ------------------------------------------------------
    def _dns_args(self) -> dict[str, Any]:
        from jupyter_mlssl.errors import InputError

        zone = self.zone.value.strip()
        if not zone:
            raise InputError("give the zone: an Azure DNS zone id, or local for local targets")
        return {"zone": zone, "name": self.name.value.strip() or None}

    def on_plan(self, _button: Any = None) -> Any:
        plan = None
        with self.context.busy("Planning DNS"):
            from jupyter_mlssl.change.dns_change import plan_dns

            plan = plan_dns(self.context.target(), **self._dns_args())
            show(self.out, plan)
            self.context.say(*report_status(plan, "DNS planned: nothing changed yet"))
        return plan

    def on_point(self, _button: Any = None) -> Any:
        report = None
        with self.context.busy("Pointing DNS"):
            from jupyter_mlssl.change.dns_change import dns_set

            # the button is the confirmation: the plan is one click away and named on it
            report = dns_set(self.context.target(), yes=True, **self._dns_args())
            show(self.out, report)
            self.context.say(*report_status(report, f"DNS {report.outcome}"))
        return report
