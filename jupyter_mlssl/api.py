"""The public Python API, with the real signatures of the functions behind it.

Every function imports what it needs when called, so that ``%load_ext jupyter_mlssl`` stays
fast and works without the optional extras; the return types are imported for type checkers
only. The parameters are repeated here (rather than ``**kwargs``) so that ``help()``,
``inspect.signature``, IPython's completion and mypy see them; ``tests/test_api_signatures.py``
checks they match the functions they call.

    >>> import jupyter_mlssl as mlssl
    >>> mlssl.inspect_certificate("fullchain.pem", key="key.pem", cname="api.contoso.com")
    >>> mlssl.check_dns("api.contoso.com", expect="20.1.2.3")
    >>> mlssl.probe("https://api.contoso.com/")
    >>> target = mlssl.connect("local://iris")
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from jupyter_mlssl.certificates import CertificateReport
    from jupyter_mlssl.dns.report import DnsReport
    from jupyter_mlssl.fleet.report import FleetReport
    from jupyter_mlssl.probing.report import ProbeReport
    from jupyter_mlssl.targets.base import Target
    from jupyter_mlssl.widgets import Panel

__all__ = ["aprobe_many", "check_dns", "connect", "fleet", "inspect_certificate", "panel",
           "probe", "probe_many", "renewal_due"]

#: a certificate or key: a path, or the file's bytes
Source = str | os.PathLike[str] | bytes | bytearray | memoryview
#: where ``probe`` looks for plain http that should redirect: "auto", a port, or None
RedirectPort = int | Literal["auto"] | None


def connect(target: str, *, credential: Any = None, arm_endpoint: str | None = None) -> Target:
    """A target from its id: ``local://NAME`` or an ARM resource id as the portal shows it.

    ``credential`` is any azure-core ``TokenCredential`` (default: a chain that never waits
    on a browser); ``arm_endpoint`` selects a sovereign cloud (or a test server).
    """
    from jupyter_mlssl.change.targets import open_for_change

    return open_for_change(target, credential=credential, arm_endpoint=arm_endpoint)


def inspect_certificate(cert: Source, *, key: Source | None = None, cname: str | None = None,
                        password: bytes | str | None = None,
                        ca_bundle: str | os.PathLike[str] | None = None,
                        now: dt.datetime | None = None, name: str | None = None,
                        key_name: str | None = None) -> CertificateReport:
    """Check a certificate (any format) and its key before it goes anywhere.

    ``cert``/``key``: a path or the file's bytes (``name``/``key_name`` label bytes in
    messages). ``password`` opens a PKCS#12 file or an encrypted key. ``ca_bundle``: a PEM
    trust store (default: Mozilla's through certifi). ``cname``: the name clients will use.
    ``now``: an aware datetime, for tests. Bad input becomes a finding, never an exception.
    """
    from jupyter_mlssl.certificates import inspect

    return inspect(cert, key=key, cname=cname, password=password, ca_bundle=ca_bundle,
                   now=now, name=name, key_name=key_name)


def check_dns(name: str, *, expect: str | None = None, nameservers: Iterable[str] = (),
              timeout: float = 3.0) -> DnsReport:
    """Does ``name`` resolve, and to the service? ``expect``: an IP address, or a name the
    CNAME chain must pass through; ``nameservers``: ``IP[:PORT]`` to ask (default: the
    system's resolver); ``timeout``: seconds."""
    from jupyter_mlssl.dns import check_dns as _check_dns

    return _check_dns(name, expect=expect, nameservers=nameservers, timeout=timeout)


def probe(url: str, *, ca_bundle: str | os.PathLike[str] | None = None,
          resolve: Iterable[str] = (), timeout: float = 5.0, now: dt.datetime | None = None,
          redirect_port: RedirectPort = "auto") -> ProbeReport:
    """What a client sees at ``url`` over HTTPS: one result (``report.results[0]``).

    ``resolve``: ``HOST:PORT:ADDRESS`` overrides, as curl's ``--resolve``; the rest as
    :func:`probe_many`.
    """
    from jupyter_mlssl.probing import probe as _probe

    return _probe(url, ca_bundle=ca_bundle, resolve=resolve, timeout=timeout, now=now,
                  redirect_port=redirect_port)


def probe_many(urls: Iterable[str], *, ca_bundle: str | os.PathLike[str] | None = None,
               resolve: Iterable[str] = (), timeout: float = 5.0, concurrency: int = 50,
               now: dt.datetime | None = None,
               redirect_port: RedirectPort = "auto") -> ProbeReport:
    """Probe many URLs, at most ``concurrency`` at once; one table, in input order.

    ``ca_bundle``: trusted CAs (default: ``SSL_CERT_FILE`` when it names a file, else
    certifi's); ``timeout``: seconds per probe; ``redirect_port``: where to look for plain
    http that should redirect to https (``"auto"``: port 80 for https on 443 only).
    """
    from jupyter_mlssl.probing import probe_many as _probe_many

    return _probe_many(urls, ca_bundle=ca_bundle, resolve=resolve, timeout=timeout,
                       concurrency=concurrency, now=now, redirect_port=redirect_port)


async def aprobe_many(urls: Iterable[str], *, ca_bundle: str | os.PathLike[str] | None = None,
                      resolve: Iterable[str] = (), timeout: float = 5.0, concurrency: int = 50,
                      now: dt.datetime | None = None,
                      redirect_port: RedirectPort = "auto") -> ProbeReport:
    """``probe_many`` for a running event loop: ``await mlssl.aprobe_many(urls)``."""
    from jupyter_mlssl.probing import aprobe_many as _aprobe_many

    return await _aprobe_many(urls, ca_bundle=ca_bundle, resolve=resolve, timeout=timeout,
                              concurrency=concurrency, now=now, redirect_port=redirect_port)


def panel(target: str | None = None, *, targets: list[str] | tuple[str, ...] | None = None,
          ca_bundle: str | None = None, credential: Any = None,
          arm_endpoint: str | None = None, timeout: float | None = None) -> Panel:
    """The ipywidgets panel (certificate, change, DNS, probe, history). What is not given
    comes from ``%config MlsslMagic.*`` when the magic is loaded."""
    from jupyter_mlssl.widgets import Panel

    return Panel(target=target, targets=targets, ca_bundle=ca_bundle, credential=credential,
                 arm_endpoint=arm_endpoint, timeout=timeout)


def renewal_due(cert_pem: str | bytes, *, directory: str | None = None,
                ca_bundle: str | None = None, client: Any = None,
                timeout: float = 15.0) -> dt.datetime:
    """When to renew a certificate (UTC): inside its CA's ARI window (RFC 9773) when the
    ACME ``directory`` offers one, else when a third of its lifetime is left (also when the
    CA does not answer within ``timeout`` seconds)."""
    from jupyter_mlssl.acme.renewal import renewal_due as _renewal_due

    return _renewal_due(cert_pem, directory=directory, ca_bundle=ca_bundle, client=client,
                        timeout=timeout)


def fleet(*, subscriptions: Iterable[str] = (), workspaces: Iterable[str] = (),
          local: bool = False, azure: bool = True, probe: bool = False,
          credential: Any = None, arm_endpoint: str | None = None,
          concurrency: int = 64, probe_timeout: float = 5.0,
          ca_bundle: str | None = None) -> FleetReport:
    """Every endpoint's TLS in one table, worst first: ``mlssl.fleet(probe=True)``;
    ``report.plot()`` draws each certificate's validity on a time axis.

    Workspaces come from Azure Resource Graph (every subscription the caller can read, or
    ``subscriptions``), or are given as ``workspaces`` (ARM ids); ``local=True`` adds the
    local targets (``azure=False``: only those); ``probe`` adds the live verdicts.
    """
    from jupyter_mlssl.fleet import fleet as _fleet

    return _fleet(subscriptions=subscriptions, workspaces=workspaces, local=local,
                  azure=azure, probe=probe, credential=credential, arm_endpoint=arm_endpoint,
                  concurrency=concurrency, probe_timeout=probe_timeout, ca_bundle=ca_bundle)
