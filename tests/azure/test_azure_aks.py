"""AKS inference cluster target against the fake ARM server, through the real SDK clients."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.reports import Severity
from jupyter_mlssl.targets.azure.common import renew_window_finding
from jupyter_mlssl.targets.base import SslSettings
from tests.azure.fakearm import NODE_RG, ROUTER_FQDN, ROUTER_IP, SUB, aks_compute

AUTO = {"status": "Auto", "cname": "", "leafDomainLabel": "contoso",
        "overwriteExistingDomain": False}
READ_ONLY = ("provisioningState", "createdOn", "modifiedOn", "provisioningErrors",
             "isAttachedCompute")


def codes(plan):
    return {f.code for f in plan.findings}


def the_put(fake):
    puts = fake.calls("PUT", "/computes/aks1")
    assert len(puts) == 1
    return puts[0]


def assert_whole_body_kept(body):
    """Everything the old SDK models do not know survives; read-only fields are dropped."""
    assert body["location"] == "eastus" and body["tags"] == {"team": "ml"}
    assert not {"id", "name", "type"} & set(body)
    props = body["properties"]
    assert props["computeType"] == "AKS"
    assert props["resourceId"].endswith("/managedClusters/aks1")
    assert not set(READ_ONLY) & set(props)
    inner = props["properties"]
    assert inner["clusterPurpose"] == "FastProd"
    assert inner["loadBalancerType"] == "InternalLoadBalancer"
    assert inner["loadBalancerSubnet"] == "aks-subnet"
    assert inner["aksNetworkingConfiguration"]["serviceCidr"] == "10.0.0.0/16"
    assert inner["agentCount"] == 3 and inner["clusterFqdn"].endswith("azmk8s.io")
    assert "systemServices" not in inner


def test_status_table_has_fqdn_address_and_survives_unreachable_probe(fake, connect):
    fake.computes["aks1"] = aks_compute(ssl_config=dict(AUTO))
    target = connect(fake.compute_id())
    assert target.kind == "aks"
    status = target.status()
    assert status.ssl.status == "Auto" and status.ssl.leaf_domain_label == "contoso"
    assert status.fqdn == ROUTER_FQDN and status.address == ROUTER_IP
    assert status.scoring_uri == f"https://{ROUTER_FQDN}/"
    assert status.certificate_not_after is None  # 192.0.2.10 is unroutable
    assert any("certificate not read" in n for n in status.notes)
    row = status.to_frame().iloc[0]
    assert row["tls"] == "Auto" and row["cname / fqdn"] == ROUTER_FQDN
    assert row["address"] == ROUTER_IP
    paths = [(r.method, r.path, r.api_version) for r in fake.requests]
    assert paths == [
        ("GET", fake.compute_id(), "2025-12-01"),
        ("GET", fake.cluster_path(), "2026-08-01"),
        ("GET", f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/"
                "publicIPAddresses", "2026-03-01"),
    ]
    endpoint = target.endpoint(status)
    assert endpoint.hostname == ROUTER_FQDN and endpoint.expected_address == ROUTER_IP
    assert endpoint.url == f"https://{ROUTER_FQDN}/" and endpoint.tls_expected


def test_enable_custom_certificate_puts_whole_raw_body(fake, connect, custom_cert, credential):
    target = connect(fake.compute_id())
    desired = SslSettings(status="Enabled", cname=custom_cert.cname,
                          cert_pem=custom_cert.chain_pem, key=custom_cert.key)
    plan = target.plan(desired)
    assert plan.action == "enable" and not plan.blocked
    assert {c.field for c in plan.changes} >= {"status", "cname", "certificate", "key"}
    fake.clear()
    op = target.apply(plan)
    status = op.wait(10)
    assert op.done and status.ssl.status == "Enabled" and status.fqdn == custom_cert.cname
    put = the_put(fake)
    assert put.api_version == "2025-12-01"
    assert put.headers["Content-Type"] == "application/json"
    assert put.headers["Authorization"] == "Bearer fake-token"
    assert_whole_body_kept(put.json)
    assert put.json["properties"]["properties"]["sslConfiguration"] == {
        "status": "Enabled", "cname": custom_cert.cname, "cert": custom_cert.chain_pem,
        "key": custom_cert.key_pem}
    # GET (optimistic check) -> PUT -> poll Azure-AsyncOperation -> final GET -> status reads
    seq = [(r.method, r.path.rsplit("/", 2)[-2]) for r in fake.requests[:5]]
    assert seq == [("GET", "computes"), ("PUT", "computes"),
                   ("GET", "computeOperationsStatus"), ("GET", "computeOperationsStatus"),
                   ("GET", "computes")]
    assert credential.scopes[0] == (f"{fake.base}/.default",)


def test_enable_microsoft_certificate_and_overwrite(fake, connect):
    target = connect(fake.compute_id())
    plan = target.plan(SslSettings(status="Auto", leaf_domain_label="contoso"))
    assert plan.action == "enable" and not plan.blocked
    target.apply(plan).wait(10)
    assert the_put(fake).json["properties"]["properties"]["sslConfiguration"] == {
        "status": "Auto", "leafDomainLabel": "contoso", "overwriteExistingDomain": False}
    fake.clear()
    plan = target.plan(SslSettings(status="Auto", leaf_domain_label="fabrikam",
                                   overwrite_existing_domain=True))
    assert plan.action == "update" and "overwrite_domain" in codes(plan) and not plan.blocked
    target.apply(plan).wait(10)
    assert the_put(fake).json["properties"]["properties"]["sslConfiguration"] == {
        "status": "Auto", "leafDomainLabel": "fabrikam", "overwriteExistingDomain": True}


def test_update_custom_certificate_notes_unrestorable_previous(fake, connect, custom_cert):
    fake.computes["aks1"] = aks_compute(ssl_config={
        "status": "Enabled", "cname": "old.contoso.test", "cert": "x", "key": "y"})
    target = connect(fake.compute_id())
    plan = target.plan(SslSettings(status="Enabled", cname=custom_cert.cname,
                                   cert_pem=custom_cert.chain_pem, key=custom_cert.key))
    assert plan.action == "update"
    assert any("cannot be restored" in n for n in plan.notes)
    target.apply(plan).wait(10)
    ssl_conf = the_put(fake).json["properties"]["properties"]["sslConfiguration"]
    assert ssl_conf["cname"] == custom_cert.cname and ssl_conf["key"] == custom_cert.key_pem
    # rollback: Azure never returned the old cert/key, so nothing is PUT and it says so
    fake.clear()
    with pytest.raises(OperationError, match="nothing was restored") as err:
        target.rollback(plan).wait(10)
    assert not fake.calls("PUT")
    assert err.value.code == "rollback_incomplete" and "your previous certificate" in str(err.value)


def test_renew_keeps_original_label_and_adds_renew(fake, connect):
    fake.computes["aks1"] = aks_compute(ssl_config=dict(AUTO))
    target = connect(fake.compute_id())
    plan = target.plan(SslSettings(status="Auto", leaf_domain_label="contoso", renew=True))
    assert plan.action == "renew" and not plan.blocked and not plan.empty
    assert "renew_window_unknown" in codes(plan)  # the router IP is unreachable from here
    assert any("5 hours" in n for n in plan.notes)
    assert any("2020-02-02 is used for the renew" in n for n in plan.notes)
    fake.clear()
    target.apply(plan).wait(10)
    assert [r.api_version for r in fake.requests[:2]] == ["2020-02-02", "2020-02-02"]
    assert the_put(fake).json["properties"]["properties"]["sslConfiguration"] == {
        "status": "Auto", "cname": "", "cert": None, "key": None, "leafDomainLabel": "contoso",
        "overwriteExistingDomain": False, "renew": True}
    # without a label, renew uses the current one
    plan = target.plan(SslSettings(status="Auto", renew=True))
    assert plan.desired.leaf_domain_label == "contoso" and not plan.blocked


@pytest.mark.parametrize(
    ("current", "desired", "code"),
    [
        ({"status": "Disabled"}, SslSettings(status="Auto", leaf_domain_label="contoso",
                                             renew=True), "renew_needs_auto"),
        (AUTO, SslSettings(status="Auto", leaf_domain_label="contosoab12cd", renew=True),
         "renew_label_changed"),
        (AUTO, SslSettings(status="Auto", leaf_domain_label="contoso", renew=True,
                           overwrite_existing_domain=True), "renew_overwrite"),
        ({"status": "Disabled"}, SslSettings(status="Enabled", cname="a.test", cert_pem="x"),
         "cname_cert_key"),
        ({"status": "Disabled"}, SslSettings(status="Enabled", cname="a.test", cert_pem="x",
                                             key="k", leaf_domain_label="l"),
         "label_excludes_cert"),
        ({"status": "Disabled"}, SslSettings(status="Auto", cname="a.test",
                                             leaf_domain_label="l"), "label_excludes_cert"),
        ({"status": "Disabled"}, SslSettings(status="Auto"), "no_label"),
        ({"status": "Disabled"}, SslSettings(status="Enabled", cname="a.test", cert_pem="x",
                                             key="k", overwrite_existing_domain=True),
         "overwrite_needs_label"),
    ],
)
def test_client_side_validation_blocks_and_applies_nothing(fake, connect, current, desired,
                                                           code):
    fake.computes["aks1"] = aks_compute(ssl_config=dict(current))
    target = connect(fake.compute_id())
    plan = target.plan(desired)
    assert plan.blocked and code in codes(plan)
    with pytest.raises(OperationError, match="blocked"):
        target.apply(plan)
    assert not fake.calls("PUT")


def test_disable_asks_confirmation_and_rollback_restores_previous_body(fake, connect):
    fake.computes["aks1"] = aks_compute(ssl_config=dict(AUTO))
    target = connect(fake.compute_id())
    plan = target.plan(SslSettings(status="Disabled"))
    assert plan.action == "disable" and plan.requires_confirmation
    status = target.apply(plan).wait(10)
    assert status.ssl.status == "Disabled"
    assert the_put(fake).json["properties"]["properties"]["sslConfiguration"] == {
        "status": "Disabled"}
    fake.clear()
    restored = target.rollback(plan).wait(10)
    assert restored.ssl.status == "Auto"
    put = the_put(fake)
    assert_whole_body_kept(put.json)
    assert put.json["properties"]["properties"]["sslConfiguration"] == {
        **AUTO, "cert": None, "key": None}


def test_api_version_falls_back_to_2020_02_02(fake, connect):
    fake.compute_api_versions = {"2020-02-02"}
    target = connect(fake.compute_id())
    plan = target.plan(SslSettings(status="Auto", leaf_domain_label="contoso"))
    assert any("2020-02-02" in n for n in plan.notes)
    target.apply(plan).wait(10)
    gets = [r.api_version for r in fake.calls("GET", "/computes/aks1")]
    assert gets[:2] == ["2025-12-01", "2020-02-02"]
    assert the_put(fake).api_version == "2020-02-02"


def test_apply_refuses_when_changed_since_plan(fake, connect):
    target = connect(fake.compute_id())
    plan = target.plan(SslSettings(status="Auto", leaf_domain_label="contoso"))
    fake.computes["aks1"] = aks_compute(ssl_config=dict(AUTO))  # someone else enabled it
    with pytest.raises(OperationError, match="changed since the plan"):
        target.apply(plan)
    assert not fake.calls("PUT")
    with target.lock():  # documented no-op
        pass


def test_non_aks_compute_is_refused(fake, connect):
    compute = aks_compute("cpu")
    compute["properties"]["computeType"] = "AmlCompute"
    fake.computes["cpu"] = compute
    with pytest.raises(InputError, match="AmlCompute, not an AKS"):
        connect(fake.compute_id("cpu")).status()


def test_renew_window():
    assert renew_window_finding(120).code == "renew_noop"
    assert renew_window_finding(120).severity == Severity.WARNING
    assert "120 days" in renew_window_finding(120).message
    assert renew_window_finding(30) is None
    assert renew_window_finding(None).code == "renew_window_unknown"


def test_status_reads_real_certificate_and_renew_says_noop(fake, connect, tls_server):
    """The router answers on 127.0.0.1:443 with a 200-day certificate for the Azure name."""
    server = tls_server([ROUTER_FQDN], days=200, port=443)
    fake.public_ips[0]["properties"]["ipAddress"] = "127.0.0.1"
    compute = aks_compute(ssl_config=dict(AUTO))
    compute["properties"]["properties"]["systemServices"][0]["publicIpAddress"] = "127.0.0.1"
    fake.computes["aks1"] = compute
    target = connect(fake.compute_id(), probe_timeout=3)
    status = target.status()
    assert status.address == "127.0.0.1" and status.fqdn == ROUTER_FQDN
    assert status.days_left in (198, 199) and status.certificate_not_after
    assert status.certificate_fingerprint
    plan = target.plan(SslSettings(status="Auto", leaf_domain_label="contoso", renew=True))
    noop = [f for f in plan.findings if f.code == "renew_noop"]
    assert noop and "70 days" in noop[0].message and not plan.blocked
    assert server.port == 443


def test_status_without_cluster_permissions_still_reports_tls(fake, connect):
    fake.computes["aks1"] = aks_compute(ssl_config=dict(AUTO))
    fake.inject("GET", "/managedClusters/aks1$", status=403, code="AuthorizationFailed",
                times=5)
    status = connect(fake.compute_id()).status()
    assert status.ssl.status == "Auto" and status.address == ROUTER_IP  # from systemServices
    assert status.fqdn is None
    assert any("'Microsoft.ContainerService/managedClusters/read'" in n for n in status.notes)
    assert any("contoso<6 characters>.eastus.cloudapp.azure.com" in n for n in status.notes)


def test_cluster_in_another_subscription_is_read_there(fake, connect):
    other = "99999999-0000-0000-0000-000000000000"
    compute = aks_compute()
    compute["properties"]["resourceId"] = (
        f"/subscriptions/{other}/resourceGroups/rg9/providers/Microsoft.ContainerService/"
        "managedClusters/aks9")
    fake.computes["aks1"] = compute
    status = connect(fake.compute_id()).status()
    cluster_get = fake.calls("GET", "/managedClusters/")[0]
    assert cluster_get.path.startswith(f"/subscriptions/{other}/resourceGroups/rg9/")
    assert any(f"cluster facts not read: {compute['properties']['resourceId']}: subscription"
               f" '{other}' was not found" in n for n in status.notes)
