"""Reach the endpoint: resolve, connect, and shake hands without verifying.

Verification is off during the handshake on purpose: a client that verifies hangs up on a
broken chain before we can see it. We capture what the server presents and judge it
afterwards (``verdict.py``). The client context is permissive (TLS 1.0 and up, OpenSSL
security level 0) for the same reason: a TLS 1.0-only server or an RSA-1024 leaf must still
complete a handshake so that we can say *what* is wrong with it, rather than a bare
"handshake failed". The negotiated protocol is judged afterwards, too.

Every failure becomes a :class:`ProbeFailure` carrying its verdict and one sentence.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import socket
import ssl
import time
import warnings
from dataclasses import dataclass

from jupyter_mlssl.probing.aio import AsyncSocket, bounded
from jupyter_mlssl.probing.endpoint import Endpoint
from jupyter_mlssl.store.files import is_ip_address


class ProbeFailure(Exception):
    """The probe could not get past a stage; ``verdict`` says which way it failed."""

    def __init__(self, verdict: str, message: str) -> None:
        super().__init__(message)
        self.verdict = verdict
        self.message = message


@functools.lru_cache(maxsize=1)
def client_context() -> ssl.SSLContext:
    """One context per process: building one (and its cipher list) costs a handshake's worth
    of CPU, and an SSLContext is safe to share between connections and threads."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1 is deprecated
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.set_alpn_protocols(["http/1.1"])  # we speak HTTP/1.1 on this connection afterwards
    return ctx


@functools.lru_cache(maxsize=1)
def _resolver_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Threads for ``getaddrinfo`` (it blocks), shared by every loop in the process.

    Not the loop's default executor: that one is per loop and must be shut down with it,
    a round of thread joins at the end of every synchronous ``probe()``.
    """
    return concurrent.futures.ThreadPoolExecutor(16, thread_name_prefix="mlssl-dns")


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.perf_counter())




async def resolve(
    endpoint: Endpoint, overrides: dict[tuple[str, int], str], deadline: float
) -> str:
    """The address to connect to: a ``--resolve`` override, an IP literal, localhost, or DNS."""
    override = overrides.get((endpoint.host, endpoint.port))
    if override is not None:
        return override
    if is_ip_address(endpoint.host):
        return endpoint.host
    if endpoint.host == "localhost" or endpoint.host.endswith(".localhost"):
        # RFC 6761 6.3: always loopback. Answered here, it also skips the resolver's first
        # call in a process, which loads the NSS modules (7-11 ms measured).
        return "127.0.0.1"
    loop = asyncio.get_running_loop()
    lookup = functools.partial(
        socket.getaddrinfo, endpoint.host, endpoint.port, type=socket.SOCK_STREAM
    )
    try:
        infos = await bounded(loop.run_in_executor(_resolver_pool(), lookup),
                              _remaining(deadline))
    except asyncio.TimeoutError:
        raise ProbeFailure(  # the name is what failed, not the server
            "dns_error", f"{endpoint.host} did not resolve in time (system resolver)"
        ) from None
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) and exc.strerror else exc
        raise ProbeFailure(
            "dns_error", f"{endpoint.host} does not resolve ({reason}): check its DNS record"
        ) from None
    # Prefer IPv4 when both exist (one address, one answer: a probe does not race families).
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(infos[0][4][0])


@dataclass
class Connection:
    stream: AsyncSocket
    connect_ms: float
    tls_ms: float | None = None
    protocol: str | None = None
    cipher: str | None = None
    chain: list[bytes] | None = None

    def close(self) -> None:
        self.stream.close()


async def connect(
    endpoint: Endpoint, address: str, deadline: float, *, exclusive: bool = False
) -> Connection:
    """TCP connect, then (for https) the TLS handshake with SNI, timing each.

    ``exclusive``: nothing else runs on this loop (see ``AsyncSocket``).
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stream = AsyncSocket(sock, deadline, exclusive=exclusive)
    where = f"{address}:{endpoint.port}"
    start = time.perf_counter()
    try:
        await stream.connect((address, endpoint.port))
    except asyncio.TimeoutError:
        stream.close()
        raise ProbeFailure("timeout", f"no TCP connection to {where} in time") from None
    except ConnectionRefusedError:
        stream.close()
        raise ProbeFailure(
            "refused", f"{where} refused the connection: nothing listens on port {endpoint.port}"
        ) from None
    except OSError as exc:
        stream.close()
        raise ProbeFailure("refused", f"cannot connect to {where}: {exc.strerror or exc}") from None
    connected = time.perf_counter()
    connect_ms = (connected - start) * 1000
    if not endpoint.tls:
        return Connection(stream, connect_ms)

    # An IP literal as server_hostname sends no SNI but still matches an IP SAN
    # (docs/tls-notes.md, "Probing").
    tls = client_context().wrap_socket(
        sock, server_hostname=endpoint.host, do_handshake_on_connect=False
    )
    stream = AsyncSocket(tls, deadline, exclusive=exclusive)
    try:
        await stream.handshake()
    except asyncio.TimeoutError:
        stream.close()
        raise ProbeFailure(
            "timeout", f"{where} accepted the connection but did not finish the TLS handshake "
                       "in time"
        ) from None
    except ssl.SSLError as exc:
        stream.close()
        raise _handshake_failure(exc, where) from None
    except OSError as exc:  # reset by the peer, ...
        stream.close()
        raise ProbeFailure(
            "handshake_failed",
            f"{where} closed the connection during the TLS handshake "
            f"({exc.strerror or exc or type(exc).__name__})",
        ) from None
    tls_ms = (time.perf_counter() - connected) * 1000
    cipher = tls.cipher()
    return Connection(
        stream, connect_ms, tls_ms,
        protocol=tls.version(),
        cipher=cipher[0] if cipher else None,
        chain=presented_chain(tls),
    )


def presented_chain(sslobj: ssl.SSLSocket | ssl.SSLObject) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER.

    Public since Python 3.13 (``get_unverified_chain``, DER bytes); before, the same call
    lives on the private ``_sslobj`` and returns ``_ssl.Certificate`` objects
    (docs/tls-notes.md, "Probing").
    """
    getter = getattr(sslobj, "get_unverified_chain", None)
    if getter is None:
        inner = getattr(sslobj, "_sslobj", None)
        getter = getattr(inner, "get_unverified_chain", None)
    chain = getter() if getter is not None else None
    if chain:
        return [
            c if isinstance(c, bytes)
            else c.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
            for c in chain
        ]
    leaf = sslobj.getpeercert(binary_form=True)  # works under CERT_NONE
    return [leaf] if leaf else []


#: OpenSSL reasons meaning "what came back is not TLS at all" (e.g. an HTTP 400 page).
_NOT_TLS = {
    "WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "UNKNOWN_PROTOCOL",
    "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER_FAILURE", "UNEXPECTED_RECORD",
}
#: ...and "we share no protocol version": the server speaks only something older than 1.0.
_TOO_OLD = {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE"}


def _handshake_failure(exc: ssl.SSLError, where: str) -> ProbeFailure:
    reason = str(getattr(exc, "reason", "") or "").upper()
    text = getattr(exc, "reason", None) or str(exc)
    if reason in _NOT_TLS or "WRONG VERSION NUMBER" in str(exc).upper():
        return ProbeFailure(
            "not_tls", f"{where} does not speak TLS ({text}): is this a plain HTTP port? "
                       "Use http:// or enable TLS on it"
        )
    if reason in _TOO_OLD:
        return ProbeFailure(
            "protocol_too_old", f"{where} offers no TLS version this client speaks ({text})"
        )
    if isinstance(exc, ssl.SSLEOFError) or "EOF" in reason:
        return ProbeFailure(
            "handshake_failed", f"{where} closed the connection during the TLS handshake"
        )
    return ProbeFailure("handshake_failed", f"TLS handshake with {where} failed ({text})")
