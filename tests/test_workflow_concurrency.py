"""Two processes change one target at once: one waits its turn (or gives up clearly after a
bounded wait); the state file is never torn."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jupyter_mlssl.store import history
from jupyter_mlssl.targets.local import store


def mlssl(*argv: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jupyter_mlssl", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def test_two_processes_apply_at_once_one_after_the_other(local_target):
    first = mlssl("enable", "local://iris", "--leaf-domain-label", "alpha", "--json")
    second = mlssl("enable", "local://iris", "--leaf-domain-label", "beta", "--json")
    outs = [p.communicate(timeout=60) for p in (first, second)]
    codes = [first.returncode, second.returncode]
    assert codes == [0, 0], outs
    reports = [json.loads(out) for out, _err in outs]
    assert [r["outcome"] for r in reports] == ["applied", "applied"]

    state = json.loads((store.service_dir("iris") / "state.json").read_text())
    status = local_target.status()
    # whoever went last won, consistently across the state, the service and the history
    last = history.entries("local://iris").entries[0]
    assert state["ssl"]["leaf_domain_label"] in ("alpha", "beta")
    assert status.fqdn.startswith(state["ssl"]["leaf_domain_label"])
    assert last["after_fingerprint"] == status.certificate_fingerprint
    assert state["generation"] == 2
    assert local_target.stats()["fingerprint"] == status.certificate_fingerprint


def test_a_busy_target_fails_with_a_clear_message(local_target):
    with local_target.lock():
        busy = mlssl("enable", "local://iris", "--leaf-domain-label", "gamma",
                     env={"MLSSL_LOCK_TIMEOUT": "0.5"})
        out, err = busy.communicate(timeout=60)
    assert busy.returncode == 1, (out, err)
    last = err.strip().splitlines()[-1]  # progress lines come first; then one line, no traceback
    assert "Traceback" not in err
    assert last.startswith(f"mlssl: local://iris is being changed by pid {os.getpid()}")
    assert "Try again" in last
    assert local_target.status().ssl.status == "Disabled"
    row = history.entries("local://iris").entries[0]
    assert (row["action"], row["outcome"]) == ("enable", "failed")
