"""Azure targets: v1 AKS inference clusters, v1 ACI web services, the Azure ML Kubernetes
extension (v2 Kubernetes online endpoints) and online endpoints.

``open_azure_target`` turns a portal ARM id into one of them; see ``resource_id`` for the id
forms and docs/azure-notes.md for the calls. Needs the ``azure`` extra (azure-core,
azure-identity and the management SDKs); everything is imported when ``open_azure_target``
runs, never at package import.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlssl.targets.base import Target

__all__ = ["open_azure_target"]


def open_azure_target(
    target_id: str,
    *,
    credential: Any = None,
    arm_endpoint: str | None = None,
    **client_options: Any,
) -> Target:
    """The target an ARM id names.

    ``credential``: any azure-core ``TokenCredential`` (default: ``credentials.default_credential``,
    which never waits on a browser). ``arm_endpoint``: the ARM base URL of a sovereign cloud (or
    a test server); it also selects the token scope and authority. ``client_options`` go to
    every azure-core pipeline (``connection_verify``, ``retry_total``, ``retry_backoff_factor``,
    ``read_timeout``, ``polling_interval``, ...) plus, for ``status``, ``observe`` (a callable
    reading the live certificate, lent by the layer above) and ``probe_timeout``.
    """
    from jupyter_mlssl.targets.azure.clients import AzureClients
    from jupyter_mlssl.targets.azure.credentials import cloud_for, default_credential
    from jupyter_mlssl.targets.azure.resource_id import parse

    ref = parse(target_id)
    cloud = cloud_for(arm_endpoint)
    if credential is None:
        credential = default_credential(cloud)
    clients = AzureClients(credential, ref.subscription, cloud, dict(client_options))
    if ref.kind == "aks":
        from jupyter_mlssl.targets.azure.aks import AksComputeTarget

        return AksComputeTarget(ref, clients)
    if ref.kind == "aci":
        from jupyter_mlssl.targets.azure.aci import AciServiceTarget

        return AciServiceTarget(ref, clients)
    if ref.kind == "k8s-extension":
        from jupyter_mlssl.targets.azure.k8s_extension import K8sExtensionTarget

        return K8sExtensionTarget(ref, clients)
    from jupyter_mlssl.targets.azure.online_endpoint import OnlineEndpointTarget

    return OnlineEndpointTarget(ref, clients)
