"""Public IP writes and DNS-label availability for the fake ARM (Microsoft.Network 2024-07-01).

* ``PUT …/publicIPAddresses/{name}``: a full replace of the IP (the body must carry
  ``location`` and ``properties``), validated as the service does: a label breaking the
  documented rules -> 400 ``InvalidDomainNameLabel``; a label another IP in the region holds
  (here or, through ``taken``, anywhere in Azure) -> 400 ``DnsRecordInUse``; a lock on the IP or
  its group -> 409 ``ScopeLocked``; a deny assignment -> 403
  ``DenyAssignmentAuthorizationFailed``. Answers 200 + ``Azure-AsyncOperation``; the new body
  (with ``fqdn`` = ``<label>.<region>.cloudapp.azure.com``) is in place once the operation
  reports Succeeded.
* ``GET /subscriptions/{sub}/providers/Microsoft.Network/locations/{region}/
  CheckDnsNameAvailability?domainNameLabel=`` -> ``{"available": bool}``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.azure.fakearm import SUB, FakeArm, Recorded

API_VERSIONS = {"2024-07-01"}
LABEL = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")


class FakeNetwork:
    def __init__(self, fake: FakeArm) -> None:
        self.fake = fake
        self.taken: set[tuple[str, str]] = set()  # (region, label) held elsewhere in Azure
        self.locks: dict[str, str] = {}  # scope prefix (lower) -> the locked scope it reports
        self.deny: dict[str, str] = {}  # scope prefix (lower) -> deny assignment name
        fake.extra_routes.append(self.route)

    def route(self, fake: FakeArm, method: str, path: str, q: dict, rec: Recorded,
              lro: Any) -> tuple[int, Any, dict] | None:
        m = re.match(r"^/subscriptions/[^/]+/providers/Microsoft.Network/locations/([^/]+)/"
                     r"CheckDnsNameAvailability$", path, re.I)
        if m:
            if q.get("api-version") not in API_VERSIONS:
                return self._bad_version(q)
            label = q.get("domainNameLabel") or ""
            return 200, {"available": self._free(m.group(1).lower(), label, None)}, {}
        m = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/Microsoft.Network/"
                     r"publicIPAddresses/([^/]+)$", path, re.I)
        if m is None or method != "PUT":
            return None
        if q.get("api-version") not in API_VERSIONS:
            return self._bad_version(q)
        ip = next((i for i in fake.public_ips if i["id"].lower() == path.lower()), None)
        for scope, name in self.locks.items():
            if path.lower().startswith(scope):
                return 409, {"error": {"code": "ScopeLocked", "message": (
                    f"The scope '{path}' cannot perform write operation because following"
                    f" scope(s) are locked: '{name}'. Please remove the lock and try"
                    " again.")}}, {}
        for scope, name in self.deny.items():
            if path.lower().startswith(scope):
                return 403, {"error": {"code": "DenyAssignmentAuthorizationFailed", "message": (
                    "The client has permission to perform action 'Microsoft.Network/"
                    f"publicIPAddresses/write' on scope '{path}', however the access is denied"
                    f" because of the deny assignment with name '{name}'.")}}, {}
        body = rec.json or {}
        if "location" not in body or "properties" not in body:
            return 400, {"error": {"code": "InvalidRequestFormat",
                                   "message": "location and properties are required"}}, {}
        region = str(body["location"]).lower()
        dns = body["properties"].get("dnsSettings") or {}
        label = dns.get("domainNameLabel")
        if label:
            if not LABEL.match(label):
                return 400, {"error": {"code": "InvalidDomainNameLabel", "message": (
                    f"The domain name label {label} is invalid.")}}, {}
            if not self._free(region, label, path):
                return 400, {"error": {"code": "DnsRecordInUse", "message": (
                    f"DNS record {label}.{region}.cloudapp.azure.com is already used by"
                    " another public IP.")}}, {}
        new = copy.deepcopy(body)
        new["id"], new["name"] = (ip or {}).get("id", path), m.group(2)
        new.setdefault("tags", (ip or {}).get("tags", {}))
        props = new["properties"]
        props["ipAddress"] = ((ip or {}).get("properties") or {}).get("ipAddress")
        props["provisioningState"] = "Succeeded"
        if label:
            props["dnsSettings"] = {**dns, "fqdn": f"{label}.{region}.cloudapp.azure.com"}
        else:
            props.pop("dnsSettings", None)

        def apply() -> None:
            if ip is not None:
                ip.clear()
                ip.update(new)
            else:
                fake.public_ips.append(new)

        op = fake.new_op(apply, lro)
        url = (f"{fake.base}/subscriptions/{SUB}/providers/Microsoft.Network/locations/{region}/"
               f"operations/{op}?api-version={q.get('api-version')}")
        answer = copy.deepcopy(new)
        answer["properties"]["provisioningState"] = "Updating"
        return (200 if ip else 201), answer, {"Azure-AsyncOperation": url}

    def _free(self, region: str, label: str, own_id: str | None) -> bool:
        if (region, label) in self.taken:
            return False
        for ip in self.fake.public_ips:
            dns = (ip.get("properties") or {}).get("dnsSettings") or {}
            if (dns.get("domainNameLabel") == label and str(ip.get("location")).lower() == region
                    and ip["id"].lower() != (own_id or "").lower()):
                return False
        return True

    @staticmethod
    def _bad_version(q: dict) -> tuple[int, Any, dict]:
        return 400, {"error": {"code": "InvalidApiVersionParameter",
                               "message": f"The api-version '{q.get('api-version')}' is "
                                          "invalid."}}, {}
