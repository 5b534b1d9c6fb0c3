"""Whether a process id recorded in the state directory still names a live process.

State records who owns it by pid: a local service's runtime file, a history row of a change
under way. Both ask the same question, here once: alive means signalable and not a zombie
(an exited child not yet reaped). Linux's ``/proc/PID/stat`` also gives the start time, so
a pid reused by another process is told apart from the one recorded.
"""

from __future__ import annotations

import os


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[-1].split()
    except OSError:
        return None


def pid_alive(pid: int | None) -> bool:
    """Whether ``pid`` is a live process (a zombie, an exited child not yet reaped, is not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat_fields(pid)
    return fields is None or fields[0] != "Z"


def start_ticks(pid: int) -> str:
    """The process's start time in clock ticks (Linux): a pid reused later differs in it."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else ""
