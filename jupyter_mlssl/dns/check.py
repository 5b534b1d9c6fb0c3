"""Does a name resolve, and to the service? A, AAAA and the CNAME chain, with TTLs.

Asked of the named nameservers (``IP[:PORT]``) or, by default, of the system's resolver
configuration, through dnspython. When nameservers are named, the system resolver is asked
too, and a disagreement is reported as a note with the TTL left on what the system still
has cached: right after a DNS change that is "propagation still under way", not a failure.

This package is ``jupyter_mlssl.dns``; ``import dns.resolver`` below is an absolute import
and gets dnspython (the test suite checks it). dnspython is imported inside the functions:
importing this module must stay cheap for the faces.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlssl.dns.report import DnsRecord, DnsReport
from jupyter_mlssl.errors import InputError


def _norm_name(name: str, what: str) -> str:
    import dns.name

    text = str(name).strip().rstrip(".").lower()
    try:
        if not text:
            raise ValueError("empty")
        if not text.isprintable() or any(c.isspace() for c in text):
            # dnspython takes them as label bytes; nobody types them into a host name
            raise ValueError("a space or a control character")
        # as DNS writes it: a name typed in Unicode (bücher.example) is asked, and compared
        # with the CNAME chain that comes back, in its IDNA form (xn--bcher-kva.example)
        return str(dns.name.from_text(text).to_text(omit_final_dot=True))
    except (ValueError, Exception) as exc:  # dns.name raises its own exception types
        raise InputError(f"{what} '{name}' is not a DNS name ({exc}); "
                         "write e.g. api.contoso.com") from None


def parse_nameserver(entry: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address."""
    text = str(entry).strip()
    host, port = text, 53
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed:
            host = text  # '[::1' is no address: refused below
        elif rest:
            port = _port(rest.removeprefix(":"), entry)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text, entry)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InputError(f"--nameserver {entry}: give an IP address, optionally with :PORT "
                         "(e.g. 127.0.0.1:5353)") from None
    return host, port


def _port(text: str, entry: str) -> int:
    try:
        if not (text.isascii() and text.isdigit() and len(text) <= 5):
            raise ValueError  # int() would take ' +5_3', and digits of any script
        port = int(text)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise InputError(f"--nameserver {entry}: '{text}' is not a port number") from None
    return port


# -- asking --------------------------------------------------------------------------------


@dataclass
class _View:
    """What one resolver said about the name."""

    addresses: list[str] = field(default_factory=list)
    cnames: list[str] = field(default_factory=list)
    records: list[DnsRecord] = field(default_factory=list)
    nxdomain: bool = False
    negative_ttl: int | None = None
    error: str | None = None
    timed_out: bool = False

    @property
    def address_ttl(self) -> int | None:
        return min((r.ttl for r in self.records if r.type in ("A", "AAAA")), default=None)


def _ask(resolver: Any, name: str, timeout: float, where: str) -> _View:
    """A and AAAA for ``name`` (CNAMEs followed by the server), within ``timeout`` s."""
    import dns.exception
    import dns.resolver

    view = _View()
    deadline = time.perf_counter() + timeout
    silent = f"no answer from {where} within {timeout:g} s"
    for rdtype in ("A", "AAAA"):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            if not view.records:
                view.error, view.timed_out = silent, True
            break
        try:
            answer = resolver.resolve(name, rdtype, lifetime=remaining, search=False,
                                      raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN as exc:
            view.nxdomain = True
            view.negative_ttl = _negative_ttl(exc)
            return view
        except dns.exception.Timeout:
            if not view.records:  # A answered and AAAA did not: keep what we have
                view.error, view.timed_out = silent, True
            break
        except dns.resolver.NoNameservers as exc:
            view.error = f"{where} failed to answer ({_short(exc)})"
            return view
        except dns.exception.DNSException as exc:
            view.error = f"{where}: {_short(exc)}"
            return view
        _collect(answer.response, view)
    view.cnames = _chain(name, view.records)
    return view


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _negative_ttl(exc: Any) -> int | None:
    # RFC 2308: a resolver caches "no such name" for min(SOA TTL, SOA minimum).
    import dns.rdatatype

    try:
        for response in exc.responses().values():
            for rrset in response.authority:
                if rrset.rdtype == dns.rdatatype.SOA:
                    return int(min(rrset.ttl, rrset[0].minimum))
    except Exception:
        return None
    return None


def _collect(response: Any, view: _View) -> None:
    import dns.rdatatype

    seen = {(r.type, r.name, r.value) for r in view.records}
    for rrset in response.answer:
        rtype = dns.rdatatype.to_text(rrset.rdtype)
        if rtype not in ("A", "AAAA", "CNAME"):
            continue
        owner = rrset.name.to_text().rstrip(".").lower()
        for rdata in rrset:
            value = rdata.to_text().rstrip(".").lower() if rtype == "CNAME" else rdata.to_text()
            if (rtype, owner, value) in seen:
                continue
            seen.add((rtype, owner, value))
            view.records.append(DnsRecord(rtype, owner, value, int(rrset.ttl)))
            if rtype in ("A", "AAAA"):
                view.addresses.append(value)


def _chain(name: str, records: list[DnsRecord]) -> list[str]:
    targets = {r.name: r.value for r in records if r.type == "CNAME"}
    chain: list[str] = []
    current = name
    while current in targets and len(chain) < 32:
        current = targets[current]
        chain.append(current)
    return chain


def _resolver(nameservers: list[tuple[str, int]]) -> tuple[Any, str]:
    """A dnspython resolver for the named servers, or the system's configuration."""
    import dns.nameserver
    import dns.resolver

    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(h, p) for h, p in nameservers]
        return resolver, ", ".join(_fmt(h, p) for h, p in nameservers)
    resolver = dns.resolver.Resolver(configure=True)
    return resolver, "the system resolver (" + ", ".join(
        str(ns) for ns in resolver.nameservers) + ")"


def _fmt(host: str, port: int) -> str:
    host = f"[{host}]" if ":" in host else host
    return host if port == 53 else f"{host}:{port}"


def _system_view(name: str, timeout: float) -> tuple[_View, str]:
    """What this machine's clients would get: resolv.conf through dnspython (for TTLs),
    else getaddrinfo (no TTLs, but it is what the OS does)."""
    import dns.resolver

    try:
        resolver, where = _resolver([])
    except dns.resolver.NoResolverConfiguration:
        return _getaddrinfo_view(name, timeout), "the system resolver"
    resolver.cache = None
    return _ask(resolver, name, timeout, where), where


def _getaddrinfo_view(name: str, timeout: float) -> _View:
    view = _View()
    result: dict[str, Any] = {}

    def lookup() -> None:
        try:
            result["infos"] = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            result["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True)  # getaddrinfo has no timeout
    worker.start()
    worker.join(timeout)
    if "infos" in result:
        view.addresses = sorted({str(info[4][0]) for info in result["infos"]})
    elif "error" in result:
        view.nxdomain = True
    else:
        view.error, view.timed_out = "the system resolver did not answer in time", True
    return view


# -- the check -----------------------------------------------------------------------------


def check_dns(
    name: str,
    *,
    expect: str | None = None,
    nameservers: Iterable[str] = (),
    timeout: float = 3.0,
) -> DnsReport:
    """Resolve ``name`` and judge it against ``expect`` (an IP address, or a name the CNAME
    chain must pass through). ``timeout`` bounds the query of the named nameservers, and
    separately the comparison with the system resolver."""
    start = time.perf_counter()
    host = _norm_name(name, "name")
    if isinstance(nameservers, str):
        nameservers = [nameservers]
    servers = [parse_nameserver(n) for n in nameservers]
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise InputError(f"--timeout {timeout}: give a positive number of seconds")
    expect_ip = expect_name = None
    if expect is not None:
        try:
            expect_ip = ipaddress.ip_address(str(expect).strip())
        except ValueError:
            expect_name = _norm_name(expect, "--expect")

    import dns.resolver

    try:
        resolver, where = _resolver(servers)
    except dns.resolver.NoResolverConfiguration:
        resolver, where = None, "the system resolver"
    report = DnsReport(name=host, verdict="error", expect=expect,
                       nameservers=[_fmt(h, p) for h, p in servers])
    if resolver is None:
        view = _getaddrinfo_view(host, timeout)
        report.notes.append("no resolver configuration (resolv.conf): asked getaddrinfo, "
                            "which gives no TTLs or CNAMEs")
    else:
        resolver.cache = None
        view = _ask(resolver, host, timeout, where)

    report.addresses, report.cname_chain, report.records = (
        view.addresses, view.cnames, view.records
    )
    report.verdict, report.error = _judge(host, view, where, expect_ip, expect_name)

    if servers and not view.error:
        _compare_with_system(report, view, where, timeout)
    report.elapsed_ms = (time.perf_counter() - start) * 1000
    return report


def _judge(host: str, view: _View, where: str, expect_ip: Any,
           expect_name: str | None) -> tuple[str, str | None]:
    if view.error:
        return "error", view.error
    if view.nxdomain:
        return "not_found", f"{where} says {host} does not exist (NXDOMAIN): create the record"
    passes = expect_name is not None and expect_name in (host, *view.cnames)
    if not view.addresses:
        end = view.cnames[-1] if view.cnames else host
        via = f" (the chain ends at {end})" if view.cnames else ""
        also = f"; it does pass through {expect_name}" if passes else ""
        return "no_answer", f"{host} exists but has no A or AAAA record{via}{also}"
    if expect_ip is not None:
        if any(ipaddress.ip_address(a) == expect_ip for a in view.addresses):
            return "ok", None
        return "mismatch", (f"{host} resolves to {', '.join(view.addresses)}, not {expect_ip}: "
                            "point the record at the service")
    if expect_name is not None:
        if passes:
            return "ok", None
        chain = " -> ".join([host, *view.cnames])
        return "mismatch", (f"{chain} does not pass through {expect_name}: make {host} a "
                            f"CNAME of {expect_name}")
    return "resolves", None


def _compare_with_system(report: DnsReport, view: _View, where: str, timeout: float) -> None:
    system, system_where = _system_view(report.name, timeout)
    if system.error:
        report.notes.append(f"could not compare with {system_where}: {system.error}")
        return
    ours = sorted(view.addresses)
    if system.nxdomain:
        if view.nxdomain:
            return
        negative = system.negative_ttl
        up_to = f", TTL left up to {negative} s" if negative is not None else ""
        report.notes.append(
            f"{system_where} does not know {report.name} yet, while {where} answers "
            f"{', '.join(ours) or 'no address'}: propagation still under way{up_to}"
        )
        return
    theirs = sorted(system.addresses)
    if view.nxdomain:
        report.notes.append(
            f"{system_where} still resolves {report.name} to {', '.join(theirs)} although "
            f"{where} says it does not exist: propagation still under way, TTL left "
            f"{system.address_ttl} s"
        )
        return
    if theirs != ours:
        cached = system.address_ttl
        left_text = f", TTL left {cached} s" if cached is not None else ""
        report.notes.append(
            f"{system_where} disagrees with {where}: it gives "
            f"{', '.join(theirs) or 'no address'}, not {', '.join(ours) or 'no address'}: "
            f"propagation still under way{left_text}"
        )
