"""One HTTP/1.1 request: does the service still answer, and what does it say about itself?

We read the status line and headers only (``Server``, ``Strict-Transport-Security``,
``Location``), never the body: the probe must not download a model's output, and stopping
after the headers keeps it to one round trip.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from jupyter_mlssl.pki.facts import printable
from jupyter_mlssl.probing.aio import AsyncSocket
from jupyter_mlssl.probing.endpoint import Endpoint

#: Enough for any sane header block; a server sending more is cut off, not followed.
MAX_HEADER_BYTES = 64 * 1024
#: A header value we keep (``Server``, HSTS, ``Location``) is cut to this many characters.
MAX_VALUE_CHARS = 1024
USER_AGENT = "jupyter-mlssl-probe"


@dataclass
class HttpAnswer:
    status: int | None = None
    server: str | None = None
    hsts: str | None = None
    location: str | None = None
    first_byte_ms: float | None = None
    error: str | None = None


def request_bytes(endpoint: Endpoint, host_header: str | None = None) -> bytes:
    return (
        f"GET {endpoint.target} HTTP/1.1\r\n"
        f"Host: {host_header or endpoint.host_header}\r\n"
        f"User-Agent: {USER_AGENT}\r\n"
        "Accept: */*\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii", "replace")


async def exchange(stream: AsyncSocket, request: bytes, on_sent: Callable[[], None]) -> HttpAnswer:
    """Send ``request``, call ``on_sent`` (work to overlap with the wait), read the head."""
    answer = HttpAnswer()
    try:
        await stream.sendall(request)
        sent = time.perf_counter()
        on_sent()
        buffer = b""
        while b"\r\n\r\n" not in buffer and len(buffer) <= MAX_HEADER_BYTES:
            chunk = await stream.recv(16384)
            if not chunk:
                break
            if answer.first_byte_ms is None:
                answer.first_byte_ms = (time.perf_counter() - sent) * 1000
            buffer += chunk
    except asyncio.TimeoutError:
        answer.error = "no HTTP response in time"
        return answer
    except OSError as exc:  # reset, a TLS alert after the handshake, ...
        answer.error = f"the connection failed during the HTTP request ({exc})"
        return answer
    return parse_head(buffer, answer)


def parse_head(buffer: bytes, answer: HttpAnswer) -> HttpAnswer:
    if not buffer:
        answer.error = "the server closed the connection without an HTTP response"
        return answer
    head = buffer.split(b"\r\n\r\n", 1)[0]
    status_line, _, header_block = head.partition(b"\r\n")
    parts = status_line.split(None, 2)
    # RFC 9112 4: the status code is exactly three digits (a longer run of digits is no
    # status, and past 4,300 digits int() would raise)
    if (len(parts) < 2 or not parts[0].startswith(b"HTTP/") or len(parts[1]) != 3
            or not parts[1].isdigit()):
        answer.error = f"not an HTTP response: {status_line[:60]!r}"
        return answer
    answer.status = int(parts[1])
    # Three headers by hand, not http.client.parse_headers: the stdlib email parser costs
    # 24 us here, over 1% of a loopback probe, to give us what a split gives.
    # (No obsolete line folding: RFC 9112 5.2 lets a client reject it; we ignore it.)
    wanted = {b"server": "server", b"strict-transport-security": "hsts",
              b"location": "location"}
    for line in header_block.split(b"\r\n"):
        key, sep, value = line.partition(b":")
        field = wanted.get(key.strip().lower()) if sep else None
        if field is not None and getattr(answer, field) is None:  # the first one counts
            # what the server says goes into tables and one-line messages: no control
            # characters (a bare LF, a terminal escape), and a bounded length
            text = printable(value.strip().decode("latin-1"), MAX_VALUE_CHARS)
            setattr(answer, field, text)
    if b"\r\n\r\n" not in buffer and len(buffer) > MAX_HEADER_BYTES:
        answer.error = (f"the response head runs past {MAX_HEADER_BYTES // 1024} KiB; "
                        "read no further")
    return answer


REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _nothing() -> None:
    return None


async def http_redirects(
    endpoint: Endpoint, address: str, port: int, deadline: float
) -> tuple[bool | None, str]:
    """Does plain http on ``port`` send clients to https?

    Returns (True, location) for a redirect to an https URL, (False, why) for an answer that
    does not redirect there, (None, why) when nothing answers. Never raises: it is advice,
    not a verdict.
    """
    where = f"{address}:{port}"
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    stream = AsyncSocket(sock, deadline)
    try:
        await stream.connect((address, port))
        host_header = endpoint.host if port == 80 else f"{endpoint.host}:{port}"
        answer = await exchange(stream, request_bytes(endpoint, host_header), _nothing)
    except (OSError, asyncio.TimeoutError) as exc:
        return None, f"nothing answers plain http on {where} ({exc or type(exc).__name__})"
    finally:
        stream.close()
    if answer.status is None:
        return None, f"plain http on {where}: {answer.error}"
    location = answer.location or ""
    if answer.status in REDIRECTS and location.lower().startswith("https://"):
        return True, location
    return False, f"plain http on {where} answers {answer.status} without redirecting to https"
