"""Options -> SslSettings, validated the way azureml-core validates an SslConfiguration."""

from __future__ import annotations

import pytest

from jupyter_mlssl.change.settings import settings_from_options
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.targets.base import SslSettings

AUTO = SslSettings(status="Auto", leaf_domain_label="contoso")


@pytest.fixture
def files(pki, tmp_path):
    root = pki.root()
    leaf = pki.leaf(root, ["api.example.test"])
    return {
        "cert": leaf.write_chain(tmp_path / "chain.pem"),
        "key": leaf.write_key(tmp_path / "key.pem"),
        "locked": leaf.write_key(tmp_path / "locked.pem", password=b"s3cret"),
        "leaf": leaf,
    }


def test_leaf_domain_label_means_auto():
    s = settings_from_options(leaf_domain_label="Contoso", overwrite_existing_domain=True)
    assert (s.status, s.leaf_domain_label, s.overwrite_existing_domain) == (
        "Auto", "contoso", True)


def test_custom_certificate_is_loaded_and_the_key_kept_secret(files):
    s = settings_from_options(cert=files["cert"], key=files["key"], cname="API.example.test.")
    assert s.status == "Enabled" and s.cname == "api.example.test"
    assert s.cert_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert isinstance(s.key, Secret) and b"PRIVATE KEY" in s.key.reveal()
    assert "PRIVATE" not in repr(s) and "PRIVATE" not in str(s.to_dict())


def test_encrypted_key_needs_the_password(files):
    with pytest.raises(InputError, match=r"locked\.pem"):
        settings_from_options(cert=files["cert"], key=files["locked"], cname="api.example.test")
    s = settings_from_options(cert=files["cert"], key=files["locked"], cname="api.example.test",
                              password=b"s3cret")
    assert s.key is not None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cert": "c.pem"}, "also need"),
        ({"cert": "c.pem", "key": "k.pem"}, "--cname"),
        ({"leaf_domain_label": "a", "cname": "a.b.test"}, "cannot be combined"),
        ({"overwrite_existing_domain": True}, "only applies with --leaf-domain-label"),
        ({}, "say which certificate"),
        ({"leaf_domain_label": "9lives"}, "starting with a letter"),
        ({"leaf_domain_label": "has.dot"}, "one DNS label"),
        ({"disable": True, "leaf_domain_label": "a"}, "disable takes no certificate options"),
        ({"renew": True}, "needs the target's current settings"),
        ({"renew": True, "current": SslSettings(status="Enabled")},
         "only applies when TLS is Auto"),
        ({"renew": True, "current": AUTO, "leaf_domain_label": "other"}, "keeps the name"),
        ({"renew": True, "current": AUTO, "leaf_domain_label": "contoso",
          "overwrite_existing_domain": True}, "drop --overwrite-existing-domain"),
        ({"renew": True, "current": AUTO, "cert": "c.pem"}, "update with the new --cert"),
    ],
)
def test_invalid_combinations_are_one_line_input_errors(options, message):
    with pytest.raises(InputError, match=message) as info:
        settings_from_options(**options)
    assert "\n" not in str(info.value)


def test_bad_cname_and_unreadable_files(files, tmp_path):
    with pytest.raises(InputError, match="not a DNS name"):
        settings_from_options(cert=files["cert"], key=files["key"], cname="not a name")
    with pytest.raises(InputError, match=r"missing\.pem"):
        settings_from_options(cert=tmp_path / "missing.pem", key=files["key"],
                              cname="api.example.test")


def test_renew_keeps_the_label_and_disable_is_bare():
    s = settings_from_options(renew=True, current=AUTO)
    assert (s.status, s.leaf_domain_label, s.renew) == ("Auto", "contoso", True)
    assert settings_from_options(renew=True, current=AUTO, leaf_domain_label="contoso") == s
    assert settings_from_options(disable=True) == SslSettings(status="Disabled")
