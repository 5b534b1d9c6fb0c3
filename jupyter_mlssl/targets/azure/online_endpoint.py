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
from urllib.parse import urlsplit

from jupyter_mlssl.errors import MlsslError, OperationError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.targets.azure.clients import send_json
from jupyter_mlssl.targets.azure.common import AzureTarget
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


class OnlineEndpointTarget(AzureTarget):
    kind = "managed-online-endpoint"

    def _read(self) -> dict:
        url = f"{self.ref.workspace_path}/onlineEndpoints/{self.ref.name}"
        return self.call(
            Call(self.ref, f"read online endpoint '{self.ref.name}'", READ),
            send_json, self.clients.arm(), "GET", url, params={"api-version": API_VERSION},
        ) or {}

    def status(self) -> TargetStatus:
        return self._status_of(self._read().get("properties") or {})

    def _status_of(self, props: dict) -> TargetStatus:
        uri = props.get("scoringUri")
        parts = urlsplit(uri) if uri else None
        tls = bool(parts and parts.scheme == "https")
        notes: list[str] = []
        if props.get("compute"):
            notes.append("Kubernetes online endpoint: TLS is set on the cluster's Azure ML"
                         " extension")
        else:
            notes.append("managed online endpoint: TLS is always on with a Microsoft"
                         " certificate; custom DNS names are not supported")
        status = self.new_status(
            SslSettings(status="Auto" if tls and not props.get("compute") else
                        "Enabled" if tls else "Disabled"),
            fqdn=parts.hostname if parts else None,
            scoring_uri=uri,
            notes=notes,
        )
        status.https_uri = https_only(self.endpoint(status).url) if tls else None
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
