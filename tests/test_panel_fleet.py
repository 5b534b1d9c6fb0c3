"""The panel's Fleet view on a real local target: the table, the picture (a Vega-Lite mime
bundle, which JupyterLab, Notebook 7 and Voila render natively), and a row that opens the
target in the other tabs."""

from __future__ import annotations

import json

from jupyter_mlssl.cli import main
from jupyter_mlssl.widgets import Panel


def test_fleet_view_table_picture_and_open(local_target):
    assert main(["enable", "local://iris", "--leaf-domain-label", "iris", "--yes"]) == 0
    panel = Panel()
    assert panel.tabs.titles[-1] == "Fleet"
    tab = panel.fleet
    assert not tab.azure.value and tab.local.value  # no sign-in needed for local targets
    panel.tabs.selected_index = 2
    report = tab.on_run()
    assert report is not None, panel.status.value
    assert [(r.target, r.verdict, r.probe) for r in report.rows] == [("local://iris", "ok",
                                                                     "ok")]
    assert "✔ Fleet: 1 endpoints" in panel.status.value
    assert "text/html" in tab.table_out.outputs[-1]["data"]
    chart = tab.chart_out.outputs[-1]["data"]
    spec = chart["application/vnd.vegalite.v5+json"]  # a type the frontends render offline
    assert spec["$schema"].endswith("/v5.json")
    values = [v for data in spec.get("datasets", {}).values() for v in data]
    values += spec.get("data", {}).get("values", [])  # the bars' data, shared by the ticks
    assert any(v.get("target") == "local://iris" for v in values), json.dumps(spec)[:1500]
    assert tab.rows.options[0] == (f"{'ok':<10} local://iris", "local://iris")
    panel.picker.value = ""
    tab.rows.value = "local://iris"  # a click on the row
    assert panel.picker.value == "local://iris" and panel.tabs.selected_index == 0
    assert "text/html" in panel.target_out.outputs[-1]["data"]  # its status, shown
