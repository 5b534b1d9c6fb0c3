"""Device-code sign-in: the code Azure hands out is shown in the panel, escaped."""

from __future__ import annotations

import datetime as dt

import pytest

from jupyter_mlssl.widgets import Panel
from jupyter_mlssl.widgets.signin import SignIn


def test_prompt_shows_url_and_code_escaped():
    panel = Panel()
    box = panel.signin.box
    assert box.layout.display == "none"
    assert box in list(panel.widgets())
    expires = dt.datetime(2026, 1, 1, 12, 30, tzinfo=dt.timezone.utc)
    panel.signin.prompt("https://microsoft.com/devicelogin", "ABCD<1234>", expires)
    assert box.layout.display == "block"
    assert 'href="https://microsoft.com/devicelogin"' in box.value
    assert "ABCD&lt;1234&gt;" in box.value and "<1234>" not in box.value
    assert "12:30 UTC" in box.value
    panel.signin.hide()
    assert box.value == "" and box.layout.display == "none"


def test_device_code_credential_prompts_into_the_panel():
    pytest.importorskip("azure.identity")
    signin = SignIn()
    credential = signin.credential("device_code")
    assert type(credential).__name__ == "DeviceCodeCredential"
    # azure-identity calls this with (verification_uri, user_code, expires_on).
    assert credential._prompt_callback == signin.prompt
    assert signin.credential("device-code") is credential  # sign in once per panel


def test_a_credential_object_is_used_as_is():
    marker = object()
    assert SignIn().credential(marker) is marker


def test_unknown_kind_is_an_input_error():
    from jupyter_mlssl.errors import InputError

    with pytest.raises(InputError, match="unknown"):
        SignIn().credential("browser")


def test_code_is_hidden_once_the_operation_ends():
    panel = Panel()
    with panel.context.busy("Signing in"):
        panel.signin.prompt("https://microsoft.com/devicelogin", "XYZ", None)
        assert panel.signin.box.layout.display == "block"
    assert panel.signin.box.layout.display == "none"


def test_api_panel_follows_the_magics_config():
    from tests.ipshell import shell

    with shell() as ip:
        ip.run_cell("%config MlsslMagic.ca_bundle = '/tmp/corp.pem'")
        ip.run_cell("%config MlsslMagic.default_target = 'local://wine'")
        import jupyter_mlssl

        panel = jupyter_mlssl.panel()
        assert panel.picker.value == "local://wine"
        assert panel.probe.ca_bundle.value == "/tmp/corp.pem"
        assert jupyter_mlssl.panel(ca_bundle="/tmp/mine.pem").probe.ca_bundle.value == (
            "/tmp/mine.pem")
