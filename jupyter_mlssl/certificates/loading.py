"""Read a certificate (and key) in any format a user is likely to have, without raising.

PEM (one certificate or a bundle, optionally with its key), DER, PKCS#12 / PFX and PKCS#7 /
P7B are recognised from the bytes, not the file name. Everything that can go wrong with
the input becomes a :class:`~jupyter_mlssl.reports.Finding` with a one-line message naming
the file and the fix; :func:`load_or_raise` turns the first of them into an
:class:`~jupyter_mlssl.errors.InputError` for callers that cannot go on without a
certificate.

cryptography does the parsing. The PEM armour is split here by a single forward scan
because cryptography's loaders only say "could not load": to tell a key given as the
certificate from a CSR or a truncated file we need the block labels. (Not a regex: a
``BEGIN(.*?)END`` pattern rescans the rest of the input from every BEGIN line, so 10,000
BEGIN lines without END took 25 to 36 s.)

Input is bounded before any heavy work: 10 MB, :data:`MAX_CERTIFICATES` certificates, and
no NUL byte in the password. Every certificate is then read in full once
(:func:`jupyter_mlssl.pki.facts.problem`): cryptography parses extensions, names
and keys lazily, and a damaged one becomes a ``malformed_certificate`` finding here rather
than an exception in a later check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_mlssl.certificates import codes
from jupyter_mlssl.certificates.formats import (
    Parsed,
    malformed,
    parse_binary,
    parse_pem,
)
from jupyter_mlssl.certificates.keys import load_key_file
from jupyter_mlssl.certificates.reading import (
    MAX_CERTIFICATES,
    MAX_INPUT_BYTES,
    Source,
    error,
    password_bytes,
    read_input,
    too_many,
)
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.pki import facts
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.secrets import Secret

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = ["FORMAT_NAMES", "MAX_CERTIFICATES", "MAX_INPUT_BYTES", "LoadedCertificate", "Source",
           "load", "load_or_raise"]

FORMAT_NAMES = {
    "pem": "PEM",
    "der": "DER",
    "pkcs12": "PKCS#12 (PFX)",
    "pkcs7": "PKCS#7 (P7B)",
}


# -- the result ----------------------------------------------------------------------------
@dataclass(repr=False)
class LoadedCertificate:
    """A certificate chain in leaf-first order, its key (if any), and what went wrong.

    ``certificates[:path_length]`` is the leaf's chain (each certificate followed by its
    issuer); anything after it was in the input but is not linked to the leaf. ``key`` is a
    cryptography private key object, never shown by ``repr``.
    """

    source: str
    format: str = ""
    certificates: list[x509.Certificate] = field(default_factory=list)
    key: PrivateKeyTypes | None = None
    findings: list[Finding] = field(default_factory=list)
    key_source: str | None = None
    path_length: int = 0
    reordered: bool = False
    key_encrypted: bool = False

    def __repr__(self) -> str:
        key = "present" if self.key is not None else "none"
        return (
            f"LoadedCertificate(source={self.source!r}, format={self.format!r}, "
            f"certificates={len(self.certificates)}, key=<{key}>, "
            f"findings={[f.code for f in self.findings]})"
        )

    __str__ = __repr__

    @property
    def leaf(self) -> x509.Certificate | None:
        return self.certificates[0] if self.certificates else None

    @property
    def input_problem(self) -> Finding | None:
        """The first finding that makes the input unusable, if any."""
        return next((f for f in self.findings if f.code in codes.INPUT_CODES), None)

    def chain_pem(self) -> str:
        """The full chain as PEM, leaf first: the form Azure wants. Public data only."""
        from jupyter_mlssl.pki.minting import cert_pem

        return cert_pem(self.certificates) if self.certificates else ""

    def key_pem(self) -> Secret | None:
        """The key as unencrypted PKCS#8 PEM, wrapped so it cannot be printed by accident."""
        if self.key is None:
            return None
        from jupyter_mlssl.pki.minting import key_pem

        return key_pem(self.key)


def load(cert: Source, *, key: Source | None = None, password: bytes | str | None = None,
         name: str | None = None, key_name: str | None = None) -> LoadedCertificate:
    """Load ``cert`` (a path or bytes, any format) and ``key``; never raises for bad input.

    ``name``/``key_name`` label in-memory bytes in messages (for example an upload's file
    name). The chain comes back leaf first, ordered; findings describe the input only
    (unusable input, order, format, the key's presence, damaged certificates);
    :func:`jupyter_mlssl.certificates.inspect` adds the checks.
    """
    source, data, problem = read_input(cert, name or "the certificate data")
    loaded = LoadedCertificate(source=source)
    if problem is not None:
        loaded.findings.append(problem)
        return loaded
    assert data is not None
    try:
        secret = password_bytes(password)
    except UnicodeEncodeError as exc:
        bad = str(password)[exc.start]
        loaded.findings.append(error(
            codes.KEY_PASSWORD_WRONG,
            f"the password for {source} contains U+{ord(bad):04X}, a lone surrogate that no "
            "password can hold: check the value of the variable named by --password-env",
        ))
        return loaded
    if secret is not None and b"\0" in secret:
        # OpenSSL takes passwords as C strings (a NUL makes the PKCS#12 loader panic).
        loaded.findings.append(error(
            codes.KEY_PASSWORD_WRONG,
            f"the password for {source} contains a NUL byte, which no key or PKCS#12 "
            "password can: check the value of the variable named by --password-env",
        ))
        return loaded
    try:
        with facts.parser_warnings_silenced():
            return _load_data(loaded, data, key, secret, key_name)
    except BaseException as exc:  # the library boundary: a parser fault is a finding
        if not facts.catchable(exc):
            raise
        return LoadedCertificate(source=source, findings=[error(
            codes.MALFORMED_CERTIFICATE,
            f"{source} cannot be parsed ({facts.detail(exc)}): get a fresh copy of the "
            "certificate from your CA",
        )])


def _load_data(loaded: LoadedCertificate, data: bytes, key: Source | None,
               secret: bytes | None, key_name: str | None) -> LoadedCertificate:
    from jupyter_mlssl.certificates.chain import order_chain

    source = loaded.source
    if b"-----BEGIN" in data:
        parsed = parse_pem(data, source, secret)
    elif not data.strip():
        parsed = Parsed(problem=error(
            codes.NO_CERTIFICATE,
            f"{source} is empty: give the certificate file (PEM, DER, PFX or P7B)",
        ))
    else:
        parsed = parse_binary(data, source, secret)
    loaded.format = parsed.format
    if parsed.problem is None and len(parsed.certificates) > MAX_CERTIFICATES:
        parsed.problem = too_many(source, "certificates")
    if parsed.problem is None:
        parsed.problem = malformed(parsed.certificates, source)
    if parsed.problem is not None:
        loaded.findings.append(parsed.problem)
        return loaded

    chosen = parsed.key
    if key is not None:
        key_source, key_data, problem = read_input(key, key_name or "the key data")
        loaded.key_source = key_source
        if problem is not None:
            loaded.findings.append(problem)
            return loaded
        assert key_data is not None
        chosen = load_key_file(key_data, key_source, secret)
    elif chosen.key is not None or chosen.problem is not None:
        loaded.key_source = source
    if chosen.problem is not None:
        loaded.findings.append(chosen.problem)
        return loaded
    loaded.key, loaded.key_encrypted = chosen.key, chosen.encrypted

    order = order_chain(parsed.certificates, loaded.key)
    loaded.certificates = order.certificates
    loaded.path_length = order.path_length
    loaded.reordered = order.changed and parsed.ordered
    loaded.findings.extend(_form_findings(loaded, parsed, order.unlinked, key is not None))
    return loaded


def _form_findings(loaded: LoadedCertificate, parsed: Parsed,
                   unlinked: list[x509.Certificate], separate_key: bool) -> list[Finding]:
    """chain_order, no_key and converted: is this the form Azure wants?"""
    from jupyter_mlssl.pki.facts import describe

    name = loaded.source
    out: list[Finding] = []
    if loaded.reordered:
        out.append(error(
            codes.CHAIN_ORDER,
            f"{name} lists the chain out of order (the leaf must come first, then each "
            f"issuer): run 'mlssl cert convert {name} --out-cert fullchain.pem' to reorder it",
        ))
    if unlinked:
        names = "; ".join(describe(c) for c in unlinked[:3])
        out.append(error(
            codes.CHAIN_ORDER,
            f"{name} holds {len(unlinked)} certificate(s) not linked to the leaf's chain "
            f"({names}): remove them, or add the intermediate that links them",
        ))
    if loaded.key is None:
        if parsed.format == "pkcs12":
            out.append(Finding(
                codes.NO_KEY, Severity.WARNING,
                f"{name} is a PKCS#12 file without a private key: export it again with the "
                "private key, or give the key with --key",
            ))
        else:
            out.append(Finding(
                codes.NO_KEY, Severity.INFO,
                f"no private key was given with {name}: add --key KEY to check that the key "
                "matches before it is uploaded",
            ))
    why = []
    if parsed.format != "pem":
        why.append(f"is {FORMAT_NAMES.get(parsed.format, parsed.format)}")
    if loaded.reordered:
        why.append("is out of order")
    if loaded.key_encrypted:
        why.append("has an encrypted key")
    if why:
        command = f"mlssl cert convert {name}"
        if separate_key:
            command += f" --key {loaded.key_source}"
        command += " --out-cert fullchain.pem"
        if loaded.key is not None:
            command += " --out-key key.pem"
        if loaded.key_encrypted:
            command += " --password-env VAR"
        out.append(Finding(
            codes.CONVERTED, Severity.INFO,
            f"{name} {' and '.join(why)}; Azure wants a PEM full chain, leaf first, and an "
            f"unencrypted PEM key: run '{command}'",
        ))
    return out


def load_or_raise(cert: Source, *, key: Source | None = None,
                  password: bytes | str | None = None, name: str | None = None,
                  key_name: str | None = None) -> LoadedCertificate:
    """:func:`load`, raising :class:`InputError` (exit 2) when the input is unusable."""
    loaded = load(cert, key=key, password=password, name=name, key_name=key_name)
    problem = loaded.input_problem
    if problem is not None:
        raise InputError(problem.message, code=problem.code)
    return loaded
