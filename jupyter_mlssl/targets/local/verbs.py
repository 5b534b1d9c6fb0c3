"""Run a model as a local scoring service: the ``local://NAME`` target's Python API.

    >>> from jupyter_mlssl import local
    >>> local.deploy("iris", model=fitted_classifier)       # or model="model.pkl"
    >>> import jupyter_mlssl as mlssl
    >>> mlssl.connect("local://iris").status()
    >>> local.services()
    >>> local.stop("iris")

The service is its own process and outlives the kernel (Azure ML-style: ``GET /`` health,
``POST /score`` JSON in and out). ``stop`` ends it and deletes its state and keys; the
local CA and the history stay. The service inherits the environment except variables that
hold passwords (those named with ``--password-env``, and names containing PASSWORD, PASSWD,
PASSPHRASE or SECRET): it lives for days and its environment is readable in ``/proc``.
"""

from __future__ import annotations

import ast
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.reports import Report, Table
from jupyter_mlssl.store import history

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["name", "target", "state", "pid", "scoring_uri", "https_uri", "tls", "days_left"]


@dataclass(repr=False)
class ServicesReport(Report):
    """Local scoring services: one row each."""

    services: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""

    title = "Local scoring services"

    def to_dict(self) -> dict[str, Any]:
        return {"services": list(self.services), "message": self.message}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.services, columns=COLUMNS)

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        if self.message and not self.services:
            import pandas as pd

            return [(self.title, pd.DataFrame({"message": [self.message]}))]
        return [(self.message or self.title, self.to_frame())]

    def text_tables(self) -> list[Table]:  # the same tables, without pandas
        if self.message and not self.services:
            return [Table(self.title, ["message"], [[self.message]])]
        return [Table.of_dicts(self.message or self.title, COLUMNS, self.services)]

    def summary(self) -> str:
        return self.message or f"{len(self.services)} local service(s)"


def _row(target: Any) -> dict[str, Any]:
    status = target.status()
    runtime = target._runtime()
    return {
        "name": target.name,
        "target": target.id,
        "state": "running" if target.running() else "stopped",
        "pid": runtime.get("pid") if target.running() else None,
        "scoring_uri": status.scoring_uri,
        "https_uri": target.scoring_uri(https=True),
        "tls": status.ssl.status,
        "days_left": status.days_left,
    }


def _model_bytes(model: Any, entry_script: str | None) -> bytes:
    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read the model file ({exc.strerror}); give the "
                             "path of a pickled fitted model") from None
    if isinstance(model, (bytes, bytearray)):
        return bytes(model)
    if entry_script is None and not callable(getattr(model, "predict", None)):
        raise InputError(
            f"the model ({type(model).__name__}) has no predict(): pass a fitted model, "
            "or an entry script with init() and run()"
        )
    try:
        return pickle.dumps(model)
    except Exception as exc:
        raise InputError(f"the model cannot be pickled ({exc}); save it yourself and pass "
                         "the file") from None


def _entry_text(entry_script: str | os.PathLike[str] | None) -> str | None:
    if entry_script is None:
        return None
    path = Path(entry_script)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the entry script ({exc}); give a score.py "
                         "with init() and run()") from None
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise InputError(f"{path}:{exc.lineno}: syntax error in the entry script: "
                         f"{exc.msg}") from None
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if "run" not in functions:
        raise InputError(f"{path}: the entry script defines no run(raw_data) function; Azure "
                         "ML-style scripts define init() and run()")
    return text


def deploy(name: str, model: Any, entry_script: str | os.PathLike[str] | None = None,
           ) -> ServicesReport:
    """Start a scoring service for ``model`` (a fitted model object or a pickle file)."""
    from jupyter_mlssl.targets.local import LocalTarget

    entry = _entry_text(entry_script)
    data = _model_bytes(model, entry)
    target = LocalTarget.create(name, data, entry)
    history.record(target=target.id, action="deploy", outcome="applied",
                   after_status=target.status().ssl.status,
                   message=f"scoring service started: {target.scoring_uri()}")
    return ServicesReport(services=[_row(target)],
                          message=f"{target.id} is serving at {target.scoring_uri()}")


def stop(name: str) -> ServicesReport:
    """Stop ``name``'s service and delete it (settings, certificates, keys)."""
    from jupyter_mlssl.targets.local import LocalTarget, nameserver

    target = LocalTarget.from_id(f"local://{name}")
    status = target.status()
    was_running = target.stop()
    history.record(
        target=target.id, action="stop", outcome="applied",
        before_status=status.ssl.status, before_fingerprint=status.certificate_fingerprint,
        before_not_after=status.certificate_not_after, after_status="Stopped",
        message="service stopped and deleted" if was_running else "service deleted",
    )
    if not LocalTarget.all():
        nameserver.stop()  # the last local service is gone: so is the need for local DNS
    return ServicesReport(message=f"{target.id} stopped" if was_running else
                          f"{target.id} was not running; deleted")


def services() -> ServicesReport:
    """Every local service, running or not."""
    from jupyter_mlssl.targets.local import LocalTarget

    return ServicesReport(services=[_row(t) for t in LocalTarget.all()])


def stop_all() -> None:
    """Stop every local service and the DNS server of this state directory (tests, teardown)."""
    from jupyter_mlssl.targets.local import LocalTarget, nameserver

    for target in LocalTarget.all():
        target.stop()
    nameserver.stop()
