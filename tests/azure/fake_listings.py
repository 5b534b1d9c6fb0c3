"""The fleet's listings on the fake ARM, shaped as the 2025-12-01 spec and its examples are
(tests/azure/data/fleet_bodies.json says where each shape comes from):

* ``GET .../workspaces/{ws}/computes`` and ``.../onlineEndpoints``: ``{"value": [...],
  "nextLink": ...}``, ``page`` items a page;
* ``GET .../managedClusters/{c}/providers/Microsoft.KubernetesConfiguration/extensions``;
* the v1 Model Management Service's ``GET .../services?computeType=ACI`` for any workspace;
* a workspace can be made to answer 403 (``forbid``), or every call to wait (``delay``).

The estate also fills the Resource Graph (``fake_graph``) with its workspaces.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.azure import fake_graph
from tests.azure.fakearm import ML, RG, SUB

WS_RE = re.compile(rf"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/{ML}/workspaces/"
                   r"[^/]+)/(computes|onlineEndpoints)$", re.I)
EXT_RE = re.compile(r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
                    r"Microsoft\.ContainerService/managedClusters/[^/]+)/providers/"
                    r"Microsoft\.KubernetesConfiguration/extensions$", re.I)
WS_ONLY_RE = re.compile(rf"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/{ML}/"
                        r"workspaces/[^/]+)$", re.I)
MMS_RE = re.compile(r"^/modelmanagement/v1\.0(/subscriptions/.+/workspaces/[^/]+)/services$",
                    re.I)


@dataclass
class Workspace:
    id: str
    name: str
    computes: list[dict] = field(default_factory=list)
    endpoints: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    forbidden: bool = False
    body: dict = field(default_factory=dict)


@dataclass
class Estate:
    fake: Any
    graph: fake_graph.Graph
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    extensions: dict[str, list[dict]] = field(default_factory=dict)  # cluster id (lower) ->
    page: int = 50
    delay: float = 0.0

    # -- building the estate -------------------------------------------------------------
    def add_workspace(self, name: str, *, sub: str = SUB, rg: str = RG,
                      v1: bool = True) -> Workspace:
        ws_id = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{ML}/workspaces/{name}"
        ws = Workspace(ws_id, name)
        self.workspaces[ws_id.lower()] = ws
        self.fake.resource_groups.add(rg.lower())
        row = {"id": ws_id, "name": name, "location": "eastus", "subscriptionId": sub,
               "resourceGroup": rg}
        # Resource Graph's `tostring(properties.discoveryUrl)` is "" when there is none
        row["discoveryUrl"] = f"{self.fake.base}/discovery/{name}" if v1 else ""
        ws.body = {"id": ws_id, "name": name, "location": "eastus",
                   "type": f"{ML}/workspaces",
                   "properties": {"discoveryUrl": row["discoveryUrl"] or None}}
        self.graph.rows.append(row)
        return ws

    def add_aks(self, ws: Workspace, name: str, ssl: dict, *, fqdn_ip: str = "192.0.2.10",
                state: str = "Succeeded") -> dict:
        body = {"id": f"{ws.id}/computes/{name}", "name": name, "location": "eastus",
                "type": f"{ML}/workspaces/computes",
                "properties": {"computeType": "AKS", "provisioningState": state,
                               "properties": {"sslConfiguration": ssl, "systemServices": [
                                   {"systemServiceType": "ScoringFrontEnd",
                                    "publicIpAddress": fqdn_ip}]}}}
        ws.computes.append(body)
        return body

    def add_kubernetes(self, ws: Workspace, name: str, cluster: str,
                       extension_settings: dict | None) -> dict:
        body = {"id": f"{ws.id}/computes/{name}", "name": name, "location": "eastus",
                "type": f"{ML}/workspaces/computes",
                "properties": {"computeType": "Kubernetes", "provisioningState": "Succeeded",
                               "resourceId": cluster,
                               "properties": {"namespace": "default"}}}
        ws.computes.append(body)
        if extension_settings is not None:
            self.extensions.setdefault(cluster.lower(), []).append({
                "id": f"{cluster}/providers/Microsoft.KubernetesConfiguration/extensions/azureml",
                "name": "azureml", "type": "Microsoft.KubernetesConfiguration/extensions",
                "properties": {"extensionType": "Microsoft.AzureML.Kubernetes",
                               "provisioningState": "Succeeded", "releaseTrain": "stable",
                               "configurationSettings": extension_settings,
                               "configurationProtectedSettings": {}}})
        return body

    def add_endpoint(self, ws: Workspace, name: str, scoring_uri: str | None, *,
                     compute: str | None = None, state: str = "Succeeded") -> dict:
        props: dict[str, Any] = {"authMode": "Key", "provisioningState": state,
                                 "scoringUri": scoring_uri, "traffic": {}}
        if compute:
            props["compute"] = compute
        body = {"id": f"{ws.id}/onlineEndpoints/{name}", "name": name, "location": "eastus",
                "type": f"{ML}/workspaces/onlineEndpoints", "kind": "Managed",
                "properties": props}
        ws.endpoints.append(body)
        return body

    def add_aci(self, ws: Workspace, name: str, scoring_uri: str | None, *,
                ssl: bool, cname: str | None = None, state: str = "Healthy") -> dict:
        body = {"name": name, "computeType": "ACI", "state": state, "sslEnabled": ssl,
                "cname": cname, "publicFqdn": f"{name}-abc.eastus.azurecontainer.io",
                "scoringUri": scoring_uri}
        ws.services.append(body)
        return body

    # -- answering -----------------------------------------------------------------------
    def _page(self, items: list[dict], path: str, q: dict) -> dict:
        start = int(q.get("$skip") or 0)
        out: dict[str, Any] = {"value": items[start:start + self.page]}
        if start + self.page < len(items):
            query = {k: v for k, v in q.items() if k != "$skip"}
            query["$skip"] = str(start + self.page)
            out["nextLink"] = f"{self.fake.base}{path}?{urlencode(query)}"
        return out

    def route(self, fake: Any, method: str, path: str, q: dict, rec: Any,
              lro: Any) -> tuple[int, Any, dict] | None:
        if method != "GET":
            return None
        w = WS_ONLY_RE.match(path)
        if w is not None:
            one = self.workspaces.get(w.group(1).lower())
            if one is None:
                return None
            if one.forbidden:
                return 403, {"error": {"code": "AuthorizationFailed",
                                       "message": f"no access to '{one.id}'"}}, {}
            return 200, one.body, {}
        m = WS_RE.match(path) or MMS_RE.match(path)
        e = EXT_RE.match(path)
        if m is None and e is None:
            return None
        if self.delay:
            time.sleep(self.delay)
        if e is not None:
            items = self.extensions.get(e.group(1).lower())
            if items is None:
                return None  # the built-in cluster routes answer (or 404)
            return 200, self._page(items, path, q), {}
        ws = self.workspaces.get(m.group(1).lower())  # type: ignore[union-attr]
        if ws is None:
            return None
        if ws.forbidden:
            return 403, {"error": {"code": "AuthorizationFailed", "message":
                                   f"The client does not have authorization to perform"
                                   f" action over scope '{ws.id}'"}}, {}
        if path.startswith("/modelmanagement/"):
            wanted = q.get("computeType")
            items = [s for s in ws.services if not wanted or s["computeType"] == wanted]
            return 200, self._page(items, path, q), {}
        kind = m.group(2).lower()  # type: ignore[union-attr]
        return 200, self._page(ws.computes if kind == "computes" else ws.endpoints, path, q), {}


def install(fake: Any) -> Estate:
    graph = fake_graph.install(fake)
    estate = Estate(fake, graph)
    fake.extra_routes.insert(0, estate.route)
    return estate
