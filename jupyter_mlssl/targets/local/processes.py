"""Start, find and stop the local target's daemons (scoring services, the DNS server).

They run in their own sessions (``start_new_session``) so they outlive the kernel or shell
that started them, and are stopped as a process group: SIGTERM, then SIGKILL after a grace
period. Nothing here ever signals a process it did not record in the state directory.
"""

from __future__ import annotations

import os
import signal
import time


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
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` still runs (zombies do not count: a container's
    init may never reap them, and a zombie leader can outlive its running threads' exit)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)  # our own child: collect it so it does not linger
    except ChildProcessError:
        pass


def kill_group(pid: int, grace: float = 3.0) -> None:
    """SIGTERM the process group led by ``pid``; SIGKILL it if it lingers past ``grace``."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not group_alive(pid):
            _reap(pid)  # it may have become a zombie since the last look
            return
        time.sleep(0.02)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and group_alive(pid):
        _reap(pid)
        time.sleep(0.02)
    _reap(pid)
