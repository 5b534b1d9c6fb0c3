"""``notebooks/run_headless.py`` (``make demo``) tells the terminal what each step did."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

SCRIPT = Path(__file__).resolve().parent.parent / "notebooks" / "run_headless.py"
KEY_BLOCK = ("-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
             "-----END " + "PRIVATE KEY-----")


def load_script():
    spec = importlib.util.spec_from_file_location("run_headless", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_each_cell_s_text_prints_under_its_step_with_keys_masked(monkeypatch):
    monkeypatch.setenv("DEMO_KEY_PASSWORD", "open-sesame-42")
    nb = new_notebook(cells=[
        new_markdown_cell("# Title\n\nintro"),
        new_code_cell("%load_ext jupyter_mlssl"),
        new_markdown_cell("## 2. Enable TLS\n\ntext"),
        new_code_cell("%mlssl enable local://iris --leaf-domain-label iris", outputs=[
            new_output("stream", name="stdout", text="planning: local://iris\n"),
            new_output("execute_result", data={"text/plain": "Plan: enable TLS\nfield before",
                                               "text/html": "<table>...</table>"},
                       execution_count=1),
        ]),
        new_code_cell("print(open('key.pem').read())\nmore = 1", outputs=[
            new_output("stream", name="stdout",
                       text=f"{KEY_BLOCK}\npassword open-sesame-42\n"),
        ]),
        new_code_cell("mlssl.panel('local://iris')", outputs=[
            new_output("display_data", data={
                "text/plain": "VBox(children=(...))",
                "application/vnd.jupyter.widget-view+json": {"model_id": "x"}}),
        ]),
    ])
    nbformat.validate(nb)
    out = io.StringIO()
    narrator = load_script().Narrator(nb, out)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            narrator.cell_executed(cell=cell, cell_index=index)
    text = out.getvalue()
    assert text.index("== Title") < text.index(">>> %load_ext jupyter_mlssl")
    assert text.index("== 2. Enable TLS") < text.index(">>> %mlssl enable local://iris")
    assert text.count("== 2. Enable TLS") == 1  # one heading per step, not per cell
    assert "planning: local://iris\nPlan: enable TLS\nfield before" in text
    assert "<table>" not in text  # text only
    assert ">>> print(open('key.pem').read()) ..." in text  # first line of a longer cell
    assert "PRIVATE KEY" not in text and "MIIEvQ" not in text and "open-sesame-42" not in text
    assert "********" in text
    assert "VBox" not in text and "open the notebook in JupyterLab" in text
