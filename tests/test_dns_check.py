"""check_dns against the real loopback DNS server (targets/local/dnsserver.py), via dnspython."""

from __future__ import annotations

import json
import time

import pytest

from jupyter_mlssl.cli import main
from jupyter_mlssl.dns import check_dns
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.targets.local.dnsserver import DnsServer, Zone


@pytest.fixture(scope="module")
def server():
    zone = Zone()
    zone.set_a("api.example.test", ["10.0.0.4"], ttl=300)
    zone.set_aaaa("api.example.test", ["fd00::4"], ttl=300)
    zone.set_cname("www.example.test", "edge.example.test", ttl=120)
    zone.set_cname("edge.example.test", "api.example.test", ttl=60)
    zone.set_cname("away.example.test", "svc.westeurope.cloudapp.azure.com")
    zone.set_aaaa("v6only.example.test", ["fd00::6"])
    zone.set_cname("xn--bcher-kva.example.test", "api.example.test")  # bücher.example.test
    with DnsServer(zone) as srv:
        yield srv


def test_this_dns_module_uses_dnspython():
    # jupyter_mlssl/dns/ shares its name with dnspython's package; its imports must
    # still reach dnspython (absolute imports), not itself.
    import dns.resolver

    import jupyter_mlssl.dns.check as ours

    assert "jupyter_mlssl" not in dns.resolver.__file__
    resolver, where = ours._resolver([("127.0.0.1", 5353)])
    assert isinstance(resolver, dns.resolver.Resolver) and where == "127.0.0.1:5353"


def test_match_by_address(server):
    report = check_dns("api.example.test", expect="10.0.0.4", nameservers=[server.address])
    assert report.verdict == "ok" and report.exit_status == 0
    assert report.addresses == ["10.0.0.4", "fd00::4"]
    assert report.cname_chain == []
    assert {(r.type, r.value, r.ttl) for r in report.records} == {
        ("A", "10.0.0.4", 300), ("AAAA", "fd00::4", 300)}
    assert report.nameservers == [server.address]


def test_match_by_ipv6_address_in_another_spelling(server):
    report = check_dns("api.example.test", expect="FD00:0::4", nameservers=[server.address])
    assert report.verdict == "ok"


def test_a_name_typed_in_unicode_is_asked_and_matched_as_dns_writes_it(server):
    report = check_dns("Bücher.example.test", expect="api.example.test",
                       nameservers=[server.address])
    assert (report.verdict, report.name) == ("ok", "xn--bcher-kva.example.test")
    assert report.cname_chain == ["api.example.test"]
    assert check_dns("api.example.test", expect="bücher.example.test",
                     nameservers=[server.address]).verdict == "mismatch"


def test_mismatch(server):
    report = check_dns("api.example.test", expect="10.9.9.9", nameservers=[server.address])
    assert report.verdict == "mismatch" and report.exit_status == 1
    assert "10.0.0.4" in report.error and "10.9.9.9" in report.error


def test_nxdomain(server):
    report = check_dns("missing.example.test", expect="10.0.0.4",
                       nameservers=[server.address])
    assert report.verdict == "not_found", report.error
    assert report.addresses == [] and report.exit_status == 1


def test_cname_chain_with_ttls(server):
    report = check_dns("WWW.example.test.", nameservers=[server.address])
    assert report.verdict == "resolves"
    assert report.name == "www.example.test"
    assert report.cname_chain == ["edge.example.test", "api.example.test"]
    assert report.addresses == ["10.0.0.4", "fd00::4"]
    cnames = [(r.name, r.value, r.ttl) for r in report.records if r.type == "CNAME"]
    assert cnames == [("www.example.test", "edge.example.test", 120),
                      ("edge.example.test", "api.example.test", 60)]
    assert report.ttl == 60


def test_expect_a_name_the_chain_passes_through(server):
    ok = check_dns("www.example.test", expect="edge.example.test",
                   nameservers=[server.address])
    assert ok.verdict == "ok"
    wrong = check_dns("www.example.test", expect="other.example.test",
                      nameservers=[server.address])
    assert wrong.verdict == "mismatch"
    assert "www.example.test -> edge.example.test -> api.example.test" in wrong.error


def test_no_answer_for_a_name_without_addresses(server):
    # The CNAME leads out of the zone: an authoritative server answers the CNAME alone.
    report = check_dns("away.example.test", nameservers=[server.address])
    assert report.verdict == "no_answer", report.error
    assert report.cname_chain == ["svc.westeurope.cloudapp.azure.com"]


def test_name_with_only_aaaa_resolves(server):
    report = check_dns("v6only.example.test", nameservers=[server.address])
    assert report.verdict == "resolves" and report.addresses == ["fd00::6"]


def test_nameserver_that_never_answers_times_out_bounded():
    with DnsServer(Zone(), silent=True) as silent:
        start = time.perf_counter()
        report = check_dns("api.example.test", nameservers=[silent.address], timeout=0.5)
        elapsed = time.perf_counter() - start
    assert report.verdict == "error" and report.exit_status == 1
    assert "no answer" in report.error and silent.address in report.error
    assert silent.queries >= 1
    assert elapsed < 1.5


def test_disagreement_with_the_system_resolver_is_a_note(server):
    # The machine's resolver has never heard of example.test (NXDOMAIN): right after a
    # change that is what "propagation still under way" looks like.
    report = check_dns("api.example.test", expect="10.0.0.4", nameservers=[server.address])
    assert report.verdict == "ok"
    assert any("propagation still under way" in n and "system resolver" in n
               for n in report.notes), report.notes


def test_system_resolver_by_default():
    report = check_dns("no-such-name.invalid", timeout=3)
    assert report.verdict == "not_found"
    assert report.nameservers == []
    assert report.notes == []  # nothing to compare with


def test_bad_input_is_input_error(server):
    with pytest.raises(InputError, match="--nameserver"):
        check_dns("api.example.test", nameservers=["dns.example.test"])
    with pytest.raises(InputError, match="port"):
        check_dns("api.example.test", nameservers=["127.0.0.1:99999"])
    with pytest.raises(InputError, match="not a DNS name"):
        check_dns("")


def test_report_renders_and_serializes(server):
    report = check_dns("www.example.test", expect="10.0.0.4", nameservers=[server.address])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["verdict"] == "ok" and data["cname_chain"] == ["edge.example.test",
                                                               "api.example.test"]
    assert {r["type"] for r in data["records"]} == {"CNAME", "A", "AAAA"}
    frame = report.to_frame()
    assert list(frame["verdict"]) == ["ok"]
    text = repr(report)
    assert "www.example.test -> edge.example.test -> api.example.test" in text
    assert "Records" in text and "<table" in report._repr_html_()


def test_cli_dns_exit_status_and_json(server, capsys):
    ok = main(["dns", "api.example.test", "--expect", "10.0.0.4",
               "--nameserver", server.address, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert ok == 0 and out["verdict"] == "ok" and out["addresses"][0] == "10.0.0.4"
    bad = main(["dns", "api.example.test", "--expect", "10.0.0.5",
                "--nameserver", server.address])
    captured = capsys.readouterr()
    assert bad == 1 and "mismatch" in captured.out and "mismatch" in captured.err
    usage = main(["dns", "api.example.test", "--nameserver", "not-an-ip"])
    assert usage == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
