"""The panel against a real local scoring service, driven through its handler methods.

inspect -> enable (Microsoft-provided style) -> DNS -> probe -> update (own certificate,
uploaded with an encrypted key) -> disable behind its confirmation -> history. After every
step no widget reachable from the panel holds key material or the password in its state.
"""

from __future__ import annotations

import pytest

from jupyter_mlssl.widgets import Panel
from tests.ipshell import upload, widget_state_leaks

ZONE = "mlssl.test"
PASSWORD = b"Upl0ad-pa55"


@pytest.fixture
def own(pki, tmp_path):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, [f"api.{ZONE}"])
    ca = tmp_path / "own-ca.pem"
    ca.write_bytes(root.pem)
    return {"chain": leaf.pem + inter.pem, "key": leaf.key_pem(PASSWORD),
            "plain_key": leaf.key_pem(), "ca": str(ca)}


def test_full_walk_through_the_panel(local_target, own):
    panel = Panel(target="local://iris", ca_bundle=own["ca"])
    secrets = [own["key"], own["plain_key"], PASSWORD]

    def no_leaks():
        assert widget_state_leaks(panel, secrets) == []

    assert "local://iris" in panel.picker.options
    status = panel.on_status()
    assert status.ssl.status == "Disabled"

    # -- enable with a Microsoft-provided style certificate (the local CA) ------------------
    change = panel.change
    change.mode.value = "microsoft"
    change.leaf_label.value = "iris"
    assert change.apply_button.disabled  # nothing is applied unseen
    plan = change.on_plan()
    assert plan is not None and not plan.blocked, panel.status.value
    assert not change.apply_button.disabled
    assert "Plan" in change.out.outputs[0]["data"]["text/html"]
    during = []
    original = panel.context.progress
    panel.context.progress = lambda m: (during.append(change.apply_button.disabled),
                                        original(m))
    report = change.on_apply()
    panel.context.progress = original
    assert report.outcome == "applied", report.summary()
    assert during and all(during)  # buttons off while it ran
    assert change.apply_button.disabled  # a plan is applied once
    assert "✔" in panel.status.value
    assert any(o.get("name") == "stdout" for o in change.out.outputs)  # progress lines
    assert local_target.status().ssl.status == "Auto"
    no_leaks()

    # -- DNS and probe, filled in from the target --------------------------------------------
    dns = panel.dns.on_check()
    assert dns is not None and dns.exit_status == 0, panel.status.value
    assert panel.dns.name.value.startswith("iris")
    panel.probe.ca_bundle.value = ""  # let the target's own trust store (the local CA) fill in
    probe = panel.probe.on_probe()
    assert probe is not None and probe.exit_status == 0, panel.status.value

    # -- update with our own certificate: uploads, encrypted key, password ------------------
    tab = panel.certificate
    upload(tab.cert_upload, "chain.pem", own["chain"])
    upload(tab.key_upload, "key.pem", own["key"])
    tab.cname.value = f"api.{ZONE}"
    tab.password.value = PASSWORD.decode()
    inspected = tab.on_inspect()
    assert inspected.exit_status == 0, inspected.summary()
    assert tab.password.value == ""
    no_leaks()

    change.mode.value = "own"
    plan = change.on_plan()
    assert plan is not None and not plan.blocked, panel.status.value
    no_leaks()
    report = change.on_apply()
    assert report.outcome == "applied", report.summary()
    assert local_target.status().ssl.cname == f"api.{ZONE}"
    no_leaks()

    # -- an edit after the plan withdraws it -------------------------------------------------
    change.on_plan()
    assert not change.apply_button.disabled
    change.renew.value = True
    assert change.apply_button.disabled and change.planned is None

    # -- disable: plan, confirmation row, cancel, then confirm -------------------------------
    change.renew.value = False
    change.on_disable()
    assert change.confirm_box.layout.display == "flex"
    assert not change.confirm_button.disabled
    change.on_disable_cancelled()
    assert change.confirm_box.layout.display == "none"
    assert local_target.status().ssl.status == "Enabled"
    change.on_disable()
    report = change.on_disable_confirmed()
    assert report.outcome == "applied", report.summary()
    assert local_target.status().ssl.status == "Disabled"
    no_leaks()

    # -- history ----------------------------------------------------------------------------
    history = panel.history.on_refresh()
    actions = list(history.to_frame()["action"])
    assert actions.count("disable") == 1 and "enable" in actions
    no_leaks()


def test_errors_land_in_the_status_line_escaped(local_target):
    panel = Panel(target="local://iris")
    panel.change.mode.value = "own"
    assert panel.change.on_plan() is None
    assert "no certificate" in panel.status.value and "✖" in panel.status.value
    panel.picker.value = "local://<b>nope</b>"
    panel.on_status()
    assert "<b>" not in panel.status.value and "&lt;b&gt;" in panel.status.value
    assert not panel.status_button.disabled  # re-enabled after the failure


def test_status_refreshes_the_picker(mlssl_home):
    from jupyter_mlssl import local
    from tests.localtarget import tiny_model_bytes

    panel = Panel()
    assert "local://late" not in panel.picker.options
    try:
        local.deploy("late", model=tiny_model_bytes())
        panel.picker.value = "local://late"
        status = panel.on_status()
        assert status is not None and status.ssl.status == "Disabled"
        assert "local://late" in panel.picker.options
        assert panel.picker.value == "local://late"
    finally:
        local.stop_all()
