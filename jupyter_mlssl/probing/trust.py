"""The trust store a probe verifies against, loaded once per process.

Parsing Mozilla's bundle costs milliseconds, more than a loopback handshake, so a
``Store`` is built once per (path, mtime, size); an edited file is picked up. The store also
remembers the paths it has verified (see ``verdict.assess``).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import threading
import warnings
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from jupyter_mlssl.errors import InputError


def default_ca_bundle(ca_bundle: str | os.PathLike[str] | None = None) -> str:
    """The PEM bundle to trust: an explicit one wins, else what the user's Python would use.

    Python honours ``SSL_CERT_FILE``; without it we use Mozilla's store through certifi
    (not the OS store: it is what requests and azure-core trust, and it is the same on every
    machine, so a verdict does not depend on where it ran).
    """
    if ca_bundle is not None:
        return os.fspath(ca_bundle)
    env = os.environ.get("SSL_CERT_FILE")
    if env and os.path.isfile(env):
        return env
    import certifi

    return certifi.where()


@dataclass(frozen=True)
class TrustStore:
    """A loaded bundle: the verifier's ``Store`` and the subjects in it (for diagnosis)."""

    path: str
    store: Store
    subjects: frozenset[bytes]  # DER of each anchor's subject name
    count: int
    #: (name, presented chain) -> when the path found for it is valid: see ``assess``
    verified: dict[tuple[str, tuple[bytes, ...]], tuple[dt.datetime, dt.datetime]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @functools.cached_property
    def builder(self) -> PolicyBuilder:
        # Builders are immutable; ``.time()`` returns a new one, so sharing this is safe.
        return PolicyBuilder().store(self.store)

    def trusts_issuer_of(self, cert: x509.Certificate) -> bool:
        return cert.issuer.public_bytes() in self.subjects


_stores: dict[tuple[str, int, int], TrustStore] = {}
_stores_lock = threading.Lock()


def load_trust_store(ca_bundle: str | os.PathLike[str] | None = None) -> TrustStore:
    """The trust store for ``ca_bundle`` (see :func:`default_ca_bundle`), cached per process.

    Parsing Mozilla's bundle costs milliseconds, more than a loopback handshake, so a
    ``Store`` is built once per (path, mtime, size): an edited file is picked up.
    """
    path = default_ca_bundle(ca_bundle)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(
            f"--ca-bundle {path}: cannot read it ({exc.strerror}); give a PEM file of trusted "
            "CA certificates"
        ) from None
    key = (path, st.st_mtime_ns, st.st_size)
    with _stores_lock:
        cached = _stores.get(key)
    if cached is not None:
        return cached
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(
            f"--ca-bundle {path}: cannot read it ({exc.strerror}); give a PEM file of trusted "
            "CA certificates"
        ) from None
    certs = _load_pem_bundle(data)
    if not certs:
        raise InputError(
            f"--ca-bundle {path}: no PEM certificate in it; give a PEM file of trusted CA "
            "certificates"
        )
    trust = TrustStore(
        path=path,
        store=Store(certs),
        subjects=frozenset(c.subject.public_bytes() for c in certs),
        count=len(certs),
    )
    with _stores_lock:
        _stores[key] = trust
    return trust


_PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL
)


def _load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    # Real bundles carry certificates that cryptography warns about today (negative
    # serials) and may refuse tomorrow (docs/tls-notes.md): load the whole bundle in one go
    # when we can, else block by block, skipping the ones it cannot parse.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:
            pass
        certs = []
        for block in _PEM_BLOCK.findall(data):
            try:
                certs.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
        return certs
