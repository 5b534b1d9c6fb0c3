"""jupyter-mlssl: secure a deployed machine-learning web service with TLS, from the notebook.

The Python API. Every function imports what it needs when called, so that
``%load_ext jupyter_mlssl`` stays fast and works without the optional extras.

    >>> import jupyter_mlssl as mlssl
    >>> mlssl.inspect_certificate("fullchain.pem", key="key.pem", cname="api.contoso.com")
    >>> mlssl.check_dns("api.contoso.com", expect="20.1.2.3")
    >>> mlssl.probe("https://api.contoso.com/")
    >>> target = mlssl.connect("local://iris")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlssl._version import __version__

if TYPE_CHECKING:
    from jupyter_mlssl.targets.base import Target

__all__ = [
    "__version__",
    "aprobe_many",
    "check_dns",
    "connect",
    "inspect_certificate",
    "load_ipython_extension",
    "local",
    "panel",
    "probe",
    "probe_many",
    "unload_ipython_extension",
]


def connect(target: str, *, credential: Any = None, arm_endpoint: str | None = None) -> Target:
    """A target from its id: ``local://NAME`` or an ARM resource id as the portal shows it.

    ``credential`` is any azure-core ``TokenCredential`` (default: a chain that never waits
    on a browser); ``arm_endpoint`` selects a sovereign cloud (or a test server).
    """
    from jupyter_mlssl.targets import connect as _connect

    observe: Any = None
    if target.strip().lower().startswith("/subscriptions/"):
        from jupyter_mlssl.probing import certificate_facts

        observe = certificate_facts  # Azure status reads the live certificate through it
    return _connect(target, credential=credential, arm_endpoint=arm_endpoint, observe=observe)


def inspect_certificate(cert: Any, **kwargs: Any) -> Any:
    """Check a certificate (any format) before it goes anywhere; see ``certificates.inspect``."""
    from jupyter_mlssl.certificates import inspect

    return inspect(cert, **kwargs)


def check_dns(name: str, **kwargs: Any) -> Any:
    """Does ``name`` resolve, and to the service? See ``jupyter_mlssl.dns.check_dns``."""
    from jupyter_mlssl.dns import check_dns as _check_dns

    return _check_dns(name, **kwargs)


def probe(url: str, **kwargs: Any) -> Any:
    """What a client sees at ``url`` over HTTPS; see ``jupyter_mlssl.probing.probe``."""
    from jupyter_mlssl.probing import probe as _probe

    return _probe(url, **kwargs)


def probe_many(urls: Any, **kwargs: Any) -> Any:
    """Probe many URLs concurrently; one table, input order."""
    from jupyter_mlssl.probing import probe_many as _probe_many

    return _probe_many(urls, **kwargs)


async def aprobe_many(urls: Any, **kwargs: Any) -> Any:
    """``probe_many`` for a running event loop: ``await mlssl.aprobe_many(urls)``."""
    from jupyter_mlssl.probing import aprobe_many as _aprobe_many

    return await _aprobe_many(urls, **kwargs)


def panel(target: str | None = None, **kwargs: Any) -> Any:
    """The ipywidgets panel (certificate, change, DNS, probe, history)."""
    from jupyter_mlssl.widgets import Panel

    return Panel(target=target, **kwargs)


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

        return importlib.import_module("jupyter_mlssl.local")
    raise AttributeError(f"module 'jupyter_mlssl' has no attribute {name!r}")
