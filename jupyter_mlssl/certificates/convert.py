"""``cert convert``: any input form -> what Azure wants (PEM full chain leaf first + PEM key).

Nothing is written when the input is unusable or the key does not belong to the leaf, and
neither output is written when one of them would overwrite a file without ``force``.
"""

from __future__ import annotations

import os

from jupyter_mlssl.certificates import codes
from jupyter_mlssl.certificates.loading import (
    FORMAT_NAMES,
    LoadedCertificate,
    Source,
    load_or_raise,
)
from jupyter_mlssl.certificates.report import OutputReport, WrittenFile
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.pki import facts
from jupyter_mlssl.pki.facts import describe, same_public_key
from jupyter_mlssl.pki.minting import check_writable, write_private, write_public
from jupyter_mlssl.reports import Finding, Severity


def convert(source: Source, *, out_cert: str | os.PathLike[str],
            out_key: str | os.PathLike[str] | None = None, key: Source | None = None,
            password: bytes | str | None = None, force: bool = False,
            name: str | None = None) -> OutputReport:
    """Write ``source``'s chain as PEM, leaf first, and its key as unencrypted PKCS#8 PEM."""
    from cryptography.hazmat.primitives import hashes

    loaded = load_or_raise(source, key=key, password=password, name=name)
    leaf = loaded.leaf
    assert leaf is not None
    _refuse_before_writing(loaded, out_cert, out_key, force)

    report = OutputReport(action="convert", source=loaded.source,
                          leaf_fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),
                          subject=facts.name_text(leaf.subject),
                          not_after=leaf.not_valid_after_utc)
    _write_outputs(report, loaded, out_cert, out_key, force)
    what = FORMAT_NAMES.get(loaded.format, loaded.format)
    report.findings.append(Finding(
        codes.CONVERTED, Severity.INFO,
        f"converted {loaded.source} ({what}) to a PEM full chain, leaf first, in {out_cert}: "
        f"check it with 'mlssl cert inspect {out_cert}"
        + (f" --key {out_key}'" if out_key is not None else "'"),
    ))
    # Carry over what is still wrong with the certificate itself (order is now fixed).
    report.findings += [
        f for f in loaded.findings
        if f.code not in (codes.CONVERTED, codes.NO_KEY)
        and not (f.code == codes.CHAIN_ORDER and "out of order" in f.message)
    ]
    return report


def _refuse_before_writing(loaded: LoadedCertificate, out_cert: str | os.PathLike[str],
                          out_key: str | os.PathLike[str] | None, force: bool) -> None:
    """Every reason not to write, checked before the first byte is written."""
    leaf = loaded.leaf
    assert leaf is not None
    if loaded.key is not None and not same_public_key(leaf, loaded.key):
        raise InputError(
            f"the private key in {loaded.key_source} does not belong to the leaf "
            f"{describe(leaf)} in {loaded.source}: give the matching key; nothing was written"
        )
    if out_key is not None and loaded.key is None:
        raise InputError(
            f"{loaded.source} holds no private key to write to {os.fspath(out_key)}: give it "
            "with --key, or leave out --out-key; nothing was written"
        )
    outputs = [out_cert] + ([out_key] if out_key is not None else [])
    if len({os.path.abspath(p) for p in outputs}) < len(outputs):
        raise InputError("--out-cert and --out-key name the same file: give two file names")
    check_writable(outputs, force=force)



def _write_outputs(report: OutputReport, loaded: LoadedCertificate,
                   out_cert: str | os.PathLike[str], out_key: str | os.PathLike[str] | None,
                   force: bool) -> None:
    count = len(loaded.certificates)
    written = write_public(out_cert, loaded.chain_pem(), force=force)
    report.files.append(WrittenFile(str(written), f"PEM chain, {count} certificate(s), leaf "
                                    "first", _mode(written)))
    key_pem = loaded.key_pem()
    if out_key is not None and key_pem is not None:
        written = write_private(out_key, key_pem, force=force)
        report.files.append(WrittenFile(str(written), "private key, PKCS#8 PEM, unencrypted",
                                        _mode(written)))
        report.findings.append(Finding(
            codes.CONVERTED, Severity.INFO,
            f"{written} holds the private key unencrypted (mode 0600): keep it out of "
            "notebooks and version control, and delete it once it is uploaded",
        ))
    elif key_pem is not None and (loaded.key_source == loaded.source or loaded.key_encrypted):
        report.findings.append(Finding(
            codes.NO_KEY, Severity.INFO,
            f"the private key in {loaded.key_source} was not converted: add --out-key FILE "
            "to write it as the unencrypted PEM key Azure wants",
        ))


def _mode(path: os.PathLike[str] | str) -> str:
    return oct(os.stat(path).st_mode & 0o777)[2:].rjust(4, "0")
