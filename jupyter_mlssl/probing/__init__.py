"""What a client sees at an HTTPS URL: one verdict per URL, for one endpoint or a fleet.

Per URL: resolve (honouring curl-style ``resolve`` overrides), connect, TLS handshake with
SNI and verification off, capture the presented chain, protocol and cipher; verify the chain
with cryptography against the trust store (no CN fallback); one HTTP request on the same
connection (status, ``Server``, HSTS); and, for an https URL on port 443, whether plain
http on port 80 redirects (``redirect_port``). Timings for each stage. The verdicts, worst
first, are :data:`~jupyter_mlssl.probing.verdict.WORST_FIRST` (why that order: see there);
``ProbeResult.problems`` lists all that apply and ``error`` says why, worst first.

An ``http://`` URL is probed without TLS (after TLS is disabled, does the service still
answer?): its verdict speaks only of reaching it; ``http_status``/``http_error`` say whether
it answered.

    >>> report = probe_many(["https://api.contoso.com/", "https://iris.local:8443/"])
    >>> report.to_frame()

The synchronous functions also work inside a running event loop (a Jupyter kernel has one):
they then run the probes on a worker thread. Coroutines can ``await aprobe_many(...)``.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import datetime as dt
import math
import os
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.pki.trust import trust_store
from jupyter_mlssl.probing.endpoint import Endpoint, parse_resolve, parse_url
from jupyter_mlssl.probing.report import CertSummary, ProbeReport, ProbeResult, Timings
from jupyter_mlssl.probing.runner import RedirectPort
from jupyter_mlssl.probing.verdict import VERDICTS, WORST_FIRST

__all__ = [
    "VERDICTS",
    "WORST_FIRST",
    "CertSummary",
    "ProbeReport",
    "ProbeResult",
    "Timings",
    "aprobe_many",
    "certificate_facts",
    "probe",
    "probe_many",
]

T = TypeVar("T")


def probe(
    url: str,
    *,
    ca_bundle: str | os.PathLike[str] | None = None,
    resolve: Iterable[str] = (),
    timeout: float = 5.0,
    now: dt.datetime | None = None,
    redirect_port: RedirectPort = "auto",
) -> ProbeReport:
    """Probe one URL; a :class:`ProbeReport` with one result (``report.results[0]``)."""
    return probe_many([url], ca_bundle=ca_bundle, resolve=resolve, timeout=timeout,
                      concurrency=1, now=now, redirect_port=redirect_port)


def probe_many(
    urls: Iterable[str],
    *,
    ca_bundle: str | os.PathLike[str] | None = None,
    resolve: Iterable[str] = (),
    timeout: float = 5.0,
    concurrency: int = 50,
    now: dt.datetime | None = None,
    redirect_port: RedirectPort = "auto",
) -> ProbeReport:
    """Probe every URL, at most ``concurrency`` at once; one table, in input order.

    ``ca_bundle``: a PEM file of trusted CAs; by default ``SSL_CERT_FILE`` when it names a
    file, else Mozilla's store (certifi). ``resolve``: ``HOST:PORT:ADDRESS`` overrides, as
    curl's ``--resolve``. ``timeout``: seconds per probe. ``now``: the moment to judge
    validity at (default: now). ``redirect_port``: where to look for plain http that should
    redirect to https: ``"auto"`` looks on port 80 for https URLs on the default port 443
    only (for a service on another port, port 80 of its host is not its plain-http twin);
    a number always looks there; None never looks.
    """
    return _run_sync(lambda: aprobe_many(
        urls, ca_bundle=ca_bundle, resolve=resolve, timeout=timeout, concurrency=concurrency,
        now=now, redirect_port=redirect_port, _private_loop=True,
    ))


async def aprobe_many(
    urls: Iterable[str],
    *,
    ca_bundle: str | os.PathLike[str] | None = None,
    resolve: Iterable[str] = (),
    timeout: float = 5.0,
    concurrency: int = 50,
    now: dt.datetime | None = None,
    redirect_port: RedirectPort = "auto",
    _private_loop: bool = False,
) -> ProbeReport:
    """:func:`probe_many` for code already running in an event loop."""
    from jupyter_mlssl.probing.aio import can_watch_fds
    from jupyter_mlssl.probing.runner import probe_all

    urls = [urls] if isinstance(urls, str) else list(urls)  # an iterator is read once
    resolve = [resolve] if isinstance(resolve, str) else list(resolve)
    endpoints, overrides = _inputs(urls, resolve, timeout, concurrency, redirect_port)
    trust = trust_store(ca_bundle, honour_env=True)
    loop = asyncio.get_running_loop()
    if not can_watch_fds(loop):  # Windows' proactor loop: probe on a loop of our own
        return await loop.run_in_executor(None, lambda: _run_in_new_loop(aprobe_many(
            urls, ca_bundle=ca_bundle, resolve=resolve, timeout=timeout,
            concurrency=concurrency, now=now, redirect_port=redirect_port,
            _private_loop=True,
        )))
    results = await probe_all(
        endpoints, overrides=overrides, trust=trust, timeout=timeout,
        concurrency=concurrency, now=now, redirect_port=redirect_port,
        private_loop=_private_loop,
    )
    return ProbeReport(results=results)


def certificate_facts(url: str, *, resolve: Iterable[str] = (), timeout: float = 5.0
                      ) -> dict[str, Any]:
    """Expiry and fingerprint of the certificate ``url`` serves, or a note saying why not.

    The observer that ``jupyter_mlssl.connect`` lends Azure targets, so their ``status``
    shows the live certificate without the targets layer importing this one. Never raises:
    a target must still report its settings when the endpoint is unreachable. ``resolve``
    pins names to addresses, curl-style.
    """
    try:
        result = probe(url, resolve=tuple(resolve), timeout=timeout,
                       redirect_port=None).results[0]
    except Exception as exc:  # a probe must never break status
        return {"note": f"certificate not read from {url}: {type(exc).__name__}"}
    not_after = result.not_after
    out: dict[str, Any] = {
        "not_after": not_after.astimezone(dt.timezone.utc).isoformat() if not_after else None,
        "days_left": result.days_left,
        "fingerprint": result.leaf_fingerprint,
    }
    if not_after is None:
        out["note"] = f"certificate not read from {url}: {result.verdict}"
    elif result.verdict != "ok":
        out["note"] = f"probe of {url}: {result.verdict}"
    return out


def _inputs(
    urls: Iterable[str],
    resolve: Iterable[str],
    timeout: float,
    concurrency: int,
    redirect_port: RedirectPort,
) -> tuple[list[Endpoint], dict[tuple[str, int], str]]:
    if isinstance(urls, str):
        urls = [urls]
    endpoints = [parse_url(u) for u in urls]
    if not endpoints:
        raise InputError("probe: no URL given; name at least one https://HOST/")
    if isinstance(resolve, str):
        resolve = [resolve]
    overrides = parse_resolve(resolve)
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise InputError(f"--timeout {timeout}: give a positive number of seconds")
    if not (isinstance(concurrency, int) and concurrency >= 1):
        raise InputError(f"--concurrency {concurrency}: give a whole number, 1 or more")
    if redirect_port not in (None, "auto") and not (
        isinstance(redirect_port, int) and 0 < redirect_port < 65536
    ):
        raise InputError(f"redirect_port {redirect_port!r}: give a TCP port, 'auto' or None")
    return endpoints, overrides


def _run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop.

    ``asyncio.run`` refuses to nest; a Jupyter kernel always has a loop running, so there
    the coroutine gets its own loop on a worker thread while this thread waits.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # Keep the loop between calls on the main thread only: a loop kept per thread
        # would hold three descriptors for every short-lived thread that ever probed.
        main = threading.current_thread() is threading.main_thread()
        return _run_in_new_loop(make(), keep=main)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mlssl-probe") as pool:
        return pool.submit(lambda: _run_in_new_loop(make())).result()


_kept = threading.local()


def _run_in_new_loop(coro: Coroutine[Any, Any, T], *, keep: bool = False) -> T:
    """Run ``coro`` on a selector loop that is not running anywhere else.

    Not ``asyncio.run``: its SIGINT bookkeeping calls ``signal.getsignal``, whose enum lookup
    formats ``repr(task)`` and so the task's result, rendering a report table on every call
    (measured: 5 ms, more than the probe), and its loop set-up and tear-down cost 0.1 ms,
    some 5% of a loopback probe. With ``keep``, the loop
    is kept for the next call (a script probing in a loop) and closed at exit. Ctrl-C
    still interrupts, as a KeyboardInterrupt out of ``run_until_complete``.
    """
    loop = getattr(_kept, "loop", None) if keep else None
    if loop is None or loop.is_closed():
        loop = asyncio.SelectorEventLoop()  # the probe watches sockets itself (see aio.py)
        if keep:
            _kept.loop = loop
            atexit.register(loop.close)
    try:
        return loop.run_until_complete(coro)
    finally:
        # The probe starts no async generators and keeps its blocking DNS lookups on a pool
        # of its own (connect.py), so unlike asyncio.run there is nothing else to wind down.
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            if not keep:
                loop.close()
