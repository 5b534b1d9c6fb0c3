"""Recording a change's outcome in the history (the SQLite audit log)."""

from __future__ import annotations

from typing import Any

from jupyter_mlssl.change.report import ChangeReport, Outcome, verdict_word
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.store import history
from jupyter_mlssl.targets.base import TargetStatus


def finish(report: ChangeReport, outcome: Outcome, message: str, *,
           before: TargetStatus | None, after: TargetStatus | None = None) -> ChangeReport:
    report.outcome = outcome
    report.message = message
    if after is not None:
        report.after = after
    report.before = before
    report.recorded = True
    # an interrupted change leaves the target in a state nobody looked at: no "after"
    final = None if outcome == "interrupted" else after if after is not None else before
    verification = verdict_word(report.verification)
    if report.rollback_verification is not None:
        verification += "; after rollback " + verdict_word(report.rollback_verification)
    if outcome in ("blocked", "refused", "interrupted"):
        verification = "not run"
    columns: dict[str, Any] = dict(
        outcome=outcome,
        before_status=before.ssl.status if before else report.plan.current.status,
        before_fingerprint=before.certificate_fingerprint if before else None,
        before_not_after=before.certificate_not_after if before else None,
        after_status=final.ssl.status if final else None,
        after_fingerprint=final.certificate_fingerprint if final else None,
        after_not_after=final.certificate_not_after if final else None,
        fqdn=(final.ssl.cname or final.fqdn) if final and final.ssl.status == "Enabled"
        else (final.fqdn if final else None),
        verification=verification,
        message=message,
    )
    if report.attempt is not None:
        history.finish(report.attempt, **columns)
    else:
        history.record(target=report.target, action=report.action, **columns)
    return report


def interrupted(target_id: str) -> list[Finding]:
    """A warning when the target's last change was cut short (its process killed), else none.

    Reading the history reconciles it first, so a change whose process has gone is marked
    ``interrupted`` before it is looked at.
    """
    last = history.entries(target=target_id, limit=1).entries
    if not last or last[0]["outcome"] != history.INTERRUPTED:
        return []
    return [Finding(
        "change_interrupted", Severity.WARNING,
        f"the last change ({last[0]['action']}, {last[0]['time']}) was interrupted before it "
        f"finished; check the settings and apply them again (mlssl history {target_id})",
    )]
