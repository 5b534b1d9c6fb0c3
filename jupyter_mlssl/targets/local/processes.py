"""Start, find and stop the local target's daemons (scoring services, the DNS server).

They run in their own sessions (``start_new_session``) so they outlive the kernel or shell
that started them, and are stopped as a process group: SIGTERM, then SIGKILL after a grace
period. Nothing here ever signals a process it did not record in the state directory.
"""

from __future__ import annotations

import os
import re
import signal
import time

#: environment variables named as holding a password (``--password-env``, ``password_env:``)
_WITHHELD: set[str] = set()
#: names that say they hold a secret: never handed to a daemon that lives for days
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|PASSPHRASE|SECRET", re.IGNORECASE)


def withhold(name: str) -> None:
    """Keep environment variable ``name`` (a password's) out of every daemon started later."""
    _WITHHELD.add(name)


def child_environment() -> dict[str, str]:
    """The environment for a daemon: ours without the variables that hold passwords.

    The scoring service and the DNS server outlive the command that starts them, and a
    process's environment is readable in ``/proc/PID/environ`` for its whole life; they need
    no password (keys reach them as 0600 files), so the ones we know of are left out.
    """
    return {name: value for name, value in os.environ.items()
            if name not in _WITHHELD and not _SECRET_NAME.search(name)}


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


def _reap(pid: int) -> bool:
    """Collect ``pid`` if it is our own exited child. True when nothing is left to wait for
    (reaped now, or not our child: its own parent or init reaps it)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


def _wait_reaped(pid: int, deadline: float) -> None:
    """Wait until our child ``pid`` is reaped, up to ``deadline``.

    ``group_alive`` can say "gone" while the child is not yet reapable: a multi-threaded
    leader shows as a zombie in /proc as soon as its main thread exits, but the kernel
    reports it to ``waitpid`` only when its last thread has. Returning then would leave a
    zombie behind (and a caller that checks would see it). Only our own child is waited for.
    """
    while not _reap(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def kill_group(pid: int, grace: float = 3.0) -> None:
    """SIGTERM the process group led by ``pid``; SIGKILL it if it lingers past ``grace``.

    On return the group has ended and, when ``pid`` is our child, it has been reaped.
    """
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        _reap(pid)
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not group_alive(pid):
            _wait_reaped(pid, time.monotonic() + grace)
            return
        time.sleep(0.02)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        _reap(pid)
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and group_alive(pid):
        _reap(pid)
        time.sleep(0.02)
    _wait_reaped(pid, time.monotonic() + grace)
