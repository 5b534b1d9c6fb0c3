"""ACI web service target: workspace discovery, MMS JSON-Patch and operation polling."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.targets.base import SslSettings


def svc_id(fake, name="svc1"):
    return f"{fake.ws_path()}/services/{name}"


def enabled(custom_cert):
    return SslSettings(status="Enabled", cname=custom_cert.cname,
                       cert_pem=custom_cert.chain_pem, key=custom_cert.key)


def test_status_discovers_mms_and_reads_certificate_from_scoring_uri(
        fake, connect, tls_server, monkeypatch):
    server = tls_server(["www.contoso.test"])
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)  # the probe trusts the test root
    fake.add_service(sslEnabled=True, cname="www.contoso.test", publicIp="127.0.0.1",
                     scoringUri=f"https://svc1-abc.eastus.azurecontainer.io:{server.port}/score")
    target = connect(svc_id(fake))
    assert target.kind == "aci"
    status = target.status()
    assert status.ssl.status == "Enabled" and status.fqdn == "www.contoso.test"
    assert status.address == "127.0.0.1"
    endpoint = target.endpoint(status)  # clients use the custom name, pinned to the address
    assert endpoint.url == f"https://www.contoso.test:{server.port}/score"
    assert endpoint.resolve == (f"www.contoso.test:{server.port}:127.0.0.1",)
    assert status.days_left in (198, 199) and status.certificate_not_after
    assert not [n for n in status.notes if "probe" in n]  # verdict ok: nothing to say
    ws, discovery, service = fake.requests[:3]
    assert (ws.method, ws.path, ws.api_version) == ("GET", fake.ws_path(), "2025-12-01")
    assert discovery.path == "/discovery/ws1" and "Authorization" not in discovery.headers
    assert (service.method, service.path) == ("GET", f"{fake.mms_path()}/services/svc1")
    assert service.headers["Authorization"] == "Bearer fake-token"
    assert status.to_frame().iloc[0]["days_left"] in (198, 199)


def test_enable_sends_json_patch_and_polls_operation(fake, connect, custom_cert):
    fake.add_service()
    target = connect(svc_id(fake))
    plan = target.plan(enabled(custom_cert))
    assert plan.action == "enable" and not plan.blocked and not plan.requires_confirmation
    assert any("container group" in n for n in plan.notes)
    fake.clear()
    status = target.apply(plan).wait(10)
    assert status.ssl.status == "Enabled" and status.fqdn == custom_cert.cname
    patch = fake.calls("PATCH")[0]
    assert patch.path == f"{fake.mms_path()}/services/svc1"
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    assert patch.json == [
        {"op": "replace", "path": "/sslEnabled", "value": True},
        {"op": "replace", "path": "/sslCertificate", "value": custom_cert.chain_pem},
        {"op": "replace", "path": "/sslKey", "value": custom_cert.key_pem},
        {"op": "replace", "path": "/cname", "value": custom_cert.cname},
    ]
    polls = fake.calls("GET", "/operations/")
    assert len(polls) == 2 and polls[0].path.startswith(f"{fake.mms_path()}/operations/")
    assert fake.services["svc1"]["sslEnabled"] is True


def test_enable_with_operation_id_in_200_body(fake, connect, custom_cert):
    fake.add_service()
    fake.mms_sync_id = True
    target = connect(svc_id(fake))
    target.apply(target.plan(enabled(custom_cert))).wait(10)
    assert len(fake.calls("GET", "/operations/")) == 2
    assert fake.services["svc1"]["cname"] == custom_cert.cname


def test_disable_and_rollback_restores_returned_certificate(fake, connect, custom_cert):
    fake.add_service(sslEnabled=True, sslCertificate=custom_cert.chain_pem,
                     sslKey=custom_cert.key_pem, cname="old.contoso.test",
                     scoringUri="https://old.contoso.test/score")
    target = connect(svc_id(fake))
    plan = target.plan(SslSettings(status="Disabled"))
    assert plan.action == "disable" and plan.requires_confirmation
    assert isinstance(plan.state["previous_key"], Secret)
    assert custom_cert.key_pem not in repr(plan) and custom_cert.key_pem not in str(plan.to_dict())
    fake.clear()
    status = target.apply(plan).wait(10)
    assert status.ssl.status == "Disabled"
    assert fake.calls("PATCH")[0].json == [{"op": "replace", "path": "/sslEnabled",
                                            "value": False}]
    fake.clear()
    target.rollback(plan).wait(10)
    assert fake.calls("PATCH")[0].json == [
        {"op": "replace", "path": "/sslEnabled", "value": True},
        {"op": "replace", "path": "/sslCertificate", "value": custom_cert.chain_pem},
        {"op": "replace", "path": "/sslKey", "value": custom_cert.key_pem},
        {"op": "replace", "path": "/cname", "value": "old.contoso.test"},
    ]


def test_update_without_returned_key_cannot_roll_back(fake, connect, custom_cert):
    fake.add_service(sslEnabled=True, cname="old.contoso.test")
    target = connect(svc_id(fake))
    plan = target.plan(enabled(custom_cert))
    assert plan.action == "update" and any("cannot restore" in n for n in plan.notes)
    target.apply(plan).wait(10)
    fake.clear()
    with pytest.raises(OperationError, match="did not return its key"):
        target.rollback(plan).wait(10)
    assert not fake.calls("PATCH")


@pytest.mark.parametrize(
    ("desired", "code"),
    [
        (SslSettings(status="Auto", leaf_domain_label="contoso"), "aci_no_auto"),
        (SslSettings(status="Auto", leaf_domain_label="contoso", renew=True), "renew_needs_auto"),
        (SslSettings(status="Enabled", cname="www.contoso.test"), "cname_cert_key"),
    ],
)
def test_aci_refuses_what_it_cannot_do(fake, connect, desired, code):
    fake.add_service()
    plan = connect(svc_id(fake)).plan(desired)
    assert plan.blocked and code in {f.code for f in plan.findings}


def test_aks_web_service_points_at_its_cluster(fake, connect):
    fake.add_service("aksvc", computeType="AKS", computeName="aks1")
    with pytest.raises(InputError, match=r"set on the cluster: use .*/computes/aks1"):
        connect(svc_id(fake, "aksvc")).status()


def test_mms_operation_failure_carries_service_message(fake, connect, custom_cert):
    fake.add_service()
    fake.inject("PATCH", "/services/svc1", "lro", outcome="Failed", code="BadCertificate",
                message="The certificate chain is incomplete")
    target = connect(svc_id(fake))
    op = target.apply(target.plan(enabled(custom_cert)))
    with pytest.raises(OperationError) as err:
        op.wait(10)
    assert "ended Failed: BadCertificate: The certificate chain is incomplete" in str(err.value)
    assert fake.services["svc1"]["sslEnabled"] is False


def test_missing_service_names_it(fake, connect):
    with pytest.raises(InputError, match="web service 'nope' was not found"):
        connect(svc_id(fake, "nope")).status()
