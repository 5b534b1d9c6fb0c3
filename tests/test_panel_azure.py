"""The panel with an Azure target: offered by the picker, signed in with the panel's
credential, read through the real SDK clients against the fake ARM server."""

from __future__ import annotations

from jupyter_mlssl.widgets import Panel
from tests.azure.conftest import arm_pki, credential, fake  # noqa: F401  (fixtures)
from tests.azure.fakearm import aks_compute

AUTO = {"status": "Auto", "cname": "", "leafDomainLabel": "contoso",
        "overwriteExistingDomain": False}


def test_configured_azure_target_status(fake, arm_pki, credential, monkeypatch):  # noqa: F811
    # TLS to "Azure" (the fake) is trusted the way azure-core reads it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", arm_pki.ca_file)
    fake.computes["aks1"] = aks_compute(ssl_config=dict(AUTO))
    aks = fake.compute_id()
    panel = Panel(targets=[aks], credential=credential, arm_endpoint=fake.base)
    assert aks in panel.picker.options
    panel.picker.value = aks
    status = panel.on_status()
    assert status is not None, panel.status.value
    assert status.ssl.status == "Auto" and status.ssl.leaf_domain_label == "contoso"
    assert credential.scopes  # the panel's credential was used
    assert "text/html" in panel.target_out.outputs[-1]["data"]
    assert "✔" in panel.status.value
