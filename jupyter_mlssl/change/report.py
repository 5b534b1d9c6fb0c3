"""What a change reports: the verification rows and the :class:`ChangeReport`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from jupyter_mlssl.reports import Finding, Report, Table
from jupyter_mlssl.targets.base import Plan, TargetStatus

if TYPE_CHECKING:
    import pandas as pd

Outcome = Literal["dry_run", "applied", "unchanged", "rolled_back", "failed", "refused",
                  "blocked", "interrupted"]
#: outcomes that mean "what you asked for is in place" (exit status 0)
GOOD_OUTCOMES = ("dry_run", "applied", "unchanged")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Check:
    """One row of a verification: what was checked, the verdict, and whether that passes."""

    check: str
    subject: str
    verdict: str
    passed: bool
    detail: str = ""


VERIFICATION_COLUMNS = ["check", "subject", "verdict", "result", "detail"]


@dataclass(repr=False)
class Verification(Report):
    """DNS, probe and plain-HTTP checks of an endpoint after a change."""

    target: str
    checks: list[Check] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list, repr=False)

    title = "Verification"

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def exit_status(self) -> int:
        return 0 if self.passed else 1

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [c.__dict__ for c in self.checks]}

    def _rows(self) -> list[dict[str, Any]]:
        return [{"check": c.check, "subject": c.subject, "verdict": c.verdict,
                 "result": "pass" if c.passed else "fail", "detail": c.detail}
                for c in self.checks]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._rows(), columns=VERIFICATION_COLUMNS)

    def table(self, caption: str) -> Table:
        """The checks as plain rows (the terminal's text table, without pandas)."""
        return Table.of_dicts(caption, VERIFICATION_COLUMNS, self._rows())

    def text_tables(self) -> list[Table]:
        return [self.table(self.title)]

    def summary(self) -> str:
        failed = self.failures()
        if not failed:
            return "verification passed"
        return "; ".join(f"{c.check} {c.subject}: {c.verdict}"
                         + (f" ({c.detail})" if c.detail else "") for c in failed)


@dataclass(repr=False)
class ChangeReport(Report):
    """What a change did: the plan, the outcome, and what verification found."""

    target: str
    action: str
    plan: Plan
    outcome: Outcome
    message: str = ""
    verification: Verification | None = None
    rollback_verification: Verification | None = None
    before: TargetStatus | None = None
    after: TargetStatus | None = None
    recorded: bool = field(default=False, repr=False)
    #: the history row written when the change started (completed by ``_finish``)
    attempt: int | None = field(default=None, repr=False)

    title = "Change"

    @property
    def findings(self) -> list[Finding]:
        return self.plan.findings

    @property
    def exit_status(self) -> int:
        return 0 if self.outcome in GOOD_OUTCOMES else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "action": self.action,
            "outcome": self.outcome,
            "message": self.message,
            "plan": self.plan.to_dict(),
            "verification": self.verification.to_dict() if self.verification else None,
            "rollback_verification": (self.rollback_verification.to_dict()
                                      if self.rollback_verification else None),
            "after": self.after.to_dict() if self.after else None,
        }

    def _row(self) -> dict[str, Any]:
        return {"target": self.target, "action": self.action, "outcome": self.outcome,
                "verification": verdict_word(self.verification), "message": self.message}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([self._row()])

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        out = [(f"{self.action} TLS on {self.target}: {self.outcome}", self.to_frame())]
        out.extend(self.plan.tables())
        if self.verification is not None:
            out.append(("Verification", self.verification.to_frame()))
        if self.rollback_verification is not None:
            out.append(("Verification after rollback", self.rollback_verification.to_frame()))
        return out

    def text_tables(self) -> list[Table]:  # the same tables as tables(), without pandas
        row = self._row()
        out = [Table(f"{self.action} TLS on {self.target}: {self.outcome}", list(row),
                     [list(row.values())])]
        out.extend(self.plan.text_tables())
        if self.verification is not None:
            out.append(self.verification.table("Verification"))
        if self.rollback_verification is not None:
            out.append(self.rollback_verification.table("Verification after rollback"))
        return out

    def summary(self) -> str:
        return f"{self.action} {self.target}: {self.outcome}" + (
            f": {self.message}" if self.message else "")


def verdict_word(verification: Verification | None) -> str:
    if verification is None:
        return "skipped"
    return "passed" if verification.passed else "failed"
