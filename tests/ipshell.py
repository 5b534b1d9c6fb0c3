"""A real IPython shell for magic and panel tests (jupyter-notes a.6).

History is off (its SQLite file would leak between tests and exhaust file handles); the
singleton is cleared afterwards so every test starts from a fresh shell.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


@contextmanager
def shell(config: Config | None = None, *, load: bool = True) -> Iterator[InteractiveShell]:
    config = config or Config()
    config.HistoryAccessor.enabled = False
    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance(config=config)
    try:
        if load:
            ip.extension_manager.load_extension("jupyter_mlssl")
        yield ip
    finally:
        InteractiveShell.clear_instance()


def magic(ip: InteractiveShell):
    """The registered MlsslMagic instance."""
    return ip.magics_manager.registry["MlsslMagic"]
