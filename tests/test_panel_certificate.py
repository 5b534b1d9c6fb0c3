"""The panel's Certificate tab: uploads through set_state, inspect, and no key in any widget."""

from __future__ import annotations

import html

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from jupyter_mlssl.widgets import Panel
from tests.ipshell import upload, widget_state_leaks


@pytest.fixture
def material(pki, tmp_path):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root.pem)
    return {"leaf": leaf, "inter": inter, "ca": str(ca),
            "chain": leaf.pem + inter.pem, "key": leaf.key_pem()}


def test_panel_shape():
    panel = Panel()
    assert panel.tabs.titles == ("Certificate", "Change", "DNS", "Probe", "History", "Fleet")
    assert panel.certificate.inspect_button.disabled  # nothing uploaded yet
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()


def test_upload_cert_and_key_then_inspect(material):
    panel = Panel(ca_bundle=material["ca"])
    tab = panel.certificate
    upload(tab.cert_upload, "chain.pem", material["chain"])
    upload(tab.key_upload, "key.pem", material["key"])
    # Read at once, and the widgets emptied.
    assert tab.cert_upload.value == () and tab.key_upload.value == ()
    assert tab.material.key is not None and tab.material.cert == material["chain"]
    assert not widget_state_leaks(panel, [material["key"]])
    assert not tab.inspect_button.disabled

    tab.cname.value = "api.example.test"
    report = tab.on_inspect()
    assert report is not None and report.exit_status == 0, report.summary()
    assert "✔" in panel.status.value
    html_out = tab.out.outputs[-1]["data"]["text/html"]
    assert "api.example.test" in html_out
    assert not widget_state_leaks(panel, [material["key"]])


def test_pem_with_key_inside_is_split_and_never_kept_in_widgets(material):
    panel = Panel(ca_bundle=material["ca"])
    tab = panel.certificate
    upload(tab.cert_upload, "combined.pem", material["chain"] + material["key"])
    assert tab.material.key is not None
    assert b"PRIVATE KEY" not in tab.material.cert
    assert tab.material.key.reveal() == material["key"]
    report = tab.on_inspect()
    assert report.exit_status == 0, report.summary()
    assert not widget_state_leaks(panel, [material["key"]])


def test_pfx_with_password_clears_the_password_box(material):
    leaf = material["leaf"]
    pfx = pkcs12.serialize_key_and_certificates(
        b"api", leaf.key, leaf.cert, [material["inter"].cert], BestAvailableEncryption(b"s3cret!")
    )
    panel = Panel(ca_bundle=material["ca"])
    tab = panel.certificate
    upload(tab.cert_upload, "api.pfx", pfx)
    tab.password.set_state({"value": "s3cret!"})  # what the browser sends on Enter
    assert tab.password.value == ""  # moved out of widget state at once
    assert not widget_state_leaks(panel, [b"s3cret!"])
    report = tab.on_inspect()
    assert report.exit_status == 0, report.summary()
    assert tab.password.value == ""  # cleared after use
    assert tab.material.password is not None
    assert not widget_state_leaks(panel, [b"s3cret!", pfx, material["key"]])


def test_wrong_password_and_mismatch_land_in_the_status_line(material, pki):
    panel = Panel(ca_bundle=material["ca"])
    tab = panel.certificate
    upload(tab.cert_upload, "chain.pem", material["chain"])
    other = pki.leaf(None, ["x.test"])
    upload(tab.key_upload, "other.pem", other.key_pem())
    report = tab.on_inspect()
    assert report.exit_status == 1
    assert "key_mismatch" in panel.status.value and "✖" in panel.status.value


def test_errors_are_escaped_in_status(material):
    panel = Panel(ca_bundle=material["ca"])
    tab = panel.certificate
    upload(tab.cert_upload, "<b>evil</b>.pem", b"not a certificate at all")
    assert "<b>evil</b>" not in tab.held.value and html.escape("<b>evil</b>") in tab.held.value
    tab.on_inspect()
    assert "<b>evil" not in panel.status.value
    assert "✖" in panel.status.value


def test_inspect_without_upload_says_so():
    panel = Panel()
    assert panel.certificate.on_inspect() is None
    assert "no certificate uploaded" in panel.status.value
    assert not panel.certificate.inspect_button.disabled or panel.certificate.material.cert is None


def test_forget_drops_material(material):
    panel = Panel()
    tab = panel.certificate
    upload(tab.key_upload, "key.pem", material["key"])
    tab.password.value = "pw"
    tab.on_forget()
    assert tab.material.key is None and tab.password.value == ""
    assert "nothing uploaded" in tab.held.value
