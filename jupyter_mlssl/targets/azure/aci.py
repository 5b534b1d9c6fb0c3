"""ACI web service (SDK v1): TLS is per service, in the v1 Model Management Service (MMS).

Calls (docs/azure-notes.md; as azureml-core 1.61 ``AciWebservice.update`` makes them):

1. ARM GET of the workspace -> ``properties.discoveryUrl``; GET that URL (anonymously, as
   azureml-core does) -> JSON key ``modelmanagement`` = the MMS host. The host pattern is
   UNCONFIRMED, so it is always discovered, never guessed.
2. ``GET {mms}/modelmanagement/v1.0{workspace id}/services/{name}``.
3. ``PATCH`` the same URL with a JSON-Patch (``application/json-patch+json``) of
   ``/sslEnabled``, ``/sslCertificate``, ``/sslKey``, ``/cname``.
4. The answer is 202 with ``Operation-Location`` or 200 with ``operationId`` in the body; the
   operation is polled at ``{base}/operations/{id}`` (azureml-core takes the id from the last
   segment of the header and builds that URL itself) until ``state`` is Succeeded, Failed or
   Cancelled. This runs in azure-core's ``LROPoller``/``LROBasePolling`` with the small
   strategy :class:`MmsOperationPolling`, not a loop of our own.

Whether the update recreates the container group (downtime) is UNCONFIRMED; the plan says so.
The GET may return the service's ``sslKey``: it is wrapped in a ``Secret`` the moment it is
read and kept only to restore the previous certificate on rollback.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.targets.azure.clients import send_json
from jupyter_mlssl.targets.azure.common import (
    AzureTarget,
    PollerOperation,
    RollbackImpossible,
    diff,
    json_object,
    json_text,
    url_parts,
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

WORKSPACE_API_VERSION = "2025-12-01"
MMS_ROUTE = "modelmanagement/v1.0"
DISCOVERY_KEY = "modelmanagement"
READ = "Microsoft.MachineLearningServices/workspaces/services/read"
WRITE = "Microsoft.MachineLearningServices/workspaces/services/aci/write"
FIELDS = ("status", "cname", "certificate", "key")


def _long_running_operation_base() -> Any:
    from azure.core.polling.base_polling import LongRunningOperation

    return LongRunningOperation


class MmsOperationPolling(_long_running_operation_base()):  # type: ignore[misc]
    """azure-core LRO strategy for MMS: operation id -> ``{base}/operations/{id}``, ``state``."""

    STATES: ClassVar[dict[str, str]] = {
        "succeeded": "Succeeded", "failed": "Failed", "timedout": "Failed",
        "cancelled": "Canceled", "canceled": "Canceled",
    }

    def __init__(self, base: str) -> None:
        self._base = base
        self._url = ""
        self._request: Any = None

    @staticmethod
    def _operation_id(response: Any) -> str | None:
        header = response.headers.get("Operation-Location")
        if header:
            return urlsplit(header).path.rstrip("/").rsplit("/", 1)[-1] or None
        try:
            body = response.json()
        except Exception:
            return None
        return body.get("operationId") if isinstance(body, dict) else None

    def can_poll(self, pipeline_response: Any) -> bool:
        return self._operation_id(pipeline_response.http_response) is not None

    def get_polling_url(self) -> str:
        return self._url

    def set_initial_status(self, pipeline_response: Any) -> str:
        response = pipeline_response.http_response
        self._request = response.request
        self._url = f"{self._base}/operations/{self._operation_id(response)}"
        return "InProgress"

    def get_status(self, pipeline_response: Any) -> str:
        from azure.core.polling.base_polling import BadResponse

        try:
            state = pipeline_response.http_response.json().get("state")
        except Exception:
            raise BadResponse("the MMS operation answered without a JSON body") from None
        if not state:
            raise BadResponse("the MMS operation answered without a state")
        return self.STATES.get(str(state).lower(), "InProgress")

    def get_final_get_url(self, pipeline_response: Any) -> str | None:
        return self._request.url  # the service itself, read back once the update is done


class AciServiceTarget(AzureTarget):
    kind = "aci"
    _mms_base: str | None = None

    # -- reading ---------------------------------------------------------------------------
    def _base(self) -> str:
        if self._mms_base:
            return self._mms_base
        ref = self.ref
        ws = self.call(
            Call(ref, f"read workspace '{ref.workspace}'",
                 "Microsoft.MachineLearningServices/workspaces/read", part="workspace"),
            self.clients.ml(WORKSPACE_API_VERSION).workspaces.get,
            ref.resource_group, ref.workspace,
            cls=lambda resp, obj, hdrs: resp.http_response.json(),
        )
        url = ((ws or {}).get("properties") or {}).get("discoveryUrl")
        if not url:
            raise InputError(f"{ref.id}: workspace '{ref.workspace}' has no discoveryUrl; it is"
                             " not a v1-capable workspace")
        found = self.call(
            Call(ref, "read the workspace's discovery URL", "none (anonymous)"),
            send_json, self.clients.data_plane(_origin(url), authenticated=False), "GET", url,
        )
        mms = (found or {}).get(DISCOVERY_KEY)
        if not mms:
            raise InputError(f"{ref.id}: the discovery URL names no '{DISCOVERY_KEY}' service")
        self._mms_base = f"{mms.rstrip('/')}/{MMS_ROUTE}{ref.workspace_path}"
        return self._mms_base

    def _client(self) -> Any:
        return self.clients.data_plane(_origin(self._base()))

    def _service_url(self) -> str:
        return f"{self._base()}/services/{self.ref.name}"

    def _read(self) -> tuple[dict, Secret | None]:
        body = json_object(self.call(
            Call(self.ref, f"read web service '{self.ref.name}'", READ),
            send_json, self._client(), "GET", self._service_url(),
        ))
        key_text = json_text(body.pop("sslKey", None))
        key = Secret(key_text) if key_text else None
        ctype = str(body.get("computeType") or "")
        if ctype.upper() == "AKS":
            compute = body.get("computeName") or "<cluster>"
            raise InputError(
                f"{self.id}: '{self.ref.name}' is an AKS web service; its TLS is set on the"
                f" cluster: use {self.ref.workspace_path}/computes/{compute}"
            )
        if ctype.upper() != "ACI":
            raise InputError(f"{self.id}: '{self.ref.name}' is a {ctype or 'unknown'} service,"
                             " not an ACI web service")
        return body, key

    @staticmethod
    def settings_from(body: dict) -> SslSettings:
        return SslSettings(
            status="Enabled" if body.get("sslEnabled") else "Disabled",
            cname=json_text(body.get("cname")),
            cert_pem=json_text(body.get("sslCertificate")),
        )

    def _status_of(self, body: dict) -> TargetStatus:
        ssl = self.settings_from(body)
        fqdn = ssl.cname if ssl.tls_on and ssl.cname else json_text(body.get("publicFqdn"))
        uri = body.get("scoringUri")
        status = self.new_status(
            ssl, fqdn=fqdn, address=json_text(body.get("publicIp")),
            scoring_uri=json_text(uri) if url_parts(uri) else None,
        )
        status.https_uri = https_only(self.endpoint(status).url) if ssl.tls_on else None
        if json_text(body.get("state")):
            status.notes.append(f"service state: {body['state']}")
        self.add_probe(status)
        return status

    def status(self) -> TargetStatus:
        body, _ = self._read()
        return self._status_of(body)

    # -- planning --------------------------------------------------------------------------
    def plan(self, desired: SslSettings) -> Plan:
        body, key = self._read()
        current = self.settings_from(body)
        findings: list[Finding] = []
        notes: list[str] = []
        if desired.status == "Auto" or desired.leaf_domain_label:
            findings.append(Finding("aci_no_auto", Severity.ERROR,
                                    "ACI web services have no Microsoft-provided certificates;"
                                    " give --cert, --key and --cname"))
        if desired.renew:
            findings.append(Finding("renew_needs_auto", Severity.ERROR,
                                    "renew applies only to Microsoft certificates on AKS"
                                    " clusters; to rotate an ACI certificate use `mlssl update`"
                                    " with the new files"))
        if desired.status == "Enabled" and not (desired.cname and desired.cert_pem and desired.key):
            findings.append(Finding("cname_cert_key", Severity.ERROR,
                                    "give --cert, --key and --cname together"))
        action = change_action(current, desired)
        notes.append("ACI may recreate the container group during the update, so the service"
                     " can be briefly unavailable (not confirmed by Microsoft's docs)")
        if current.tls_on and key is None:
            notes.append("Azure did not return the current key: a rollback cannot restore the"
                         " previous certificate without your files")
        if desired.status == "Enabled" and desired.cname:
            where = body.get("publicIp") or "the service"
            notes.append(f"point DNS for {desired.cname} at {where}")
        return Plan(
            target=self.id,
            action=action,
            current=current,
            desired=desired,
            changes=diff(current, desired, FIELDS),
            findings=findings,
            notes=notes,
            requires_confirmation=action == "disable",
            state={"fingerprint": _fingerprint(body), "previous_cert": body.get("sslCertificate"),
                   "previous_key": key, "previous_cname": body.get("cname"),
                   "previous_enabled": bool(body.get("sslEnabled"))},
        )

    # -- applying --------------------------------------------------------------------------
    def _patch(self, ops: list[dict], what: str, progress: ProgressCallback | None) -> Operation:
        from azure.core.polling import LROPoller
        from azure.core.polling.base_polling import LROBasePolling, StatusCheckPolling

        call = Call(self.ref, f"{what} web service '{self.ref.name}'", WRITE, write=True)
        if progress:
            progress(f"{call.action}: PATCH")
        client = self._client()
        initial = self.call(call, send_json, client, "PATCH", self._service_url(), body=ops,
                            content_type="application/json-patch+json", pipeline_response=True)
        strategies: list[Any] = [MmsOperationPolling(self._base()), StatusCheckPolling()]
        method: Any = LROBasePolling(
            self.clients.polling_interval,
            lro_algorithms=strategies,
        )
        poller = self.call(call, LROPoller, client, initial, lambda r: None, method)
        return PollerOperation(poller, call, self.status, progress)

    def apply(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        self.refuse_blocked(plan)
        body, _ = self._read()
        self.check_unchanged(plan, _fingerprint(body))
        d = plan.desired
        if d.status == "Enabled":
            assert d.key is not None
            ops = patch_ops(True, d.cert_pem, d.key, d.cname)
        else:
            ops = patch_ops(False)
        return self._patch(ops, plan.action, progress)

    def rollback(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        st = plan.state
        if not st["previous_enabled"]:
            return self._patch(patch_ops(False), "restore", progress)
        if st.get("previous_key") and st.get("previous_cert"):
            ops = patch_ops(True, st["previous_cert"], st["previous_key"], st["previous_cname"])
            return self._patch(ops, "restore", progress)
        return RollbackImpossible(
            self.id,
            "the previous certificate cannot be restored: Azure did not return its key; run"
            " `mlssl update` with your previous certificate and key files",
        )


def patch_ops(enabled: bool, cert: str | None = None, key: Secret | None = None,
              cname: str | None = None) -> list[dict]:
    """The JSON-Patch azureml-core's ``AciWebservice.update`` sends."""
    ops: list[dict] = [{"op": "replace", "path": "/sslEnabled", "value": enabled}]
    if enabled:
        ops += [
            {"op": "replace", "path": "/sslCertificate", "value": cert},
            {"op": "replace", "path": "/sslKey", "value": key.reveal_text() if key else None},
            {"op": "replace", "path": "/cname", "value": cname},
        ]
    return ops


def _fingerprint(body: dict) -> dict:
    return {"sslEnabled": bool(body.get("sslEnabled")), "cname": body.get("cname"),
            "sslCertificate": body.get("sslCertificate")}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
