"""Azure DNS zones and record sets for the fake ARM (api-version 2018-05-01).

Shapes follow the published spec (specification/dns/resource-manager/Microsoft.Network/stable/
2018-05-01/dns.json), casing included: a record set is ``{"id", "name", "type", "etag",
"properties": {"metadata", "TTL", "fqdn", "provisioningState", "targetResource", "ARecords",
"AAAARecords", "MXRecords", "NSRecords", "PTRRecords", "SRVRecords", "TXTRecords",
"CNAMERecord", "SOARecord", "caaRecords"}}``; a property spelled otherwise is a 400 here (the
service would drop it silently, which is worse to debug).

* ``GET …/dnszones/{zone}`` -> the zone with ``properties.nameServers``.
* ``GET|PUT|PATCH|DELETE …/dnszones/{zone}/{type}/{relativeName}``: PUT answers 201 (created)
  or 200 (replaced), with a new ``etag`` each write; ``If-Match: <etag>`` (412 unless equal),
  ``If-Match: *`` (412 unless it exists), ``If-None-Match: *`` (412 if it exists); DELETE
  answers 200, or 204 when absent, and honours ``If-Match``.
* ``GET …/dnszones/{zone}/{type}``, ``…/recordsets``, ``…/all``: lists with ``$top`` (default
  100) paged by ``nextLink`` (``$skipToken``).

``serve()`` starts a real loopback DNS server (the local target's ``DnsServer``) answering for
every zone from the same record sets, alias records resolved to the public IP's address: it
plays the zone's authoritative name servers, so verification can query "the zone's own
nameservers" for real. ``on_write`` lets a test change a record set between a read and a write.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from tests.azure.fakearm import RG, SUB, FakeArm, Recorded

API_VERSION = "2018-05-01"
ZONE_NAME = "contoso.test"

#: record type -> the one property that holds its records (spec casing)
RECORD_KEYS = {"A": "ARecords", "AAAA": "AAAARecords", "MX": "MXRecords", "NS": "NSRecords",
               "PTR": "PTRRecords", "SRV": "SRVRecords", "TXT": "TXTRecords",
               "CNAME": "CNAMERecord", "SOA": "SOARecord", "CAA": "caaRecords"}
COMMON_KEYS = {"metadata", "TTL", "fqdn", "provisioningState", "targetResource"}
ALL_KEYS = COMMON_KEYS | set(RECORD_KEYS.values())
NAME_SERVERS = ["ns1-01.azure-dns.com.", "ns2-01.azure-dns.net.", "ns3-01.azure-dns.org.",
                "ns4-01.azure-dns.info."]


def zone_id(zone: str = ZONE_NAME, rg: str = RG) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Network/dnszones/{zone}"


class FakeDns:
    """The zones' state, installed as an ``extra_routes`` entry of a :class:`FakeArm`."""

    def __init__(self, fake: FakeArm) -> None:
        self.fake = fake
        self.zones: dict[str, dict[str, Any]] = {}
        self.sets: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.on_write: Any = None  # callable(method, type, name) run before a write is judged
        self.server: Any = None
        fake.extra_routes.append(self.route)
        self.add_zone(ZONE_NAME)

    # -- state -----------------------------------------------------------------------------
    def add_zone(self, name: str, rg: str = RG) -> dict[str, Any]:
        name = name.lower()
        self.fake.resource_groups.add(rg.lower())
        z = {"id": zone_id(name, rg), "name": name, "type": "Microsoft.Network/dnszones",
             "location": "global", "etag": uuid.uuid4().hex, "tags": {},
             "properties": {"maxNumberOfRecordSets": 10000, "numberOfRecordSets": 2,
                            "nameServers": list(NAME_SERVERS), "zoneType": "Public"}}
        self.zones[name] = z
        self.sets[name] = {}
        self._store(name, "SOA", "@", {"TTL": 3600, "SOARecord": {
            "host": NAME_SERVERS[0], "email": "azuredns-hostmaster.microsoft.com",
            "serialNumber": 1, "refreshTime": 3600, "retryTime": 300, "expireTime": 2419200,
            "minimumTTL": 300}})
        self._store(name, "NS", "@", {"TTL": 172800,
                                      "NSRecords": [{"nsdname": ns} for ns in NAME_SERVERS]})
        return z

    def _store(self, zone: str, rtype: str, name: str, props: dict[str, Any]) -> dict[str, Any]:
        fqdn = f"{zone}." if name == "@" else f"{name}.{zone}."
        rs = {"id": f"{self.zones[zone]['id']}/{rtype}/{name}", "name": name,
              "type": f"Microsoft.Network/dnszones/{rtype}", "etag": str(uuid.uuid4()),
              "properties": {**props, "fqdn": fqdn, "provisioningState": "Succeeded"}}
        self.sets[zone][(rtype, name.lower())] = rs
        self._mirror()
        return rs

    def put_record_set(self, rtype: str, name: str, props: dict[str, Any],
                       zone: str = ZONE_NAME) -> dict[str, Any]:
        """Set a record set directly, as another client would (a new etag)."""
        return self._store(zone, rtype.upper(), name, props)

    def record_set(self, rtype: str, name: str, zone: str = ZONE_NAME) -> dict[str, Any] | None:
        return self.sets[zone].get((rtype.upper(), name.lower()))

    # -- routes ----------------------------------------------------------------------------
    def route(self, fake: FakeArm, method: str, path: str, q: dict, rec: Recorded,
              lro: Any) -> tuple[int, Any, dict] | None:
        m = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/Microsoft.Network/"
                     r"dnszones/([^/]+)(?:/([^/]+)(?:/([^/]+))?)?$", path, re.I)
        if m is None:
            return None
        if q.get("api-version") != API_VERSION:
            return 400, {"error": {"code": "InvalidApiVersionParameter",
                                   "message": f"The api-version '{q.get('api-version')}' is "
                                              "invalid."}}, {}
        zone = m.group(2).lower()
        z = self.zones.get(zone)
        if z is None or z["id"].split("/")[4].lower() != m.group(1).lower():
            code = "ParentResourceNotFound" if m.group(3) else "ResourceNotFound"
            return fake._not_found(code, f"The DNS zone '{m.group(2)}'")
        kind, name = m.group(3), m.group(4)
        if kind is None:
            if method != "GET":
                return 405, {"error": {"code": "MethodNotAllowed", "message": method}}, {}
            out = copy.deepcopy(z)
            out["properties"]["numberOfRecordSets"] = len(self.sets[zone])
            return 200, out, {}
        if name is None:
            if method != "GET":
                return 405, {"error": {"code": "MethodNotAllowed", "message": method}}, {}
            return self._list(zone, kind, q, path)
        rtype = kind.upper()
        if rtype not in RECORD_KEYS:
            return 400, {"error": {"code": "BadRequest",
                                   "message": f"Record type '{kind}' is not supported."}}, {}
        return self._one(method, zone, rtype, name, rec)

    def _list(self, zone: str, kind: str, q: dict, path: str) -> tuple[int, Any, dict]:
        items = sorted(self.sets[zone].values(), key=lambda r: (r["name"], r["type"]))
        if kind.lower() not in ("recordsets", "all"):
            items = [r for r in items if r["type"].rsplit("/", 1)[-1] == kind.upper()]
        top = int(q.get("$top") or 100)
        start = int(q.get("$skipToken") or 0)
        page = items[start:start + top]
        body: dict[str, Any] = {"value": copy.deepcopy(page)}
        if start + top < len(items):
            body["nextLink"] = (f"{self.fake.base}{path}?api-version={API_VERSION}"
                                f"&$top={top}&$skipToken={start + top}")
        return 200, body, {}

    def _one(self, method: str, zone: str, rtype: str, name: str,
             rec: Recorded) -> tuple[int, Any, dict]:
        key = (rtype, name.lower())
        if method in ("PUT", "PATCH", "DELETE") and self.on_write is not None:
            self.on_write(method, rtype, name)
        current = self.sets[zone].get(key)
        if method == "GET":
            if current is None:
                return self.fake._not_found(
                    "NotFound", f"The resource record '{name}' of type '{rtype}'")
            return 200, copy.deepcopy(current), {}
        if_match = rec.headers.get("If-Match")
        if_none = rec.headers.get("If-None-Match")
        if if_none == "*" and current is not None:
            return self._precondition(f"The Record set {name} exists already.")
        if if_match == "*" and current is None:
            return self._precondition(f"The Record set {name} does not exist.")
        if if_match not in (None, "*") and (current is None or current["etag"] != if_match):
            return self._precondition(
                f"The Record set {name} has been modified (etag mismatch).")
        if method == "DELETE":
            if current is None:
                return 204, None, {}
            del self.sets[zone][key]
            self._mirror()
            return 200, None, {}
        body = rec.json or {}
        props = body.get("properties") or {}
        bad = sorted(set(props) - ALL_KEYS)
        if bad:
            return 400, {"error": {"code": "BadRequest",
                                   "message": f"Unknown record set properties: {bad}"}}, {}
        wrong = sorted(k for k in set(props) & set(RECORD_KEYS.values())
                       if k != RECORD_KEYS[rtype])
        if wrong:
            return 400, {"error": {"code": "BadRequest",
                                   "message": f"{wrong} do not belong in a {rtype} set."}}, {}
        if method == "PATCH":
            if current is None:
                return self.fake._not_found("NotFound", f"The record set '{name}'")
            props = {**current["properties"], **props}
        target = (props.get("targetResource") or {}).get("id")
        if target and self._public_ip(target) is None:
            return 400, {"error": {"code": "BadRequest", "message": "The target resource "
                                   f"'{target}' does not exist."}}, {}
        if target and props.get(RECORD_KEYS[rtype]):
            return 400, {"error": {"code": "BadRequest", "message": "An alias record set "
                                   "cannot also hold records."}}, {}
        if "TTL" not in props:
            props["TTL"] = 3600
        keep = {k: v for k, v in props.items() if k not in ("fqdn", "provisioningState")}
        rs = self._store(zone, rtype, name, keep)
        return (201 if current is None else 200), copy.deepcopy(rs), {}

    @staticmethod
    def _precondition(message: str) -> tuple[int, Any, dict]:
        return 412, {"error": {"code": "PreconditionFailed", "message": message}}, {}

    def _public_ip(self, resource_id: str) -> dict[str, Any] | None:
        return next((ip for ip in self.fake.public_ips
                     if ip["id"].lower() == resource_id.lower()), None)

    # -- a real nameserver for the zones ---------------------------------------------------
    def serve(self) -> str:
        """Start the loopback authoritative server; returns ``127.0.0.1:PORT``."""
        from jupyter_mlssl.targets.local.dnsserver import DnsServer

        if self.server is None:
            self.server = DnsServer().start()
            self._mirror()
        return str(self.server.address)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def _mirror(self) -> None:
        if self.server is None:
            return
        from jupyter_mlssl.targets.local.zone import Zone

        mirror = Zone()
        for zone, sets in self.sets.items():
            for (rtype, name), rs in sets.items():
                fqdn = zone if name == "@" else f"{name}.{zone}"
                props = rs["properties"]
                ttl = int(props.get("TTL") or 3600)
                target = (props.get("targetResource") or {}).get("id")
                if target:
                    ip = self._public_ip(target)
                    address = ((ip or {}).get("properties") or {}).get("ipAddress")
                    if address and rtype == "A":
                        mirror.set_a(fqdn, [address], ttl)
                elif rtype == "A":
                    mirror.set_a(fqdn, [r["ipv4Address"] for r in props.get("ARecords") or []],
                                 ttl)
                elif rtype == "CNAME" and props.get("CNAMERecord"):
                    mirror.set_cname(fqdn, props["CNAMERecord"]["cname"], ttl)
        self.server.zone.replace_with(mirror)
