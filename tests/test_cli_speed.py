"""The CLI prints without pandas: text tables are laid out in pure Python, and the faces'
heavy libraries (pandas, numpy, IPython, ipywidgets, jinja2, azure) stay out of the process.

The import check runs in a fresh interpreter (this test process has pandas loaded already).
benchmarks/cli.py times the same path against the floor.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mlssl.reports import Finding, Report, Severity, Table
from jupyter_mlssl.reports.rendering import tables_to_text

ROOT = Path(__file__).resolve().parent.parent
KEPT_OUT = ["pandas", "numpy", "IPython", "ipywidgets", "jinja2", "azure"]

CHILD = r"""
import contextlib, io, json, sys
from jupyter_mlssl.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    status = main(sys.argv[1:])
loaded = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.stdin.read())))
print(json.dumps({"status": status, "out": out.getvalue(), "loaded": loaded}))
"""


def _run_cli(home: Path, *argv: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *argv], input=json.dumps(KEPT_OUT), text=True,
        capture_output=True, cwd=home, timeout=60, check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(home),
             "MLSSL_HOME": str(home / "mlssl")},
    )
    return json.loads(done.stdout)


@pytest.fixture
def chain(pki, tmp_path):
    root = pki.root()
    inter = pki.intermediate(root)
    leaf = pki.leaf(inter, ["api.example.test"])
    return (leaf.write_chain(tmp_path / "chain.pem", [inter, root]),
            leaf.write_key(tmp_path / "key.pem"))


def test_cert_inspect_text_path_imports_no_pandas_nor_faces(chain, tmp_path):
    cert, key = chain
    result = _run_cli(tmp_path, "cert", "inspect", str(cert), "--key", str(key))
    assert result["status"] == 1  # the test root is not publicly trusted
    assert "role" in result["out"] and "Findings" in result["out"]  # the tables printed
    assert result["loaded"] == [], f"the CLI imported {result['loaded']}"


@pytest.mark.parametrize("argv", [["--version"], ["cert", "inspect", "/nonexistent.pem"],
                                  ["local", "list"], ["history", "local://none"]])
def test_other_cli_paths_import_no_pandas(argv, tmp_path):
    result = _run_cli(tmp_path, *argv)
    assert result["loaded"] == [], f"{argv} imported {result['loaded']}"


def test_text_table_looks_as_pandas_printed_it():
    # The expected text is what the pandas-based renderer printed for the same table.
    table = Table("cap", ["a", "b", "c", "d", "e", "t", "n", "longheader"], [
        [1.5, 1, "x", True, 0.1, dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), -5, 1],
        [None, None, None, False, 2.0, None, 10, 2],
        [12.25, 300, "yy", None, 3.0, None, 7, 3],
    ])
    assert tables_to_text([table]) == (
        "cap\n"
        "a      b   c  d     e    t                         n  longheader\n"
        "   1.5   1 x  True   0.1 2026-01-02 03:04:05+00:00 -5 1\n"
        "              False  2.0                           10 2\n"
        " 12.25 300 yy        3.0                            7 3"
    )
    assert tables_to_text([Table("", ["x", "y"], [])]) == "(empty)"


def test_frames_still_print_the_same_through_the_fallback():
    pd = pytest.importorskip("pandas")

    class FrameOnly(Report):  # a report that only knows to_frame
        title = "Frame only"
        findings = (Finding("x_code", Severity.WARNING, "a message"),)

        def to_frame(self):
            frame = pd.DataFrame({"name": ["a", None], "days_left": [3, None]})
            frame["days_left"] = frame["days_left"].astype("Int64")
            return frame

    plain = Table("Frame only", ["name", "days_left"], [["a", 3], [None, None]])
    findings = Table("Findings", ["code", "severity", "message"],
                     [["x_code", "warning", "a message"]])
    assert repr(FrameOnly()) == tables_to_text([plain, findings])
