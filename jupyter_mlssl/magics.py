"""The ``%mlssl`` / ``%%mlssl`` magics: the notebook face of the ``mlssl`` command line.

One parser (``jupyter_mlssl.parser``) serves both faces, so a verb means the same thing in a
terminal and in a cell. The magic only tokenises the line, fills in ``%config`` defaults,
runs the verb's handler and turns the outcome into what a notebook expects:

- the report is *returned*, so ``r = %mlssl probe https://...`` works and a bare
  ``%mlssl ...`` line displays its tables;
- an expected failure (an :class:`~jupyter_mlssl.errors.MlsslError`, or a report whose
  ``exit_status`` is not 0) fails the cell with a plain one-line ``UsageError``, after the
  report's tables are displayed. A failed TLS change must stop "run all"; printing and
  returning ``None`` would let the next cell run (ipython-sql #251).

``UsageError`` is raised as is, never subclassed: IPython prints a full traceback for
subclasses (ipython#14024).

Python values in the line expand the IPython way, as in ``%cd`` or ``!ls``: ``{expr}`` and
``$name`` (``%mlssl probe {endpoint.url}``); ``$$`` keeps a literal ``$`` and ``{{``/``}}``
literal braces. The magic does it with IPython's own formatter over the user's namespace and
the caller's locals, as ``shell.var_expand`` would; a line it cannot expand (an unknown
name) is passed on untouched and the parser says what is wrong. It does it itself, rather
than letting the shell, only to bound it: IPython's formatter is quadratic in the line's
length (16,000 characters take a second), so a line over :data:`MAX_EXPANDED` is used as
typed.
Only the line expands, never a ``%%mlssl`` cell body (YAML). jupysql chose its own
``{{var}}`` templates because SQL has braces of its own; our lines (URLs, paths, ARM ids)
do not, so the convention users already know wins. Expansion does not widen what history
keeps: IPython stores the line as typed, and echoes are scrubbed of secrets after it.

Loading must stay cheap (``benchmarks/load_ext.py``): this module imports only what IPython
has already imported; the parser is built on first use and handlers are imported by
``commands.run`` when their verb runs.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
)
from traitlets import Bool, Float, List, TraitError, Unicode, validate
from traitlets.config import Configurable

from jupyter_mlssl.errors import InputError, MlsslError, OperationError
from jupyter_mlssl.secrets import Scrubber

if TYPE_CHECKING:
    import argparse

    from jupyter_mlssl.parser import ArgumentParser

PROG = "%mlssl"
#: jupyter_mlssl.targets.azure.credentials.KINDS, spelled out: importing it here would cost
#: load time (tests/test_magics_core.py checks the two agree).
CREDENTIAL_KINDS = ("default", "cli", "environment", "device-code")

#: the longest line expanded (see the module docstring); real lines (URLs, paths, ARM ids)
#: are a few hundred characters.
MAX_EXPANDED = 4096

#: verbs whose first positional is a TARGET: ``MlsslMagic.default_target`` fills it in.
TARGET_VERBS = frozenset({"status", "enable", "update", "disable", "apply", "history", "panel"})

def _looks_like_target(token: str) -> bool:
    lowered = token.lower()
    return lowered.startswith("local://") or lowered.startswith("/subscriptions/")


def usage_text(parser: ArgumentParser) -> str:
    """The top-level help followed by every verb's usage line: what ``%mlssl?`` shows."""
    import argparse

    lines = [parser.format_help().rstrip(), "", "Verbs:"]

    def walk(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in dict.fromkeys(action.choices.values()):
                    if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                        walk(sub)
                    else:
                        lines.append("  " + " ".join(sub.format_usage().split()[1:]))

    walk(parser)
    lines += [
        "",
        "Cell magic: %%mlssl apply TARGET [--dry-run] [--yes], with the desired settings as",
        "YAML in the cell body (keys: status, cname, cert, key, leaf_domain_label,",
        "overwrite_existing_domain, renew, password_env).",
        "",
        "Python values expand in the line: {expr} or $name (for example",
        "%mlssl probe {endpoint.url}); $$ and {{ }} keep a literal $ or braces.",
        "",
        "Settings: %config MlsslMagic (default_target, ca_bundle, credential, timeout,",
        "short_errors, ...). Details of a verb: %mlssl VERB --help",
    ]
    return "\n".join(lines)


@magics_class
class MlsslMagic(Magics, Configurable):
    """Holds the ``%config MlsslMagic.*`` settings and runs ``%mlssl`` / ``%%mlssl``."""

    default_target = Unicode(
        "",
        config=True,
        help="TARGET used when a verb that needs one (status, enable, update, disable, apply, "
        "history, panel) is given none: local://NAME or an ARM resource id.",
    )
    ca_bundle = Unicode(
        "",
        config=True,
        help="Trust store (PEM) for certificate checks, probes and post-change verification "
        "when a verb has no --ca-bundle. Empty: Mozilla's, through certifi.",
    )
    credential = Unicode(
        "default",
        config=True,
        help="How Azure targets sign in: 'default' (environment, workload or managed "
        "identity, Azure CLI; never waits on a browser), 'cli' (az login), 'environment' "
        "(a service principal from AZURE_* variables) or 'device-code' (a code to enter at "
        "microsoft.com/devicelogin; the panel shows it).",
    )

    @validate("credential")
    def _valid_credential(self, proposal: Any) -> str:
        kind = str(proposal["value"]).strip().lower().replace("_", "-")
        if kind not in CREDENTIAL_KINDS:
            raise TraitError(f"credential must be one of {', '.join(CREDENTIAL_KINDS)}, "
                             f"not {proposal['value']!r}")
        return kind

    arm_endpoint = Unicode(
        "",
        config=True,
        help="Azure Resource Manager endpoint for sovereign clouds. Empty: public Azure.",
    )
    targets = List(
        Unicode(),
        default_value=[],
        config=True,
        help="Targets the panel's picker offers besides local ones (for example ARM ids).",
    )
    timeout = Float(
        None,
        allow_none=True,
        config=True,
        help="Seconds for DNS and probe checks when a verb has no --timeout. None: the verb's "
        "own default.",
    )
    short_errors = Bool(
        True,
        config=True,
        help="Expected failures fail the cell with one line (UsageError). False: raise the "
        "original error with its full traceback.",
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        # Configurable first, so c.MlsslMagic.* from ipython_config / shell.config applies.
        Configurable.__init__(self, config=shell.config if shell is not None else None)
        Magics.__init__(self, shell=shell, **kwargs)
        self._parser: ArgumentParser | None = None
        #: the last report a verb returned, even when the cell failed on it
        self.last_report: Any = None
        # `%config MlsslMagic.x = ...` finds us through shell.configurables; recent IPython's
        # Magics.__init__ already appends, older ones do not.
        if shell is not None and self not in shell.configurables:
            shell.configurables.append(self)

    # -- parsing ---------------------------------------------------------------------------
    @property
    def parser(self) -> ArgumentParser:
        if self._parser is None:
            from jupyter_mlssl.parser import build_parser

            self._parser = build_parser(PROG)
        return self._parser

    def _with_default_target(self, tokens: list[str]) -> list[str]:
        if not tokens or tokens[0] not in TARGET_VERBS or not self.default_target:
            return tokens
        if any(_looks_like_target(t) for t in tokens[1:]) or any(
            t in ("-h", "--help") for t in tokens
        ):
            return tokens
        return [tokens[0], self.default_target, *tokens[1:]]

    def _apply_defaults(self, args: argparse.Namespace, tokens: list[str]) -> None:
        """Fill in ``%config`` settings the line left out; what the user typed wins."""
        if self.ca_bundle and getattr(args, "ca_bundle", "missing") is None:
            args.ca_bundle = self.ca_bundle
        if (
            self.timeout is not None
            and hasattr(args, "timeout")
            and not any(t == "--timeout" or t.startswith("--timeout=") for t in tokens)
        ):
            args.timeout = self.timeout

    def defaults(self) -> dict[str, Any]:
        """Face-level settings lent to handlers (``Context.defaults``)."""
        return {
            "target": self.default_target or None,
            "ca_bundle": self.ca_bundle or None,
            "credential": self.credential,
            "arm_endpoint": self.arm_endpoint or None,
            "targets": list(self.targets),
            "timeout": self.timeout,
        }

    # -- the magic -------------------------------------------------------------------------
    def _expand(self, line: str, local_ns: dict[str, Any] | None) -> str:
        """``{expr}`` / ``$name`` expanded as ``shell.var_expand`` does, for bounded lines."""
        if len(line) > MAX_EXPANDED or ("$" not in line and "{" not in line
                                        and "}" not in line):
            return line
        from IPython.utils.text import DollarFormatter

        namespace = dict(self.shell.user_ns) if self.shell is not None else {}
        namespace.update(local_ns or {})
        try:
            return str(DollarFormatter().vformat(line, args=[], kwargs=namespace))
        except Exception:  # as IPython does: a line that does not expand is used as typed
            return line

    @no_var_expand
    @needs_local_scope
    @line_cell_magic("mlssl")  # type: ignore[arg-type]
    def mlssl(self, line: str = "", cell: str | None = None,
              local_ns: dict[str, Any] | None = None) -> Any:
        """Secure a deployed model's web service with TLS; see %mlssl? for the verbs."""
        line = self._expand(line, local_ns)
        try:
            tokens = shlex.split(line)
        except ValueError as exc:  # an unclosed quote
            raise UsageError(f"{PROG}: cannot split the line: {exc}") from None
        from jupyter_mlssl.commands import Context

        context = Context(confirm=None, cell=cell, defaults=self.defaults())
        scrub = Scrubber.for_tokens(tokens, context.environ, cell)
        context.progress = lambda message: print(scrub(message), flush=True)

        if not tokens:
            raise UsageError(f"{PROG}: give a verb, for example: {PROG} probe https://HOST/ "
                             f"(see {PROG}?)")
        try:
            return self._run(self._with_default_target(tokens), cell, context, scrub)
        except MlsslError as exc:
            if not self.short_errors:
                raise
            raise UsageError(scrub(exc)) from None

    def _run(self, tokens: list[str], cell: str | None, context: Any, scrub: Scrubber) -> Any:
        from jupyter_mlssl.commands import run

        try:
            args = self.parser.parse_args(tokens)
        except SystemExit:  # --help or --version printed already
            return None
        if cell is not None and args.handler != "apply:apply":
            raise InputError(
                f"%%mlssl: only 'apply' takes a cell body; use {PROG} {args.verb} ... "
                "on a line of its own"
            )
        self._apply_defaults(args, tokens)
        result = run(args, context)
        self.last_report = result
        status = getattr(result, "exit_status", 0)
        if getattr(args, "json", False) and hasattr(result, "to_dict"):
            shown: Any = result.to_dict()
        else:
            shown = result
        if status:
            from IPython.display import display

            display(shown)
            error = InputError if status == 2 else OperationError
            raise error(scrub(result.summary()))
        return shown


def _magic_usage() -> str:
    from jupyter_mlssl.parser import build_parser

    return usage_text(build_parser(PROG))


# ``%mlssl?`` shows the parser's help. IPython's ``?`` asks an object for ``getdoc()`` before
# reading its docstring, and a bound method forwards attribute lookups to its function; so
# the help is built only when asked, not at ``%load_ext`` time.
setattr(MlsslMagic.mlssl, "getdoc", _magic_usage)  # noqa: B010


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_mlssl``: register ``%mlssl`` and ``%%mlssl``."""
    ipython.register_magics(MlsslMagic(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext jupyter_mlssl``: remove the magics and their ``%config`` entry."""
    manager = ipython.magics_manager
    instance = manager.registry.pop("MlsslMagic", None)
    for kind in ("line", "cell"):
        manager.magics[kind].pop("mlssl", None)
    if instance is not None:
        ipython.configurables[:] = [c for c in ipython.configurables if c is not instance]
