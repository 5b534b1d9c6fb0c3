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

from jupyter_mlssl.errors import ConfirmationRequired, InputError, MlsslError, OperationError
from jupyter_mlssl.reports import Finding, Report, Severity, findings_tables
from jupyter_mlssl.reports.table import Table

if TYPE_CHECKING:
    import pandas as pd

VERIFY_TIMEOUT = 30.0  # Azure DNS serves a new record set from its nameservers within seconds


@dataclass
class DnsStep:
    """One record (or label) to change, with how to do it, undo it and check it."""

    what: str  # "A ml.contoso.test in zone contoso.test"
    name: str  # the name to query
    rtype: str  # A or CNAME: what to ask the nameservers
    before: str
    after: str
    expect: tuple[str, ...]  # the values the answer must hold
    apply: Callable[[], str]  # returns the new etag (or "")
    undo: Callable[[], None]
    nameservers: Callable[[], list[str]]  # authoritative "IP[:PORT]"
    etag_before: str | None = None
    etag_after: str | None = None


@dataclass(repr=False)
class DnsPlan(Report):
    target: str
    steps: list[DnsStep] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    title = "DNS plan"

    @property
    def blocked(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)

    @property
    def empty(self) -> bool:
        return all(s.before == s.after for s in self.steps)

    def rows(self) -> list[list[str]]:
        return [[s.what, s.before, s.after] for s in self.steps]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "blocked": self.blocked,
                "steps": [{"what": s.what, "name": s.name, "before": s.before,
                           "after": s.after, "etag_before": s.etag_before} for s in self.steps],
                "findings": [f.to_dict() for f in self.findings], "notes": list(self.notes)}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["change", "before", "after"])

    def text_tables(self) -> list[Table]:
        return [Table(self.title, ["change", "before", "after"], self.rows()),
                *findings_tables(self.findings)]


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


# -- planning -----------------------------------------------------------------------------
def plan_dns(target: Any, *, label: str | None = None, zone: str | None = None,
             name: str | None = None, ttl: int = 300, record: str | None = None,
             authoritative: list[str] | None = None) -> DnsPlan:
    """What ``dns_set`` would change; nothing is written. ``authoritative`` overrides the
    nameservers verification asks (tests, split-horizon setups)."""
    if (label is None) == (zone is None):
        raise InputError("dns set: give --label (AKS public IP), --clear-label, or --zone"
                         " (a DNS zone)")
    if not 1 <= int(ttl) <= 2_147_483_647:
        raise InputError(f"--ttl {ttl}: give seconds, at least 1")
    status = target.status()
    plan = DnsPlan(target=target.id)
    if label is not None:
        _plan_label(plan, target, status, label)
    else:
        _plan_record(plan, target, status, str(zone), name, int(ttl), record, authoritative)
    return plan


def _plan_label(plan: DnsPlan, target: Any, status: Any, label: str) -> None:
    from jupyter_mlssl.targets.azure.public_ip import PublicIpLabels, check_label, fqdn_for

    clear = label == ""  # `--clear-label`: remove the label (and the cloudapp name)
    if not clear:
        check_label(label)
    if target.kind != "aks":
        raise InputError(f"{target.id}: --label sets the public IP label of a v1 AKS compute;"
                         " for this target use --zone")
    if status.ssl.status == "Auto":
        plan.findings.append(Finding(
            "microsoft_certificate", Severity.ERROR,
            "TLS uses a Microsoft-provided certificate: Azure manages its DNS name, and the"
            " article says not to change DNS then"))
        return
    facts = target._facts(target._read()[0])  # the router IP's id and region (aks.py)
    ip_id = facts.get("ip_id")
    if not ip_id:
        plan.findings.append(Finding("router_ip_unknown", Severity.ERROR,
                                     "the router's public IP was not found: "
                                     + "; ".join(facts.get("notes") or ["no tagged IP"])))
        return
    labels = PublicIpLabels(_clients_for(target.clients, ip_id), ip_id)
    ip = labels.get()
    fqdn = fqdn_for(label, ip.region) if not clear else (ip.fqdn or "")
    if not clear and ip.label != label and not labels.available(ip.region, label):
        plan.findings.append(Finding("label_taken", Severity.ERROR,
                                     f"{fqdn} is taken (labels are unique per region across"
                                     " Azure); pick another label"))
    if ip.label_scope:
        plan.notes.append(f"the IP has domainNameLabelScope {ip.label_scope}: Azure inserts a"
                          " hash into the name")

    def apply() -> str:
        labels.set_label(ip, label or None)
        return ""

    def undo() -> None:
        labels.set_label(labels.get(), ip.label)

    plan.steps.append(DnsStep(
        what=f"DNS label of public IP {ip.name}", name=fqdn, rtype="A",
        before=f"{ip.label} ({ip.fqdn})" if ip.label else "(no label)",
        after=f"{label} ({fqdn})" if not clear else "(no label)",
        expect=(ip.address or "",), apply=apply, undo=undo,
        nameservers=lambda: []))  # cloudapp.azure.com: asked through the system resolver


def _clients_for(clients: Any, resource_id: str) -> Any:
    """The target's clients, for the subscription ``resource_id`` lives in."""
    return clients.for_subscription(resource_id.split("/")[2])


def _plan_record(plan: DnsPlan, target: Any, status: Any, zone: str, name: str | None,
                 ttl: int, record: str | None, authoritative: list[str] | None) -> None:
    name = (name or status.ssl.cname or "").rstrip(".").lower()
    if not name:
        raise InputError("dns set --zone: give --name (or enable TLS with --cname first)")
    kind = (record or ("alias" if target.kind == "aks" else "A")).upper()
    if kind not in ("A", "ALIAS", "CNAME"):
        raise InputError(f"--record {record}: use A, alias or CNAME")
    ip_id = None
    if kind == "ALIAS":
        if target.kind != "aks":
            raise InputError("--record alias follows an AKS router's public IP; use A here")
        ip_id = target._facts(target._read()[0]).get("ip_id")  # aks.py
        if not ip_id:
            raise OperationError(f"{target.id}: the router's public IP was not found; use"
                                 " --record A")
    if kind == "CNAME":
        value = (status.fqdn or "").rstrip(".")
        if not value or value == name:
            raise InputError(f"{target.id} has no FQDN of its own to point a CNAME at; use"
                             " --record A")
    else:
        value = status.address or ""
        if not value:
            raise InputError(f"{target.id}: its address is unknown, so no A record can"
                             " point at it")
    rtype = "CNAME" if kind == "CNAME" else "A"
    if zone.lower() == "local" or target.kind == "local":
        if target.kind != "local" or zone.lower() != "local":
            raise InputError("--zone local is the local nameserver, for local:// targets;"
                             " Azure targets take an Azure DNS zone id")
        _plan_local(plan, name, rtype, value, ttl, authoritative)
        return
    from jupyter_mlssl.targets.azure.dns_zone import DnsZone, parse_zone_id, relative_name

    ref = parse_zone_id(zone)
    dz = DnsZone(zone, clients=_clients_for(target.clients, ref.id))
    rel = relative_name(dz.zone, name)
    if not (name == dz.zone or name.endswith("." + dz.zone)):
        raise InputError(f"{name} is not inside the zone {dz.zone}")
    if rtype == "CNAME" and rel == "@":
        raise InputError("a CNAME cannot sit at the zone apex; use --record A or alias")
    now = dz.get(rtype, rel)
    other = dz.get("A" if rtype == "CNAME" else "CNAME", rel)
    if other is not None:
        plan.findings.append(Finding(
            "record_conflict", Severity.ERROR,
            f"{name} already has a {other.type} record ({other.describe()}); a CNAME cannot"
            " share its name: remove it first"))
    after = f"alias of {ip_id}" if ip_id else value
    expect = (status.address,) if ip_id else (value,)
    state: dict[str, Any] = {"etag": now.etag if now else None}

    def apply() -> str:
        made = dz.put(rtype, rel, [] if ip_id else [value], etag=state["etag"],
                      target_resource=ip_id, ttl=ttl)
        state["made"] = made
        return made.etag or ""

    def undo() -> None:
        made = state.get("made")
        etag = made.etag if made is not None else state["etag"]
        if now is None:
            if made is not None:
                dz.delete(rtype, rel, etag=etag or "*")
            return
        dz.update(rtype, rel, list(now.values), etag=etag or "*",
                  target_resource=now.target_resource, ttl=now.ttl or ttl,
                  metadata=now.metadata)

    def servers() -> list[str]:
        return list(authoritative) if authoritative else _addresses(dz.name_servers())

    before = "(none)" if now is None else (
        f"alias of {now.target_resource}" if now.target_resource else ", ".join(now.values))
    plan.steps.append(DnsStep(
        what=f"{rtype} {name} in zone {dz.zone} (TTL {ttl})", name=name, rtype=rtype,
        before=before, after=after, expect=tuple(e for e in expect if e), apply=apply,
        undo=undo, nameservers=servers, etag_before=now.etag if now else None))
    if now is not None and now.ttl and before != after:
        plan.notes.append(f"resolvers may keep the old answer for up to {now.ttl} s (its TTL)")


def _plan_local(plan: DnsPlan, name: str, rtype: str, value: str, ttl: int,
                authoritative: list[str] | None) -> None:
    from jupyter_mlssl.targets.local import nameserver

    held = nameserver.get_records(name, rtype)
    state: dict[str, Any] = {}

    def apply() -> str:
        nameserver.ensure_running()
        nameserver.set_records(name, rtype, [value], ttl, expect=held)
        state["after"] = (ttl, [value])
        return ""

    def undo() -> None:
        nameserver.set_records(name, rtype, held[1] if held else None,
                               held[0] if held else ttl, expect=state.get("after"))

    def servers() -> list[str]:
        if authoritative:
            return list(authoritative)
        port = nameserver.running_port()
        return [f"{nameserver.LOOPBACK}:{port}"] if port else []

    plan.steps.append(DnsStep(
        what=f"{rtype} {name} in the local zone (TTL {ttl})", name=name, rtype=rtype,
        before=", ".join(held[1]) if held else "(none)", after=value, expect=(value,),
        apply=apply, undo=undo, nameservers=servers))


def _addresses(hosts: list[str]) -> list[str]:
    """Nameserver host names -> IP addresses (through the system resolver)."""
    import socket

    out = []
    for host in hosts:
        try:
            out.append(socket.gethostbyname(host))
        except OSError:
            continue
    return out


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
