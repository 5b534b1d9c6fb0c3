"""The panel's Probe tab against real TLS servers on loopback."""

from __future__ import annotations

import pytest

from jupyter_mlssl.widgets import Panel
from tests.tlsservers import TLSServer


@pytest.fixture
def chain(pki, tmp_path):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root.pem)
    return leaf, inter, str(ca)


def test_probe_good_endpoint(chain):
    leaf, inter, ca = chain
    with TLSServer([leaf, inter]) as server:
        panel = Panel(ca_bundle=ca)
        tab = panel.probe
        assert tab.ca_bundle.value == ca  # the panel's default trust store
        tab.urls.value = server.url("api.example.test")
        tab.resolve.value = server.resolve("api.example.test")
        seen = []
        original = panel.context.progress
        panel.context.progress = lambda m: (seen.append(tab.probe_button.disabled), original(m))
        report = tab.on_probe()
    assert report is not None and report.exit_status == 0, report.summary()
    assert seen == [True]  # buttons off while the probe ran
    assert not tab.probe_button.disabled  # and back on afterwards
    assert "✔" in panel.status.value
    assert "text/html" in tab.out.outputs[-1]["data"]


def test_probe_problem_lands_in_status_line(chain):
    leaf, inter, ca = chain
    with TLSServer([leaf, inter]) as server:
        panel = Panel(ca_bundle=ca)
        tab = panel.probe
        tab.urls.value = "\n".join([server.url("other.example.test"),
                                    server.url("api.example.test")])
        tab.resolve.value = ", ".join([server.resolve("other.example.test"),
                                       server.resolve("api.example.test")])
        report = tab.on_probe()
    assert report.exit_status == 1
    assert "hostname_mismatch" in panel.status.value and "✖" in panel.status.value
    assert len(report.results) == 2


def test_probe_without_target_or_url_explains():
    panel = Panel()
    panel.picker.value = ""
    assert panel.probe.on_probe() is None
    assert "no target picked" in panel.status.value


def test_one_endpoint_shows_a_summary_card_above_the_table(chain):
    leaf, inter, ca = chain
    with TLSServer([leaf, inter]) as server:
        panel = Panel(ca_bundle=ca)
        tab = panel.probe
        tab.urls.value = server.url("api.example.test")
        tab.resolve.value = server.resolve("api.example.test")
        report = tab.on_probe()
    assert report.exit_status == 0, report.summary()
    card, table = (o["data"]["text/html"] for o in tab.out.outputs)
    assert 'class="mlssl-probe-card"' in card and "✔ ok" in card
    result = report.results[0]
    for label, value in [("Trusted", "yes"), ("Protocol", result.protocol),
                         ("HTTP status", str(result.http_status)),
                         ("Days left", str(result.days_left)),
                         ("Hostname", "api.example.test: matches")]:
        assert f"<div>{label}</div>" in card.replace('<div style="color: #555">', "<div>")
        assert f"<b>{value}" in card
    assert "mlssl-probe-card" not in table and "api.example.test" in table


def test_many_endpoints_show_the_table_only(chain):
    leaf, inter, ca = chain
    with TLSServer([leaf, inter]) as server:
        panel = Panel(ca_bundle=ca)
        tab = panel.probe
        tab.urls.value = "\n".join([server.url("api.example.test")] * 2)
        tab.resolve.value = server.resolve("api.example.test")
        tab.on_probe()
    assert len(tab.out.outputs) == 1
    assert "mlssl-probe-card" not in tab.out.outputs[0]["data"]["text/html"]


def test_summary_card_escapes_every_value():
    from jupyter_mlssl.probing.report import ProbeResult
    from jupyter_mlssl.widgets.probe import summary_card

    evil = "<img src=x onerror=alert(1)>"
    card = summary_card(ProbeResult(url=f"https://a.test/{evil}", host=f"{evil}.test", port=443,
                                    verdict="dns_error", error=f"no such name {evil}"))
    assert "<img" not in card
    assert card.count("&lt;img src=x onerror=alert(1)&gt;") == 3
    assert "✖ dns_error" in card and "not checked" in card
