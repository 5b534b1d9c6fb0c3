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
(:func:`jupyter_mlssl.certificates.facts.problem`): cryptography parses extensions, names
and keys lazily, and a damaged one becomes a ``malformed_certificate`` finding here rather
than an exception in a later check.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union

from jupyter_mlssl.certificates import codes, facts
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.secrets import Secret

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

#: Certificates, keys and chains are kilobytes; anything this large is the wrong file.
MAX_INPUT_BYTES = 10 * 1024 * 1024
#: A server's chain is 2 to 5 certificates, and the CA bundles people mistake for one hold
#: about 150 (Mozilla's, Debian's). Past 1,000 the file is not a certificate chain, and
#: the bound keeps the whole inspection well under a second (ordering indexes certificates
#: by subject: 1,000 in one linked chain take about 0.1 s to inspect).
MAX_CERTIFICATES = 1000

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

_LABEL = re.compile(rb"[A-Z0-9 #]+")
#: the longest label looked for after "-----BEGIN " (real ones are at most ~30 characters)
_MAX_LABEL = 64
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_P7_LABELS = {b"PKCS7", b"CERTIFICATE CHAIN"}
_CSR_LABELS = {b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"}

FORMAT_NAMES = {
    "pem": "PEM",
    "der": "DER",
    "pkcs12": "PKCS#12 (PFX)",
    "pkcs7": "PKCS#7 (P7B)",
}


def error(code: str, message: str) -> Finding:
    return Finding(code, Severity.ERROR, message)


# -- reading ---------------------------------------------------------------------------------
def read_input(source: Source, default_name: str) -> tuple[str, bytes | None, Finding | None]:
    """``(name, data, problem)`` for a path or in-memory bytes, refusing oversized input.

    The size is checked with ``stat`` before reading, and the read is bounded too, so a
    10 GB file (or ``/dev/zero``) is refused without being read.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > MAX_INPUT_BYTES:
            return default_name, None, error(
                codes.UNREADABLE,
                f"{default_name} is {len(data) / 1e6:.0f} MB, too large for a certificate or "
                "key: give the certificate file itself",
            )
        return default_name, data, None
    name = os.fspath(source)
    path = Path(name)
    try:
        info = path.stat()
    except FileNotFoundError:
        return name, None, error(codes.UNREADABLE, f"{name}: no such file; check the path")
    except OSError as exc:
        return name, None, error(
            codes.UNREADABLE, f"{name} cannot be read ({exc.strerror}); check the path"
        )
    except ValueError:  # e.g. an embedded NUL byte: not a usable path at all
        return name, None, error(codes.UNREADABLE, f"{name!r} is not a valid path")
    if stat.S_ISDIR(info.st_mode):
        return name, None, error(
            codes.UNREADABLE, f"{name} is a directory: give the certificate file inside it"
        )
    if info.st_size > MAX_INPUT_BYTES:
        return name, None, _too_large(name, info.st_size)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        return name, None, error(
            codes.UNREADABLE, f"{name} cannot be read ({exc.strerror}); check its permissions"
        )
    if len(data) > MAX_INPUT_BYTES:  # a pipe or device whose stat size said nothing
        return name, None, _too_large(name, None)
    return name, data, None


def _too_large(name: str, size: int | None) -> Finding:
    shown = f" ({size / 1e6:.0f} MB)" if size is not None else ""
    return error(
        codes.UNREADABLE,
        f"{name} is over 10 MB{shown}, too large for a certificate or key: give the "
        "certificate file itself",
    )


def _too_many(name: str, what: str) -> Finding:
    return error(
        codes.UNREADABLE,
        f"{name} holds more than {MAX_CERTIFICATES:,} {what}, too many for a certificate "
        "file: give the server's certificate chain, not a whole store",
    )


def _malformed(certs: list[x509.Certificate], name: str) -> Finding | None:
    """malformed_certificate for the first certificate whose lazy parts do not parse.

    It is named by its place in the file, not its subject: the subject may be the broken
    part, and a damaged name is no help to the reader.
    """
    for index, cert in enumerate(certs):
        fault = facts.problem(cert)
        if fault is None:
            continue
        place = f"certificate {index + 1} of {len(certs)}" if len(certs) > 1 else "the certificate"
        return error(
            codes.MALFORMED_CERTIFICATE,
            f"{place} in {name} is malformed: {fault}: get a fresh copy from your CA, or "
            "reissue it",
        )
    return None


def _password_bytes(password: bytes | str | None) -> bytes | None:
    if password is None:
        return None
    return password.encode("utf-8") if isinstance(password, str) else bytes(password)


# -- keys --------------------------------------------------------------------------------------
@dataclass
class _Key:
    key: PrivateKeyTypes | None = None
    encrypted: bool = False
    problem: Finding | None = None


def _password_fix() -> str:
    return "put the password in an environment variable and pass --password-env VAR"


def _decode_key(data: bytes, password: bytes | None, name: str, *, der: bool) -> _Key:
    """Load one private key, telling missing, wrong and unneeded passwords apart.

    cryptography raises TypeError for "encrypted, no password" and "password given, not
    encrypted", and ValueError for a wrong password or bad data; probing with ``None``
    separates the last two without matching message texts.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    loader = (
        serialization.load_der_private_key if der else serialization.load_pem_private_key
    )
    try:
        return _Key(loader(data, password), encrypted=password is not None)
    except TypeError:
        if password is None:
            return _Key(problem=error(
                codes.KEY_PASSWORD_REQUIRED,
                f"the private key in {name} is encrypted and no password was given: "
                + _password_fix(),
            ))
        # A password was given for a key that is not encrypted: harmless, load it without.
        try:
            return _Key(loader(data, None))
        except (TypeError, ValueError, UnsupportedAlgorithm):
            pass
    except (ValueError, UnsupportedAlgorithm):
        if password is not None:
            try:
                loader(data, None)
            except TypeError:  # it is encrypted, so the password was wrong
                return _Key(problem=error(
                    codes.KEY_PASSWORD_WRONG,
                    f"the password does not decrypt the private key in {name}: check the "
                    "value of the variable named by --password-env",
                ))
            except (ValueError, UnsupportedAlgorithm):
                pass
    return _Key(problem=error(
        codes.UNREADABLE,
        f"the private key in {name} is corrupt or of an unsupported type: export it again "
        "as PEM (PKCS#8)",
    ))


def _load_key_file(data: bytes, name: str, password: bytes | None) -> _Key:
    """A key given on its own (``--key``): PEM or DER, never a certificate."""
    if b"-----BEGIN" in data:
        blocks, truncated = _pem_blocks(data)
        if truncated:
            return _Key(problem=error(
                codes.UNREADABLE,
                f"{name} is truncated (a BEGIN line without its END line): copy the key "
                "file again",
            ))
        for label, block in blocks:
            if label.endswith(b"PRIVATE KEY"):
                return _decode_key(block, password, name, der=False)
        labels = {label for label, _ in blocks}
        if labels & (_CERT_LABELS | _P7_LABELS):
            what = "a certificate, not a private key"
        elif labels & _CSR_LABELS:
            what = "a certificate signing request, not a private key"
        else:
            what = "no private key"
        return _Key(problem=error(
            codes.UNREADABLE, f"{name} holds {what}: give the private key file with --key"
        ))
    if not data.strip():
        return _Key(problem=error(
            codes.UNREADABLE, f"{name} is empty: give the private key file with --key"
        ))
    key = _decode_key(data, password, name, der=True)
    if key.problem is None or key.problem.code != codes.UNREADABLE:
        return key
    if _der_certificate(data) is not None:
        return _Key(problem=error(
            codes.UNREADABLE,
            f"{name} holds a certificate, not a private key: give the private key file "
            "with --key",
        ))
    return _Key(problem=error(
        codes.UNREADABLE,
        f"{name} is not a private key (neither PEM nor DER): give the private key file "
        "with --key",
    ))


# -- certificates --------------------------------------------------------------------------
def _pem_blocks(data: bytes, limit: int | None = None) -> tuple[list[tuple[bytes, bytes]], bool]:
    """``([(label, whole block)], truncated)``; truncated when a BEGIN has no END.

    ``limit``: stop once more than this many blocks are found (the caller refuses the file).

    One forward scan, linear in the input: after a BEGIN line the next armour line must be
    its END line (a BEGIN before it, a different END or none at all is a truncated block,
    and the scan stops there: the file is refused anyway). Text between blocks is skipped,
    as OpenSSL does.
    """
    blocks: list[tuple[bytes, bytes]] = []
    begin_mark, end_mark = b"-----BEGIN ", b"-----END "
    pos = 0
    while True:
        begin = data.find(begin_mark, pos)
        if begin < 0:
            return blocks, False
        label_at = begin + len(begin_mark)
        close = data.find(b"-----", label_at, label_at + _MAX_LABEL + 5)
        label = data[label_at:close] if close >= 0 else b""
        if not _LABEL.fullmatch(label):
            pos = label_at  # not an armour line (e.g. "-----BEGIN x-----" in prose)
            continue
        body = close + 5
        end = data.find(end_mark, body)
        stray = data.find(begin_mark, body, end if end >= 0 else len(data))
        footer = end_mark + label + b"-----"
        if end < 0 or stray >= 0 or not data.startswith(footer, end):
            return blocks, True
        pos = end + len(footer)
        blocks.append((label, data[begin:pos]))
        if limit is not None and len(blocks) > limit:
            return blocks, False


def _der_certificate(data: bytes) -> x509.Certificate | None:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(data)
    except BaseException as exc:  # also InvalidVersion, which is not a ValueError
        if not facts.catchable(exc):
            raise
        return None


def _unknown_version(name: str, exc: Exception) -> Finding:
    """cryptography refuses a certificate of a version other than 1 or 3 while loading it."""
    version = getattr(exc, "parsed_version", "?")
    return error(
        codes.MALFORMED_CERTIFICATE,
        f"a certificate in {name} is malformed: its version field says {version}, which is "
        "no X.509 version: get a fresh copy from your CA, or reissue it",
    )


@dataclass
class _Parsed:
    format: str = ""
    certificates: list[x509.Certificate] = field(default_factory=list)
    key: _Key = field(default_factory=_Key)
    problem: Finding | None = None
    #: whether the input's order means anything (PKCS#7 is a SET; PKCS#12 names the leaf)
    ordered: bool = True


def _parse_pem(data: bytes, name: str, password: bytes | None) -> _Parsed:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    blocks, truncated = _pem_blocks(data, limit=MAX_CERTIFICATES)
    if len(blocks) > MAX_CERTIFICATES:
        return _Parsed("pem", problem=_too_many(name, "PEM blocks"))
    if truncated:
        return _Parsed("pem", problem=error(
            codes.UNREADABLE,
            f"{name} is truncated (a BEGIN line without its END line): copy or download the "
            "file again",
        ))
    parsed = _Parsed("pem")
    try:
        for label, block in blocks:
            if label in _CERT_LABELS:
                if label != b"CERTIFICATE":  # OpenSSL's aliases; cryptography wants this one
                    block = block.replace(label, b"CERTIFICATE")
                parsed.certificates.append(x509.load_pem_x509_certificate(block))
            elif label in _P7_LABELS:
                if label != b"PKCS7":
                    block = block.replace(label, b"PKCS7")
                parsed.certificates.extend(pkcs7.load_pem_pkcs7_certificates(block))
                parsed.format, parsed.ordered = "pkcs7", False
            elif label.endswith(b"PRIVATE KEY") and parsed.key.key is None:
                parsed.key = _decode_key(block, password, name, der=False)
    except x509.InvalidVersion as exc:
        return _Parsed("pem", problem=_unknown_version(name, exc))
    except BaseException as exc:  # ValueError, UnsupportedAlgorithm...
        if not facts.catchable(exc):
            raise
        return _Parsed("pem", problem=error(
            codes.UNREADABLE,
            f"{name} holds a corrupt PEM block (bad base64 or a damaged certificate): copy "
            "or download the file again",
        ))
    if not parsed.certificates:
        labels = {label for label, _ in blocks}
        if any(label.endswith(b"PRIVATE KEY") for label in labels):
            fix = "holds a private key but no certificate: pass the key with --key and the "
            fix += "certificate file as CERT"
        elif labels & _CSR_LABELS:
            fix = "holds a certificate signing request, not a certificate: send it to your "
            fix += "CA and inspect the certificate it returns"
        else:
            fix = "holds no certificate: give the certificate file (PEM, DER, PFX or P7B)"
        parsed.problem = error(codes.NO_CERTIFICATE, f"{name} {fix}")
    return parsed


def _parse_binary(data: bytes, name: str, password: bytes | None) -> _Parsed:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    try:
        return _Parsed("der", [x509.load_der_x509_certificate(data)])
    except x509.InvalidVersion as exc:  # framed as a certificate: say what is wrong in it
        return _Parsed("der", problem=_unknown_version(name, exc))
    except BaseException as exc:
        if not facts.catchable(exc):
            raise
    try:
        return _Parsed("pkcs7", list(pkcs7.load_der_pkcs7_certificates(data)), ordered=False)
    except ValueError:
        pass
    except BaseException as exc:  # UnsupportedAlgorithm: PKCS#7 that is not a certs-only bag
        if not facts.catchable(exc):
            raise
        return _Parsed("pkcs7", problem=error(
            codes.UNREADABLE,
            f"{name} is a PKCS#7 file that cannot be read ({facts.detail(exc)}): export the "
            "certificates again as a .p7b or PEM chain",
        ))
    p12 = _parse_pkcs12(data, name, password)
    if p12 is not None:
        return p12
    # Perhaps a DER private key given as the certificate: say so rather than "garbage".
    key = _decode_key(data, None, name, der=True)
    if key.problem is None or key.problem.code == codes.KEY_PASSWORD_REQUIRED:
        return _Parsed("der", problem=error(
            codes.NO_CERTIFICATE,
            f"{name} holds a private key but no certificate: pass the key with --key and the "
            "certificate file as CERT",
        ))
    return _Parsed(problem=error(
        codes.NO_CERTIFICATE,
        f"{name} holds no certificate in any known format (PEM, DER, PKCS#12, PKCS#7): give "
        "the certificate file",
    ))


def _parse_pkcs12(data: bytes, name: str, password: bytes | None) -> _Parsed | None:
    """PKCS#12, or None when the bytes are not PKCS#12 at all.

    cryptography says "Invalid password or PKCS12 data" for a missing password, a wrong one
    and a password given to an unprotected file alike, but "Could not deserialize" for
    non-PKCS#12 bytes; the retries below separate the first three.
    """
    from cryptography.hazmat.primitives.serialization import pkcs12

    attempts: list[bytes | None] = [password] if password is not None else []
    attempts += [None, b""]  # unprotected, then Windows' "empty password" export
    for attempt in attempts:
        try:
            bundle = pkcs12.load_pkcs12(data, attempt)
        except ValueError as exc:
            if "deserialize" in str(exc).lower():
                return None
            continue
        except BaseException as exc:  # UnsupportedAlgorithm, or a panic in the native code
            if not facts.catchable(exc):
                raise
            return _Parsed("pkcs12", problem=error(
                codes.UNREADABLE,
                f"{name} is a PKCS#12 file that cannot be read ({facts.detail(exc)}): export "
                "it again (openssl pkcs12 -export, AES-256)",
            ))
        certs = [bundle.cert.certificate] if bundle.cert is not None else []
        certs += [c.certificate for c in bundle.additional_certs]
        parsed = _Parsed("pkcs12", certs, _Key(bundle.key, encrypted=attempt is not None),
                         ordered=False)
        if not certs:
            parsed.problem = error(
                codes.NO_CERTIFICATE,
                f"{name} is a PKCS#12 file with no certificate in it: export it again with "
                "the certificate chain",
            )
        return parsed
    if password is None:
        return _Parsed("pkcs12", problem=error(
            codes.KEY_PASSWORD_REQUIRED,
            f"{name} is a password-protected PKCS#12 file and no password was given: "
            + _password_fix(),
        ))
    return _Parsed("pkcs12", problem=error(
        codes.KEY_PASSWORD_WRONG,
        f"the password does not open the PKCS#12 file {name}: check the value of the "
        "variable named by --password-env",
    ))


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
        from jupyter_mlssl.minting import cert_pem

        return cert_pem(self.certificates) if self.certificates else ""

    def key_pem(self) -> Secret | None:
        """The key as unencrypted PKCS#8 PEM, wrapped so it cannot be printed by accident."""
        if self.key is None:
            return None
        from jupyter_mlssl.minting import key_pem

        return key_pem(self.key)


def load(cert: Source, *, key: Source | None = None, password: bytes | str | None = None,
         name: str | None = None, key_name: str | None = None) -> LoadedCertificate:
    """Load ``cert`` (a path or bytes, any format) and ``key``; never raises for bad input.

    ``name``/``key_name`` label in-memory bytes in messages (for example an upload's file
    name). The chain comes back leaf first, ordered; findings describe the input only
    (unusable input, order, format, the key's presence, damaged certificates);
    :func:`jupyter_mlssl.certificates.inspect` adds the checks.
    """
    secret = _password_bytes(password)
    source, data, problem = read_input(cert, name or "the certificate data")
    loaded = LoadedCertificate(source=source)
    if problem is not None:
        loaded.findings.append(problem)
        return loaded
    assert data is not None
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
        parsed = _parse_pem(data, source, secret)
    elif not data.strip():
        parsed = _Parsed(problem=error(
            codes.NO_CERTIFICATE,
            f"{source} is empty: give the certificate file (PEM, DER, PFX or P7B)",
        ))
    else:
        parsed = _parse_binary(data, source, secret)
    loaded.format = parsed.format
    if parsed.problem is None and len(parsed.certificates) > MAX_CERTIFICATES:
        parsed.problem = _too_many(source, "certificates")
    if parsed.problem is None:
        parsed.problem = _malformed(parsed.certificates, source)
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
        chosen = _load_key_file(key_data, key_source, secret)
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


def _form_findings(loaded: LoadedCertificate, parsed: _Parsed,
                   unlinked: list[x509.Certificate], separate_key: bool) -> list[Finding]:
    """chain_order, no_key and converted: is this the form Azure wants?"""
    from jupyter_mlssl.certificates.chain import describe

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
