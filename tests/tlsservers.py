"""Real TLS (and plain HTTP) servers on 127.0.0.1, in threads, for tests and benchmarks.

Each server is configurable in the ways an endpoint goes wrong: the chain and key it
serves, the TLS versions it accepts, plain HTTP on the TLS port, a handshake that never
finishes, a delayed handshake. Servers run at OpenSSL security level 0 by default, because
they must be able to *serve* what a client should complain about (an RSA-1024 leaf, a SHA-1
intermediate, TLS 1.0).

    with TLSServer([leaf, inter]) as server:          # tests.pki.Issued, leaf first
        probe(server.url("api.example.test"), resolve=[server.resolve("api.example.test")])

One acceptor thread (a selector) serves any number of listeners, and each connection gets a
short-lived thread; ``Fleet`` starts many servers on one acceptor. ``python -m
tests.tlsservers serve ...`` runs a fleet in a separate process (see ``main``), which the
benchmark uses so that server and client do not share a GIL.

Nothing here is written to disk for longer than ``load_cert_chain`` needs to read it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import socket
import ssl
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Chain = Sequence[Any]  # tests.pki.Issued objects (leaf first), or PEM bytes


def _pem(item: Any) -> bytes:
    return item if isinstance(item, bytes) else item.pem


def server_context(
    chain: Chain,
    key: Any = None,
    *,
    min_version: ssl.TLSVersion | None = None,
    max_version: ssl.TLSVersion | None = None,
    ciphers: str = "DEFAULT:@SECLEVEL=0",
) -> ssl.SSLContext:
    """A server context for ``chain`` (leaf first) and ``key`` (default: the leaf's)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(ciphers)  # before loading: level 2 would refuse an RSA-1024 leaf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1
        if min_version is not None:
            ctx.minimum_version = min_version
        if max_version is not None:
            ctx.maximum_version = max_version
    key_pem = key if isinstance(key, bytes) else (key or chain[0]).key_pem()
    with tempfile.TemporaryDirectory(prefix="mlssl-tls-") as tmp:
        cert_file = os.path.join(tmp, "chain.pem")
        key_file = os.path.join(tmp, "key.pem")
        with open(cert_file, "wb") as fh:
            fh.write(b"".join(_pem(c) for c in chain))
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem)
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


class Acceptor:
    """One thread that accepts on many listening sockets and hands each connection off."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def add(self, listener: socket.socket, server: TLSServer) -> None:
        with self._lock:
            self._selector.register(listener, selectors.EVENT_READ, server)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tls-acceptor",
                                                daemon=True)
                self._thread.start()
        self._wake_w.send(b"x")

    def remove(self, listener: socket.socket) -> None:
        with self._lock, contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(listener)
        self._wake_w.send(b"x")

    def close(self) -> None:
        self._stopping = True
        self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(5)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _run(self) -> None:
        while not self._stopping:
            try:
                events = self._selector.select(1.0)
            except (OSError, ValueError):
                return
            for key, _ in events:
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                    continue
                server: TLSServer = key.data
                try:
                    conn, _addr = key.fileobj.accept()  # type: ignore[union-attr]
                except OSError:
                    continue
                server._spawn(conn)


class TLSServer:
    """A server on 127.0.0.1 that answers one HTTP request per connection.

    ``chain``: certificates to serve, leaf first (tests.pki ``Issued`` or PEM bytes);
    ``key``: its key (default: the leaf's). ``plain_http``: no TLS at all on this port (a
    TLS ClientHello gets a ``400``, as nginx does). ``stall``: accept and never answer.
    ``handshake_delay``: seconds to wait before answering the ClientHello. ``status`` and
    ``headers``: the HTTP answer (``Server: mlssl-test`` unless given). ``context``: a ready
    server context instead of ``chain``/``key``. ``raw_response``: bytes sent as they are
    instead of an HTTP answer (a broken or hostile server; settable while running).
    """

    def __init__(
        self,
        chain: Chain | None = None,
        key: Any = None,
        *,
        min_version: ssl.TLSVersion | None = None,
        max_version: ssl.TLSVersion | None = None,
        ciphers: str = "DEFAULT:@SECLEVEL=0",
        plain_http: bool = False,
        stall: bool = False,
        handshake_delay: float = 0.0,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        port: int = 0,
        acceptor: Acceptor | None = None,
        context: ssl.SSLContext | None = None,
        raw_response: bytes | None = None,
    ) -> None:
        if chain is None and context is None and not (plain_http or stall):
            raise ValueError("a TLS server needs a chain (or a context)")
        if context is None and chain is not None and not plain_http:
            context = server_context(chain, key, min_version=min_version,
                                     max_version=max_version, ciphers=ciphers)
        self.context = None if plain_http else context
        self.plain_http = plain_http
        self.stall = stall
        self.handshake_delay = handshake_delay
        self.status = status
        self.headers = {"Server": "mlssl-test", **(headers or {})}
        self.raw_response = raw_response
        self._requested_port = port
        self._own_acceptor = acceptor is None
        self._acceptor = acceptor or Acceptor()
        self._listener: socket.socket | None = None
        self._port = 0
        self._stopped = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        #: connections accepted, and TLS handshakes completed (tests assert on these)
        self.connections = 0
        self.handshakes = 0

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> TLSServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._requested_port))
        listener.listen(256)
        listener.setblocking(False)
        self._listener = listener
        self._port = int(listener.getsockname()[1])  # still known after stop()
        self._acceptor.add(listener, self)
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            self._acceptor.remove(self._listener)
            self._listener.close()
            self._listener = None
        with self._open_lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.close()
            self._open.clear()
        if self._own_acceptor:
            self._acceptor.close()

    def __enter__(self) -> TLSServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addressing -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._port, "start() the server first"
        return self._port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, host: str = "127.0.0.1", path: str = "/") -> str:
        scheme = "http" if self.plain_http else "https"
        return f"{scheme}://{host}:{self.port}{path}"

    def resolve(self, host: str) -> str:
        """A curl-style ``--resolve`` entry sending ``host`` to this server."""
        return f"{host}:{self.port}:127.0.0.1"

    # -- serving ----------------------------------------------------------------------------
    def _spawn(self, conn: socket.socket) -> None:
        self.connections += 1
        with self._open_lock:
            self._open.add(conn)
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.setblocking(True)
            conn.settimeout(10)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.stall:
                self._stopped.wait(60)  # hold the connection open, say nothing
                return
            if self.handshake_delay:
                time.sleep(self.handshake_delay)
            if self.context is None:
                self._answer(conn, conn)
                return
            with self.context.wrap_socket(conn, server_side=True) as tls:
                self.handshakes += 1
                self._answer(tls, conn)
        except (OSError, ssl.SSLError):
            pass  # the client hung up or failed the handshake: its business
        finally:
            with self._open_lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _answer(self, stream: socket.socket, raw: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = stream.recv(65536)
            if not chunk:
                break
            head += chunk
            if self.context is None and head[:1] == b"\x16":  # a TLS ClientHello
                break
        raw_response = self.raw_response  # one read: a test may change it between probes
        if raw_response is not None:
            stream.sendall(raw_response)
            return
        if self.context is None and not head[:1].isalpha():
            status, headers = 400, {"Server": self.headers["Server"]}
            body = b"400 Bad Request: this is a plain HTTP port\n"
        else:
            status, headers, body = self.status, self.headers, b"ok\n"
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        stream.sendall("\r\n".join(lines).encode("latin-1") + body)


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 308: "Permanent Redirect",
            400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


class Fleet:
    """Many servers with the same configuration on one acceptor thread."""

    def __init__(self, count: int, chain: Chain, key: Any = None, **options: Any) -> None:
        self.acceptor = Acceptor()
        context = server_context(chain, key, ciphers=options.pop("ciphers",
                                                                   "DEFAULT:@SECLEVEL=0"))
        # One context for all, as a real fleet's front end would have.
        self.servers = [
            TLSServer(acceptor=self.acceptor, context=context, **options) for _ in range(count)
        ]

    def start(self) -> Fleet:
        for server in self.servers:
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.acceptor.close()

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then closed; the kernel will refuse)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- a fleet in its own process, for the benchmark -------------------------------------------


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m tests.tlsservers serve --count N [--delay S] --ca-out FILE --name NAME``.

    Mints a root, an intermediate and a leaf for NAME, writes the root to FILE, serves N
    endpoints, prints ``{"ports": [...]}`` on one line, and stops when stdin closes.
    """
    parser = argparse.ArgumentParser(prog="python -m tests.tlsservers")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--count", type=int, default=1)
    serve.add_argument("--delay", type=float, default=0.0)
    serve.add_argument("--ca-out", required=True)
    serve.add_argument("--name", default="bench.example.test")
    args = parser.parse_args(list(argv) if argv is not None else None)

    from tests.pki import TestPKI

    pki = TestPKI()
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, [args.name])
    root.write_cert(args.ca_out)
    with Fleet(args.count, [leaf, inter], handshake_delay=args.delay) as fleet:
        print(json.dumps({"ports": fleet.ports}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
