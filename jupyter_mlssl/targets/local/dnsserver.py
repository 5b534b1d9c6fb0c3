"""A small authoritative DNS server on loopback: the local target's names, and the tests'.

It answers A, AAAA, CNAME and TXT (and ANY) from a :class:`Zone` the code controls, over UDP and
TCP on the same port, like a real authoritative server: NXDOMAIN for a name not in the zone,
an empty NOERROR answer for a name that exists without a record of the asked type, CNAME
chains followed inside the zone. The wire format is dnslib's (a maintained library); only
the sockets are ours, so that ``stop()`` is immediate (socketserver polls every 0.5 s).

The local target's long-lived daemon publishes names by rewriting a JSON zone file; a
server started with ``zone_file=`` reloads it when its mtime or size changes (checked on
each query, one ``stat``). Run it in the foreground with::

    python -m jupyter_mlssl.targets.local.dnsserver --zone-file zone.json [--port N]

which prints ``listening on 127.0.0.1:PORT (udp+tcp)`` once ready, then serves until
SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import selectors
import signal
import socket
import struct
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from jupyter_mlssl.targets.local.zone import MAX_CNAME_HOPS, TYPES, Zone

log = logging.getLogger(__name__)

#: TCP connections served at once (the local zone is asked by one user's tools)
MAX_TCP_CONNECTIONS = 32


class DnsServer:
    """Serve ``zone`` on ``host``:``port`` (0: any free port), UDP and TCP alike.

    ``zone_file``: reload the zone from this JSON file when it changes. ``silent``: receive
    queries and never answer (a nameserver that is down, for timeout tests); settable
    while running.
    """

    def __init__(
        self,
        zone: Zone | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        zone_file: str | os.PathLike[str] | None = None,
        silent: bool = False,
    ) -> None:
        self.zone = zone if zone is not None else Zone()
        self.host = host
        self._requested_port = port
        self.zone_file = Path(zone_file) if zone_file is not None else None
        self.silent = silent
        self.queries = 0  # answered or not; tests assert on it
        self._zone_stamp: tuple[int, int] | None = None
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._port = 0
        #: TCP connections served at once; one more is closed at accept. Each lasts at most
        #: 5 s idle: without a cap, a flood of idle connections costs a thread each.
        self._tcp_slots = threading.BoundedSemaphore(MAX_TCP_CONNECTIONS)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> DnsServer:
        self._bind()
        if self.zone_file is not None:
            self._maybe_reload()
        selector = selectors.DefaultSelector()
        wake = socket.socketpair()
        assert self._udp is not None and self._tcp is not None
        selector.register(self._udp, selectors.EVENT_READ, "udp")
        selector.register(self._tcp, selectors.EVENT_READ, "tcp")
        selector.register(wake[0], selectors.EVENT_READ, "wake")
        self._selector, self._wake = selector, wake
        self._thread = threading.Thread(target=self._serve, name="mlssl-dns", daemon=True)
        self._thread.start()
        return self

    def _bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # UDP and TCP must share the port: with port 0, take UDP's and retry if TCP's is busy.
        for _attempt in range(50):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                udp.bind((self.host, self._requested_port))
                port = udp.getsockname()[1]
                tcp.bind((self.host, port))
            except OSError:
                udp.close()
                tcp.close()
                if self._requested_port:
                    raise
                continue
            tcp.listen(64)
            udp.setblocking(False)
            tcp.setblocking(False)
            self._udp, self._tcp, self._port = udp, tcp, int(port)
            return
        raise OSError(f"no free port on {self.host} for both UDP and TCP")

    def stop(self) -> None:
        self._stopping.set()
        if self._wake is not None:
            with contextlib.suppress(OSError):
                self._wake[1].send(b"x")
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        for sock in (self._udp, self._tcp, *(self._wake or ())):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        if self._selector is not None:
            self._selector.close()
        self._udp = self._tcp = self._selector = self._wake = None

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        """``IP:PORT``, as ``check_dns(nameservers=[...])`` and ``--nameserver`` take it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self._port}"

    # -- serving ----------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self._selector is not None
        while not self._stopping.is_set():
            try:
                events = self._selector.select(1.0)
            except (OSError, ValueError):
                return
            for key, _ in events:
                if key.data == "udp":
                    self._on_udp()
                elif key.data == "tcp":
                    self._on_tcp()
                else:
                    return  # woken to stop

    def _on_udp(self) -> None:
        assert self._udp is not None
        try:
            data, peer = self._udp.recvfrom(4096)
        except OSError:
            return
        reply = self.answer(data, max_size=512)
        if reply is not None:
            with contextlib.suppress(OSError):
                self._udp.sendto(reply, peer)

    def _on_tcp(self) -> None:
        assert self._tcp is not None
        try:
            conn, _ = self._tcp.accept()
        except OSError:
            return
        if not self._tcp_slots.acquire(blocking=False):
            conn.close()  # RFC 7766 6.2.2: a server may close connections it cannot serve
            return
        threading.Thread(target=self._serve_tcp, args=(conn,), daemon=True).start()

    def _serve_tcp(self, conn: socket.socket) -> None:
        # RFC 7766: length-prefixed messages, several per connection.
        with conn, _released(self._tcp_slots):
            conn.setblocking(True)
            conn.settimeout(5)
            try:
                while not self._stopping.is_set():
                    head = _recv_exact(conn, 2)
                    if head is None:
                        return
                    data = _recv_exact(conn, struct.unpack("!H", head)[0])
                    if data is None:
                        return
                    if self.silent:
                        self.answer(data)  # counted, dropped; hold the connection
                        self._stopping.wait(5)
                        return
                    reply = self.answer(data)
                    if reply is not None:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return

    def answer(self, data: bytes, max_size: int = 65535) -> bytes | None:
        """The wire reply to the wire query ``data`` (None: say nothing)."""
        from dnslib import QTYPE, RCODE, DNSError, DNSRecord

        self.queries += 1
        if self.silent:
            return None
        try:
            request = DNSRecord.parse(data)
        except (DNSError, Exception):  # dnslib raises several types on garbage
            return None
        if self.zone_file is not None:
            self._maybe_reload()
        reply = request.reply(ra=0, aa=1)  # authoritative, no recursion on offer
        if len(request.questions) != 1:
            reply.header.rcode = RCODE.FORMERR
            return bytes(reply.pack())
        question = request.q
        qtype = QTYPE.get(question.qtype, str(question.qtype))
        if qtype not in (*TYPES, "ANY"):
            return bytes(reply.pack())  # NOERROR, no data: we serve only these types
        self._resolve(str(question.qname), qtype, reply)
        packed = bytes(reply.pack())
        if len(packed) > max_size:  # too big for UDP: tell the client to retry over TCP
            reply = request.reply(ra=0, aa=1)
            reply.header.tc = 1
            packed = bytes(reply.pack())
        return packed

    def _resolve(self, qname: str, qtype: str, reply: Any) -> None:
        from dnslib import CNAME, RCODE, RR

        qtypes = _QTYPE_CODES
        name, seen = qname, set()
        for hop in range(MAX_CNAME_HOPS):
            records = self.zone.get(name)
            if records is None:
                if hop == 0:
                    reply.header.rcode = RCODE.NXDOMAIN
                # A CNAME leading out of the zone: answer the CNAME alone, as an
                # authoritative server does; the client's resolver follows it elsewhere.
                return
            owner = name if name.endswith(".") else name + "."
            if "CNAME" in records and qtype not in ("CNAME", "ANY"):
                ttl, (target,) = records["CNAME"]
                reply.add_answer(RR(owner, qtypes["CNAME"], ttl=ttl, rdata=CNAME(target + ".")))
                if target in seen:
                    return  # a loop: stop, having said what we have
                seen.add(name)
                name = target
                continue
            for rtype, (ttl, values) in records.items():
                if qtype in (rtype, "ANY"):
                    for value in values:
                        reply.add_answer(RR(owner, _QTYPE_CODES[rtype], ttl=ttl,
                                            rdata=_rdata(rtype, value)))
            return

    def _maybe_reload(self) -> None:
        assert self.zone_file is not None
        try:
            st = os.stat(self.zone_file)
        except OSError:
            return  # not written yet (or being replaced): keep serving what we have
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._zone_stamp:
            return
        try:
            fresh = Zone.load(self.zone_file)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("zone file %s unreadable, keeping the previous zone: %s",
                        self.zone_file, exc)
            self._zone_stamp = stamp
            return
        self.zone.replace_with(fresh)
        self._zone_stamp = stamp


_QTYPE_CODES = {"A": 1, "AAAA": 28, "CNAME": 5, "TXT": 16, "CAA": 257}


def _rdata(rtype: str, value: str) -> Any:
    """dnslib's record data for one zone value (CAA values read ``0 issue "ca.example"``)."""
    import dnslib

    if rtype == "CNAME":
        return dnslib.CNAME(value + ".")
    if rtype == "TXT":
        return dnslib.TXT(value)
    if rtype == "CAA":
        flags, tag, text = value.split(None, 2)
        return dnslib.CAA(int(flags), tag, text.strip('"'))
    return getattr(dnslib, rtype)(value)


@contextlib.contextmanager
def _released(slots: threading.BoundedSemaphore) -> Iterator[None]:
    try:
        yield
    finally:
        slots.release()


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_mlssl.targets.local.dnsserver",
        description="Serve a JSON zone file on loopback (UDP and TCP), reloading it on change.",
    )
    parser.add_argument("--zone-file", required=True, metavar="F",
                        help="JSON zone (written by Zone.save); need not exist yet")
    parser.add_argument("--port", type=int, default=0, metavar="N", help="default: any free")
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="mlssl-dns: %(message)s")
    server = DnsServer(Zone(), args.host, args.port, zone_file=args.zone_file)
    try:
        server.start()
    except OSError as exc:
        print(f"mlssl-dns: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
              "choose another --port", file=sys.stderr)
        return 2
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(f"listening on {server.address} (udp+tcp)", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
