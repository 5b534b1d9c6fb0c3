"""CAA (RFC 8659), checked before ordering: a name whose closest CAA set does not name the
CA would make the order fail at the CA after the records were published."""

from __future__ import annotations

from jupyter_mlssl.errors import OperationError


class CaaForbidden(OperationError):
    pass


def _issuers(values: list[str], wildcard: bool) -> list[str] | None:
    """The CA domains the set allows (``issuewild`` first for a wildcard), or None when it has
    no issue property (then any CA may issue)."""
    tags: dict[str, list[str]] = {}
    for value in values:
        parts = value.split(None, 2)
        if len(parts) == 3:
            tags.setdefault(parts[1].lower(), []).append(parts[2].strip('"').split(";")[0].strip())
    if wildcard and "issuewild" in tags:
        return tags["issuewild"]
    return tags.get("issue")


def check_caa(names: list[str], ca_identities: list[str],
              nameservers: list[tuple[str, int]] | None) -> None:
    """Raise :class:`CaaForbidden` if a CAA set forbids this CA for one of ``names``."""
    from jupyter_mlssl.acme.publishers import query

    for name in names:
        wildcard = name.startswith("*.")
        labels = name[2:].rstrip(".").split(".") if wildcard else name.rstrip(".").split(".")
        for i in range(len(labels) - 1):  # climb to the parent of the TLD, RFC 8659 3
            owner = ".".join(labels[i:])
            where, values = query(owner, "CAA", nameservers)
            if not values:
                continue
            allowed = _issuers(values, wildcard)
            if allowed is None:
                break
            if not any(a and a.lower() in (c.lower() for c in ca_identities) for a in allowed):
                ca = ", ".join(ca_identities) or "this CA (it does not declare a CAA identity)"
                shown = ", ".join(a or '";"' for a in allowed)
                raise CaaForbidden(
                    f"CAA at {owner} (answered by {where}) allows only {shown}: {ca} may not "
                    f"issue for {name}; add a CAA issue record for it first",
                    code="acme_caa_forbidden")
            break
