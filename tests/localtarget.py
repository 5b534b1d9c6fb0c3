"""A deployed local scoring service for tests: deploy a tiny model, hand over the target, stop.

    from tests.localtarget import local_target          # the pytest fixture (import it)

    def test_something(local_target):
        local_target.id                  # "local://iris"
        local_target.status()            # TargetStatus (TLS Disabled to start with)

    # or, with other names / several services:
    from tests.localtarget import deployed
    with deployed("other") as target:
        ...

Everything runs under the test's own ``MLSSL_HOME`` (tests/conftest.py), so a test sees only
its own services, CA, DNS zone and history. On the way out every service *and* the local DNS
daemon of that state directory are stopped (process groups, SIGTERM then SIGKILL), even when
the test fails, so no process outlives pytest.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pytest


@lru_cache(maxsize=1)
def tiny_model_bytes() -> bytes:
    """A fitted scikit-learn classifier, pickled: two features, two classes, 8 samples."""
    from sklearn.tree import DecisionTreeClassifier

    features = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 2], [2, 3], [3, 2], [3, 3]]
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    return pickle.dumps(DecisionTreeClassifier(random_state=0).fit(features, labels))


def tiny_model_file(directory: Path) -> Path:
    path = Path(directory) / "model.pkl"
    path.write_bytes(tiny_model_bytes())
    return path


@contextmanager
def deployed(name: str = "iris", *, entry_script: str | Path | None = None) -> Iterator:
    """Deploy the tiny model as ``local://name``; stop every local service afterwards."""
    from jupyter_mlssl import local
    from jupyter_mlssl.targets.local import LocalTarget

    try:
        local.deploy(name, model=tiny_model_bytes(), entry_script=entry_script)
        yield LocalTarget.from_id(f"local://{name}")
    finally:
        local.stop_all()


@pytest.fixture
def local_target(mlssl_home) -> Iterator:
    """``local://iris``, running, TLS disabled; stopped (with the DNS daemon) at teardown."""
    with deployed("iris") as target:
        yield target
