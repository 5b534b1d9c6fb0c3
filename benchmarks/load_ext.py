"""How long ``%load_ext jupyter_mlssl`` takes, beside ``%load_ext sql`` (jupysql) as the anchor.

Each sample runs in a fresh interpreter (a warm ``sys.modules`` would hide import cost): it
builds a bare IPython ``InteractiveShell`` first, outside the clock, then times only the
``%load_ext`` line, and lists which heavy modules the extension pulled in. Samples of the two
extensions alternate, so drift on a busy machine hits both alike; the median is reported.

    .venv/bin/python benchmarks/load_ext.py [--samples 7]

Targets (issue 6): at most 0.10 s, at least 8x faster than jupysql, and nothing heavy
(pandas, azure, cryptography, dns, ipywidgets, yaml) imported. Exit status 1 if one is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

TARGET_SECONDS = 0.10
TARGET_RATIO = 8.0
HEAVY = ("pandas", "azure", "cryptography", "dns", "ipywidgets", "yaml", "numpy", "sqlalchemy")

# Run in the child: a bare shell, then the timed %load_ext.
CHILD = r"""
import json, sys, time
from traitlets.config import Config
from IPython.core.interactiveshell import InteractiveShell

config = Config()
config.HistoryAccessor.enabled = False
shell = InteractiveShell.instance(config=config)
before = set(sys.modules)
start = time.perf_counter()
shell.run_line_magic("load_ext", sys.argv[1])
elapsed = time.perf_counter() - start
new = {m.split(".")[0] for m in set(sys.modules) - before}
heavy = sorted(m for m in new if m in json.loads(sys.argv[2]))
print(json.dumps({"seconds": elapsed, "heavy": heavy}))
"""


def sample(extension: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, extension, json.dumps(HEAVY)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=7)
    opts = parser.parse_args(argv)

    times: dict[str, list[float]] = {"jupyter_mlssl": [], "sql": []}
    heavy: dict[str, set[str]] = {"jupyter_mlssl": set(), "sql": set()}
    for _ in range(opts.samples):
        for extension in times:
            result = sample(extension)
            times[extension].append(result["seconds"])
            heavy[extension].update(result["heavy"])

    ours = statistics.median(times["jupyter_mlssl"])
    anchor = statistics.median(times["sql"])
    ratio = anchor / ours
    print(f"samples per extension: {opts.samples} (fresh interpreter each)")
    for extension, values in times.items():
        print(f"%load_ext {extension:<14} median {statistics.median(values) * 1000:8.1f} ms"
              f"   min {min(values) * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms"
              f"   heavy modules: {', '.join(sorted(heavy[extension])) or 'none'}")
    print(f"ratio (jupysql / jupyter_mlssl): {ratio:.1f}x")

    failures = []
    if ours > TARGET_SECONDS:
        failures.append(f"median {ours:.3f} s is over {TARGET_SECONDS} s")
    if ratio < TARGET_RATIO:
        failures.append(f"only {ratio:.1f}x faster than jupysql (target {TARGET_RATIO}x)")
    if heavy["jupyter_mlssl"]:
        failures.append("heavy modules imported: " + ", ".join(sorted(heavy["jupyter_mlssl"])))
    for failure in failures:
        print(f"MISSED: {failure}")
    if not failures:
        print(f"OK: <= {TARGET_SECONDS} s, >= {TARGET_RATIO}x, nothing heavy imported")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
