"""The reports the certificate toolkit returns: what a certificate is, and what was written.

Public data only: subjects, names, dates, fingerprints, the public chain. Private keys never
reach these objects (the key written by ``cert convert`` is named by its file and mode).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.certificates import codes
from jupyter_mlssl.reports import Finding, Report, Severity, Table, findings_tables

if TYPE_CHECKING:
    import pandas as pd
    from cryptography import x509

CERTIFICATE_COLUMNS = [
    "role", "subject", "sans", "issuer", "not_before", "not_after", "days_left",
    "key_type", "key_size", "signature_hash", "fingerprint_sha256",
]


@dataclass(frozen=True)
class CertificateInfo:
    """One row of the certificate table."""

    role: str  # leaf, intermediate, root (or unrelated: in the file, not in the leaf's chain)
    subject: str
    sans: list[str]
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: int
    key_type: str
    key_size: int | None
    signature_hash: str
    fingerprint_sha256: str
    serial_number: str
    is_ca: bool

    @classmethod
    def from_certificate(cls, cert: x509.Certificate, role: str,
                         now: dt.datetime) -> CertificateInfo:
        from cryptography.hazmat.primitives import hashes

        from jupyter_mlssl.pki import facts
        from jupyter_mlssl.pki.facts import (
            is_ca,
            public_key_description,
            san_names,
            signature_hash,
        )

        names = san_names(cert)
        key_type, key_size = public_key_description(cert)
        return cls(
            role=role,
            subject=_name_text(facts.subject(cert)),
            sans=(names[0] + names[1]) if names else [],
            issuer=_name_text(facts.issuer(cert)),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            days_left=int((cert.not_valid_after_utc - now).total_seconds() // 86400),
            key_type=key_type,
            key_size=key_size,
            signature_hash=signature_hash(cert),
            fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
            serial_number=format(cert.serial_number, "x"),
            is_ca=is_ca(cert),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "subject": self.subject,
            "sans": list(self.sans),
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": self.days_left,
            "key_type": self.key_type,
            "key_size": self.key_size,
            "signature_hash": self.signature_hash,
            "fingerprint_sha256": self.fingerprint_sha256,
            "serial_number": self.serial_number,
            "is_ca": self.is_ca,
        }

    def row(self) -> dict[str, Any]:
        row = self.to_dict()
        row["sans"] = ", ".join(self.sans)
        row["not_before"] = f"{self.not_before:%Y-%m-%d %H:%M}"
        row["not_after"] = f"{self.not_after:%Y-%m-%d %H:%M}"
        return {column: row[column] for column in CERTIFICATE_COLUMNS}


def _name_text(name: x509.Name | None) -> str:
    from jupyter_mlssl.pki import facts

    return facts.name_text(name) if name is not None else "(unreadable name)"


def _exit_status(findings: list[Finding]) -> int:
    if any(f.code in codes.INPUT_CODES and f.severity == Severity.ERROR for f in findings):
        return 2
    return 1 if any(f.severity == Severity.ERROR for f in findings) else 0


@dataclass(repr=False)
class CertificateReport(Report):
    """What ``cert inspect`` found: the chain leaf first, and the findings with their fixes."""

    source: str
    certificates: list[CertificateInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    chain_pem: str = ""
    leaf_fingerprint: str | None = None
    not_after: dt.datetime | None = None
    days_left: int | None = None
    format: str = ""
    key_source: str | None = None
    cname: str | None = None
    trust_store: str | None = None
    trusted: bool | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"Certificate: {self.source}"

    @property
    def exit_status(self) -> int:
        return _exit_status(self.findings)

    @property
    def leaf(self) -> CertificateInfo | None:
        return self.certificates[0] if self.certificates else None

    def finding_codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "key_source": self.key_source,
            "cname": self.cname,
            "trust_store": self.trust_store,
            "trusted": self.trusted,
            "leaf_fingerprint": self.leaf_fingerprint,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "days_left": self.days_left,
            "exit_status": self.exit_status,
            "certificates": [c.to_dict() for c in self.certificates],
            "findings": [f.to_dict() for f in self.findings],
            "chain_pem": self.chain_pem,
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([c.row() for c in self.certificates], columns=CERTIFICATE_COLUMNS)

    def text_tables(self) -> list[Table]:
        rows = (c.row() for c in self.certificates)
        return [Table.of_dicts(self.title, CERTIFICATE_COLUMNS, rows),
                *findings_tables(self.findings)]


@dataclass(frozen=True)
class WrittenFile:
    path: str
    contents: str
    mode: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "contents": self.contents, "mode": self.mode}


@dataclass(repr=False)
class OutputReport(Report):
    """What ``cert convert`` / ``selfsigned`` / ``csr`` wrote. Names files, never key bytes."""

    action: str
    source: str | None = None
    files: list[WrittenFile] = field(default_factory=list)
    leaf_fingerprint: str | None = None
    subject: str | None = None
    names: list[str] = field(default_factory=list)
    not_after: dt.datetime | None = None
    findings: list[Finding] = field(default_factory=list)
    next_step: str | None = None

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"cert {self.action}" + (f": {self.source}" if self.source else "")

    @property
    def exit_status(self) -> int:
        return _exit_status(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "source": self.source,
            "files": [f.to_dict() for f in self.files],
            "leaf_fingerprint": self.leaf_fingerprint,
            "subject": self.subject,
            "names": list(self.names),
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "exit_status": self.exit_status,
            "findings": [f.to_dict() for f in self.findings],
            "next_step": self.next_step,
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([f.to_dict() for f in self.files],
                            columns=["path", "contents", "mode"])

    def _details(self) -> Table | None:
        facts = [
            ("subject", self.subject), ("names", ", ".join(self.names) or None),
            ("not_after", f"{self.not_after:%Y-%m-%d %H:%M} UTC" if self.not_after else None),
            ("fingerprint_sha256", self.leaf_fingerprint),
            ("next_step", self.next_step),
        ]
        rows = [[k, v] for k, v in facts if v]
        return Table("Details", ["field", "value"], rows) if rows else None

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        out = super().tables()
        details = self._details()
        if details is not None:
            out.insert(1, (details.caption, details.to_frame()))
        return out

    def text_tables(self) -> list[Table]:
        files = Table.of_dicts(self.title, ["path", "contents", "mode"],
                               (f.to_dict() for f in self.files))
        details = self._details()
        return [files, *([details] if details else []), *findings_tables(self.findings)]
