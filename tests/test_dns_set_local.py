"""``dns set`` and ``enable --dns-zone`` on the local target, end to end: a real service, the
real local nameserver, real TLS; the name resolves through the nameserver and the probe
passes, or both changes are undone."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from jupyter_mlssl.change import workflow
from jupyter_mlssl.change.dns_change import change_with_dns, dns_set
from jupyter_mlssl.commands import Context, run
from jupyter_mlssl.errors import OperationError
from jupyter_mlssl.parser import build_parser
from jupyter_mlssl.store import history
from jupyter_mlssl.targets.base import SslSettings
from jupyter_mlssl.targets.local import nameserver
from tests.localtarget import local_target  # noqa: F401  (the fixture)

NAME = "api.contoso.test"  # outside the local zone: only `dns set` publishes it


def custom(pki, tmp_path, name: str = NAME):
    root = pki.root()
    leaf = pki.leaf(root, [name])
    bundle = root.write_cert(tmp_path / "root.pem")
    return SslSettings(status="Enabled", cname=name, cert_pem=leaf.pem.decode(),
                       key=leaf.key_pem()), str(bundle)


def resolve_locally(name: str) -> list[str]:
    from jupyter_mlssl.change.dns_change import ask

    port = nameserver.running_port()
    assert port, "the local nameserver is not running"
    return ask(f"{nameserver.LOOPBACK}:{port}", name, "A")[0]


def score(uri: str) -> int:
    request = urllib.request.Request(uri, data=json.dumps({"data": [[0, 0]]}).encode(),
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=15) as response:
        return int(response.status)


def test_enable_with_dns_zone_then_disable(local_target, pki, tmp_path):  # noqa: F811
    desired, bundle = custom(pki, tmp_path)
    report = change_with_dns(local_target, desired, zone="local", yes=True, ca_bundle=bundle,
                             timeout=30)
    assert report.tls.outcome == "applied", report.tls.message
    assert report.dns.outcome == "applied", report.dns.message
    assert report.tls.verification.passed  # the probe, through the name just published
    assert resolve_locally(NAME) == ["127.0.0.1"]
    assert any(row[3] == "ok" and "authoritative" in row[1] for row in report.dns.checks)
    rows = history.entries(target=local_target.id, limit=5).entries
    assert [r["action"] for r in rows][:2] == ["dns set", "enable"]
    off = workflow.change(local_target, SslSettings(status="Disabled"), yes=True, timeout=30)
    assert off.outcome == "applied", off.message
    assert score(local_target.status().scoring_uri) == 200


def test_dns_part_failing_undoes_both(local_target, pki, tmp_path):  # noqa: F811
    from jupyter_mlssl.targets.local.dnsserver import DnsServer

    desired, bundle = custom(pki, tmp_path)
    with DnsServer() as stale:  # "authoritative" servers that never learn the name
        report = change_with_dns(local_target, desired, zone="local", yes=True,
                                 ca_bundle=bundle, authoritative=[stale.address],
                                 verify_timeout=1, timeout=30)
    assert report.dns.outcome == "rolled_back", report.dns.message
    assert report.tls.outcome == "rolled_back", report.tls.message
    status = local_target.status()
    assert status.ssl.status == "Disabled"  # the service answers as before
    assert score(status.scoring_uri) == 200
    assert resolve_locally(NAME) == []  # the record is gone again
    assert nameserver.get_records(NAME, "A") is None


def test_dns_set_verb_on_the_local_target(local_target):  # noqa: F811
    args = build_parser().parse_args(["dns", "set", local_target.id, "--zone", "local",
                                      "--name", "score.contoso.test", "--ttl", "30"])
    report = run(args, Context())
    assert report.outcome == "applied", report.message
    assert resolve_locally("score.contoso.test") == ["127.0.0.1"]
    assert nameserver.get_records("score.contoso.test", "A") == (30, ["127.0.0.1"])
    # replacing a record asks first; a dry run changes nothing
    nameserver.set_records("other.contoso.test", "A", ["192.0.2.1"])
    dry = dns_set(local_target, zone="local", name="other.contoso.test", dry_run=True)
    assert dry.outcome == "dry_run" and dry.plan.steps[0].before == "192.0.2.1"
    assert nameserver.get_records("other.contoso.test", "A") == (60, ["192.0.2.1"])
    # someone else changes it between our read and our write: refused, theirs stays
    held = nameserver.get_records("other.contoso.test", "A")
    nameserver.set_records("other.contoso.test", "A", ["192.0.2.2"])
    with pytest.raises(OperationError, match=r"changed meanwhile.*192\.0\.2\.2"):
        nameserver.set_records("other.contoso.test", "A", ["127.0.0.1"], expect=held)


def test_txt_records_are_served(local_target):  # noqa: F811
    from jupyter_mlssl.change.dns_change import ask

    nameserver.ensure_running()
    nameserver.set_records("_acme-challenge.api.contoso.test", "TXT", ["tok-1", "tok-2"])
    port = nameserver.running_port()
    deadline = time.monotonic() + 3
    values: list[str] = []
    while time.monotonic() < deadline and len(values) < 2:
        values = ask(f"127.0.0.1:{port}", "_acme-challenge.api.contoso.test", "TXT")[0]
        time.sleep(0.1)
    assert sorted(values) == ['"tok-1"', '"tok-2"']


def test_apply_yaml_with_dns_zone(local_target, pki, tmp_path):  # noqa: F811
    root = pki.root()
    leaf = pki.leaf(root, [NAME])
    cert, key = leaf.write_cert(tmp_path / "c.pem"), leaf.write_key(tmp_path / "k.pem")
    bundle = root.write_cert(tmp_path / "root.pem")
    cell = (f"status: enabled\ncname: {NAME}\ncert: {cert}\nkey: {key}\n"
            "dns_zone: local\ndns_ttl: 45\n")
    args = build_parser().parse_args(["apply", local_target.id, "--yes",
                                      "--ca-bundle", str(bundle)])
    report = run(args, Context(cell=cell))
    assert report.tls.outcome == "applied", report.tls.message
    assert report.dns.outcome == "applied", report.dns.message
    assert nameserver.get_records(NAME, "A") == (45, ["127.0.0.1"])
    text = repr(report)
    assert "dns set" in text and "authoritative" in text and "PRIVATE KEY" not in text
