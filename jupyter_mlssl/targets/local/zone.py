"""The local DNS zone as data: names and their A, AAAA, CNAME, TXT and CAA records, and the
zone file the DNS server re-reads (``dnsserver.py`` serves it; ``nameserver.py`` edits it)."""

from __future__ import annotations

import ipaddress
import json
import os
import threading
from collections.abc import Iterable
from typing import Any

from jupyter_mlssl.errors import RecordError
from jupyter_mlssl.store.files import write_atomic

#: A zone file: {"version": 1, "names": {NAME: {TYPE: {"ttl": N, "values": [...]}}}}
ZONE_VERSION = 1
TYPES = ("A", "AAAA", "CNAME", "TXT", "CAA")
MAX_CNAME_HOPS = 16


def _norm(name: str) -> str:
    name = str(name).strip().rstrip(".").lower()
    if not name or len(name) > 253 or any(not 0 < len(label) < 64 for label in name.split(".")):
        raise RecordError(name, f"'{name}' is not a DNS name")
    return name


class Zone:
    """Names and their records. Thread-safe: the server reads while the owner writes."""

    def __init__(self, names: dict[str, dict[str, tuple[int, list[str]]]] | None = None) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, dict[str, tuple[int, list[str]]]] = {}
        for name, records in (names or {}).items():
            for rtype, (ttl, values) in records.items():
                self._set(name, rtype, values, ttl)

    # -- editing ----------------------------------------------------------------------------
    def set_a(self, name: str, addresses: str | Iterable[str], ttl: int = 60) -> None:
        self._set(name, "A", addresses, ttl)

    def set_aaaa(self, name: str, addresses: str | Iterable[str], ttl: int = 60) -> None:
        self._set(name, "AAAA", addresses, ttl)

    def set_cname(self, name: str, target: str, ttl: int = 60) -> None:
        self._set(name, "CNAME", [target], ttl)

    def set_records(self, name: str, rtype: str, values: str | Iterable[str],
                    ttl: int = 60) -> None:
        """Any served type, by name: ``set_records("x", "TXT", ["token"])``."""
        self._set(name, rtype, values, ttl)

    def remove(self, name: str, rtype: str | None = None) -> None:
        """Forget ``name`` (or only its ``rtype`` records); absent names are fine."""
        key = _norm(name)
        with self._lock:
            if rtype is None:
                self._names.pop(key, None)
            elif key in self._names:
                self._names[key].pop(rtype.upper(), None)
                if not self._names[key]:
                    del self._names[key]

    def _set(self, name: str, rtype: str, values: str | Iterable[str], ttl: int) -> None:
        key, rtype = _norm(name), rtype.upper()
        values = [values] if isinstance(values, str) else list(values)
        if rtype not in TYPES:
            raise RecordError(name, f"record type {rtype}: only {', '.join(TYPES)} are served")
        if not (isinstance(ttl, int) and 0 <= ttl < 2**31):
            raise RecordError(name, f"TTL {ttl!r}: give whole seconds")
        if rtype == "A":
            values = [str(ipaddress.IPv4Address(v)) for v in values]
        elif rtype == "AAAA":
            values = [str(ipaddress.IPv6Address(v)) for v in values]
        elif rtype == "TXT":  # ACME DNS-01 tokens and the like: any printable text
            values = [str(v) for v in values]
            if not values or any(len(v.encode()) > 255 or not v.isprintable() for v in values):
                raise RecordError(name, "a TXT record holds 1+ printable strings of <= 255 bytes")
        elif rtype == "CAA":  # '0 issue "ca.example"': flags, tag, value
            values = [str(v) for v in values]
        else:
            if len(values) != 1:
                raise RecordError(name, "a CNAME has exactly one target")
            values = [_norm(values[0])]
        with self._lock:
            records = self._names.setdefault(key, {})
            # A CNAME cannot share its name with other data (RFC 1034 3.6.2).
            if rtype == "CNAME":
                records.clear()
            else:
                records.pop("CNAME", None)
            records[rtype] = (ttl, values)

    def replace_with(self, other: Zone) -> None:
        """Take ``other``'s records, atomically for readers."""
        with other._lock:
            names = {n: dict(r) for n, r in other._names.items()}
        with self._lock:
            self._names = names

    # -- reading ----------------------------------------------------------------------------
    def get(self, name: str) -> dict[str, tuple[int, list[str]]] | None:
        try:
            key = _norm(name)
        except ValueError:
            return None
        with self._lock:
            records = self._names.get(key)
            return dict(records) if records is not None else None

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    # -- files ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": ZONE_VERSION,
                "names": {
                    name: {t: {"ttl": ttl, "values": list(v)} for t, (ttl, v) in recs.items()}
                    for name, recs in sorted(self._names.items())
                },
            }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Zone:
        zone = cls()
        for name, records in (data.get("names") or {}).items():
            for rtype, rec in records.items():
                zone._set(name, rtype, rec["values"], int(rec.get("ttl", 60)))
        return zone

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Zone:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically (temp file + rename): a reader never sees half a zone."""
        write_atomic(path, json.dumps(self.to_dict(), indent=2).encode("utf-8"))
