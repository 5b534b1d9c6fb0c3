"""The audit log: every attempt recorded, never key material, expiries soonest first."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest

from jupyter_mlssl.store import history


def test_record_and_read_back_newest_first():
    history.record(target="local://a", action="enable", outcome="applied", after_status="Auto",
                   after_fingerprint="sha256:" + "ab" * 32,
                   after_not_after="2030-01-01T00:00:00Z", verification="passed")
    history.record(target="local://a", action="disable", outcome="refused",
                   message="not   confirmed;\n nothing was changed")
    history.record(target="local://b", action="enable", outcome="blocked")
    report = history.entries("local://a")
    assert [e["action"] for e in report.entries] == ["disable", "enable"]
    assert report.entries[0]["message"] == "not confirmed; nothing was changed"
    assert report.entries[1]["user"]  # the OS user is recorded
    assert report.entries[1]["time"].endswith("Z")
    frame = report.to_frame()
    assert list(frame["outcome"]) == ["refused", "applied"]
    assert "Auto sha256:abab" in frame["after"].iloc[1]
    assert len(history.entries().entries) == 3
    assert len(history.entries(limit=1).entries) == 1
    assert history.entries("local://nobody").entries == []
    assert "History of local://a" in repr(report)
    assert report.to_dict()["entries"][0]["outcome"] == "refused"


def test_latest_per_target_is_one_query_over_any_length_and_ignores_arm_id_case():
    assert history.latest_per_target() == {}
    ws = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.MachineLearningServices"
    for i in range(300):
        history.record(target="local://a", action="enable", outcome="applied", message=str(i))
    history.record(target=f"{ws}/workspaces/w/onlineEndpoints/E", action="enable",
                   outcome="applied")
    history.record(target=f"{ws.lower()}/workspaces/w/onlineendpoints/e", action="renew",
                   outcome="applied")
    latest = history.latest_per_target()
    assert sorted(latest) == [f"{ws.lower()}/workspaces/w/onlineendpoints/e", "local://a"]
    assert latest["local://a"]["message"] == "299"
    assert latest[f"{ws.lower()}/workspaces/w/onlineendpoints/e"]["action"] == "renew"


def test_no_certificate_or_key_text_is_ever_stored():
    pem = "-----BEGIN " + "PRIVATE KEY-----\nAAAA\n"
    with pytest.raises(ValueError):
        history.record(target="local://a", action="enable", outcome="applied",
                       after_fingerprint=pem)
    assert history.entries().entries == []


def test_expiries_latest_settled_state_per_target_soonest_first():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    history.record(target="local://far", action="enable", outcome="applied",
                   after_status="Auto", after_not_after="2026-06-01T00:00:00Z",
                   after_fingerprint="sha256:far", fqdn="far.local.mlssl.test")
    history.record(target="local://near", action="enable", outcome="applied",
                   after_status="Enabled", after_not_after="2026-01-11T00:00:00Z",
                   after_fingerprint="sha256:near", fqdn="near.example.test")
    history.record(target="local://off", action="enable", outcome="applied",
                   after_status="Auto", after_not_after="2026-02-01T00:00:00Z")
    history.record(target="local://off", action="disable", outcome="applied",
                   after_status="Disabled")
    # a blocked attempt or one that never reached the target says nothing about it
    history.record(target="local://near", action="update", outcome="blocked",
                   after_status="Enabled", after_not_after="2020-01-01T00:00:00Z")
    history.record(target="local://far", action="update", outcome="failed")
    found = history.expiries(now=now)
    assert [e["target"] for e in found] == ["local://near", "local://far"]
    assert found[0] == {"target": "local://near", "fqdn": "near.example.test",
                        "not_after": "2026-01-11T00:00:00Z", "days_left": 10,
                        "fingerprint": "sha256:near"}


def test_concurrent_writers_all_land():
    def write(i: int) -> None:
        for j in range(10):
            history.record(target=f"local://t{i}", action="enable", outcome="applied",
                           message=f"{i}-{j}")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sqlite3.connect(history.db_path()) as conn:
        assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 40


def test_started_rows_of_dead_processes_become_interrupted_live_ones_stay():
    import os
    import subprocess
    import sys

    mine = history.start(target="local://a", action="enable", before_status="Disabled",
                         message="started: enable TLS on local://a (certificate)")
    # a row left by a process that has ended (a real one: started, then reaped)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with sqlite3.connect(history.db_path()) as conn:
        conn.execute(
            "INSERT INTO attempts (time, target, action, outcome, message, owner) "
            "VALUES ('2026-01-01T00:00:00Z', 'local://b', 'update', 'started', "
            "'started: update TLS on local://b', ?)",
            (f"{history.socket.gethostname()}:{child.pid}:1",))
        # our own pid, but another start time: the pid was reused
        conn.execute(
            "INSERT INTO attempts (time, target, action, outcome, message, owner) "
            "VALUES ('2026-01-01T00:00:01Z', 'local://c', 'renew', 'started', 'started: x', ?)",
            (f"{history.socket.gethostname()}:{os.getpid()}:1",))
        # a process on another machine sharing the directory: cannot be judged from here
        conn.execute(
            "INSERT INTO attempts (time, target, action, outcome, message, owner) "
            "VALUES ('2026-01-01T00:00:02Z', 'local://d', 'renew', 'started', 'started: y', "
            "'elsewhere.example:1:1')")
    conn.close()
    assert history.reconcile() == 2
    rows = {e["target"]: e for e in history.entries().entries}
    assert rows["local://a"]["outcome"] == "started"  # this process is alive
    assert rows["local://b"]["outcome"] == "interrupted"
    assert rows["local://b"]["message"] == (
        f"interrupted: the process (pid {child.pid}) ended before the change was recorded; "
        "attempted: update TLS on local://b")
    assert rows["local://c"]["outcome"] == "interrupted"
    assert rows["local://d"]["outcome"] == "started"
    history.finish(mine, outcome="applied", after_status="Auto", verification="passed",
                   message="applied and verified")
    row = history.entries("local://a").entries
    assert len(row) == 1 and (row[0]["outcome"], row[0]["before_status"]) == ("applied",
                                                                               "Disabled")
    with pytest.raises(TypeError):
        history.finish(mine, owner="x")


def test_a_log_without_the_owner_column_is_upgraded(tmp_path):
    path = history.db_path()
    with sqlite3.connect(path) as conn:
        conn.executescript(history.SCHEMA.replace(",\n    owner TEXT", ""))
        conn.execute("INSERT INTO attempts (time, target, action, outcome) "
                     "VALUES ('2025-01-01T00:00:00Z', 'local://old', 'enable', 'applied')")
    conn.close()
    history.start(target="local://new", action="enable")
    assert [e["target"] for e in history.entries().entries] == ["local://new", "local://old"]
