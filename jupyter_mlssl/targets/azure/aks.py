"""AKS inference cluster (SDK v1 compute): TLS is the compute's ``sslConfiguration``.

The change is GET -> edit ``properties.properties.sslConfiguration`` -> PUT the whole object
(docs/azure-notes.md). The body stays raw JSON end to end: azure-mgmt-machinelearningservices
1.0.1's models know neither ``leafDomainLabel``/``overwriteExistingDomain`` nor
``clusterPurpose`` or the load-balancer fields, and a PUT "overwrites", so serialising a model
would silently wipe them. The SDK still does the work that matters: URL, auth, retries, and the
long-running operation through azure-mgmt-core's ``ARMPolling`` (Azure-AsyncOperation).

api-version: 2025-12-01 (latest stable in the specs). If ARM answers 400 for the version
(InvalidApiVersionParameter / NoRegisteredProviderFound ...) the call is repeated with
2020-02-02, the version azureml-core uses for every compute call; the PUT then uses whichever
version the GET succeeded with. Whether 2025-12-01 still honours the undocumented ``renew``
flag is UNCONFIRMED (it is absent from that swagger), so a renew takes the known-good path:
GET and PUT at 2020-02-02, exactly as azureml-core 1.61 does it.

Cluster facts (region, node resource group) come from azure-mgmt-containerservice and the
scoring router's public IP and DNS label from azure-mgmt-network, so ``status`` can show the
FQDN and address the DNS check should expect. Failing to read them (no permission) only
removes those columns.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.targets.azure.common import (
    AzureTarget,
    PollerOperation,
    RollbackImpossible,
    diff,
    json_list,
    json_object,
    json_text,
    renew_window_finding,
)
from jupyter_mlssl.targets.azure.faults import Call
from jupyter_mlssl.targets.azure.resource_id import ResourceRef
from jupyter_mlssl.targets.base import (
    Operation,
    Plan,
    ProgressCallback,
    SslSettings,
    TargetStatus,
    change_action,
    https_only,
)

API_VERSIONS = ("2025-12-01", "2020-02-02")
#: the version azureml-core sends ``renew`` with (the only one known to honour it)
RENEW_API_VERSION = "2020-02-02"
#: ARM error codes that mean "this api-version is not served here": try the older one
FALLBACK_CODES = frozenset({
    "InvalidApiVersionParameter",
    "InvalidApiVersion",
    "NoRegisteredProviderFound",
    "UnsupportedApiVersion",
})
#: read-only fields of the GET body; the server is said to ignore them (UNCONFIRMED), so they
#: are left out of the PUT rather than trusted to be ignored
READ_ONLY = ("provisioningState", "createdOn", "modifiedOn", "provisioningErrors",
             "isAttachedCompute")
TOP_LEVEL = ("location", "tags", "identity", "sku", "properties")
AKS_ID = re.compile(
    r"/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\.containerservice/"
    r"managedclusters/([^/]+)",
    re.I,
)
ROUTER_TAG = "k8s-azure-service"  # cloud-provider-azure's tag on service IPs (UNCONFIRMED for AML)
FIELDS = ("status", "cname", "certificate", "key", "leaf_domain_label",
          "overwrite_existing_domain", "renew")
READ = "Microsoft.MachineLearningServices/workspaces/computes/read"
WRITE = "Microsoft.MachineLearningServices/workspaces/computes/write"


class AksComputeTarget(AzureTarget):
    kind = "aks"

    # -- reading ---------------------------------------------------------------------------
    def _read(self, versions: tuple[str, ...] = API_VERSIONS) -> tuple[dict, str]:
        """The raw compute JSON and the api-version that served it (first of ``versions``
        that ARM accepts)."""
        from azure.core.exceptions import HttpResponseError

        from jupyter_mlssl.targets.azure.faults import service_error

        call = Call(self.ref, f"read compute '{self.ref.name}'", READ)
        last: Exception | None = None
        for version in versions:
            ops = self.clients.ml(version).machine_learning_compute
            try:
                raw = ops.get(self.ref.resource_group, self.ref.workspace, self.ref.name,
                              cls=lambda resp, obj, hdrs: resp.http_response.json())
            except HttpResponseError as exc:
                code, _ = service_error(exc.response) if exc.response is not None else (None, None)
                if exc.status_code == 400 and code in FALLBACK_CODES:
                    last = exc
                    continue
                raise self._translate(exc, call) from None
            except Exception as exc:
                raise self._translate(exc, call) from None
            raw = json_object(raw)
            kind = json_object(raw.get("properties")).get("computeType")
            if str(kind).lower() == "kubernetes":
                raise InputError(
                    f"{self.id}: compute '{self.ref.name}' is a Kubernetes compute: its TLS is"
                    " set on the Azure ML extension of its cluster; use the extension's id"
                    " (<cluster id>/providers/Microsoft.KubernetesConfiguration/extensions/"
                    "<name>, see `mlssl fleet`)"
                )
            if str(kind).upper() != "AKS":
                raise InputError(
                    f"{self.id}: compute '{self.ref.name}' is of type {kind}, not an AKS inference"
                    " cluster; only AKS computes carry TLS settings"
                )
            return raw, version
        raise self._translate(last, call) from None  # type: ignore[arg-type]

    @staticmethod
    def _translate(exc: BaseException, call: Call) -> Exception:
        from jupyter_mlssl.targets.azure.faults import translate

        return translate(exc, call)

    @staticmethod
    def _ssl_json(raw: dict) -> dict:
        props = json_object(json_object(raw.get("properties")).get("properties"))
        return dict(json_object(props.get("sslConfiguration")) or {"status": "Disabled"})

    @staticmethod
    def settings_from(ssl: dict) -> SslSettings:
        status = {"enabled": "Enabled", "auto": "Auto"}.get(str(ssl.get("status")).lower(),
                                                           "Disabled")
        return SslSettings(
            status=status,  # type: ignore[arg-type]
            cname=json_text(ssl.get("cname")),
            leaf_domain_label=json_text(ssl.get("leafDomainLabel")),
            overwrite_existing_domain=bool(ssl.get("overwriteExistingDomain")),
        )

    def _facts(self, raw: dict) -> dict[str, Any]:
        """Region, router address and DNS name; each missing piece becomes a note."""
        props = json_object(raw.get("properties"))
        inner = json_object(props.get("properties"))
        facts: dict[str, Any] = {
            "region": json_text(props.get("computeLocation")) or json_text(raw.get("location")),
            "notes": []}
        for svc in json_list(inner.get("systemServices")):
            if json_text(json_object(svc).get("publicIpAddress")):
                facts["address"] = svc["publicIpAddress"]
                break
        match = AKS_ID.search(json_text(props.get("resourceId")) or "")
        if not match:
            facts["notes"].append("the compute names no AKS cluster (properties.resourceId)")
            return facts
        sub, rg, name = match.groups()
        # Faults name the cluster's own id parts (it may live in another subscription).
        cluster_ref = ResourceRef(match.group(0), "k8s-extension", sub, rg,
                                  cluster_namespace="Microsoft.ContainerService",
                                  cluster_type="managedClusters", cluster_name=name)
        clients = self.clients.for_subscription(sub)
        from jupyter_mlssl.errors import MlsslError

        try:
            cluster = self.call(
                Call(cluster_ref, f"read AKS cluster '{name}'",
                     "Microsoft.ContainerService/managedClusters/read", part="cluster"),
                clients.containers().managed_clusters.get, rg, name,
            )
        except MlsslError as exc:
            facts["notes"].append(f"cluster facts not read: {exc}")
            return facts
        facts["region"] = cluster.location or facts["region"]
        node_rg = cluster.node_resource_group
        if not node_rg:
            return facts
        try:
            ips = self.call(
                Call(cluster_ref, f"list public IPs in '{node_rg}'",
                     "Microsoft.Network/publicIPAddresses/read"),
                lambda: list(clients.network().public_ip_addresses.list(node_rg)),
            )
        except MlsslError as exc:
            facts["notes"].append(f"router public IP not read: {exc}")
            return facts
        router = _router_ip(ips, facts.get("address"))
        if router is not None:
            facts["address"] = router.ip_address or facts.get("address")
            facts["ip_id"] = router.id  # for `dns set --label` (public_ip.py)
            dns = router.dns_settings
            if dns is not None:
                facts["fqdn"] = dns.fqdn
                facts["label"] = dns.domain_name_label
        return facts

    def _status_of(self, raw: dict) -> TargetStatus:
        ssl = self.settings_from(self._ssl_json(raw))
        facts = self._facts(raw)
        fqdn = ssl.cname if ssl.status == "Enabled" else facts.get("fqdn")
        notes = list(facts["notes"])
        if ssl.status == "Auto" and not facts.get("fqdn") and ssl.leaf_domain_label:
            notes.append(
                f"expected name: {ssl.leaf_domain_label}<6 characters>."
                f"{facts.get('region') or '<region>'}.cloudapp.azure.com"
            )
        host = fqdn or facts.get("address")
        scheme = "https" if ssl.tls_on else "http"
        status = self.new_status(
            ssl,
            fqdn=fqdn,
            address=facts.get("address"),
            scoring_uri=f"{scheme}://{host}/" if host else None,
            notes=notes,
        )
        status.https_uri = https_only(self.endpoint(status).url) if ssl.tls_on else None
        if ssl.tls_on and fqdn:
            self.add_probe(status)
        return status

    def status(self) -> TargetStatus:
        raw, _ = self._read()
        return self._status_of(raw)

    # -- planning --------------------------------------------------------------------------
    def plan(self, desired: SslSettings) -> Plan:
        raw, version = self._read()
        before = self._ssl_json(raw)
        current = self.settings_from(before)
        findings: list[Finding] = []
        notes: list[str] = []
        if desired.renew and desired.leaf_domain_label is None and current.leaf_domain_label:
            desired = desired.with_(leaf_domain_label=current.leaf_domain_label, status="Auto")
        if desired.renew and version != RENEW_API_VERSION:
            raw, version = self._read((RENEW_API_VERSION,))
            before = self._ssl_json(raw)
        findings += validate(current, desired)
        action = change_action(current, desired)
        if desired.renew and not any(f.severity == Severity.ERROR for f in findings):
            status = self._status_of(raw)
            window = renew_window_finding(status.days_left)
            if window is not None:
                findings.append(window)
            notes.append("Azure may take about 5 hours to lay down a renewed certificate")
        if current.status == "Enabled":
            notes.append(
                "Azure does not return the current certificate and key: if this change must be"
                " rolled back, the previous custom certificate cannot be restored without your"
                " files (use `mlssl update` with them)"
            )
        if desired.status == "Auto" and desired.overwrite_existing_domain:
            findings.append(Finding(
                "overwrite_domain", Severity.WARNING,
                f"overwrite_existing_domain takes the DNS label '{desired.leaf_domain_label}'"
                " from whichever resource holds it now",
            ))
        if desired.status == "Enabled" and desired.cname:
            notes.append(f"point DNS for {desired.cname} at the cluster's scoring address")
        if desired.renew:
            notes.append(f"api-version {version} is used for the renew: newer versions do not"
                         " document the renew flag")
        elif version != API_VERSIONS[0]:
            notes.append(f"api-version {version} is used: {API_VERSIONS[0]} was refused")
        changes = diff(current, desired, FIELDS)
        return Plan(
            target=self.id,
            action=action,
            current=current,
            desired=desired,
            changes=changes,
            findings=findings,
            notes=notes,
            requires_confirmation=action == "disable",
            state={"api_version": version, "before": raw, "fingerprint": before},
        )

    # -- applying --------------------------------------------------------------------------
    def _put(self, version: str, body: dict, what: str,
             progress: ProgressCallback | None) -> Operation:
        ops = self.clients.ml(version).machine_learning_compute
        call = Call(self.ref, f"{what} compute '{self.ref.name}'", WRITE, write=True)
        if progress:
            progress(f"{call.action}: PUT (api-version {version})")
        poller = self.call(
            call,
            ops.begin_create_or_update,
            self.ref.resource_group, self.ref.workspace, self.ref.name,
            json.dumps(body).encode(),
            content_type="application/json",
            api_version=version,
            polling_interval=self.clients.polling_interval,
            cls=lambda resp, obj, hdrs: None,
        )
        return PollerOperation(poller, call, self.status, progress)

    def apply(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        self.refuse_blocked(plan)
        raw, _ = self._read((plan.state["api_version"],))
        self.check_unchanged(plan, self._ssl_json(raw))
        body = put_body(plan.state["before"], ssl_body(plan))
        return self._put(plan.state["api_version"], body, plan.action, progress)

    def rollback(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        before = dict(plan.state["fingerprint"])
        if str(before.get("status")).lower() == "enabled":
            return RollbackImpossible(
                self.id,
                "the previous custom certificate cannot be restored: Azure never returns"
                " certificates or keys; run `mlssl update` with your previous certificate and"
                " key files",
            )
        before.pop("renew", None)
        body = put_body(plan.state["before"], before)
        return self._put(plan.state["api_version"], body, "restore", progress)


def _router_ip(ips: list, address: str | None) -> Any:
    if address:
        for ip in ips:
            if ip.ip_address == address:
                return ip
    for ip in ips:
        if str((ip.tags or {}).get(ROUTER_TAG, "")).endswith("/azureml-fe"):
            return ip
    return None



def validate(current: SslSettings, desired: SslSettings) -> list[Finding]:
    """azureml-core's client-side rules (``SslConfiguration.validate_configuration``) plus the
    renew rules of the v1 article."""
    out: list[Finding] = []

    def error(code: str, message: str) -> None:
        out.append(Finding(code, Severity.ERROR, message))

    has_custom = any((desired.cname, desired.cert_pem, desired.key))
    if desired.status == "Enabled":
        if not (desired.cname and desired.cert_pem and desired.key):
            error("cname_cert_key", "give --cert, --key and --cname together for a custom"
                  " certificate")
        if desired.leaf_domain_label:
            error("label_excludes_cert", "a leaf domain label (Microsoft certificate) cannot be"
                  " combined with --cert/--key/--cname; choose one")
        if desired.overwrite_existing_domain:
            error("overwrite_needs_label", "--overwrite-existing-domain is only valid with"
                  " --leaf-domain-label")
    elif desired.status == "Auto":
        if not desired.leaf_domain_label:
            error("no_label", "a Microsoft certificate needs --leaf-domain-label")
        if has_custom:
            error("label_excludes_cert", "a leaf domain label (Microsoft certificate) cannot be"
                  " combined with --cert/--key/--cname; choose one")
    if desired.renew:
        if current.status != "Auto":
            error("renew_needs_auto", "renew applies only to a Microsoft certificate (status"
                  f" Auto); this cluster's TLS is {current.status}")
        elif (desired.leaf_domain_label or "") != (current.leaf_domain_label or ""):
            error("renew_label_changed", f"renew with the original label"
                  f" '{current.leaf_domain_label}' (without the 6 random characters) so the DNS"
                  " name is kept")
        if desired.overwrite_existing_domain:
            error("renew_overwrite", "do not pass --overwrite-existing-domain with --renew: it"
                  " can move the DNS name")
    return out


def ssl_body(plan: Plan) -> dict:
    """The ``sslConfiguration`` the PUT carries, exactly as azureml-core 1.61 builds it."""
    d = plan.desired
    if d.renew:
        body = dict(plan.state["fingerprint"])
        body["leafDomainLabel"] = d.leaf_domain_label
        # The article says a renew must not overwrite the domain (that can move the name).
        body["overwriteExistingDomain"] = False
        body["renew"] = True
        return body
    if d.status == "Enabled":
        assert d.key is not None and d.cert_pem is not None
        # raw PEM text, as azureml-core sends (the base64 form of the quickstart is UNCONFIRMED)
        return {"status": "Enabled", "cname": d.cname, "cert": d.cert_pem,
                "key": d.key.reveal_text()}
    if d.status == "Auto":
        return {"status": "Auto", "leafDomainLabel": d.leaf_domain_label,
                "overwriteExistingDomain": bool(d.overwrite_existing_domain)}
    return {"status": "Disabled"}


def put_body(raw: dict, ssl: dict) -> dict:
    """The whole compute object from the GET, read-only fields dropped, TLS replaced."""
    body = {k: copy.deepcopy(raw[k]) for k in TOP_LEVEL if raw.get(k) is not None}
    props = body.setdefault("properties", {})
    for key in READ_ONLY:
        props.pop(key, None)
    inner = props.get("properties") or {}
    inner.pop("systemServices", None)
    inner["sslConfiguration"] = ssl
    props["properties"] = inner
    return body
