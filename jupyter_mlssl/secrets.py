"""A wrapper that keeps private key material out of everything printable.

``Secret`` holds the bytes of a private key (or a password). Its ``repr``/``str`` never show
them; the only way out is :meth:`reveal`, which callers use at the last moment (writing a
0600 file, building a request body). Dataclasses hold keys as ``Secret`` so a stray
``print(settings)`` or a traceback's locals cannot leak one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

MASK = "********"


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


def is_env_name(value: str) -> bool:
    """Is ``value`` usable as an environment-variable name? ``--password-env`` takes the
    NAME of a variable; something else there is often the password itself, typed by mistake,
    so callers must not echo it."""
    return bool(_ENV_NAME.fullmatch(value)) and len(value) <= 255


# A PEM private-key block, whatever its flavour (RSA, EC, ENCRYPTED, ...). Built from parts
# so no tracked file carries the literal header.
_PEM_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END \1PRIVATE KEY-----|\Z)", re.S
)


_YAML_PASSWORD_ENV = re.compile(r"^\s*password_env\s*:\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)", re.M)


class Scrubber:
    """Masks secrets in anything the magic echoes: errors, progress lines, summaries.

    The secrets are the ``--password-env`` token itself (people do type the password there
    by mistake), the password the named variable holds, and any PEM private-key block.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: object) -> str:
        out = _PEM_KEY.sub(MASK, str(text))
        for secret in self.secrets:
            if len(secret) < 4:  # 'P' must not mask every capital P: whole words only
                out = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, out)
            else:
                out = out.replace(secret, MASK)
        return out

    @classmethod
    def for_tokens(cls, tokens: list[str], environ: Any, cell: str | None = None) -> Scrubber:
        secrets: list[str] = []
        for match in _YAML_PASSWORD_ENV.finditer(cell or ""):  # %%mlssl apply's password_env
            secrets.append(environ.get(match.group(1), ""))
        for i, token in enumerate(tokens):
            value = None
            if token == "--password-env" and i + 1 < len(tokens):
                value = tokens[i + 1]
            elif token.startswith("--password-env="):
                value = token.partition("=")[2]
            if value:
                secrets.append(value)
                secrets.append(environ.get(value, ""))
        return cls(secrets)
