"""JupyterLab with the extension, driven in Debian's Chromium by Playwright; then the same
panel in Notebook 7 (the quickstart) and in Voila (``notebooks/panel-app.ipynb``).

One JupyterLab (and one Notebook 7 server) and one browser for the module. Before the
servers start, a real local scoring service is deployed and TLS enabled on it through the
API, so the history holds a real certificate and the status bar has an expiry to show.
Each test writes screenshots to ``test-artifacts/`` (kept by CI, gitignored).

Chromium: ``/usr/bin/chromium`` (``scripts/install-debian-package.sh chromium``, run by
``make test``) or ``MLSSL_CHROMIUM``. Playwright's own browser download is not used (closed
network).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from tests.jupyterlab_server import LabServer, running_lab, running_voila
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
    message = (f"{CHROMIUM} not found: run scripts/install-debian-package.sh chromium "
               "(make test does)")
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
def browser_context(tmp_path_factory):
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
    from jupyter_mlssl.store import history

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


def test_fleet_picture_and_the_panels_fleet_view(notebook):
    """The fleet's picture renders offline through JupyterLab's own Vega-Lite renderer, and
    the panel's Fleet view lists the target; picking its row opens it in the other tabs."""
    page = notebook
    page.evaluate("""() => {
        const nb = window.jupyterapp.shell.currentWidget.content;
        nb.activeCell.model.sharedModel.setSource(
            '%load_ext jupyter_mlssl\\nreport = %mlssl fleet --local --probe\\nreport.plot()');
        return window.jupyterapp.commands.execute('notebook:run-cell');
    }""")
    chart = page.locator(".jp-OutputArea-output .vega-embed")
    chart.first.wait_for(timeout=UI_TIMEOUT_MS)
    page.locator(".jp-OutputArea-output .vega-embed svg, "
                 ".jp-OutputArea-output .vega-embed canvas").first.wait_for(
        timeout=UI_TIMEOUT_MS)
    shot(page, "06-fleet-picture")

    page.evaluate("""() => {
        const nb = window.jupyterapp.shell.currentWidget.content;
        nb.activeCell.model.sharedModel.setSource('%mlssl panel');
        return window.jupyterapp.commands.execute('notebook:run-cell');
    }""")
    page.locator(".jp-OutputArea-output .lm-TabBar-tab", has_text="Fleet").last.click()
    page.locator(".jp-OutputArea-output button", has_text="Inventory").last.click()
    rows = page.locator(".jp-OutputArea-output .widget-select select").last
    page.locator(".jp-OutputArea-output .widget-select option",
                 has_text=TARGET).last.wait_for(timeout=UI_TIMEOUT_MS)
    table = page.locator(".jp-OutputArea-output .widget-output table", has_text=TARGET)
    table.last.wait_for(timeout=UI_TIMEOUT_MS)
    assert "ok" in table.last.inner_text()
    shot(page, "07-panel-fleet-view")
    rows.select_option(index=0)  # the only row: local://iris
    certificate = page.locator(".jp-OutputArea-output .lm-TabBar-tab.lm-mod-current",
                               has_text="Certificate")
    certificate.last.wait_for(timeout=UI_TIMEOUT_MS)
    target = page.get_by_placeholder("local://NAME or an ARM resource id").last
    assert target.input_value() == TARGET
    shot(page, "08-fleet-row-opened")
    # the status bar now reads the fleet's cache too: its tooltip says how old it is
    page.wait_for_function(
        "(document.querySelector('.jp-mlssl-expiry')?.title || '')"
        ".includes('Fleet inventory: 1 certificates, ')", timeout=UI_TIMEOUT_MS)
    tooltip = page.locator(".jp-mlssl-expiry").get_attribute("title") or ""
    assert " min old" in tooltip and TARGET in tooltip, tooltip
    assert not page.mlssl_errors


# -- Notebook 7 and Voila -----------------------------------------------------------------
#: each of these must stay well under a minute (the server start is in the fixture)
FRONT_END_TIMEOUT_S = 50
QUICKSTART = REPO / "notebooks" / "01-quickstart-local.ipynb"
PANEL_APP = REPO / "notebooks" / "panel-app.ipynb"


@pytest.fixture(scope="module")
def notebook7(home, tmp_path_factory):
    """Notebook 7 (``jupyter notebook``), same extensions and MLSSL_HOME as the lab."""
    with running_lab(tmp_path_factory.mktemp("nb7"), env={"MLSSL_HOME": str(home)},
                     disabled_extensions=CONFLICTING, app="notebook") as server:
        try:
            yield server
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(server.log_path, ARTIFACTS / "notebook7.log")


def probe_and_read_card(page, scope: str = "") -> str:
    """Probe tab, Probe button (the target's own URL, pins and CA); the card's text."""
    page.locator(f"{scope} .lm-TabBar-tab", has_text="Probe").first.click()
    page.locator(f"{scope} button", has_text="Probe").first.click()
    card = page.locator(f"{scope} .mlssl-probe-card").first
    card.wait_for(timeout=UI_TIMEOUT_MS)
    # the status line has its verdict too (the operation has ended, buttons are back)
    page.locator(f"{scope} .widget-html", has_text="✔ HTTPS probe").first.wait_for(
        timeout=UI_TIMEOUT_MS)
    return card.inner_text()


@pytest.mark.timeout(FRONT_END_TIMEOUT_S + 60)
def test_notebook7_opens_the_quickstart_and_its_panel_probes(notebook7, browser_context):
    shutil.copy(QUICKSTART, notebook7.root_dir / QUICKSTART.name)
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{exc}\n{exc.stack}"))
    try:
        page.goto(notebook7.notebook_url(QUICKSTART.name))
        # Notebook 7 loads the same prebuilt labextension: our command is registered
        page.wait_for_function(
            "window.jupyterapp && window.jupyterapp.commands.hasCommand('mlssl:secure-endpoint')",
            timeout=UI_TIMEOUT_MS)
        page.wait_for_function(
            "window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status"
            " === 'idle'", timeout=UI_TIMEOUT_MS)
        page.get_by_role("heading", name="Quickstart: serve a model over HTTPS").first.wait_for(
            timeout=UI_TIMEOUT_MS)
        assert "/notebooks/" in page.url  # Notebook 7's page, not JupyterLab's
        shot(page, "10-notebook7-quickstart")
        # the server extension is loaded by this server too
        assert "expiries" in notebook7.api("mlssl/expiries")

        button = page.locator(".jp-mlssl-toolbar-button")
        button.wait_for(timeout=UI_TIMEOUT_MS)
        button.click()  # inserts `%load_ext jupyter_mlssl` + `%mlssl panel` and runs it
        page.locator(".jp-OutputArea-output .widget-tab").first.wait_for(timeout=UI_TIMEOUT_MS)
        target = page.get_by_placeholder("local://NAME or an ARM resource id").first
        target.fill(TARGET)
        target.press("Enter")
        text = probe_and_read_card(page, ".jp-OutputArea-output")
        assert "ok" in text and "TLSv1." in text and "200" in text, text
        assert "Hostname" in text and "Days left" in text
        page.locator(".jp-OutputArea-output .widget-output table").first.wait_for(
            timeout=UI_TIMEOUT_MS)  # the full table is still there, below the card
        shot(page, "11-notebook7-probe-card")

        # labels and buttons show their whole text (none is cut with an ellipsis)
        out = ".jp-OutputArea-output"
        for tab, texts in (("Change", ["Microsoft-provided certificate", "Own certificate"]),
                           ("DNS", ["Nameservers", "Expect"])):
            page.locator(f"{out} .lm-TabBar-tab", has_text=tab).first.click()
            for text in texts:
                element = page.locator(f"{out} .widget-tab-contents :is(label, button)",
                                       has_text=text).first
                element.wait_for(timeout=UI_TIMEOUT_MS)
                cut = element.evaluate("e => e.scrollWidth > e.clientWidth")
                assert not cut, f"{tab} tab: '{text}' is cut"
            shot(page, f"12-notebook7-{tab.lower()}-tab")
        assert not [e for e in errors if not _notebook7_own(e)], errors
    finally:
        page.close()


def _notebook7_own(error: str) -> bool:
    """Notebook 7.6's shortcut settings code throws this on every fresh page load; it does so
    with every third-party labextension (ours included) disabled, so it is not ours."""
    return ("reading 'schema'" in error and "/static/notebook/notebook_core." in error
            and "mlssl" not in error)


@pytest.mark.timeout(FRONT_END_TIMEOUT_S + 60)
def test_voila_serves_the_panel_app_and_a_probe_shows_its_card(home, browser_context,
                                                                tmp_path):
    app = tmp_path / PANEL_APP.name
    shutil.copy(PANEL_APP, app)
    env = {"MLSSL_HOME": str(home), "MLSSL_TARGET": TARGET}
    with running_voila(tmp_path, app, env=env) as voila:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(voila.url, timeout=UI_TIMEOUT_MS)
            page.locator(".widget-tab").first.wait_for(timeout=UI_TIMEOUT_MS)
            # an app: outputs only, no code
            assert "%mlssl panel" not in page.content()
            # `%mlssl panel {target}` expanded the variable in Voila's kernel too
            picker = page.get_by_placeholder("local://NAME or an ARM resource id").first
            assert picker.input_value() == TARGET
            shot(page, "20-voila-panel-app")
            text = probe_and_read_card(page)
            assert "ok" in text and "TLSv1." in text and "200" in text, text
            shot(page, "21-voila-probe-card")
            assert not errors, errors
        finally:
            page.close()
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(voila.log_path, ARTIFACTS / "voila.log")


@pytest.mark.timeout(FRONT_END_TIMEOUT_S + 60)
def test_voila_inside_the_notebook7_server_renders_the_panel_app(notebook7, browser_context):
    """As Binder shares an app (``urlpath=voila/render/...``): Voila's server extension on the
    Jupyter server that also loads ours."""
    shutil.copy(PANEL_APP, notebook7.root_dir / PANEL_APP.name)
    page = browser_context.new_page()
    try:
        page.goto(f"{notebook7.url}voila/render/{PANEL_APP.name}?token={notebook7.token}",
                  timeout=UI_TIMEOUT_MS)
        page.locator(".widget-tab").first.wait_for(timeout=UI_TIMEOUT_MS)
        picker = page.get_by_placeholder("local://NAME or an ARM resource id").first
        assert picker.input_value() == TARGET  # the notebook's default, through {target}
        assert "expiries" in notebook7.api("mlssl/expiries")  # the same server has ours
        text = probe_and_read_card(page)
        assert "ok" in text and "TLSv1." in text, text
        shot(page, "22-voila-render-probe-card")
    finally:
        page.close()


@pytest.mark.timeout(FRONT_END_TIMEOUT_S + 60)
def test_voila_renders_the_fleet_picture_offline(home, browser_context, tmp_path):
    """Voila's own bundle renders the picture's Vega-Lite mime type (no CDN involved).

    Known: Voila 0.5's vega renderer then tries to cache a PNG of the chart in its output
    model (``model.setData``), which Voila's model lacks, and prints "Javascript Error:
    e.setData is not a function" under the drawn chart; the chart itself is complete."""
    import nbformat

    app = tmp_path / "fleet-picture.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import jupyter_mlssl as mlssl\n"
                                          "mlssl.fleet(azure=False, local=True, probe=True)"
                                          ".plot()")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, app)
    with running_voila(tmp_path, app, env={"MLSSL_HOME": str(home)}) as voila:
        page = browser_context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            page.goto(voila.url, timeout=UI_TIMEOUT_MS)
            page.locator(".vega-embed svg, .vega-embed canvas").first.wait_for(
                timeout=UI_TIMEOUT_MS)
            shot(page, "23-voila-fleet-picture")
            assert not errors, errors
        finally:
            page.close()
