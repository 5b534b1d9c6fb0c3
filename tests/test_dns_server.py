"""The loopback DNS server itself: wire behaviour over UDP and TCP, zone files, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from jupyter_mlssl.targets.local.dnsserver import DnsServer, Zone


def ask(server: DnsServer, name: str, rdtype: str = "A", tcp: bool = False):
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, "127.0.0.1", port=server.port, timeout=2)


@pytest.fixture
def zone():
    z = Zone()
    z.set_a("api.example.test", ["10.0.0.4", "10.0.0.5"], ttl=30)
    z.set_cname("www.example.test", "api.example.test")
    return z


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_answers_authoritatively_over_udp_and_tcp(zone, tcp):
    with DnsServer(zone) as server:
        reply = ask(server, "api.example.test", tcp=tcp)
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.flags & dns.flags.AA
    (rrset,) = reply.answer
    assert sorted(r.to_text() for r in rrset) == ["10.0.0.4", "10.0.0.5"]
    assert rrset.ttl == 30


def test_nxdomain_and_empty_noerror(zone):
    with DnsServer(zone) as server:
        missing = ask(server, "nothing.example.test")
        no_aaaa = ask(server, "api.example.test", "AAAA")
    assert missing.rcode() == dns.rcode.NXDOMAIN and not missing.answer
    assert no_aaaa.rcode() == dns.rcode.NOERROR and not no_aaaa.answer


def test_cname_followed_inside_the_zone(zone):
    with DnsServer(zone) as server:
        reply = ask(server, "WWW.Example.Test", "A")
    types = [dns.rdatatype.to_text(r.rdtype) for r in reply.answer]
    assert types == ["CNAME", "A"]


def test_zone_edits_are_live_and_names_validated(zone):
    with DnsServer(zone) as server:
        zone.set_a("new.example.test", "10.1.1.1")
        assert ask(server, "new.example.test").answer[0][0].to_text() == "10.1.1.1"
        zone.remove("new.example.test")
        assert ask(server, "new.example.test").rcode() == dns.rcode.NXDOMAIN
    with pytest.raises(ValueError):
        zone.set_a("bad.example.test", ["not-an-ip"])
    with pytest.raises(ValueError):
        zone.set_aaaa("bad.example.test", ["10.0.0.1"])
    zone.set_a("www.example.test", "10.2.2.2")  # replaces the CNAME (no CNAME-and-data)
    assert set(zone.get("www.example.test")) == {"A"}


def test_zone_file_round_trip_is_atomic_json(zone, tmp_path):
    path = tmp_path / "zone.json"
    zone.save(path)
    assert json.loads(path.read_text())["names"]["api.example.test"]["A"]["ttl"] == 30
    assert Zone.load(path).to_dict() == zone.to_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["zone.json"]  # no temp file left


def test_server_reloads_the_zone_file_when_it_changes(tmp_path):
    path = tmp_path / "zone.json"
    first = Zone()
    first.set_a("svc.example.test", "10.0.0.1")
    first.save(path)
    with DnsServer(Zone.load(path), zone_file=path) as server:
        assert ask(server, "svc.example.test").answer[0][0].to_text() == "10.0.0.1"
        second = Zone()
        second.set_a("svc.example.test", "10.0.0.2")
        second.save(path)
        assert ask(server, "svc.example.test").answer[0][0].to_text() == "10.0.0.2"
        path.write_text("{ not json")  # a broken file: keep serving the last good zone
        assert ask(server, "svc.example.test").answer[0][0].to_text() == "10.0.0.2"


def test_silent_mode_never_answers(zone):
    with DnsServer(zone, silent=True) as server:
        with pytest.raises(dns.exception.Timeout):
            ask(server, "api.example.test")
        assert server.queries == 1
        server.silent = False
        assert ask(server, "api.example.test").answer


def test_stop_is_prompt(zone):
    server = DnsServer(zone).start()
    start = time.perf_counter()
    server.stop()
    assert time.perf_counter() - start < 0.5


def test_module_runs_in_the_foreground_and_follows_its_file(tmp_path):
    path = tmp_path / "zone.json"  # need not exist yet
    with subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlssl.targets.local.dnsserver", "--zone-file", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as proc:
        _serve_and_follow(proc, path)
        assert proc.wait(5) == 0  # SIGTERM: a clean stop
    assert os.path.exists(path)


def _serve_and_follow(proc: subprocess.Popen, path) -> None:
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:") and "(udp+tcp)" in line
        port = int(line.split(":")[1].split()[0])
        query = dns.message.make_query("late.example.test", "A")
        assert dns.query.udp(query, "127.0.0.1", port=port, timeout=2).rcode() == \
            dns.rcode.NXDOMAIN
        zone = Zone()
        zone.set_a("late.example.test", "10.3.3.3")
        zone.save(path)
        reply = dns.query.tcp(query, "127.0.0.1", port=port, timeout=2)
        assert reply.answer[0][0].to_text() == "10.3.3.3"
    finally:
        proc.terminate()


def test_idle_tcp_connections_beyond_the_cap_are_closed_and_queries_still_answered(zone):
    import socket

    from jupyter_mlssl.targets.local.dnsserver import MAX_TCP_CONNECTIONS

    with DnsServer(zone) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5)
                for _ in range(MAX_TCP_CONNECTIONS + 8)]
        try:
            time.sleep(0.3)  # let the server accept them all
            closed = 0
            for sock in idle:
                sock.settimeout(0.05)
                try:
                    closed += sock.recv(1) == b""
                except TimeoutError:
                    pass  # held open, waiting for a query
            assert closed >= 8  # the ones over the cap, closed at accept
            assert ask(server, "api.example.test").answer  # UDP is served whatever TCP holds
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.3)  # the slots come back once those connections end
        assert ask(server, "api.example.test", tcp=True).answer
