"""The ML extension never drops a protected setting: an extension as an older CLI created it
(relay and Service Bus provisioned, no ``*.enabled`` flags) keeps its connection strings."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import OperationError
from jupyter_mlssl.targets.azure.k8s_extension import protected_at_risk
from jupyter_mlssl.targets.base import SslSettings

EXT = "/providers/Microsoft.KubernetesConfiguration/extensions"
OLD_PROTECTED = {
    "relayserver.relayConnectionString": "Endpoint=sb://relay-ns.servicebus.windows.net/;"
                                         "SharedAccessKeyName=azureml_rw;SharedAccessKey=abc",
    "servicebus.connectionString": "Endpoint=sb://sb-ns.servicebus.windows.net/;"
                                   "SharedAccessKeyName=RootManageSharedAccessKey;"
                                   "SharedAccessKey=def",
}


def add_old_cli_extension(fake, name="azureml-old"):
    """As ``az k8s-extension create`` wrote it before it set ``relayserver.enabled`` /
    ``servicebus.enabled``: the connection strings are in the protected map, no flags."""
    ext = fake.add_extension(name)
    config = ext["properties"]["configurationSettings"]
    del config["relayserver.enabled"], config["servicebus.enabled"]
    config.update({"relayserver.hybridConnectionResourceID": "/subscriptions/x/resourceGroups/"
                   "rg1/providers/Microsoft.Relay/namespaces/relay-ns/hybridConnections/hc",
                   "servicebus.resourceID": "/subscriptions/x/resourceGroups/rg1/providers/"
                   "Microsoft.ServiceBus/namespaces/sb-ns"})
    ext["properties"]["configurationProtectedSettings"] = dict(OLD_PROTECTED)
    return ext


def enabled(custom_cert):
    return SslSettings(status="Enabled", cname=custom_cert.cname,
                       cert_pem=custom_cert.chain_pem, key=custom_cert.key)


def test_old_cli_extension_is_never_stripped(fake, connect, custom_cert):
    add_old_cli_extension(fake)
    target = connect(f"{fake.cluster_path()}{EXT}/azureml-old")
    plan = target.plan(enabled(custom_cert))
    assert plan.blocked
    message = next(f.message for f in plan.findings if f.code == "protected_settings")
    assert "relayserver.relayConnectionString" in message
    assert "servicebus.connectionString" in message
    assert "not recorded" in message and "sslSecret" in message
    assert "SharedAccessKey" not in message  # names what is lost, never the values
    with pytest.raises(OperationError):
        target.apply(plan)
    assert fake.calls("PATCH") == []
    assert fake.extensions["azureml-old"]["properties"]["configurationProtectedSettings"] == (
        OLD_PROTECTED)


def test_without_the_guard_the_patch_would_drop_them(fake, connect, custom_cert):
    """The data loss the guard prevents, reproduced: the fake replaces the protected map as
    the service does, so the PATCH this tool would send leaves only the two TLS keys."""
    import base64

    from jupyter_mlssl.targets.azure.k8s_extension import patch_body

    ext = add_old_cli_extension(fake)
    with pytest.raises(OperationError, match=r"relayserver\.relayConnectionString"):
        patch_body(enabled(custom_cert), ext["properties"]["configurationSettings"])
    b64 = base64.b64encode(b"x").decode()
    body = {"properties": {"configurationSettings": {"allowInsecureConnections": "False",
                                                     "sslCname": custom_cert.cname},
                           "configurationProtectedSettings": {"scoringFe.sslCert": b64,
                                                              "scoringFe.sslKey": b64}}}
    target = connect(f"{fake.cluster_path()}{EXT}/azureml-old")
    target._read()
    target._patch(body, "enable", None).wait(10)
    kept = fake.extensions["azureml-old"]["properties"]["configurationProtectedSettings"]
    assert sorted(kept) == ["scoringFe.sslCert", "scoringFe.sslKey"]


def test_flags_that_say_false_let_the_upload_through(fake, connect, custom_cert):
    fake.add_extension("azureml")  # today's CLI: both flags "false"
    plan = connect(f"{fake.cluster_path()}{EXT}/azureml").plan(enabled(custom_cert))
    assert not plan.blocked


def test_disable_and_secret_rotation_send_no_protected_settings(fake, connect):
    ext = add_old_cli_extension(fake)
    ext["properties"]["configurationSettings"].update(
        {"allowInsecureConnections": "False", "sslCname": "www.contoso.test",
         "sslSecret": "my-tls"})
    target = connect(f"{fake.cluster_path()}{EXT}/azureml-old")
    plan = target.plan(SslSettings(status="Disabled"))
    assert not plan.blocked
    target.apply(plan).wait(10)
    assert "configurationProtectedSettings" not in fake.calls("PATCH")[0].json["properties"]
    assert fake.extensions["azureml-old"]["properties"]["configurationProtectedSettings"] == (
        OLD_PROTECTED)


@pytest.mark.parametrize("config, features", [
    ({}, ["Azure Relay", "Service Bus"]),
    ({"relayserver.enabled": "false", "servicebus.enabled": "False"}, []),
    ({"relayserver.enabled": "False", "servicebus.enabled": "true"}, ["Service Bus"]),
    ({"relayserver.enabled": "false", "servicebus.enabled": "false",
      "azure_log_analytics.customer_id": "c0ffee"}, ["Log Analytics"]),
    ({"relayserver.enabled": "false", "servicebus.enabled": "false", "logAnalyticsWS": "True"},
     ["Log Analytics"]),
])
def test_which_features_count_as_maybe_on(config, features):
    assert [label for label, _, _ in protected_at_risk(config)] == features
