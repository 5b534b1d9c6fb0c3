"""Planning a DNS change (``dns set``): the steps to point a name at a service.

Each :class:`DnsStep` knows how to apply, undo and check itself, so the change
(:mod:`jupyter_mlssl.change.dns_change`) runs any plan the same way: the AKS router IP's
label (``targets/azure/public_ip.py``), a record set in Azure DNS with etags
(``targets/azure/dns_zone.py``), or a record in the local nameserver. Planning writes
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.reports import Finding, Report, Severity, findings_tables
from jupyter_mlssl.reports.table import Table

if TYPE_CHECKING:
    import pandas as pd


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


# -- planning -----------------------------------------------------------------------------
def plan_dns(target: Any, *, label: str | None = None, zone: str | None = None,
             name: str | None = None, ttl: int = 300, record: str | None = None,
             authoritative: list[str] | None = None) -> DnsPlan:
    """What ``dns_set`` would change; nothing is written. ``authoritative`` overrides the
    nameservers verification asks (tests, split-horizon setups)."""
    if (label is None) == (zone is None):
        raise InputError("dns set: give --label (AKS public IP), --clear-label, or --zone"
                         " (a DNS zone)")
    ttl = check_ttl(ttl)
    if name is not None:
        check_record_name(name)
    status = target.status()
    plan = DnsPlan(target=target.id)
    if label is not None:
        _plan_label(plan, target, status, label)
    else:
        _plan_record(plan, target, status, str(zone), name, int(ttl), record, authoritative)
    return plan


#: one label of a record name: letters, digits, '-' inside, '_' (``_acme-challenge``)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)
TTL_MAX = 2_147_483_647  # RFC 2181: a TTL is 31 bits


def check_ttl(ttl: object) -> int:
    """``--ttl``: whole seconds, 1 to 2^31-1 (``int()`` alone takes 2.9, '1_0' or True, and
    fails on 'abc' or inf with a ValueError or an OverflowError instead of one line)."""
    if isinstance(ttl, str) and ttl.strip().isascii() and ttl.strip().isdigit():
        ttl = int(ttl.strip())  # str.strip() takes more than int() does ('\x1f')
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= TTL_MAX:
        raise InputError(f"--ttl {ttl}: give whole seconds, 1 to {TTL_MAX}")
    return ttl


def check_record_name(name: object) -> str:
    """``--name``: a DNS name (labels of letters, digits, '-' and '_', at most 63 each and
    253 in all), checked before any call; a trailing dot is allowed."""
    text = str(name).strip().rstrip(".").lower()
    if not (0 < len(text) <= 253 and all(_LABEL.fullmatch(p) for p in text.split("."))):
        raise InputError(f"--name {name}: not a DNS name; use labels of letters, digits and"
                         " '-' (at most 63 characters each), e.g. ml.contoso.com")
    return text


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
    check_record_name(name)
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
