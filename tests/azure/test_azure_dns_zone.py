"""Azure DNS record sets through azure-mgmt-dns against the fake ARM: bodies in the spec's
casing, etags on every write (If-None-Match: * / If-Match), 412 named with the current value,
paging by nextLink, retries of 429 / 5xx, the TXT helpers for DNS-01."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.targets.azure.dns_zone import (
    DnsZone,
    RecordSetChanged,
    add_txt_value,
    parse_zone_id,
    relative_name,
    remove_txt_value,
)
from tests.azure.conftest import FAST
from tests.azure.fake_dns import ZONE_NAME, zone_id
from tests.azure.fakearm import ROUTER_IP, SUB
from tests.azure.fakearm import ROUTER_IP_ID as IP_ID


@pytest.fixture
def options(arm_pki):
    return {**{k: v for k, v in FAST.items() if k != "probe_timeout"},
            "connection_verify": arm_pki.ca_file}


@pytest.fixture
def zone(dns, fake, credential, options):
    return DnsZone(zone_id(), credential=credential, arm_endpoint=fake.base, **options)


def _writes(fake, rtype="", name=""):
    return [r for r in fake.requests if r.method in ("PUT", "PATCH", "DELETE")
            and r.path.endswith(f"/{rtype}/{name}")]


def test_zone_id_and_relative_names():
    ref = parse_zone_id(zone_id())
    assert (ref.subscription, ref.resource_group, ref.zone) == (SUB, "rg1", ZONE_NAME)
    with pytest.raises(InputError, match="not an Azure DNS zone id"):
        parse_zone_id("/subscriptions/x/resourceGroups/y")
    assert relative_name("contoso.test", "ml.contoso.test") == "ml"
    assert relative_name("contoso.test", "contoso.test.") == "@"
    assert relative_name("contoso.test", "_acme-challenge.ml") == "_acme-challenge.ml"
    with pytest.raises(InputError, match="not inside"):
        relative_name("contoso.test", "www.fabrikam.test.")


def test_name_servers(zone, fake):
    assert zone.name_servers()[0] == "ns1-01.azure-dns.com"
    get = fake.calls("GET", "/dnszones/contoso.test")[-1]
    assert get.api_version == "2018-05-01"


def test_create_a_record_only_if_absent(zone, fake, dns):
    made = zone.create("A", "ml.contoso.test", ["203.0.113.9"], ttl=120)
    assert made.values == ("203.0.113.9",) and made.ttl == 120 and made.etag
    put = _writes(fake, "A", "ml")[-1]
    assert put.method == "PUT" and put.api_version == "2018-05-01"
    assert put.path == (f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Network/"
                        "dnsZones/contoso.test/A/ml")  # the spec's casing of dnsZones
    assert put.headers.get("If-None-Match") == "*" and "If-Match" not in put.headers
    assert put.json["properties"] == {"TTL": 120, "ARecords": [{"ipv4Address": "203.0.113.9"}]}
    # a second create must not overwrite: 412, named with what is there now
    with pytest.raises(RecordSetChanged, match=r"203\.0\.113\.9") as err:
        zone.create("A", "ml", ["198.51.100.1"])
    assert err.value.current is not None and err.value.current.values == ("203.0.113.9",)
    assert dns.record_set("A", "ml")["properties"]["ARecords"] == [{"ipv4Address": "203.0.113.9"}]


def test_update_with_etag_and_412_on_concurrent_change(zone, fake, dns):
    first = zone.create("A", "ml", ["203.0.113.9"])
    second = zone.update("A", "ml", ["203.0.113.10"], etag=first.etag or "")
    put = _writes(fake, "A", "ml")[-1]
    assert put.headers.get("If-Match") == first.etag
    assert second.values == ("203.0.113.10",) and second.etag != first.etag
    # someone else writes meanwhile: our stale etag gets a 412 that names their value
    dns.put_record_set("A", "ml", {"TTL": 60, "ARecords": [{"ipv4Address": "198.51.100.77"}]})
    with pytest.raises(RecordSetChanged, match=r"changed by someone else.*198\.51\.100\.77"):
        zone.update("A", "ml", ["203.0.113.11"], etag=second.etag or "")
    assert dns.record_set("A", "ml")["properties"]["ARecords"] == [
        {"ipv4Address": "198.51.100.77"}]


def test_cname_and_alias_records(zone, fake, dns):
    c = zone.create("CNAME", "www", ["contosoab12cd.eastus.cloudapp.azure.com"], ttl=300)
    assert c.values == ("contosoab12cd.eastus.cloudapp.azure.com",)
    assert _writes(fake, "CNAME", "www")[-1].json["properties"] == {
        "TTL": 300, "CNAMERecord": {"cname": "contosoab12cd.eastus.cloudapp.azure.com"}}
    c2 = zone.update("CNAME", "www", ["other.example.net"], etag=c.etag or "")
    assert c2.values == ("other.example.net",)
    alias = zone.create("A", "ml", target_resource=IP_ID, ttl=60)
    assert alias.target_resource == IP_ID and alias.values == ()
    assert _writes(fake, "A", "ml")[-1].json["properties"] == {
        "TTL": 60, "targetResource": {"id": IP_ID}}
    # an alias to something that does not exist is refused by the service, reported in one line
    with pytest.raises(OperationError, match="HTTP 400"):
        zone.create("A", "bad", target_resource=IP_ID + "-missing")


def test_delete_with_if_match(zone, fake, dns):
    made = zone.create("A", "gone", ["203.0.113.9"])
    with pytest.raises(RecordSetChanged):
        zone.delete("A", "gone", etag="stale")
    zone.delete("A", "gone", etag=made.etag or "")
    delete = _writes(fake, "A", "gone")[-1]
    assert delete.method == "DELETE" and delete.headers.get("If-Match") == made.etag
    assert zone.get("A", "gone") is None and dns.record_set("A", "gone") is None


def test_list_follows_next_link(zone, fake, dns):
    for i in range(7):
        dns.put_record_set("TXT", f"t{i}", {"TTL": 60, "TXTRecords": [{"value": [f"v{i}"]}]})
    fake.clear()
    txt = zone.record_sets("TXT", top=3)
    assert [r.name for r in txt] == [f"t{i}" for i in range(7)]
    assert [r.values for r in txt][2] == ("v2",)
    assert len(fake.calls("GET", "/TXT")) == 3  # 3 + 3 + 1
    everything = zone.record_sets(top=4)
    assert {r.type for r in everything} >= {"SOA", "NS", "TXT"}


def test_txt_values_shared_by_two_validations(dns, fake, credential, options):
    zid = zone_id()
    kw = {"credential": credential, "arm_endpoint": fake.base, **options}
    add_txt_value(zid, "_acme-challenge.ml.contoso.test", "token-a", **kw)
    put = _writes(fake, "TXT", "_acme-challenge.ml")[-1]
    assert put.headers.get("If-None-Match") == "*"
    assert put.json["properties"] == {"TTL": 60, "TXTRecords": [{"value": ["token-a"]}]}
    # another writer appends between our read and our write: 412, re-read, keep both
    raced = {"done": False}

    def race(method, rtype, name):
        if not raced["done"] and method == "PUT":
            raced["done"] = True
            rs = dns.record_set("TXT", name)
            dns.put_record_set("TXT", name, {"TTL": 60, "TXTRecords": [
                *rs["properties"]["TXTRecords"], {"value": ["token-other"]}]})

    dns.on_write = race
    add_txt_value(zid, "_acme-challenge.ml", "token-b", **kw)
    dns.on_write = None
    held = [v["value"][0] for v in dns.record_set("TXT", "_acme-challenge.ml")["properties"][
        "TXTRecords"]]
    assert held == ["token-a", "token-other", "token-b"]
    last_two = _writes(fake, "TXT", "_acme-challenge.ml")[-2:]
    assert [w.headers.get("If-Match") is not None for w in last_two] == [True, True]
    remove_txt_value(zid, "_acme-challenge.ml", "token-a", **kw)
    remove_txt_value(zid, "_acme-challenge.ml", "token-other", **kw)
    assert [v["value"] for v in dns.record_set("TXT", "_acme-challenge.ml")["properties"][
        "TXTRecords"]] == [["token-b"]]
    remove_txt_value(zid, "_acme-challenge.ml", "token-b", **kw)
    last = _writes(fake, "TXT", "_acme-challenge.ml")[-1]
    assert last.method == "DELETE" and last.headers.get("If-Match")
    assert dns.record_set("TXT", "_acme-challenge.ml") is None
    remove_txt_value(zid, "_acme-challenge.ml", "token-b", **kw)  # absent: nothing to do


def test_long_txt_value_is_split_in_255_byte_strings(zone, dns):
    zone.add_txt_value("long", "x" * 300)
    assert [len(s) for s in dns.record_set("TXT", "long")["properties"]["TXTRecords"][0][
        "value"]] == [255, 45]
    got = zone.get("TXT", "long")
    assert got is not None and got.values == ("x" * 300,)


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_and_server_errors_are_retried(zone, fake, status):
    headers = {"Retry-After": "0"} if status == 429 else {}
    fake.inject("PUT", r"/dnszones/contoso\.test/A/ml$", status=status, code="Busy",
                headers=headers)
    made = zone.create("A", "ml", ["203.0.113.9"])
    assert made.values == ("203.0.113.9",)
    assert len(_writes(fake, "A", "ml")) == 2


def test_errors_name_the_zone_and_the_fix(zone, fake):
    fake.inject("PUT", r"/A/ml$", status=403, code="AuthorizationFailed", message="no", times=1)
    with pytest.raises(OperationError, match="DNS Zone Contributor"):
        zone.create("A", "ml", ["203.0.113.9"])
    missing = DnsZone(zone_id("nowhere.test"), clients=zone.clients)
    with pytest.raises(OperationError, match="no such zone"):
        missing.get("A", "ml")
    fake.inject("PUT", r"/A/ml$", status=503, times=5)
    with pytest.raises(OperationError, match="HTTP 503"):
        zone.create("A", "ml", ["203.0.113.9"])


def test_records_are_served_by_a_real_nameserver(zone, dns):
    import dns.resolver as dns_resolver  # the fixture is called dns too

    address = dns.serve()
    zone.create("A", "ml", target_resource=IP_ID, ttl=60)
    zone.create("CNAME", "www", ["ml.contoso.test"], ttl=60)
    host, port = address.split(":")
    resolver = dns_resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = 2
    answer = resolver.resolve("www.contoso.test", "A")
    assert [r.address for r in answer] == [ROUTER_IP]
