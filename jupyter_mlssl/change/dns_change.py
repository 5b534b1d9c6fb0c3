"""Point DNS at a service: the article's step 4, as a change like the TLS ones.

``dns_set(target, ...)`` plans, confirms, applies, verifies, rolls back and records one DNS
change:

* ``label=``: the DNS label of an AKS router's public IP (``targets/azure/public_ip.py``);
  the name becomes ``<label>.<region>.cloudapp.azure.com``.
* ``zone=``: a record in a DNS zone: Azure DNS (a zone's ARM id, ``targets/azure/dns_zone.py``,
  with record-set etags) or, for a local target, the local nameserver (``zone="local"``).
  ``record``: ``A`` (the service's address), ``alias`` (AKS: an A record whose
  ``targetResource`` is the router's public IP, so the name follows the IP) or ``CNAME`` (to
  the service's own FQDN). Default: alias on AKS, A elsewhere.

Verification asks the zone's own authoritative nameservers (its ``nameServers``; the local
nameserver for local targets) with dnspython, so caches do not matter; the report then shows
what the system resolver still returns and how long its cached answer lives (TTL left).
A failed verification restores the record set as it was (with its new etag). The history
gets one row per change, with the values before and after and the etags.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.change.dns_plan import DnsPlan, DnsStep, plan_dns
from jupyter_mlssl.errors import ConfirmationRequired, InputError, MlsslError, OperationError
from jupyter_mlssl.reports import Finding, Report
from jupyter_mlssl.reports.table import Table

if TYPE_CHECKING:
    import pandas as pd

VERIFY_TIMEOUT = 30.0  # Azure DNS serves a new record set from its nameservers within seconds


@dataclass(repr=False)
class DnsChangeReport(Report):
    target: str
    plan: DnsPlan
    outcome: str = "dry_run"  # applied | rolled_back | failed | blocked | refused | ...
    message: str = ""
    checks: list[list[str]] = field(default_factory=list)  # [name, where, answer, verdict]

    title = "DNS change"

    @property
    def findings(self) -> list[Finding]:
        return self.plan.findings

    @property
    def exit_status(self) -> int:
        return 0 if self.outcome in ("applied", "unchanged", "dry_run") else 1

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "outcome": self.outcome, "message": self.message,
                "plan": self.plan.to_dict(),
                "checks": [dict(zip(("name", "where", "answer", "verdict"), c, strict=False))
                           for c in self.checks]}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([[self.target, self.outcome, self.message]],
                            columns=["target", "outcome", "message"])

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        import pandas as pd

        out = [(f"dns set on {self.target}: {self.outcome}", self.to_frame())]
        out.extend(self.plan.tables())
        if self.checks:
            out.append(("Verification", pd.DataFrame(
                self.checks, columns=["name", "where", "answer", "verdict"])))
        return out

    def text_tables(self) -> list[Table]:
        out = [Table(f"dns set on {self.target}: {self.outcome}", ["message"],
                     [[self.message]])]
        out.extend(self.plan.text_tables())
        if self.checks:
            out.append(Table("Verification", ["name", "where", "answer", "verdict"],
                             self.checks))
        return out

    def summary(self) -> str:
        return f"dns set {self.target}: {self.outcome}" + (
            f": {self.message}" if self.message else "")


# -- verification -------------------------------------------------------------------------
def ask(nameserver: str, name: str, rtype: str, timeout: float = 2.0) -> tuple[list[str], int]:
    """``(values, ttl)`` of ``name``/``rtype`` straight from ``nameserver`` (``IP[:PORT]``)."""
    import dns.message
    import dns.query
    import dns.rdatatype

    from jupyter_mlssl.dns.check import parse_nameserver

    host, port = parse_nameserver(nameserver)
    query = dns.message.make_query(name, rtype)
    reply = dns.query.udp(query, host, port=port, timeout=timeout)
    values, ttl = [], 0
    for rrset in reply.answer:
        if rrset.rdtype == dns.rdatatype.from_text(rtype):
            ttl = rrset.ttl
            values += [r.to_text().rstrip(".") for r in rrset]
    return values, ttl


def _system_view(name: str, rtype: str, timeout: float = 2.0) -> list[str]:
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, rtype, lifetime=timeout)
    except (dns.exception.DNSException, OSError) as exc:
        return [name, "system resolver", f"no answer ({type(exc).__name__})", "info"]
    values = ", ".join(r.to_text().rstrip(".") for r in answer)
    left = int(answer.expiration - time.time())  # the cache's TTL left
    return [name, "system resolver", f"{values} (cached for {max(left, 0)} s more)", "info"]


def verify_step(step: DnsStep, timeout: float = VERIFY_TIMEOUT) -> tuple[bool, list[list[str]]]:
    """Ask the authoritative nameservers until they answer the new value (bounded)."""
    servers = step.nameservers()
    rows: list[list[str]] = []
    if not servers:  # a label: cloudapp.azure.com is Azure's; nothing of ours to ask
        rows.append(_system_view(step.name, step.rtype))
        return True, rows
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        for server in servers:
            try:
                values, ttl = ask(server, step.name, step.rtype)
            except Exception as exc:
                last = f"{server}: {type(exc).__name__}"
                continue
            if set(step.expect) <= set(values) and values:
                rows.append([step.name, f"authoritative {server}",
                             f"{', '.join(values)} (TTL {ttl})", "ok"])
                rows.append(_system_view(step.name, step.rtype))
                return True, rows
            last = f"{server}: {', '.join(values) or 'no answer'}"
        if time.monotonic() >= deadline:
            rows.append([step.name, "authoritative", last,
                         f"expected {', '.join(step.expect)}"])
            return False, rows
        time.sleep(0.5)


# -- the change ---------------------------------------------------------------------------
def dns_set(target: Any, *, label: str | None = None, zone: str | None = None,
            name: str | None = None, ttl: int = 300, record: str | None = None,
            dry_run: bool = False, yes: bool = False,
            confirm: Callable[[str], bool] | None = None, verify: bool = True,
            progress: Callable[[str], None] | None = None,
            authoritative: list[str] | None = None,
            verify_timeout: float = VERIFY_TIMEOUT) -> DnsChangeReport:
    say = progress or (lambda message: None)
    say(f"planning DNS for {target.id}")
    plan = plan_dns(target, label=label, zone=zone, name=name, ttl=ttl, record=record,
                    authoritative=authoritative)
    report = DnsChangeReport(target=target.id, plan=plan)
    if plan.blocked:
        return _record(report, "blocked", plan.summary())
    if dry_run:
        report.message = "dry run: nothing was changed"
        return report
    if plan.empty:
        report.outcome, report.message = "unchanged", "DNS already points there"
        return report
    replacing = [s for s in plan.steps if s.before not in ("(none)", "(no label)")]
    if replacing and not yes:
        question = (f"change DNS for {target.id}: {replacing[0].what} from {replacing[0].before}"
                    f" to {replacing[0].after}? Clients using the old value are redirected.")
        if confirm is None:
            raise ConfirmationRequired(f"{question} Add --yes to confirm.")
        if not confirm(question):
            return _record(report, "refused", "not confirmed; nothing was changed")
    return apply_dns(report, say, verify, verify_timeout)


def apply_dns(report: DnsChangeReport, say: Callable[[str], None], verify: bool,
              verify_timeout: float = VERIFY_TIMEOUT) -> DnsChangeReport:
    """Apply every step, verify, and undo them all (newest first) on any failure."""
    done: list[DnsStep] = []
    try:
        _apply_steps(report.plan.steps, done, say)
        failed = _verify_steps(report, done, verify_timeout) if verify else None
        if failed is not None:
            raise OperationError(_not_answering(failed))
    except MlsslError as exc:
        undone = undo_dns(done, say)
        return _record(report, "rolled_back" if done else "failed",
                       f"{exc}; {undone}" if done else str(exc))
    return _record(report, "applied", "DNS points at the service" if verify else
                   "applied; not verified (--no-verify)")


def _apply_steps(steps: list[DnsStep], done: list[DnsStep], say: Callable[[str], None]) -> None:
    """Apply ``steps`` in order, adding each to ``done`` once written (what to undo)."""
    for step in steps:
        say(f"{step.what}: {step.before} -> {step.after}")
        step.etag_after = step.apply() or None
        done.append(step)


def _verify_steps(report: DnsChangeReport, steps: list[DnsStep],
                  timeout: float) -> DnsStep | None:
    """Verify ``steps`` in order into ``report.checks``; the first that fails, or None."""
    for step in steps:
        ok, rows = verify_step(step, timeout)
        report.checks.extend(rows)
        if not ok:
            return step
    return None


def _not_answering(step: DnsStep) -> str:
    return f"{step.name} does not answer {step.after} from its authoritative nameservers"


def undo_dns(done: list[DnsStep], say: Callable[[str], None]) -> str:
    failures = []
    for step in reversed(done):
        try:
            say(f"restoring {step.what}: {step.before}")
            step.undo()
        except MlsslError as exc:
            failures.append(f"{step.what}: {exc}")
    return ("restored: " + ", ".join(s.what for s in done)) if not failures else (
        "RESTORE FAILED: " + "; ".join(failures))


def _record(report: DnsChangeReport, outcome: str, message: str) -> DnsChangeReport:
    from jupyter_mlssl.store import history

    report.outcome, report.message = outcome, message
    steps = report.plan.steps
    verdicts = [c[3] for c in report.checks if c[3] != "info"]
    history.record(
        target=report.target, action="dns set", outcome=outcome,
        before_status="; ".join(f"{s.what}: {s.before}"
                                + (f" (etag {s.etag_before})" if s.etag_before else "")
                                for s in steps) or None,
        after_status="; ".join(f"{s.what}: {s.after}"
                               + (f" (etag {s.etag_after})" if s.etag_after else "")
                               for s in steps) or None,
        fqdn=", ".join(s.name for s in steps) or None,
        verification=("passed" if verdicts and all(v == "ok" for v in verdicts)
                      else "failed" if verdicts else "not run"),
        message=message,
    )
    return report


# -- TLS and DNS in one plan ----------------------------------------------------------------
@dataclass(repr=False)
class TlsDnsReport(Report):
    """``enable|update TARGET ... --cname NAME --dns-zone ZONE``: both changes, one report."""

    tls: Any  # ChangeReport
    dns: DnsChangeReport

    title = "TLS and DNS"

    @property
    def findings(self) -> list[Finding]:
        return [*self.tls.findings, *self.dns.findings]

    @property
    def outcome(self) -> str:
        return str(self.tls.outcome)

    @property
    def exit_status(self) -> int:
        return max(self.tls.exit_status, self.dns.exit_status)

    def to_dict(self) -> dict[str, Any]:
        return {"tls": self.tls.to_dict(), "dns": self.dns.to_dict()}

    def to_frame(self) -> pd.DataFrame:
        return self.tls.to_frame()

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [*self.tls.tables(), *self.dns.tables()]

    def text_tables(self) -> list[Table]:
        return [*self.tls.text_tables(), *self.dns.text_tables()]

    def summary(self) -> str:
        return f"{self.tls.summary()}; {self.dns.summary()}"


def change_with_dns(target: Any, desired: Any, *, zone: str, name: str | None = None,
                    ttl: int = 300, record: str | None = None, action: str | None = None,
                    dry_run: bool = False, yes: bool = False,
                    confirm: Callable[[str], bool] | None = None, verify: bool = True,
                    ca_bundle: str | None = None, progress: Callable[[str], None] | None = None,
                    authoritative: list[str] | None = None,
                    verify_timeout: float = VERIFY_TIMEOUT,
                    timeout: float | None = None) -> TlsDnsReport:
    """Plan the TLS change and the record together; apply the record, then the TLS change
    (whose own verification then finds the name in place), then verify the record at the
    zone's nameservers. Either failing undoes both: the record is restored, and a TLS change
    that had been applied is rolled back through the target."""
    from jupyter_mlssl.change.report import GOOD_OUTCOMES
    from jupyter_mlssl.change.workflow import change

    say = progress or (lambda message: None)
    name = name or desired.cname
    if not name:
        raise InputError("--dns-zone needs --cname: the name to point at the service")
    dns_plan = plan_dns(target, zone=zone, name=name, ttl=ttl, record=record,
                        authoritative=authoritative)
    dns_report = DnsChangeReport(target=target.id, plan=dns_plan)
    # the TLS plan first too: a blocked certificate must not leave a record behind
    tls = change(target, desired, action=action, dry_run=True, ca_bundle=ca_bundle)
    if tls.outcome == "blocked":
        dns_report.outcome, dns_report.message = "refused", "TLS plan blocked: nothing changed"
        return TlsDnsReport(tls, dns_report)
    if dns_plan.blocked or dry_run:
        if dns_plan.blocked:
            dns_report.outcome, dns_report.message = "blocked", dns_plan.summary()
            tls.outcome, tls.message = "blocked", f"DNS: {dns_plan.summary()}"
        else:
            dns_report.message = "dry run: nothing was changed"
        return TlsDnsReport(tls, dns_report)
    replacing = [s for s in dns_plan.steps if s.before != "(none)" and s.before != s.after]
    if replacing and not yes:
        question = (f"point {name} at {target.id} (it now holds {replacing[0].before}) and "
                    "change TLS?")
        if confirm is None:
            raise ConfirmationRequired(f"{question} Add --yes to confirm.")
        if not confirm(question):
            return TlsDnsReport(tls, _record(dns_report, "refused", "not confirmed"))
    done: list[DnsStep] = []
    try:
        _apply_steps([s for s in dns_plan.steps if s.before != s.after], done, say)
    except MlsslError as exc:
        message = f"{exc}; {undo_dns(done, say)}" if done else str(exc)
        tls.outcome, tls.message = "refused", f"DNS failed first, TLS not changed: {exc}"
        return TlsDnsReport(tls, _record(dns_report, "failed", message))
    try:
        tls = change(target, desired, action=action, yes=yes, confirm=confirm, verify=verify,
                     ca_bundle=ca_bundle, progress=progress, timeout=timeout)
    except BaseException:
        undo_dns(done, say)
        raise
    if tls.outcome not in GOOD_OUTCOMES:
        return TlsDnsReport(tls, _record(dns_report, "rolled_back",
                                         f"TLS {tls.outcome}; {undo_dns(done, say)}"))
    failed = _verify_steps(dns_report, done, verify_timeout) if verify else None
    if failed is not None:
        undone = undo_dns(done, say)
        _undo_tls(target, tls, say, timeout)
        return TlsDnsReport(tls, _record(
            dns_report, "rolled_back",
            f"{_not_answering(failed)}; {undone}; TLS {tls.outcome}: {tls.message}"))
    return TlsDnsReport(tls, _record(dns_report, "applied", "DNS points at the service"))


def _undo_tls(target: Any, tls: Any, say: Callable[[str], None], timeout: float | None) -> None:
    """Roll an applied TLS change back because its DNS half failed; recorded as such."""
    from jupyter_mlssl.store import history

    if tls.outcome != "applied":
        return
    say(f"DNS failed: rolling back the TLS change on {target.id}")
    try:
        restored = target.rollback(tls.plan, say).wait(timeout)
    except MlsslError as exc:
        tls.outcome, tls.message = "failed", f"DNS failed and the TLS rollback failed: {exc}"
    else:
        tls.after = restored
        tls.outcome, tls.message = "rolled_back", "DNS failed; previous TLS settings restored"
    history.record(target=target.id, action=f"{tls.action} (DNS failed)", outcome=tls.outcome,
                   after_status=tls.after.ssl.status if tls.after is not None else None,
                   message=tls.message)
