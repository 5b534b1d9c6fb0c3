"""The one way this suite bounds a property-based test.

``derandomize=True``: the same examples on every run, so CI never fails on a case no one
can reproduce. ``database=None``: nothing is written beside the tests. A deadline per
example: the product promises bounded time.

Deeper, random runs are done by hand: ``MLSSL_FUZZ_SCALE=8 make pytest PYTEST_ARGS="-k
fuzz"`` runs eight times the examples, drawn at random (hypothesis prints the seed and the
failing example); each find becomes a plain regression test.
"""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, settings

#: what these properties legitimately do: build large inputs, filter, use fixtures that
#: are not reset between examples (a tmp dir, a shell, a server)
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large,
              HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much]


def _scale() -> int:
    text = os.environ.get("MLSSL_FUZZ_SCALE", "1").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else 1


def fuzz(examples: int, seconds: float = 2.0) -> settings:
    """Settings for a property of ``examples`` cases, each within ``seconds``."""
    scale = _scale()
    return settings(
        max_examples=examples * scale,
        deadline=dt.timedelta(seconds=seconds),
        derandomize=scale == 1,
        database=None,
        suppress_health_check=SUPPRESSED,
    )
