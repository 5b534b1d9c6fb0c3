"""Where the ``_acme-challenge`` TXT records go, and how we see that they are served.

A publisher adds one value to a name's TXT set and removes it again (several validations
can share one name: a certificate for ``x`` and ``*.x``), and says what a nameserver that
the CA will ask answers for it (:meth:`Publisher.served`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

LOOPBACK = "127.0.0.1"


class Publisher(Protocol):
    label: str
    #: nameservers (host, port) to ask for CAA and TXT; None: the system resolver
    nameservers: list[tuple[str, int]] | None
    #: how long a published value may take to be served
    propagation_timeout: float

    def add(self, name: str, value: str) -> None: ...

    def remove(self, name: str, value: str) -> None: ...


def query(name: str, rtype: str, nameservers: list[tuple[str, int]] | None,
          timeout: float = 1.0) -> tuple[str, list[str]]:
    """(which nameserver answered, its values) for ``name``/``rtype``; NXDOMAIN and no answer
    give no values, a failure gives its one-line reason as the nameserver label."""
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=nameservers is None)
    if nameservers:
        resolver.nameservers = [host for host, _ in nameservers]
        resolver.port = nameservers[0][1]
    resolver.lifetime = timeout
    resolver.cache = None
    where = (f"{nameservers[0][0]}:{nameservers[0][1]}" if nameservers
             else "the system resolver")
    try:
        answer = resolver.resolve(name, rtype, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
        return where, []
    except dns.exception.DNSException as exc:
        return f"{where} (no answer: {type(exc).__name__})", []
    values = []
    for rdata in answer.rrset or []:
        if rtype == "TXT":
            values.append(b"".join(rdata.strings).decode("ascii", "replace"))
        else:
            values.append(rdata.to_text())
    return where, values


def wait_served(publisher: Publisher, name: str, values: list[str]) -> tuple[bool, str, list[str]]:
    """Wait (bounded by the publisher's timeout) until ``name`` serves every one of ``values``."""
    deadline = time.monotonic() + publisher.propagation_timeout
    delay = 0.02
    while True:
        where, seen = query(name, "TXT", publisher.nameservers)
        if all(v in seen for v in values):
            return True, where, seen
        if time.monotonic() >= deadline:
            return False, where, seen
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


class LocalPublisher:
    """The local target's nameserver (``local://NAME``): the TXT set goes into its zone."""

    propagation_timeout = 5.0

    def __init__(self, target: str = "local") -> None:
        from jupyter_mlssl.targets.local import nameserver

        self.label = f"the local nameserver ({target})"
        self._ns = nameserver
        self.nameservers = [(LOOPBACK, nameserver.ensure_running())]

    def add(self, name: str, value: str) -> None:
        self._ns.edit_records(name, "TXT", add=[value])

    def remove(self, name: str, value: str) -> None:
        self._ns.edit_records(name, "TXT", remove=[value])


class ManualPublisher:
    """The user publishes: ``ask(action, name, value)`` shows the record (a terminal prompt,
    or the panel's Continue button) and returns once the user has done it."""

    propagation_timeout = 120.0

    def __init__(self, ask: Callable[[str, str, str], None],
                 nameservers: list[tuple[str, int]] | None = None) -> None:
        self.label = "the records you published"
        self.ask = ask
        self.nameservers = nameservers

    def add(self, name: str, value: str) -> None:
        self.ask("add", name, value)

    def remove(self, name: str, value: str) -> None:
        self.ask("remove", name, value)


class AzureDnsPublisher:
    """An Azure DNS zone (``--dns-zone ZONE_ID``): the TXT record set is edited with its etag
    (``targets.azure.dns_zone``), so concurrent validations on one name do not clobber."""

    propagation_timeout = 60.0

    def __init__(self, zone_id: str, *, credential: Any = None, arm_endpoint: str | None = None,
                 nameservers: list[tuple[str, int]] | None = None,
                 **client_options: Any) -> None:
        self.client_options = client_options
        self.label = f"Azure DNS zone {zone_id.rstrip('/').rsplit('/', 1)[-1]}"
        self.zone_id = zone_id
        self.credential = credential
        self.arm_endpoint = arm_endpoint
        self._nameservers = nameservers
        self._looked_up = nameservers is not None

    @property
    def nameservers(self) -> list[tuple[str, int]] | None:  # type: ignore[override]
        """The zone's own name servers (asked directly: a recursive resolver may have cached
        the name's absence for minutes); the system resolver if they cannot be found."""
        if not self._looked_up:
            self._looked_up = True
            try:
                from jupyter_mlssl.targets.azure.dns_zone import DnsZone

                hosts = DnsZone(self.zone_id, credential=self.credential,
                                arm_endpoint=self.arm_endpoint,
                                **self.client_options).name_servers()
                found = [query(host, "A", None)[1] for host in hosts]
                self._nameservers = [(a, 53) for addresses in found for a in addresses][:4] or None
            except Exception:  # the system resolver still answers, only later
                self._nameservers = None
        return self._nameservers

    def _relative(self, name: str) -> str:
        zone = self.zone_id.rstrip("/").rsplit("/", 1)[-1].lower().rstrip(".")
        name = name.lower().rstrip(".")
        if name == zone:
            return "@"
        if not name.endswith("." + zone):
            from jupyter_mlssl.errors import InputError

            raise InputError(f"{name} is not inside the DNS zone {zone}")
        return name[: -len(zone) - 1]

    def add(self, name: str, value: str) -> None:
        from jupyter_mlssl.targets.azure import dns_zone

        dns_zone.add_txt_value(self.zone_id, self._relative(name), value,
                               credential=self.credential, arm_endpoint=self.arm_endpoint,
                               **self.client_options)

    def remove(self, name: str, value: str) -> None:
        from jupyter_mlssl.targets.azure import dns_zone

        dns_zone.remove_txt_value(self.zone_id, self._relative(name), value,
                                  credential=self.credential, arm_endpoint=self.arm_endpoint,
                               **self.client_options)
