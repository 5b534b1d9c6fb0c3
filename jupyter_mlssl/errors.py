"""Errors a user can act on.

Every expected failure is an :class:`MlsslError` whose message is one line naming the
thing at fault and the fix. Faces turn it into an exit status (CLI) or a one-line
``UsageError`` (notebook); nothing below the faces prints.
"""

from __future__ import annotations

from jupyter_mlssl.reports.rendering import one_line


class MlsslError(Exception):
    """An expected failure, with a one-line message and the CLI exit status it maps to."""

    exit_status = 1

    def __init__(self, message: str, *, code: str | None = None) -> None:
        # One line, always: messages end up in a UsageError, a status bar and on stderr.
        # Made printable and bounded here, once: they echo names and values from files,
        # certificates and servers (escape sequences, a 5 MB value).
        super().__init__(one_line(message))
        self.code = code

    @property
    def message(self) -> str:
        return str(self)


class InputError(MlsslError):
    """Bad usage or unusable input (unreadable file, wrong password, bad YAML): exit 2."""

    exit_status = 2


class OperationError(MlsslError):
    """A remote or local operation failed or was refused: exit 1."""

    exit_status = 1


class ConfirmationRequired(InputError):
    """A destructive change (disable) was asked for without confirmation."""
