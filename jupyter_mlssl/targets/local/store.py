"""Where a local target keeps its state, and how that state is written without tearing.

Layout under ``paths.state_dir()/local/``::

    ca/ca.pem, ca/ca-key.pem (0600)     the local CA (created once; see ``ca.py``)
    dns/zone.json, dns/daemon.json      the local DNS zone and the daemon serving it
    services/NAME/state.json            TLS settings and names (no key material)
    services/NAME/service.json          written by the service process: pid, ports, served cert
    services/NAME/admin.token (0600)    bearer token of the service's loopback admin endpoint
    services/NAME/tls/*.pem             certificate chains; *-key.pem are keys (0600)
    services/NAME/model.pkl, entry.py   what the service scores with
    services/NAME/lock                  the cross-process lock of a change

Every JSON file is written to a temporary file in the same directory and moved over the old
one with ``os.replace``, so a reader (or a crash) sees the old or the new content, never
half. Changes to one target are serialised by a ``filelock`` lock file; the lock holder
writes who it is beside the lock so a waiting process can say who it waits for.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.store import files
from jupyter_mlssl.store.paths import state_dir

#: DNS-label-like names keep URLs, paths and zone names simple.
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

#: how long a change waits for another process's change of the same target (seconds);
#: ``MLSSL_LOCK_TIMEOUT`` overrides (tests use a short one to see the "busy" message).
DEFAULT_LOCK_TIMEOUT = 30.0


def local_dir() -> Path:
    return files.private_dir(state_dir() / "local")


def services_dir() -> Path:
    return files.private_dir(local_dir() / "services")


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name or ""):  # match() lets "iris\n" through ($)
        raise InputError(
            f"{name or '(empty)'}: not a valid local service name; use lowercase letters, "
            "digits and '-' (at most 63), e.g. iris-classifier"
        )
    return name


def service_dir(name: str) -> Path:
    return services_dir() / check_name(name)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when there is none (yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:  # only a hand edit can do this: writes are atomic
        raise OperationError(f"{path}: not valid JSON ({exc.msg}); remove or fix it") from None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    files.write_atomic(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def lock_timeout() -> float:
    try:
        return float(os.environ.get("MLSSL_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


@contextmanager
def file_lock(path: Path, what: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock file ``path``; if another process holds it, wait up to ``timeout``.

    ``what`` names the thing locked in the message a waiting process gives up with.
    """
    from filelock import FileLock, Timeout

    owner_file = path.with_name(path.name + ".owner")
    files.private_dir(path.parent)  # before FileLock, which would create it 0755
    lock = FileLock(str(path), timeout=lock_timeout() if timeout is None else timeout)
    try:
        lock.acquire()
    except Timeout:
        owner = read_json(owner_file) or {}
        since = owner.get("since")
        who = f"pid {owner.get('pid')}" if owner.get("pid") else "another process"
        when = f" since {since}" if since else ""
        raise OperationError(
            f"{what} is being changed by {who}{when}; waited {lock.timeout:g} s. "
            "Try again when that change has finished."
        ) from None
    try:
        write_json(
            owner_file,
            {"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        )
        yield
    finally:
        try:
            owner_file.unlink()
        except FileNotFoundError:
            pass
        lock.release()
