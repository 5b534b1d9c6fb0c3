"""The Azure DNS publisher against the fake ARM: the TXT set is appended with If-Match (a
value already there stays), and our value is removed after a successful order and after a
failed one."""

from __future__ import annotations

import pytest

from jupyter_mlssl.acme.issue import Eab, issue
from jupyter_mlssl.acme.publishers import AzureDnsPublisher
from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.secrets import Secret
from tests.azure.conftest import FAST, arm_pki, credential, fake  # noqa: F401 (fixtures)
from tests.azure.fake_dns import ZONE_NAME, FakeDns, zone_id


class FakeDnsWithTxt(FakeDns):
    """The fake zone's nameservers answering TXT too (what Azure DNS serves once the record
    set is written), so pebble can validate against them."""

    def _mirror(self) -> None:
        super()._mirror()
        if self.server is None:
            return
        for zone, sets in self.sets.items():
            for (rtype, name), rs in sets.items():
                if rtype == "TXT":
                    values = [v for rec in rs["properties"].get("TXTRecords") or []
                              for v in rec["value"]]
                    if values:
                        fqdn = zone if name == "@" else f"{name}.{zone}"
                        self.server.zone.set_records(fqdn, "TXT", values)


def _publisher(arm, cred, ca_file: str, address: str) -> AzureDnsPublisher:
    options = {**{k: v for k, v in FAST.items() if k != "probe_timeout"},
               "connection_verify": ca_file}
    host, port = address.rsplit(":", 1)
    return AzureDnsPublisher(zone_id(), credential=cred, arm_endpoint=arm.base,
                             nameservers=[(host, int(port))], **options)


def _values(dns):
    left = dns.record_set("TXT", "_acme-challenge.ml")
    return None if left is None else [v for rec in left["properties"]["TXTRecords"]
                                      for v in rec["value"]]


def test_issue_through_azure_dns_then_clean_up(fake, credential, arm_pki, tmp_path,  # noqa: F811
                                               mlssl_home):
    from jupyter_mlssl.acme import pebble as pebble_ca

    if pebble_ca.available():
        pytest.skip(pebble_ca.available())
    dns = FakeDnsWithTxt(fake)
    try:
        address = dns.serve()
        dns.put_record_set("TXT", "_acme-challenge.ml",
                           {"TTL": 60, "TXTRecords": [{"value": ["other-validation"]}]})
        with pebble_ca.Pebble(dnsserver=address, workdir=tmp_path / "p") as ca:
            publisher = _publisher(fake, credential, arm_pki.ca_file, address)
            issued = issue([f"ml.{ZONE_NAME}"], publisher,
                           directory=ca.directory, ca_bundle=ca.ca_bundle,
                           eab=Eab(ca.eab_kid, Secret(ca.eab_hmac)))
        assert issued.names == [f"ml.{ZONE_NAME}"]
        puts = [r for r in fake.requests if r.method == "PUT" and r.path.endswith(
            "/TXT/_acme-challenge.ml")]
        assert len(puts) == 2 and all(r.headers.get("If-Match") for r in puts)  # add, remove
        assert _values(dns) == ["other-validation"]  # ours gone, theirs kept
    finally:
        dns.close()


def test_txt_appended_with_if_match_and_cleaned_after_failure(
        pebble, fake, credential, arm_pki):  # noqa: F811
    dns = FakeDns(fake)
    try:
        address = dns.serve()  # plays the zone's nameservers (it serves no TXT: not visible)
        dns.put_record_set("TXT", "_acme-challenge.ml",
                           {"TTL": 60, "TXTRecords": [{"value": ["other-validation"]}]})
        options = {**{k: v for k, v in FAST.items() if k != "probe_timeout"},
                   "connection_verify": arm_pki.ca_file}
        publisher = AzureDnsPublisher(zone_id(), credential=credential, arm_endpoint=fake.base,
                                      nameservers=[("127.0.0.1", int(address.rsplit(":")[1]))],
                                      **options)
        publisher.propagation_timeout = 0.3
        with pytest.raises(MlsslError) as caught:
            issue([f"ml.{ZONE_NAME}"], publisher, directory=pebble.directory,
                  ca_bundle=pebble.ca_bundle, eab=Eab(pebble.eab_kid, Secret(pebble.eab_hmac)),
                  check_caa=False)
        assert caught.value.code == "acme_txt_not_visible"
        assert "TXT _acme-challenge.ml.contoso.test is not visible" in str(caught.value)
        puts = [r for r in fake.requests if r.method == "PUT" and r.path.endswith(
            "/TXT/_acme-challenge.ml")]
        assert puts and all(r.headers.get("If-Match") for r in puts)
        left = dns.record_set("TXT", "_acme-challenge.ml")
        assert left is not None
        values = [v for rec in left["properties"]["TXTRecords"] for v in rec["value"]]
        assert values == ["other-validation"]  # ours removed, the other kept
    finally:
        dns.close()
