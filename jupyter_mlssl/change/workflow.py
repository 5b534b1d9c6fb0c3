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

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jupyter_mlssl.errors import ConfirmationRequired, MlsslError, OperationError
from jupyter_mlssl.reports import Finding, Report, Severity, Table
from jupyter_mlssl.store import history
from jupyter_mlssl.store.files import is_ip_address, private_dir
from jupyter_mlssl.store.paths import state_dir
from jupyter_mlssl.targets.base import Plan, SslSettings, Target, TargetStatus

if TYPE_CHECKING:
    import pandas as pd

Outcome = Literal["dry_run", "applied", "unchanged", "rolled_back", "failed", "refused",
                  "blocked", "interrupted"]
#: outcomes that mean "what you asked for is in place" (exit status 0)
GOOD_OUTCOMES = ("dry_run", "applied", "unchanged")
#: probe verdicts that show TLS is really off on a port
NO_TLS_VERDICTS = ("not_tls", "refused")

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
                "verification": _verdict_word(self.verification), "message": self.message}

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


def _verdict_word(verification: Verification | None) -> str:
    if verification is None:
        return "skipped"
    return "passed" if verification.passed else "failed"


# -- planning --------------------------------------------------------------------------------
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


# -- verification ----------------------------------------------------------------------------
def verify(target: Target, status: TargetStatus, *, ca_bundle: str | None = None,
           timeout: float = 5.0) -> Verification:
    """Check the endpoint as ``status`` says it should answer now."""
    endpoint = target.endpoint(status)
    result = Verification(target=target.id)
    bundle = _merge_bundles(endpoint.ca_bundle, ca_bundle)
    if endpoint.tls_expected:
        if endpoint.hostname and not is_ip_address(endpoint.hostname):
            from jupyter_mlssl.dns import check_dns

            dns = check_dns(endpoint.hostname, expect=endpoint.expected_address,
                            nameservers=endpoint.nameservers, timeout=min(timeout, 3.0))
            result.reports.append(dns)
            wanted = "ok" if endpoint.expected_address else ("ok", "resolves")
            verdict = str(dns.verdict)
            result.checks.append(Check(
                "dns", endpoint.hostname, verdict, verdict in wanted,
                _dns_detail(dns, endpoint.expected_address),
            ))
        if not endpoint.url:
            result.checks.append(Check("probe", "(no HTTPS URL)", "skipped", False,
                                       "the target does not say where it serves HTTPS"))
            return result
        from jupyter_mlssl.probing import probe

        report = probe(endpoint.url, ca_bundle=bundle, resolve=endpoint.resolve,
                       timeout=timeout, redirect_port=None)
        result.reports.append(report)
        probed = report.results[0]
        ok = probed.verdict == "ok"
        detail = probed.error or (
            f"{probed.protocol}, {probed.days_left} days left" if ok else "")
        result.checks.append(Check("probe", endpoint.url, probed.verdict, ok, detail or ""))
        expected = status.certificate_fingerprint
        if ok and expected and probed.leaf_fingerprint:
            same = _hex(expected) == _hex(probed.leaf_fingerprint)
            result.checks.append(Check(
                "certificate", endpoint.url, "current" if same else "stale", same,
                "" if same else f"serves {probed.leaf_fingerprint[:23]}, expected "
                                f"{expected[:23]}",
            ))
        return result

    if endpoint.url:
        from jupyter_mlssl.probing import probe

        report = probe(endpoint.url, ca_bundle=bundle, resolve=endpoint.resolve,
                       timeout=timeout, redirect_port=None)
        result.reports.append(report)
        probed = report.results[0]
        off = probed.verdict in NO_TLS_VERDICTS
        result.checks.append(Check(
            "tls off", endpoint.url, probed.verdict, off,
            "" if off else "the HTTPS port still answers TLS",
        ))
    if status.scoring_uri and status.scoring_uri.startswith("http://"):
        result.checks.append(_plain_http_check(status.scoring_uri, timeout))
    return result


def _plain_http_check(url: str, timeout: float) -> Check:
    """Does the plain-HTTP scoring URI still answer? Any HTTP response below 500 does."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, method="GET"), timeout=timeout) as resp:
            code = resp.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (OSError, ValueError) as exc:
        return Check("plain http", url, "no_answer", False, str(exc))
    return Check("plain http", url, "answers" if code < 500 else "error", code < 500,
                 f"HTTP {code}")


def _dns_detail(report: Any, expected: str | None) -> str:
    addresses = getattr(report, "addresses", None) or getattr(report, "answers", None)
    message = getattr(report, "message", None)
    if message:
        return str(message)
    if addresses:
        return f"answers {', '.join(map(str, addresses))}" + (
            f", expected {expected}" if expected else "")
    return ""




def _hex(fingerprint: str) -> str:
    text = fingerprint.lower().removeprefix("sha256:")
    return "".join(ch for ch in text if ch in "0123456789abcdef")


def _merge_bundles(*bundles: str | None) -> str | None:
    """One PEM file trusting every bundle given (the probe takes one file)."""
    given = [b for b in bundles if b]
    if len(given) <= 1:
        return given[0] if given else None
    data = b"".join(Path(b).read_bytes().rstrip(b"\n") + b"\n" for b in given)
    directory = private_dir(state_dir() / "bundles")
    merged = directory / f"{hashlib.sha256(data).hexdigest()[:16]}.pem"
    if not merged.exists():
        merged.write_bytes(data)
    return str(merged)


# -- the workflow ----------------------------------------------------------------------------
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
        return _finish(report, "blocked", _blocked_message(plan), before=None)
    if dry_run:
        report.message = "dry run: nothing was changed"
        return report
    if plan.empty:
        report.outcome, report.message = "unchanged", "nothing to change"
        return report

    confirmed = False
    if plan.requires_confirmation and not yes:
        if plan.desired.tls_on:  # e.g. the ML extension: one change reaches every endpoint
            question = (f"{name} TLS on {target.id}? Live endpoints served through it are "
                        "affected while it changes.")
        else:
            question = (f"{name} TLS on {target.id}? HTTPS clients will fail; the plain-HTTP "
                        "scoring URI stays.")
        if confirm is None:
            raise ConfirmationRequired(f"{question} Add --yes to confirm.")
        if not confirm(question):
            return _finish(report, "refused", "not confirmed; nothing was changed", before=None)
        confirmed = True

    try:
        with target.lock():
            before = target.status()
            if before.ssl != plan.current:
                if confirmed:
                    return _finish(report, "refused",
                                   f"{target.id} changed while you were asked; nothing was "
                                   "changed: run the command again", before=before)
                say(f"{target.id} changed since the plan was made; planning again")
                plan = plan_change(target, desired, ca_bundle=ca_bundle)
                report.plan = plan
                if plan.blocked:
                    return _finish(report, "blocked", _blocked_message(plan), before=before)
                if plan.empty:
                    report.outcome, report.message = "unchanged", "nothing to change"
                    return report
            # Recorded before anything is touched: a process killed from here on leaves a
            # "started" row, which the next command marks "interrupted" (history.reconcile).
            report.attempt = history.start(
                target=report.target, action=report.action,
                before_status=before.ssl.status,
                before_fingerprint=before.certificate_fingerprint,
                before_not_after=before.certificate_not_after,
                message=f"started: {_attempted(plan)}",
            )
            try:
                return _apply_and_verify(target, plan, report, before, say, verify,
                                         ca_bundle, timeout)
            except BaseException as exc:  # Ctrl-C in a kernel, or a bug: not left "started"
                if not report.recorded and not isinstance(exc, OperationError):
                    _finish(report, "interrupted",
                            f"interrupted ({type(exc).__name__}) while applying: "
                            f"{_attempted(plan)}", before=before)
                raise
    except OperationError as exc:  # busy, or the target refused: recorded, then raised
        if not report.recorded:
            _finish(report, "failed", str(exc), before=None)
        raise


def _apply_and_verify(target: Target, plan: Plan, report: ChangeReport, before: TargetStatus,
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
        return _finish(report, "failed", str(exc), before=before, after=now)
    report.after = after
    if not verify_after:
        return _finish(report, "applied", "applied; verification skipped (--no-verify)",
                       before=before, after=after)

    say("verifying: DNS and a probe of the endpoint")
    report.verification = verify(target, after, ca_bundle=ca_bundle)
    if report.verification.passed:
        return _finish(report, "applied", "applied and verified", before=before, after=after)

    why = report.verification.summary()
    say(f"verification failed ({why}); restoring the previous settings")
    try:
        restored = target.rollback(plan, say).wait(timeout)
    except MlsslError as exc:
        return _finish(report, "failed",
                       f"verification failed ({why}) and the rollback failed too: {exc}",
                       before=before, after=after)
    report.after = restored
    report.rollback_verification = verify(target, restored, ca_bundle=ca_bundle)
    again = ("the endpoint verifies again" if report.rollback_verification.passed
             else "but it does not verify either: " + report.rollback_verification.summary())
    return _finish(report, "rolled_back",
                   f"verification failed ({why}); previous settings restored, {again}",
                   before=before, after=restored)


def _attempted(plan: Plan) -> str:
    """What a change set out to do, for the history: its summary and the fields it changes."""
    fields = ", ".join(dict.fromkeys(item.field for item in plan.changes))
    return plan.summary().removeprefix("plan: ") + (f" ({fields})" if fields else "")


def _blocked_message(plan: Plan) -> str:
    errors = [f for f in plan.findings if f.severity == Severity.ERROR]
    first = errors[0]
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"nothing applied: {first.code}: {first.message}{more}"


def _finish(report: ChangeReport, outcome: Outcome, message: str, *,
            before: TargetStatus | None, after: TargetStatus | None = None) -> ChangeReport:
    report.outcome = outcome
    report.message = message
    if after is not None:
        report.after = after
    report.before = before
    report.recorded = True
    # an interrupted change leaves the target in a state nobody looked at: no "after"
    final = None if outcome == "interrupted" else after if after is not None else before
    verification = _verdict_word(report.verification)
    if report.rollback_verification is not None:
        verification += "; after rollback " + _verdict_word(report.rollback_verification)
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
