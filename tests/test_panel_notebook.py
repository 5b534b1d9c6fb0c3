"""End to end in a real kernel: a notebook drives the panel (uploads, inspect, apply) and is
executed with widget state stored, as JupyterLab saves it. The saved notebook must hold no
key material and no password."""

from __future__ import annotations

import json
import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ZONE = "mlssl.test"
PASSWORD = "N0tebook-pa55"


@pytest.mark.slow
def test_saved_notebook_holds_no_key_material(pki, tmp_path, monkeypatch):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, [f"api.{ZONE}"])
    chain = leaf.write_chain(tmp_path / "chain.pem", [inter])
    key = leaf.write_key(tmp_path / "key.pem", password=PASSWORD.encode())
    ca = tmp_path / "ca.pem"
    ca.write_bytes(root.pem)
    cells = [
        "%load_ext jupyter_mlssl",
        "from jupyter_mlssl import local\n"
        "from tests.localtarget import tiny_model_bytes\n"
        "local.deploy('nb', model=tiny_model_bytes())",
        f"p = %mlssl panel local://nb\n"
        f"%config MlsslMagic.ca_bundle = '{ca}'\n"
        "p",
        "def up(widget, path):\n"
        "    data = open(path, 'rb').read()\n"
        "    widget.set_state({'value': [{'name': path, 'type': '', 'size': len(data),\n"
        "                                 'last_modified': 0, 'content': memoryview(data)}]})\n"
        f"up(p.certificate.cert_upload, '{chain}')\n"
        f"up(p.certificate.key_upload, '{key}')\n"
        f"p.certificate.cname.value = 'api.{ZONE}'\n"
        # The password reaches the kernel as the browser would send it; the test never
        # writes it into the notebook source (it comes from the environment here).
        "import os\n"
        "p.certificate.password.set_state({'value': os.environ['NB_TEST_PW']})\n"
        f"p.context.ca_bundle = '{ca}'\n"
        "p.certificate.on_inspect().exit_status",
        "p.change.mode.value = 'own'\n"
        "p.change.on_plan()\n"
        "report = p.change.on_apply()\n"
        "report.outcome",
        "local.stop_all()",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    monkeypatch.setenv("NB_TEST_PW", PASSWORD)  # the kernel inherits it (and MLSSL_HOME)
    try:
        client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                         store_widget_state=True,
                                         resources={"metadata": {"path": os.getcwd()}})
        client.execute()
    finally:
        from jupyter_mlssl import local

        local.stop_all()

    outputs = {i: c.outputs for i, c in enumerate(nb.cells)}
    assert outputs[3][-1]["data"]["text/plain"] == "0"
    assert outputs[4][-1]["data"]["text/plain"] == "'applied'"
    saved = nbformat.writes(nb)
    assert "application/vnd.jupyter.widget-state+json" in saved  # widget state was stored
    state = json.dumps(nb.metadata["widgets"])
    key_body = leaf.key_pem().decode().splitlines()[1]  # a line of the unencrypted key
    enc_body = key.read_text().splitlines()[1]
    for secret in (PASSWORD, key_body, enc_body, "PRIVATE KEY"):
        assert secret not in saved
        assert secret not in state
