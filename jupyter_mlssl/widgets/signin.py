"""Device-code sign-in, shown inside the panel.

A remote kernel cannot open a browser on the user's machine, so Azure sign-in from the panel
is the device code: azure-identity calls our prompt with a URL and a short code, and the
user types the code in their own browser. Without a prompt callback azure-identity prints
the code to the kernel's stdout, which a widget callback's output never reaches in
JupyterLab; so the code goes into this box instead. The credential is kept for the panel's
lifetime so the user signs in once.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import ipywidgets as w


class SignIn:
    """The sign-in box (hidden until Azure asks for a device code) and the credential."""

    def __init__(self) -> None:
        self.box = w.HTML(value="", layout=w.Layout(display="none"))
        self._credential: Any = None
        self._kind: Any = None

    def prompt(self, verification_uri: str, user_code: str, expires_on: datetime | None) -> None:
        """azure-identity's ``prompt_callback``: show where to go and the code to type."""
        uri = html.escape(verification_uri, quote=True)
        code = html.escape(user_code)
        until = ""
        if isinstance(expires_on, datetime):
            until = f" (valid until {html.escape(expires_on.strftime('%H:%M %Z').strip())})"
        self.box.value = (
            '<div style="border: 1px solid #1e3a8a; padding: 6px; border-radius: 4px">'
            f'Azure sign-in: open <a href="{uri}" target="_blank" rel="noopener">{uri}</a> '
            f"and enter the code <code style=\"font-size: 1.2em\">{code}</code>{until}</div>"
        )
        self.box.layout.display = "block"

    def hide(self) -> None:
        self.box.value = ""
        self.box.layout.display = "none"

    def credential(self, kind: Any, arm_endpoint: str | None = None) -> Any:
        """A credential object for ``kind`` (a name, or an object passed in as is)."""
        if kind is not None and not isinstance(kind, str):
            return kind
        kind = (kind or "default").replace("_", "-")
        if self._credential is not None and self._kind == kind:
            return self._credential
        try:
            from jupyter_mlssl.targets.azure.credentials import cloud_for, credential_for
        except ImportError as exc:
            from jupyter_mlssl.errors import InputError

            raise InputError(
                f"Azure targets need the Azure SDKs: pip install 'jupyter-mlssl[azure]' "
                f"({exc.name} is missing)"
            ) from None
        extra: dict[str, Any] = {}
        if kind == "device-code":
            extra["prompt_callback"] = self.prompt
        self._credential = credential_for(kind, cloud_for(arm_endpoint), **extra)
        self._kind = kind
        return self._credential
