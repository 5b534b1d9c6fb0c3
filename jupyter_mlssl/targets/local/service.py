"""The local scoring service: a real web service in its own process, Azure-ML style.

    python -m jupyter_mlssl.targets.local.service SERVICE_DIR

- ``GET /`` answers a health check; ``POST /score`` takes JSON and returns JSON: the entry
  script's ``run(raw_json)`` (after ``init()``) when the service has one, else the model's
  ``predict`` on ``{"data": [[...], ...]}`` (``scoring.py``; a body the client got wrong is
  a 400, never a 500).
- A plain-HTTP port always; an HTTPS port while ``state.json`` says TLS is on.
- A loopback admin endpoint (its own port, bearer token in ``admin.token``, mode 0600) through
  which the tool says "settings changed": ``POST /reload``. The service then re-reads
  ``state.json``, builds a *new* ``SSLContext``, proves it with a handshake against itself, and
  only then makes new connections use it. A live context is never reloaded in place: a failed
  ``load_cert_chain`` on it would break every later handshake (docs/tls-notes.md). Connections
  already open keep the context they were accepted with.
- Everything binds 127.0.0.1 only.

Start-up must be quick (the tool waits for it), so this module uses the standard library
only, and the model is unpickled in a background thread: health answers at once, ``/score``
waits for the model. Unpickling imports what the model needs (scikit-learn, for example);
like any pickle, the model file must come from someone you trust (you).
"""

from __future__ import annotations

import hmac
import http.server
import json
import os
import signal
import socketserver
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_mlssl.targets.local.scoring import Scorer, json_default, log
from jupyter_mlssl.targets.local.tls_context import build_context

LOOPBACK = "127.0.0.1"
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 30.0  # keep-alive connections idle longer than this are closed
MAX_WORKERS = 256  # connections served at once (each keep-alive client holds one)
MAX_BODY = 10 * 1024 * 1024  # bytes a /score request may send: a batch of rows, not a dataset


class ScoringHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that want it
    server_version = "mlssl-local-scoring/1"
    timeout = IDLE_TIMEOUT
    # Headers and body are separate writes: with Nagle on, a keep-alive client's delayed ACK
    # would stall every response by ~40 ms.
    disable_nagle_algorithm = True

    def _send(self, code: int, payload: Any) -> None:
        body = json.dumps(payload, default=json_default).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in ("/", "/health"):
            self._send(200, {"status": "Healthy", "service": self.server.service.name})  # type: ignore[attr-defined]
        elif path == "/score":
            self._send(405, {"error": "POST JSON to /score"})
        else:
            self._send(404, {"error": "not found; POST JSON to /score"})

    def _refuse(self, code: int, message: str) -> None:
        """Answer ``code`` and close: after a bad length the rest of the stream means nothing."""
        self.close_connection = True
        body = json.dumps({"error": message}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def handle_expect_100(self) -> bool:
        # "Expect: 100-continue" asks whether to send the body at all: a length we would
        # refuse is refused now, not after the client has sent megabytes for nothing.
        if not hasattr(self, f"do_{self.command}"):
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return False  # nor for a method it does not take (http.server says 100 first)
        if self.command == "POST" and self._length() is None:
            return False
        return super().handle_expect_100()

    def _body(self) -> bytes | None:
        """The request body, exactly Content-Length bytes; ``None`` once refused."""
        length = self._length()
        if length is None:
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            self.close_connection = True  # the client hung up mid-body: nothing to answer
            return None
        return body

    def _length(self) -> int | None:
        """The body's length; ``None`` once refused.

        Bounded before reading: a missing, negative, non-numeric, repeated or too large
        length is refused (411 / 400 / 413) instead of reading to the end of the stream.
        Chunked bodies are not supported (HTTP clients send a length for a JSON body).
        """
        if self.headers.get("Transfer-Encoding"):
            self._refuse(411, "send the body with a Content-Length (chunked is not supported)")
            return None
        given = self.headers.get_all("Content-Length") or []
        if not given:
            self._refuse(411, "Content-Length required")
            return None
        text = given[0].strip()
        if len(set(given)) != 1 or not text.isdigit() or not text.isascii() or len(text) > 18:
            self._refuse(400, "bad Content-Length: give one non-negative integer")
            return None
        length = int(text)
        if length > MAX_BODY:
            self._refuse(413, f"request body over {MAX_BODY} bytes; send smaller batches")
            return None
        return length

    def do_POST(self) -> None:
        body = self._body()
        if body is None:
            return
        if self.path.split("?")[0] != "/score":
            self._send(404, {"error": "not found; POST JSON to /score"})
            return
        code, payload = self.server.service.scorer.score(body)  # type: ignore[attr-defined]
        self._send(code, payload)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # quiet: a benchmark makes thousands of requests


class HttpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, service: Service, port: int, handler: type) -> None:
        self.service = service
        # Reused worker threads: starting a thread per connection costs more than serving a
        # small request. Idle workers are reused before new ones start (up to the cap).
        self.pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="conn")
        super().__init__((LOOPBACK, port), handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self.process_request_thread, request, client_address)

    def server_close(self) -> None:
        super().server_close()
        self.pool.shutdown(wait=False)  # idle workers end; busy ones finish their connection

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client hanging up mid-request is not the service's problem


class HttpsServer(HttpServer):
    """Wraps each accepted connection with whatever context is current at that moment.

    The handshake runs in the connection's own thread (not the accept loop), so a slow or
    hostile client cannot stall other accepts. ``ssl_context`` is replaced, never mutated.
    """

    def __init__(self, service: Service, port: int, context: ssl.SSLContext) -> None:
        self.ssl_context = context
        self.handshake_failures = 0
        super().__init__(service, port, ScoringHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        context = self.ssl_context  # one read: the swap is a reference assignment
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            self.handshake_failures += 1
            return
        try:
            tls.settimeout(IDLE_TIMEOUT)
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            try:
                tls.close()
            except OSError:
                pass


# -- the service ----------------------------------------------------------------------------


class Service:
    def __init__(self, service_dir: Path) -> None:
        self.dir = service_dir
        self.name = service_dir.name
        self.token = (service_dir / "admin.token").read_text().strip()
        self.scorer = Scorer(service_dir)
        self.reload_lock = threading.Lock()
        self.stopping = threading.Event()
        runtime = _read(service_dir / "service.json")
        self.https_port = int(runtime.get("https_port") or 0)
        self.https: HttpsServer | None = None
        self.served: dict[str, Any] = {}
        self.started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.http = HttpServer(self, int(runtime.get("http_port") or 0), ScoringHandler)
        self.admin = HttpServer(self, 0, AdminHandler)

    # Reload runs on an admin request thread; one at a time.
    def reload(self) -> dict[str, Any]:
        with self.reload_lock:
            state = _read(self.dir / "state.json")
            tls = state.get("tls")
            if not tls:
                self._stop_https()
                self.served = {}
                self._publish()
                return {"ok": True, "tls": False, "https_port": self.https_port or None}
            context, leaf = build_context(self.dir / tls["cert_file"], self.dir / tls["key_file"])
            if self.https is None:
                self._start_https(context)
            else:
                self.https.ssl_context = context  # the swap: new accepts use the new context
            import hashlib

            self.served = {
                "fingerprint": "sha256:" + hashlib.sha256(leaf).hexdigest(),
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            self._publish()
            return {"ok": True, "tls": True, "https_port": self.https_port, **self.served}

    def _start_https(self, context: ssl.SSLContext) -> None:
        try:
            server = HttpsServer(self, self.https_port, context)
        except OSError:  # the remembered port was taken while TLS was off: take another
            server = HttpsServer(self, 0, context)
        self.https = server
        self.https_port = server.server_address[1]
        threading.Thread(target=server.serve_forever, name="https", daemon=True).start()

    def _stop_https(self) -> None:
        if self.https is not None:
            self.https.shutdown()
            self.https.server_close()
            self.https = None

    def _publish(self) -> None:
        from jupyter_mlssl.targets.local.store import write_json

        write_json(
            self.dir / "service.json",
            {
                "pid": os.getpid(),
                "http_port": self.http.server_address[1],
                "https_port": self.https_port or None,
                "https_listening": self.https is not None,
                "admin_port": self.admin.server_address[1],
                "served": self.served,
                "started": self.started,
            },
        )

    def run(self) -> None:
        for server, name in ((self.http, "http"), (self.admin, "admin")):
            threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
        try:
            self.reload()
        except ValueError as exc:  # serve plain HTTP rather than not at all; say why
            log(f"TLS not started: {exc}")
            self._publish()
        log(f"serving {self.name} on http://{LOOPBACK}:{self.http.server_address[1]}/")
        while not self.stopping.wait(0.1):  # a timed wait lets SIGTERM's handler run
            pass
        # Stop listening and leave: in-flight requests are cut, as when a container stops.
        servers: list[HttpServer | None] = [self.admin, self.http, self.https]
        for listener in servers:
            if listener is not None:
                listener.server_close()


class AdminHandler(http.server.BaseHTTPRequestHandler):
    """``POST /reload``, ``GET /stats``, ``POST /shutdown``; bearer token required."""

    protocol_version = "HTTP/1.0"

    def _send(self, code: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        service: Service = self.server.service  # type: ignore[attr-defined]
        if hmac.compare_digest(given.encode(), service.token.encode()):
            return True
        self._send(403, {"ok": False, "error": "bad admin token"})
        return False

    def do_GET(self) -> None:
        if not self._authorised():
            return
        service: Service = self.server.service  # type: ignore[attr-defined]
        if self.path == "/stats":
            failures = service.https.handshake_failures if service.https else 0
            self._send(200, {"ok": True, "handshake_failures": failures,
                             "model_ready": service.scorer.ready.is_set(), **service.served})
        else:
            self._send(404, {"ok": False, "error": "unknown admin path"})

    def do_POST(self) -> None:
        if not self._authorised():
            return
        service: Service = self.server.service  # type: ignore[attr-defined]
        if self.path == "/reload":
            try:
                self._send(200, service.reload())
            except (ValueError, OSError, KeyError) as exc:
                self._send(409, {"ok": False, "error": str(exc)})
        elif self.path == "/shutdown":
            self._send(200, {"ok": True})
            service.stopping.set()
        else:
            self._send(404, {"ok": False, "error": "unknown admin path"})

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m jupyter_mlssl.targets.local.service SERVICE_DIR", file=sys.stderr)
        return 2
    service = Service(Path(argv[0]).resolve())
    signal.signal(signal.SIGTERM, lambda *_: service.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: service.stopping.set())
    service.run()
    # Pool workers may sit in idle keep-alive connections; a normal exit would wait for them.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
