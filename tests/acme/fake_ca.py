"""A misbehaving ACME server on loopback, for what pebble 2.4 cannot be made to show: a
rate limit with ``Retry-After``, an order the CA marks invalid, renewal information (ARI).
It speaks just enough of RFC 8555 for the ``acme`` client (directory, nonces, account,
order), over plain http."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROBLEM = "application/problem+json"


class FakeCa:
    def __init__(self, mode: str, window: tuple[str, str] | None = None) -> None:
        self.mode = mode  # "rate_limit" | "order_invalid" | "ari"
        self.window = window  # ARI suggestedWindow (start, end), RFC 3339
        self.requests: list[tuple[str, str]] = []
        ca = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object = None, headers: dict | None = None,
                      ctype: str = "application/json") -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Replay-Nonce", f"nonce{len(ca.requests)}")
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_HEAD(self) -> None:
                ca.requests.append(("HEAD", self.path))
                self._send(200)

            def do_GET(self) -> None:
                ca.requests.append(("GET", self.path))
                if self.path.startswith("/renewal-info/") and ca.window:
                    start, end = ca.window
                    self._send(200, {"suggestedWindow": {"start": start, "end": end}},
                               {"Retry-After": "21600"})
                    return
                self._send(200, {"renewalInfo": ca.url("/renewal-info"),
                                 "newNonce": ca.url("/nonce"),
                                 "newAccount": ca.url("/new-acct"),
                                 "newOrder": ca.url("/new-order"),
                                 "meta": {"termsOfService": ca.url("/tos")}})

            def do_POST(self) -> None:
                ca.requests.append(("POST", self.path))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/new-acct":
                    if ca.mode == "rate_limit":
                        self._send(429, {
                            "type": "urn:ietf:params:acme:error:rateLimited",
                            "detail": "too many new accounts from this address"},
                            {"Retry-After": "3600"}, PROBLEM)
                        return
                    self._send(201, {"status": "valid"}, {"Location": ca.url("/acct/1")})
                    return
                if self.path == "/new-order":
                    self._send(201, {
                        "status": "invalid",
                        "error": {"type": "urn:ietf:params:acme:error:rejectedIdentifier",
                                  "detail": "policy forbids issuing for this name"},
                        "identifiers": [{"type": "dns", "value": "api.local.mlssl.test"}],
                        "authorizations": [], "finalize": ca.url("/finalize/1")},
                        {"Location": ca.url("/order/1")})
                    return
                self._send(404, {"type": "urn:ietf:params:acme:error:malformed",
                                 "detail": "no such resource"}, ctype=PROBLEM)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    @property
    def directory(self) -> str:
        return self.url("/dir")

    def __enter__(self) -> FakeCa:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
