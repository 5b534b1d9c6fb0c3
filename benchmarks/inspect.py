"""How fast is ``mlssl cert inspect`` in-process, next to ``openssl x509 -noout -text``?

One run mints a 3-certificate chain (leaf, intermediate, root; EC P-256) and the leaf's key
in a temp directory, then times on the same files:

* ``inspect()``: the API call (load, order, key match, trust against Mozilla's store
  through certifi, every check), warm: the store is parsed once per process. The demo
  root is not in that store (untrusted_root); a second line passes it as ``--ca-bundle``
  so the verifier builds a trusted path.
* ``mlssl cert inspect --json`` in-process: argparse, the handler, ``to_dict`` + JSON.
* ``mlssl cert inspect`` in-process with the text tables (plain-Python rendering, no pandas).
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


def _medians_ms(variants: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median wall time of each variant, sampled round-robin so that all of them see the
    same machine load (other processes on 2 cores skew back-to-back blocks)."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, func in variants.items():
            start = time.perf_counter()
            func()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def main(runs: int = 101) -> int:
    from jupyter_mlssl.certificates import inspect
    from jupyter_mlssl.cli import main as cli_main
    from jupyter_mlssl.pki import minting

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
        cli([])()  # ...and the text rendering
        root_file = work / "root.pem"
        minting.write_public(root_file, minting.cert_pem(root))
        if openssl is None:
            print("openssl not found: no anchor to compare with")
            return 1
        command = [openssl, "x509", "-noout", "-text", "-in", str(chain)]
        subprocess.run(command, check=True, capture_output=True)
        rows = _medians_ms({
            "inspect() API, in-process (Mozilla store)": lambda: inspect(chain, key=key_file),
            "inspect() API, in-process (--ca-bundle root)":
                lambda: inspect(chain, key=key_file, ca_bundle=root_file),
            "mlssl cert inspect --json, in-process": cli(["--json"]),
            "mlssl cert inspect (text tables), in-process": cli([]),
            "openssl x509 -noout -text, subprocess":
                lambda: subprocess.run(command, check=True, capture_output=True),
        }, runs)

    print(f"3-certificate chain + key, median of {runs} runs each (cold first call "
          f"{cold_ms:.1f} ms, certifi store load included)")
    openssl_ms = rows["openssl x509 -noout -text, subprocess"]
    for label, value in rows.items():
        print(f"  {label:<46} {value:8.3f} ms   openssl/this = {openssl_ms / value:5.1f}x")
    api = openssl_ms / rows["inspect() API, in-process (Mozilla store)"]
    cli_ratio = openssl_ms / rows["mlssl cert inspect --json, in-process"]
    print(f"target (in-process at least 3x faster than openssl): API {api:.1f}x, "
          f"CLI --json {cli_ratio:.1f}x: {'met' if min(api, cli_ratio) >= 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 101))
