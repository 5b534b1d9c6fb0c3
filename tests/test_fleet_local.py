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
    monkeypatch.setattr(renewal, "third_of_lifetime", lambda nb, na, pem=None: nb)
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
