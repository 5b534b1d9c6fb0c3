"""Issuance against pebble: one name, several names, through ``mlssl cert acme``."""

from __future__ import annotations

import os
import stat

from cryptography import x509

from jupyter_mlssl.cli import main
from jupyter_mlssl.targets.local import nameserver


def _acme(pebble, eab_env, tmp_path, *names):
    first, *more = names
    argv = ["cert", "acme", "--cname", first, "--dns", "local://iris",
            "--directory", pebble.directory, "--acme-ca-bundle", pebble.ca_bundle, *eab_env,
            "--out-cert", str(tmp_path / "cert.pem"), "--out-key", str(tmp_path / "key.pem")]
    for name in more:
        argv += ["--san", name]
    return main(argv)


def _sans(path):
    leaf = x509.load_pem_x509_certificate(path.read_bytes())
    return sorted(leaf.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))


def test_one_name(pebble, eab_env, tmp_path, capsys):
    assert _acme(pebble, eab_env, tmp_path, "api.local.mlssl.test") == 0
    out = capsys.readouterr()
    assert _sans(tmp_path / "cert.pem") == ["api.local.mlssl.test"]
    assert stat.S_IMODE(os.stat(tmp_path / "key.pem").st_mode) == 0o600
    assert "/my-order/" in out.out  # the order URL is reported
    key = (tmp_path / "key.pem").read_text()
    assert "PRIVATE KEY" in key and "PRIVATE KEY" not in out.out + out.err
    assert pebble.eab_hmac not in out.out + out.err
    # the challenge record is gone afterwards
    assert nameserver.records("_acme-challenge.api.local.mlssl.test", "TXT") == []


def test_several_names_share_one_account(pebble, eab_env, tmp_path):
    names = ["a.local.mlssl.test", "b.local.mlssl.test", "c.example.test"]
    assert _acme(pebble, eab_env, tmp_path, *names) == 0
    assert _sans(tmp_path / "cert.pem") == sorted(names)
    chain = (tmp_path / "cert.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2  # leaf and pebble's intermediate
    # a second order reuses the account: still one account key, 0600
    (tmp_path / "again").mkdir()
    assert _acme(pebble, eab_env, tmp_path / "again", names[0]) == 0
    from jupyter_mlssl.store.paths import state_dir

    keys = list((state_dir() / "acme" / "accounts").glob("*/key.pem"))
    assert len(keys) == 1 and stat.S_IMODE(os.stat(keys[0]).st_mode) == 0o600
    for name in names:
        assert nameserver.records(f"_acme-challenge.{name}", "TXT") == []


def test_an_account_the_ca_forgot_is_registered_again(pebble, eab_env, tmp_path):
    """A stored account URL the CA no longer knows (a test CA restarted): the order is placed
    after registering the same key again, and the new URL is kept."""
    import json

    from jupyter_mlssl.store.paths import state_dir

    assert _acme(pebble, eab_env, tmp_path, "api.local.mlssl.test") == 0
    (info,) = (state_dir() / "acme" / "accounts").glob("*/account.json")
    known = json.loads(info.read_text())["uri"]
    forgotten = known.rsplit("/", 1)[0] + "/999999"
    info.write_text(json.dumps({**json.loads(info.read_text()), "uri": forgotten}))
    (tmp_path / "again").mkdir()
    assert _acme(pebble, eab_env, tmp_path / "again", "api.local.mlssl.test") == 0
    assert json.loads(info.read_text())["uri"] not in (None, forgotten)
    assert _sans(tmp_path / "again" / "cert.pem") == ["api.local.mlssl.test"]
