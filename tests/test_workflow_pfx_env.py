"""``enable --cert bundle.pfx`` without ``--key`` (the key comes from the PKCS#12), and the
password variable named by ``--password-env`` never reaches the daemons it starts."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from jupyter_mlssl import local
from jupyter_mlssl.cli import main
from jupyter_mlssl.targets.local import nameserver
from tests.localtarget import deployed, tiny_model_bytes

PASSWORD = "pfx-pass-7f3a"


def _environ(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as fh:
        pairs = [item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def _pfx(pki, tmp_path, name: str):
    root = pki.root()
    leaf = pki.leaf(root, [name])
    data = pkcs12.serialize_key_and_certificates(
        b"api", leaf.key, leaf.cert, None, BestAvailableEncryption(PASSWORD.encode()))
    path = tmp_path / "bundle.pfx"
    path.write_bytes(data)
    return path, leaf, root


def test_enable_with_a_pfx_and_no_key_then_daemons_lack_the_password(pki, tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setenv("TLSKEY_PW", PASSWORD)            # a name that does not say "password"
    monkeypatch.setenv("MY_DB_PASSWORD", "other-secret")  # one that does
    with deployed("iris") as target:
        bundle, leaf, root = _pfx(pki, tmp_path, "api.mlssl.test")
        ca = root.write_cert(tmp_path / "root.pem")
        nameserver.stop()  # started again by the change below, from this environment
        code = main(["enable", "local://iris", "--cert", str(bundle), "--cname",
                     "api.mlssl.test", "--password-env", "TLSKEY_PW", "--ca-bundle", str(ca),
                     "--json"])
        report = json.loads(capsys.readouterr().out)
        assert code == 0, report.get("message")
        assert report["outcome"] == "applied"
        status = target.status()
        assert (status.ssl.status, status.fqdn) == ("Enabled", "api.mlssl.test")
        served = status.certificate_fingerprint.replace(":", "").lower()
        assert served.endswith(leaf.cert.fingerprint(hashes.SHA256()).hex())
        assert PASSWORD not in json.dumps(report)

        dns_pid = (json.loads((nameserver.dns_dir() / "daemon.json").read_text()))["pid"]
        local.deploy("other", model=tiny_model_bytes())  # a service started after the change
        service_pid = json.loads((target.dir.parent / "other" / "service.json").read_text())["pid"]
        for pid in (dns_pid, service_pid):
            environ = _environ(pid)
            assert "MLSSL_HOME" in environ  # the environment is passed on...
            assert "TLSKEY_PW" not in environ  # ...without the named password variable
            assert "MY_DB_PASSWORD" not in environ  # ...nor one that says it is a password
            assert PASSWORD not in "".join(environ.values())


def test_a_certificate_without_a_key_still_asks_for_key(pki, tmp_path, capsys):
    root = pki.root()
    leaf = pki.leaf(root, ["api.mlssl.test"])
    cert = leaf.write_cert(tmp_path / "leaf.pem")
    with deployed("iris"):
        code = main(["enable", "local://iris", "--cert", str(cert), "--cname", "api.mlssl.test"])
    assert code == 2
    assert "also need(s) --key" in capsys.readouterr().err
