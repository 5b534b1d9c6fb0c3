"""The Azure DNS publisher against the fake ARM: the TXT set is appended with If-Match (a
value already there stays), and our value is removed after a failed order too."""

from __future__ import annotations

import pytest

from jupyter_mlssl.acme.issue import Eab, issue
from jupyter_mlssl.acme.publishers import AzureDnsPublisher
from jupyter_mlssl.errors import MlsslError
from jupyter_mlssl.secrets import Secret
from tests.azure.conftest import FAST, arm_pki, credential, fake  # noqa: F401 (fixtures)
from tests.azure.fake_dns import ZONE_NAME, FakeDns, zone_id


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
