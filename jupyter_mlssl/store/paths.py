"""Where jupyter-mlssl keeps its state: local targets, their CA, keys, the history.

Under the Jupyter data directory (``jupyter_core.paths.jupyter_data_dir()``), in ``mlssl/``;
``MLSSL_HOME`` overrides it (tests, Binder, several isolated setups on one machine).
"""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    override = os.environ.get("MLSSL_HOME")
    if override:
        base = Path(override).expanduser()
    else:
        from jupyter_core.paths import jupyter_data_dir

        base = Path(jupyter_data_dir()) / "mlssl"
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base
