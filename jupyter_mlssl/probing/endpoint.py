"""What to probe: URLs and curl-style ``--resolve`` overrides, checked before any I/O.

Bad input is the user's to fix, so it fails here with one line (exit 2), before a single
connection is made, rather than as a verdict on some URL.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from jupyter_mlssl.errors import InputError

DEFAULT_PORTS = {"https": 443, "http": 80}


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
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InputError(
            f"probe: '{url}' is not a URL ({exc}); write https://HOST[:PORT]/"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InputError(f"probe: '{url}' has scheme '{scheme}'; write https://HOST[:PORT]/")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InputError(f"probe: '{url}' names no host; write https://HOST[:PORT]/")
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
            port = int(port_text)
            if not 0 < port < 65536:
                raise ValueError(f"port {port} out of range")
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise InputError(
                f"--resolve {entry}: {exc}; write HOST:PORT:ADDRESS, e.g. "
                "api.example.com:443:10.0.0.4"
            ) from None
        overrides[(host.lower().rstrip("."), port)] = address
    return overrides
