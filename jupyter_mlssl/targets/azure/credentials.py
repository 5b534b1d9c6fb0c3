"""Azure credentials for a notebook user, from azure-identity.

The rule here: nothing waits on a browser. A remote kernel (Binder, JupyterHub, an AML compute
instance) cannot receive the redirect of ``InteractiveBrowserCredential`` and would hang until
its 300 s timeout (docs/azure-notes.md), so the default chain never includes it; the interactive
choice is the device code, whose prompt goes to a callback so the panel can show it.

Sovereign clouds: the ARM endpoint decides the token scope and the Entra authority. For the
public, China and US Government clouds both come from azure-core / azure-identity tables; any
other endpoint (Azure Stack, a test server) gets ``<endpoint>/.default`` and the authority from
``AZURE_AUTHORITY_HOST`` (azure-identity's own variable) or the public one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PUBLIC_ARM = "https://management.azure.com"

#: what the device-code prompt callback receives: verification URL, user code, expiry
PromptCallback = Callable[[str, str, datetime], None]


@dataclass(frozen=True)
class Cloud:
    """Where ARM is, which scope its tokens carry, and which authority issues them."""

    arm_endpoint: str  # no trailing slash
    scope: str
    authority: str


def cloud_for(arm_endpoint: str | None = None) -> Cloud:
    """The cloud an ARM endpoint belongs to (None: the public cloud)."""
    from azure.core import AzureClouds
    from azure.identity import AzureAuthorityHosts
    from azure.mgmt.core.tools import get_arm_endpoints

    endpoint = (arm_endpoint or PUBLIC_ARM).rstrip("/")
    authorities = {
        AzureClouds.AZURE_PUBLIC_CLOUD: AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
        AzureClouds.AZURE_CHINA_CLOUD: AzureAuthorityHosts.AZURE_CHINA,
        AzureClouds.AZURE_US_GOVERNMENT: AzureAuthorityHosts.AZURE_GOVERNMENT,
    }
    for cloud, authority in authorities.items():
        known = get_arm_endpoints(cloud)
        if known["resource_manager"].rstrip("/").lower() == endpoint.lower():
            return Cloud(endpoint, known["credential_scopes"][0], authority)
    authority = os.environ.get("AZURE_AUTHORITY_HOST") or AzureAuthorityHosts.AZURE_PUBLIC_CLOUD
    return Cloud(endpoint, endpoint + "/.default", authority)


def default_credential(cloud: Cloud | None = None, **kwargs: Any) -> Any:
    """The chain used when the caller passes no credential.

    ``DefaultAzureCredential`` with its interactive browser member excluded (that is already
    its default; it is spelled out so a future default cannot change it) and the broker too
    (on Windows/WSL it may raise a sign-in window): environment service principal, workload
    identity, managed identity (compute instances), Azure CLI (10 s process timeout), ... It
    fails fast with ``ClientAuthenticationError`` instead of waiting.
    """
    from azure.identity import DefaultAzureCredential

    cloud = cloud or cloud_for()
    kwargs.setdefault("process_timeout", 10)
    return DefaultAzureCredential(
        authority=cloud.authority,
        exclude_interactive_browser_credential=True,
        exclude_broker_credential=True,
        **kwargs,
    )


def cli_credential(cloud: Cloud | None = None, **kwargs: Any) -> Any:
    """``az login`` on the kernel's host (the CLI knows its own cloud; see ``az cloud set``)."""
    from azure.identity import AzureCliCredential

    kwargs.setdefault("process_timeout", 10)
    return AzureCliCredential(**kwargs)


def environment_credential(cloud: Cloud | None = None, **kwargs: Any) -> Any:
    """A service principal from AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET."""
    from azure.identity import EnvironmentCredential

    cloud = cloud or cloud_for()
    return EnvironmentCredential(authority=cloud.authority, **kwargs)


def device_code_credential(
    prompt_callback: PromptCallback | None = None,
    cloud: Cloud | None = None,
    *,
    tenant_id: str | None = None,
    **kwargs: Any,
) -> Any:
    """Device-code sign-in, the one interactive flow that works from a remote kernel.

    ``prompt_callback(verification_uri, user_code, expires_on)`` receives the code so a widget
    can show it (without it azure-identity prints to stdout). The default tenant
    ``organizations`` excludes personal Microsoft accounts: those need ``tenant_id``.
    """
    from azure.identity import DeviceCodeCredential

    cloud = cloud or cloud_for()
    if tenant_id:
        kwargs["tenant_id"] = tenant_id
    if prompt_callback is not None:
        kwargs["prompt_callback"] = prompt_callback
    return DeviceCodeCredential(authority=cloud.authority, **kwargs)


KINDS: dict[str, Callable[..., Any]] = {
    "default": default_credential,
    "cli": cli_credential,
    "environment": environment_credential,
    "device-code": device_code_credential,
}


def credential_for(kind: str = "default", cloud: Cloud | None = None, **kwargs: Any) -> Any:
    """A credential by name: default, cli, environment or device-code."""
    from jupyter_mlssl.errors import InputError

    try:
        factory = KINDS[kind]
    except KeyError:
        raise InputError(
            f"credential '{kind}' is unknown; use one of {', '.join(KINDS)}"
        ) from None
    return factory(cloud=cloud, **kwargs)
