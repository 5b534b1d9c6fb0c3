"""The Change tab: enable, update, renew or disable TLS on the picked target.

Nothing changes without a plan the user has seen: "Show plan" asks the target for one and
shows it; only then is "Apply" enabled, and any edit to the inputs (or another target)
disables it again, so what is applied is what was shown. Disabling shows its plan behind a
confirmation row; the click on "Yes, disable TLS" is the confirmation the CLI asks for.
The work itself is the shared workflow (plan -> apply -> wait -> verify -> record, rollback
on failure), exactly what ``%mlssl enable`` runs.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.widgets.base import FAILED, LABEL, field_layout, report_status, show

if TYPE_CHECKING:
    from jupyter_mlssl.targets.base import Plan, SslSettings, Target
    from jupyter_mlssl.widgets.base import PanelContext
    from jupyter_mlssl.widgets.certificate import CertificateTab

MICROSOFT, OWN, ACME = "microsoft", "own", "acme"


@dataclass
class Planned:
    """A plan the user has seen, and what it takes to apply exactly that."""

    target: Target
    desired: SslSettings
    plan: Plan

    @property
    def action(self) -> str:
        return self.plan.action


class ChangeTab:
    def __init__(self, context: PanelContext, certificate: CertificateTab) -> None:
        self.context = context
        self.certificate = certificate
        self.planned: Planned | None = None
        self._stand_in_ca: str | None = None
        self.mode = w.ToggleButtons(
            options=[("Microsoft-provided certificate", MICROSOFT), ("Own certificate", OWN),
                     ("Free certificate (ACME)", ACME)],
            value=OWN,
            # each button as wide as its label (the default fixed width cuts the first one)
            style={"button_width": "auto"},
        )
        self.leaf_label = w.Text(description="Leaf label",
                                 placeholder="Azure adds 6 characters and the region",
                                 style=LABEL, layout=field_layout(max_width="32em"))
        self.overwrite = w.Checkbox(description="Overwrite existing domain", indent=False)
        self.microsoft_box = w.HBox([self.leaf_label, self.overwrite],
                                    layout=w.Layout(flex_flow="row wrap"))
        self.own_summary = w.HTML()
        self.renew = w.Checkbox(description="Renew the certificate", indent=False)
        self.plan_button = context.button("Show plan", self.on_plan, icon="list")
        self.apply_button = context.button("Apply", self.on_apply, style="primary", icon="check",
                                           enabled_when=lambda: self._can_apply())
        self.disable_button = context.button("Disable TLS…", self.on_disable, style="danger",
                                             icon="unlock")
        self.confirm_text = w.HTML()
        self.confirm_button = context.button("Yes, disable TLS", self.on_disable_confirmed,
                                             style="danger",
                                             enabled_when=lambda: self._can_disable())
        self.cancel_button = context.button("Cancel", self.on_disable_cancelled)
        self.confirm_box = w.HBox([self.confirm_text, self.confirm_button, self.cancel_button],
                                  layout=w.Layout(display="none"))
        self.out = w.Output()
        from jupyter_mlssl.widgets.acme import AcmeBox

        self.acme = AcmeBox(context)
        self.widget = w.VBox([
            self.mode, self.microsoft_box, self.own_summary, self.acme.widget, self.renew,
            w.HBox([self.plan_button, self.apply_button, self.disable_button]),
            self.confirm_box, self.out,
        ])
        for widget in (self.mode, self.leaf_label, self.overwrite, self.renew,
                       context.picker, certificate.cname, *self.acme.inputs):
            widget.observe(self._inputs_changed, names="value")
        certificate.on_change.append(self._inputs_changed)
        self._inputs_changed()

    # -- state -----------------------------------------------------------------------------
    def _can_apply(self) -> bool:
        p = self.planned
        return p is not None and p.action != "disable" and not p.plan.blocked

    def _can_disable(self) -> bool:
        p = self.planned
        return p is not None and p.action == "disable" and not p.plan.blocked

    def _inputs_changed(self, change: Any = None) -> None:
        """Any edit invalidates the plan shown: apply only ever applies what was seen."""
        self.planned = None
        self.confirm_box.layout.display = "none"
        microsoft = self.mode.value == MICROSOFT
        self.microsoft_box.layout.display = "flex" if microsoft else "none"
        acme = self.mode.value == ACME
        self.own_summary.layout.display = "block" if self.mode.value == OWN else "none"
        self.acme.widget.layout.display = "flex" if acme else "none"
        self.renew.layout.display = "none" if acme else "flex"
        self.own_summary.value = (
            "From the Certificate tab: " + html.escape(self.certificate.material.describe())
            + (f" · CNAME {html.escape(self.certificate.cname_value)}"
               if self.certificate.cname_value else " · no CNAME given")
        )
        self.context.refresh_buttons()

    def desired(self, current: SslSettings, *, disable: bool = False) -> SslSettings:
        """The settings the inputs ask for (keys pass as bytes, never through a widget)."""
        from jupyter_mlssl.change.settings import settings_from_options

        if disable:
            return settings_from_options(disable=True, current=current)
        if self.mode.value == ACME:
            # The plan shows a stand-in certificate for the names: the real one is ordered
            # on Apply (the key is made then, and goes only to the target).
            from jupyter_mlssl.acme.renewal import stand_in

            desired, self._stand_in_ca = stand_in(
                self.acme.order(self.certificate.cname_value)["names"])
            return desired  # type: ignore[no-any-return]
        if self.mode.value == MICROSOFT:
            return settings_from_options(
                leaf_domain_label=self.leaf_label.value.strip() or None,
                overwrite_existing_domain=self.overwrite.value,
                renew=self.renew.value,
                current=current,
            )
        material = self.certificate.material
        password = self.certificate.take_password()
        if material.cert is None:
            from jupyter_mlssl.errors import InputError

            raise InputError("no certificate: upload one (and its key, or a PFX) in the "
                             "Certificate tab, or choose a Microsoft-provided certificate")
        # Load here, with the upload names, so a PFX (key inside) works like cert + key and
        # messages name the files the user picked; then the same validation as the CLI.
        from jupyter_mlssl.certificates import load_or_raise

        loaded = load_or_raise(
            material.cert,
            key=material.key.reveal() if material.key is not None else None,
            password=password.reveal() if password is not None else None,
            name=material.cert_name or None,
            key_name=material.key_name or None,
        )
        key = loaded.key_pem()
        if key is None:
            from jupyter_mlssl.errors import InputError

            raise InputError(f"{material.cert_name}: holds no private key; upload the key "
                             "in the Certificate tab (or a PFX that contains it)")
        return settings_from_options(
            cert=loaded.chain_pem().encode(),
            key=key.reveal(),
            cname=self.certificate.cname_value,
            renew=self.renew.value,
            current=current,
        )

    def _plan(self, *, disable: bool) -> Planned:
        target = self.context.target()
        current = target.status().ssl
        desired = self.desired(current, disable=disable)
        from jupyter_mlssl.change.workflow import plan_change

        # The same plan the workflow makes (with the certificate's inspection findings).
        acme = self.mode.value == ACME and not disable
        plan = plan_change(target, desired, ca_bundle=self._stand_in_ca if acme
                           else self.context.ca_bundle)
        show(self.out, plan)
        return Planned(target, desired, plan)

    # -- handlers --------------------------------------------------------------------------
    def on_plan(self, _button: Any = None) -> Plan | None:
        """Show what applying the inputs would change; enables Apply if nothing blocks it."""
        self._inputs_changed()
        with self.context.busy("Planning"):
            planned = self._plan(disable=False)
            self.planned = planned
            if planned.plan.blocked:
                self.context.say(*report_status(planned.plan, "plan"))
            else:
                self.context.say(f"✔ {planned.plan.summary()}: press Apply to go ahead")
        return self.planned.plan if self.planned else None

    def on_apply(self, _button: Any = None) -> Any:
        """Apply the plan shown, with progress in the status line."""
        planned, report = self.planned, None
        if planned is None:
            self.context.say("✖ show the plan first: nothing is applied unseen", FAILED)
            return None
        with self.context.busy(f"Applying ({planned.action})"):
            report = self._run(planned)
        return report

    def on_disable(self, _button: Any = None) -> Plan | None:
        """Show the plan for turning TLS off, behind a confirmation row."""
        self._inputs_changed()
        with self.context.busy("Planning to disable TLS"):
            planned = self._plan(disable=True)
            self.planned = planned
            if planned.plan.blocked:
                self.context.say(*report_status(planned.plan, "plan"))
            else:
                self.confirm_text.value = (
                    f"<b>Disable TLS on {html.escape(planned.target.id)}?</b> Clients will "
                    "reach the service over plain HTTP only. "
                )
                self.confirm_box.layout.display = "flex"
                self.context.say("Confirm to disable TLS, or cancel.")
        return self.planned.plan if self.planned else None

    def on_disable_confirmed(self, _button: Any = None) -> Any:
        planned, report = self.planned, None
        self.confirm_box.layout.display = "none"
        if planned is None or planned.action != "disable":
            self.context.say("✖ show the disable plan first", FAILED)
            return None
        with self.context.busy("Disabling TLS"):
            report = self._run(planned)
        return report

    def on_disable_cancelled(self, _button: Any = None) -> None:
        self._inputs_changed()
        self.out.clear_output()
        self.context.say("Nothing was changed.")

    def _run(self, planned: Planned) -> Any:
        from jupyter_mlssl.change.workflow import change

        self.planned = None  # a plan is applied once
        out = self.out

        def progress(message: str) -> None:
            self.context.progress(message)
            out.append_stdout(self.context.scrub(message) + "\n")

        out.clear_output()
        if self.mode.value == ACME and planned.action != "disable":
            return self._run_acme(planned, progress)
        report = change(
            planned.target, planned.desired, action=None, yes=True, confirm=None,
            verify=True, ca_bundle=self.context.ca_bundle, progress=progress,
        )
        out.append_display_data(report)
        self.context.say(*report_status(report, planned.action))
        return report

    def _run_acme(self, planned: Planned, progress: Any) -> Any:
        """Order the certificate (records by hand: shown, then Continue), then install it
        with the same workflow."""
        from jupyter_mlssl.acme.renewal import install_issued

        def install(issued: Any) -> Any:
            report = install_issued(planned.target, issued, order, action=None, yes=True,
                                    confirm=None, ca_bundle=self.context.ca_bundle,
                                    verify=True, progress=progress)
            self.out.append_display_data(report)
            self.context.say(*report_status(report, planned.action))
            return report

        order = self.acme.order(self.certificate.cname_value)
        report = self.acme.start(order, progress, install)
        if report is None:
            self.context.say("Publish the TXT records shown, then press Continue.")
        return report
