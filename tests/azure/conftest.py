"""Fixtures for the Azure target tests: the fake ARM/MMS server trusted through a test CA
minted at run time, a static TokenCredential, fast retries, and a real loopback TLS server to
stand in for a scoring endpoint."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest.importorskip("azure.mgmt.machinelearningservices")

from jupyter_mlssl.secrets import Secret
from tests.azure.fake_dns import FakeDns
from tests.azure.fake_network import FakeNetwork
from tests.azure.fakearm import TOKEN, FakeArm


class StaticCredential:
    """A real (if tiny) azure-core TokenCredential: ``get_token`` returns a fixed token."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


@dataclass
class ArmPki:
    ca_file: str
    cert_pem: bytes
    key_pem: bytes
    root: Any


@pytest.fixture(scope="session")
def arm_pki(pki, tmp_path_factory) -> ArmPki:
    root = pki.root("fakearm test root")
    leaf = pki.leaf(root, ["127.0.0.1", "localhost"])
    tmp = tmp_path_factory.mktemp("fakearm-ca")
    ca = tmp / "ca.pem"
    ca.write_bytes(root.pem)
    return ArmPki(str(ca), leaf.pem, leaf.key_pem(), root)


@pytest.fixture
def fake(arm_pki, tmp_path):
    server = FakeArm(arm_pki.cert_pem, arm_pki.key_pem, tmp_path)
    yield server
    server.close()


@pytest.fixture
def dns(fake):
    """Azure DNS zones on the fake ARM; ``dns.serve()`` starts their nameserver."""
    d = FakeDns(fake)
    yield d
    d.close()


@pytest.fixture
def net(fake):
    """Public IP writes and label availability on the fake ARM."""
    return FakeNetwork(fake)


@pytest.fixture
def credential() -> StaticCredential:
    return StaticCredential()


FAST = {
    "retry_total": 2,
    "retry_backoff_factor": 0.01,
    "retry_backoff_max": 0.02,
    "polling_interval": 0,
    "probe_timeout": 0.2,
    "read_timeout": 5,
    "connection_timeout": 2,
}


@pytest.fixture
def connect(fake, arm_pki, credential):
    """``connect(target_id, **options)`` against the fake server with fast retries."""
    from jupyter_mlssl.targets.azure import open_azure_target

    def _connect(target_id: str, **options: Any):
        from jupyter_mlssl.probing import certificate_facts

        opts = {**FAST, "connection_verify": arm_pki.ca_file, "observe": certificate_facts,
                **options}
        return open_azure_target(target_id, credential=credential, arm_endpoint=fake.base, **opts)

    return _connect


@dataclass
class CustomCert:
    cname: str
    chain_pem: str
    key: Secret
    key_pem: str


@pytest.fixture(scope="session")
def custom_cert(pki) -> CustomCert:
    root = pki.root("customer root")
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["www.contoso.test"])
    key_pem = leaf.key_pem().decode()
    return CustomCert("www.contoso.test", (leaf.pem + inter.pem).decode(), Secret(key_pem),
                      key_pem)


@dataclass
class ScoringServer:
    url: str
    port: int
    days: int
    ca_file: str


@pytest.fixture
def tls_server(pki, arm_pki, tmp_path):
    """Factory: a real HTTPS server on 127.0.0.1 answering like a scoring endpoint.

    ``tls_server(names, days=200, port=0)``; the certificate is issued by the fake ARM's test
    root (``ca_file``). Port 443 is only for the tests that need the default HTTPS port; they
    skip when it cannot be bound.
    """
    servers: list[Any] = []

    def start(names=("localhost", "127.0.0.1"), days: int = 200, port: int = 0) -> ScoringServer:
        leaf = pki.leaf(arm_pki.root, list(names), days=days)
        cert_file = leaf.write_chain(tmp_path / f"scoring{len(servers)}.pem")
        key_file = leaf.write_key(tmp_path / f"scoring{len(servers)}.key")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        key_file.unlink()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Quiet(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        try:
            httpd = Quiet(("127.0.0.1", port), Handler)
        except OSError as exc:
            pytest.skip(f"cannot bind 127.0.0.1:{port}: {exc}")
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        bound = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(httpd)
        host = names[0]
        url = f"https://{host}/score" if bound == 443 else f"https://{host}:{bound}/score"
        return ScoringServer(url, bound, days, arm_pki.ca_file)

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()
