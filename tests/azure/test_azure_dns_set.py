"""``dns set`` on Azure targets against the fake ARM: the AKS label, A / alias / CNAME records
in an Azure DNS zone, verified against the zone's (fake, but real DNS) nameserver, rolled back
when verification fails, refused when the plan says so, recorded in the history."""

from __future__ import annotations

import pytest

from jupyter_mlssl.change.dns_change import dns_set, plan_dns
from jupyter_mlssl.errors import ConfirmationRequired, InputError
from jupyter_mlssl.store import history
from tests.azure.fake_dns import zone_id
from tests.azure.fakearm import NODE_RG, ROUTER_IP, SUB, aks_compute
from tests.azure.fakearm import ROUTER_IP_ID as IP_ID


def aks(fake, connect):
    return connect(fake.compute_id())


def test_alias_record_for_aks_follows_the_router_ip(fake, connect, dns, net):
    target = aks(fake, connect)
    ns = dns.serve()
    report = dns_set(target, zone=zone_id(), name="ml.contoso.test", ttl=60,
                     authoritative=[ns], verify_timeout=5)
    assert report.outcome == "applied", report.message
    put = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/A/ml")][-1]
    assert put.api_version == "2018-05-01" and put.headers.get("If-None-Match") == "*"
    assert put.json["properties"] == {"TTL": 60, "targetResource": {"id": IP_ID}}
    assert report.checks[0][3] == "ok" and ROUTER_IP in report.checks[0][2]
    row = history.entries(target=target.id, limit=1).entries[0]
    assert row["action"] == "dns set" and row["outcome"] == "applied"
    assert "alias of" in row["after_status"] and "etag" in row["after_status"]
    assert row["verification"] == "passed"


def test_a_record_update_uses_the_etag_and_asks_first(fake, connect, dns, net):
    target = aks(fake, connect)
    old = dns.put_record_set("A", "ml", {"TTL": 300, "ARecords": [{"ipv4Address": "198.51.100.1"}]})
    ns = dns.serve()
    with pytest.raises(ConfirmationRequired, match=r"198\.51\.100\.1"):
        dns_set(target, zone=zone_id(), name="ml.contoso.test", record="A", authoritative=[ns])
    report = dns_set(target, zone=zone_id(), name="ml.contoso.test", record="A", yes=True,
                     authoritative=[ns], verify_timeout=5)
    assert report.outcome == "applied", report.message
    put = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/A/ml")][-1]
    assert put.headers.get("If-Match") == old["etag"]
    assert put.json["properties"]["ARecords"] == [{"ipv4Address": ROUTER_IP}]
    assert report.plan.steps[0].before == "198.51.100.1"


def test_cname_for_aci_points_at_its_fqdn(fake, connect, dns):
    fake.add_service()
    target = connect(f"{fake.ws_path()}/services/svc1")
    report = dns_set(target, zone=zone_id(), name="score.contoso.test", record="CNAME",
                     authoritative=[dns.serve()], verify_timeout=5)
    assert report.outcome == "applied", report.message
    rs = dns.record_set("CNAME", "score")
    assert rs["properties"]["CNAMERecord"] == {"cname": "svc1-abc.eastus.azurecontainer.io"}


def test_concurrent_change_is_a_clear_412_and_nothing_else_moves(fake, connect, dns, net):
    target = aks(fake, connect)
    plan_ns = dns.serve()
    dns.on_write = lambda method, rtype, name: dns.put_record_set(
        "A", "ml", {"TTL": 60, "ARecords": [{"ipv4Address": "203.0.113.99"}]}) \
        if method == "PUT" and dns.record_set("A", "ml") is None else None
    report = dns_set(target, zone=zone_id(), name="ml.contoso.test", record="A",
                     authoritative=[plan_ns], verify_timeout=2)
    assert report.outcome == "failed"
    assert "changed by someone else" in report.message and "203.0.113.99" in report.message
    assert dns.record_set("A", "ml")["properties"]["ARecords"] == [
        {"ipv4Address": "203.0.113.99"}]


@pytest.mark.parametrize("status", [429, 500])
def test_throttled_and_failing_writes_are_retried(fake, connect, dns, net, status):
    target = aks(fake, connect)
    fake.inject("PUT", r"/A/ml$", status=status, headers={"Retry-After": "0"})
    report = dns_set(target, zone=zone_id(), name="ml.contoso.test",
                     authoritative=[dns.serve()], verify_timeout=5)
    assert report.outcome == "applied", report.message
    assert len([r for r in fake.requests if r.method == "PUT" and r.path.endswith("/A/ml")]) == 2


def test_failed_verification_rolls_the_record_back(fake, connect, dns, net):
    from jupyter_mlssl.targets.local.dnsserver import DnsServer

    target = aks(fake, connect)
    before = dns.put_record_set("A", "ml", {"TTL": 300,
                                            "ARecords": [{"ipv4Address": "198.51.100.1"}]})
    with DnsServer() as stale:  # a nameserver that never learns the new value
        report = dns_set(target, zone=zone_id(), name="ml.contoso.test", record="A", yes=True,
                         authoritative=[stale.address], verify_timeout=1)
    assert report.outcome == "rolled_back"
    assert "restored" in report.message
    now = dns.record_set("A", "ml")
    assert now["properties"]["ARecords"] == before["properties"]["ARecords"]
    last_put = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/A/ml")][-1]
    assert last_put.headers.get("If-Match")  # the restore, too, only over our own write


def test_label_set_through_dns_set(fake, connect, net):
    target = aks(fake, connect)
    plan = plan_dns(target, label="ml-prod")
    assert plan.steps[0].after == "ml-prod (ml-prod.eastus.cloudapp.azure.com)"
    assert fake.calls("GET", "/CheckDnsNameAvailability")
    report = dns_set(target, label="ml-prod", yes=True, verify=False)
    assert report.outcome == "applied", report.message
    assert fake.public_ips[0]["properties"]["dnsSettings"]["fqdn"] == (
        "ml-prod.eastus.cloudapp.azure.com")
    changed = dns_set(target, label="ml-prod-2", yes=True, verify=False)
    assert changed.plan.steps[0].before.startswith("ml-prod (")
    assert fake.public_ips[0]["properties"]["dnsSettings"]["domainNameLabel"] == "ml-prod-2"
    from jupyter_mlssl.parser import build_parser

    args = build_parser().parse_args(["dns", "set", target.id, "--clear-label", "--yes"])
    assert args.clear_label and args.set_target == target.id  # the CLI passes label=""
    cleared = dns_set(target, label="", yes=True, verify=False)
    assert cleared.outcome == "applied" and cleared.plan.steps[0].after == "(no label)"
    assert "dnsSettings" not in fake.public_ips[0]["properties"]
    row = history.entries(target=target.id, limit=1).entries[0]
    assert row["before_status"].endswith("ml-prod-2 (ml-prod-2.eastus.cloudapp.azure.com)")


def test_label_taken_or_microsoft_certificate_blocks(fake, connect, net):
    net.taken.add(("eastus", "popular"))
    target = aks(fake, connect)
    report = dns_set(target, label="popular", yes=True)
    assert report.outcome == "blocked" and "label_taken" in report.message
    assert not fake.calls("PUT")
    fake.computes["aks1"] = aks_compute(ssl_config={"status": "Auto",
                                                    "leafDomainLabel": "contoso"})
    report = dns_set(target, label="ml-prod", yes=True)
    assert report.outcome == "blocked" and "Microsoft-provided" in report.message
    with pytest.raises(InputError, match="not a valid DNS label"):
        plan_dns(target, label="Bad_Label")


def _aci_with_tls(fake, connect, pki, arm_pki):
    from jupyter_mlssl.targets.base import SslSettings

    fake.add_service(publicIp="127.0.0.1", scoringUri="http://127.0.0.1:1/score")
    target = connect(f"{fake.ws_path()}/services/svc1")
    leaf = pki.leaf(arm_pki.root, ["www.contoso.test"], days=120)
    desired = SslSettings(status="Enabled", cname="www.contoso.test",
                          cert_pem=leaf.pem.decode(), key=leaf.key_pem())
    return target, desired


def test_tls_with_dns_zone_refused_dns_write_leaves_tls_alone(fake, connect, dns, pki,
                                                              arm_pki):
    from jupyter_mlssl.change.dns_change import change_with_dns

    target, desired = _aci_with_tls(fake, connect, pki, arm_pki)
    fake.inject("PUT", r"/A/www$", status=403, code="AuthorizationFailed", message="no")
    report = change_with_dns(target, desired, zone=zone_id(), yes=True,
                             ca_bundle=arm_pki.ca_file, authoritative=[dns.serve()],
                             timeout=10)
    assert report.dns.outcome == "failed" and "DNS Zone Contributor" in report.dns.message
    assert report.tls.outcome == "refused" and report.exit_status == 1
    assert fake.calls("PATCH") == []  # TLS never touched
    assert fake.services["svc1"]["sslEnabled"] is False
    assert dns.record_set("A", "www") is None


def test_tls_with_dns_zone_failing_tls_undoes_the_record(fake, connect, dns, pki, arm_pki):
    from jupyter_mlssl.change.dns_change import change_with_dns

    target, desired = _aci_with_tls(fake, connect, pki, arm_pki)
    dns.put_record_set("A", "www", {"TTL": 300, "ARecords": [{"ipv4Address": "198.51.100.1"}]})
    plan = change_with_dns(target, desired, zone=zone_id(), dry_run=True,
                           ca_bundle=arm_pki.ca_file)
    assert plan.dns.plan.steps[0].before == "198.51.100.1"
    assert plan.dns.plan.steps[0].after == "127.0.0.1" and not fake.calls("PUT")
    # nothing answers HTTPS at the service: TLS verification fails and is rolled back, and so
    # is the record, over its new etag
    report = change_with_dns(target, desired, zone=zone_id(), yes=True,
                             ca_bundle=arm_pki.ca_file, authoritative=[dns.serve()],
                             timeout=10)
    assert report.tls.outcome == "rolled_back", report.tls.message
    assert report.dns.outcome == "rolled_back" and "restored" in report.dns.message
    assert fake.services["svc1"]["sslEnabled"] is False
    assert dns.record_set("A", "www")["properties"]["ARecords"] == [
        {"ipv4Address": "198.51.100.1"}]
    puts = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/A/www")]
    assert len(puts) == 2 and all(p.headers.get("If-Match") for p in puts)


def test_label_under_a_lock_fails_naming_it(fake, connect, net):
    target = aks(fake, connect)
    net.locks[f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}".lower()] = (
        f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}")
    report = dns_set(target, label="ml-prod", yes=True, verify=False)
    assert report.outcome == "failed" and report.exit_status == 1
    assert "a management lock forbids it" in report.message and NODE_RG in report.message
    assert fake.public_ips[0]["properties"]["dnsSettings"]["domainNameLabel"] == "contosoab12cd"
    row = history.entries(target=target.id, limit=1).entries[0]
    assert row["outcome"] == "failed" and "ScopeLocked" in row["message"]
