"""The shared workflow (plan -> apply -> wait -> verify -> rollback -> history) on an Azure
target: ACI against the fake MMS, scoring on a real loopback TLS server."""

from __future__ import annotations

import pytest

pytest.importorskip("jupyter_mlssl.change.workflow")

from jupyter_mlssl.change import workflow
from jupyter_mlssl.store import history
from jupyter_mlssl.targets.base import SslSettings


@pytest.fixture
def localhost_cert(pki, arm_pki, tmp_path):
    """The "custom name" is 127.0.0.1 so verification needs no public DNS (the DNS check
    is skipped for an address; it has its own tests)."""
    leaf = pki.leaf(arm_pki.root, ["127.0.0.1"], days=120)
    return SslSettings(status="Enabled", cname="127.0.0.1", cert_pem=leaf.pem.decode(),
                       key=leaf.key_pem())


def test_enable_applies_verifies_and_records(fake, connect, tls_server, localhost_cert):
    server = tls_server(["127.0.0.1"])
    fake.add_service(publicIp="127.0.0.1",
                     scoringUri=server.url.replace("https://", "http://"))
    target = connect(f"{fake.ws_path()}/services/svc1")
    seen: list[str] = []
    report = workflow.change(target, localhost_cert, yes=True, ca_bundle=server.ca_file,
                             progress=seen.append, timeout=10)
    assert report.outcome == "applied", report.message
    assert report.verification.passed
    assert any("PATCH" in s for s in seen) and any(s.endswith(": done") for s in seen)
    assert fake.calls("PATCH")[0].json[0] == {"op": "replace", "path": "/sslEnabled",
                                              "value": True}
    rows = history.entries(target.id).to_dict()
    assert "applied" in str(rows) and "PRIVATE" not in str(rows)


def test_failed_verification_rolls_back(fake, connect, localhost_cert, arm_pki):
    # the service says https://127.0.0.1:1/ after the change, and nothing answers there
    fake.add_service(publicIp="127.0.0.1", scoringUri="http://127.0.0.1:1/score")
    target = connect(f"{fake.ws_path()}/services/svc1")
    report = workflow.change(target, localhost_cert, yes=True, ca_bundle=arm_pki.ca_file,
                             timeout=10)
    assert report.outcome == "rolled_back", report.message
    patches = [r.json for r in fake.calls("PATCH")]
    assert patches[-1] == [{"op": "replace", "path": "/sslEnabled", "value": False}]
    assert fake.services["svc1"]["sslEnabled"] is False
