"""The local CA: the local target's stand-in for Microsoft's certificate authority.

Created once per state directory (``local/ca/``) and reused: its certificate, ``ca.pem``, is
the bundle that probes of ``local://`` targets trust, and what a notebook user adds to a
client's trust store to call the local service over HTTPS. Its key is mode 0600 and never
leaves the state directory. Certificates are minted by ``jupyter_mlssl.pki.minting``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_mlssl.store.files import private_dir, write_atomic
from jupyter_mlssl.targets.local.store import file_lock, local_dir

CA_NAME = "jupyter-mlssl local CA"
LEAF_DAYS = 90  # what Azure's Microsoft-provided certificates and Let's Encrypt use


def ca_dir() -> Path:
    return private_dir(local_dir() / "ca")


def bundle_path() -> Path:
    """The local CA's certificate (PEM): the trust anchor for local targets. Creates the CA."""
    ensure_ca()
    return ca_dir() / "ca.pem"


def ensure_ca() -> tuple[Any, Any]:
    """The CA certificate and key, made on first use (under a lock: two first uses race)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    directory = ca_dir()
    cert_file, key_file = directory / "ca.pem", directory / "ca-key.pem"
    if not (cert_file.exists() and key_file.exists()):
        with file_lock(directory / "lock", "the local CA"):
            if not (cert_file.exists() and key_file.exists()):
                from jupyter_mlssl.pki import minting

                new_cert, new_key = minting.make_ca(CA_NAME)
                write_atomic(key_file, minting.key_pem(new_key).reveal(), mode=0o600)
                write_atomic(cert_file, minting.cert_pem(new_cert).encode())
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    key = load_pem_private_key(key_file.read_bytes(), password=None)
    return cert, key


def issue(names: list[str], days: int = LEAF_DAYS) -> tuple[str, bytes]:
    """A new key and a leaf for ``names`` from the local CA: (chain PEM leaf first, key PEM).

    The chain holds the leaf only: the CA is the trust anchor, which servers do not send.
    """
    from jupyter_mlssl.pki import minting

    ca_cert, ca_key = ensure_ca()
    cert, key = minting.issue_leaf(ca_cert, ca_key, names, days=days)
    return minting.cert_pem(cert), minting.key_pem(key).reveal()
