"""probe and dns through %mlssl against real loopback servers: tables returned, failures
fail the cell with one line after the tables are shown."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from tests.ipshell import magic
from tests.tlsservers import TLSServer


@pytest.fixture
def served(pki, tmp_path):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root.pem)
    with TLSServer([leaf, inter]) as server:
        yield server, str(ca)


def test_probe_returns_the_report(ip, served):
    server, ca = served
    ip.run_cell(f"r = %mlssl probe {server.url('api.example.test')} "
                f"--resolve {server.resolve('api.example.test')} --ca-bundle {ca} --timeout 3")
    report = ip.user_ns["r"]
    assert report.exit_status == 0, report.summary()
    assert "api.example.test" in report._repr_html_()


def test_probe_uses_config_ca_bundle_and_timeout(ip, served):
    server, ca = served
    ip.run_cell(f"%config MlsslMagic.ca_bundle = '{ca}'")
    ip.run_cell("%config MlsslMagic.timeout = 3.0")
    result = ip.run_cell(f"%mlssl probe {server.url('api.example.test')} "
                         f"--resolve {server.resolve('api.example.test')}")
    assert result.success, result.error_in_exec
    assert magic(ip).last_report.exit_status == 0


def test_bad_endpoint_fails_with_one_line_after_the_table(ip, served, capfd):
    server, ca = served
    result = ip.run_cell(f"%mlssl probe {server.url('other.example.test')} "
                         f"--resolve {server.resolve('other.example.test')} --ca-bundle {ca}")
    assert type(result.error_in_exec) is UsageError
    assert "hostname_mismatch" in str(result.error_in_exec)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "other.example.test" in captured.out  # the table was displayed first
    assert len([x for x in captured.err.splitlines() if x.strip()]) == 1


def test_probe_json(ip, served):
    server, ca = served
    result = ip.run_cell(f"%mlssl probe {server.url('api.example.test')} "
                         f"--resolve {server.resolve('api.example.test')} --ca-bundle {ca} "
                         "--json")
    assert result.success and isinstance(result.result, dict)


def test_dns_against_a_loopback_nameserver(ip, local_dns):
    name, address, nameserver = local_dns
    report = ip.run_cell(f"%mlssl dns {name} --expect {address} --nameserver {nameserver}")
    assert report.success, report.error_in_exec
    assert report.result.exit_status == 0
    result = ip.run_cell(f"%mlssl dns {name} --expect 192.0.2.99 --nameserver {nameserver}")
    assert type(result.error_in_exec) is UsageError and "mismatch" in str(result.error_in_exec)


@pytest.fixture
def local_dns(mlssl_home):
    """A name served by the local target's loopback DNS server."""
    from jupyter_mlssl.targets.local import nameserver

    try:
        port = nameserver.ensure_running()
        nameserver.publish({"dnstest.mlssl.test": "127.0.0.1"})
        assert nameserver.wait_until_served("dnstest.mlssl.test", "127.0.0.1")
        yield "dnstest.mlssl.test", "127.0.0.1", f"127.0.0.1:{port}"
    finally:
        nameserver.stop()
