"""The AKS router's public IP label against the fake ARM: GET, change only the label, PUT the
object back (long-running), availability first, locks and deny assignments named."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.targets.azure.public_ip import PublicIpLabels, check_label, fqdn_for
from tests.azure.fakearm import NODE_RG, ROUTER_IP, SUB
from tests.azure.fakearm import ROUTER_IP_ID as IP_ID


@pytest.fixture
def labels(fake, net, credential, arm_pki):
    from jupyter_mlssl.targets.azure.clients import AzureClients
    from jupyter_mlssl.targets.azure.credentials import cloud_for
    from tests.azure.conftest import FAST

    options = {**FAST, "connection_verify": arm_pki.ca_file}
    return PublicIpLabels(AzureClients(credential, SUB, cloud_for(fake.base), options), IP_ID)


@pytest.mark.parametrize("bad", ["ab", "1abc", "abc-", "ABC", "a_b", "a" * 64, ""])
def test_label_rules_are_checked_before_any_call(bad):
    with pytest.raises(InputError, match="not a valid DNS label"):
        check_label(bad)


def test_label_rules_accept_valid_labels():
    assert check_label("abc") == "abc" and check_label("ml-prod-2") == "ml-prod-2"
    assert fqdn_for("ml-prod", "East US") == "ml-prod.eastus.cloudapp.azure.com"


def test_set_change_and_clear_label(labels, fake):
    ip = labels.get()
    assert (ip.address, ip.label) == (ROUTER_IP, "contosoab12cd")
    assert labels.available("eastus", "ml-prod")
    fake.clear()
    after = labels.set_label(ip, "ml-prod")
    assert after.fqdn == "ml-prod.eastus.cloudapp.azure.com"
    put = fake.calls("PUT")[0]
    assert put.path == IP_ID and put.api_version == "2024-07-01"
    sent = put.json
    # the object read, sent back with only the label changed (fqdn is read-only)
    assert sent["properties"]["dnsSettings"] == {"domainNameLabel": "ml-prod"}
    assert sent["tags"] == {"k8s-azure-service": "azureml/azureml-fe"}
    assert sent["properties"]["publicIPAllocationMethod"] == "Static"
    assert sent["location"] == "eastus"
    assert fake.calls("GET", "/operations/")  # the LRO was followed
    assert fake.calls("GET", IP_ID)  # and the IP read again (no etag: compare)
    changed = labels.set_label(after, "ml-prod-2")
    assert changed.label == "ml-prod-2"
    cleared = labels.set_label(changed, None)
    assert cleared.label is None and cleared.fqdn is None
    assert "dnsSettings" not in fake.calls("PUT")[-1].json["properties"]


def test_taken_label(labels, fake, net):
    net.taken.add(("eastus", "popular"))
    assert not labels.available("eastus", "popular")
    check = fake.calls("GET", "/CheckDnsNameAvailability")[-1]
    assert check.query["domainNameLabel"] == "popular" and check.api_version == "2024-07-01"
    with pytest.raises(OperationError, match="DnsRecordInUse: the label is taken"):
        labels.set_label(labels.get(), "popular")


def test_lock_and_deny_assignment_are_named(labels, fake, net):
    scope = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}".lower()
    net.locks[scope] = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}"
    with pytest.raises(OperationError, match=r"ScopeLocked: a management lock forbids it "
                                             rf"\[lock on /subscriptions/{SUB}/resourceGroups/"
                                             rf"{NODE_RG}\]"):
        labels.set_label(labels.get(), "ml-prod")
    net.locks.clear()
    net.deny[scope] = "NRGLockdownDenyAssignment"
    with pytest.raises(OperationError, match=r"deny assignment.*NRGLockdownDenyAssignment"):
        labels.set_label(labels.get(), "ml-prod")
    assert fake.public_ips[0]["properties"]["dnsSettings"]["domainNameLabel"] == "contosoab12cd"


def test_failed_operation_is_reported(labels, fake):
    fake.inject("PUT", "publicIPAddresses", kind="lro", outcome="Failed", message="boom")
    with pytest.raises(OperationError):
        labels.set_label(labels.get(), "ml-prod")
    assert fake.public_ips[0]["properties"]["dnsSettings"]["domainNameLabel"] == "contosoab12cd"
