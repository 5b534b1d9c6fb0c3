"""The one way this suite bounds a property-based test.

``derandomize=True``: the same examples on every run, so CI never fails on a case no one
can reproduce (random runs, with ``derandomize=False`` and many more examples, are done by
hand and their finds become regression tests). ``database=None``: nothing is written
beside the tests. A deadline per example: the product promises bounded time.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, settings

#: what these properties legitimately do: build large inputs, filter, use fixtures that
#: are not reset between examples (a tmp dir, a shell, a server)
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large,
              HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much]


def fuzz(examples: int, seconds: float = 2.0) -> settings:
    """Settings for a property of ``examples`` cases, each within ``seconds``."""
    return settings(
        max_examples=examples,
        deadline=dt.timedelta(seconds=seconds),
        derandomize=True,
        database=None,
        suppress_health_check=SUPPRESSED,
    )
