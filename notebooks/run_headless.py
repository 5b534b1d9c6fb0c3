"""Run an example notebook headless and keep the executed copy to read.

    python notebooks/run_headless.py                      # the quickstart
    python notebooks/run_headless.py 04-renewal-and-expiry

The notebook runs on a real kernel (nbclient), in a temporary copy of this folder and with
its own jupyter-mlssl state directory, so it neither litters the checkout nor meets local
services you already run. The executed notebook goes to ``notebooks/executed/`` (ignored by
git). Exit status 0 when every cell ran; 1 when one failed (its one-line error is printed).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(name: str = "01-quickstart-local") -> int:
    import nbformat
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
    with tempfile.TemporaryDirectory(prefix="mlssl-notebook-") as tmp:
        for helper in HERE.glob("*.py"):
            shutil.copy(helper, tmp)
        os.environ["MLSSL_HOME"] = str(Path(tmp) / "mlssl-home")  # inherited by the kernel
        client = NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": tmp}})
        print(f"running {source.name} ...", flush=True)
        try:
            client.execute()
        except CellExecutionError as exc:
            last = [line for line in str(exc).splitlines() if line.strip()][-1:]
            print(f"{source.name}: a cell failed: {' '.join(last)}", file=sys.stderr)
            return 1
        finally:
            _stop_local_services()
            nbformat.write(nb, executed)
            print(f"executed notebook: {executed}")
    return 0


def _stop_local_services() -> None:
    """A notebook stops its own services; if it failed half-way, do it for it."""
    from jupyter_mlssl import local

    local.stop_all()


if __name__ == "__main__":
    sys.exit(run(*sys.argv[1:2]))
