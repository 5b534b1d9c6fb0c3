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


def kill_group(pid: int, grace: float = 3.0) -> None:
    """SIGTERM the process group led by ``pid``; SIGKILL it if it lingers past ``grace``."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        except ChildProcessError:
            waited = 0
        if waited == pid or not pid_alive(pid):
            return
        time.sleep(0.02)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
