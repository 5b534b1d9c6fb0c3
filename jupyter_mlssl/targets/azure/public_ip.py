"""The DNS label of the AKS router's public IP: ``<label>.<region>.cloudapp.azure.com``.

The article's step 4 for AKS ("set the DNS name of the cluster's public IP") done from the
notebook. The IP lives in the cluster's node resource group (``MC_…``); the calls, pinned to
api-version 2024-07-01 whose published spec is
``specification/network/resource-manager/Microsoft.Network/stable/2024-07-01/
publicIpAddress.json`` (and ``checkDnsAvailability.json`` for the pre-check):

* ``GET …/locations/{region}/checkDnsNameAvailability?domainNameLabel=`` first;
* ``GET …/publicIPAddresses/{name}``, change ``properties.dnsSettings.domainNameLabel`` only,
  ``PUT`` the same object back (a full replace, long-running: 200/201 +
  ``Azure-AsyncOperation``). There is no etag concurrency on this resource (``etag`` is
  read-only, no ``If-Match``), so the PUT is last-writer-wins: we GET again afterwards and
  compare.

Raw JSON through ``ARMPipelineClient`` rather than azure-mgmt-network's models: the PUT must
send back exactly the object read (a model round-trip drops what the model does not know), and
the SDK pins 2026-03-01, a version whose spec file we could not find.

cloud-provider-azure leaves a label alone unless the Service carries the
``service.beta.kubernetes.io/azure-dns-label-name`` annotation (then it owns the label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.targets.azure.clients import send_json
from jupyter_mlssl.targets.azure.common import json_object, json_text
from jupyter_mlssl.targets.azure.faults import service_error

API_VERSION = "2024-07-01"
LABEL = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")
#: what a PUT refusal means, by ARM error code
REFUSALS = {
    "ScopeLocked": "a management lock forbids it",
    "DenyAssignmentAuthorizationFailed": "a deny assignment forbids it (node resource group"
                                         " lockdown, e.g. AKS Automatic's ReadOnly)",
    "AuthorizationFailed": "you lack Network Contributor on the IP or its node resource group",
    "DnsRecordInUse": "the label is taken in this region",
}


def _raw_message(response: Any) -> str:
    try:
        return str(((response.json() or {}).get("error") or {}).get("message") or "")
    except Exception:
        return ""


def _which(message: str) -> str:
    """The lock scope or deny assignment an ARM refusal names, for the first line."""
    m = re.search(r"deny assignment with (?:name|id) '([^']+)'", message, re.I)
    if m:
        return f"deny assignment '{m.group(1)}'"
    m = re.search(r"scope\(s\) are locked: '([^']+)'", message, re.I)
    if m:
        return f"lock on {m.group(1)}"
    return ""


def check_label(label: str) -> str:
    """The documented rules, checked before any call: 3-63 of a-z 0-9 and '-', starting with
    a letter and ending with a letter or digit (unique per region across Azure)."""
    if not isinstance(label, str) or not LABEL.fullmatch(label):
        raise InputError(
            f"{label or '(empty)'}: not a valid DNS label; use 3-63 lowercase letters, digits"
            " and hyphens, starting with a letter and ending with a letter or digit",
            code="bad_label")
    return label


def fqdn_for(label: str, region: str) -> str:
    return f"{label}.{region.lower().replace(' ', '')}.cloudapp.azure.com"


@dataclass(frozen=True)
class PublicIp:
    id: str
    name: str
    region: str
    address: str | None
    label: str | None
    fqdn: str | None
    label_scope: str | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, body: Any) -> PublicIp:
        body = json_object(body)
        props = json_object(body.get("properties"))
        dns = json_object(props.get("dnsSettings"))
        return cls(json_text(body.get("id")) or "", json_text(body.get("name")) or "",
                   json_text(body.get("location")) or "", json_text(props.get("ipAddress")),
                   json_text(dns.get("domainNameLabel")),
                   (json_text(dns.get("fqdn")) or "").rstrip(".") or None,
                   json_text(dns.get("domainNameLabelScope")), body)


class PublicIpLabels:
    """Read and set the label of one public IP through ``clients`` (an ``AzureClients``)."""

    def __init__(self, clients: Any, ip_id: str) -> None:
        self.clients = clients
        self.ip_id = ip_id
        self.subscription = ip_id.split("/")[2] if ip_id.startswith("/subscriptions/") else ""

    def _send(self, method: str, url: str, action: str, **kw: Any) -> Any:
        try:
            return send_json(self.clients.arm(), method, url,
                             params={"api-version": API_VERSION, **kw.pop("params", {})}, **kw)
        except Exception as exc:
            raise self._fail(exc, action) from None

    def _fail(self, exc: BaseException, action: str) -> Exception:
        from azure.core.exceptions import HttpResponseError

        from jupyter_mlssl.errors import MlsslError

        if isinstance(exc, MlsslError):
            return exc
        if isinstance(exc, HttpResponseError) and exc.response is not None:
            code, message = service_error(exc.response)
            why = REFUSALS.get(code or "", "")
            text = f"{action}: HTTP {exc.response.status_code} {code or ''}"
            if why:
                text += f": {why}"
            which = _which(_raw_message(exc.response))
            if which:  # named up front: the service's own message may be cut short
                text += f" [{which}]"
            if message:
                text += f" ({message})"
            return OperationError(text, code=code or f"http_{exc.response.status_code}")
        return OperationError(f"{action}: {type(exc).__name__}: {exc}", code="connection")

    def get(self) -> PublicIp:
        return PublicIp.from_json(self._send("GET", self.ip_id, "read the router's public IP"))

    def available(self, region: str, label: str) -> bool:
        url = (f"/subscriptions/{self.subscription}/providers/Microsoft.Network/locations/"
               f"{region}/CheckDnsNameAvailability")
        body = self._send("GET", url, f"check whether '{label}' is free in {region}",
                          params={"domainNameLabel": label}) or {}
        return bool(body.get("available"))

    def begin_set_label(self, ip: PublicIp, label: str | None) -> Any:
        """PUT ``ip``'s own object back with only ``dnsSettings.domainNameLabel`` changed
        (None: remove the label). Returns an azure-core ``LROPoller``."""
        import copy

        from azure.core.polling import LROPoller
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        body = copy.deepcopy(ip.raw)
        props = body.setdefault("properties", {})
        dns = dict(props.get("dnsSettings") or {})
        dns.pop("fqdn", None)  # read-only: the service derives it from the label
        if label:
            dns["domainNameLabel"] = label
        else:
            dns.pop("domainNameLabel", None)
            dns.pop("domainNameLabelScope", None)
        if dns:
            props["dnsSettings"] = dns
        else:
            props.pop("dnsSettings", None)
        action = (f"set DNS label '{label}' on {ip.name}" if label
                  else f"remove the DNS label of {ip.name}")
        initial = self._send("PUT", self.ip_id, action, body=body, pipeline_response=True)
        method = ARMPolling(self.clients.polling_interval,
                            lro_options={"final-state-via": "azure-async-operation"})
        return LROPoller(self.clients.arm(), initial, lambda r: None, method)

    def set_label(self, ip: PublicIp, label: str | None, timeout: float = 300) -> PublicIp:
        """Set (or clear) the label, wait, and read the IP again (last writer wins)."""
        poller = self.begin_set_label(ip, label)
        try:
            poller.result(timeout=timeout)
        except Exception as exc:
            raise self._fail(exc, f"wait for the DNS label on {ip.name}") from None
        now = self.get()
        if (now.label or None) != (label or None):
            raise OperationError(
                f"{ip.name}: the label reads '{now.label}' after the change, not '{label}';"
                " someone (or cloud-provider-azure's azure-dns-label-name annotation) changed"
                " it meanwhile", code="label_mismatch")
        return now
