"""Azure ML Kubernetes extension target: PATCH as `az k8s-extension update` would send it."""

from __future__ import annotations

import base64

import pytest

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.targets.base import SslSettings
from tests.azure.fakearm import NODE_RG, ROUTER_FQDN, ROUTER_IP, SUB

EXT = "/providers/Microsoft.KubernetesConfiguration/extensions"


def ext_id(fake, name="azureml"):
    return f"{fake.cluster_path()}{EXT}/{name}"


def enabled(custom_cert):
    return SslSettings(status="Enabled", cname=custom_cert.cname,
                       cert_pem=custom_cert.chain_pem, key=custom_cert.key)


def codes(plan):
    return {f.code for f in plan.findings}


def test_status_from_cluster_id_finds_extension_and_router(fake, connect):
    fake.add_extension("ml-ext")
    target = connect(fake.cluster_path())
    assert target.kind == "k8s-extension"
    status = target.status()
    assert status.ssl.status == "Disabled"
    assert status.address == ROUTER_IP and status.fqdn == ROUTER_FQDN
    assert status.scoring_uri == f"http://{ROUTER_FQDN}/"
    assert [(r.method, r.path, r.api_version) for r in fake.requests] == [
        ("GET", f"{fake.cluster_path()}{EXT}", "2023-05-01"),
        ("GET", fake.cluster_path(), "2026-08-01"),
        ("GET", f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/"
                "publicIPAddresses", "2026-03-01"),
    ]
    assert target.ref.name == "ml-ext"


def test_enable_with_certificate_sends_base64_protected_settings(fake, connect, custom_cert):
    fake.add_extension()
    target = connect(ext_id(fake))
    plan = target.plan(enabled(custom_cert))
    assert plan.action == "enable" and plan.requires_confirmation and not plan.blocked
    assert "endpoints_affected" in codes(plan)
    fake.clear()
    status = target.apply(plan).wait(10)
    assert status.ssl.status == "Enabled" and status.fqdn == custom_cert.cname
    patch = fake.calls("PATCH")[0]
    assert patch.path == ext_id(fake) and patch.api_version == "2023-05-01"
    assert patch.json == {"properties": {
        "configurationSettings": {"allowInsecureConnections": "False",
                                  "sslCname": custom_cert.cname},
        "configurationProtectedSettings": {
            "scoringFe.sslCert": base64.b64encode(custom_cert.chain_pem.encode()).decode(),
            "scoringFe.sslKey": base64.b64encode(custom_cert.key_pem.encode()).decode(),
        }}}
    assert fake.calls("GET", "/locations/eastus/operations/")
    config = fake.extensions["azureml"]["properties"]["configurationSettings"]
    assert config["enableInference"] == "True"  # merged, not replaced


def test_certificate_upload_refused_when_protected_secrets_would_be_lost(fake, connect,
                                                                        custom_cert):
    fake.add_extension(**{"relayserver.enabled": "true", "logAnalyticsWS": "True"})
    plan = connect(ext_id(fake)).plan(enabled(custom_cert))
    assert plan.blocked and "protected_settings" in codes(plan)
    message = next(f.message for f in plan.findings if f.code == "protected_settings")
    assert "Azure Relay" in message and "Log Analytics" in message


def test_ssl_secret_is_reapplied_and_not_combined_with_files(fake, connect, custom_cert):
    fake.add_extension(allowInsecureConnections="False", sslCname="www.contoso.test",
                       sslSecret="my-tls", **{"scoringFe.sslSecret": "my-tls"})
    target = connect(ext_id(fake))
    status = target.status()
    assert status.ssl.status == "Enabled" and any("azureml/my-tls" in n for n in status.notes)
    assert "ssl_secret_in_use" in codes(target.plan(enabled(custom_cert)))
    plan = target.plan(SslSettings(status="Enabled", cname="www.contoso.test"))
    assert not plan.blocked and plan.action == "update"
    fake.clear()
    target.apply(plan).wait(10)
    assert fake.calls("PATCH")[0].json == {"properties": {"configurationSettings": {
        "allowInsecureConnections": "False", "sslCname": "www.contoso.test",
        "sslSecret": "my-tls", "scoringFe.sslSecret": "my-tls"}}}


def test_disable_sets_allow_insecure_only_and_rollback(fake, connect, custom_cert):
    fake.add_extension(allowInsecureConnections="False", sslCname="www.contoso.test")
    target = connect(ext_id(fake))
    plan = target.plan(SslSettings(status="Disabled"))
    assert plan.action == "disable" and plan.requires_confirmation
    assert any("stay set but unused" in n for n in plan.notes)
    assert any("cannot restore" in n for n in plan.notes)
    fake.clear()
    assert target.apply(plan).wait(10).ssl.status == "Disabled"
    assert fake.calls("PATCH")[0].json == {
        "properties": {"configurationSettings": {"allowInsecureConnections": "True"}}}
    fake.clear()
    with pytest.raises(OperationError, match="never returns protected settings"):
        target.rollback(plan).wait(10)  # the protected certificate is gone for good
    assert not fake.calls("PATCH")


def test_rollback_of_enable_returns_to_insecure(fake, connect, custom_cert):
    fake.add_extension()
    target = connect(fake.cluster_path())
    plan = target.plan(enabled(custom_cert))
    target.apply(plan).wait(10)
    fake.clear()
    assert target.rollback(plan).wait(10).ssl.status == "Disabled"
    assert fake.calls("PATCH")[0].json == {
        "properties": {"configurationSettings": {"allowInsecureConnections": "True"}}}


@pytest.mark.parametrize(
    ("desired", "code"),
    [
        (SslSettings(status="Auto", leaf_domain_label="contoso"), "k8s_no_auto"),
        (SslSettings(status="Auto", leaf_domain_label="contoso", renew=True), "renew_needs_auto"),
        (SslSettings(status="Enabled", cert_pem="x", key="k"), "no_cname"),
        (SslSettings(status="Enabled", cname="a.test"), "cname_cert_key"),
    ],
)
def test_extension_refuses_what_it_cannot_do(fake, connect, desired, code):
    fake.add_extension()
    assert code in codes(connect(ext_id(fake)).plan(desired))


def test_wrong_or_missing_extension(fake, connect):
    ext = fake.add_extension("flux")
    ext["properties"]["extensionType"] = "microsoft.flux"
    with pytest.raises(InputError, match=r"not microsoft\.azureml\.kubernetes"):
        connect(ext_id(fake, "flux")).status()
    with pytest.raises(InputError, match="has no Azure ML extension"):
        connect(fake.cluster_path()).status()
