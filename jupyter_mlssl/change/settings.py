"""Command-line style options -> :class:`SslSettings`, validated the way azureml-core does.

azureml-core's ``SslConfiguration.validate_configuration`` (docs/azure-notes.md) refuses a
cname, cert or key given alone, a leaf domain label together with them, and
``overwrite_existing_domain`` without a label. ``renew`` (docs/azure-notes.md) reissues a
Microsoft-provided certificate: it needs the current status to be Auto and keeps the label
(pass the original label, or none). Certificate and key files are read through the
certificate toolkit, so any format it knows works, and an unusable file becomes a one-line
:class:`InputError` naming it. The CLI, the magics' YAML and the panel all come through here.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.targets.base import SslSettings

if TYPE_CHECKING:
    from jupyter_mlssl.certificates.loading import Source

#: A label becomes the first part of ``<label><6 chars>.<region>...``: one DNS label, leaving
#: room for the six characters. Azure wants lowercase letters, digits and hyphens.
LABEL_RE = re.compile(r"^[a-z][a-z0-9-]{0,55}$")
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)


def settings_from_options(
    *,
    leaf_domain_label: str | None = None,
    overwrite_existing_domain: bool = False,
    cert: Source | None = None,
    key: Source | None = None,
    cname: str | None = None,
    password: bytes | str | None = None,
    renew: bool = False,
    disable: bool = False,
    current: SslSettings | None = None,
) -> SslSettings:
    """The desired settings for these options, or :class:`InputError` saying what to fix."""
    custom = {"--cert": cert, "--key": key, "--cname": cname}
    given = [flag for flag, value in custom.items() if value not in (None, "")]

    if disable:
        extra = given + (["--leaf-domain-label"] if leaf_domain_label else [])
        extra += ["--renew"] if renew else []
        extra += ["--overwrite-existing-domain"] if overwrite_existing_domain else []
        if extra:
            raise InputError(f"disable takes no certificate options ({', '.join(extra)}): "
                             "disabling TLS only needs the target")
        return SslSettings(status="Disabled")

    if leaf_domain_label and given:
        raise InputError(
            f"--leaf-domain-label cannot be combined with {', '.join(given)}: choose a "
            "Microsoft-provided certificate (--leaf-domain-label) or your own "
            "(--cert, --key, --cname)"
        )
    if overwrite_existing_domain and not leaf_domain_label:
        raise InputError("--overwrite-existing-domain only applies with --leaf-domain-label")

    if renew:
        return _renew(leaf_domain_label, overwrite_existing_domain, given, current)

    if leaf_domain_label:
        return SslSettings(
            status="Auto",
            leaf_domain_label=_label(leaf_domain_label),
            overwrite_existing_domain=overwrite_existing_domain,
        )

    return _custom(cert, key, cname, password, given)


def _custom(cert: Source | None, key: Source | None, cname: str | None,
            password: bytes | str | None, given: list[str]) -> SslSettings:
    """Your own certificate: --cert, --key and --cname (or a PFX holding the key)."""
    if not given:
        raise InputError(
            "say which certificate: --leaf-domain-label L for one from the service's CA, "
            "or --cert FILE --key FILE --cname NAME for your own"
        )
    missing = [flag for flag in ("--cert", "--key", "--cname") if flag not in given]
    need = (f"{', '.join(given)} also need(s) {', '.join(missing)}: a custom certificate "
            "takes --cert, --key and --cname together (or a PFX bundle holding the key as "
            "--cert, and --cname)")
    if missing and missing != ["--key"]:
        raise InputError(need)
    assert cert is not None and cname is not None
    name = _hostname(cname)
    from jupyter_mlssl.certificates import load_or_raise

    # Without --key the certificate file must carry it: a PKCS#12 (.pfx) bundle does.
    loaded = load_or_raise(cert, key=key, password=password)
    if loaded.key is None:
        if missing:
            raise InputError(need)
        raise InputError(f"{_describe(key)} holds no private key: give the key file with --key")
    return SslSettings(status="Enabled", cname=name, cert_pem=loaded.chain_pem(),
                       key=loaded.key_pem())


def _renew(label: str | None, overwrite: bool, given: list[str],
           current: SslSettings | None) -> SslSettings:
    if given:
        raise InputError(
            "--renew reissues a certificate from the service's CA (Auto); to renew your own "
            "certificate, update with the new --cert, --key and --cname instead"
        )
    if overwrite:
        raise InputError(
            "--renew keeps the name: drop --overwrite-existing-domain (it draws a new name)"
        )
    if current is None:
        raise InputError("--renew needs the target's current settings; read its status first")
    if current.status != "Auto" or not current.leaf_domain_label:
        raise InputError(
            f"--renew only applies when TLS is Auto (a certificate from the service's CA); "
            f"it is {current.status}: enable with --leaf-domain-label first"
        )
    if label and _label(label) != current.leaf_domain_label:
        raise InputError(
            f"--renew keeps the name: pass the current label {current.leaf_domain_label!r} "
            f"(or none), not {_shown(label)}; a new label is an update without --renew"
        )
    return SslSettings(status="Auto", leaf_domain_label=current.leaf_domain_label, renew=True)


def _label(label: str) -> str:
    value = label.strip().lower()
    if not LABEL_RE.match(value):
        raise InputError(
            f"--leaf-domain-label {_shown(label)}: use one DNS label of lowercase letters, digits "
            "and '-', starting with a letter, at most 56 characters (e.g. 'contoso')"
        )
    return value


def _hostname(cname: str) -> str:
    value = cname.strip().rstrip(".").lower()
    if not HOSTNAME_RE.match(value):
        raise InputError(
            f"--cname {_shown(cname)}: not a DNS name; give the name clients use, such as "
            "api.contoso.com"
        )
    return value


def _shown(value: str, limit: int = 80) -> str:
    """A user's value quoted in a message, cut short: a pasted blob never fills the screen."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + "..."


def _describe(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return "the key data"
