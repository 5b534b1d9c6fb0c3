"""Azure DNS record sets (A, CNAME, alias, TXT) with optimistic concurrency.

One record set is one name + type in one zone (``…/dnsZones/{zone}/{type}/{relative name}``,
api-version 2018-05-01, the only stable one; azure-mgmt-dns 9.0.0 sends it). A PUT replaces
the whole set, so every write here carries the record set's etag:

* create: ``If-None-Match: *`` (fails with 412 when the set already exists),
* update / delete: ``If-Match: <etag from our GET>`` (412 when someone changed it meanwhile).

A 412 becomes :class:`RecordSetChanged`, which names the value the zone holds now. Bodies are
built with the SDK models because the wire keys are case-sensitive (``TTL``, ``ARecords``,
``CNAMERecord``, ``TXTRecords``). 429 and 5xx are retried by azure-core's RetryPolicy
(Retry-After honoured) before anything reaches this module.

``add_txt_value`` / ``remove_txt_value`` serve ACME DNS-01: two validations may share one name
(the apex and its wildcard both use ``_acme-challenge``), so they read, append / remove one
value and write back with the etag, retrying on 412.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.targets.azure.faults import service_error
from jupyter_mlssl.targets.azure.resource_id import segment_ok

API_VERSION = "2018-05-01"
RECORD_TYPES = ("A", "AAAA", "CNAME", "TXT", "NS", "MX", "PTR", "SRV", "SOA", "CAA")
#: how often add/remove_txt_value re-read and retry after a 412 before giving up
TXT_RETRIES = 5
#: 404 codes that mean the zone is not there (a missing record set is plain NotFound)
_MISSING_PARENT = {"ParentResourceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound"}

_ZONE_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.Network/dnszones/(?P<zone>[^/]+)/?$",
    re.I,
)
#: the zone's DNS name (Azure: 2-34 labels of at most 63 letters, digits, '-' and '_')
_ZONE_NAME = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                        r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)


class RecordSetChanged(OperationError):
    """412: the record set changed (or appeared) between our read and our write."""

    def __init__(self, message: str, current: RecordSetInfo | None) -> None:
        super().__init__(message, code="precondition_failed")
        self.current = current


@dataclass(frozen=True)
class ZoneRef:
    subscription: str
    resource_group: str
    zone: str

    @property
    def id(self) -> str:
        return (f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
                f"/providers/Microsoft.Network/dnszones/{self.zone}")


def parse_zone_id(zone_id: str) -> ZoneRef:
    """``/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/dnszones/ZONE``."""
    m = _ZONE_ID.fullmatch(str(zone_id or "").strip())
    zone = m["zone"].rstrip(".").lower() if m else ""
    if m is None or not (segment_ok(m["sub"]) and segment_ok(m["rg"]) and len(zone) <= 253
                         and _ZONE_NAME.fullmatch(zone)):
        raise InputError(
            f"{zone_id or '(empty)'}: not an Azure DNS zone id; copy it from the zone's"
            " Properties in the portal (/subscriptions/<sub>/resourceGroups/<rg>/providers/"
            "Microsoft.Network/dnszones/<zone>)",
            code="bad_zone_id",
        )
    return ZoneRef(m["sub"], m["rg"], zone)


def relative_name(zone: str, name: str) -> str:
    """The record set name inside ``zone``: ``ml.contoso.com`` in ``contoso.com`` -> ``ml``,
    the zone itself (or ``@``) -> ``@``; a name not ending in the zone is taken as relative
    already (``_acme-challenge.ml``) unless it ends with a dot (absolute, outside the zone)."""
    zone = zone.rstrip(".").lower()
    raw = (name or "").strip().lower()
    name = raw.rstrip(".")
    if name in ("", "@", zone):
        return "@"
    if name.endswith("." + zone):
        return name[: -len(zone) - 1]
    if raw.endswith("."):
        raise InputError(f"{name}: not inside the DNS zone {zone}", code="name_outside_zone")
    return name


@dataclass(frozen=True)
class RecordSetInfo:
    """What a record set holds, in the zone's own terms."""

    zone: str
    name: str  # relative, "@" for the apex
    type: str
    ttl: int | None
    values: tuple[str, ...] = ()  # addresses, the CNAME target, TXT strings
    target_resource: str | None = None  # alias record: the Azure resource it follows
    etag: str | None = None
    fqdn: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        what = (f"alias of {self.target_resource}" if self.target_resource
                else ", ".join(self.values) or "(empty)")
        return f"{self.type} {self.fqdn or self.name}: {what} (TTL {self.ttl})"

    def to_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "name": self.name, "type": self.type, "ttl": self.ttl,
                "values": list(self.values), "target_resource": self.target_resource,
                "etag": self.etag, "fqdn": self.fqdn}

    def __repr__(self) -> str:
        return f"<RecordSetInfo {self.describe()} etag={self.etag}>"


def _info(zone: str, rtype: str, rs: Any) -> RecordSetInfo:
    values: list[str] = []
    for a in rs.a_records or []:
        values.append(a.ipv4_address)
    for a in rs.aaaa_records or []:
        values.append(a.ipv6_address)
    if rs.cname_record is not None and rs.cname_record.cname:
        values.append(rs.cname_record.cname)
    for t in rs.txt_records or []:
        values.append("".join(t.value or []))  # long values are split in 255-byte strings
    target = rs.target_resource.id if rs.target_resource is not None else None
    return RecordSetInfo(zone, rs.name or "@", rtype, rs.ttl, tuple(values), target or None,
                         rs.etag, (rs.fqdn or "").rstrip(".") or None, dict(rs.metadata or {}))


def _txt_chunks(value: str) -> list[str]:
    # A TXT string is at most 255 bytes; longer values are several strings of one record.
    return [value[i:i + 255] for i in range(0, len(value), 255)] or [""]


def record_set_model(rtype: str, values: tuple[str, ...] | list[str] = (), *,
                     target_resource: str | None = None, ttl: int = 300,
                     metadata: dict[str, str] | None = None) -> Any:
    """The SDK ``RecordSet`` body for ``rtype`` (A, AAAA, CNAME, TXT; alias via target)."""
    from azure.mgmt.dns import models

    rtype = rtype.upper()
    kw: dict[str, Any] = {"ttl": int(ttl), "metadata": metadata or None}
    if target_resource:
        if rtype not in ("A", "AAAA", "CNAME"):
            raise InputError(f"an alias record must be A, AAAA or CNAME, not {rtype}")
        kw["target_resource"] = models.SubResource(id=target_resource)
    elif rtype == "A":
        kw["a_records"] = [models.ARecord(ipv4_address=v) for v in values]
    elif rtype == "AAAA":
        kw["aaaa_records"] = [models.AaaaRecord(ipv6_address=v) for v in values]
    elif rtype == "CNAME":
        if len(values) != 1:
            raise InputError("a CNAME record set holds exactly one name")
        kw["cname_record"] = models.CnameRecord(cname=values[0])
    elif rtype == "TXT":
        kw["txt_records"] = [models.TxtRecord(value=_txt_chunks(v)) for v in values]
    else:
        raise InputError(f"record type {rtype}: only A, AAAA, CNAME and TXT are written here")
    return models.RecordSet(**kw)


class DnsZone:
    """One Azure DNS zone, read and written through azure-mgmt-dns.

    ``clients``: an ``AzureClients`` (shares a target's pipeline); or build one from
    ``credential`` / ``arm_endpoint`` / client options (``connection_verify``, retries, ...).
    """

    def __init__(self, zone_id: str, *, clients: Any = None, credential: Any = None,
                 arm_endpoint: str | None = None, **client_options: Any) -> None:
        self.ref = parse_zone_id(zone_id)
        if clients is None:
            from jupyter_mlssl.targets.azure.clients import AzureClients
            from jupyter_mlssl.targets.azure.credentials import cloud_for, default_credential

            cloud = cloud_for(arm_endpoint)
            if credential is None:
                credential = default_credential(cloud)
            clients = AzureClients(credential, self.ref.subscription, cloud, dict(client_options))
        self.clients = clients

    @property
    def zone(self) -> str:
        return self.ref.zone

    def _sdk(self) -> Any:
        return self.clients.dns()

    def _fail(self, exc: BaseException, action: str, *, write: bool = False) -> Exception:
        from azure.core.exceptions import HttpResponseError

        from jupyter_mlssl.targets.azure.faults import Call, translate
        from jupyter_mlssl.targets.azure.resource_id import ResourceRef

        if isinstance(exc, HttpResponseError) and exc.response is not None:
            status = int(exc.response.status_code or 0)
            code, message = service_error(exc.response)
            hint = {
                403: "needs DNS Zone Contributor (Microsoft.Network/dnsZones/*) on the zone",
                404: "no such zone (or resource group / subscription): check the zone id",
            }.get(status, "")
            text = f"{action} in zone {self.zone}: HTTP {status}"
            if code or message:
                text += f" {code or ''}: {message or ''}".rstrip()
            if hint:
                text += f"; {hint}"
            return OperationError(text, code=f"http_{status}")
        ref = ResourceRef(id=self.ref.id, kind="dns-zone", subscription=self.ref.subscription,
                          resource_group=self.ref.resource_group, name=self.zone)
        return translate(exc, Call(ref, f"{action} in zone {self.zone}",
                                   "Microsoft.Network/dnsZones/*", write=write))

    # -- zone --------------------------------------------------------------------------------
    def name_servers(self) -> list[str]:
        """The zone's authoritative name servers (``properties.nameServers``)."""
        try:
            z = self._sdk().zones.get(self.ref.resource_group, self.zone)
        except Exception as exc:
            raise self._fail(exc, "read the zone") from None
        return [ns.rstrip(".") for ns in (z.name_servers or [])]

    # -- record sets -------------------------------------------------------------------------
    def get(self, rtype: str, name: str) -> RecordSetInfo | None:
        """The record set, or None when it does not exist."""
        from azure.core.exceptions import ResourceNotFoundError

        rel = relative_name(self.zone, name)
        try:
            rs = self._sdk().record_sets.get(self.ref.resource_group, self.zone, rel,
                                             rtype.upper())
        except ResourceNotFoundError as exc:
            code, _ = service_error(exc.response) if exc.response is not None else (None, None)
            if code in _MISSING_PARENT:  # the zone (or its group) is missing, not the set
                raise self._fail(exc, f"read {rtype.upper()} {rel}") from None
            return None
        except Exception as exc:
            raise self._fail(exc, f"read {rtype.upper()} {rel}") from None
        return _info(self.zone, rtype.upper(), rs)

    def record_sets(self, rtype: str | None = None, *,
                    top: int | None = None) -> list[RecordSetInfo]:
        """Every record set (of ``rtype``), following ``nextLink``; ``top``: the page size."""
        sdk = self._sdk().record_sets
        rg = self.ref.resource_group
        try:
            if rtype:
                items = list(sdk.list_by_type(rg, self.zone, rtype.upper(), top=top))
            else:
                items = list(sdk.list_all_by_dns_zone(rg, self.zone, top=top))
        except Exception as exc:
            raise self._fail(exc, "list record sets") from None
        out = []
        for rs in items:
            t = (rtype or (rs.type or "").rsplit("/", 1)[-1]).upper()
            out.append(_info(self.zone, t, rs))
        return out

    def _put(self, rtype: str, name: str, body: Any, *, if_match: str | None = None,
             if_none_match: str | None = None) -> RecordSetInfo:
        rel = relative_name(self.zone, name)
        rs = self._conditional("write", rtype, rel, lambda: self._sdk().record_sets
                               .create_or_update(self.ref.resource_group, self.zone, rel,
                                                 rtype.upper(), body, if_match=if_match,
                                                 if_none_match=if_none_match))
        return _info(self.zone, rtype.upper(), rs)

    def _conditional(self, verb: str, rtype: str, rel: str, call: Callable[[], Any]) -> Any:
        """Run a write guarded by an etag; a 412 says what the set holds now."""
        from azure.core.exceptions import HttpResponseError

        try:
            return call()
        except Exception as exc:
            if (isinstance(exc, HttpResponseError) and exc.response is not None
                    and exc.response.status_code == 412):
                raise self._changed(rtype, rel) from None
            raise self._fail(exc, f"{verb} {rtype.upper()} {rel}", write=True) from None

    def _changed(self, rtype: str, rel: str) -> RecordSetChanged:
        try:
            now = self.get(rtype, rel)
        except Exception:
            now = None
        value = now.describe() if now is not None else "no record set"
        return RecordSetChanged(
            f"{rtype.upper()} {rel}.{self.zone} was changed by someone else meanwhile (HTTP 412);"
            f" it now holds: {value}. Look at it, then run the command again", now)

    def create(self, rtype: str, name: str, values: tuple[str, ...] | list[str] = (), *,
               target_resource: str | None = None, ttl: int = 300,
               metadata: dict[str, str] | None = None) -> RecordSetInfo:
        """Create only (``If-None-Match: *``): a 412 when the set exists already."""
        body = record_set_model(rtype, tuple(values), target_resource=target_resource, ttl=ttl,
                                metadata=metadata)
        return self._put(rtype, name, body, if_none_match="*")

    def update(self, rtype: str, name: str, values: tuple[str, ...] | list[str] = (), *,
               etag: str, target_resource: str | None = None, ttl: int = 300,
               metadata: dict[str, str] | None = None) -> RecordSetInfo:
        """Replace the set only if it still has ``etag`` (``If-Match``)."""
        if not etag:
            raise InputError("update needs the etag read with the record set")
        body = record_set_model(rtype, tuple(values), target_resource=target_resource, ttl=ttl,
                                metadata=metadata)
        return self._put(rtype, name, body, if_match=etag)

    def put(self, rtype: str, name: str, values: tuple[str, ...] | list[str] = (), *,
            etag: str | None, target_resource: str | None = None, ttl: int = 300,
            metadata: dict[str, str] | None = None) -> RecordSetInfo:
        """``create`` when ``etag`` is None (we saw no set), else ``update``."""
        if etag is None:
            return self.create(rtype, name, values, target_resource=target_resource, ttl=ttl,
                               metadata=metadata)
        return self.update(rtype, name, values, etag=etag, target_resource=target_resource,
                           ttl=ttl, metadata=metadata)

    def delete(self, rtype: str, name: str, *, etag: str) -> None:
        """Delete only if unchanged (``If-Match``); absent already is fine (204)."""
        rel = relative_name(self.zone, name)
        self._conditional("delete", rtype, rel, lambda: self._sdk().record_sets.delete(
            self.ref.resource_group, self.zone, rel, rtype.upper(), if_match=etag))

    # -- TXT values (ACME DNS-01) ------------------------------------------------------------
    def add_txt_value(self, name: str, value: str, *, ttl: int = 60) -> RecordSetInfo:
        """Append ``value`` to the TXT set ``name`` (creating it), retrying on 412."""
        for _ in range(TXT_RETRIES):
            now = self.get("TXT", name)
            values = list(now.values) if now is not None else []
            if value in values and now is not None:
                return now
            try:
                return self.put("TXT", name, [*values, value], etag=now.etag if now else None,
                                ttl=now.ttl or ttl if now else ttl,
                                metadata=now.metadata if now else None)
            except RecordSetChanged:
                continue
        raise OperationError(f"TXT {name} in zone {self.zone} kept changing under us"
                             f" ({TXT_RETRIES} tries); try again", code="precondition_failed")

    def remove_txt_value(self, name: str, value: str) -> None:
        """Remove ``value`` from the TXT set ``name``; delete the set once empty."""
        for _ in range(TXT_RETRIES):
            now = self.get("TXT", name)
            if now is None or value not in now.values:
                return
            rest = [v for v in now.values if v != value]
            try:
                if rest:
                    self.update("TXT", name, rest, etag=now.etag or "*", ttl=now.ttl or 60,
                                metadata=now.metadata)
                else:
                    self.delete("TXT", name, etag=now.etag or "*")
                return
            except RecordSetChanged:
                continue
        raise OperationError(f"TXT {name} in zone {self.zone} kept changing under us"
                             f" ({TXT_RETRIES} tries); try again", code="precondition_failed")


def add_txt_value(zone_id: str, name: str, value: str, *, credential: Any = None,
                  arm_endpoint: str | None = None, ttl: int = 60,
                  **client_options: Any) -> None:
    """Add one TXT value at ``name`` (absolute or relative to the zone) in Azure DNS zone
    ``zone_id``, keeping the values already there (GET, append, PUT with If-Match or
    If-None-Match: *, retry on 412)."""
    DnsZone(zone_id, credential=credential, arm_endpoint=arm_endpoint,
            **client_options).add_txt_value(name, value, ttl=ttl)


def remove_txt_value(zone_id: str, name: str, value: str, *, credential: Any = None,
                     arm_endpoint: str | None = None, **client_options: Any) -> None:
    """Remove one TXT value at ``name``; the set is deleted (If-Match) when none are left."""
    DnsZone(zone_id, credential=credential, arm_endpoint=arm_endpoint,
            **client_options).remove_txt_value(name, value)
