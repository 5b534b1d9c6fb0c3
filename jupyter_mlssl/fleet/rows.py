"""One row per endpoint, read from the bodies the listings return (whatever their state).

The readers here are pure: a listing body in, a :class:`FleetRow` out, so they are tested on
the official examples' shapes (tests/azure/data/fleet_bodies.json) without a server. The
online endpoint reader is the target's own (``targets.azure.online_endpoint.read_endpoint``)
so the fleet and ``status`` never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlssl.targets.azure.common import json_list, json_object, json_text, url_parts

#: a row's verdict, worst first: the table and the picture sort and colour by it
VERDICTS = ("expired", "failing", "error", "due", "plain_http", "pending", "unknown", "ok")
#: what each verdict means, for the legend and the docs
MEANING = {
    "expired": "the certificate has expired",
    "failing": "the live probe failed (broken chain, wrong name, unreachable, ...)",
    "error": "the resource (or its workspace) could not be read",
    "due": "renewal is due (past one third of the lifetime left, or the ACME window)",
    "plain_http": "served over plain HTTP",
    "pending": "being created, updated or deleted; no address yet",
    "unknown": "TLS on, expiry not known (run with --probe)",
    "ok": "TLS on, certificate valid, not due",
}
COLUMNS = ["verdict", "target", "kind", "tls", "name", "address", "state", "not_after",
           "days_left", "renewal_due", "cert_kind", "last_change", "probe", "detail"]


@dataclass
class FleetRow:
    target: str
    kind: str
    tls: str  # Auto | Enabled | Disabled | ? (unreadable)
    name: str
    address: str | None = None
    state: str | None = None
    scoring_uri: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    days_left: int | None = None
    renewal_due: dt.datetime | None = None
    cert_kind: str | None = None  # Microsoft | ACME | own
    last_change: str | None = None
    probe: str | None = None  # the live verdict (with --probe)
    detail: str = ""
    error: str | None = None
    workspace: str | None = None
    #: the moment the row was read: its verdict is judged then, not whenever it is rendered
    as_of: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def verdict(self) -> str:
        return judge(self, self.as_of)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict}
        for name in COLUMNS[1:]:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out


def judge(row: FleetRow, now: dt.datetime | None = None) -> str:
    """The row's verdict (one of :data:`VERDICTS`): the worst thing that applies."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if row.error:
        return "error"
    if row.not_after is not None and row.not_after <= now:
        return "expired"
    if row.probe is not None and row.probe != "ok" and row.tls != "Disabled":
        return "failing"
    if row.renewal_due is not None and row.renewal_due <= now:
        return "due"
    if row.tls == "Disabled":
        return "plain_http"
    if row.state and row.state not in ("Succeeded", "Healthy", "Running") and not row.address:
        return "pending"
    if row.not_after is None:
        return "unknown"
    return "ok"


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` with a time zone (a naive one is taken as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def parse_utc(text: str) -> dt.datetime:
    """An ISO 8601 time (``Z`` or an offset, or naive as UTC), as the history and the
    targets write them."""
    return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


def rank(row: FleetRow) -> tuple[int, float, str]:
    """Sort key: worst verdict first, then soonest expiry, then id."""
    soon = row.not_after.timestamp() if row.not_after else float("inf")
    return VERDICTS.index(row.verdict), soon, row.target


def error_row(target: str, kind: str, name: str, message: str) -> FleetRow:
    """A resource or a whole workspace that could not be read: a row saying so."""
    return FleetRow(target=target, kind=kind, tls="?", name=name, error=message, detail=message)


# -- readers: one listing body -> rows ---------------------------------------------------------
# Each takes an item of a listing as the service sent it (any JSON value: see json_object)
# and never raises: an item it cannot read gives no row, a field it cannot read is absent.


def _host(uri: Any) -> str | None:
    parts = url_parts(uri)
    return parts.hostname if parts else None


def _problem(error: Any) -> str:
    """One of ``provisioningErrors``: ``{"error": {"message": ...}}``, or whatever it is."""
    inner = json_object(error).get("error")
    return str(json_object(inner).get("message") or inner or error)


def compute_rows(body: Any) -> list[FleetRow]:
    """A ``workspaces/computes`` item: an AKS inference cluster (v1) is a target of its own;
    a Kubernetes compute is reached through its cluster's ML extension (listed separately);
    other computes (AmlCompute, instances) serve no endpoint and give no row."""
    props = json_object(json_object(body).get("properties"))
    ctype = str(props.get("computeType") or "")
    if ctype.upper() != "AKS":
        return []
    inner = json_object(props.get("properties"))
    ssl = json_object(inner.get("sslConfiguration"))
    status = str(ssl.get("status") or "Disabled")
    services = [json_object(s) for s in json_list(inner.get("systemServices"))]
    cname = json_text(ssl.get("cname"))
    address = cname or next(
        (json_text(s.get("publicIpAddress")) for s in services
         if json_text(s.get("publicIpAddress"))), None)
    return [FleetRow(
        target=str(body.get("id")), kind="aks", tls=status, name=str(body.get("name")),
        address=address, state=json_text(props.get("provisioningState")),
        scoring_uri=(f"{'https' if status != 'Disabled' else 'http'}://{address}/"
                     if address and cname else None),
        cert_kind="Microsoft" if status == "Auto" else "own" if status == "Enabled" else None,
        detail="; ".join(_problem(e) for e in json_list(props.get("provisioningErrors"))),
    )]


def kubernetes_clusters(body: Any) -> str | None:
    """The cluster behind a Kubernetes compute (``properties.resourceId``), or None."""
    props = json_object(json_object(body).get("properties"))
    if str(props.get("computeType") or "").lower() != "kubernetes":
        return None
    return (json_text(props.get("resourceId")) or "").rstrip("/") or None


def extension_rows(body: Any) -> list[FleetRow]:
    """A cluster's extension: the Azure ML one sets the TLS of its Kubernetes endpoints."""
    props = json_object(json_object(body).get("properties"))
    if str(props.get("extensionType") or "").lower() != "microsoft.azureml.kubernetes":
        return []
    config = json_object(props.get("configurationSettings"))
    insecure = str(config.get("allowInsecureConnections", "")).lower() == "true"
    cname = json_text(config.get("sslCname"))
    status = "Disabled" if insecure else "Enabled"
    return [FleetRow(
        target=str(body.get("id")), kind="k8s-extension", tls=status,
        name=str(body.get("name")), address=cname,
        state=json_text(props.get("provisioningState")),
        scoring_uri=f"https://{cname}/" if cname and not insecure else None,
        cert_kind="own" if status == "Enabled" else None,
    )]


def endpoint_rows(body: Any) -> list[FleetRow]:
    """An online endpoint, managed or Kubernetes, in any provisioning state."""
    from jupyter_mlssl.targets.azure.online_endpoint import read_endpoint

    if not isinstance(body, dict):
        return []
    read = read_endpoint(body)
    detail = ""
    if read["state"] and read["state"] != "Succeeded" and not read["scoring_uri"]:
        detail = f"{read['state']}: no scoring URI yet"
    tls = read["status"] if read["tls"] is not None else "?"
    return [FleetRow(
        target=str(body.get("id")), kind=read["kind"], tls=tls, name=str(body.get("name")),
        address=read["fqdn"], state=read["state"], scoring_uri=read["scoring_uri"],
        cert_kind="Microsoft" if read["kind"].startswith("managed") else
        ("own" if read["tls"] else None),
        detail=detail,
    )]


def service_rows(body: Any, workspace_id: str) -> list[FleetRow]:
    """A v1 web service from the Model Management Service: ACI ones are targets (AKS ones
    take their TLS from their cluster, listed as the compute)."""
    body = json_object(body)
    if str(body.get("computeType") or "").upper() != "ACI":
        return []
    uri = json_text(body.get("scoringUri"))
    enabled = bool(body.get("sslEnabled"))
    return [FleetRow(
        target=f"{workspace_id}/services/{body.get('name')}", kind="aci",
        tls="Enabled" if enabled else "Disabled", name=str(body.get("name")),
        address=json_text(body.get("cname")) or json_text(body.get("publicFqdn")) or _host(uri),
        state=json_text(body.get("state")), scoring_uri=uri,
        cert_kind="own" if enabled else None,
    )]
