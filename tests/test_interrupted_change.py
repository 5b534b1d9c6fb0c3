"""A change killed half-way is not lost: the next command records it as ``interrupted`` (with
what was attempted), and ``status`` fails while the service serves another certificate than
the recorded one.

For real: ``mlssl update local://iris --renew`` runs in its own process; the scoring service
is paused (SIGSTOP) so the change stalls right after writing the new settings, at the reload;
the test sees the settings change on disk and SIGKILLs the command there. No test hook in
the product.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from jupyter_mlssl.change.settings import settings_from_options
from jupyter_mlssl.change.workflow import change
from jupyter_mlssl.store import history
from tests.localtarget import deployed

ROOT = Path(__file__).resolve().parent.parent


def mlssl(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "jupyter_mlssl", *argv], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_killed_change_is_recorded_interrupted_and_status_fails():
    with deployed("iris") as target:
        first = change(target, settings_from_options(leaf_domain_label="iris"), verify=False)
        assert first.outcome == "applied", first.summary()
        served = target._runtime()["served"]["fingerprint"]
        generation = json.loads((target.dir / "state.json").read_text())["generation"]
        assert mlssl("status", str(target.id)).returncode == 0

        service_pid = target._runtime()["pid"]
        os.kill(service_pid, signal.SIGSTOP)  # the reload will wait: the change stalls there
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "jupyter_mlssl", "update", target.id, "--renew",
                 "--no-verify"], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and proc.poll() is None:
                    state = json.loads((target.dir / "state.json").read_text())
                    if state["generation"] > generation:
                        break
                    time.sleep(0.005)
                assert proc.poll() is None, "the change ended before it could be killed"
                assert state["generation"] > generation
                assert state["tls"]["fingerprint"] != served  # new settings, not yet served
                proc.send_signal(signal.SIGKILL)
            finally:
                proc.kill()
                proc.wait(timeout=10)

            started = history.entries(target.id).entries  # reconciled on read: the pid is gone
            # while the service still serves the old certificate:
            status = mlssl("status", target.id)
            assert status.returncode == 1, status.stdout + status.stderr
            assert "serves" in status.stderr and "re-apply" in status.stderr
            assert "interrupted" in status.stdout  # the finding names the cut-short change
            listed = mlssl("history", target.id, "--json")
        finally:
            os.kill(service_pid, signal.SIGCONT)

    assert started[0]["outcome"] == "interrupted"
    rows = json.loads(listed.stdout)["entries"]
    assert [r["outcome"] for r in rows[:2]] == ["interrupted", "applied"]
    assert rows[0]["action"] == "renew"
    assert rows[0]["before_fingerprint"] == served
    assert rows[0]["message"].startswith("interrupted: the process (pid ")
    assert "; attempted: renew" in rows[0]["message"], rows[0]["message"]
    # one row per attempt: the started row became the interrupted one
    assert [r["action"] for r in rows] == ["renew", "enable", "deploy"]


def test_a_change_interrupted_in_this_process_is_recorded_at_once(monkeypatch):
    with deployed("iris") as target:
        def stop_here(*args, **kwargs):
            raise KeyboardInterrupt  # Ctrl-C in a kernel, mid-apply

        monkeypatch.setattr(type(target), "_commit", stop_here)
        try:
            change(target, settings_from_options(leaf_domain_label="iris"), verify=False)
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("the interrupt was swallowed")
        rows = history.entries(target.id).entries
    assert rows[0]["outcome"] == "interrupted"
    assert rows[0]["message"].startswith("interrupted (KeyboardInterrupt) while applying")
    assert (rows[0]["before_status"], rows[0]["after_status"]) == ("Disabled", None)
    assert rows[0]["verification"] == "not run"


def test_applying_the_same_settings_again_repairs_a_stale_service():
    from jupyter_mlssl.targets.base import SslSettings
    from jupyter_mlssl.targets.local import store

    with deployed("iris") as target:
        assert change(target, settings_from_options(leaf_domain_label="iris"),
                      verify=False).outcome == "applied"
        # What a change killed after writing the settings leaves on disk: new settings (a
        # renewed certificate), not loaded by the service.
        state = json.loads((target.dir / "state.json").read_text())
        renew = SslSettings(status="Auto", leaf_domain_label="iris", renew=True)
        new = target._next_state(state, target.plan(renew), lambda message: None)
        store.write_json(target.dir / "state.json", dict(new, published=state["published"]))

        stale = target.status()
        assert [f.code for f in stale.findings] == ["stale_certificate"]
        assert stale.exit_status == 1
        plan = target.plan(settings_from_options(leaf_domain_label="iris"))
        assert [c.field for c in plan.changes] == ["served certificate"]

        repaired = change(target, settings_from_options(leaf_domain_label="iris"))
        assert repaired.outcome == "applied", repaired.summary()
        status = target.status()
        assert status.findings == [] and status.exit_status == 0
        assert target._runtime()["served"]["fingerprint"] == new["tls"]["fingerprint"]
        again = change(target, settings_from_options(leaf_domain_label="iris"))
        assert again.outcome == "unchanged"
