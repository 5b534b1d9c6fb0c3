"""The DNS tab's "point NAME here": the plan first, then the record, on the local target."""

from __future__ import annotations

from jupyter_mlssl.targets.local import nameserver
from jupyter_mlssl.widgets import Panel
from tests.localtarget import local_target  # noqa: F401  (the fixture)


def test_plan_then_point_name_here(local_target):  # noqa: F811
    panel = Panel(target=local_target.id, timeout=2.0)
    tab = panel.dns
    tab.name.value = "panel.contoso.test"
    tab.zone.value = "local"
    plan = tab.on_plan()
    assert [s.before for s in plan.steps] == ["(none)"] and plan.steps[0].after == "127.0.0.1"
    assert nameserver.get_records("panel.contoso.test", "A") is None  # planned only
    assert "text/html" in tab.out.outputs[-1]["data"]
    report = tab.on_point()
    assert report.outcome == "applied", report.message
    assert nameserver.get_records("panel.contoso.test", "A") == (300, ["127.0.0.1"])
    assert "✔" in panel.status.value


def test_point_without_zone_says_what_to_give(local_target):  # noqa: F811
    panel = Panel(target=local_target.id, timeout=2.0)
    panel.dns.name.value = "panel.contoso.test"
    assert panel.dns.on_point() is None
    assert "give the zone" in panel.status.value
