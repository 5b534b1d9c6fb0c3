"""``mlssl fleet --local`` and ``mlssl watch --local [--renew]`` on a real local target: the
CLI's exit statuses, one log line per finding, and a renewal through the seam (today
``update TARGET --renew``; the ``renew`` verb once it exists)."""

from __future__ import annotations

import json

from jupyter_mlssl.cli import main
from jupyter_mlssl.fleet import renewal


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_fleet_and_watch_local(local_target, capsys, monkeypatch):
    code, out = run_cli(capsys, "fleet", "--local", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [(r["target"], r["kind"], r["tls"]) for r in rows] == [
        ("local://iris", "local", "Disabled")]
    assert rows[0]["verdict"] == "plain_http"

    assert main(["enable", "local://iris", "--leaf-domain-label", "iris", "--yes"]) == 0
    capsys.readouterr()
    code, out = run_cli(capsys, "fleet", "--local", "--probe", "--json")
    row = json.loads(out)["rows"][0]
    assert (code, row["verdict"], row["probe"], row["cert_kind"]) == (0, "ok", "ok",
                                                                     "Microsoft")
    assert row["renewal_due"] and row["last_change"].endswith("enable applied")

    code, out = run_cli(capsys, "watch", "--local")
    assert code == 0 and out.strip().splitlines()[-1] == "checked 1 endpoints: exit 0"

    # make every certificate due (renewal at once) to see the exit status and the renewal
    monkeypatch.setattr(renewal, "renewal_point", lambda nb, na: nb)
    code, out = run_cli(capsys, "watch", "local://iris")
    assert code == 1 and out.startswith("due local://iris kind=local")
    before = local_target.status().certificate_fingerprint
    code, out = run_cli(capsys, "watch", "--local", "--renew", "--json")
    report = json.loads(out)
    assert code == 0, report
    assert [f["event"] for f in report["findings"]] == ["renewed"]
    after = local_target.status().certificate_fingerprint
    assert after and after != before
    code, out = run_cli(capsys, "history", "local://iris", "--json")
    assert json.loads(out)["entries"][0]["action"] == "renew"


def test_watch_unknown_target_is_an_error(capsys, tmp_path):
    code, out = run_cli(capsys, "watch", "local://nosuch")
    assert code == 2 and out.startswith("error local://nosuch")


def test_status_bar_expiries_merge_history_and_fleet_cache(tmp_path):
    import datetime as dt

    from jupyter_mlssl.fleet import cache

    now = dt.datetime(2026, 12, 5, tzinfo=dt.timezone.utc)
    history_rows = [{"target": "local://a", "fqdn": "a.test", "days_left": 50,
                     "not_after": "2027-01-24T00:00:00+00:00", "fingerprint": "aa"},
                    {"target": "/subscriptions/s/X/onlineEndpoints/renewed", "fqdn": "r",
                     "days_left": 80, "not_after": "2027-02-23T00:00:00+00:00",
                     "fingerprint": "bb"}]
    assert cache.merged_expiries(history_rows, now) == (
        [{**history_rows[0], "source": "history"}, {**history_rows[1], "source": "history"}],
        None)
    generated = now - dt.timedelta(hours=3)
    cache.write(generated, [
        {"target": "/subscriptions/s/x/onlineEndpoints/renewed", "fqdn": "r",  # older cert
         "not_after": "2026-12-20T00:00:00+00:00", "days_left": 18, "verdict": "due"},
        {"target": "/subscriptions/s/x/onlineEndpoints/far", "fqdn": "f",
         "not_after": "2026-12-10T00:00:00+00:00", "days_left": 8, "verdict": "ok"},
    ])
    merged, info = cache.merged_expiries(history_rows, now)
    assert [(e["target"].rsplit("/", 1)[-1], e["source"], e["days_left"]) for e in merged] == [
        ("far", "fleet", 5), ("a", "history", 50), ("renewed", "history", 80)]
    assert info == {"generated": generated.isoformat(), "endpoints": 2, "age_seconds": 10800}


def test_without_the_fleet_extra_the_error_says_what_to_install(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "httpx", None)  # as if httpx were not installed
    code = main(["fleet"])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'jupyter-mlssl[azure,fleet]'" in err and "--local" in err


def _rfc3339(when) -> str:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def test_an_acme_certificate_is_due_by_its_cas_window_in_fleet_and_watch(
        local_target, pki, tmp_path, capsys):
    """A certificate this machine ordered by ACME: the fleet row says ACME and takes its
    renewal time from the CA's window (RFC 9773), so watch calls it due exactly when renew
    would act; with a window that opens in three days it is not due, though the lifetime
    rule would say otherwise for a short certificate, and the other way round."""
    import datetime as dt

    from jupyter_mlssl.acme import renewal as acme_renewal
    from tests.acme.fake_ca import FakeCa
    from tests.pki import write_bundle

    name = "api.mlssl.test"
    root = pki.root()
    leaf = pki.leaf(root, [name])
    (tmp_path / "chain.pem").write_bytes(leaf.pem)
    (tmp_path / "key.pem").write_bytes(leaf.key_pem())
    bundle = str(write_bundle(tmp_path / "root.pem", [root]))
    assert main(["enable", "local://iris", "--cert", str(tmp_path / "chain.pem"), "--key",
                 str(tmp_path / "key.pem"), "--cname", name, "--ca-bundle", bundle,
                 "--yes"]) == 0
    capsys.readouterr()
    now = dt.datetime.now(dt.timezone.utc)
    lifetime_due = leaf.cert.not_valid_after_utc - (
        leaf.cert.not_valid_after_utc - leaf.cert.not_valid_before_utc) / 3
    assert lifetime_due > now + dt.timedelta(days=3)  # by the lifetime rule: not due

    # a window that has passed (the client picks a random time inside it): due now
    opens, closes = now - dt.timedelta(hours=2), now - dt.timedelta(hours=1)
    with FakeCa("ari", window=(_rfc3339(opens), _rfc3339(closes))) as ca:
        acme_renewal.remember("local://iris", {
            "names": [name], "directory": ca.directory, "dns": "local://iris",
            "certificate": leaf.pem.decode()})
        code, out = run_cli(capsys, "fleet", "--local", "--probe", "--ca-bundle", bundle,
                            "--json")
        row = json.loads(out)["rows"][0]
        assert (row["cert_kind"], row["probe"], row["verdict"]) == ("ACME", "ok", "due")
        due = dt.datetime.fromisoformat(row["renewal_due"])
        assert opens - dt.timedelta(seconds=1) <= due <= closes
        code, out = run_cli(capsys, "watch", "local://iris", "--ca-bundle", bundle)
        assert code == 1 and out.startswith("due local://iris"), out
        asked = [p for m, p in ca.requests if p.startswith("/renewal-info/")]
        assert len(asked) == 2  # one lookup per run, one directory client each

    later = now + dt.timedelta(days=3)
    with FakeCa("ari", window=(_rfc3339(later), _rfc3339(later + dt.timedelta(hours=2)))) as ca:
        acme_renewal.remember("local://iris", {
            "names": [name], "directory": ca.directory, "dns": "local://iris",
            "certificate": leaf.pem.decode()})
        code, out = run_cli(capsys, "watch", "local://iris", "--ca-bundle", bundle, "--json")
    report = json.loads(out)
    assert (code, report["checked"], report["findings"]) == (0, 1, []), out


def test_a_replaced_acme_certificate_keeps_the_lifetime_rule(local_target, pki, tmp_path,
                                                               capsys):
    """The remembered order's certificate is no longer served (someone installed another):
    its CA's window says nothing about the one served, so no lookup is made for it."""
    from jupyter_mlssl.acme import renewal as acme_renewal
    from tests.acme.fake_ca import FakeCa

    assert main(["enable", "local://iris", "--leaf-domain-label", "iris", "--yes"]) == 0
    capsys.readouterr()
    other = pki.leaf(pki.root(), ["api.mlssl.test"])
    with FakeCa("ari", window=("2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z")) as ca:
        acme_renewal.remember("local://iris", {
            "names": ["api.mlssl.test"], "directory": ca.directory,
            "certificate": other.pem.decode()})
        code, out = run_cli(capsys, "fleet", "--local", "--probe", "--json")
        assert not [p for m, p in ca.requests if p.startswith("/renewal-info/")]
    row = json.loads(out)["rows"][0]
    assert (code, row["verdict"], row["probe"], row["cert_kind"]) == (0, "ok", "ok",
                                                                     "Microsoft"), row
    assert row["renewal_due"] > "2026", row  # a third of the served one's lifetime


def test_rows_are_judged_at_the_reports_moment_not_when_rendered(local_target, capsys):
    import datetime as dt

    from jupyter_mlssl.fleet import fleet

    assert main(["enable", "local://iris", "--leaf-domain-label", "iris", "--yes"]) == 0
    capsys.readouterr()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3650)
    report = fleet(local=True, azure=False, now=later, write_cache=False)
    row = report.rows[0]
    assert (row.verdict, row.to_dict()["verdict"], row.as_of) == ("expired", "expired", later)
    assert report.to_dict()["counts"] == {"expired": 1}
