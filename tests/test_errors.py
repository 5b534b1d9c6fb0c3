"""Errors a user can cause carry what went wrong as fields, and stay one line (errors.py)."""

from __future__ import annotations

import pytest

from jupyter_mlssl.errors import (
    InputError,
    MlsslError,
    RecordError,
    SettingsError,
    UnknownTargetError,
)


def test_sslsettings_rejects_a_status_with_the_field_and_value():
    from jupyter_mlssl.targets.base import SslSettings

    with pytest.raises(SettingsError) as caught:
        SslSettings(status="on")
    assert caught.value.field == "status" and caught.value.value == "on"
    assert caught.value.exit_status == 2 and caught.value.code == "bad_setting"
    # callers that caught the bare ValueError it used to be still catch it
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, InputError)


def test_an_unknown_target_id_names_it():
    from jupyter_mlssl.targets import open_target

    with pytest.raises(UnknownTargetError) as caught:
        open_target("http://not-a-target")
    assert caught.value.target == "http://not-a-target"
    assert "use local://NAME or an ARM resource id" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("call", "name"), [
    (lambda zone: zone.set_a("a..b", "10.0.0.1"), "a..b"),
    (lambda zone: zone.set_a("ok.test", "10.0.0.1", ttl=-1), "ok.test"),
])
def test_the_local_zone_rejects_records_it_cannot_serve(call, name):
    from jupyter_mlssl.targets.local.zone import Zone

    with pytest.raises(RecordError) as caught:
        call(Zone())
    assert caught.value.name == name and isinstance(caught.value, ValueError)


def test_every_user_error_is_an_mlssl_error():
    for cls in (SettingsError, RecordError, UnknownTargetError):
        assert issubclass(cls, MlsslError)
