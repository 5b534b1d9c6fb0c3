"""A wheel built from a clean checkout installs into a fresh environment with the
JupyterLab extension and the server extension enabled, and needs no node there.

Slow by nature (clone, isolated build with ``jlpm install``, a new venv), so it is marked
``slow`` and bounded. What keeps it affordable: the build reuses yarn's machine-wide
download cache (``enableGlobalCache`` in labextension/.yarnrc.yml, filled by the editable
install) and pip's wheel cache, so nothing is fetched twice, yet the wheel's own build hook
really runs ``jlpm install`` and ``jlpm build:prod`` in the clone: a broken build fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*command: str | Path, cwd: Path | None = None, timeout: float = 300) -> str:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=env)
    output = ANSI.sub("", result.stdout + result.stderr)
    assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``python -m build --wheel`` in a fresh clone of the committed tree (nothing built in it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    run("git", "clone", "--quiet", "--no-hardlinks", REPO, source)
    assert not (source / "jupyter_mlssl" / "labextension").exists()
    assert not (source / "labextension" / "node_modules").exists()
    run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp / "dist", source, timeout=480)
    (built,) = (tmp / "dist").glob("jupyter_mlssl-*.whl")
    return built


def test_wheel_carries_the_prebuilt_extension_and_server_config(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    share = f"{data}/data/share/jupyter/labextensions/jupyter-mlssl/"
    assert f"{share}package.json" in names
    assert f"{share}install.json" in names
    assert any(re.fullmatch(rf"{re.escape(share)}static/remoteEntry\.[0-9a-f]+\.js", n)
               for n in names)
    assert f"{data}/data/etc/jupyter/jupyter_server_config.d/jupyter_mlssl.json" in names
    assert "jupyter_mlssl/server_extension.py" in names
    assert "jupyter_mlssl/py.typed" in names  # the typed API is typed for users too (PEP 561)
    assert not [n for n in names if "node_modules" in n or n.endswith((".ts", ".pem", ".key"))]


def test_wheel_installs_into_a_fresh_venv_with_the_extensions_enabled(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    bin_dir = venv / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, timeout=480)
    labext = run(bin_dir / "jupyter", "labextension", "list")
    line = next((ln for ln in labext.splitlines() if "jupyter-mlssl" in ln), "")
    assert "enabled" in line and "OK" in line and "(python, jupyter_mlssl)" in line, labext
    server = run(bin_dir / "jupyter", "server", "extension", "list")
    assert re.search(r"jupyter_mlssl\s+enabled", server), server
    assert "jupyter_mlssl 0" in server and "OK" in server
    installed = venv / "share" / "jupyter" / "labextensions" / "jupyter-mlssl"
    assert list((installed / "static").glob("remoteEntry.*.js")), "no prebuilt bundle installed"
