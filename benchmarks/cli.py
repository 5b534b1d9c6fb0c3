"""How long ``mlssl cert inspect`` takes as a whole process, next to the floor.

A shell user pays for the interpreter, the imports and the work, so every sample here is a
fresh process. One run mints a 3-certificate chain (leaf, intermediate, root; EC P-256) and
the leaf's key into a temp directory, then times, alternating so that load from other
processes hits all of them alike:

* ``mlssl cert inspect CHAIN --key KEY`` (text tables, the default output);
* ``mlssl cert inspect CHAIN --key KEY --json``;
* ``mlssl --version``: the interpreter plus the CLI's start-up, no work;
* the floor: the same python loading the same chain with cryptography
  (``x509.load_pem_x509_certificates``), which any tool doing this job must pay.

The CLI runs as ``python -m jupyter_mlssl`` with the package this script imports first on
the path (the venv's ``mlssl`` entry point may point at another checkout). Prints each median
and the ratio to the floor. Target (issue 11): ``cert inspect`` at most 3x the floor; exit
status 1 when missed.

    .venv/bin/python benchmarks/cli.py [--runs 15]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's directory comes first on sys.path, and benchmarks/inspect.py
# would shadow the standard library's ``inspect`` (which dataclasses imports): drop it.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0


def _medians_ms(commands: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, env=env, check=False)
            samples[name].append((time.perf_counter() - start) * 1000)
            if done.returncode not in (0, 1):  # 1: the demo root is not publicly trusted
                raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): "
                                 f"{done.stderr.decode(errors='replace')[-300:]}")
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=15)
    runs = options.parse_args(argv).runs

    import jupyter_mlssl
    from jupyter_mlssl.pki import minting

    package_root = str(Path(jupyter_mlssl.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="mlssl-bench-") as tmp:
        work = Path(tmp)
        root, root_key = minting.make_ca("Bench Root")
        inter, inter_key = minting.make_intermediate(root, root_key, "Bench Issuing")
        leaf, key = minting.issue_leaf(inter, inter_key, ["api.bench.test"])
        chain, key_file = work / "chain.pem", work / "key.pem"
        minting.write_public(chain, minting.cert_pem([leaf, inter, root]))
        minting.write_private(key_file, minting.key_pem(key))

        inspect = [python, "-m", "jupyter_mlssl", "cert", "inspect", str(chain),
                   "--key", str(key_file)]
        floor = [python, "-c", "import sys; from cryptography import x509; "
                 "x509.load_pem_x509_certificates(open(sys.argv[1], 'rb').read())", str(chain)]
        commands = {
            "mlssl cert inspect (text)": inspect,
            "mlssl cert inspect --json": [*inspect, "--json"],
            "mlssl --version": [python, "-m", "jupyter_mlssl", "--version"],
            "floor: python + cryptography loads the chain": floor,
        }
        for command in commands.values():  # warm the page cache and .pyc files
            subprocess.run(command, capture_output=True, env=env, check=False)
        rows = _medians_ms(commands, runs, env)

    floor_ms = rows["floor: python + cryptography loads the chain"]
    print(f"whole processes, 3-certificate chain + key, median of {runs} runs each")
    for label, value in rows.items():
        print(f"  {label:<46} {value:8.1f} ms   {value / floor_ms:4.1f}x floor")
    ratio = rows["mlssl cert inspect (text)"] / floor_ms
    met = ratio <= TARGET_RATIO
    print(f"target (cert inspect at most {TARGET_RATIO:.0f}x the floor): {ratio:.1f}x: "
          f"{'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
