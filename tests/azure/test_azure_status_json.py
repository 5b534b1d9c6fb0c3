"""``status --json`` on Azure targets (against the fake ARM): ``https_uri`` when TLS is on.

Run through the same parser, handler and JSON rendering as ``mlssl status ID --json``; only
the credential and the cloud come from the test (as ``%config MlsslMagic`` lends them).
"""

from __future__ import annotations

import json

import pytest

from jupyter_mlssl.commands import Context, run
from jupyter_mlssl.parser import build_parser
from tests.azure.fakearm import ROUTER_FQDN, aks_compute

EXT = "/providers/Microsoft.KubernetesConfiguration/extensions"


@pytest.fixture
def status_json(fake, arm_pki, credential, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm_pki.ca_file)  # trust the fake ARM
    context = Context(defaults={"credential_object": credential, "arm_endpoint": fake.base})

    def read(target_id: str) -> dict:
        args = build_parser().parse_args(["status", target_id, "--json"])
        return json.loads(json.dumps(run(args, context).to_dict(), default=str))

    return read


def test_aks_https_uri_follows_tls(fake, status_json):
    fake.computes["aks1"] = aks_compute(ssl_config={"status": "Disabled"})
    off = status_json(fake.compute_id())
    assert off["scoring_uri"] == f"http://{ROUTER_FQDN}/" and off["https_uri"] is None
    fake.computes["aks1"] = aks_compute(ssl_config={
        "status": "Auto", "cname": "", "leafDomainLabel": "contoso",
        "overwriteExistingDomain": False})
    on = status_json(fake.compute_id())
    assert on["scoring_uri"] == f"https://{ROUTER_FQDN}/"
    assert on["https_uri"] == f"https://{ROUTER_FQDN}/"
    assert on["ca_bundle"] is None  # Microsoft's certificate: the public trust store


def test_aci_https_uri_uses_the_custom_name(fake, status_json):
    fake.add_service(sslEnabled=False)
    off = status_json(f"{fake.ws_path()}/services/svc1")
    assert off["scoring_uri"].startswith("http://") and off["https_uri"] is None
    fake.add_service(sslEnabled=True, cname="www.contoso.test",
                     scoringUri="https://svc1-abc.eastus.azurecontainer.io/score")
    on = status_json(f"{fake.ws_path()}/services/svc1")
    assert on["scoring_uri"] == "https://svc1-abc.eastus.azurecontainer.io/score"
    assert on["https_uri"] == "https://www.contoso.test/score"  # what the certificate names
    assert on["ca_bundle"] is None


def test_k8s_extension_https_uri_when_insecure_connections_are_off(fake, status_json):
    fake.add_extension("azureml")
    off = status_json(f"{fake.cluster_path()}{EXT}/azureml")
    assert off["tls"] == "Disabled" and off["https_uri"] is None
    fake.add_extension("azureml", allowInsecureConnections="False", sslCname="www.contoso.test")
    on = status_json(f"{fake.cluster_path()}{EXT}/azureml")
    assert on["tls"] == "Enabled"
    assert on["scoring_uri"] == on["https_uri"] == "https://www.contoso.test/"
