"""Host names and IP addresses, as a certificate names them."""

from __future__ import annotations

import ipaddress


def is_ip_address(host: str) -> bool:
    """True for a literal IPv4 or IPv6 address (no brackets), False for a host name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
