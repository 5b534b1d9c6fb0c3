"""Fail the Binder build if a front end users open would come up without jupyter-mlssl.

Starts the two servers the panel is opened in besides JupyterLab, each on 127.0.0.1 for a
few seconds, and asks them what a user's browser would:

- Notebook 7 (``jupyter notebook``): the server extension answers ``/mlssl/expiries``;
- Voila (``voila notebooks/panel-app.ipynb``): the panel app runs and its page carries the
  panel's widgets (Voila runs the notebook when the page is asked for).

    python binder/check_frontends.py          # exit 0 when both work; else why, on stderr
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, token: str | None = None, timeout: float = 60) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def serve(command: list[str], probe: str, token: str | None, env: dict[str, str]) -> bytes:
    """Run ``command`` until ``probe`` answers 200; return that answer; stop the server."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   cwd=REPO)
        try:
            deadline = time.monotonic() + TIMEOUT_S
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    break
                try:
                    status, body = get(probe, token)
                except OSError:
                    time.sleep(0.5)
                    continue
                if status == 200:
                    return body
            log.seek(0)
            raise SystemExit(f"{command[2]}: {probe} did not answer 200 within {TIMEOUT_S}s\n"
                             + log.read().decode(errors="replace")[-3000:])
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mlssl-check-") as tmp:
        env = {**os.environ, "MLSSL_HOME": str(Path(tmp) / "home"),
               "JUPYTER_RUNTIME_DIR": str(Path(tmp) / "runtime")}
        token, port = secrets.token_hex(16), free_port()
        body = serve([sys.executable, "-m", "notebook", "--no-browser",
                      "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                      f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True"],
                     f"http://127.0.0.1:{port}/mlssl/expiries", token, env)
        assert "expiries" in json.loads(body), body[:200]
        print("Notebook 7: the jupyter_mlssl server extension answers /mlssl/expiries")

        port = free_port()
        page = serve([sys.executable, "-m", "voila", "notebooks/panel-app.ipynb",
                      "--no-browser", "--Voila.ip=127.0.0.1", f"--Voila.port={port}"],
                     f"http://127.0.0.1:{port}/", None, env).decode(errors="replace")
        # the cells ran without an error and left the panel's widget view in the page (its
        # models come over the kernel's websocket when a browser opens it)
        assert "application/vnd.jupyter.widget-view+json" in page, page[-2000:]
        assert "Traceback" not in page and "UsageError" not in page, page[-2000:]
        print("Voila: notebooks/panel-app.ipynb runs and renders the panel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
