"""ACME account keys: one per directory URL and email, kept 0600 under the state directory.

An account key is a secret (whoever holds it can order and revoke on the account): it is
written only by ``store.files.write_atomic`` with mode 0600 and never returned in a report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_mlssl.store.files import private_dir, write_atomic
from jupyter_mlssl.store.paths import state_dir


def accounts_dir() -> Path:
    return private_dir(state_dir() / "acme" / "accounts")


@dataclass
class Account:
    directory: str
    email: str | None
    path: Path
    uri: str | None

    @property
    def key_file(self) -> Path:
        return self.path / "key.pem"

    def save_uri(self, uri: str) -> None:
        self.uri = uri
        write_atomic(self.path / "account.json", json.dumps(
            {"directory": self.directory, "email": self.email, "uri": uri}).encode(), mode=0o600)

    def forget_uri(self) -> None:
        self.uri = None
        (self.path / "account.json").unlink(missing_ok=True)


def account_for(directory: str, email: str | None) -> tuple[Account, Any]:
    """The stored account (or a new key for one) and its josepy JWK."""
    import josepy as jose
    from cryptography.hazmat.primitives import serialization

    from jupyter_mlssl.pki import minting

    digest = hashlib.sha256(f"{directory}\n{email or ''}".encode()).hexdigest()[:20]
    path = private_dir(accounts_dir() / digest)
    account = Account(directory, email, path, None)
    if account.key_file.exists():
        key = serialization.load_pem_private_key(account.key_file.read_bytes(), password=None)
    else:
        key = minting.new_key("ec")
        write_atomic(account.key_file, minting.key_pem(key).reveal(), mode=0o600)
    info_file = path / "account.json"
    if info_file.exists():
        account.uri = json.loads(info_file.read_text()).get("uri")
    return account, jose.JWKEC(key=key)
