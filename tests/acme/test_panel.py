"""The panel's "Free certificate (ACME)": plan, Apply, the records to publish by hand with
a Continue button, then the same workflow; no key in any widget's state."""

from __future__ import annotations

import re

from jupyter_mlssl.targets.local import nameserver
from jupyter_mlssl.widgets import Panel
from tests.ipshell import widget_state_leaks
from tests.localtarget import local_target  # noqa: F401 (the fixture)

CNAME = "api.local.mlssl.test"


def test_manual_records_then_continue(local_target, pebble, monkeypatch,  # noqa: F811
                                      tmp_path):
    from jupyter_mlssl.store.paths import state_dir

    monkeypatch.setenv("PEBBLE_EAB", pebble.eab_hmac)
    roots = tmp_path / "roots.pem"
    roots.write_text(pebble.roots_pem())
    panel = Panel(target="local://iris", ca_bundle=str(roots))
    change = panel.change
    change.mode.value = "acme"
    assert change.acme.widget.layout.display == "flex"
    panel.certificate.cname.value = CNAME
    box = change.acme
    box.dns.value = "manual"
    box.directory.value = pebble.directory
    box.ca_bundle.value = pebble.ca_bundle
    box.eab_kid.value = pebble.eab_kid
    box.eab_env.value = "PEBBLE_EAB"
    plan = change.on_plan()
    assert plan is not None and not plan.blocked, panel.status.value
    assert change.on_apply() is None  # waiting for the records
    assert "Publish these DNS records" in box.records.value
    assert not box.continue_button.disabled
    (name, value), = re.findall(r"<code>([^<]+)\.</code>.*?<code>\"([^\"]+)\"</code>",
                                box.records.value)
    assert name == f"_acme-challenge.{CNAME}"
    nameserver.edit_records(name, "TXT", add=[value])  # the user publishes it

    report = box.on_continue()
    assert report is not None and report.outcome == "applied", panel.status.value
    assert box.continue_button.disabled and box.pending is None
    account_key = next((state_dir() / "acme" / "accounts").glob("*/key.pem")).read_text()
    assert widget_state_leaks(panel, [pebble.eab_hmac.encode(), account_key.encode(),
                                      b"PRIVATE KEY"]) == []


def test_cancel_removes_nothing_installed(local_target, pebble, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PEBBLE_EAB", pebble.eab_hmac)
    panel = Panel(target="local://iris")
    change = panel.change
    change.mode.value = "acme"
    panel.certificate.cname.value = CNAME
    box = change.acme
    box.dns.value = local_target.id
    box.directory.value = pebble.directory
    box.ca_bundle.value = pebble.ca_bundle
    # no EAB: the CA requires it, and says so in the status line
    assert change.on_plan() is not None
    assert change.on_apply() is None
    assert "external account binding" in panel.status.value
    assert box.pending is None
    assert nameserver.records(f"_acme-challenge.{CNAME}", "TXT") == []
    assert local_target.status().ssl.status == "Disabled"
