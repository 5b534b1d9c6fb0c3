"""jupyter-mlssl: secure a deployed machine-learning web service with TLS, from the notebook.

The package root is small: the version, the Jupyter extension hooks, the public API (from
:mod:`jupyter_mlssl.api`, with typed signatures) and ``local`` (the local target's verbs,
imported on first use). Importing it imports no heavy library.

    >>> import jupyter_mlssl as mlssl
    >>> mlssl.probe("https://api.contoso.com/")
    >>> from jupyter_mlssl import local
    >>> local.deploy("iris", model="model.pkl")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlssl._version import __version__
from jupyter_mlssl.api import (
    aprobe_many,
    check_dns,
    connect,
    fleet,
    inspect_certificate,
    panel,
    probe,
    probe_many,
    renewal_due,
)

if TYPE_CHECKING:
    from jupyter_mlssl.targets.local import verbs as local

__all__ = [
    "__version__",
    "aprobe_many",
    "check_dns",
    "connect",
    "fleet",
    "inspect_certificate",
    "load_ipython_extension",
    "local",
    "panel",
    "probe",
    "probe_many",
    "renewal_due",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_mlssl``: register ``%mlssl`` / ``%%mlssl``."""
    from jupyter_mlssl.magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from jupyter_mlssl.magics import unload_ipython_extension as _unload

    _unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt labextension inside this package (dev installs)."""
    return [{"src": "labextension", "dest": "jupyter-mlssl"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The server extension lives in its own module, so importing this package stays light."""
    return [{"module": "jupyter_mlssl.server_extension"}]


def __getattr__(name: str) -> Any:
    # `jupyter_mlssl.local.deploy(...)` without importing the local target at package import.
    if name == "local":
        import importlib

        return importlib.import_module("jupyter_mlssl.targets.local.verbs")
    raise AttributeError(f"module 'jupyter_mlssl' has no attribute {name!r}")
