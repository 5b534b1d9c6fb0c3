"""The inventory: workspaces (Resource Graph or given ids) -> every endpoint's row.

Per workspace, on one event loop with bounded concurrency (``ArmReader``): its computes (AKS
inference clusters are targets; Kubernetes computes lead to their cluster's Azure ML
extension, each cluster listed once), its online endpoints (managed and Kubernetes), and its
v1 ACI web services through the Model Management Service. A workspace that fails (403, 404,
timeout) becomes one row saying so; the others still come back.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.fleet.arm import ArmReader
from jupyter_mlssl.fleet.rows import (
    FleetRow,
    compute_rows,
    endpoint_rows,
    error_row,
    extension_rows,
    kubernetes_clusters,
    parse_utc,
    service_rows,
)
from jupyter_mlssl.targets.azure.common import json_object, json_text

ML_API = "2025-12-01"
EXTENSIONS_API = "2023-05-01"


async def workspace_rows(reader: ArmReader, ws: dict,
                         clusters: dict[str, asyncio.Task[list[FleetRow]]]) -> list[FleetRow]:
    """The rows of one workspace (plus an error row for each listing that failed)."""
    ws_id = str(ws["id"]).rstrip("/")
    name = str(ws.get("name") or ws_id.rsplit("/", 1)[-1])
    params = {"api-version": ML_API}
    results = await asyncio.gather(
        reader.get_all(f"{ws_id}/computes", params, f"list computes of workspace {name}"),
        reader.get_all(f"{ws_id}/onlineEndpoints", params,
                       f"list online endpoints of workspace {name}"),
        _services(reader, ws_id, name, ws.get("discoveryUrl")),
        return_exceptions=True,
    )
    rows: list[FleetRow] = []
    failures: list[str] = []
    computes, endpoints, services = results
    if isinstance(computes, BaseException):
        failures.append(_why(computes))
    else:
        for body in computes:
            rows += compute_rows(body)
            cluster = kubernetes_clusters(body)
            if cluster:
                key = cluster.lower()
                if key not in clusters:  # a cluster shared by workspaces is listed once
                    clusters[key] = asyncio.ensure_future(_extensions(reader, cluster))
                rows += await clusters[key]
    if isinstance(endpoints, BaseException):
        failures.append(_why(endpoints))
    else:
        for body in endpoints:
            rows += endpoint_rows(body)
    if isinstance(services, BaseException):
        failures.append(_why(services))
    else:
        rows += services
    if failures:
        rows.append(error_row(ws_id, "workspace", name, "; ".join(failures)))
    for row in rows:
        row.workspace = ws_id
    return rows


def _why(exc: BaseException) -> str:
    if isinstance(exc, MlsslError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


async def _extensions(reader: ArmReader, cluster: str) -> list[FleetRow]:
    try:
        items = await reader.get_all(
            f"{cluster}/providers/Microsoft.KubernetesConfiguration/extensions",
            {"api-version": EXTENSIONS_API},
            f"list extensions of cluster {cluster.rsplit('/', 1)[-1]}")
    except MlsslError as exc:
        return [error_row(cluster, "k8s-extension", cluster.rsplit("/", 1)[-1], str(exc))]
    rows: list[FleetRow] = []
    for body in items:
        rows += extension_rows(body)
    return rows


async def _services(reader: ArmReader, ws_id: str, name: str,
                    discovery: str | None) -> list[FleetRow]:
    """v1 ACI web services, read from the workspace's Model Management Service."""
    if discovery is None:  # given by id, not from Resource Graph: read the workspace
        body = await reader.get(ws_id, {"api-version": ML_API}, what=f"read workspace {name}")
        discovery = json_text(json_object(json_object(body).get("properties"))
                              .get("discoveryUrl")) or ""
    if not discovery:
        return []  # no v1 discovery URL: a workspace without v1 web services
    found = await reader.get(discovery, anonymous=True,
                             what=f"discover the v1 services of workspace {name}")
    mms = (json_text(json_object(found).get("modelmanagement")) or "").rstrip("/")
    if not mms:
        return []
    items = await reader.get_all(f"{mms}/modelmanagement/v1.0{ws_id}/services",
                                 {"computeType": "ACI"},
                                 f"list v1 web services of workspace {name}")
    rows: list[FleetRow] = []
    for body in items:
        rows += service_rows(body, ws_id)
    return rows


async def azure_rows(workspaces: list[dict], *, credential: Any, arm_endpoint: str,
                     scope: str, verify: Any = True, concurrency: int = 64,
                     timeout: float = 30.0, retries: int = 4) -> tuple[list[FleetRow], int]:
    """Every row of every workspace; ``(rows, calls made)``."""
    reader = ArmReader(credential, scope, arm_endpoint, verify=verify,
                       concurrency=concurrency, timeout=timeout, retries=retries)
    clusters: dict[str, asyncio.Task[list[FleetRow]]] = {}
    try:
        per_ws = await asyncio.gather(*(workspace_rows(reader, ws, clusters)
                                        for ws in workspaces))
    finally:
        await reader.close()
    return [row for rows in per_ws for row in rows], reader.calls


def local_rows() -> list[FleetRow]:
    """Every local target of this state directory, with what its status says."""
    from jupyter_mlssl.targets.local import LocalTarget

    return [status_row(target, "local") for target in LocalTarget.all()]


def status_row(target: Any, kind: str | None = None) -> FleetRow:
    """A row from one opened target's ``status`` (``watch TARGET ...`` and local targets)."""
    name = str(getattr(target, "name", None) or target.id.rsplit("/", 1)[-1])
    try:
        status = target.status()
    except MlsslError as exc:
        return error_row(target.id, kind or str(getattr(target, "kind", "?")), name, str(exc))
    endpoint = target.endpoint(status)
    ssl = status.ssl.status
    url = endpoint.url if ssl != "Disabled" else (status.scoring_uri or endpoint.url)
    row = FleetRow(
        target=target.id, kind=kind or status.kind, tls=ssl, name=name,
        address=endpoint.hostname or status.fqdn,
        state="Running" if url else "Stopped", scoring_uri=url,
        cert_kind="Microsoft" if ssl == "Auto" else "own" if ssl == "Enabled" else None,
        days_left=status.days_left,
    )
    if status.certificate_not_after:
        row.not_after = parse_utc(status.certificate_not_after)
    row.extra = {"ca_bundle": endpoint.ca_bundle, "resolve": list(endpoint.resolve)}
    return row
