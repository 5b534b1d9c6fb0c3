"""How fast is ``mlssl cert inspect`` in-process, next to ``openssl x509 -noout -text``?

One run mints a 3-certificate chain (leaf, intermediate, root; EC P-256) and the leaf's key
in a temp directory, then times on the same files:

* ``inspect()``: the API call (load, order, key match, verify against Mozilla's store
  through certifi, every check), warm: the store is parsed once per process.
* ``mlssl cert inspect --json`` in-process: argparse, the handler, ``to_dict`` + JSON.
* ``mlssl cert inspect`` in-process with the text tables (pandas rendering).
* ``openssl x509 -noout -text`` as a subprocess: parses and prints the first certificate
  only, no chain, key or trust work. It is the anchor a shell user would reach for.

Prints each median (N runs) and the ratio openssl / in-process. Target: in-process at
least 3x faster. Usage: ``python benchmarks/inspect.py [N]``.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's directory comes first on sys.path, and its name would shadow
# the standard library's ``inspect`` (which dataclasses imports): drop that entry first.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import contextlib
import io
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median_ms(func: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(runs: int = 101) -> int:
    from jupyter_mlssl.certificates import inspect, minting
    from jupyter_mlssl.cli import main as cli_main

    openssl = shutil.which("openssl")
    with tempfile.TemporaryDirectory(prefix="mlssl-bench-") as tmp:
        work = Path(tmp)
        root, root_key = minting.make_ca("Bench Root")
        inter, inter_key = minting.make_intermediate(root, root_key, "Bench Issuing")
        leaf, key = minting.issue_leaf(inter, inter_key, ["api.bench.test"])
        chain, key_file = work / "chain.pem", work / "key.pem"
        minting.write_public(chain, minting.cert_pem([leaf, inter, root]))
        minting.write_private(key_file, minting.key_pem(key))

        start = time.perf_counter()
        first = inspect(chain, key=key_file)
        cold_ms = (time.perf_counter() - start) * 1000
        assert len(first.certificates) == 3 and "key_mismatch" not in first.finding_codes()

        argv = ["cert", "inspect", str(chain), "--key", str(key_file)]

        def cli(extra: list[str]) -> Callable[[], object]:
            def run() -> object:
                with contextlib.redirect_stdout(io.StringIO()), \
                        contextlib.redirect_stderr(io.StringIO()):
                    return cli_main(argv + extra)
            return run

        cli(["--json"])()  # warm the CLI's own imports
        cli([])()  # ...and pandas
        api_ms = _median_ms(lambda: inspect(chain, key=key_file), runs)
        json_ms = _median_ms(cli(["--json"]), runs)
        text_ms = _median_ms(cli([]), runs)
        if openssl is None:
            print("openssl not found: no anchor to compare with")
            return 1
        command = [openssl, "x509", "-noout", "-text", "-in", str(chain)]
        subprocess.run(command, check=True, capture_output=True)
        openssl_ms = _median_ms(
            lambda: subprocess.run(command, check=True, capture_output=True), runs)

    print(f"3-certificate chain + key, median of {runs} runs each (cold first call "
          f"{cold_ms:.1f} ms, certifi store load included)")
    rows = [
        ("inspect() API, in-process", api_ms),
        ("mlssl cert inspect --json, in-process", json_ms),
        ("mlssl cert inspect (text tables), in-process", text_ms),
        ("openssl x509 -noout -text, subprocess", openssl_ms),
    ]
    for label, value in rows:
        ratio = openssl_ms / value
        print(f"  {label:<46} {value:8.3f} ms   openssl/this = {ratio:5.1f}x")
    target = openssl_ms / json_ms >= 3
    print(f"target (in-process --json at least 3x faster than openssl): "
          f"{'met' if target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 101))
