"""The fleet's expiries, cached for the JupyterLab status bar.

Every fleet report writes ``<state dir>/fleet-expiries.json`` (soonest first, with the time it
was made); the server extension merges it with this machine's history, so the status bar's
soonest expiry covers the whole fleet, and its tooltip shows how old the inventory is.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from jupyter_mlssl.store.files import write_atomic
from jupyter_mlssl.store.paths import state_dir


def cache_path() -> Path:
    return state_dir() / "fleet-expiries.json"


def write(generated: dt.datetime, expiries: list[dict[str, Any]]) -> Path:
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"generated": generated.isoformat(), "expiries": expiries}
    write_atomic(path, json.dumps(data, default=str).encode("utf-8"), mode=0o600)
    return path


def read() -> dict[str, Any] | None:
    """The cache, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
