"""``mlssl status local://NAME --json``: a script finds the secured endpoint in fields.

The HTTPS URI and the CA file to trust are structured fields (``https_uri``, ``ca_bundle``),
not only sentences in ``notes``; the test calls the service with nothing but those fields.
"""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from jupyter_mlssl.cli import main


def status_json(capsys, target_id: str) -> dict:
    capsys.readouterr()
    main(["status", target_id, "--json"])
    return json.loads(capsys.readouterr().out)


def https_get(url: str, ca_bundle: str, path: str = "/health") -> bytes:
    """GET over TLS to 127.0.0.1, with the URL's name as SNI and for the check (the local
    zone's names are answered by the local DNS server, not the system resolver)."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=ca_bundle)
    with socket.create_connection(("127.0.0.1", parts.port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
                    "Connection: close\r\n\r\n".encode())
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_local_status_json_has_https_uri_and_ca_bundle_when_tls_is_on(local_target, capsys):
    before = status_json(capsys, local_target.id)
    assert before["tls"] == "Disabled"
    assert before["scoring_uri"].startswith("http://127.0.0.1:")
    assert before["https_uri"] is None and before["ca_bundle"] is None

    assert main(["enable", local_target.id, "--leaf-domain-label", "iris", "--yes"]) == 0
    after = status_json(capsys, local_target.id)
    assert after["tls"] == "Auto"
    # the local service keeps its loopback HTTP listener: scoring_uri stays plain (see
    # TargetStatus); the secured address is its own field
    assert after["scoring_uri"] == before["scoring_uri"]
    assert after["https_uri"].startswith(f"https://{after['fqdn']}:")
    assert after["https_uri"].endswith("/score")
    assert Path(after["ca_bundle"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert https_get(after["https_uri"], after["ca_bundle"]).startswith(b"HTTP/1.")
    assert any(after["https_uri"] in note for note in after["notes"])  # still there for people

    assert main(["disable", local_target.id, "--yes"]) == 0
    off = status_json(capsys, local_target.id)
    assert off["https_uri"] is None and off["ca_bundle"] is None
