"""pebble (Debian's ACME test CA) on loopback, EAB required, DNS-01 lookups sent to the
test's own local nameserver. Skipped, with the reason, only where pebble is not installed."""

from __future__ import annotations

import pytest

from jupyter_mlssl.acme import pebble as pebble_ca


@pytest.fixture
def local_dns(mlssl_home):
    """The test's local nameserver: its port, stopped at teardown."""
    from jupyter_mlssl.targets.local import nameserver

    port = nameserver.ensure_running()
    yield port
    nameserver.stop()


@pytest.fixture
def pebble(local_dns, tmp_path):
    reason = pebble_ca.available()
    if reason:
        pytest.skip(reason)
    with pebble_ca.Pebble(dnsserver=f"127.0.0.1:{local_dns}", workdir=tmp_path / "pebble") as ca:
        yield ca


@pytest.fixture
def eab_env(pebble, monkeypatch):
    monkeypatch.setenv("TEST_EAB_HMAC", pebble.eab_hmac)
    return ["--eab-kid", pebble.eab_kid, "--eab-hmac-env", "TEST_EAB_HMAC"]
