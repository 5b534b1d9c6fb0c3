"""Targets: where a model is deployed, and how its TLS settings are read and changed."""

from __future__ import annotations

from typing import Any

from jupyter_mlssl.errors import InputError, UnknownTargetError
from jupyter_mlssl.targets.base import Target

LOCAL_SCHEME = "local://"


def open_target(target: str, *, credential: Any = None, arm_endpoint: str | None = None,
                observe: Any = None) -> Target:
    """Resolve a target id (``local://NAME`` or an ARM resource id) to a :class:`Target`.

    ``observe(url, resolve=..., timeout=...) -> dict`` reads a live endpoint's certificate
    for Azure targets' ``status``; the API passes the probe's, since targets may not import
    the checks layer themselves.
    """
    target = str(target or "").strip()
    if target.startswith(LOCAL_SCHEME):
        from jupyter_mlssl.targets.local import LocalTarget

        return LocalTarget.from_id(target)
    if target.lower().startswith("/subscriptions/"):
        try:
            from jupyter_mlssl.targets.azure import open_azure_target
        except ImportError as exc:  # the azure extra is not installed
            raise InputError(
                f"{target}: Azure targets need the Azure SDKs: pip install 'jupyter-mlssl[azure]'"
                f" ({exc.name} is missing)"
            ) from None
        options = {"observe": observe} if observe is not None else {}
        return open_azure_target(target, credential=credential, arm_endpoint=arm_endpoint,
                                 **options)
    raise UnknownTargetError(target)
