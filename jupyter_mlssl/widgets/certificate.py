"""The Certificate tab: upload a certificate, key or PFX, check it before it goes anywhere.

Key material must never reach widget state, because widget state is what a notebook saves
(``metadata.widgets``) and what the front-end keeps. So an upload is read and the
``FileUpload`` emptied in the same observer call; a PEM key pasted into the certificate file
is split off at once; the password box is emptied as soon as it is read. What stays is held
here in Python only, the key as a :class:`~jupyter_mlssl.secrets.Secret`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlssl.pki.pem import split_private_keys
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.widgets.base import LABEL, field_layout, report_status, show

if TYPE_CHECKING:
    from jupyter_mlssl.widgets.base import PanelContext

CERT_TYPES = ".pem,.crt,.cer,.der,.pfx,.p12,.p7b,.p7c"
KEY_TYPES = ".pem,.key"



@dataclass
class Material:
    """What the user uploaded, held in Python (never in a widget)."""

    cert: bytes | None = None
    cert_name: str = ""
    key: Secret | None = None
    key_name: str = ""
    password: Secret | None = None

    def describe(self) -> str:
        parts = []
        if self.cert is not None:
            parts.append(f"certificate: {self.cert_name} ({len(self.cert):,} bytes)")
        if self.key is not None:
            parts.append(f"key: {self.key_name} (held in memory, {self.key.fingerprint()})")
        if self.password is not None:
            parts.append("password: given")
        return " · ".join(parts) or "nothing uploaded yet"


def _take_upload(upload: w.FileUpload) -> list[tuple[str, bytes]]:
    """The uploaded files as ``(name, bytes)``; the widget is emptied before returning."""
    files = [(str(f["name"]), bytes(f["content"])) for f in upload.value]
    upload.value = ()
    return files


class CertificateTab:
    def __init__(self, context: PanelContext) -> None:
        self.context = context
        self.material = Material()
        self.cert_upload = w.FileUpload(accept=CERT_TYPES, multiple=False,
                                        description="Certificate or PFX",
                                        layout=w.Layout(width="auto"))
        self.key_upload = w.FileUpload(accept=KEY_TYPES, multiple=False,
                                       description="Private key", layout=w.Layout(width="auto"))
        # Synced on Enter / leaving the box (not per keystroke), then moved out at once.
        self.password = w.Password(description="Password", continuous_update=False,
                                   style=LABEL, layout=field_layout(max_width="32em"),
                                   placeholder="for an encrypted key or PFX")
        self.cname = w.Text(description="CNAME", placeholder="the DNS name clients use",
                            style=LABEL, layout=field_layout(max_width="32em"))
        self.held = w.HTML(value=html.escape(self.material.describe()))
        self.inspect_button = context.button("Inspect", self.on_inspect, style="primary",
                                             icon="search",
                                             enabled_when=lambda: self.material.cert is not None)
        self.forget_button = context.button("Forget uploads", self.on_forget, icon="trash")
        self.out = w.Output()
        self.cert_upload.observe(self.on_cert_upload, names="value")
        self.key_upload.observe(self.on_key_upload, names="value")
        self.password.observe(self.on_password, names="value")
        self.widget = w.VBox([
            w.HBox([self.cert_upload, self.key_upload]),
            w.HBox([self.password, self.cname]),
            self.held,
            w.HBox([self.inspect_button, self.forget_button]),
            self.out,
        ])
        #: called when the material changes (the Change tab drops a stale plan)
        self.on_change: list[Any] = []

    # -- uploads ---------------------------------------------------------------------------
    def on_cert_upload(self, change: Any = None) -> None:
        files = _take_upload(self.cert_upload)
        if not files:  # our own emptying of the widget
            return
        name, data = files[0]
        # a key in the certificate file is held as a Secret, like one uploaded on its own
        data, keys = split_private_keys(data)
        if keys:
            self.material.key = Secret(b"".join(keys))
            self.material.key_name = f"{name} (key part)"
        self.material.cert, self.material.cert_name = data, name
        self._changed(f"read {name}")

    def on_key_upload(self, change: Any = None) -> None:
        files = _take_upload(self.key_upload)
        if not files:
            return
        name, data = files[0]
        self.material.key, self.material.key_name = Secret(data), name
        self._changed(f"read {name}")

    def on_password(self, change: Any = None) -> None:
        """A password typed in the box leaves widget state as soon as it arrives."""
        if self.password.value:
            self.take_password()
            self.context.say("password received (kept in memory, not in the notebook)")

    def on_forget(self, _button: Any = None) -> None:
        self.material = Material()
        self.password.value = ""
        self.out.clear_output()
        self._changed("uploads forgotten")

    def _changed(self, message: str) -> None:
        self.held.value = html.escape(self.material.describe())
        self.context.refresh_buttons()
        self.context.say(message)
        for callback in self.on_change:
            callback()

    # -- what other tabs use ---------------------------------------------------------------
    def take_password(self) -> Secret | None:
        """The password, moved out of the widget into a Secret (kept for later use)."""
        if self.password.value:
            self.material.password = Secret(self.password.value)
            self.password.value = ""
            self.held.value = html.escape(self.material.describe())
        return self.material.password

    @property
    def cname_value(self) -> str | None:
        return self.cname.value.strip() or None

    # -- inspect ---------------------------------------------------------------------------
    def on_inspect(self, _button: Any = None) -> Any:
        """Check the uploaded certificate (and key) against the CNAME and the trust store."""
        report = None
        with self.context.busy("Inspecting the certificate"):
            password = self.take_password()
            if self.material.cert is None:
                from jupyter_mlssl.errors import InputError

                raise InputError("no certificate uploaded; upload a PEM, DER, PFX or P7B file")
            from jupyter_mlssl.certificates import inspect

            key = self.material.key
            report = inspect(
                self.material.cert,
                key=key.reveal() if key is not None else None,
                cname=self.cname_value,
                password=password.reveal() if password is not None else None,
                ca_bundle=self.context.ca_bundle,
                name=self.material.cert_name or None,
                key_name=self.material.key_name or None,
            )
            show(self.out, report)
            self.context.say(*report_status(report, "certificate checked"))
        return report
