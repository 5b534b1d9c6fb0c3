"""``local://NAME``: a scoring service on this machine with the AKS compute's TLS semantics.

The settings mean what Azure ML's ``sslConfiguration`` means (docs/azure-notes.md):

- ``Auto`` + ``leaf_domain_label`` L: a certificate from the local CA for
  ``L<6 random chars>.local.mlssl.test``, published in the local DNS zone (-> 127.0.0.1).
  The same label keeps its name; ``overwrite_existing_domain`` draws a new suffix; ``renew``
  reissues the certificate for the same name.
- ``Enabled`` + cname/cert/key: the user's certificate. The cname is published in the local
  zone when it lies inside it (``*.mlssl.test``); any other name is the user's to point, as
  on Azure, and verification fails until it is.
- ``Disabled``: the HTTPS listener stops; the plain-HTTP scoring URI stays.

State lives in ``store.py``'s layout; the service process learns of a change through its
loopback admin endpoint (``POST /reload``), and swaps in a new, self-tested TLS context
without dropping connections (``service.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.store.files import private_dir, write_atomic
from jupyter_mlssl.store.pids import pid_alive
from jupyter_mlssl.targets.base import (
    ServiceAddress,
    TargetStatus,
)
from jupyter_mlssl.targets.local import nameserver, store
from jupyter_mlssl.targets.local.processes import child_environment, kill_group

SCHEME = "local://"
LOOPBACK = "127.0.0.1"
SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
START_TIMEOUT = 10.0
ADMIN_TIMEOUT = 20.0
KEEP_TLS_FILES = 6  # certificate/key pairs kept for rollback; older ones are deleted

T = TypeVar("T", bound="LocalTargetCore")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _days_left(not_after: str | None) -> int | None:
    if not not_after:
        return None
    when = dt.datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return (when - _now()).days


def _short(fingerprint: str | None) -> str | None:
    return fingerprint[: len("sha256:") + 16] if fingerprint else None


def _stale(runtime: dict[str, Any], tls: dict[str, Any] | None) -> str | None:
    """Why the running service does not serve what the settings say (None when it does).

    An error, not a warning: clients get another certificate than the one recorded, or TLS
    where it was turned off (a change cut short between writing the settings and the
    service's reload). Applying the same settings again reloads it (see ``plan``).
    """
    if "served" not in runtime:
        return None  # a service still starting has not said yet
    served = (runtime.get("served") or {}).get("fingerprint")
    recorded = tls.get("fingerprint") if tls else None
    if served == recorded:
        return None
    return (f"the service serves {_short(served) or 'no certificate (TLS off)'}, the settings "
            f"say {_short(recorded) or 'TLS off'}; re-apply the settings (the same "
            "enable/update again reloads the service)")


def _cert_facts(chain_pem: str) -> dict[str, Any]:
    """Fingerprint, expiry and names of the leaf (the first certificate of the chain)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from jupyter_mlssl.pki.facts import san_names

    leaf = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    names = (san_names(leaf) or ([], []))[0]
    return {
        "fingerprint": "sha256:" + leaf.fingerprint(hashes.SHA256()).hex(),
        "not_after": _iso(leaf.not_valid_after_utc),
        "names": names,
    }


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    # The admin endpoint is on loopback: a proxy from the environment must not see it.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalTargetCore:
    """What every part of the local target shares: its name, directory, state, lock, admin
    channel and process. ``LocalTarget`` (the package) adds status, plan and apply."""

    kind = "local"

    def __init__(self, name: str) -> None:
        self.name = store.check_name(name)
        self.id = SCHEME + name
        self.dir = store.service_dir(name)
        self._lock_depth = 0

    # -- finding targets ------------------------------------------------------------------
    @classmethod
    def from_id(cls: type[T], target_id: str) -> T:
        if not target_id.startswith(SCHEME):
            raise InputError(f"{target_id}: not a local target; use local://NAME")
        name = target_id[len(SCHEME):].strip("/")
        target = cls(name)
        if not target.exists():
            raise InputError(
                f"{target_id}: no such local service; deploy it first: "
                f"mlssl local deploy {name} --model FILE"
            )
        return target

    @classmethod
    def all(cls: type[T]) -> list[T]:
        return [cls(p.name) for p in sorted(store.services_dir().iterdir())
                if (p / "state.json").exists()]

    def exists(self) -> bool:
        return (self.dir / "state.json").exists()

    # -- state --------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        state = store.read_json(self.dir / "state.json")
        if state is None:
            raise InputError(f"{self.id}: no such local service (was it stopped?)")
        return state

    def _runtime(self) -> dict[str, Any]:
        return store.read_json(self.dir / "service.json") or {}

    def running(self) -> bool:
        return pid_alive(self._runtime().get("pid"))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """The cross-process lock of a change; re-entrant within this object."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        with store.file_lock(self.dir / "lock", self.id):
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0

    # -- the Target protocol (status, plan, apply, rollback: status.py, plan.py, apply.py)
    def endpoint(self, status: TargetStatus) -> ServiceAddress:
        runtime = self._runtime()
        port = runtime.get("https_port")
        # Local names are answered by the local DNS server only; checks must ask it, never
        # the system resolver (which would time out on them).
        dns_port = nameserver.ensure_running() if status.ssl.tls_on else (
            nameserver.running_port())
        host = status.ssl.cname if status.ssl.status == "Enabled" else status.fqdn
        host = (host or LOOPBACK).rstrip(".").lower()
        ca_bundle = None
        if status.ssl.status == "Auto":
            from jupyter_mlssl.targets.local import ca

            ca_bundle = str(ca.bundle_path())
        return ServiceAddress(
            url=f"https://{host}:{port}/" if port else None,
            hostname=host,
            expected_address=LOOPBACK,
            tls_expected=status.ssl.tls_on,
            nameservers=(f"{LOOPBACK}:{dns_port}",) if dns_port else (),
            resolve=(f"{host}:{port}:{LOOPBACK}",) if port and host != LOOPBACK else (),
            # Auto: the local CA, as Microsoft's CA is trusted for Azure names. Enabled:
            # whatever clients trust (the default store, or --ca-bundle), never the chain's
            # own root, which would make any self-made chain pass.
            ca_bundle=ca_bundle,
        )

    def _published_names(self, state: dict[str, Any]) -> dict[str, str]:
        """The names this state should have in the local zone."""
        names: dict[str, str] = {}
        auto = state.get("auto") or {}
        if auto.get("label") and auto.get("suffix"):
            names[f"{auto['label']}{auto['suffix']}.{nameserver.REGION}.{nameserver.ZONE}"] = (
                LOOPBACK)
        ssl = state.get("ssl") or {}
        if ssl.get("status") == "Enabled" and ssl.get("cname") and nameserver.in_zone(
                ssl["cname"]):
            names[ssl["cname"]] = LOOPBACK
        return names

    def _admin(self, method: str, path: str) -> dict[str, Any]:
        runtime = self._runtime()
        token = (self.dir / "admin.token").read_text().strip()
        request = urllib.request.Request(
            f"http://{LOOPBACK}:{runtime.get('admin_port')}{path}", method=method,
            headers={"Authorization": f"Bearer {token}"}, data=b"" if method == "POST" else None,
        )
        try:
            with _no_proxy_opener().open(request, timeout=ADMIN_TIMEOUT) as response:
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as exc:
            try:
                return dict(json.loads(exc.read() or b"{}"))
            except ValueError:
                return {"ok": False, "error": f"HTTP {exc.code}"}
        except (OSError, ValueError) as exc:
            raise OperationError(
                f"{self.id}: the service's admin endpoint did not answer ({exc}); "
                "is the service running? (mlssl local list)"
            ) from None

    def stats(self) -> dict[str, Any]:
        """The service's counters (handshake failures, model readiness, served cert)."""
        return self._admin("GET", "/stats")

    # -- the service process ---------------------------------------------------------------
    @classmethod
    def create(cls: type[T], name: str, model: bytes,
               entry_script: str | None = None) -> T:
        """Set up ``name``'s directory with a pickled model (and entry script) and start it."""
        target = cls(name)
        with target.lock():
            if target.exists() and target.running():
                raise InputError(
                    f"{target.id} is already running (pid {target._runtime().get('pid')}); "
                    f"stop it first: mlssl local stop {name}"
                )
            private_dir(target.dir)
            write_atomic(target.dir / "model.pkl", model, mode=0o600)
            entry = target.dir / "entry.py"
            if entry_script is not None:
                write_atomic(entry, entry_script.encode(), mode=0o600)
            else:
                entry.unlink(missing_ok=True)
            token = target.dir / "admin.token"
            if not token.exists():
                write_atomic(token, secrets.token_urlsafe(32).encode(), mode=0o600)
            if not target.exists():  # a redeploy of a stopped service keeps its TLS settings
                store.write_json(target.dir / "state.json", {
                    "name": name, "generation": 0, "created": _iso(_now()),
                    "ssl": {"status": "Disabled", "cname": None, "leaf_domain_label": None},
                    "tls": None, "fqdn": None, "auto": None, "published": [],
                })
            target.start()
        return target

    def start(self) -> None:
        log = open(self.dir / "service.log", "ab")  # noqa: SIM115 (the child owns it)
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlssl.targets.local.service", str(self.dir)],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=child_environment(),  # no password variables
            start_new_session=True,  # outlives the kernel; stopped as a process group
            close_fds=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._runtime().get("pid") == proc.pid:
                break
            if proc.poll() is not None:
                raise OperationError(
                    f"{self.id}: the scoring service exited at start-up; see "
                    f"{self.dir / 'service.log'}: {_tail(self.dir / 'service.log')}"
                )
            time.sleep(0.02)
        else:
            kill_group(proc.pid)
            raise OperationError(f"{self.id}: the scoring service did not start within "
                                 f"{START_TIMEOUT:g} s; see {self.dir / 'service.log'}")
        state = self._state()
        if state.get("published"):
            nameserver.ensure_running()
            nameserver.publish(self._published_names(state))

    def stop(self) -> bool:
        """Stop the service process and delete the service (its keys too). History stays."""
        with self.lock():
            runtime = self._runtime()
            was_running = pid_alive(runtime.get("pid"))
            if was_running:
                kill_group(int(runtime["pid"]))
            state = store.read_json(self.dir / "state.json") or {}
            if state.get("published") and nameserver.running_port():
                nameserver.publish({}, list(state["published"]))
            for child in ("state.json", "service.json"):
                (self.dir / child).unlink(missing_ok=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        return was_running

    def scoring_uri(self, https: bool = False) -> str | None:
        runtime = self._runtime()
        if https:
            state = self._state()
            if not state.get("tls") or not runtime.get("https_port"):
                return None
            return f"https://{state.get('fqdn')}:{runtime['https_port']}/score"
        port = runtime.get("http_port")
        return f"http://{LOOPBACK}:{port}/score" if port else None

    def __repr__(self) -> str:
        return f"LocalTarget({self.id!r})"



def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])
