"""The small protocol every target shares, and the values that cross it.

A *target* is a deployed model service whose TLS settings this tool changes: the local
target (``local://NAME``) or an Azure one (AKS compute, ACI service, Kubernetes extension,
managed online endpoint). Each implements :class:`Target`; the workflow
(``jupyter_mlssl.change.workflow``) drives them all the same way: ``plan`` -> ``apply`` ->
``Operation.wait`` -> verify against ``endpoint`` -> ``rollback`` on failure.

``SslSettings`` mirrors Azure ML's ``SslConfiguration`` (status Enabled / Disabled / Auto,
cname, cert, key, leafDomainLabel, overwriteExistingDomain, renew) so the same words mean the
same thing on every target.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from jupyter_mlssl.errors import SettingsError
from jupyter_mlssl.reports import Finding, Report, Severity, Table, findings_tables
from jupyter_mlssl.secrets import Secret

if TYPE_CHECKING:
    import pandas as pd

SslStatus = Literal["Enabled", "Disabled", "Auto"]
Action = Literal["enable", "update", "renew", "disable", "restore"]


@dataclass(frozen=True)
class SslSettings:
    """Desired or current TLS settings of a target (the Azure ``SslConfiguration`` shape).

    ``cert_pem`` is the full chain, leaf first (public). ``key`` is the private key, always a
    :class:`Secret`; it is never printed, never in ``to_dict``.
    """

    status: SslStatus = "Disabled"
    cname: str | None = None
    cert_pem: str | None = None
    key: Secret | None = field(default=None, repr=False, compare=False)
    leaf_domain_label: str | None = None
    overwrite_existing_domain: bool = False
    renew: bool = False

    def __post_init__(self) -> None:
        if self.status not in ("Enabled", "Disabled", "Auto"):
            raise SettingsError("status", self.status, "status must be Enabled, Disabled or Auto,"
                                f" not {self.status!r}")
        if self.key is not None and not isinstance(self.key, Secret):
            object.__setattr__(self, "key", Secret(self.key))

    @property
    def tls_on(self) -> bool:
        return self.status in ("Enabled", "Auto")

    def with_(self, **changes: Any) -> SslSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the key masked and the certificate summarised by fingerprint."""
        return {
            "status": self.status,
            "cname": self.cname,
            "certificate": _pem_fingerprint(self.cert_pem) if self.cert_pem else None,
            "key": "********" if self.key else None,
            "leaf_domain_label": self.leaf_domain_label,
            "overwrite_existing_domain": self.overwrite_existing_domain,
            "renew": self.renew,
        }


def _pem_fingerprint(pem: str) -> str:
    """SHA-256 of the first certificate in a PEM chain, as shown in plans."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        cert = x509.load_pem_x509_certificates(pem.encode())[0]
    except ValueError:
        return "unreadable certificate"
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()[:16]


def change_action(current: SslSettings, desired: SslSettings) -> Action:
    """What a change from ``current`` to ``desired`` is called, in plans and the history."""
    if desired.status == "Disabled":
        return "disable"
    if desired.renew:
        return "renew"
    return "update" if current.tls_on else "enable"


@dataclass(frozen=True)
class ServiceAddress:
    """Where and how to check a target from the outside (DNS + HTTPS probe).

    ``resolve`` entries are curl-style ``HOST:PORT:ADDRESS`` for names that public DNS does
    not know (the local target's zone); ``nameservers`` are ``IP[:PORT]`` to ask for DNS
    status; ``ca_bundle`` is the trust store a probe of this target should use (None: the
    user's default, certifi).
    """

    url: str | None
    hostname: str | None = None
    expected_address: str | None = None
    tls_expected: bool = True
    nameservers: tuple[str, ...] = ()
    resolve: tuple[str, ...] = ()
    ca_bundle: str | None = None


@dataclass(repr=False)
class TargetStatus(Report):
    """What a target looks like now: TLS settings, name, address, certificate expiry.

    ``scoring_uri`` is the address the service reports for scoring. On Azure targets it
    follows the TLS state as Azure's own status does (``https://`` when TLS is on). The
    local target keeps its plain-HTTP loopback listener while TLS is on (the post-change
    checks and quick loopback calls use it), so its ``scoring_uri`` stays ``http://``.
    ``https_uri`` is the secured address a client should call, on every target kind: set
    only when TLS is on and the service answers HTTPS. ``ca_bundle`` is the PEM file to
    trust for it when the target has a CA of its own (the local target's ``Auto``); None
    means the usual public trust store. Scripts read these fields; ``notes`` are for people.
    """

    target: str
    kind: str
    ssl: SslSettings
    fqdn: str | None = None
    address: str | None = None
    scoring_uri: str | None = None
    https_uri: str | None = None
    ca_bundle: str | None = None
    certificate_fingerprint: str | None = None
    certificate_not_after: str | None = None  # ISO 8601, UTC
    days_left: int | None = None
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    title = "Target status"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "tls": self.ssl.status,
            "ssl": self.ssl.to_dict(),
            "fqdn": self.fqdn,
            "address": self.address,
            "scoring_uri": self.scoring_uri,
            "https_uri": self.https_uri,
            "ca_bundle": self.ca_bundle,
            "certificate_fingerprint": self.certificate_fingerprint,
            "certificate_not_after": self.certificate_not_after,
            "days_left": self.days_left,
            "notes": list(self.notes),
            "findings": [f.to_dict() for f in self.findings],
        }

    def _row(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "tls": self.ssl.status,
            "cname / fqdn": self.ssl.cname or self.fqdn,
            "address": self.address,
            "scoring_uri": self.scoring_uri,
            "https_uri": self.https_uri,
            "not_after": self.certificate_not_after,
            "days_left": self.days_left,
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([self._row()])

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        import pandas as pd

        out = super().tables()
        if self.notes:
            out.append(("Notes", pd.DataFrame({"note": self.notes})))
        return out

    def text_tables(self) -> list[Table]:  # the same tables, without pandas
        row = self._row()
        return [Table(self.title, list(row), [list(row.values())]),
                *findings_tables(self.findings), *_notes_tables(self.notes)]


def https_only(url: str | None) -> str | None:
    """``url`` when it is an HTTPS address, else None (what ``TargetStatus.https_uri`` holds)."""
    return url if url and url.lower().startswith("https://") else None


@dataclass(frozen=True)
class Change:
    """One line of a plan's diff."""

    field: str
    before: str | None
    after: str | None


@dataclass(repr=False)
class Plan(Report):
    """What a change will do, shown before anything happens.

    ``findings`` with severity error block the plan (nothing is applied). ``state`` is the
    target's private record of what it needs to apply and to roll back (for example the raw
    ARM body from the GET); it is never rendered.
    """

    target: str
    action: Action
    current: SslSettings
    desired: SslSettings
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requires_confirmation: bool = False
    state: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    title = "Plan"

    @property
    def blocked(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)

    @property
    def empty(self) -> bool:
        return not self.changes and not self.desired.renew

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "action": self.action,
            "current": self.current.to_dict(),
            "desired": self.desired.to_dict(),
            "changes": [c.__dict__ for c in self.changes],
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
            "requires_confirmation": self.requires_confirmation,
            "blocked": self.blocked,
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [c.__dict__ for c in self.changes], columns=["field", "before", "after"]
        )

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        import pandas as pd

        caption = f"Plan: {self.action} TLS on {self.target}"
        out = [(caption, self.to_frame())]
        out.extend(t for t in super().tables()[1:])
        if self.notes:
            out.append(("Notes", pd.DataFrame({"note": self.notes})))
        return out

    def text_tables(self) -> list[Table]:  # the same tables, without pandas
        changes = Table.of_dicts(f"Plan: {self.action} TLS on {self.target}",
                                 ["field", "before", "after"],
                                 (c.__dict__ for c in self.changes))
        return [changes, *findings_tables(self.findings), *_notes_tables(self.notes)]

    def summary(self) -> str:
        if self.blocked:
            return super().summary()
        return f"plan: {self.action} TLS on {self.target}, {len(self.changes)} change(s)"


def _notes_tables(notes: list[str]) -> list[Table]:
    return [Table("Notes", ["note"], [[note] for note in notes])] if notes else []


ProgressCallback = Callable[[str], None]


class Operation(Protocol):
    """A change under way. ``wait`` blocks until it ends and returns the new status."""

    def wait(self, timeout: float | None = None) -> TargetStatus: ...

    @property
    def done(self) -> bool: ...


@dataclass
class CompletedOperation:
    """An operation that finished synchronously (the local target)."""

    status: TargetStatus

    @property
    def done(self) -> bool:
        return True

    def wait(self, timeout: float | None = None) -> TargetStatus:
        return self.status


@runtime_checkable
class Target(Protocol):
    """What the workflow needs from a target."""

    #: the id the user typed (``local://NAME`` or an ARM resource id)
    id: str
    #: ``local``, ``aks``, ``aci``, ``k8s-extension`` or ``managed-online-endpoint``
    kind: str

    def status(self) -> TargetStatus: ...

    def plan(self, desired: SslSettings) -> Plan: ...

    def apply(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation: ...

    def rollback(self, plan: Plan, progress: ProgressCallback | None = None) -> Operation:
        """Restore the settings the target had before ``plan`` was applied."""
        ...

    def endpoint(self, status: TargetStatus) -> ServiceAddress:
        """How to check the service from outside, as ``status`` says it should now answer."""
        ...

    def lock(self) -> AbstractContextManager[Any]:
        """Held for the whole plan-apply-verify sequence; raises OperationError if busy."""
        ...
