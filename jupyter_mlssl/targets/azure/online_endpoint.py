"""Online endpoints (SDK v2): read-only here.

A *managed* online endpoint is always served over TLS by Azure with a Microsoft certificate,
and custom DNS names are not supported (docs/azure-notes.md): ``status`` shows that and probes
the scoring URI; ``plan`` refuses any change with a message saying so.

A *Kubernetes* online endpoint (``properties.compute`` set) takes its TLS from the Azure ML
extension of its cluster; the plan names that extension's id when it can find it (compute ->
``properties.resourceId`` -> the cluster's extensions).
"""

from __future__ import annotations

import re

from jupyter_mlssl.errors import MlsslError, OperationError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.targets.azure.clients import send_json
from jupyter_mlssl.targets.azure.common import AzureTarget, json_object, json_text, url_parts
from jupyter_mlssl.targets.azure.faults import Call
from jupyter_mlssl.targets.base import (
    Operation,
    Plan,
    ProgressCallback,
    SslSettings,
    TargetStatus,
    https_only,
)

API_VERSION = "2025-12-01"
READ = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read"
CLUSTER_ID = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
    r"(microsoft\.containerservice/managedclusters|microsoft\.kubernetes/connectedclusters)/[^/]+",
    re.I,
)


MANAGED = "managed-online-endpoint"
KUBERNETES = "kubernetes-online-endpoint"


def read_endpoint(body: dict) -> dict:
    """What an online endpoint's ARM body says about its TLS, whatever its state.

    Returns ``kind`` (managed or Kubernetes: ``properties.compute`` set), ``status``
    (Auto / Enabled / Disabled), ``tls`` (True, False, or None when not knowable yet),
    ``scoring_uri``, ``fqdn`` and ``state`` (``provisioningState``). A managed endpoint is
    always served over TLS, so it reads Auto even while it is being created and has no
    scoring URI yet; a Kubernetes endpoint's TLS is its cluster extension's, seen here
    only through the scheme of its scoring URI. Fleet listings use this on every body.
    """
    props = json_object(json_object(body).get("properties"))
    parts = url_parts(props.get("scoringUri"))
    uri = json_text(props.get("scoringUri")) if parts else None
    scheme = parts.scheme.lower() if parts else None
    kubernetes = bool(props.get("compute"))
    if not kubernetes:
        tls: bool | None = True
        status = "Auto"
    else:
        tls = None if scheme is None else scheme == "https"
        status = "Enabled" if tls else "Disabled"
    return {
        "kind": KUBERNETES if kubernetes else MANAGED,
        "status": status,
        "tls": tls,
        "scoring_uri": uri,
        "fqdn": parts.hostname if parts else None,
        "state": json_text(props.get("provisioningState")),
        "compute": props.get("compute"),
    }


class OnlineEndpointTarget(AzureTarget):
    #: until the body is read; ``status`` sets the kind the body shows (managed / Kubernetes)
    kind = MANAGED

    def _read(self) -> dict:
        url = f"{self.ref.workspace_path}/onlineEndpoints/{self.ref.name}"
        return json_object(self.call(
            Call(self.ref, f"read online endpoint '{self.ref.name}'", READ),
            send_json, self.clients.arm(), "GET", url, params={"api-version": API_VERSION},
        ))

    def status(self) -> TargetStatus:
        return self._status_of(json_object(self._read().get("properties")))

    def _status_of(self, props: dict) -> TargetStatus:
        read = read_endpoint({"properties": props})
        self.kind = read["kind"]
        tls = bool(read["tls"])
        notes: list[str] = []
        if read["kind"] == KUBERNETES:
            notes.append("Kubernetes online endpoint: TLS is set on the cluster's Azure ML"
                         " extension")
        else:
            notes.append("managed online endpoint: TLS is always on with a Microsoft"
                         " certificate; custom DNS names are not supported")
        if read["state"] and read["state"] != "Succeeded":
            notes.append(f"provisioning state {read['state']}"
                         + ("" if read["scoring_uri"] else ": no scoring URI yet"))
        status = self.new_status(
            SslSettings(status=read["status"]),
            fqdn=read["fqdn"],
            scoring_uri=read["scoring_uri"],
            notes=notes,
        )
        status.https_uri = (https_only(self.endpoint(status).url)
                            if tls and read["scoring_uri"] else None)
        self.add_probe(status)
        return status

    def _extension_hint(self, compute_id: str) -> str:
        """The extension id for a Kubernetes endpoint's compute, or a generic pointer."""
        generic = ("the Azure ML extension of the cluster behind compute "
                   f"'{compute_id.rsplit('/', 1)[-1]}'")
        try:
            compute = self.call(
                Call(self.ref, "read the endpoint's compute",
                     "Microsoft.MachineLearningServices/workspaces/computes/read"),
                send_json, self.clients.arm(), "GET", compute_id,
                params={"api-version": API_VERSION},
            ) or {}
            cluster = ((compute.get("properties") or {}).get("resourceId") or "").rstrip("/")
            if not CLUSTER_ID.match(cluster):
                return generic
            page = self.call(
                Call(self.ref, "list the cluster's extensions",
                     "Microsoft.KubernetesConfiguration/extensions/read"),
                send_json, self.clients.arm(), "GET",
                f"{cluster}/providers/Microsoft.KubernetesConfiguration/extensions",
                params={"api-version": "2023-05-01"},
            ) or {}
        except MlsslError:
            return generic
        for ext in page.get("value") or []:
            ext_type = str((ext.get("properties") or {}).get("extensionType")).lower()
            if ext_type == "microsoft.azureml.kubernetes":
                return str(ext.get("id") or generic)
        return generic

    def plan(self, desired: SslSettings) -> Plan:
        props = self._read().get("properties") or {}
        current = self._status_of(props).ssl
        if props.get("compute"):
            hint = self._extension_hint(str(props["compute"]))
            finding = Finding("k8s_endpoint", Severity.ERROR,
                              f"TLS of a Kubernetes online endpoint is set on its cluster: use"
                              f" {hint}")
        else:
            finding = Finding("managed_endpoint", Severity.ERROR,
                              "a managed online endpoint always uses TLS with a Microsoft"
                              " certificate and does not support custom DNS names: nothing to"
                              " change")
        return Plan(target=self.id, action="update", current=current, desired=desired,
                    findings=[finding])

    def apply(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        raise OperationError(f"{self.id}: online endpoints' TLS cannot be changed here;"
                             " nothing applied")

    rollback = apply
