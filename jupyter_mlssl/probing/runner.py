"""One probe, start to finish, and many of them under a concurrency bound.

The critical path of a probe is: resolve, TCP connect, TLS handshake, send the HTTP request,
read the response headers. Everything else is arranged around it so it adds no round trip:
the chain is verified while the HTTP request is in flight, and the plain-http redirect
check runs as a side task that starts at the same moment and is awaited only after the
timings are taken (it is advice about port 80, not part of what a client of this URL waits
for).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from typing import Literal

from jupyter_mlssl.pki.facts import catchable, detail
from jupyter_mlssl.pki.trust import TrustStore
from jupyter_mlssl.probing import http
from jupyter_mlssl.probing.aio import bounded
from jupyter_mlssl.probing.connect import Connection, ProbeFailure, connect, resolve
from jupyter_mlssl.probing.endpoint import Endpoint
from jupyter_mlssl.probing.presented import MalformedChain, days_left
from jupyter_mlssl.probing.report import ProbeResult, Timings
from jupyter_mlssl.probing.verdict import MODERN_PROTOCOLS, assess, worst_first

UTC = dt.timezone.utc

#: Where to look for plain http that should redirect: "auto", a port, or None (see probe()).
RedirectPort = int | Literal["auto"] | None


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


async def probe_endpoint(
    endpoint: Endpoint,
    *,
    overrides: dict[tuple[str, int], str],
    trust: TrustStore,
    timeout: float,
    now: dt.datetime | None = None,
    redirect_port: RedirectPort = "auto",
    exclusive: bool = False,
) -> ProbeResult:
    """Probe one endpoint. ``exclusive``: this probe is all its (private) loop runs."""
    start = time.perf_counter()
    deadline = start + timeout
    result = ProbeResult(url=endpoint.url, host=endpoint.host, port=endpoint.port)
    timings = result.timings = Timings()
    problems: dict[str, str] = {}
    redirect: asyncio.Task[tuple[bool | None, str]] | None = None
    conn: Connection | None = None
    try:
        result.address = await resolve(endpoint, overrides, deadline)
        timings.dns_ms = _ms_since(start)
        port = _redirect_port(endpoint, redirect_port)
        # With a side task to run, waits must go through the loop.
        conn = await connect(endpoint, result.address, deadline,
                             exclusive=exclusive and port is None)
        timings.connect_ms = conn.connect_ms
        timings.tls_ms = conn.tls_ms
        result.protocol, result.cipher = conn.protocol, conn.cipher

        if port is not None:
            # Same host, so the address we already have, unless --resolve names that port.
            address = overrides.get((endpoint.host, port), result.address)
            redirect = asyncio.ensure_future(
                http.http_redirects(endpoint, address, port, deadline)
            )

        await _exchange(conn, endpoint, result, trust, now, problems)
    except ProbeFailure as failure:
        problems[failure.verdict] = failure.message
    finally:
        if conn is not None:
            conn.close()
    timings.total_ms = _ms_since(start)

    if redirect is not None:
        await _collect_redirect(result, redirect, port, deadline)
    _settle(result, problems)
    return result


async def _exchange(conn: Connection, endpoint: Endpoint, result: ProbeResult,
                    trust: TrustStore, now: dt.datetime | None,
                    problems: dict[str, str]) -> None:
    """Send the request and read the answer; judge the TLS chain while it is on the wire."""
    judged = False

    def judge() -> None:
        # CPU work while the request is on the wire: there it costs no wall time.
        nonlocal judged
        judged = True
        if endpoint.tls:
            _judge_tls(result, conn, endpoint, trust, now, problems)

    answer = await http.exchange(conn.stream, http.request_bytes(endpoint), judge)
    if not judged:  # the request could not even be sent
        judge()
    result.timings.first_byte_ms = answer.first_byte_ms
    result.http_status, result.server, result.hsts = answer.status, answer.server, answer.hsts
    result.http_error = answer.error


async def _collect_redirect(result: ProbeResult,
                            redirect: asyncio.Task[tuple[bool | None, str]],
                            port: int | None, deadline: float) -> None:
    try:
        # Bounded by the same deadline inside; the margin only covers its clean-up.
        result.http_redirect, result.http_redirect_detail = await bounded(
            redirect, max(deadline - time.perf_counter(), 0.0) + 0.5
        )
    except asyncio.TimeoutError:
        result.http_redirect = None
        result.http_redirect_detail = f"no answer on port {port} in time"


def _settle(result: ProbeResult, problems: dict[str, str]) -> None:
    """The verdict is the worst problem; ``error`` lists them all, worst first."""
    order = worst_first(problems)
    result.verdict = order[0]
    if problems:
        result.problems = order
        result.error = "; ".join(f"{v}: {problems[v]}" if i else problems[v]
                                 for i, v in enumerate(order))


def _redirect_port(endpoint: Endpoint, setting: RedirectPort) -> int | None:
    if not endpoint.tls or setting is None:
        return None
    if setting == "auto":
        return 80 if endpoint.port == 443 else None
    return int(setting)


def _judge_tls(
    result: ProbeResult,
    conn: Connection,
    endpoint: Endpoint,
    trust: TrustStore,
    now: dt.datetime | None,
    problems: dict[str, str],
) -> None:
    if conn.protocol not in MODERN_PROTOCOLS:
        problems["protocol_too_old"] = (
            f"the server negotiated {conn.protocol}, which modern clients refuse: "
            "enable TLS 1.2 and 1.3"
        )
    if not conn.chain:
        problems["handshake_failed"] = "the server presented no certificate"
        return
    when = _as_utc(now) if now is not None else dt.datetime.now(UTC)
    try:
        assessment = assess(conn.chain, endpoint.host, trust, when)
    except MalformedChain as exc:
        problems["malformed_certificate"] = (
            f"{exc}: clients refuse it; serve a certificate (and chain) freshly exported "
            "from your CA"
        )
        return
    except BaseException as exc:  # the verifier or a parser failing on what it was sent
        if not catchable(exc):
            raise
        problems["malformed_certificate"] = (
            f"the presented chain could not be checked ({detail(exc)}): serve a certificate "
            "(and chain) freshly exported from your CA"
        )
        return
    problems.update({k: v for k, v in assessment.problems.items() if k not in problems})
    result.chain = assessment.chain
    result.trusted = assessment.trusted
    result.hostname_ok = assessment.hostname_ok
    leaf = assessment.chain[0]
    result.leaf_fingerprint = leaf.fingerprint
    result.not_after = leaf.not_after
    result.days_left = days_left(leaf.not_after, when)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def probe_all(
    endpoints: Sequence[Endpoint],
    *,
    overrides: dict[tuple[str, int], str],
    trust: TrustStore,
    timeout: float,
    concurrency: int,
    now: dt.datetime | None = None,
    redirect_port: RedirectPort = "auto",
    private_loop: bool = False,
) -> list[ProbeResult]:
    """Probe every endpoint, at most ``concurrency`` at a time; results in input order.

    Each probe's timeout starts when it gets its turn, not when it was queued.
    ``private_loop``: the caller made this loop for this call alone, so a single probe may
    wait on its socket directly (see ``AsyncSocket``).
    """
    gate = asyncio.Semaphore(concurrency)

    async def isolated(endpoint: Endpoint, exclusive: bool = False) -> ProbeResult:
        # One URL's failure is that URL's result: the others' results are never lost.
        try:
            return await probe_endpoint(
                endpoint, overrides=overrides, trust=trust, timeout=timeout, now=now,
                redirect_port=redirect_port, exclusive=exclusive,
            )
        except BaseException as exc:
            if not catchable(exc):
                raise
            return _failed(endpoint, exc)

    async def one(endpoint: Endpoint) -> ProbeResult:
        async with gate:
            return await isolated(endpoint)

    if len(endpoints) == 1:  # the common single probe: no task machinery at all
        return [await isolated(endpoints[0], exclusive=private_loop)]
    return list(await asyncio.gather(*(one(e) for e in endpoints)))


def _failed(endpoint: Endpoint, exc: BaseException) -> ProbeResult:
    """The result for a probe that raised: handshake_failed, saying what went wrong."""
    result = ProbeResult(url=endpoint.url, host=endpoint.host, port=endpoint.port)
    result.verdict = "handshake_failed"
    result.problems = ["handshake_failed"]
    result.error = f"the probe of {endpoint.url} failed unexpectedly ({detail(exc)})"
    return result
