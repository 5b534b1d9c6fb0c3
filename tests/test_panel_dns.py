"""The panel's DNS tab against the local target's loopback DNS server."""

from __future__ import annotations

import pytest

from jupyter_mlssl.widgets import Panel
from jupyter_mlssl.widgets.dns import split_list


@pytest.fixture
def zone(mlssl_home):
    from jupyter_mlssl.targets.local import nameserver

    try:
        port = nameserver.ensure_running()
        nameserver.publish({"paneldns.mlssl.test": "127.0.0.1"})
        assert nameserver.wait_until_served("paneldns.mlssl.test", "127.0.0.1")
        yield f"127.0.0.1:{port}"
    finally:
        nameserver.stop()


def test_dns_ok_and_mismatch(zone):
    panel = Panel(timeout=2.0)
    tab = panel.dns
    tab.name.value = "paneldns.mlssl.test"
    tab.expect.value = "127.0.0.1"
    tab.nameservers.value = zone
    report = tab.on_check()
    assert report.exit_status == 0, report.summary()
    assert "✔" in panel.status.value and "text/html" in tab.out.outputs[-1]["data"]

    tab.expect.value = "192.0.2.7"
    report = tab.on_check()
    assert report.exit_status == 1
    assert "mismatch" in panel.status.value and "✖" in panel.status.value


def test_split_list():
    assert split_list("127.0.0.1:53, 10.0.0.1  ::1") == ("127.0.0.1:53", "10.0.0.1", "::1")
    assert split_list("") == ()
