"""Run an example notebook headless, show what it does in the terminal, keep the executed copy.

    python notebooks/run_headless.py                      # the quickstart
    python notebooks/run_headless.py 04-renewal-and-expiry

The notebook runs on a real kernel (nbclient), in a temporary copy of this folder and with
its own jupyter-mlssl state directory, so it neither litters the checkout nor meets local
services you already run. As each cell completes, its text output (printed lines and the
``text/plain`` form of its result: plan, status, DNS, probe and history tables) is printed
under the heading of the notebook step it belongs to, with private keys and passwords
masked; widgets and HTML are not shown (open the notebook for those). The executed notebook
goes to ``notebooks/executed/`` (ignored by git). Exit status 0 when every cell ran; 1 when
one failed (its one-line error is printed).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WIDGET = "application/vnd.jupyter.widget-view+json"
# IPython colours tracebacks; a terminal that is not one shows the codes as text.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Narrator:
    """Prints each executed cell's text under its step's heading, as nbclient runs it."""

    def __init__(self, nb: Any, out: Any = None) -> None:
        from jupyter_mlssl.magics import Scrubber

        self.out = out or sys.stdout
        self.scrub = Scrubber(_notebook_secrets())  # PEM private keys, and known passwords
        self.headings: dict[int, str] = {}
        heading = ""
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("#"):
                        heading = line.lstrip("#").strip()
                        break
            self.headings[index] = heading
        self.shown = ""

    def say(self, text: str = "") -> None:
        print(self.scrub(text), file=self.out, flush=True)

    def cell_executed(self, cell: Any, cell_index: int, **_: Any) -> None:
        heading = self.headings.get(cell_index, "")
        if heading and heading != self.shown:
            self.shown = heading
            self.say(f"\n== {heading} " + "=" * max(0, 74 - len(heading)))
        source = cell.source.strip()
        if not source:
            return
        lines = source.splitlines()
        self.say("\n>>> " + lines[0] + (" ..." if len(lines) > 1 else ""))
        for output in cell.get("outputs", []):
            text = _text_of(output)
            if text:
                self.say(text.rstrip("\n"))


def _text_of(output: Any) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return ANSI.sub("", output.get("text", ""))
    if kind == "error":
        return ANSI.sub("", f"{output.get('ename')}: {output.get('evalue')}")
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        if WIDGET in data:
            return "(an interactive panel: open the notebook in JupyterLab to use it)"
        return ANSI.sub("", data.get("text/plain", ""))
    return ""


def _notebook_secrets() -> list[str]:
    """Passwords the notebooks may read from the environment (``--password-env``)."""
    return [value for name, value in os.environ.items()
            if "PASSWORD" in name.upper() or name.upper().endswith("_PW")]


def run(name: str = "01-quickstart-local") -> int:
    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    source = HERE / f"{name.removesuffix('.ipynb')}.ipynb"
    if not source.exists():
        known = ", ".join(p.stem for p in sorted(HERE.glob("*.ipynb")))
        print(f"{source.name}: no such notebook here; one of: {known}", file=sys.stderr)
        return 2
    executed = HERE / "executed" / source.name
    executed.parent.mkdir(exist_ok=True)
    nb = nbformat.read(source, as_version=4)
    narrator = Narrator(nb)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mlssl-notebook-") as tmp:
        for helper in HERE.glob("*.py"):
            shutil.copy(helper, tmp)
        os.environ["MLSSL_HOME"] = str(Path(tmp) / "mlssl-home")  # inherited by the kernel
        # IPC: the kernel's sockets are files in the private temporary folder, not TCP
        # ports any local user could reach (and the kernel does not warn about it).
        manager = KernelManager(kernel_name="python3", transport="ipc",
                                ip=str(Path(tmp) / "kernel"))
        client = NotebookClient(nb, km=manager, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": tmp}},
                                on_cell_executed=narrator.cell_executed)
        print(f"running {source.name} on a real kernel ...", flush=True)
        try:
            client.execute()
        except CellExecutionError as exc:
            last = [line for line in str(exc).splitlines() if line.strip()][-1:]
            print(f"{source.name}: a cell failed: {narrator.scrub(' '.join(last))}",
                  file=sys.stderr)
            return 1
        finally:
            _stop_local_services()
            nbformat.write(nb, executed)
            print(f"\nexecuted notebook: {executed}")
    print(f"ran in {time.monotonic() - started:.0f} s.\n"
          f"Open it in JupyterLab, with the extension: make lab\n"
          f"  (or: jupyter lab {source.relative_to(HERE.parent)})")
    return 0


def _stop_local_services() -> None:
    """A notebook stops its own services; if it failed half-way, do it for it."""
    from jupyter_mlssl import local

    local.stop_all()


if __name__ == "__main__":
    sys.exit(run(*sys.argv[1:2]))
