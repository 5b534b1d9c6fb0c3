"""Applying a plan and checking it took: apply, wait, verify; on a failed verification, roll
back (``change/rollback.py``)."""

from __future__ import annotations

from jupyter_mlssl.change.record import finish
from jupyter_mlssl.change.report import ChangeReport, Progress
from jupyter_mlssl.change.rollback import roll_back
from jupyter_mlssl.change.verify import verify
from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.targets.base import Plan, Target, TargetStatus


def apply_and_verify(target: Target, plan: Plan, report: ChangeReport, before: TargetStatus,
                     say: Progress, verify_after: bool, ca_bundle: str | None,
                     timeout: float | None) -> ChangeReport:
    say(f"applying: {plan.summary()}")
    try:
        after = target.apply(plan, say).wait(timeout)
    except MlsslError as exc:
        try:
            now: TargetStatus | None = target.status()
        except MlsslError:
            now = None
        return finish(report, "failed", str(exc), before=before, after=now)
    report.after = after
    if not verify_after:
        return finish(report, "applied", "applied; verification skipped (--no-verify)",
                      before=before, after=after)

    say("verifying: DNS and a probe of the endpoint")
    report.verification = verify(target, after, ca_bundle=ca_bundle)
    if report.verification.passed:
        return finish(report, "applied", "applied and verified", before=before, after=after)

    return roll_back(target, plan, report, before, after, say, ca_bundle, timeout)
