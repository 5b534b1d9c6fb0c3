"""JupyterLab with the extension, driven in Debian's Chromium by Playwright.

One JupyterLab and one browser for the module. Before JupyterLab starts, a real local
scoring service is deployed and TLS enabled on it through the API, so the history holds a
real certificate and the status bar has an expiry to show. Each test writes screenshots to
``test-artifacts/`` (kept by CI, gitignored).

Chromium: ``/usr/bin/chromium`` (``scripts/install-chromium.sh``, run by ``make test``) or
``MLSSL_CHROMIUM``. Playwright's own browser download is not used (closed network).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from tests.jupyterlab_server import LabServer, running_lab
from tests.localtarget import tiny_model_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("MLSSL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TARGET = "local://iris"
UI_TIMEOUT_MS = 60_000
ISO = "%Y-%m-%dT%H:%M:%SZ"


def _chromium() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).is_file():
        return CHROMIUM
    message = f"{CHROMIUM} not found: run scripts/install-chromium.sh (make test does)"
    if os.environ.get("CI"):
        pytest.fail(message)  # in CI a missing browser is a broken set-up, not a skip
    pytest.skip(message)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """MLSSL_HOME shared by this process, JupyterLab and its kernels; local://iris with TLS."""
    home = tmp_path_factory.mktemp("mlssl-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("MLSSL_HOME", str(home))
    from jupyter_mlssl import local

    try:
        local.deploy("iris", model=tiny_model_bytes())
        from jupyter_mlssl.cli import main

        assert main(["enable", TARGET, "--leaf-domain-label", "iris", "--yes"]) == 0
        yield home
    finally:
        local.stop_all()
        mp.undo()


#: jupysql (the anchor of benchmarks/load_ext.py) pulls in jupysql-plugin 0.4.5, which
#: JupyterLab 4.6 lists as incompatible; while it is enabled no cell's editor language can
#: be changed by anyone (its SQL highlighting pins the notebook language), so our YAML
#: highlighting test would be testing jupysql-plugin. A user with both sees the same.
CONFLICTING = ("jupysql-plugin",)


@pytest.fixture(scope="module")
def lab(home, tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("lab"), env={"MLSSL_HOME": str(home)},
                     disabled_extensions=CONFLICTING) as server:
        try:
            yield server
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(server.log_path, ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="module")
def browser_context(lab, tmp_path_factory):
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a new, empty user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1366, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def notebook(lab: LabServer, browser_context, request):
    """A new notebook opened in JupyterLab with its kernel idle; screenshots on the way out."""
    name = f"{request.node.name}.ipynb"
    lab.api(f"api/contents/{name}", method="PUT", body={"type": "notebook", "content": {
        "cells": [], "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
    }})
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(lab.lab_url(f"tree/{name}"))
    page.wait_for_function(
        "window.jupyterapp && window.jupyterapp.commands.hasCommand('mlssl:secure-endpoint')",
        timeout=UI_TIMEOUT_MS,
    )
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=UI_TIMEOUT_MS)
    # the kernel's language has reached the notebook (code cells are IPython, not plain text)
    page.wait_for_function("window.jupyterapp.shell.currentWidget?.content?.codeMimetype"
                           " === 'text/x-ipython'", timeout=UI_TIMEOUT_MS)
    page.mlssl_errors = errors  # type: ignore[attr-defined]
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"))
    page.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_command_from_the_palette_inserts_and_runs_the_panel_then_probes(notebook):
    page = notebook
    # the toolbar carries the command too
    assert page.locator(".jp-mlssl-toolbar-button").is_visible()

    page.locator(".lm-MenuBar-itemLabel", has_text="View").click()
    page.locator(".lm-Menu-itemLabel", has_text="Activate Command Palette").click()
    palette = page.locator(".jp-ModalCommandPalette .lm-CommandPalette-input")
    palette.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    palette.fill("Secure model endpoint")
    page.locator(".lm-CommandPalette-item", has_text="Secure model endpoint").first.click()

    panel = page.locator(".jp-OutputArea-output .widget-tab")
    panel.wait_for(timeout=UI_TIMEOUT_MS)
    source = page.evaluate("window.jupyterapp.shell.currentWidget.content.activeCell"
                           ".model.sharedModel.getSource()")
    assert source.splitlines() == ["%load_ext jupyter_mlssl", "%mlssl panel"]
    for title in ("Certificate", "Change", "DNS", "Probe", "History"):
        assert page.locator(".lm-TabBar-tab", has_text=title).count() >= 1
    shot(page, "01-panel-inserted")

    target = page.get_by_placeholder("local://NAME or an ARM resource id")
    target.fill(TARGET)
    target.press("Enter")
    page.locator(".jp-OutputArea-output .lm-TabBar-tab", has_text="Probe").click()
    page.locator(".jp-OutputArea-output button", has_text="Probe").click()
    table = page.locator(".jp-OutputArea-output .widget-output table")
    table.first.wait_for(timeout=UI_TIMEOUT_MS)
    text = table.first.inner_text()
    assert "ok" in text, text  # the local CA's chain, pinned address: a clean verdict
    shot(page, "02-probe-table")
    assert not page.mlssl_errors


def test_status_bar_shows_the_soonest_expiry(notebook, lab, home, monkeypatch):
    page = notebook
    expected = lab.api("mlssl/expiries")["expiries"]
    assert [e["target"] for e in expected] == [TARGET]
    item = page.locator(".jp-mlssl-expiry")
    item.wait_for(timeout=UI_TIMEOUT_MS)
    soonest = expected[0]
    assert item.inner_text().strip() == f"TLS {soonest['fqdn']}: {soonest['days_left']} d"
    assert item.get_attribute("data-days-left") == str(soonest["days_left"])
    classes = item.get_attribute("class") or ""
    assert "jp-mlssl-expired" not in classes
    assert ("jp-mlssl-warn" in classes) == (soonest["days_left"] < 30)
    tooltip = item.get_attribute("title") or ""
    assert TARGET in tooltip and soonest["not_after"][:10] in tooltip
    shot(page, "03-status-bar")

    # More targets in the history, as the workflow records them: the item refreshes after
    # a cell runs, amber for one expiring within 30 days, red once one has expired.
    monkeypatch.setenv("MLSSL_HOME", str(home))
    from jupyter_mlssl import history

    now = dt.datetime.now(dt.timezone.utc)
    for target, days, css, text in (
        ("local://soon", 12, "jp-mlssl-warn", "TLS soon.mlssl.test: 12 d"),
        ("local://old", -3, "jp-mlssl-expired", "TLS old.mlssl.test: expired"),
    ):
        history.record(target=target, action="enable", outcome="applied",
                       after_status="Enabled", after_fingerprint="sha256:" + "ab" * 32,
                       after_not_after=(now + dt.timedelta(days=days, hours=1)).strftime(ISO),
                       fqdn=f"{target[8:]}.mlssl.test")
        page.evaluate("""() => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            nb.activeCell.model.sharedModel.setSource('1 + 1');
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""")
        page.locator(f".jp-mlssl-expiry.{css}").wait_for(timeout=UI_TIMEOUT_MS)
        assert item.inner_text().strip() == text
        shot(page, f"04-status-bar-{target[8:]}")
    tooltip = item.get_attribute("title") or ""
    assert tooltip.index("local://old") < tooltip.index("local://soon") < tooltip.index(TARGET)


def test_mlssl_cell_gets_yaml_highlighting(notebook):
    page = notebook
    mime = page.evaluate("""async () => {
        const nb = window.jupyterapp.shell.currentWidget.content;
        const cell = nb.activeCell;
        cell.model.sharedModel.setSource('%%mlssl apply local://iris\\nstatus: auto\\n' +
                                         'leaf_domain_label: iris\\n');
        return cell.model.mimeType;
    }""")
    assert mime == "text/x-yaml"
    # CodeMirror tokenises it as YAML (loaded on demand): the key gets its own styled span.
    # Under Python's grammar `status` is a plain variable name, with no span of its own.
    line = page.locator(".jp-Notebook .jp-Cell .cm-line", has_text="status: auto").first
    line.locator("span", has_text="status").first.wait_for(timeout=UI_TIMEOUT_MS)
    language = page.locator(".jp-Notebook .jp-Cell .cm-content").first
    assert language.get_attribute("data-language") == "yaml"
    shot(page, "05-yaml-cell")
    back = page.evaluate("""() => {
        const cell = window.jupyterapp.shell.currentWidget.content.activeCell;
        cell.model.sharedModel.setSource('print(1)');
        return cell.model.mimeType;
    }""")
    assert back == "text/x-ipython"
