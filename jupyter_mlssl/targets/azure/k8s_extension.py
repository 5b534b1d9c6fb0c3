"""Kubernetes online endpoints (SDK v2): TLS lives in the Azure ML extension's settings.

The extension (type ``microsoft.azureml.kubernetes``) configures the ``azureml-fe`` router for
every endpoint on the cluster, so any change here affects all live endpoints; ``az
k8s-extension`` warns about that and so does the plan (and asks for confirmation).

Calls go through azure-mgmt-core's ``ARMPipelineClient`` (azure-mgmt-kubernetesconfiguration is
not a dependency; the calls are three): GET/list the extension, PATCH its settings, and the
long-running operation through ``ARMPolling`` with ``final-state-via: azure-async-operation``.
api-version 2023-05-01 is the one azure-mgmt-kubernetesconfiguration 3.1.0 (latest on PyPI, as
used by ``az k8s-extension``) sends.

What the PATCH carries is what the CLI's ``AzureMLKubernetes`` partner code computes, because
a raw ARM call that skips it fails validation (terraform-provider-azurerm#24547):

* custom certificate: ``configurationSettings`` ``allowInsecureConnections=False``,
  ``sslCname``; ``configurationProtectedSettings`` ``scoringFe.sslCert`` / ``scoringFe.sslKey``
  = base64 of the PEM chain / key. The CLI's ``sslCertPemFile``/``sslKeyPemFile`` path keys are
  not sent: they name files on the CLI's machine and only the ``scoringFe.*`` values reach the
  cluster.
* Kubernetes secret: ``sslSecret`` and ``scoringFe.sslSecret`` (rotation = update the secret in
  namespace ``azureml``, then PATCH again).
* disable: ``allowInsecureConnections=True`` only, as the official example does. How PATCH
  deletes a key (``null``? a full PUT?) is UNCONFIRMED, so ``sslCname``/``sslSecret`` are left
  in place, unused, and the plan says so.

The protected-settings trap: GET never returns protected settings, and a PATCH that carries
``configurationProtectedSettings`` replaces the whole map ("those settings would be considered
obsolete and deleted", AzureML extension docs). The CLI re-fetches the relay, Service Bus and
Log Analytics secrets before such a PATCH (relay and Service Bus unless their flag reads
"false"); this tool does not hold the Relay / Service Bus / Log Analytics SDKs to do so, so it
refuses a certificate upload whenever one of them may be on (a missing flag counts as on:
older CLIs provisioned relay and Service Bus without writing a flag), names the keys that would
be lost, and otherwise sends only the two TLS values.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from jupyter_mlssl.errors import InputError, MlsslError, OperationError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.targets.azure.clients import send_json
from jupyter_mlssl.targets.azure.common import (
    AzureTarget,
    PollerOperation,
    RollbackImpossible,
    diff,
    json_list,
    json_object,
    json_text,
)
from jupyter_mlssl.targets.azure.faults import Call
from jupyter_mlssl.targets.base import (
    Operation,
    Plan,
    ProgressCallback,
    SslSettings,
    TargetStatus,
    change_action,
    https_only,
)

API_VERSION = "2023-05-01"
EXTENSION_TYPE = "microsoft.azureml.kubernetes"
READ = "Microsoft.KubernetesConfiguration/extensions/read"
WRITE = "Microsoft.KubernetesConfiguration/extensions/write"
#: feature flag -> (feature, the protected keys it keeps): the keys ``az k8s-extension update``
#: fetches again and re-sends with any protected settings (partner_extensions/
#: AzureMLKubernetes.py, ``Update``)
PROTECTED_FEATURES = {
    "relayserver.enabled": ("Azure Relay", "relayserver.relayConnectionString"),
    "servicebus.enabled": ("Service Bus", "servicebus.connectionString"),
    "logAnalyticsWS": ("Log Analytics", "azure_log_analytics.connection_string"),
}
TLS_KEYS = ("allowInsecureConnections", "sslCname", "sslSecret", "scoringFe.sslSecret")
FIELDS = ("status", "cname", "certificate", "key")
ROUTER_TAG = "k8s-azure-service"


def _true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


class K8sExtensionTarget(AzureTarget):
    kind = "k8s-extension"

    # -- reading ---------------------------------------------------------------------------
    def _url(self, name: str | None = None) -> str:
        base = self.ref.extensions_path
        return f"{base}/{name}" if name else base

    def _read(self) -> dict:
        client = self.clients.arm()
        params = {"api-version": API_VERSION}
        if self.ref.name:
            body = self.call(Call(self.ref, f"read extension '{self.ref.name}'", READ),
                             send_json, client, "GET", self._url(self.ref.name), params=params)
            body = json_object(body)
            ext_type = json_object(body.get("properties")).get("extensionType")
            if str(ext_type).lower() != EXTENSION_TYPE:
                raise InputError(f"{self.id}: extension '{self.ref.name}' is of type {ext_type},"
                                 f" not {EXTENSION_TYPE}")
            return body
        call = Call(self.ref, f"list extensions on cluster '{self.ref.cluster_name}'", READ,
                    part="cluster")
        url: str | None = self._url()
        pages = 0
        while url and pages < 20:  # nextLink pages, bounded
            page = json_object(self.call(call, send_json, client, "GET", url,
                                         params=params if pages == 0 else None))
            for ext in map(json_object, json_list(page.get("value"))):
                ext_type = json_object(ext.get("properties")).get("extensionType")
                if str(ext_type).lower() == EXTENSION_TYPE and json_text(ext.get("name")):
                    self.ref = self.ref.with_name(ext["name"])
                    return ext
            url, pages = json_text(page.get("nextLink")), pages + 1
        raise InputError(f"{self.id}: cluster '{self.ref.cluster_name}' has no Azure ML extension"
                         f" ({EXTENSION_TYPE}); install it with az k8s-extension create")

    @staticmethod
    def settings_from(config: dict) -> SslSettings:
        if _true(config.get("allowInsecureConnections")):
            return SslSettings(status="Disabled", cname=json_text(config.get("sslCname")))
        return SslSettings(status="Enabled", cname=json_text(config.get("sslCname")))

    def _router(self) -> dict:
        """Address and DNS of the ``azureml-fe`` LoadBalancer (AKS clusters only)."""
        if self.ref.cluster_type != "managedClusters":
            return {"note": "router address unknown for Arc clusters: see kubectl get svc"
                            " azureml-fe -n azureml"}
        try:
            cluster = self.call(
                Call(self.ref, f"read AKS cluster '{self.ref.cluster_name}'",
                     "Microsoft.ContainerService/managedClusters/read", part="cluster"),
                self.clients.containers().managed_clusters.get,
                self.ref.resource_group, self.ref.cluster_name,
            )
            node_rg = cluster.node_resource_group
            ips = self.call(
                Call(self.ref, f"list public IPs in '{node_rg}'",
                     "Microsoft.Network/publicIPAddresses/read"),
                lambda: list(self.clients.network().public_ip_addresses.list(node_rg)),
            )
        except MlsslError as exc:
            return {"note": f"router address not read: {exc}"}
        for ip in ips:
            if str((ip.tags or {}).get(ROUTER_TAG, "")).endswith("/azureml-fe"):
                dns = ip.dns_settings
                return {"address": ip.ip_address, "fqdn": dns.fqdn if dns else None}
        return {"note": "no public IP tagged for azureml-fe in the node resource group"}

    def _status_of(self, ext: dict) -> TargetStatus:
        config = json_object(json_object(ext.get("properties")).get("configurationSettings"))
        ssl = self.settings_from(config)
        router = self._router()
        fqdn = ssl.cname if ssl.tls_on else router.get("fqdn")
        host = fqdn or router.get("address")
        notes = [router["note"]] if router.get("note") else []
        if json_text(config.get("sslSecret")):
            notes.append(f"certificate from Kubernetes secret azureml/{config['sslSecret']}")
        status = self.new_status(
            ssl, fqdn=fqdn, address=router.get("address"),
            scoring_uri=f"{'https' if ssl.tls_on else 'http'}://{host}/" if host else None,
            notes=notes,
        )
        status.https_uri = https_only(self.endpoint(status).url) if ssl.tls_on else None
        if ssl.tls_on and fqdn:
            self.add_probe(status)
        return status

    def status(self) -> TargetStatus:
        return self._status_of(self._read())

    # -- planning --------------------------------------------------------------------------
    def plan(self, desired: SslSettings) -> Plan:
        ext = self._read()
        config = json_object(json_object(ext.get("properties")).get("configurationSettings"))
        current = self.settings_from(config)
        findings: list[Finding] = []
        notes: list[str] = []

        def error(code: str, message: str) -> None:
            findings.append(Finding(code, Severity.ERROR, message))

        if desired.status == "Auto" or desired.leaf_domain_label:
            error("k8s_no_auto", "Microsoft-provided certificates are not available for"
                  " Kubernetes online endpoints; give --cert, --key and --cname")
        if desired.renew:
            error("renew_needs_auto", "renew applies only to Microsoft certificates on v1 AKS"
                  " clusters; rotate with `mlssl update` and new files")
        secret = config.get("sslSecret")
        if desired.status == "Enabled":
            _check_enabled(desired, config, secret, error, notes)
        findings.append(Finding(
            "endpoints_affected", Severity.WARNING,
            "this changes the azureml-fe router of the whole cluster: every live online"
            " endpoint and deployment on it is affected",
        ))
        action = change_action(current, desired)
        if action == "disable" and (config.get("sslCname") or secret):
            notes.append("sslCname/sslSecret stay set but unused: removing keys through PATCH"
                         " is not documented")
        if current.tls_on and not secret:
            notes.append("Azure never returns the protected certificate and key: a rollback"
                         " cannot restore the previous certificate without your files")
        if desired.status == "Enabled" and desired.cname:
            notes.append(f"point DNS for {desired.cname} at the azureml-fe router's address")
        return Plan(
            target=self.id,
            action=action,
            current=current,
            desired=desired,
            changes=diff(current, desired, FIELDS),
            findings=findings,
            notes=notes,
            requires_confirmation=True,
            state={"name": self.ref.name, "fingerprint": _tls_config(config)},
        )

    # -- applying --------------------------------------------------------------------------
    def _patch(self, body: dict, what: str, progress: ProgressCallback | None) -> Operation:
        from azure.core.polling import LROPoller
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        call = Call(self.ref, f"{what} extension '{self.ref.name}'", WRITE, write=True)
        if progress:
            progress(f"{call.action}: PATCH (api-version {API_VERSION})")
        client = self.clients.arm()
        initial = self.call(call, send_json, client, "PATCH", self._url(self.ref.name),
                            params={"api-version": API_VERSION}, body=body,
                            pipeline_response=True)
        method = ARMPolling(self.clients.polling_interval,
                            lro_options={"final-state-via": "azure-async-operation"})
        poller = self.call(call, LROPoller, client, initial, lambda r: None, method)
        return PollerOperation(poller, call, self.status, progress)

    def apply(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        self.refuse_blocked(plan)
        ext = self._read()
        config = json_object(json_object(ext.get("properties")).get("configurationSettings"))
        self.check_unchanged(plan, _tls_config(config))
        return self._patch(patch_body(plan.desired, config), plan.action, progress)

    def rollback(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        before = plan.state["fingerprint"]
        if self.ref.name is None:
            self.ref = self.ref.with_name(plan.state["name"])
        if not _true(before.get("allowInsecureConnections")) and not before.get("sslSecret"):
            return RollbackImpossible(
                self.id,
                "the previous certificate cannot be restored: Azure never returns protected"
                " settings; run `mlssl update` with your previous certificate and key files",
            )
        settings = {k: v for k, v in before.items() if v is not None}
        settings.setdefault("allowInsecureConnections", "False")
        return self._patch({"properties": {"configurationSettings": settings}}, "restore",
                           progress)


def patch_body(desired: SslSettings, config: dict) -> dict:
    """The ``PatchExtension`` body ``az k8s-extension update`` would send."""
    if desired.status == "Disabled":
        return {"properties": {"configurationSettings": {"allowInsecureConnections": "True"}}}
    settings = {"allowInsecureConnections": "False", "sslCname": desired.cname or ""}
    props: dict[str, Any] = {"configurationSettings": settings}
    if desired.cert_pem and desired.key:
        at_risk = protected_at_risk(config)
        if at_risk:  # checked again on the settings read just now, not only at plan time
            raise OperationError(protected_refusal(at_risk), code="protected_settings")
        props["configurationProtectedSettings"] = {
            "scoringFe.sslCert": base64.b64encode(desired.cert_pem.encode()).decode(),
            "scoringFe.sslKey": base64.b64encode(desired.key.reveal()).decode(),
        }
    elif config.get("sslSecret"):  # re-apply the secret (rotation after updating it)
        settings["sslSecret"] = config["sslSecret"]
        settings["scoringFe.sslSecret"] = config["sslSecret"]
    return {"properties": props}


def _tls_config(config: dict) -> dict:
    return {k: config.get(k) for k in TLS_KEYS}


def _check_enabled(desired: SslSettings, config: dict[str, Any], secret: Any,
                   error: Callable[[str, str], None], notes: list[str]) -> None:
    """What the extension needs to turn TLS on: a cname, and a certificate it can keep."""
    if not desired.cname:
        error("no_cname", "the Azure ML extension requires --cname (sslCname) for HTTPS")
    if bool(desired.cert_pem) != bool(desired.key):
        error("cname_cert_key", "give --cert and --key together")
    elif not desired.cert_pem and not secret:
        error("cname_cert_key", "give --cert, --key and --cname (the extension has no"
              " sslSecret to fall back on)")
    if desired.cert_pem and secret:
        error("ssl_secret_in_use", f"the extension takes its certificate from the"
              f" Kubernetes secret '{secret}': update that secret (keys cert.pem, key.pem)"
              " in namespace azureml and run `mlssl update` without --cert/--key")
    if desired.cert_pem:
        at_risk = protected_at_risk(config)
        if at_risk:
            error("protected_settings", protected_refusal(at_risk))
        else:
            notes.append("the certificate travels in protected settings, which replace"
                         " the existing protected map; relay, Service Bus and Log Analytics"
                         " are all recorded as off, so nothing else is kept there")


def _off(value: Any) -> bool:
    return str(value).strip().lower() == "false"


def protected_at_risk(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The protected secrets a certificate upload would drop: ``(feature, flag, keys)``.

    ``az k8s-extension update`` re-sends the relay and Service Bus connection strings unless
    their flag reads "false", so a missing flag means "maybe on": extensions created by older
    CLIs provisioned both and wrote no ``*.enabled`` flag. Log Analytics keeps its connection
    string in the protected map only when it was created (``logAnalyticsWS=true``) or
    configured (``azure_log_analytics.*``); the CLI re-fetches it whenever it can.
    """
    out = []
    for flag, (label, keys) in PROTECTED_FEATURES.items():
        if flag == "logAnalyticsWS":
            on = _true(config.get(flag)) or _true(config.get("azure_log_analytics.enabled")) \
                or bool(config.get("azure_log_analytics.customer_id"))
            state = "on" if on else "off"
        else:
            on = not _off(config.get(flag))
            state = "on" if _true(config.get(flag)) else (
                "not recorded (an older CLI created this extension with it on)"
                if flag not in config else f"'{config.get(flag)}'")
        if on:
            out.append((label, f"{flag}: {state}", keys))
    return out


def protected_refusal(at_risk: list[tuple[str, str, str]]) -> str:
    lost = "; ".join(f"{label} ({flag}) keeps {keys}" for label, flag, keys in at_risk)
    return ("uploading a certificate replaces the whole protected map, and Azure never returns"
            f" it: {lost}, which would be lost. Use a Kubernetes secret instead (secret"
            " azureml/<name> with cert.pem and key.pem, then `az k8s-extension update --config"
            " sslSecret=<name> sslCname=<name>`: no protected settings are sent), or `az"
            " k8s-extension update` with the certificate files (it fetches those keys again)")
