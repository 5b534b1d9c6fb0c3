"""The one trust store: the CAs a verdict is judged against, loaded once per process.

Two questions use it. A certificate check asks "will browsers and Azure's clients trust
this?", so by default it uses Mozilla's store through certifi, the same on every machine
(``honour_env=False``). A probe asks "will the user's Python trust this endpoint?", so by
default it honours ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` as Python's ssl module does, and
falls back to certifi (not the OS store: it is what requests and azure-core trust). An
explicit ``--ca-bundle`` wins over both.

Parsing Mozilla's bundle costs milliseconds, more than a loopback handshake, so a store is
built once per (source, mtime, size); an edited file is picked up. A store also remembers
the paths it has verified (see ``probing.verdict.assess``).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mlssl.errors import InputError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder, Store

#: Largest bundle read (certifi's is ~300 KB; a mistaken multi-GB file must not be read).
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: Files OpenSSL reads from a CA directory: subject-hash names ("5ad8a5d6.0"), as made by
#: ``openssl rehash``; other files there (the bundle, READMEs) are not part of it.
_HASHED = re.compile(r"[0-9a-f]{8}\.[0-9]+")


@dataclass(frozen=True)
class TrustStore:
    """A verifier ``Store`` plus the indexes diagnosis needs.

    ``name`` says in a report which store judged; ``path`` is where it came from;
    ``default`` is True for certifi's Mozilla store.
    """

    name: str
    path: str
    store: Store
    subjects: frozenset[x509.Name]
    members: frozenset[x509.Certificate]
    default: bool
    #: (name, presented chain) -> when the path found for it is valid: see ``assess``
    verified: dict[tuple[str, tuple[bytes, ...]], tuple[dt.datetime, dt.datetime]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def count(self) -> int:
        return len(self.members)

    @functools.cached_property
    def builder(self) -> PolicyBuilder:
        # Builders are immutable; ``.time()`` returns a new one, so sharing this is safe.
        from cryptography.x509.verification import PolicyBuilder

        return PolicyBuilder().store(self.store)

    def trusts_issuer_of(self, cert: x509.Certificate) -> bool:
        return cert.issuer in self.subjects


def _stat(path: str, what: str) -> tuple[str, int, int]:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be read ({exc.strerror}); check the path") from None
    return path, info.st_mtime_ns, info.st_size


def _file_source(path: str, what: str) -> tuple[tuple[str, int, int], ...]:
    if os.path.isdir(path):
        raise InputError(f"{what} {path} is a directory: give one PEM file of trusted CAs")
    return (_stat(path, what),)


def _dir_source(directory: str) -> tuple[tuple[str, int, int], ...]:
    """The directory, keyed on its own mtime (size -1 marks it as one): adding, removing
    or relinking a CA (``openssl rehash``, ``update-ca-certificates``) changes it, and a
    cached lookup stays two stats however many CAs it holds."""
    try:
        hashed = any(_HASHED.fullmatch(name) for name in os.listdir(directory))
        mtime = os.stat(directory).st_mtime_ns
    except OSError:
        return ()
    return ((directory, mtime, -1),) if hashed else ()


def _hashed_files(directory: str) -> list[str]:
    try:
        names = sorted(n for n in os.listdir(directory) if _HASHED.fullmatch(n))
    except OSError:
        return []
    paths = (os.path.join(directory, name) for name in names)
    return [path for path in paths if os.path.isfile(path)]


def _sources(ca_bundle: str | os.PathLike[str] | None,
             honour_env: bool) -> tuple[str, str, tuple[tuple[str, int, int], ...]]:
    """``(name, path, files with their mtime and size)`` of the store to use."""
    if ca_bundle is not None:
        path = os.fspath(ca_bundle)
        return f"the trust store {path}", path, _file_source(path, "--ca-bundle")
    if honour_env:
        cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
        files: tuple[tuple[str, int, int], ...] = ()
        used = []
        if cafile and os.path.isfile(cafile):
            files += _file_source(cafile, "SSL_CERT_FILE")
            used.append(cafile)
        if capath and os.path.isdir(capath):
            in_dir = _dir_source(capath)
            files += in_dir
            if in_dir:
                used.append(capath)
        if files:
            where = " + ".join(used)
            return f"the trust store {where} (SSL_CERT_FILE / SSL_CERT_DIR)", where, files
    import certifi

    path = certifi.where()
    return "Mozilla's trust store (certifi)", path, _file_source(path, "the trust store")


def trust_store(ca_bundle: str | os.PathLike[str] | None = None, *,
                honour_env: bool = False) -> TrustStore:
    """The store to verify against: ``ca_bundle`` if given; else, with ``honour_env``,
    ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` when set; else certifi's Mozilla store.

    Cached per process for as long as no file changes. Raises InputError, on one line,
    when the bundle cannot be used.
    """
    name, path, files = _sources(ca_bundle, honour_env)
    what = "--ca-bundle " if ca_bundle is not None else ""
    return _load(name, f"{what}{path}", files, ca_bundle is None and name.startswith("Mozilla"))


@functools.lru_cache(maxsize=16)
def _load(name: str, path: str, files: tuple[tuple[str, int, int], ...],
          default: bool) -> TrustStore:
    from cryptography.x509.verification import Store

    from jupyter_mlssl.pki.bundle import load_pem_bundle

    certs: list[x509.Certificate] = []
    for source, _mtime, size in files:
        for file in _hashed_files(source) if size == -1 else [source]:
            try:
                with open(file, "rb") as handle:
                    certs += load_pem_bundle(handle.read(MAX_BUNDLE_BYTES))
            except OSError as exc:
                raise InputError(
                    f"{path} cannot be read ({exc.strerror}); give a PEM file of trusted CAs"
                ) from None
    certs = list(dict.fromkeys(certs))  # a CA directory holds links to the same file
    if not certs:
        raise InputError(f"{path} holds no PEM certificate: give a PEM file of trusted CAs")
    return TrustStore(
        name=name,
        path=path.removeprefix("--ca-bundle "),
        store=Store(certs),
        subjects=frozenset(c.subject for c in certs),
        members=frozenset(certs),
        default=default,
    )
