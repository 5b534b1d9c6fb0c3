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


class UnknownTargetError(InputError):
    """A target id that is neither ``local://NAME`` nor an ARM resource id."""

    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__(
            f"{target or '(empty)'}: not a target; use local://NAME or an ARM resource id "
            "such as /subscriptions/<sub>/resourceGroups/<rg>/providers/"
            "Microsoft.MachineLearningServices/workspaces/<ws>/computes/<name>",
            code="unknown_target",
        )


class RemoteError(OperationError):
    """A remote service (Azure Resource Manager) answered a request with an error status."""

    def __init__(self, status: int, operation: str, message: str, *,
                 code: str | None = None) -> None:
        self.status = status
        self.operation = operation
        super().__init__(message, code=code)


# The three below also inherit ValueError: they replace bare ValueErrors that callers (and
# user code) catch as such: the zone loader and the scoring service's reload catch ValueError
# together with ipaddress' and ssl's, and `SslSettings(status="on")` raised ValueError before.


class SettingsError(InputError, ValueError):
    """A TLS setting with a value it cannot take (``SslSettings``, options, YAML)."""

    def __init__(self, field: str, value: object, message: str) -> None:
        self.field = field
        self.value = value
        super().__init__(message, code="bad_setting")


class RecordError(InputError, ValueError):
    """A DNS name or record the local DNS server cannot serve."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message, code="bad_record")


class CertificatePairError(InputError, ValueError):
    """A certificate and key that do not make a working TLS server (the local service checks
    a new pair with a real handshake before serving it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="bad_certificate_pair")
