"""A real JupyterLab server for tests: loopback only, a known token, its own everything.

Why a subprocess and not pytest-jupyter's in-process app: the browser tests need the
full ``jupyter lab`` (page, labextensions, kernels) exactly as a user starts it, and the
server extension must be found through its installed config, not wired by hand.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    url: str  # http://127.0.0.1:PORT/
    token: str
    root_dir: Path
    log_path: Path

    def api(self, path: str, *, method: str = "GET", body: Any = None,
            token: str | None = None) -> Any:
        """JSON request to the server, authenticated with the token unless told otherwise."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        tok = self.token if token is None else token
        if tok:
            request.add_header("Authorization", f"token {tok}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=20) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def lab_url(self, path: str = "") -> str:
        return f"{self.url}lab/{path}?token={self.token}&reset"

    def notebook_url(self, path: str) -> str:
        """The notebook in Notebook 7's single-document page (the ``notebook`` extension)."""
        return f"{self.url}notebooks/{path}?token={self.token}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


#: The news toast would cover the status bar in screenshots.
ALWAYS_DISABLED = ("@jupyterlab/apputils-extension:announcements",)


@contextmanager
def running_lab(tmp: Path, env: dict[str, str] | None = None,
                disabled_extensions: tuple[str, ...] = (),
                app: str = "jupyterlab") -> Iterator[LabServer]:
    """Start ``jupyter lab`` on 127.0.0.1 in ``tmp``; stop it (and its kernels) at the end.

    ``app="notebook"`` starts Notebook 7 (``jupyter notebook``) instead: the same server,
    extensions and settings, with Notebook's own pages.

    The environment's installed extensions (share/jupyter, etc/jupyter under sys.prefix)
    are what is served; the user-level config directory is a private one (so nothing in
    ~/.jupyter leaks in) holding the page config that disables ``disabled_extensions``.
    Workspaces, runtime files, the notebook root and ``MLSSL_HOME`` (from ``env``) are
    private to the run.
    """
    root = tmp / "root"
    root.mkdir(parents=True, exist_ok=True)
    (tmp / "workspaces").mkdir(exist_ok=True)
    labconfig = tmp / "config" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    disabled = dict.fromkeys((*ALWAYS_DISABLED, *disabled_extensions), True)
    (labconfig / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}))
    token = secrets.token_hex(16)
    port = free_port()
    log_path = tmp / f"{app}.log"
    lab = app == "jupyterlab"
    app_class = "LabApp" if lab else "JupyterNotebookApp"
    command = [
        sys.executable, "-m", app,
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={root}",
        f"--{app_class}.workspaces_dir={tmp / 'workspaces'}",
        # the tests inspect the front end through window.jupyterapp (test-only setting)
        f"--{app_class}.expose_app_in_browser=True",
    ]
    if lab:  # a closed network: never ask the internet for news or updates
        command.append("--LabApp.check_for_updates_class="
                       "jupyterlab.handlers.announcements.NeverCheckForUpdate")
    full_env = {**os.environ, **(env or {}), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
                "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=full_env,
                                   cwd=root)
    server = LabServer(f"http://127.0.0.1:{port}/", token, root, log_path)
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        _stop(server, process)


def _wait_until_up(server: LabServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log()}")
        try:
            server.api("api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise RuntimeError(f"the server did not answer in {START_TIMEOUT_S}s:\n{server.log()}")


def _stop(server: LabServer, process: subprocess.Popen[bytes]) -> None:
    """Shut kernels down through the API (so they do not outlive the test), then the server."""
    if process.poll() is None:
        try:
            for kernel in server.api("api/kernels"):
                server.api(f"api/kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, OSError):
            pass
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class VoilaServer:
    url: str  # http://127.0.0.1:PORT/ : the notebook, run and rendered as an app
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_voila(tmp: Path, notebook: Path, env: dict[str, str] | None = None
                  ) -> Iterator[VoilaServer]:
    """``voila NOTEBOOK`` on 127.0.0.1, as a panel app is shared; stopped at the end.

    Voila runs the notebook when the page is opened (a kernel per visit) and shows only the
    outputs. Standalone Voila has no token of its own (the page is the app), so it listens on
    loopback only and the wait below is a plain TCP connect: a GET would run the notebook.
    """
    port = free_port()
    log_path = tmp / "voila.log"
    command = [
        sys.executable, "-m", "voila", str(notebook),
        "--no-browser", "--Voila.ip=127.0.0.1", f"--Voila.port={port}",
        "--Voila.port_retries=0", "--show_tracebacks=True",
    ]
    full_env = {**os.environ, **(env or {}), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
                "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=full_env,
                                   cwd=notebook.parent)
    server = VoilaServer(f"http://127.0.0.1:{port}/", log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"voila exited with {process.returncode}:\n{server.log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"voila did not listen in {START_TIMEOUT_S}s:\n"
                                       f"{server.log()}") from None
                time.sleep(0.25)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()  # voila shuts its kernels down on SIGTERM
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
