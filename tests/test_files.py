"""Atomic writes: final mode from the start, no clobbering unless asked, no temp left behind."""

from __future__ import annotations

import os
import stat

import pytest

from jupyter_mlssl.pki.names import is_ip_address
from jupyter_mlssl.store.files import private_dir, write_atomic


def test_write_atomic_sets_mode_and_replaces(tmp_path):
    path = write_atomic(tmp_path / "sub" / "key.pem", b"one", mode=0o600)
    assert path.read_bytes() == b"one"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    write_atomic(path, b"two", mode=0o600)
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["key.pem"]


def test_write_atomic_refuses_to_clobber_without_overwrite(tmp_path):
    path = tmp_path / "cert.pem"
    path.write_bytes(b"theirs")
    with pytest.raises(FileExistsError):
        write_atomic(path, b"ours", overwrite=False)
    assert path.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["cert.pem"]


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", True), ("::1", True), ("20.1.2.3", True),
    ("api.contoso.com", False), ("[::1]", False), ("", False),
])
def test_is_ip_address(host, expected):
    assert is_ip_address(host) is expected


def test_private_dir_is_0700_whatever_the_umask_and_narrows_an_old_one(tmp_path):
    old = os.umask(0o277)  # takes the owner's write and execute bits too
    try:
        made = private_dir(tmp_path / "a" / "keys")
    finally:
        os.umask(old)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    wide = tmp_path / "wide"
    wide.mkdir(mode=0o755)
    os.chmod(wide, 0o755)
    assert stat.S_IMODE(private_dir(wide).stat().st_mode) == 0o700
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        private_dir(tmp_path / "file")
