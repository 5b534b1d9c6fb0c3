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

from jupyter_mlssl.fleet.rows import parse_utc
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


def merged_expiries(history_rows: list[dict[str, Any]],
                    now: dt.datetime | None = None) -> tuple[list[dict[str, Any]],
                                                             dict[str, Any] | None]:
    """This machine's history expiries merged with the fleet cache, soonest first.

    One entry per target: the one with the later expiry (a renewal after the inventory
    shows in the history; an inventory after a change shows what is served now). Days left
    are counted again from ``now``, since the cache may be old. The second value describes
    the cache (``generated``, ``age_seconds``, ``endpoints``), or is None without one.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    best: dict[str, dict[str, Any]] = {}
    for row in history_rows:
        best[str(row["target"]).lower()] = {**row, "source": "history"}
    data = read()
    info = None
    if data:
        try:
            generated = dt.datetime.fromisoformat(str(data.get("generated")))
        except ValueError:
            generated = None
        entries = [e for e in data.get("expiries") or [] if isinstance(e, dict)]
        info = {"generated": data.get("generated"), "endpoints": len(entries),
                "age_seconds": int((now - generated).total_seconds()) if generated else None}
        for entry in entries:
            if not entry.get("not_after") or not entry.get("target"):
                continue
            not_after = parse_utc(str(entry["not_after"]))
            item = {"target": entry["target"], "fqdn": entry.get("fqdn"),
                    "not_after": not_after.isoformat(),
                    "days_left": (not_after - now).days,
                    "fingerprint": None, "source": "fleet"}
            key = str(entry["target"]).lower()
            if key not in best or _after(best[key]) < not_after:
                best[key] = item
    out = sorted(best.values(), key=_after)
    return out, info


def _after(item: dict[str, Any]) -> dt.datetime:
    return parse_utc(str(item["not_after"]))
