"""The panel's labels and fields fit what they show (no "Nameserv…", no 300 px paths)."""

from __future__ import annotations

import ipywidgets as w

from jupyter_mlssl.widgets import Panel


def test_every_label_is_shown_whole():
    panel = Panel()
    labelled = [x for x in panel.widgets()
                if getattr(x, "description", "")
                and hasattr(getattr(x, "style", None), "description_width")
                and not isinstance(x, (w.Button, w.Checkbox, w.FileUpload))]
    assert {x.description for x in labelled} >= {"Nameservers", "Resolve", "CA bundle",
                                                  "Leaf label", "Target"}
    cut = [x.description for x in labelled if x.style.description_width != "initial"]
    assert cut == []


def test_change_mode_buttons_are_as_wide_as_their_labels():
    mode = Panel().change.mode
    assert "Microsoft-provided certificate" in mode._options_labels
    assert mode.style.button_width == "auto"


def test_probe_fields_take_the_width_a_path_needs():
    tab = Panel().probe
    for field in (tab.urls, tab.resolve, tab.ca_bundle):
        assert field.layout.width == "100%" and field.layout.max_width == "60em"
