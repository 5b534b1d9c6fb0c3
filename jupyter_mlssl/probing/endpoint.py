"""What to probe: URLs and curl-style ``--resolve`` overrides, checked before any I/O.

Bad input is the user's to fix, so it fails here with one line (exit 2), before a single
connection is made, rather than as a verdict on some URL.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.reports.rendering import visible

DEFAULT_PORTS = {"https": 443, "http": 80}

#: one label of a host name once IDNA-encoded: letters, digits, '-' inside, '_' (SRV-style
#: names such as _acme-challenge are real hosts), 1-63 characters
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)
#: the user:password@ of a URL's authority (urlsplit's netloc: up to the first / ? or #;
#: userinfo: up to its last @)
_USERINFO = re.compile(r"^([^/?#]*//)[^/?#]*@")


@dataclass(frozen=True)
class Endpoint:
    url: str
    scheme: str  # "https" or "http"
    host: str  # lower case, no brackets, no trailing dot
    port: int
    target: str  # path and query, for the request line

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse_url(url: str) -> Endpoint:
    """``https://host[:port][/path]``; a bare ``host[:port]`` means https."""
    text = str(url).strip()
    if "://" not in text:
        text = "https://" + text
    # The URL is echoed by every message below: a user:password@ in it must not be.
    shown = _USERINFO.sub(r"\1", text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        detail = "" if shown != text else f" ({exc})"  # its words may quote the userinfo
        raise InputError(
            f"probe: '{shown}' is not a URL{detail}; write https://HOST[:PORT]/"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InputError(f"probe: '{shown}' has scheme '{scheme}'; write https://HOST[:PORT]/")
    if "@" in parts.netloc:
        # The probe sends no credentials, and the URL is shown in every report and log.
        raise InputError(f"probe: '{shown}': remove the user:password@ part; the probe "
                         "sends no credentials")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InputError(f"probe: '{shown}' names no host; write https://HOST[:PORT]/")
    if port == 0:
        raise InputError(f"probe: '{shown}' has port 0; write https://HOST[:PORT]/")
    bad = _bad_host(host, bracketed=parts.netloc.startswith("["))
    if bad:
        raise InputError(f"probe: '{shown}': {bad}; write https://HOST[:PORT]/")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Endpoint(
        url=str(url).strip(),
        scheme=scheme,
        host=host.lower(),
        port=port or DEFAULT_PORTS[scheme],
        target=target,
    )


def _bad_host(host: str, *, bracketed: bool = False) -> str | None:
    """Why ``host`` (no brackets) cannot be connected to, or None: checked here so that a
    space, a NUL or a 100 KB name fails as input, not as a lookup in the system resolver."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if bracketed:
        return None if address is not None and address.version == 6 else (
            "[...] must hold an IPv6 address")
    if address is not None:
        return None
    if visible(host) != host:  # IDNA maps some away (U+FEFF): the name shown would lie
        return "the host has control, bidi or invisible characters"
    try:
        # The codec the socket and ssl modules use for non-ASCII names (IDNA 2003).
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return "the host is not a valid (internationalised) DNS name"
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return ("the host is not a DNS name (labels of letters, digits and '-', at most 63 "
                "characters each, 253 in all)")
    return None


def parse_resolve(entries: Iterable[str]) -> dict[tuple[str, int], str]:
    """curl's ``HOST:PORT:ADDRESS`` (ADDRESS may be ``[v6]``) as {(host, port): address}."""
    overrides: dict[tuple[str, int], str] = {}
    for entry in entries:
        host, sep1, rest = str(entry).partition(":")
        port_text, sep2, address = rest.partition(":")
        address = address.strip()
        if address.startswith("[") and address.endswith("]"):
            address = address[1:-1]
        try:
            if not (sep1 and sep2 and host):
                raise ValueError("expected HOST:PORT:ADDRESS")
            if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5):
                raise ValueError(f"port '{port_text}' is not a number")  # int() takes '+1_0 '
            port = int(port_text)
            if not 0 < port < 65536:
                raise ValueError(f"port {port} out of range")
            ipaddress.ip_address(address)
            why = _bad_host(host.rstrip("."))
            if why:
                raise ValueError(why)
        except ValueError as exc:
            raise InputError(
                f"--resolve {entry}: {exc}; write HOST:PORT:ADDRESS, e.g. "
                "api.example.com:443:10.0.0.4"
            ) from None
        overrides[(host.lower().rstrip("."), port)] = address
    return overrides
