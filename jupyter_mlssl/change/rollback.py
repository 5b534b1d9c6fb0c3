"""Rolling a change back after its verification failed, and verifying the restored settings."""

from __future__ import annotations

from jupyter_mlssl.change.record import finish
from jupyter_mlssl.change.report import ChangeReport, Progress
from jupyter_mlssl.change.verify import verify
from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.targets.base import Plan, Target, TargetStatus


def roll_back(target: Target, plan: Plan, report: ChangeReport, before: TargetStatus,
              after: TargetStatus, say: Progress, ca_bundle: str | None,
              timeout: float | None) -> ChangeReport:
    """Restore the settings ``plan`` replaced, verify them, and record both verdicts."""
    assert report.verification is not None
    why = report.verification.summary()
    say(f"verification failed ({why}); restoring the previous settings")
    try:
        restored = target.rollback(plan, say).wait(timeout)
    except MlsslError as exc:
        return finish(report, "failed",
                      f"verification failed ({why}) and the rollback failed too: {exc}",
                      before=before, after=after)
    report.after = restored
    report.rollback_verification = verify(target, restored, ca_bundle=ca_bundle)
    again = ("the endpoint verifies again" if report.rollback_verification.passed
             else "but it does not verify either: " + report.rollback_verification.summary())
    return finish(report, "rolled_back",
                  f"verification failed ({why}); previous settings restored, {again}",
                  before=before, after=restored)
