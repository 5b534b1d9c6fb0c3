"""ACME directory URLs by short name."""

from __future__ import annotations

from jupyter_mlssl.errors import InputError

KNOWN = {
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "zerossl": "https://acme.zerossl.com/v2/DV90",
    "google": "https://dv.acme-v02.api.pki.goog/directory",
}
DEFAULT = "letsencrypt"


def directory_url(value: str | None) -> str:
    """``letsencrypt`` (the default), ``letsencrypt-staging``, ``zerossl``, ``google`` or a URL."""
    value = (value or DEFAULT).strip()
    if value.lower() in KNOWN:
        return KNOWN[value.lower()]
    if value.startswith(("https://", "http://")):
        return value
    raise InputError(
        f"--directory {value}: give an https:// ACME directory URL or one of "
        f"{', '.join(KNOWN)}"
    )
