"""When a certificate's renewal is due.

cert-manager's rule, which is also what ACME clients do without a renewal window from the CA:
renew when one third of the lifetime is left. An ACME certificate's CA may suggest a window
instead (ACME Renewal Information, RFC 9773); that lookup belongs to the ACME code, so the
rule is pluggable: :func:`set_acme_rule` installs it, and rows of kind ACME go through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

#: (not_before, not_after, cert_pem or None) -> when renewal is due, or None when unknown
Rule = Callable[[dt.datetime, dt.datetime, "bytes | None"], "dt.datetime | None"]


def third_of_lifetime(not_before: dt.datetime, not_after: dt.datetime,
                      cert_pem: bytes | None = None) -> dt.datetime | None:
    """Due when one third of the lifetime is left (cert-manager's default)."""
    if not_after <= not_before:
        return not_after
    return not_after - (not_after - not_before) / 3


_acme_rule: Rule = third_of_lifetime


def set_acme_rule(rule: Rule | None) -> None:
    """Use ``rule`` (e.g. the ACME package's ``renewal_due``) for ACME certificates; None
    restores one third of the lifetime."""
    global _acme_rule
    _acme_rule = rule or third_of_lifetime


def renewal_due(not_before: dt.datetime | None, not_after: dt.datetime | None,
                cert_kind: str | None, cert_pem: bytes | None = None) -> dt.datetime | None:
    """When the certificate should be renewed; None when its dates are not known."""
    if not_before is None or not_after is None:
        return None
    rule = _acme_rule if cert_kind == "ACME" else third_of_lifetime
    try:
        due = rule(not_before, not_after, cert_pem)
    except Exception:  # an ARI lookup that fails must not hide the row: fall back
        due = None
    return due if due is not None else third_of_lifetime(not_before, not_after)
