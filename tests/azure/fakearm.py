"""A fake Azure Resource Manager + Model Management Service over HTTPS on 127.0.0.1.

It follows the documented REST contract closely enough for the real SDK clients to run
against it unchanged (docs/azure-notes.md):

* ``GET/PUT .../workspaces/{ws}/computes/{name}``; PUT answers 201 + ``Azure-AsyncOperation``,
  the operation resource answers ``{"status": "InProgress"}`` then ``Succeeded`` (or Failed /
  Canceled with an ``error``), and only then is the new body in place; GET never returns
  ``cert``/``key`` ("any secrets ... are not returned"). Only the api-versions in
  ``compute_api_versions`` are served; others get 400 ``InvalidApiVersionParameter``.
* ``GET .../workspaces/{ws}`` with ``properties.discoveryUrl``; ``GET /discovery/{ws}`` ->
  ``{"modelmanagement": <base>}`` (anonymous).
* MMS ``GET/PATCH /modelmanagement/v1.0/.../services/{name}`` (JSON-Patch), 202 +
  ``Operation-Location`` (or 200 + ``operationId`` when ``mms_sync_id`` is set), operations at
  ``.../operations/{id}`` with ``state``.
* ``GET .../managedClusters/{c}``, ``GET .../publicIPAddresses`` (list and one),
  ``GET .../onlineEndpoints/{name}``.
* ``GET/PATCH .../providers/Microsoft.KubernetesConfiguration/extensions[/{name}]``: PATCH
  merges ``configurationSettings`` and replaces the protected map (never returned), answers
  202 + ``Azure-AsyncOperation``.

404s name the missing level as ARM does: SubscriptionNotFound, ResourceGroupNotFound,
ParentResourceNotFound, ResourceNotFound. Requests without ``Authorization: Bearer
fake-token`` get 401 (except the discovery URL).

Every request is recorded (method, path, query, headers, body) for assertions, and faults can
be injected per route: an HTTP status (401, 403, 404, 409, 429 + Retry-After, 5xx), a delay,
a connection reset after reading the request, or an LRO that ends Failed / Canceled.
"""

from __future__ import annotations

import copy
import json
import re
import socket
import ssl
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "fake-token"
SUB = "00000000-1111-2222-3333-444444444444"
RG = "rg1"
WS = "ws1"
NODE_RG = "MC_rg1_aks1_eastus"
ML = "Microsoft.MachineLearningServices"
ROUTER_IP = "192.0.2.10"  # TEST-NET-1: unroutable, so probes of it fail fast and safely
ROUTER_FQDN = "contosoab12cd.eastus.cloudapp.azure.com"
ROUTER_IP_ID = (f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/"
                "publicIPAddresses/kubernetes-a1")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    method: str
    pattern: re.Pattern
    kind: str  # status | reset | slow | lro | body (answer ``status`` with ``body`` as is)
    times: int = 1
    status: int = 500
    code: str = "InternalServerError"
    message: str = "injected fault"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    outcome: str = "Failed"  # for kind == "lro"
    body: Any = None  # for kind == "body"


@dataclass
class Op:
    polls_left: int
    outcome: str  # Succeeded | Failed | Canceled
    apply: Any  # callable run on success
    kind: str  # arm | mms
    message: str = ""
    code: str = ""


def aks_compute(name: str = "aks1", ssl_config: dict | None = None) -> dict:
    cid = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{ML}/workspaces/{WS}/computes/{name}"
    return {
        "id": cid,
        "name": name,
        "type": f"{ML}/workspaces/computes",
        "location": "eastus",
        "tags": {"team": "ml"},
        "properties": {
            "computeType": "AKS",
            "computeLocation": "eastus",
            "provisioningState": "Succeeded",
            "createdOn": "2024-01-01T00:00:00Z",
            "modifiedOn": "2024-01-02T00:00:00Z",
            "provisioningErrors": None,
            "isAttachedCompute": True,
            "description": None,
            "resourceId": f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/"
                          "Microsoft.ContainerService/managedClusters/aks1",
            "properties": {
                "clusterFqdn": "aks1-dns-1234.hcp.eastus.azmk8s.io",
                "systemServices": [{"systemServiceType": "ScoringFrontEnd",
                                    "publicIpAddress": ROUTER_IP, "version": "1.0"}],
                "agentCount": 3,
                "agentVmSize": "Standard_D3_v2",
                "clusterPurpose": "FastProd",
                "loadBalancerType": "InternalLoadBalancer",
                "loadBalancerSubnet": "aks-subnet",
                "aksNetworkingConfiguration": {"subnetId": "/subscriptions/x/subnet",
                                               "serviceCidr": "10.0.0.0/16"},
                "sslConfiguration": (
                    ssl_config if ssl_config is not None else {"status": "Disabled"}
                ),
            },
        },
    }


class FakeArm:
    """The server and its state. ``base`` is the ARM endpoint to pass to ``connect``."""

    def __init__(self, server_cert_pem: bytes, server_key_pem: bytes, tmp: Path) -> None:
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.ops: dict[str, Op] = {}
        self.lock = threading.Lock()
        self.compute_api_versions = {"2025-12-01", "2020-02-02"}
        self.lro_polls = 1  # InProgress answers before the final state
        self.mms_sync_id = False
        self.secrets_seen: dict[str, Any] = {}
        self.computes: dict[str, dict] = {"aks1": aks_compute()}
        self.compute_secrets: dict[str, dict] = {}
        self.workspaces = {WS: {"id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{ML}"
                                      f"/workspaces/{WS}", "name": WS, "location": "eastus",
                                "properties": {}}}
        self.services: dict[str, dict] = {}
        self.extensions: dict[str, dict] = {}
        self.protected: dict[str, dict] = {}
        self.endpoints: dict[str, dict] = {}
        self.public_ips: list[dict] = [
            {"id": ROUTER_IP_ID,
             "name": "kubernetes-a1", "location": "eastus",
             "tags": {"k8s-azure-service": "azureml/azureml-fe"},
             "properties": {"ipAddress": ROUTER_IP, "publicIPAllocationMethod": "Static",
                            "dnsSettings": {"domainNameLabel": "contosoab12cd",
                                            "fqdn": ROUTER_FQDN}}},
            {"id": f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/"
                   "publicIPAddresses/outbound",
             "name": "outbound", "location": "eastus", "tags": {},
             "properties": {"ipAddress": "198.51.100.7"}},
        ]
        self.resource_groups = {RG.lower(), NODE_RG.lower()}
        #: more routes, tried in order before the built-in ones: each takes
        #: ``(fake, method, path, query, recorded, lro)`` and returns ``(status, payload,
        #: headers)``, or None when the path is not its own. Features add theirs from their
        #: own module (e.g. ``tests/azure/fake_dns.py``) rather than growing this file.
        self.extra_routes: list[Any] = []

        cert_file = tmp / "fakearm-cert.pem"
        key_file = tmp / "fakearm-key.pem"
        cert_file.write_bytes(server_cert_pem)
        key_file.write_bytes(server_key_pem)
        key_file.chmod(0o600)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        key_file.unlink()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}"
        self.workspaces[WS]["properties"]["discoveryUrl"] = f"{self.base}/discovery/{WS}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- helpers for tests ---------------------------------------------------------------
    def inject(self, method: str, path_regex: str, kind: str = "status", **kw: Any) -> Fault:
        fault = Fault(method.upper(), re.compile(path_regex, re.I), kind, **kw)
        self.faults.append(fault)
        return fault

    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [r for r in self.requests
                if (method is None or r.method == method) and contains.lower() in r.path.lower()]

    def clear(self) -> None:
        self.requests.clear()

    def ws_path(self) -> str:
        return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{ML}/workspaces/{WS}"

    def compute_id(self, name: str = "aks1") -> str:
        return f"{self.ws_path()}/computes/{name}"

    def mms_path(self) -> str:
        return f"/modelmanagement/v1.0{self.ws_path()}"

    def cluster_path(self, name: str = "aks1") -> str:
        return (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/"
                f"managedClusters/{name}")

    def add_service(self, name: str = "svc1", **fields: Any) -> dict:
        svc = {"name": name, "computeType": "ACI", "state": "Healthy", "sslEnabled": False,
               "sslCertificate": None, "sslKey": None, "cname": None, "publicIp": "203.0.113.5",
               "publicFqdn": f"{name}-abc.eastus.azurecontainer.io",
               "scoringUri": f"http://{name}-abc.eastus.azurecontainer.io/score"}
        svc.update(fields)
        self.services[name] = svc
        return svc

    def add_extension(self, name: str = "azureml", **settings: str) -> dict:
        config = {"enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
                  "allowInsecureConnections": "True", "relayserver.enabled": "false",
                  "servicebus.enabled": "false"}
        config.update(settings)
        ext = {"id": f"{self.cluster_path()}/providers/Microsoft.KubernetesConfiguration/"
                     f"extensions/{name}",
               "name": name, "type": "Microsoft.KubernetesConfiguration/extensions",
               "properties": {"extensionType": "Microsoft.AzureML.Kubernetes",
                              "provisioningState": "Succeeded", "releaseTrain": "stable",
                              "configurationSettings": config,
                              "configurationProtectedSettings": {}}}
        self.extensions[name] = ext
        return ext

    # -- request handling ----------------------------------------------------------------
    def handle(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        rec = Recorded(h.command, parts.path, query, {k: v for k, v in h.headers.items()}, body)
        with self.lock:
            self.requests.append(rec)
            fault = next((f for f in self.faults if f.times > 0 and f.method == h.command
                          and f.pattern.search(parts.path)), None)
            if fault is not None and fault.kind != "lro":
                fault.times -= 1
        if fault is not None and fault.kind == "reset":
            h.reset()
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "body":
            h.reply(fault.status, fault.body, fault.headers)
            return
        if fault is not None and fault.kind == "status":
            h.reply(fault.status, {"error": {"code": fault.code, "message": fault.message}},
                    fault.headers)
            return
        lro = fault if fault is not None and fault.kind == "lro" else None
        if lro is not None:
            with self.lock:
                lro.times -= 1
        if parts.path.startswith("/discovery/"):
            h.reply(200, {"modelmanagement": self.base, "api": self.base})
            return
        if h.headers.get("Authorization") != f"Bearer {TOKEN}":
            h.reply(401, {"error": {"code": "AuthenticationFailed",
                                    "message": "Authentication failed."}})
            return
        try:
            status, payload, headers = self.route(h.command, parts.path, query, rec, lro)
        except Exception as exc:  # a bug in the fake must show up, not look like a reset
            status, payload, headers = 500, {"error": {"code": "FakeBug", "message": repr(exc)}}, {}
        h.reply(status, payload, headers)

    def _not_found(self, code: str, what: str) -> tuple[int, Any, dict]:
        return 404, {"error": {"code": code, "message": f"{what} could not be found."}}, {}

    def _scope(self, path: str) -> tuple[int, Any, dict] | None:
        m = re.match(r"^/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?", path, re.I)
        if m is None:
            return None
        if m.group(1) != SUB:
            return self._not_found("SubscriptionNotFound", f"The subscription '{m.group(1)}'")
        if m.group(2) and m.group(2).lower() not in self.resource_groups:
            return self._not_found("ResourceGroupNotFound", f"Resource group '{m.group(2)}'")
        return None

    def route(self, method: str, path: str, q: dict, rec: Recorded,
              lro: Fault | None) -> tuple[int, Any, dict]:
        if path.startswith("/modelmanagement/"):
            for extra in self.extra_routes:  # e.g. the fleet's service listings
                answer = extra(self, method, path, q, rec, lro)
                if answer is not None:
                    return answer
            return self.route_mms(method, path, rec, lro)
        bad = self._scope(path)
        if bad:
            return bad
        for extra in self.extra_routes:
            answer = extra(self, method, path, q, rec, lro)
            if answer is not None:
                return answer
        ws_re = rf"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/{ML}/workspaces/([^/]+)"
        m = re.match(ws_re + r"/computes/([^/]+)$", path, re.I)
        if m:
            return self.route_compute(method, m.group(1), m.group(2), q, rec, lro)
        m = re.match(ws_re + r"/onlineEndpoints/([^/]+)$", path, re.I)
        if m:
            if m.group(1) not in self.workspaces:
                return self._not_found("ParentResourceNotFound", f"Workspace '{m.group(1)}'")
            ep = self.endpoints.get(m.group(2))
            return (200, ep, {}) if ep else self._not_found("ResourceNotFound", "Endpoint")
        m = re.match(ws_re + "$", path, re.I)
        if m:
            ws = self.workspaces.get(m.group(1))
            return (200, ws, {}) if ws else self._not_found("ResourceNotFound", "Workspace")
        m = re.match(r"^/subscriptions/[^/]+/providers/[^/]+/locations/[^/]+/"
                     r"(?:computeOperationsStatus|operations)/([^/]+)$", path, re.I)
        if m:
            return self.poll(m.group(1))
        m = re.match(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
                     r"Microsoft.ContainerService/managedClusters/([^/]+)"
                     r"(/providers/Microsoft.KubernetesConfiguration/extensions(?:/([^/]+))?)?$",
                     path, re.I)
        if m:
            if m.group(1) != "aks1":
                return self._not_found("ResourceNotFound", f"Cluster '{m.group(1)}'")
            if m.group(2):
                return self.route_extension(method, m.group(3), rec, lro)
            return 200, {"id": self.cluster_path(), "name": "aks1", "location": "eastus",
                         "type": "Microsoft.ContainerService/ManagedClusters",
                         "properties": {"nodeResourceGroup": NODE_RG,
                                        "fqdn": "aks1-dns-1234.hcp.eastus.azmk8s.io"}}, {}
        m = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/Microsoft.Network/"
                     r"publicIPAddresses(?:/([^/]+))?$", path, re.I)
        if m:
            ips = self.public_ips if m.group(1).lower() == NODE_RG.lower() else []
            if m.group(2):
                one = next((ip for ip in ips if ip["name"] == m.group(2)), None)
                return (200, one, {}) if one else self._not_found("ResourceNotFound", "IP")
            return 200, {"value": ips}, {}
        return self._not_found("NoRoute", path)

    # -- computes --------------------------------------------------------------------------
    def route_compute(self, method: str, ws: str, name: str, q: dict, rec: Recorded,
                      lro: Fault | None) -> tuple[int, Any, dict]:
        if q.get("api-version") not in self.compute_api_versions:
            return 400, {"error": {"code": "InvalidApiVersionParameter",
                                   "message": f"The api-version '{q.get('api-version')}' is"
                                              " invalid."}}, {}
        if ws not in self.workspaces:
            return self._not_found("ParentResourceNotFound", f"Workspace '{ws}'")
        current = self.computes.get(name)
        if method == "GET":
            if current is None:
                return self._not_found("ResourceNotFound", f"Compute '{name}'")
            out = copy.deepcopy(current)
            ssl_conf = (out["properties"].get("properties") or {}).get("sslConfiguration")
            if isinstance(ssl_conf, dict) and ssl_conf.get("status") != "Disabled":
                ssl_conf["cert"] = None  # secrets are never returned
                ssl_conf["key"] = None
            return 200, out, {}
        if method == "PUT":
            body = rec.json
            new = copy.deepcopy(body)
            new["id"], new["name"] = (current or {}).get("id", ""), name
            new["type"] = f"{ML}/workspaces/computes"
            for k in ("provisioningState", "createdOn", "modifiedOn", "isAttachedCompute"):
                new["properties"].setdefault(k, (current or {}).get("properties", {}).get(k))
            new["properties"]["properties"]["systemServices"] = (
                (current or {}).get("properties", {}).get("properties", {}).get("systemServices")
            )
            ssl_conf = new["properties"]["properties"].get("sslConfiguration") or {}
            ssl_conf.pop("renew", None)

            def apply() -> None:
                self.computes[name] = new

            op = self.new_op(apply, lro)
            url = (f"{self.base}/subscriptions/{SUB}/providers/{ML}/locations/eastus/"
                   f"computeOperationsStatus/{op}?api-version={q.get('api-version')}")
            return 201, {**body, "properties": {**body["properties"],
                                                "provisioningState": "Updating"}}, {
                "Azure-AsyncOperation": url}
        return 405, {"error": {"code": "MethodNotAllowed", "message": method}}, {}

    def new_op(self, apply: Any, lro: Fault | None, kind: str = "arm") -> str:
        op_id = uuid.uuid4().hex
        self.ops[op_id] = Op(self.lro_polls, lro.outcome if lro else "Succeeded", apply, kind,
                             lro.message if lro else "", lro.code if lro else "")
        return op_id

    def poll(self, op_id: str) -> tuple[int, Any, dict]:
        op = self.ops.get(op_id)
        if op is None:
            return self._not_found("OperationNotFound", op_id)
        key = "state" if op.kind == "mms" else "status"
        if op.polls_left > 0:
            op.polls_left -= 1
            return 200, {key: "Running" if op.kind == "mms" else "InProgress"}, {}
        if op.outcome == "Succeeded" and op.apply is not None:
            op.apply()
            op.apply = None
        body: dict[str, Any] = {key: op.outcome if op.kind == "arm" or op.outcome != "Canceled"
                                else "Cancelled"}
        if op.outcome != "Succeeded":
            body["error"] = {"code": op.code or "OperationFailed", "message": op.message}
        return 200, body, {}

    # -- MMS -------------------------------------------------------------------------------
    def route_mms(self, method: str, path: str, rec: Recorded,
                  lro: Fault | None) -> tuple[int, Any, dict]:
        prefix = self.mms_path()
        if not path.startswith(prefix):
            return 404, {"error": {"code": "WorkspaceNotFound", "message": "No workspace"}}, {}
        rest = path[len(prefix):]
        m = re.match(r"^/operations/([^/]+)$", rest)
        if m:
            return self.poll(m.group(1))
        m = re.match(r"^/services/([^/]+)$", rest)
        if not m:
            return 404, {"error": {"code": "NotFound", "message": rest}}, {}
        name = m.group(1)
        svc = self.services.get(name)
        if svc is None:
            return 404, {"code": "NotFound", "message": f"Service {name} not found"}, {}
        if method == "GET":
            return 200, copy.deepcopy(svc), {}
        if method == "PATCH":
            if rec.headers.get("Content-Type") != "application/json-patch+json":
                return 415, {"error": {"code": "UnsupportedMediaType", "message": "json-patch"}}, {}
            ops = rec.json

            def apply() -> None:
                for o in ops:
                    svc[o["path"].lstrip("/")] = o["value"]
                if svc.get("sslEnabled"):
                    svc["scoringUri"] = svc["scoringUri"].replace("http://", "https://")
                else:
                    svc["scoringUri"] = svc["scoringUri"].replace("https://", "http://")

            op = self.new_op(apply, lro, kind="mms")
            if self.mms_sync_id:
                return 200, {"operationId": op}, {}
            return 202, None, {"Operation-Location": f"/api/operations/{op}"}
        return 405, {"error": {"code": "MethodNotAllowed", "message": method}}, {}

    # -- extensions ------------------------------------------------------------------------
    def route_extension(self, method: str, name: str | None, rec: Recorded,
                        lro: Fault | None) -> tuple[int, Any, dict]:
        if name is None:
            return 200, {"value": [self._public_ext(e) for e in self.extensions.values()]}, {}
        ext = self.extensions.get(name)
        if ext is None:
            return self._not_found("ResourceNotFound", f"Extension '{name}'")
        if method == "GET":
            return 200, self._public_ext(ext), {}
        if method == "PATCH":
            props = (rec.json or {}).get("properties") or {}

            def apply() -> None:
                ext["properties"]["configurationSettings"].update(
                    props.get("configurationSettings") or {})
                if "configurationProtectedSettings" in props:  # replaces the whole map
                    ext["properties"]["configurationProtectedSettings"] = dict(
                        props["configurationProtectedSettings"])

            op = self.new_op(apply, lro)
            url = (f"{self.base}/subscriptions/{SUB}/providers/Microsoft.KubernetesConfiguration/"
                   f"locations/eastus/operations/{op}?api-version=2023-05-01")
            return 202, None, {"Azure-AsyncOperation": url}
        return 405, {"error": {"code": "MethodNotAllowed", "message": method}}, {}

    @staticmethod
    def _public_ext(ext: dict) -> dict:
        out = copy.deepcopy(ext)
        out["properties"].pop("configurationProtectedSettings", None)  # never returned
        return out


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArm
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.fake.handle(self)

    do_PUT = do_PATCH = do_POST = do_DELETE = do_GET

    def reply(self, status: int, payload: Any, headers: dict | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def reset(self) -> None:
        """Drop the connection with a TCP RST after the request was read."""
        raw = self.connection
        try:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        self.wfile = _Sink()  # the handler's final flush must not touch the closed socket
        try:
            raw.close()
        except OSError:
            pass


class _Sink:
    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and TLS handshakes of probes end connections rudely on purpose
