"""Directories holding keys (the local state, CA, DNS, service and TLS directories) are
created 0700 from the start: every ``mkdir`` under the state directory asks for 0700 (seen
through an audit hook), and with a umask of 0 none ends up open to group or others."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from jupyter_mlssl.change.settings import settings_from_options
from jupyter_mlssl.change.workflow import change
from tests.localtarget import deployed

_SEEN: list[tuple[str, int]] = []
_WATCHING: list[Path] = []


def _hook(event: str, args: tuple) -> None:
    # Audit hooks cannot be removed: this one only records while a test has set a root.
    if _WATCHING and event == "os.mkdir":
        path, mode = os.fsdecode(args[0]), args[1]
        # the hook runs before the call: a directory already there is not being created
        if path.startswith(str(_WATCHING[0])) and not os.path.lexists(path):
            _SEEN.append((path, mode))


if not getattr(sys, "_mlssl_dir_mode_hook", False):
    sys.addaudithook(_hook)
    sys._mlssl_dir_mode_hook = True  # type: ignore[attr-defined]


def test_key_directories_are_created_0700_even_with_umask_0(mlssl_home, pki, tmp_path):
    old_umask = os.umask(0)
    _SEEN.clear()
    _WATCHING[:] = [Path(mlssl_home)]
    try:
        with deployed("iris") as target:
            root = pki.root()
            leaf = pki.leaf(root, ["api.example.test"])
            desired = settings_from_options(
                cert=leaf.write_chain(tmp_path / "chain.pem"),
                key=leaf.write_key(tmp_path / "key.pem"), cname="api.example.test")
            custom = change(target, desired, verify=False,
                            ca_bundle=str(root.write_cert(tmp_path / "root.pem")))
            assert custom.outcome == "applied", custom.summary()
            auto = change(target, settings_from_options(leaf_domain_label="iris"),
                          verify=False)  # the local CA and the DNS zone
            assert auto.outcome == "applied", auto.summary()
            made = {Path(p).relative_to(mlssl_home).as_posix(): mode for p, mode in _SEEN}
            modes = {p.relative_to(mlssl_home).as_posix(): stat.S_IMODE(p.stat().st_mode)
                     for p in Path(mlssl_home, "local").rglob("*") if p.is_dir()}
    finally:
        _WATCHING.clear()
        os.umask(old_umask)
    for expected in ("local", "local/services", "local/services/iris",
                     "local/services/iris/tls", "local/ca", "local/dns"):
        assert made.get(expected) == 0o700, (expected, made)
    assert all(mode == 0o700 for mode in made.values()), made
    assert modes and all(mode == 0o700 for mode in modes.values()), modes
