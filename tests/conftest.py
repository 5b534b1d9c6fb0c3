"""Shared fixtures. Every test gets its own MLSSL_HOME, so no state leaks between tests
and nothing touches the user's Jupyter data directory."""

from __future__ import annotations

import pytest

from tests.localtarget import local_target  # noqa: F401 (a deployed local://iris)
from tests.pki import TestPKI


@pytest.fixture(autouse=True)
def mlssl_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("mlssl-home")
    monkeypatch.setenv("MLSSL_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    return TestPKI()


@pytest.fixture
def ip():
    """A real IPython shell with ``%load_ext jupyter_mlssl`` done (tests/ipshell.py)."""
    from tests.ipshell import shell

    with shell() as ip:
        yield ip


@pytest.fixture
def no_ca_env(monkeypatch):
    """Clear the machine's CA settings for tests that depend on which CAs are trusted."""
    for var in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
