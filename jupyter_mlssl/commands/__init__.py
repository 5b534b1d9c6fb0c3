"""Verb handlers shared by the CLI and the magics.

A handler turns a parsed namespace into calls on the Python API and returns a report; it
never prints. ``run`` finds the handler named by the parser (``"module:function"``) and
imports it only then, so faces stay cheap to load.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlssl.errors import InputError


def _no_progress(message: str) -> None:
    return None


@dataclass
class Context:
    """What a face lends a handler: how to confirm, report progress, read the environment.

    ``confirm`` is None where nobody can be asked (a notebook cell, CI): a destructive change
    then needs ``--yes``. ``cell`` is the ``%%mlssl`` cell body, if any. ``defaults`` holds
    face-level settings (``%config MlsslMagic.*``) such as a default CA bundle.
    """

    confirm: Callable[[str], bool] | None = None
    progress: Callable[[str], None] = _no_progress
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    cell: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)

    def credential(self) -> Any:
        """The Azure credential the face was given (``%config MlsslMagic.credential``: an
        object, or a kind built for the configured cloud); None for the default chain, and
        None without the azure extra (what needs Azure then names the missing extra)."""
        credential = self.defaults.get("credential_object")
        kind = self.defaults.get("credential")
        if credential is None and kind:
            try:
                from jupyter_mlssl.targets.azure.credentials import cloud_for, credential_for
            except ImportError:
                return None
            credential = credential_for(str(kind).replace("_", "-"),
                                        cloud_for(self.defaults.get("arm_endpoint")))
        return credential

    def target(self, target_id: str) -> Any:
        """The target, with the face's credential and cloud (``%config MlsslMagic``) for Azure."""
        from jupyter_mlssl.change.targets import open_for_change

        azure = target_id.lower().startswith("/subscriptions/")
        return open_for_change(
            target_id,
            credential=self.credential() if azure else self.defaults.get("credential_object"),
            arm_endpoint=self.defaults.get("arm_endpoint"))

    def password(self, var: str | None) -> bytes | None:
        """The password held in environment variable ``var`` (never taken from argv)."""
        if not var:
            return None
        from jupyter_mlssl.targets.local.processes import withhold

        withhold(var)  # a daemon started by this command must not inherit it
        if var not in self.environ:
            raise InputError(
                f"--password-env {var}: no such environment variable; "
                f"set it first (export {var}=...)"
            )
        return self.environ[var].encode("utf-8")


def run(args: argparse.Namespace, context: Context | None = None) -> Any:
    """Run the handler the parser chose for ``args``."""
    _check_password_env(getattr(args, "password_env", None))
    module_name, _, func_name = args.handler.partition(":")
    module = importlib.import_module(f"jupyter_mlssl.commands.{module_name}")
    handler = getattr(module, func_name)
    return handler(args, context or Context())


def _check_password_env(var: str | None) -> None:
    """``--password-env`` takes a variable's NAME. Anything else there is often the password
    itself, typed by mistake: refuse it in a line that does not repeat it."""
    from jupyter_mlssl.secrets import is_env_name

    if var and not is_env_name(var):
        raise InputError(
            "--password-env takes the NAME of an environment variable (letters, digits, "
            "underscore), not a password: export KEY_PASSWORD=... then "
            "--password-env KEY_PASSWORD"
        )
