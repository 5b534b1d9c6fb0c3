"""``inspect``: load a certificate in any form and run every check on it.

The order of the findings is the order a user should fix things in: unusable input first,
then the form of the file, then the key, then validity, names, trust and strength.
"""

from __future__ import annotations

import datetime as dt
import os

from jupyter_mlssl.certificates import checks, codes
from jupyter_mlssl.certificates.chain import PathVerdict, verify_chain
from jupyter_mlssl.certificates.loading import LoadedCertificate, Source, load
from jupyter_mlssl.certificates.report import CertificateInfo, CertificateReport
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.pki import facts
from jupyter_mlssl.pki.trust import TrustStore, trust_store
from jupyter_mlssl.reports import Finding, Severity


def inspect(cert: Source, *, key: Source | None = None, cname: str | None = None,
            password: bytes | str | None = None,
            ca_bundle: str | os.PathLike[str] | None = None, now: dt.datetime | None = None,
            name: str | None = None, key_name: str | None = None) -> CertificateReport:
    """Check a certificate (and its key) before it goes anywhere.

    ``cert``/``key``: a path or the file's bytes (``name``/``key_name`` label bytes in
    messages). ``password`` opens a PKCS#12 file or an encrypted key. ``ca_bundle``: a PEM
    trust store; by default Mozilla's through certifi (SSL_CERT_FILE is not read: the
    question is what clients will trust). ``now``: an aware datetime, for tests. Never raises
    for bad input: it becomes a finding, and ``exit_status`` is 2.
    """
    when = now or dt.datetime.now(dt.timezone.utc)
    try:
        loaded = load(cert, key=key, password=password, name=name, key_name=key_name)
        return report_for(loaded, cname=cname, ca_bundle=ca_bundle, now=when)
    except Exception as exc:
        if not isinstance(exc, _damage()):
            raise
        label = name or (os.fspath(cert) if isinstance(cert, (str, os.PathLike)) else "input")
        report = CertificateReport(source=label, format="", key_source=key_name, cname=cname)
        report.findings = [_malformed(label, exc)]
        return report


def _damage() -> tuple[type[Exception], ...]:
    """What cryptography raises when a lazily parsed field is damaged (imported late)."""
    from cryptography import x509

    return ValueError, x509.DuplicateExtension


def _malformed(source: str, exc: Exception) -> Finding:
    # cryptography parses extensions, names and keys lazily: a damaged one raises in
    # whichever step reads it first. The loader reports most of them; this is the last net.
    return Finding(
        codes.MALFORMED_CERTIFICATE, Severity.ERROR,
        f"a certificate in {source} cannot be read in full ({exc}): clients refuse it; "
        "reissue it, or ask the CA for a well-formed copy",
    )


def report_for(loaded: LoadedCertificate, *, cname: str | None = None,
               ca_bundle: str | os.PathLike[str] | None = None,
               now: dt.datetime | None = None) -> CertificateReport:
    """The checks on an already loaded certificate (the panel and the workflow reuse loads).

    Loading has read every part of each certificate (``facts.problem``), so the checks meet
    no parse error; should one still come up (a parser fault in a trust store, a panic in
    native code), the report says so as ``malformed_certificate`` rather than raising.
    """
    when = now or dt.datetime.now(dt.timezone.utc)
    if when.tzinfo is None:  # a naive time is taken as UTC, as certificates state theirs
        when = when.replace(tzinfo=dt.timezone.utc)
    report = CertificateReport(source=loaded.source, format=loaded.format,
                               key_source=loaded.key_source, cname=cname)
    findings = list(loaded.findings)
    if loaded.input_problem is not None or not loaded.certificates:
        report.findings = findings
        return report
    try:
        with facts.parser_warnings_silenced():
            return _checked(report, loaded, findings, cname, ca_bundle, when)
    except BaseException as exc:  # the library boundary: never a traceback for bad input
        if not facts.catchable(exc):
            raise
        report = CertificateReport(source=loaded.source, format=loaded.format,
                                   key_source=loaded.key_source, cname=cname)
        report.findings = [Finding(
            codes.MALFORMED_CERTIFICATE, Severity.ERROR,
            f"a certificate in {loaded.source} could not be checked ({facts.detail(exc)}): "
            "get a fresh copy from your CA",
        ), *loaded.findings]
        return report


def _checked(report: CertificateReport, loaded: LoadedCertificate, findings: list[Finding],
             cname: str | None, ca_bundle: str | os.PathLike[str] | None,
             when: dt.datetime) -> CertificateReport:
    store: TrustStore | None = None
    try:
        store = trust_store(ca_bundle)
    except InputError as exc:
        findings.append(Finding(codes.UNREADABLE, Severity.ERROR, exc.message))

    # The verifier first: the per-certificate checks judge the path it built (trust anchor
    # included), not the file's order. Its verdict is reported last, so a refusal the checks
    # already explain is not repeated.
    verdict: PathVerdict | None = None
    if store is not None:
        report.trust_store = store.name
        verdict = verify_chain(loaded.certificates, loaded.path_length, store, when)
        report.trusted = verdict.status == "trusted"
    path = verdict.chain if verdict is not None else None
    findings += checks.check_key(loaded)
    findings += checks.check_validity(loaded, when, path, store)
    findings += checks.check_names(loaded, cname)
    findings += checks.check_leaf_kind(loaded, store)
    findings += checks.check_strength(loaded, path)
    findings += checks.check_lifetime(loaded)
    if store is not None and verdict is not None:
        findings += checks.check_trust(loaded, verdict, store, findings)

    report.findings = _ordered(findings)
    report.certificates = [
        CertificateInfo.from_certificate(cert, _role(loaded, index), when)
        for index, cert in enumerate(loaded.certificates)
    ]
    leaf = report.certificates[0]
    report.leaf_fingerprint = leaf.fingerprint_sha256
    report.not_after = leaf.not_after
    report.days_left = leaf.days_left
    report.chain_pem = loaded.chain_pem()
    return report


def _role(loaded: LoadedCertificate, index: int) -> str:
    from jupyter_mlssl.pki.facts import is_ca, self_signed

    cert = loaded.certificates[index]
    if index == 0:
        return "leaf"
    if self_signed(cert):  # a self-issued intermediate (key rollover) is not a root
        return "root"
    if index < loaded.path_length or is_ca(cert):
        return "intermediate"
    return "unrelated"


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then notes; within each, the order they were found."""
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))
