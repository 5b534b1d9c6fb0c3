"""What every tab of the panel shares: the target picker, the status line, busy state.

Why a shared object rather than widgets wired to each other: each tab is a small class that
asks :class:`PanelContext` for the target, runs its work inside :meth:`PanelContext.busy`
and renders into its own ``Output``. ``busy`` is where the rules live once: buttons are
disabled while an operation runs, and every error ends up in the one status line,
HTML-escaped and scrubbed of secrets. (``Button.click`` swallows exceptions, so a handler
that let one escape would fail silently in the browser.)
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.errors import MlsslError

if TYPE_CHECKING:
    from jupyter_mlssl.targets.base import Target
    from jupyter_mlssl.widgets.signin import SignIn

log = logging.getLogger(__name__)

OK, WORKING, FAILED = "#166534", "#1e3a8a", "#9b1c1c"

#: Labels at their own width: ipywidgets' default (a fixed ~80 px) cuts "Nameservers" to
#: "Nameserv…". Given to every labelled field of the panel.
LABEL = {"description_width": "initial"}


def field_layout(width: str = "100%", max_width: str = "48em") -> w.Layout:
    """A field as wide as the panel allows, up to ``max_width``: long values (paths, pins,
    URLs) stay readable instead of scrolling inside a 300 px box."""
    return w.Layout(width=width, max_width=max_width)


def show(out: w.Output, *objects: Any) -> None:
    """Replace what ``out`` shows. ``append_display_data`` writes the outputs trait directly,
    so it works from a callback, a thread, and in tests without a kernel."""
    out.clear_output()
    for obj in objects:
        out.append_display_data(obj)


def target_options(extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Local targets (``local://NAME``) and the configured ones, without duplicates."""
    names: list[str] = []
    try:
        from jupyter_mlssl.targets.local import verbs as local

        listed = local.services()
    except Exception:  # a broken service directory must not keep the panel from opening
        log.warning("jupyter-mlssl panel: could not list local services", exc_info=True)
        listed = None
    for item in _local_names(listed):
        names.append(item if item.startswith("local://") else f"local://{item}")
    names.extend(extra)
    return list(dict.fromkeys(n for n in names if n))


def _local_names(listed: Any) -> list[str]:
    """Names from ``local.services()``: a report with rows, or an iterable of names/records."""
    if listed is None:
        return []
    for attr in ("services", "targets", "entries", "items", "rows"):
        rows = getattr(listed, attr, None)
        if rows is not None and not callable(rows):
            listed = rows
            break
    names = []
    for row in listed:
        if isinstance(row, str):
            names.append(row)
        elif isinstance(row, dict):
            names.append(str(row.get("target") or row.get("name") or ""))
        else:
            names.append(str(getattr(row, "target", None) or getattr(row, "name", "")))
    return names


class PanelContext:
    """The picker, status line and button registry shared by the tabs."""

    def __init__(self, *, target: str | None, targets: list[str], ca_bundle: str | None,
                 credential: Any, arm_endpoint: str | None, timeout: float | None,
                 signin: SignIn, scrub: Callable[[object], str]) -> None:
        options = target_options(targets)
        if target and target not in options:
            options.insert(0, target)
        self.picker = w.Combobox(
            value=target or (options[0] if options else ""),
            options=options,
            placeholder="local://NAME or an ARM resource id",
            description="Target",
            ensure_option=False,
            style=LABEL,
            layout=w.Layout(width="70%"),
        )
        self.status = w.HTML(value="")
        self.ca_bundle = ca_bundle
        self.credential = credential
        self.arm_endpoint = arm_endpoint
        self.timeout = timeout
        self.signin = signin
        self.scrub = scrub
        self.running = False
        self._configured = list(targets)
        self._buttons: list[tuple[w.Button, Callable[[], bool]]] = []

    def refresh_targets(self) -> None:
        """Offer the local services deployed since the panel opened (the value is kept)."""
        options = target_options(self._configured)
        if self.target_id and self.target_id not in options:
            options.insert(0, self.target_id)
        self.picker.options = options

    # -- buttons ---------------------------------------------------------------------------
    def button(self, description: str, handler: Callable[[Any], Any], *, style: str = "",
               icon: str = "", enabled_when: Callable[[], bool] | None = None) -> w.Button:
        """A button registered for busy-disabling; ``enabled_when`` says when it may be used."""
        button = w.Button(description=description, button_style=style, icon=icon)
        button.on_click(handler)
        self._buttons.append((button, enabled_when or (lambda: True)))
        button.disabled = not (enabled_when or (lambda: True))()
        return button

    def refresh_buttons(self) -> None:
        for button, enabled in self._buttons:
            button.disabled = self.running or not enabled()

    # -- status ----------------------------------------------------------------------------
    def say(self, text: str, colour: str = OK) -> None:
        """One status line; the text is scrubbed and escaped here, always."""
        safe = html.escape(self.scrub(text), quote=True)
        self.status.value = f'<span style="color: {colour}">{safe}</span>'

    def progress(self, message: str) -> None:
        self.say(f"⏳ {message}", WORKING)

    @contextmanager
    def busy(self, what: str) -> Iterator[None]:
        """Run an operation: buttons off, progress in the status line, errors caught there."""
        self.running = True
        self.refresh_buttons()
        self.progress(f"{what}…")
        try:
            yield
        except MlsslError as exc:
            self.say(f"✖ {exc}", FAILED)
        except Exception as exc:  # shown, not swallowed: the browser has nowhere else
            log.warning("jupyter-mlssl panel: %s failed", what, exc_info=True)  # a bug: keep it
            self.say(f"✖ unexpected error while {what.lower()}: {type(exc).__name__}: {exc}",
                     FAILED)
        else:
            if self.status.value.startswith(f'<span style="color: {WORKING}">'):
                self.say(f"✔ {what}: done")
        finally:
            # A device code is only good while the operation that asked for it runs.
            self.signin.hide()
            self.running = False
            self.refresh_buttons()

    # -- target ----------------------------------------------------------------------------
    @property
    def target_id(self) -> str:
        return (self.picker.value or "").strip()

    def target(self) -> Target:
        """The picked target, connected with the panel's credential (device code shown here)."""
        from jupyter_mlssl.change.targets import open_for_change

        target_id = self.target_id
        if not target_id:
            raise _input_error("no target picked; choose one or type local://NAME or an ARM id")
        credential = None
        if target_id.lower().startswith("/subscriptions/"):
            credential = self.signin.credential(self.credential, self.arm_endpoint)
        return open_for_change(target_id, credential=credential, arm_endpoint=self.arm_endpoint)


def _input_error(message: str) -> MlsslError:
    from jupyter_mlssl.errors import InputError

    return InputError(message)


def report_status(report: Any, what: str) -> tuple[str, str]:
    """The status line for a finished report: its summary, coloured by its exit status."""
    status = getattr(report, "exit_status", 0)
    summary = report.summary() if hasattr(report, "summary") else what
    if status:
        return f"✖ {summary}", FAILED
    return f"✔ {summary}", OK
