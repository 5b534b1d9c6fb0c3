"""Online endpoints: status only; plans refuse with a clear message."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import OperationError
from jupyter_mlssl.targets.base import SslSettings
from tests.azure.fakearm import ML, RG, SUB


def ep_id(fake, name="ep1"):
    return f"{fake.ws_path()}/onlineEndpoints/{name}"


def test_managed_endpoint_status_probes_real_scoring_server(fake, connect, tls_server,
                                                            monkeypatch):
    server = tls_server()
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
    fake.endpoints["ep1"] = {"id": ep_id(fake), "name": "ep1", "location": "eastus",
                             "properties": {"scoringUri": server.url, "authMode": "Key",
                                            "provisioningState": "Succeeded"}}
    target = connect(ep_id(fake))
    assert target.kind == "managed-online-endpoint"
    status = target.status()
    assert status.ssl.status == "Auto" and status.fqdn == "localhost"
    assert status.days_left in (198, 199) and status.certificate_fingerprint
    assert any("always on" in n and "custom DNS names are not supported" in n
               for n in status.notes)
    request = fake.requests[0]
    assert (request.path, request.api_version) == (ep_id(fake), "2025-12-01")
    assert target.endpoint(status).url == server.url
    plan = target.plan(SslSettings(status="Enabled", cname="www.contoso.test"))
    assert plan.blocked and plan.findings[0].code == "managed_endpoint"
    with pytest.raises(OperationError, match="nothing applied"):
        target.apply(plan)


def test_kubernetes_endpoint_plan_names_the_extension(fake, connect):
    ext = fake.add_extension()
    compute_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{ML}/workspaces/ws1/" \
                 "computes/k8s1"
    compute = {"id": compute_id, "name": "k8s1", "location": "eastus",
               "properties": {"computeType": "Kubernetes",
                              "resourceId": fake.cluster_path()}}
    fake.computes["k8s1"] = compute
    fake.endpoints["kep"] = {"id": ep_id(fake, "kep"), "name": "kep",
                             "properties": {"scoringUri": "http://20.1.2.3/api/v1/endpoint/kep"
                                                          "/score", "compute": compute_id}}
    target = connect(ep_id(fake, "kep"))
    status = target.status()  # plain http: nothing to probe
    assert status.ssl.status == "Disabled" and status.certificate_not_after is None
    plan = target.plan(SslSettings(status="Enabled", cname="www.contoso.test"))
    assert plan.blocked and plan.findings[0].code == "k8s_endpoint"
    assert ext["id"] in plan.findings[0].message
