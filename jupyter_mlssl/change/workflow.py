"""One way to change TLS on any target: plan -> confirm -> apply -> wait -> verify -> record.

Every face (CLI, magics, panel) and every target (local, Azure) goes through :func:`change`:

1. **plan**: the target's diff of current and desired settings; a custom certificate is
   inspected first (``certificates.inspect`` with its key and cname), and any error-severity
   finding blocks the plan: nothing is applied.
2. **confirm**: turning TLS off needs ``yes`` or a ``confirm`` callback that says yes;
   without either, :class:`ConfirmationRequired`. ``dry_run`` stops after the plan.
3. **apply** under the target's lock, then **wait** for the operation. If another process
   changed the target since the plan was made, an unconfirmed plan is made again under the
   lock; a confirmed one is refused (the user approved something else).
4. **verify** the endpoint as the new settings should make it answer: DNS (the name points
   at the service) and a probe (TLS with a trusted, matching, unexpired certificate, and it
   is the new certificate). For a disable: no TLS on the HTTPS port any more, and the plain
   HTTP scoring URI still answers.
5. On a failed verification, **roll back** (``target.rollback``), verify again, and report
   both. Every attempt but a dry run is **recorded** in the history.

Trust for the probe: the target's own bundle (the local CA for ``local://`` Auto names) plus
the ``ca_bundle`` the user gives; with neither, the default store (SSL_CERT_FILE or certifi).
"""

from __future__ import annotations

from collections.abc import Callable

from jupyter_mlssl.change.apply import apply_and_verify
from jupyter_mlssl.change.plan import attempted, blocked_message, plan_change
from jupyter_mlssl.change.record import finish
from jupyter_mlssl.change.report import (
    GOOD_OUTCOMES,
    ChangeReport,
    Check,
    Outcome,
    Progress,
    Verification,
)
from jupyter_mlssl.change.verify import verify
from jupyter_mlssl.errors import ConfirmationRequired, OperationError
from jupyter_mlssl.store import history
from jupyter_mlssl.targets.base import Plan, SslSettings, Target, TargetStatus

__all__ = ["GOOD_OUTCOMES", "ChangeReport", "Check", "Outcome", "Verification", "change",
           "plan_change", "verify"]


def change(
    target: Target,
    desired: SslSettings,
    *,
    action: str | None = None,
    dry_run: bool = False,
    yes: bool = False,
    confirm: Callable[[str], bool] | None = None,
    verify: bool = True,
    ca_bundle: str | None = None,
    progress: Progress | None = None,
    timeout: float | None = None,
) -> ChangeReport:
    """Plan, confirm, apply, verify and record one change of ``target``'s TLS settings.

    ``action`` names the change for history and messages (default: the plan's). ``timeout``
    bounds the wait for the target's operation (None: the target's own default).
    """
    say = progress or (lambda message: None)
    history.reconcile()  # a change cut short by a killed process is recorded first
    say(f"planning: {target.id}")
    plan = plan_change(target, desired, ca_bundle=ca_bundle)
    name = "renew" if desired.renew else (action or plan.action)
    report = ChangeReport(target=target.id, action=name, plan=plan, outcome="dry_run")

    if plan.blocked:
        return finish(report, "blocked", blocked_message(plan), before=None)
    if dry_run:
        report.message = "dry run: nothing was changed"
        return report
    if plan.empty:
        report.outcome, report.message = "unchanged", "nothing to change"
        return report

    confirmed = plan.requires_confirmation and not yes
    if confirmed and not _ask(target, plan, name, confirm):
        return finish(report, "refused", "not confirmed; nothing was changed", before=None)

    try:
        with target.lock():
            before = target.status()
            if before.ssl != plan.current:  # changed since the plan was made
                if confirmed:
                    return finish(report, "refused",
                                  f"{target.id} changed while you were asked; nothing was "
                                  "changed: run the command again", before=before)
                say(f"{target.id} changed since the plan was made; planning again")
                plan = report.plan = plan_change(target, desired, ca_bundle=ca_bundle)
                if plan.blocked:
                    return finish(report, "blocked", blocked_message(plan), before=before)
                if plan.empty:
                    report.outcome, report.message = "unchanged", "nothing to change"
                    return report
            return _record_and_apply(target, plan, report, before, say, verify, ca_bundle,
                                     timeout)
    except OperationError as exc:  # busy, or the target refused: recorded, then raised
        if not report.recorded:
            finish(report, "failed", str(exc), before=None)
        raise


def _ask(target: Target, plan: Plan, name: str, confirm: Callable[[str], bool] | None) -> bool:
    """Ask before a change that cuts clients off; without a way to ask, refuse with a hint."""
    if plan.desired.tls_on:  # e.g. the ML extension: one change reaches every endpoint
        question = (f"{name} TLS on {target.id}? Live endpoints served through it are "
                    "affected while it changes.")
    else:
        question = (f"{name} TLS on {target.id}? HTTPS clients will fail; the plain-HTTP "
                    "scoring URI stays.")
    if confirm is None:
        raise ConfirmationRequired(f"{question} Add --yes to confirm.")
    return bool(confirm(question))


def _record_and_apply(target: Target, plan: Plan, report: ChangeReport, before: TargetStatus,
                      say: Progress, verify: bool, ca_bundle: str | None,
                      timeout: float | None) -> ChangeReport:
    # Recorded before anything is touched: a process killed from here on leaves a
    # "started" row, which the next command marks "interrupted" (history.reconcile).
    report.attempt = history.start(
        target=report.target, action=report.action,
        before_status=before.ssl.status,
        before_fingerprint=before.certificate_fingerprint,
        before_not_after=before.certificate_not_after,
        message=f"started: {attempted(plan)}",
    )
    try:
        return apply_and_verify(target, plan, report, before, say, verify, ca_bundle, timeout)
    except BaseException as exc:  # Ctrl-C in a kernel, or a bug: not left "started"
        if not report.recorded and not isinstance(exc, OperationError):
            finish(report, "interrupted",
                   f"interrupted ({type(exc).__name__}) while applying: {attempted(plan)}",
                   before=before)
        raise
