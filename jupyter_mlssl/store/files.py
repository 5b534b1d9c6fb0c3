"""Writing files so that nobody ever sees half of one, and keys are never readable by others.

One implementation for every writer in the package (certificates and keys the user asked
for, a local target's state, the local DNS zone, the scoring service's status file): a temp
file beside the target, created with its final mode from the start, fsynced, then renamed
into place. A reader (or a crash) sees the old content or the new, never a torn one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644,
                 overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically with permissions ``mode``.

    With ``overwrite=False`` the final step is a hard link, which fails if ``path`` exists by
    then: refusing to clobber is atomic too, not a check that a racing writer could slip past.
    Raises ``FileExistsError`` in that case.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temp, target)
        else:
            os.link(temp, target)
            os.unlink(temp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return target


def private_dir(path: str | os.PathLike[str]) -> Path:
    """The directory ``path``, created ``0700`` from the start if missing (parents as usual).

    ``os.mkdir(path, 0o700)``: the umask can only take bits away, so the directory is never
    open to group or others, not even for the moment a mkdir-then-chmod would leave. A
    strict umask that took the owner's own bits is undone (owner bits only). A directory
    already there from an older version and open to others is narrowed to ``0700``.
    """
    directory = Path(path)
    directory.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    info = os.stat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(f"{directory}: not a directory")
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(directory, 0o700)
    return directory
