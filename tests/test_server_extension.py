"""The server side of the labextension, against a real ``jupyter lab`` on loopback.

The history is seeded with ``history.record`` (the same calls the workflow makes), so
these tests need no local service; the browser test seeds it with a real local enable.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest

from jupyter_mlssl.store import history
from tests.jupyterlab_server import LabServer, running_lab

pytestmark = pytest.mark.slow

NOW = dt.datetime.now(dt.timezone.utc)


def _iso(days: int) -> str:
    return (NOW + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> LabServer:
    tmp = tmp_path_factory.mktemp("lab")
    home = tmp / "mlssl-home"
    home.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("MLSSL_HOME", str(home))
    try:
        for target, fqdn, days, fingerprint in [
            ("local://far", "far.mlssl.test", 300, "aa" * 32),
            ("local://soon", "soon.mlssl.test", 12, "bb" * 32),
            ("local://gone", "gone.mlssl.test", -3, "cc" * 32),
        ]:
            history.record(target=target, action="enable", outcome="applied",
                           after_status="Enabled", after_fingerprint=fingerprint,
                           after_not_after=_iso(days), fqdn=fqdn)
        # disabled afterwards: its certificate no longer counts
        history.record(target="local://off", action="enable", outcome="applied",
                       after_status="Enabled", after_fingerprint="dd" * 32,
                       after_not_after=_iso(1), fqdn="off.mlssl.test")
        history.record(target="local://off", action="disable", outcome="applied",
                       after_status="Disabled", fqdn="off.mlssl.test")
    finally:
        mp.undo()
    with running_lab(tmp, env={"MLSSL_HOME": str(home)}) as server:
        yield server


def test_expiries_endpoint_lists_soonest_first(lab):
    body = lab.api("mlssl/expiries")
    rows = body["expiries"]
    assert [r["target"] for r in rows] == ["local://gone", "local://soon", "local://far"]
    assert rows[0]["days_left"] < 0 <= rows[1]["days_left"] < 30 < rows[2]["days_left"]
    assert set(rows[0]) == {"target", "fqdn", "not_after", "days_left", "fingerprint", "source"}
    assert {r["source"] for r in rows} == {"history"}
    assert body["fleet"] is None  # no fleet inventory made on this machine
    assert rows[1]["fqdn"] == "soon.mlssl.test"
    assert "BEGIN" not in str(body)


def test_expiries_endpoint_needs_the_token(lab):
    with pytest.raises(urllib.error.HTTPError) as info:
        lab.api("mlssl/expiries", token="")
    assert info.value.code == 403


def test_lab_page_loads_the_prebuilt_extension(lab):
    """The page JupyterLab serves lists our federated extension (from share/jupyter)."""
    import urllib.request

    with urllib.request.urlopen(lab.lab_url(), timeout=20) as response:
        page = response.read().decode()
    assert re.search(r'"name":\s*"jupyter-mlssl"', page), "jupyter-mlssl not in page config"
    assert "jupyter_mlssl: serving certificate expiries" in lab.log()


def test_labextension_list_shows_it_enabled_from_the_python_package():
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True, text=True, timeout=60,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    line = next((ln for ln in text.splitlines() if "jupyter-mlssl" in ln), "")
    assert "enabled" in line and "OK" in line and "(python, jupyter_mlssl)" in line, text
    assert Path(sys.prefix, "share/jupyter/labextensions/jupyter-mlssl/package.json").exists()
