"""Planning a change: the target's plan, with a custom certificate inspected first."""

from __future__ import annotations

from jupyter_mlssl.reports import Severity
from jupyter_mlssl.targets.base import Plan, SslSettings, Target


def plan_change(target: Target, desired: SslSettings, *,
                ca_bundle: str | None = None) -> Plan:
    """The target's plan, with a custom certificate's inspection findings added.

    Errors block the plan; warnings are shown. Inspection uses the user's ``ca_bundle`` (what
    clients trust) or the default store.
    """
    plan = target.plan(desired)
    if desired.status == "Enabled" and desired.cert_pem:
        from jupyter_mlssl.certificates import inspect

        report = inspect(
            desired.cert_pem.encode(),
            key=desired.key.reveal() if desired.key else None,
            cname=desired.cname, ca_bundle=ca_bundle,
            name="the certificate", key_name="the key",
        )
        plan.findings.extend(f for f in report.findings if f.severity != Severity.INFO)
    return plan


def attempted(plan: Plan) -> str:
    """What a change set out to do, for the history: its summary and the fields it changes."""
    fields = ", ".join(dict.fromkeys(item.field for item in plan.changes))
    return plan.summary().removeprefix("plan: ") + (f" ({fields})" if fields else "")


def blocked_message(plan: Plan) -> str:
    errors = [f for f in plan.findings if f.severity == Severity.ERROR]
    first = errors[0]
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"nothing applied: {first.code}: {first.message}{more}"
