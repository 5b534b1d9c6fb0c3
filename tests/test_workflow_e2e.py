"""End to end on the local target: deploy, enable (Auto), probe + DNS, custom certificate,
renew, disable, history. Real service process, real DNS daemon, real probes."""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl

import pytest

from jupyter_mlssl.change.settings import settings_from_options
from jupyter_mlssl.change.workflow import change
from jupyter_mlssl.cli import main
from jupyter_mlssl.dns import check_dns
from jupyter_mlssl.errors import ConfirmationRequired
from jupyter_mlssl.probing import probe
from jupyter_mlssl.store import history
from jupyter_mlssl.targets.base import SslSettings
from jupyter_mlssl.targets.local import nameserver

AUTO_NAME = re.compile(r"^iris[a-z0-9]{6}\.local\.mlssl\.test$")


def cli(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def https_score(target, ca_file: str) -> list:
    """POST /score over HTTPS, verifying the name against ``ca_file``, connecting to loopback."""
    fqdn, port = target.status().fqdn, target._runtime()["https_port"]
    context = ssl.create_default_context(cafile=ca_file)
    conn = http.client.HTTPSConnection(fqdn, port, context=context, timeout=10)
    conn.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                    server_hostname=fqdn)
    try:
        conn.request("POST", "/score", body=b'{"data": [[0, 0], [3, 3]]}',
                     headers={"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def test_deploy_enable_custom_renew_disable_history(local_target, pki, tmp_path, capsys):
    # -- enable: Auto, a certificate from the local CA for <label><6 chars>.local.mlssl.test
    code, report = cli(capsys, "enable", "local://iris", "--leaf-domain-label", "iris")
    assert code == 0, report
    assert report["outcome"] == "applied"
    checks = {c["check"]: c for c in report["verification"]["checks"]}
    assert checks["dns"]["verdict"] == "ok" and checks["probe"]["verdict"] == "ok"
    assert checks["certificate"]["verdict"] == "current"

    status = local_target.status()
    fqdn = status.fqdn
    assert AUTO_NAME.match(fqdn) and status.ssl.status == "Auto"
    endpoint = local_target.endpoint(status)
    assert endpoint.url == f"https://{fqdn}:{local_target._runtime()['https_port']}/"
    probed = probe(endpoint.url, ca_bundle=endpoint.ca_bundle, resolve=endpoint.resolve,
                   redirect_port=None).results[0]
    assert probed.verdict == "ok", probed.error
    assert check_dns(fqdn, expect="127.0.0.1", nameservers=endpoint.nameservers).verdict == "ok"
    assert https_score(local_target, endpoint.ca_bundle) == [0, 1]
    first_cert = status.certificate_fingerprint

    # -- the same label again changes nothing; a dry run shows a plan and changes nothing
    code, report = cli(capsys, "update", "local://iris", "--leaf-domain-label", "iris")
    assert (code, report["outcome"]) == (0, "unchanged")
    code, report = cli(capsys, "update", "local://iris", "--leaf-domain-label", "iris",
                       "--overwrite-existing-domain", "--dry-run")
    assert (code, report["outcome"]) == (0, "dry_run")
    assert {c["field"] for c in report["plan"]["changes"]} >= {"dns name", "certificate"}
    assert local_target.status().fqdn == fqdn

    # -- update to a custom certificate for another name (inside the local zone: published)
    root = pki.root()
    leaf = pki.leaf(root, ["api.mlssl.test"])
    chain, key = leaf.write_chain(tmp_path / "chain.pem"), leaf.write_key(tmp_path / "key.pem")
    bundle = root.write_cert(tmp_path / "root.pem")
    code, report = cli(capsys, "update", "local://iris", "--cert", str(chain), "--key", str(key),
                       "--cname", "api.mlssl.test", "--ca-bundle", str(bundle))
    assert code == 0, report["message"]
    assert report["outcome"] == "applied"
    status = local_target.status()
    assert (status.ssl.status, status.fqdn, status.ssl.cname) == (
        "Enabled", "api.mlssl.test", "api.mlssl.test")
    endpoint = local_target.endpoint(status)
    assert probe(endpoint.url, ca_bundle=str(bundle), resolve=endpoint.resolve,
                 redirect_port=None).results[0].verdict == "ok"
    assert "PRIVATE" not in json.dumps(report)

    # -- back to Auto with the same label: the name it had is kept (as on Azure)
    back = change(local_target, settings_from_options(leaf_domain_label="iris"))
    assert back.outcome == "applied", back.summary()
    assert local_target.status().fqdn == fqdn

    # -- renew: a new certificate, the same name
    code, report = cli(capsys, "update", "local://iris", "--renew")
    assert (code, report["outcome"], report["action"]) == (0, "applied", "renew")
    renewed = local_target.status()
    assert renewed.fqdn == fqdn
    assert renewed.certificate_fingerprint not in (first_cert, back.after.certificate_fingerprint)

    # -- disable: needs confirmation; then HTTPS stops and plain HTTP still scores
    with pytest.raises(ConfirmationRequired, match="--yes"):
        change(local_target, SslSettings(status="Disabled"), action="disable")
    refused = change(local_target, SslSettings(status="Disabled"), action="disable",
                     confirm=lambda question: False)
    assert refused.outcome == "refused" and refused.exit_status == 1
    asked: list[str] = []
    done = change(local_target, SslSettings(status="Disabled"), action="disable",
                  confirm=lambda question: asked.append(question) or True)
    assert done.outcome == "applied", done.summary()
    assert "HTTPS clients will fail" in asked[0]
    checks = {c.check: c for c in done.verification.checks}
    assert checks["tls off"].verdict in ("refused", "not_tls")
    assert checks["plain http"].passed
    assert local_target.status().ssl.status == "Disabled"
    off = probe(endpoint.url.replace("api.mlssl.test", fqdn), resolve=(
        f"{fqdn}:{local_target._runtime()['https_port']}:127.0.0.1",), redirect_port=None)
    assert off.results[0].verdict in ("refused", "not_tls")

    # -- history: every step, newest first; no key material anywhere
    code, report = cli(capsys, "history", "local://iris")
    rows = [(e["action"], e["outcome"]) for e in report["entries"]]
    assert rows == [
        ("disable", "applied"), ("disable", "refused"), ("renew", "applied"),
        ("update", "applied"), ("update", "applied"), ("enable", "applied"),
        ("deploy", "applied"),
    ]
    assert all(e["user"] for e in report["entries"])
    assert report["entries"][2]["before_fingerprint"] != report["entries"][2][
        "after_fingerprint"]
    assert "PRIVATE KEY" not in history.db_path().read_bytes().decode("latin-1")
    assert history.expiries() == []  # TLS is off now


def test_status_reports_names_and_expiry(local_target, capsys):
    change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"))
    code, report = cli(capsys, "status", "local://iris")
    assert code == 0
    assert report["tls"] == "Auto" and AUTO_NAME.match(report["fqdn"])
    assert 85 <= report["days_left"] <= 90
    assert any("local CA" in note for note in report["notes"])
    expiries = history.expiries()
    assert expiries[0]["target"] == "local://iris" and expiries[0]["fqdn"] == report["fqdn"]


def test_overwrite_draws_a_new_name_and_retires_the_old_one(local_target):
    change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"))
    old = local_target.status().fqdn
    report = change(local_target, SslSettings(status="Auto", leaf_domain_label="iris",
                                              overwrite_existing_domain=True))
    assert report.outcome == "applied", report.summary()
    new = local_target.status().fqdn
    assert new != old and AUTO_NAME.match(new)
    ns = (f"127.0.0.1:{nameserver.running_port()}",)
    assert check_dns(old, expect="127.0.0.1", nameservers=ns).verdict == "not_found"
    assert check_dns(new, expect="127.0.0.1", nameservers=ns).verdict == "ok"


def test_stop_removes_names_and_the_last_stop_ends_dns(local_target):
    from jupyter_mlssl import local
    from jupyter_mlssl.store.pids import pid_alive

    change(local_target, SslSettings(status="Auto", leaf_domain_label="iris"))
    daemon = json.loads((nameserver.dns_dir() / "daemon.json").read_text())
    assert pid_alive(daemon["pid"])
    local.stop("iris")
    assert not pid_alive(daemon["pid"])
    assert history.expiries() == []
