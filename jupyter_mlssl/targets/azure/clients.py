"""The real Azure SDK clients, built once per target with the same pipeline options.

* ARM through the management SDKs (``azure-mgmt-machinelearningservices`` for computes and
  workspaces, ``azure-mgmt-containerservice`` for cluster facts, ``azure-mgmt-network`` for the
  router's public IP) and, where no SDK models the call (extensions, online endpoints; the raw
  JSON of a compute), azure-mgmt-core's ``ARMPipelineClient``.
* The v1 Model Management Service (ACI web services) through azure-core's ``PipelineClient``
  with a bearer-token policy for the ARM scope (MMS accepts ARM tokens, docs/azure-notes.md).

Every client gets ``base_url`` = the ARM endpoint (sovereign clouds, tests), the token scope
of that cloud, and the caller's pipeline options: ``connection_verify`` (default: azure-core's,
i.e. requests honouring REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, else certifi), ``retry_total``,
``retry_backoff_factor``, ``connection_timeout``, ``read_timeout``, ``polling_interval``, and
``max_retry_after`` (the longest wait a ``Retry-After`` buys, :data:`MAX_RETRY_AFTER`).

Logging: certificates and private keys travel in request bodies (the compute PUT, the MMS
JSON-Patch, the extension PATCH). azure-core's ``NetworkTraceLoggingPolicy`` prints bodies when
``logging_enable=True`` is passed anywhere (client or call); it is replaced here by a policy
that never does. ``HttpLoggingPolicy`` (headers and query, with Authorization redacted) stays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from jupyter_mlssl._version import __version__
from jupyter_mlssl.targets.azure.credentials import Cloud

USER_AGENT = f"jupyter-mlssl/{__version__}"

#: defaults chosen for a person waiting in a notebook, not for a batch job
DEFAULT_OPTIONS: dict[str, Any] = {
    "polling_interval": 5,  # azureml-core polls every 5 s
    "connection_timeout": 30,
    "read_timeout": 120,
}


#: The longest wait a ``Retry-After`` (429 / 503) buys. azure-core sleeps for whatever the
#: header says: a year for "31536000", thousands of years for a far-future date, and raises
#: on "inf" or garbage. A service asking for more is broken or hostile: we retry sooner and,
#: once retries are spent, report the throttling in one line. Option ``max_retry_after``.
MAX_RETRY_AFTER = 60.0


def bounded_retry_policy(max_wait: float, **options: Any) -> Any:
    """azure-core's ``RetryPolicy`` (with ``options``), ``Retry-After`` bounded by ``max_wait``."""
    import math

    from azure.core.pipeline.policies import RetryPolicy

    class BoundedRetryPolicy(RetryPolicy):
        def get_retry_after(self, response: Any) -> float | None:
            try:
                after = super().get_retry_after(response)
            except (ValueError, OverflowError):  # "soon", "inf" in -ms, a date out of range
                return None  # then the ordinary backoff
            if after is None or math.isnan(after):
                return None
            return min(max(after, 0.0), max_wait)

    return BoundedRetryPolicy(**options)


def _no_body_logging_policy() -> Any:
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class NoBodyLoggingPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
        """Stands where NetworkTraceLoggingPolicy would: logs nothing, bodies carry keys."""

    return NoBodyLoggingPolicy()


@dataclass
class AzureClients:
    """Factory and cache of the clients one target uses."""

    credential: Any
    subscription: str
    cloud: Cloud
    options: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def _kwargs(self) -> dict[str, Any]:
        opts = {**DEFAULT_OPTIONS, **self.options}
        opts.pop("probe_timeout", None)
        opts.pop("observe", None)
        max_wait = float(opts.pop("max_retry_after", MAX_RETRY_AFTER))
        opts["retry_policy"] = bounded_retry_policy(max_wait, **opts)
        opts["logging_policy"] = _no_body_logging_policy()
        opts["user_agent"] = USER_AGENT
        opts["credential_scopes"] = [self.cloud.scope]
        return opts

    def for_subscription(self, subscription: str) -> AzureClients:
        """These clients, or a copy (own cache) for resources in another ``subscription``
        (an AKS cluster, its router IP or a DNS zone may live outside the workspace's)."""
        if subscription.lower() == str(self.subscription).lower():
            return self
        return replace(self, subscription=subscription, _cache={})

    @property
    def polling_interval(self) -> float:
        return float({**DEFAULT_OPTIONS, **self.options}["polling_interval"])

    @property
    def observe(self) -> Any:
        """``observe(url, resolve=..., timeout=...) -> dict`` reading the live certificate
        (``jupyter_mlssl.probing.certificate_facts``), lent by the layer above: targets sit
        below the checks and must not import them. None: status shows no expiry."""
        return self.options.get("observe")

    @property
    def probe_timeout(self) -> float:
        return float(self.options.get("probe_timeout", 5.0))

    def _get(self, key: str, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # -- management SDKs ---------------------------------------------------------------------
    def ml(self, api_version: str) -> Any:
        """azure-mgmt-machinelearningservices at ``api_version`` (its models are old; callers
        keep bodies raw, see aks.py)."""
        from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

        return self._get(
            f"ml:{api_version}",
            lambda: MachineLearningServicesMgmtClient(
                self.credential,
                self.subscription,
                base_url=self.cloud.arm_endpoint,
                api_version=api_version,
                **self._kwargs(),
            ),
        )

    def containers(self) -> Any:
        from azure.mgmt.containerservice import ContainerServiceClient

        return self._get(
            "containers",
            lambda: ContainerServiceClient(
                self.credential, self.subscription, base_url=self.cloud.arm_endpoint,
                **self._kwargs(),
            ),
        )

    def network(self) -> Any:
        from azure.mgmt.network import NetworkManagementClient

        return self._get(
            "network",
            lambda: NetworkManagementClient(
                self.credential, self.subscription, base_url=self.cloud.arm_endpoint,
                **self._kwargs(),
            ),
        )

    def dns(self) -> Any:
        """azure-mgmt-dns at its only stable api-version, 2018-05-01 (record sets, etags)."""
        from azure.mgmt.dns import DnsManagementClient

        return self._get(
            "dns",
            lambda: DnsManagementClient(
                self.credential, self.subscription, base_url=self.cloud.arm_endpoint,
                api_version="2018-05-01", **self._kwargs(),
            ),
        )

    # -- raw pipelines -----------------------------------------------------------------------
    def _policies(self, kw: dict[str, Any], auth: Any, http_logging: Any) -> list[Any]:
        """azure-core's default pipeline order, with ``auth`` (or none) and our logging.

        ``kw["logging_policy"]`` is the body-free logging policy from ``_kwargs``: bodies carry
        certificates and keys, so azure-core's own request logging must never see them.
        """
        from azure.core.pipeline import policies

        pipeline = [
            policies.RequestIdPolicy(**kw),
            policies.HeadersPolicy(**kw),
            policies.UserAgentPolicy(**kw),
            policies.ProxyPolicy(**kw),
            policies.ContentDecodePolicy(**kw),
            policies.RedirectPolicy(**kw),
            kw.pop("retry_policy"),
            auth,
            kw.pop("logging_policy"),
            policies.DistributedTracingPolicy(**kw),
            policies.SensitiveHeaderCleanupPolicy(**kw),
            http_logging(**kw),
        ]
        return [p for p in pipeline if p is not None]

    def arm(self) -> Any:
        """An ``ARMPipelineClient`` for calls no installed SDK models."""
        from azure.mgmt.core import ARMPipelineClient
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

        def build() -> Any:
            kw = self._kwargs()
            scopes = kw.pop("credential_scopes")
            auth = ARMChallengeAuthenticationPolicy(self.credential, *scopes)
            pipeline = self._policies(kw, auth, ARMHttpLoggingPolicy)
            return ARMPipelineClient(base_url=self.cloud.arm_endpoint, policies=pipeline, **kw)

        return self._get("arm", build)

    def data_plane(self, base_url: str, *, authenticated: bool = True) -> Any:
        """A ``PipelineClient`` for MMS (bearer ARM token) or the discovery URL (no token:
        azureml-core fetches it anonymously, and a token should not go where it is not needed)."""
        from azure.core import PipelineClient
        from azure.core.pipeline import policies

        def build() -> Any:
            kw = self._kwargs()
            scopes = kw.pop("credential_scopes")
            auth = (policies.BearerTokenCredentialPolicy(self.credential, *scopes)
                    if authenticated else None)
            pipeline = self._policies(kw, auth, policies.HttpLoggingPolicy)
            return PipelineClient(base_url=base_url, policies=pipeline, **kw)

        return self._get(f"plane:{authenticated}:{base_url}", build)


def send_json(
    client: Any,
    method: str,
    url: str,
    *,
    params: dict[str, str] | None = None,
    body: Any = None,
    content_type: str = "application/json",
    pipeline_response: bool = False,
) -> Any:
    """Send one request through ``client``; raise ``HttpResponseError`` unless it is 2xx.

    Returns the parsed JSON body (or None), or with ``pipeline_response=True`` the azure-core
    ``PipelineResponse`` that ``LROPoller`` needs as its initial response. The latter uses the
    ``_return_pipeline_response`` keyword that azure-core's own pollers use for the same need.
    """
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    headers = {"Accept": "application/json"}
    content = None
    if body is not None:
        headers["Content-Type"] = content_type
        content = json.dumps(body).encode()
    if url.startswith("/"):  # an ARM path: send_request does not prefix base_url itself
        url = client.format_url(url)
    request = HttpRequest(method, url, params=params or {}, headers=headers, content=content)
    result = client.send_request(request, _return_pipeline_response=pipeline_response)
    response = result.http_response if pipeline_response else result
    response.read()
    if not 200 <= response.status_code < 300:
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    if pipeline_response:
        return result
    return response.json() if response.content else None
