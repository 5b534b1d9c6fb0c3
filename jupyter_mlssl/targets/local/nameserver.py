"""The local DNS zone, and the one daemon per state directory that serves it on loopback.

Local targets publish their names here, the way Azure publishes
``<label><6 chars>.<region>.cloudapp.azure.com``: ``<label><6 chars>.local.mlssl.test``
pointing at 127.0.0.1. The server is ``jupyter_mlssl.targets.local.dnsserver`` run as a
daemon (``python -m jupyter_mlssl.targets.local.dnsserver --zone-file F --port N``); it
re-reads the zone file when its mtime changes, so publishing a name is an atomic rewrite of
that file under a lock.

Only names inside the local zone are published automatically. A custom ``cname`` outside it
is the user's to point, as on Azure (the v1 article's "Update your DNS" step); until it is,
DNS verification of that name fails and the workflow rolls the change back.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mlssl.errors import OperationError
from jupyter_mlssl.store.files import private_dir
from jupyter_mlssl.store.pids import pid_alive
from jupyter_mlssl.targets.local.processes import child_environment, kill_group
from jupyter_mlssl.targets.local.store import file_lock, local_dir, read_json, write_json

if TYPE_CHECKING:
    from jupyter_mlssl.targets.local.zone import Zone

LOOPBACK = "127.0.0.1"
REGION = "local"
ZONE = "mlssl.test"
TTL = 60
START_TIMEOUT = 5.0


def dns_dir() -> Path:
    return private_dir(local_dir() / "dns")


def zone_file() -> Path:
    return dns_dir() / "zone.json"


def in_zone(name: str) -> bool:
    name = name.rstrip(".").lower()
    return name == ZONE or name.endswith("." + ZONE)


def _answers(port: int, timeout: float = 0.3) -> bool:
    import dns.message
    import dns.query

    query = dns.message.make_query(ZONE, "SOA")
    try:
        dns.query.udp(query, LOOPBACK, port=port, timeout=timeout)
    except Exception:
        return False
    return True


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _ensure_zone_file() -> None:
    if not zone_file().exists():
        from jupyter_mlssl.targets.local.zone import Zone

        Zone().save(zone_file())


def running_port() -> int | None:
    """The port of this state directory's DNS daemon, if it runs."""
    info = read_json(dns_dir() / "daemon.json") or {}
    if pid_alive(info.get("pid")) and info.get("port"):
        return int(info["port"])
    return None


def ensure_running() -> int:
    """Start the DNS daemon unless it runs; return its port."""
    port = running_port()
    if port:
        return port
    with file_lock(dns_dir() / "lock", "the local DNS server"):
        port = running_port()
        if port:
            return port
        _ensure_zone_file()
        for _attempt in range(3):  # the free port we picked may be taken before the bind
            port = _free_udp_port()
            log = open(dns_dir() / "daemon.log", "ab")  # noqa: SIM115 (the child owns it)
            proc = subprocess.Popen(
                [sys.executable, "-m", "jupyter_mlssl.targets.local.dnsserver", "--zone-file",
                 str(zone_file()), "--port", str(port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=child_environment(),  # no password variables
                start_new_session=True,  # outlives the kernel; stopped as a process group
                close_fds=True,
            )
            log.close()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and proc.poll() is None:
                if _answers(port):
                    write_json(dns_dir() / "daemon.json", {"pid": proc.pid, "port": port})
                    return port
                time.sleep(0.05)
            kill_group(proc.pid)
    raise OperationError(
        f"the local DNS server did not start; see {dns_dir() / 'daemon.log'}"
    )


def stop() -> None:
    """Stop the DNS daemon (when the last local service stops)."""
    with file_lock(dns_dir() / "lock", "the local DNS server"):
        info = read_json(dns_dir() / "daemon.json") or {}
        if pid_alive(info.get("pid")):
            kill_group(int(info["pid"]))
        try:
            (dns_dir() / "daemon.json").unlink()
        except FileNotFoundError:
            pass


def publish(add: dict[str, str], remove: list[str] = ()) -> None:  # type: ignore[assignment]
    """Set A records ``name -> address`` and drop ``remove`` names, in one atomic rewrite."""
    if not add and not remove:
        return
    from jupyter_mlssl.targets.local.zone import Zone

    with file_lock(dns_dir() / "zone.lock", "the local DNS zone"):
        _ensure_zone_file()
        zone = Zone.load(zone_file())
        for name in remove:
            if name not in add:
                zone.remove(name)
        for name, address in add.items():
            zone.set_a(name, [address], TTL)
        zone.save(zone_file())


def wait_until_served(name: str, address: str, timeout: float = 3.0) -> bool:
    """Wait (bounded) until the daemon answers ``name`` with ``address``: it reloads the
    zone on an mtime change, and verification must not race that reload."""
    import dns.message
    import dns.query
    import dns.rdatatype

    port = running_port()
    if not port:
        return False
    deadline = time.monotonic() + timeout
    while True:
        query = dns.message.make_query(name, "A")
        try:
            reply = dns.query.udp(query, LOOPBACK, port=port, timeout=0.3)
            for rrset in reply.answer:
                if rrset.rdtype == dns.rdatatype.A and any(r.address == address for r in rrset):
                    return True
        except Exception:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


# -- records by name and type (``dns set`` on local targets; ACME DNS-01 TXT) ----------------
#: what a record set holds, as the etag of the local store: (ttl, values), None when absent
Held = tuple[int, list[str]] | None
_UNSET: object = object()


def get_records(name: str, rtype: str) -> Held:
    """``(ttl, values)`` of ``name``'s ``rtype`` records in the local zone, or None."""
    from jupyter_mlssl.targets.local.zone import Zone

    path = zone_file()
    return _held(Zone.load(path), name, rtype) if path.exists() else None


def _held(zone: Zone, name: str, rtype: str) -> Held:
    held = (zone.get(name) or {}).get(rtype.upper())
    return (held[0], list(held[1])) if held else None


def set_records(name: str, rtype: str, values: list[str] | None, ttl: int = TTL, *,
                expect: object = _UNSET) -> Held:
    """Set (``values``) or remove (None) ``name``'s ``rtype`` records in one atomic rewrite.

    ``expect``: what the caller read (``get_records``); if the zone holds something else now,
    nothing is written and :class:`OperationError` names the current value (the local
    equivalent of an etag's 412). Returns what was held before.
    """
    from jupyter_mlssl.targets.local.zone import Zone

    with file_lock(dns_dir() / "zone.lock", "the local DNS zone"):
        _ensure_zone_file()
        zone = Zone.load(zone_file())
        before = _held(zone, name, rtype)
        if expect is not _UNSET and expect != before:
            raise OperationError(
                f"{rtype.upper()} {name} in the local zone was changed meanwhile; it now holds"
                f" {before[1] if before else 'nothing'}: look, then run the command again",
                code="precondition_failed")
        if values is None:
            zone.remove(name, rtype.upper())
        else:
            zone.set_records(name, rtype.upper(), values, ttl)
        zone.save(zone_file())
        return before


def edit_records(name: str, rtype: str, *, add: list[str] = (),  # type: ignore[assignment]
                 remove: list[str] = (), ttl: int = TTL) -> list[str]:  # type: ignore[assignment]
    """Add and remove values of ``name``'s ``rtype`` set in one atomic rewrite under the zone
    lock (several ACME validations can share one ``_acme-challenge`` name); returns the set
    (the set is dropped when its last value goes)."""
    from jupyter_mlssl.targets.local.zone import Zone

    with file_lock(dns_dir() / "zone.lock", "the local DNS zone"):
        _ensure_zone_file()
        zone = Zone.load(zone_file())
        current = list((zone.get(name) or {}).get(rtype.upper(), (ttl, []))[1])
        values = [v for v in current if v not in remove]
        values += [v for v in add if v not in values]
        if values:
            zone.set_records(name, rtype, values, ttl)
        else:
            zone.remove(name, rtype.upper())
        zone.save(zone_file())
        return values


def records(name: str, rtype: str) -> list[str]:
    """``name``'s ``rtype`` values in the zone file (what the daemon serves once reloaded)."""
    held = get_records(name, rtype)
    return list(held[1]) if held else []
