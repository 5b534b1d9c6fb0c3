"""Portal ARM ids -> targets, and credentials that never wait on a browser."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.targets.azure.credentials import (
    cloud_for,
    credential_for,
    default_credential,
    device_code_credential,
)
from jupyter_mlssl.targets.azure.resource_id import parse

WS = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
AKS = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c"


@pytest.mark.parametrize(
    ("target_id", "kind", "name"),
    [
        (f"{WS}/computes/aks1", "aks", "aks1"),
        (f"{WS}/services/svc1/", "aci", "svc1"),
        (f"{WS}/onlineEndpoints/ep1", "managed-online-endpoint", "ep1"),
        (WS.replace("resourceGroups", "resourcegroups").replace("Microsoft.Machine",
                                                                 "microsoft.machine")
         + "/computes/Aks1", "aks", "Aks1"),
        (f"{AKS}/providers/Microsoft.KubernetesConfiguration/extensions/azureml",
         "k8s-extension", "azureml"),
        (AKS, "k8s-extension", None),
        ("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/"
         "arc1/providers/Microsoft.KubernetesConfiguration/extensions/ml", "k8s-extension", "ml"),
    ],
)
def test_parse_accepted_forms(target_id, kind, name):
    ref = parse(target_id)
    assert (ref.kind, ref.name, ref.subscription, ref.resource_group) == (kind, name, "s1", "rg")
    if kind == "k8s-extension":
        assert ref.cluster_name in ("c", "arc1")
        assert ref.extensions_path.endswith("/providers/Microsoft.KubernetesConfiguration/"
                                            "extensions")
    else:
        assert ref.workspace == "w" and ref.workspace_path == WS


@pytest.mark.parametrize(
    ("target_id", "says"),
    [
        ("", "not an ARM resource id"),
        ("subscriptions/s1", "not an ARM resource id"),
        ("/subscriptions/s1/resourceGroups", "ends before the resource group name"),
        ("/subscriptions/s1/groups/rg/providers/X/y/z", "expected 'resourceGroups' at segment 3"),
        (WS, "a workspace id alone is not a target"),
        (f"{WS}/datastores/d", "'datastores' is not a deployment type"),
        (f"{WS}//computes/x", "empty segment"),
        ("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Web/sites/x",
         "'Microsoft.Web/sites' is not a deployment target"),
        (f"{AKS}/providers/Microsoft.KubernetesConfiguration/fluxConfigurations/f",
         "expected /providers/Microsoft.KubernetesConfiguration/extensions/<name>"),
    ],
)
def test_parse_errors_are_one_line_and_name_the_segment(target_id, says):
    with pytest.raises(InputError) as err:
        parse(target_id)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_connect_dispatch_from_the_package(fake, credential):
    """``jupyter_mlssl.targets.open_target`` hands ARM ids to the Azure package."""
    from jupyter_mlssl.targets import open_target as connect
    from jupyter_mlssl.targets.azure.aks import AksComputeTarget

    target = connect(fake.compute_id(), credential=credential, arm_endpoint=fake.base)
    assert isinstance(target, AksComputeTarget) and target.id == fake.compute_id()
    assert "aks1" in repr(target)


def test_sovereign_clouds():
    public = cloud_for(None)
    assert public.arm_endpoint == "https://management.azure.com"
    assert public.scope == "https://management.azure.com/.default"
    assert public.authority == "login.microsoftonline.com"
    china = cloud_for("https://management.chinacloudapi.cn/")
    assert china.scope == "https://management.chinacloudapi.cn/.default"
    assert china.authority == "login.chinacloudapi.cn"
    gov = cloud_for("https://management.usgovcloudapi.net")
    assert gov.scope == "https://management.core.usgovcloudapi.net/.default"
    assert gov.authority == "login.microsoftonline.us"


def test_custom_arm_endpoint_uses_env_authority(monkeypatch):
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "login.example.test")
    stack = cloud_for("https://management.local.azurestack.external/")
    assert stack.scope == "https://management.local.azurestack.external/.default"
    assert stack.authority == "login.example.test"


def test_default_chain_has_no_browser_and_fails_fast(monkeypatch):
    import time

    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
                "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")  # no az, no pwsh, no azd
    cred = default_credential(cloud_for("https://management.chinacloudapi.cn"))
    names = {type(c).__name__ for c in cred.credentials}
    assert "InteractiveBrowserCredential" not in names and "BrokerCredential" not in names
    assert "AzureCliCredential" in names and "EnvironmentCredential" in names
    start = time.monotonic()
    with pytest.raises(Exception, match="DefaultAzureCredential failed"):
        cred.get_token("https://management.chinacloudapi.cn/.default")
    assert time.monotonic() - start < 15


def test_device_code_prompt_goes_to_the_callback():
    seen = []
    cred = device_code_credential(lambda uri, code, expires: seen.append(code),
                                  cloud_for(None), tenant_id="contoso.onmicrosoft.com")
    assert type(cred).__name__ == "DeviceCodeCredential"
    assert cred._prompt_callback is not None  # not azure-identity's print to stdout
    cred._prompt_callback("https://microsoft.com/devicelogin", "ABCD-EFGH", None)
    assert seen == ["ABCD-EFGH"]


def test_credential_by_name():
    assert type(credential_for("cli")).__name__ == "AzureCliCredential"
    assert type(credential_for("environment")).__name__ == "EnvironmentCredential"
    with pytest.raises(InputError, match="credential 'browser' is unknown"):
        credential_for("browser")


def test_connect_without_credential_uses_default_chain(fake):
    from jupyter_mlssl.targets.azure import open_azure_target as connect

    target = connect(fake.compute_id(), arm_endpoint=fake.base)
    assert type(target.clients.credential).__name__ == "DefaultAzureCredential"
    assert target.clients.cloud.scope == f"{fake.base}/.default"
