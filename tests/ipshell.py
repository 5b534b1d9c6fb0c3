"""A real IPython shell for magic and panel tests (built in a fixture, as jupysql's are).

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


def upload(widget, name: str, data: bytes) -> None:
    """What the browser sends when a file is picked in a FileUpload (ipywidgets 8)."""
    widget.set_state({"value": [{"name": name, "type": "application/octet-stream",
                                 "size": len(data), "last_modified": 1_700_000_000_000,
                                 "content": memoryview(data)}]})


def _flatten(value) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    if isinstance(value, dict):
        return b"\n".join(_flatten(k) + b"=" + _flatten(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return b"\n".join(_flatten(v) for v in value)
    return repr(value).encode()


def widget_state_leaks(panel, secrets: list[bytes]) -> list[str]:
    """Which widgets reachable from ``panel`` hold any of ``secrets`` (or a PEM key) in their
    ``get_state()``: what the front-end and a saved notebook would get."""
    needles = [s for s in secrets if s] + [b"PRIVATE KEY"]
    leaks = []
    for widget in panel.widgets():
        state = _flatten(widget.get_state())
        for needle in needles:
            if needle in state:
                leaks.append(f"{type(widget).__name__} {widget.model_id}: {needle[:12]!r}")
    return leaks
