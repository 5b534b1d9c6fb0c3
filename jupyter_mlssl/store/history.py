"""The audit log: every change attempted on a target, in SQLite under the state directory.

One row per attempt: when (UTC), which target, what action, which operating-system user,
the certificate before and after (fingerprint and expiry, never key material), what
verification found, the outcome and a one-line message. Dry runs are not recorded: they
change nothing, and the log answers "what was done to this target and by whom".

``expiries()`` reads the latest known certificate of every target whose TLS is on; the
JupyterLab status bar shows it (through the server extension), soonest expiry first.

SQLite because it is in the standard library, survives concurrent writers (the busy
timeout serialises them) and is easy to read with any tool.

A change is written twice: a ``started`` row before anything is touched (:func:`start`,
naming the process that runs it), completed in place when it ends (:func:`finish`). A
process killed in between leaves its row ``started``; the next command that reads the
history (:func:`reconcile`) finds the process gone and marks the row ``interrupted``, with
what was attempted, so the log never silently lacks a half-done change.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.reports import Report, Table
from jupyter_mlssl.store.paths import state_dir
from jupyter_mlssl.store.pids import pid_alive, start_ticks

if TYPE_CHECKING:
    import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    target TEXT NOT NULL,
    action TEXT NOT NULL,
    user TEXT,
    before_status TEXT,
    before_fingerprint TEXT,
    before_not_after TEXT,
    after_status TEXT,
    after_fingerprint TEXT,
    after_not_after TEXT,
    fqdn TEXT,
    verification TEXT,
    outcome TEXT NOT NULL,
    message TEXT,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS attempts_target ON attempts (target, id);
"""

COLUMNS = (
    "time", "target", "action", "user", "before_status", "before_fingerprint",
    "before_not_after", "after_status", "after_fingerprint", "after_not_after", "fqdn",
    "verification", "outcome", "message",
)
#: outcomes after which the target's "after" columns describe what it really serves now
SETTLED = ("applied", "rolled_back", "failed")
#: a change under way (or whose process died: see ``reconcile``), and one that was cut short
STARTED, INTERRUPTED = "started", "interrupted"


def db_path() -> Path:
    return state_dir() / "history.sqlite"


@contextmanager
def _connect() -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(db_path(), timeout=15)) as conn:
        conn.row_factory = sqlite3.Row
        conn.executescript(SCHEMA)
        if "owner" not in {row[1] for row in conn.execute("PRAGMA table_info(attempts)")}:
            conn.execute("ALTER TABLE attempts ADD COLUMN owner TEXT")  # a log from 0.x
        with conn:
            yield conn


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): still record something
        return "unknown"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fingerprint(value: str | None) -> str | None:
    """Fingerprints only, however they were given (a PEM is reduced to one, never stored)."""
    if value and "-----BEGIN" in value:
        # a programming error (callers pass fingerprints), not something a user can cause
        raise ValueError("history stores fingerprints, not certificates or keys")
    return value


def record(
    *,
    target: str,
    action: str,
    outcome: str,
    before_status: str | None = None,
    before_fingerprint: str | None = None,
    before_not_after: str | None = None,
    after_status: str | None = None,
    after_fingerprint: str | None = None,
    after_not_after: str | None = None,
    fqdn: str | None = None,
    verification: str | None = None,
    message: str | None = None,
    user: str | None = None,
    time: str | None = None,
    owner: str | None = None,
) -> int:
    """Append one attempt; returns its row id. ``owner``: see :func:`start`."""
    row = {
        "time": time or _now(),
        "target": target,
        "action": action,
        "user": user or _user(),
        "before_status": before_status,
        "before_fingerprint": _fingerprint(before_fingerprint),
        "before_not_after": before_not_after,
        "after_status": after_status,
        "after_fingerprint": _fingerprint(after_fingerprint),
        "after_not_after": after_not_after,
        "fqdn": fqdn,
        "verification": verification,
        "outcome": outcome,
        "message": " ".join((message or "").split()) or None,
    }
    with _connect() as conn:
        cursor = conn.execute(
            f"INSERT INTO attempts ({', '.join(COLUMNS)}, owner) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)}, ?)",
            [*(row[c] for c in COLUMNS), owner],
        )
        return int(cursor.lastrowid or 0)


def _owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{start_ticks(pid)}"


def _owner_gone(owner: str | None) -> bool:
    """Whether the process that wrote a ``started`` row has ended (False when unsure)."""
    if not owner:
        return True
    parts = owner.split(":")
    if len(parts) < 3:
        return True
    host, pid_text, ticks = ":".join(parts[:-2]), parts[-2], parts[-1]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine sharing this directory: it cannot be checked here
    pid = int(pid_text)
    if not pid_alive(pid):
        return True
    now = start_ticks(pid)
    return bool(ticks and now and now != ticks)  # the pid was reused by another process


def start(*, target: str, action: str, before_status: str | None = None,
          before_fingerprint: str | None = None, before_not_after: str | None = None,
          message: str | None = None) -> int:
    """Record a change as ``started`` before it touches anything; returns the row id."""
    return record(target=target, action=action, outcome=STARTED,
                  before_status=before_status, before_fingerprint=before_fingerprint,
                  before_not_after=before_not_after, verification="not run",
                  message=message, owner=_owner())


def finish(row_id: int, **columns: Any) -> None:
    """Complete the ``started`` row ``row_id`` with the change's outcome (``record``'s
    keyword arguments); the row keeps its start time."""
    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise TypeError(f"unknown history columns: {sorted(unknown)}")
    for name in ("before_fingerprint", "after_fingerprint"):
        if name in columns:
            columns[name] = _fingerprint(columns[name])
    if "message" in columns:
        columns["message"] = " ".join((columns["message"] or "").split()) or None
    assignments = ", ".join(f"{name} = ?" for name in columns)
    with _connect() as conn:
        conn.execute(f"UPDATE attempts SET {assignments}, owner = NULL WHERE id = ?",
                     [*columns.values(), row_id])


def reconcile() -> int:
    """Mark ``started`` rows whose process has ended as ``interrupted``; how many were."""
    if not db_path().exists():
        return 0
    with _connect() as conn:
        rows = conn.execute("SELECT id, owner, message FROM attempts WHERE outcome = ?",
                            (STARTED,)).fetchall()
        marked = 0
        for row in rows:
            if not _owner_gone(row["owner"]):
                continue
            pid = (row["owner"] or "").split(":")[-2:-1] or ["?"]
            attempted = (row["message"] or "").removeprefix("started: ")
            conn.execute(
                "UPDATE attempts SET outcome = ?, message = ?, owner = NULL WHERE id = ? "
                "AND outcome = ?",
                (INTERRUPTED, f"interrupted: the process (pid {pid[0]}) ended before the "
                 f"change was recorded; attempted: {attempted}", row["id"], STARTED))
            marked += 1
    return marked


@dataclass(repr=False)
class HistoryReport(Report):
    """Attempts, newest first."""

    target: str | None
    entries: list[dict[str, Any]] = field(default_factory=list)

    title = "History"

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "entries": list(self.entries)}

    def _columns(self) -> list[str]:
        return ["time", *([] if self.target else ["target"]), "action", "user", "outcome",
                "verification", "before", "after", "message"]

    def _rows(self) -> list[dict[str, Any]]:
        return [
            {
                "time": e["time"],
                **({} if self.target else {"target": e["target"]}),
                "action": e["action"],
                "user": e["user"],
                "outcome": e["outcome"],
                "verification": e["verification"],
                "before": _cert_cell(e["before_status"], e["before_fingerprint"],
                                     e["before_not_after"]),
                "after": _cert_cell(e["after_status"], e["after_fingerprint"],
                                    e["after_not_after"]),
                "message": e["message"],
            }
            for e in self.entries
        ]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._rows(), columns=self._columns())

    @property
    def _caption(self) -> str:
        return f"History of {self.target}" if self.target else "History"

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [(self._caption, self.to_frame())]

    def text_tables(self) -> list[Table]:
        return [Table.of_dicts(self._caption, self._columns(), self._rows())]

    def summary(self) -> str:
        return f"{len(self.entries)} attempt(s) recorded"


def _cert_cell(status: str | None, fingerprint: str | None, not_after: str | None) -> str:
    parts = [status or "-"]
    if fingerprint:
        parts.append(fingerprint[: len("sha256:") + 12])
    if not_after:
        parts.append(f"until {not_after[:10]}")
    return " ".join(parts)


def entries(target: str | None = None, limit: int = 50) -> HistoryReport:
    """The last ``limit`` attempts (newest first), for one target or all."""
    if not db_path().exists():
        return HistoryReport(target=target)
    reconcile()
    query = f"SELECT {', '.join(COLUMNS)} FROM attempts"
    params: list[Any] = []
    if target:
        query += " WHERE target = ?"
        params.append(target)
    query += " ORDER BY id DESC LIMIT ?"
    params.append(max(0, int(limit)))
    with _connect() as conn:
        rows = [dict(r) for r in conn.execute(query, params)]
    return HistoryReport(target=target, entries=rows)


def latest_per_target() -> dict[str, dict[str, Any]]:
    """Each target's newest attempt, keyed by the target id in lower case (ARM ids are not
    case-sensitive): one query, whatever the history's length."""
    if not db_path().exists():
        return {}
    reconcile()
    query = (
        f"SELECT {', '.join('a.' + c for c in COLUMNS)} FROM attempts a JOIN "
        "(SELECT MAX(id) AS id FROM attempts GROUP BY lower(target)) last ON a.id = last.id"
    )
    with _connect() as conn:
        return {str(r["target"]).lower(): dict(r) for r in conn.execute(query)}


def expiries(now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The latest known certificate of each target whose TLS is on, soonest expiry first.

    Each item: ``target, fqdn, not_after`` (ISO 8601 UTC), ``days_left``, ``fingerprint``.
    """
    if not db_path().exists():
        return []
    when = now or dt.datetime.now(dt.timezone.utc)
    marks = ", ".join("?" for _ in SETTLED)
    query = (
        "SELECT a.target, a.fqdn, a.after_status, a.after_not_after, a.after_fingerprint "
        "FROM attempts a JOIN (SELECT target, MAX(id) AS id FROM attempts "
        f"WHERE outcome IN ({marks}) AND after_status IS NOT NULL GROUP BY target) last "
        "ON a.id = last.id"
    )
    with _connect() as conn:
        rows = [dict(r) for r in conn.execute(query, SETTLED)]
    out = []
    for row in rows:
        if row["after_status"] not in ("Enabled", "Auto") or not row["after_not_after"]:
            continue
        not_after = dt.datetime.fromisoformat(row["after_not_after"].replace("Z", "+00:00"))
        if not_after.tzinfo is None:
            not_after = not_after.replace(tzinfo=dt.timezone.utc)
        out.append({
            "target": row["target"],
            "fqdn": row["fqdn"],
            "not_after": row["after_not_after"],
            "days_left": (not_after - when).days,
            "fingerprint": row["after_fingerprint"],
        })
    out.sort(key=lambda item: item["not_after"])
    return out
