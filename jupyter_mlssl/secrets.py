"""A wrapper that keeps private key material out of everything printable.

``Secret`` holds the bytes of a private key (or a password). Its ``repr``/``str`` never show
them; the only way out is :meth:`reveal`, which callers use at the last moment (writing a
0600 file, building a request body). Dataclasses hold keys as ``Secret`` so a stray
``print(settings)`` or a traceback's locals cannot leak one.
"""

from __future__ import annotations

import hashlib
import re

#: a portable environment-variable name (POSIX: letters, digits, underscore; no digit first)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: bytes | str) -> None:
        self._value = value.encode() if isinstance(value, str) else bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def reveal_text(self) -> str:
        return self._value.decode("utf-8")

    def fingerprint(self) -> str:
        """A short, non-reversible tag to tell two secrets apart in plans and logs."""
        return "sha256:" + hashlib.sha256(self._value).hexdigest()[:12]

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self):  # pickling would copy the value out of our control
        raise TypeError("Secret objects cannot be pickled")


def mask(value: object) -> str:
    return "********" if value else ""


def is_env_name(value: str) -> bool:
    """Is ``value`` usable as an environment-variable name? ``--password-env`` takes the
    NAME of a variable; something else there is often the password itself, typed by mistake,
    so callers must not echo it."""
    return bool(_ENV_NAME.fullmatch(value)) and len(value) <= 255
