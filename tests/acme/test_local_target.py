"""The local target end to end: deploy, ``enable --acme``, probe ok with pebble's root as the
trust store, ``renew``, and the history shows both orders; no key anywhere it should not be."""

from __future__ import annotations

import json

import pytest

from jupyter_mlssl.cli import main
from tests.localtarget import local_target  # noqa: F401 (the fixture)

CNAME = "api.local.mlssl.test"


def test_enable_acme_probe_renew_history(local_target, pebble, eab_env,  # noqa: F811
                                         tmp_path, capsys):
    from jupyter_mlssl import api
    from jupyter_mlssl.store import history
    from jupyter_mlssl.store.paths import state_dir

    roots = tmp_path / "pebble-roots.pem"
    roots.write_text(pebble.roots_pem())
    acme = ["--dns", local_target.id, "--directory", pebble.directory,
            "--acme-ca-bundle", pebble.ca_bundle, *eab_env]
    assert main(["enable", local_target.id, "--acme", "--cname", CNAME, *acme, "--yes",
                 "--ca-bundle", str(roots)]) == 0
    status = local_target.status()
    assert status.https_uri and CNAME in status.https_uri
    report = api.probe(status.https_uri, ca_bundle=str(roots),
                       resolve=[f"{CNAME}:{status.https_uri.rsplit(':', 1)[1].split('/')[0]}"
                                ":127.0.0.1"])
    assert report.results[0].verdict == "ok", report

    capsys.readouterr()
    assert main(["renew", local_target.id, "--yes", "--json"]) == 0  # not due: 1/3 left rule
    shown = json.loads(capsys.readouterr().out)
    import datetime as dt

    due = dt.datetime.fromisoformat(shown["due"])
    not_after = dt.datetime.fromisoformat(status.certificate_not_after)
    assert shown["outcome"] == "not_due"
    # pebble's certificates here last an hour: due when 20 minutes are left
    assert abs((not_after - due).total_seconds() - 1200) < 5
    assert main(["renew", local_target.id, "--force", "--yes", "--ca-bundle", str(roots)]) == 0
    out = capsys.readouterr()
    rows = history.entries(target=local_target.id, limit=20).entries
    orders = [r for r in rows if r["action"].startswith("acme order")]
    assert len(orders) == 2 and all("/my-order/" in r["message"] for r in orders)
    assert orders[0]["after_fingerprint"] != orders[1]["after_fingerprint"]
    assert {r["action"] for r in rows} >= {"enable", "renew"}

    # no private key or account key in the output, the history or the managed-order record
    dumped = out.out + out.err + json.dumps(rows, default=str)
    managed = "".join(p.read_text() for p in (state_dir() / "acme" / "managed").glob("*"))
    for text in (dumped, managed):
        assert "PRIVATE KEY" not in text and pebble.eab_hmac not in text
    account_key = next((state_dir() / "acme" / "accounts").glob("*/key.pem")).read_text()
    body = account_key.strip().splitlines()[1]
    assert body not in dumped and body not in managed
    # nor in any log: the local daemons', pebble's
    logs = [*state_dir().rglob("*.log"), pebble.workdir / "pebble.log"]
    assert logs
    for log in logs:
        text = log.read_text(errors="replace")
        assert "PRIVATE KEY" not in text and body not in text, log
        assert pebble.eab_hmac not in text, log


def test_renew_own_certificate_says_how(local_target, tmp_path, capsys):  # noqa: F811
    from jupyter_mlssl.pki import minting

    cert, key = minting.self_signed(CNAME, days=30)
    (tmp_path / "c.pem").write_text(minting.cert_pem(cert))
    minting.write_private(tmp_path / "k.pem", minting.key_pem(key))
    main(["enable", local_target.id, "--cert", str(tmp_path / "c.pem"), "--key",
          str(tmp_path / "k.pem"), "--cname", CNAME, "--yes", "--no-verify"])
    capsys.readouterr()
    assert main(["renew", local_target.id, "--yes"]) == 1
    err = capsys.readouterr().err
    assert "cannot renew" in err and "mlssl cert csr --cname" in err


@pytest.mark.parametrize("lifetime_days", [90, 6])
def test_renewal_due_at_a_third_left(lifetime_days):
    import datetime as dt

    from jupyter_mlssl.acme.renewal import renewal_due
    from jupyter_mlssl.pki import minting

    cert, _key = minting.self_signed("x.example.test", days=lifetime_days)
    due = renewal_due(minting.cert_pem(cert))
    left = cert.not_valid_after_utc - due
    assert abs(left - dt.timedelta(days=lifetime_days) / 3) < dt.timedelta(seconds=2)


def test_renewal_due_follows_the_ari_window():
    import datetime as dt

    from jupyter_mlssl.acme.renewal import renewal_due
    from jupyter_mlssl.pki import minting
    from tests.acme.fake_ca import FakeCa

    ca_cert, ca_key = minting.make_ca("ari test CA", days=30)
    leaf, _key = minting.issue_leaf(ca_cert, ca_key, ["x.example.test"], days=90)
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=3)
    end = start + dt.timedelta(hours=2)
    with FakeCa("ari", window=(start.isoformat().replace("+00:00", "Z"),
                               end.isoformat().replace("+00:00", "Z"))) as ca:
        due = renewal_due(minting.cert_pem(leaf), directory=ca.directory)
        asked = [path for method, path in ca.requests if path.startswith("/renewal-info/")]
    assert start <= due <= end  # inside the CA's window, not at a third of 90 days
    assert len(asked) == 1 and "." in asked[0]  # <AKI>.<serial>, RFC 9773 4.1


def test_renewal_due_without_a_reachable_ca_uses_the_lifetime():
    import socket

    from jupyter_mlssl.acme.renewal import renewal_due
    from jupyter_mlssl.pki import minting

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cert, _key = minting.self_signed("x.example.test", days=30)
    due = renewal_due(minting.cert_pem(cert), directory=f"http://127.0.0.1:{port}/dir")
    assert due == cert.not_valid_after_utc - (cert.not_valid_after_utc
                                              - cert.not_valid_before_utc) / 3


def test_renew_microsoft_provided_uses_the_targets_renew(local_target, capsys):  # noqa: F811
    from jupyter_mlssl.store import history

    assert main(["enable", local_target.id, "--leaf-domain-label", "iris", "--yes"]) == 0
    before = local_target.status()
    capsys.readouterr()
    assert main(["renew", local_target.id, "--yes"]) == 0, capsys.readouterr().err
    after = local_target.status()
    assert after.ssl.leaf_domain_label == before.ssl.leaf_domain_label
    assert after.certificate_not_after >= before.certificate_not_after
    rows = history.entries(target=local_target.id, limit=5).entries
    assert rows[0]["action"] == "renew" and rows[0]["outcome"] == "applied"
    assert rows[0]["before_fingerprint"] != rows[0]["after_fingerprint"]


def test_enable_acme_dry_run_orders_nothing(local_target, pebble, eab_env,  # noqa: F811
                                            capsys):
    assert main(["enable", local_target.id, "--acme", "--cname", CNAME, "--dns",
                 local_target.id, "--directory", pebble.directory, "--acme-ca-bundle",
                 pebble.ca_bundle, *eab_env, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Plan" in out and CNAME in out
    assert "/my-order/" not in (pebble.workdir / "pebble.log").read_text()
    assert local_target.status().ssl.status == "Disabled"


def test_enable_acme_with_dns_zone_points_the_name_too(local_target, pebble,  # noqa: F811
                                                       eab_env, tmp_path, capsys):
    """``--dns-zone local`` is ``dns set``'s zone: the name's record in the same plan, and,
    without ``--dns``, where the TXT records go."""
    from jupyter_mlssl.store import history

    roots = tmp_path / "roots.pem"
    roots.write_text(pebble.roots_pem())
    name = "shop.example.test"  # outside the local zone: only dns set points it
    assert main(["enable", local_target.id, "--acme", "--cname", name, "--dns-zone", "local",
                 "--directory", pebble.directory, "--acme-ca-bundle", pebble.ca_bundle,
                 *eab_env, "--yes", "--ca-bundle", str(roots)]) == 0, capsys.readouterr().err
    rows = history.entries(target=local_target.id, limit=5).entries
    assert [r["action"] for r in rows][:3] == ["dns set", "enable", "acme order (enable)"]
    from jupyter_mlssl.targets.local import nameserver

    assert nameserver.records(name, "A") == ["127.0.0.1"]
    assert nameserver.records(f"_acme-challenge.{name}", "TXT") == []
