"""The example notebooks run top to bottom, as a new user (or Binder) runs them.

Executed with nbclient on a real kernel: a cell that fails, including a ``%mlssl`` cell
failing with its one-line ``UsageError``, fails the test (nbmake and nbval would let that
pass: a ``UsageError`` writes to stderr and sends no error output, which is what they look
for). Each runs in a copy of ``notebooks/`` in a temporary directory, with its own
``MLSSL_HOME``; the executed copies are kept in ``test-artifacts/notebooks/`` for a human
to read.

03-azure-aks needs an Azure ML workspace. Here its variables are absent, and the notebook
must say so plainly and skip its cloud cells without failing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ARTIFACTS = REPO / "test-artifacts" / "notebooks"
AZURE_VARS = ("MLSSL_AZURE_TARGET", "MLSSL_LEAF_DOMAIN_LABEL")
KEY_MARKER = "PRIVATE" + " KEY-----"

pytestmark = pytest.mark.slow


def execute(notebook: Path, workdir: Path) -> nbformat.NotebookNode:
    """Run ``notebook`` from a copy of the notebooks folder in ``workdir``; keep the result."""
    for helper in notebook.parent.glob("*.py"):
        shutil.copy(helper, workdir)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=300, startup_timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, ARTIFACTS / notebook.name)
    return nb


def outputs_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(json.dumps(output.get("data", {})))
        parts.extend(output.get("traceback", []))
    return "\n".join(parts)


def test_there_are_five_notebooks_and_the_panel_app():
    numbered = [p.stem[:2] for p in NOTEBOOKS if p.stem[:2].isdigit()]
    assert numbered == ["01", "02", "03", "04", "05"], NOTEBOOKS
    assert [p.stem for p in NOTEBOOKS if not p.stem[:2].isdigit()] == ["panel-app"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_or_widget_state(notebook):
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, "widget state saved in the notebook"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize(
    "notebook", [p for p in NOTEBOOKS if "azure" not in p.stem], ids=lambda p: p.stem)
def test_runs_top_to_bottom_and_cleans_up(notebook, tmp_path, mlssl_home, monkeypatch):
    from jupyter_mlssl import local

    monkeypatch.chdir(tmp_path)
    try:
        nb = execute(notebook, tmp_path)
    except Exception:
        local.stop_all()  # services outlive the kernel: a notebook that failed half-way
        raise
    text = "\n".join(outputs_text(c) for c in nb.cells)
    assert KEY_MARKER not in text, "a private key reached a cell output"
    assert "Traceback" not in text
    left = local.services().services
    if left:  # stop them for the next test, then fail: the notebook must do it itself
        local.stop_all()
    assert left == [], f"{notebook.name} left local services running: {left}"


def test_azure_notebook_says_what_is_missing_and_skips_its_cloud_cells(tmp_path, mlssl_home,
                                                                      monkeypatch):
    for name in AZURE_VARS:
        monkeypatch.delenv(name, raising=False)
    (notebook,) = [p for p in NOTEBOOKS if "azure" in p.stem]
    nb = execute(notebook, tmp_path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    preflight = next(c for c in code if "MLSSL_AZURE_TARGET" in c.source)
    said = outputs_text(preflight)
    for name in AZURE_VARS:
        assert name in said, said
    assert "not set" in said
    cloud = [c for c in code[code.index(preflight) + 1:] if "if ready" in c.source]
    assert len(cloud) >= 5
    for cell in cloud:
        assert "skipped" in outputs_text(cell), cell.source
        assert "Traceback" not in outputs_text(cell)


def test_binder_builds_the_package_and_fails_loudly():
    """repo2docker ignores a failing postBuild step unless the script stops on errors."""
    import os

    import yaml

    binder = REPO / "binder"
    post_build = binder / "postBuild"
    text = post_build.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert os.access(post_build, os.X_OK)
    assert 'pip install --no-cache-dir ".[local]"' in text
    assert "jupyter labextension list" in text and "jupyter server extension list" in text
    env = yaml.safe_load((binder / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    assert any(d.startswith("python=") for d in deps), "pin python: repo2docker's default is old"
    assert any(d.startswith("nodejs") for d in deps), "the labextension is built from source"
    # Binder opens the quickstart: it must exist and need no cloud
    readme = (REPO / "README.md").read_text()
    assert "labpath=notebooks%2F01-quickstart-local.ipynb" in readme
    assert (REPO / "notebooks" / "01-quickstart-local.ipynb").exists()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_is_valid_ipython(notebook):
    """Also covers the cells that only run with a workspace (03): they must at least parse."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type == "code":
            compile(transform(cell.source), f"{notebook.name}[{index}]", "exec")


def test_a_failing_mlssl_cell_fails_the_run(tmp_path):
    """The harness itself: a one-line UsageError (no traceback, nothing on iopub's error
    channel, so nbmake and nbval miss it) must fail the execution."""
    from nbclient.exceptions import CellExecutionError
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("%load_ext jupyter_mlssl"),
                             new_code_cell("%mlssl cert inspect no-such-file.pem"),
                             new_code_cell("print('never reached')")],
                      metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    assert "UsageError" in str(info.value) and "no-such-file.pem" in str(info.value)
    assert nb.cells[2].outputs == [] and nb.cells[2].execution_count is None
