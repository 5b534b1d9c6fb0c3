"""Debian's ``pebble`` (Let's Encrypt's test CA) on loopback, for the tests, the benchmark
and the free-certificates notebook: a listener certificate minted here, external account
binding required, DNS-01 lookups sent to the nameserver we give (``-dnsserver``).

Nothing it issues is trusted anywhere: its roots are fetched from its management port and
used only as the trust store of a probe.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PEBBLE = "/usr/bin/pebble"
LOOPBACK = "127.0.0.1"


def available() -> str | None:
    """None when pebble can be run, else why not (one line)."""
    if shutil.which("pebble") or os.path.exists(PEBBLE):
        return None
    return ("pebble (the ACME test CA) is not installed: run "
            "scripts/install-debian-package.sh pebble")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Pebble:
    """A running pebble. ``directory`` is its ACME URL; ``ca_bundle`` trusts its listener;
    ``eab_kid`` / ``eab_hmac`` are the account binding it requires."""

    dnsserver: str
    workdir: Path
    nosleep: bool = True
    nonce_reject: int = 0
    validity: int = 3600
    eab_kid: str = "kid-mlssl"
    eab_hmac: str = field(default_factory=lambda: base64.urlsafe_b64encode(
        secrets.token_bytes(32)).rstrip(b"=").decode())
    port: int = 0
    management_port: int = 0
    process: Any = None

    @property
    def directory(self) -> str:
        return f"https://{LOOPBACK}:{self.port}/dir"

    @property
    def ca_bundle(self) -> str:
        return str(self.workdir / "listener-ca.pem")

    def start(self, timeout: float = 10.0) -> Pebble:
        from jupyter_mlssl.pki import minting

        self.workdir.mkdir(parents=True, exist_ok=True)
        ca_cert, ca_key = minting.make_ca("pebble listener CA (test)", days=2)
        leaf, leaf_key = minting.issue_leaf(ca_cert, ca_key, ["localhost", LOOPBACK], days=2)
        (self.workdir / "listener-ca.pem").write_text(minting.cert_pem(ca_cert))
        (self.workdir / "listener.pem").write_text(minting.cert_pem(leaf))
        minting.write_private(self.workdir / "listener.key", minting.key_pem(leaf_key),
                              force=True)
        self.port, self.management_port = _free_port(), _free_port()
        config = {"pebble": {
            "listenAddress": f"{LOOPBACK}:{self.port}",
            "managementListenAddress": f"{LOOPBACK}:{self.management_port}",
            "certificate": str(self.workdir / "listener.pem"),
            "privateKey": str(self.workdir / "listener.key"),
            "httpPort": _free_port(), "tlsPort": _free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": True,
            "externalAccountMACKeys": {self.eab_kid: self.eab_hmac},
            "certificateValidityPeriod": self.validity,
        }}
        (self.workdir / "pebble.json").write_text(json.dumps(config))
        env = dict(os.environ, PEBBLE_WFE_NONCEREJECT=str(self.nonce_reject),
                   PEBBLE_AUTHZREUSE="0")
        if self.nosleep:
            env["PEBBLE_VA_NOSLEEP"] = "1"
        log = open(self.workdir / "pebble.log", "ab")  # noqa: SIM115 (the child owns it)
        self.process = subprocess.Popen(
            [shutil.which("pebble") or PEBBLE, "-config", str(self.workdir / "pebble.json"),
             "-dnsserver", self.dnsserver],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.03)
        self.stop()
        raise RuntimeError(f"pebble did not start; see {self.workdir / 'pebble.log'}")

    def roots_pem(self) -> str:
        """pebble's issuing root and intermediate (a fresh pair per run)."""
        import ssl
        import urllib.request

        context = ssl.create_default_context(cafile=self.ca_bundle)
        base = f"https://{LOOPBACK}:{self.management_port}"
        out = []
        for path in ("/roots/0", "/intermediates/0"):
            with urllib.request.urlopen(base + path, context=context, timeout=5) as reply:
                out.append(reply.read().decode("ascii"))
        return "".join(out)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> Pebble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(dnsserver: str, **kw: Any) -> Pebble:
    """Start pebble in a fresh temporary directory (removed by nobody: it holds only the
    test listener's files)."""
    return Pebble(dnsserver=dnsserver, workdir=Path(tempfile.mkdtemp(prefix="pebble-")),
                  **kw).start()
