"""The local target's ``plan``: the diff of current and desired settings, with AKS semantics
(Auto names, overwrite_existing_domain, renew)."""

from __future__ import annotations

import secrets
from typing import Any

from jupyter_mlssl.errors import InputError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.store.pids import pid_alive
from jupyter_mlssl.targets.base import (
    Change,
    Plan,
    SslSettings,
    TargetStatus,
    change_action,
)
from jupyter_mlssl.targets.local import nameserver
from jupyter_mlssl.targets.local.status import WithStatus
from jupyter_mlssl.targets.local.target import (
    SUFFIX_ALPHABET,
    _cert_facts,
    _short,
    _stale,
)


class WithPlan(WithStatus):
    def plan(self, desired: SslSettings) -> Plan:
        state = self._state()
        current = self.status()
        tls = state.get("tls") or None
        action = change_action(current.ssl, desired)
        # A stopped service cannot take new settings: say so before anything is written.
        findings: list[Finding] = [f for f in current.findings if f.code == "service_down"]
        notes: list[str] = []
        private: dict[str, Any] = {"generation": state.get("generation", 0), "before": state}

        new_fqdn, new_cert, new_suffix, issue = self._next_name(state, current, desired,
                                                                findings, notes)

        runtime = self._runtime()
        port = runtime.get("https_port")
        before_https = (f"https://{state.get('fqdn')}:{port}/" if tls and port else "(off)")
        after_https = "(off)" if desired.status == "Disabled" else (
            f"https://{new_fqdn}:{port or '<new port>'}/")
        before_cert = _short(tls.get("fingerprint")) if tls else "(none)"
        if desired.status == "Enabled":
            after_cert = _short(new_cert)
        elif new_cert == "(unchanged)":
            after_cert = before_cert
        else:
            after_cert = new_cert

        rows = _rows(state, desired, new_fqdn, (before_cert, after_cert),
                     (before_https, after_https))
        changes = [Change(f, b, a) for f, b, a in rows if (b or None) != (a or None)]
        if not changes and pid_alive(runtime.get("pid")) and _stale(runtime, tls):
            # the settings are already these, but the service serves something else: an
            # interrupted change. Applying them again is how a user repairs it.
            served = (runtime.get("served") or {}).get("fingerprint")
            changes.append(Change("served certificate", _short(served) or "(none)", after_cert))
        if desired.renew and desired.status == "Auto" and not any(
                c.field == "certificate" for c in changes):
            changes.append(Change("certificate", before_cert, new_cert))
        private.update(fqdn=new_fqdn, suffix=new_suffix, issue=issue)
        return Plan(
            target=self.id,
            action=action,
            current=current.ssl,
            desired=desired,
            changes=changes,
            findings=findings,
            notes=notes,
            requires_confirmation=desired.status == "Disabled" and current.ssl.tls_on,
            state=private,
        )

    def _next_name(self, state: dict[str, Any], current: TargetStatus,
                   desired: SslSettings, findings: list[Finding],
                   notes: list[str]) -> tuple[Any, str, Any, bool]:
        """The name and certificate ``desired`` leads to: (fqdn, certificate, suffix, and
        whether the local CA issues a new one). Adds findings and notes as it goes."""
        ssl = state.get("ssl") or {}
        tls = state.get("tls") or None
        auto = state.get("auto") or {}
        new_fqdn = state.get("fqdn")
        new_cert = "(unchanged)"
        new_suffix = auto.get("suffix")
        issue = False
        if desired.status == "Auto":
            label = (desired.leaf_domain_label or "").lower()
            if not label:
                raise InputError("Auto TLS needs a leaf domain label: --leaf-domain-label L")
            if desired.renew and current.ssl.status != "Auto":
                findings.append(Finding(
                    "renew_needs_auto", Severity.ERROR,
                    f"{self.id}: --renew reissues a local-CA (Auto) certificate, but TLS is "
                    f"{current.ssl.status}; enable with --leaf-domain-label first",
                ))
            same_label = auto.get("label") == label and auto.get("suffix")
            if not same_label or desired.overwrite_existing_domain:
                new_suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(6))
                notes.append(
                    f"a new name: the 6 characters after '{label}' are random, drawn for each "
                    f"plan (as Azure does); this plan uses {label}{new_suffix}"
                )
            new_fqdn = f"{label}{new_suffix}.{nameserver.REGION}.{nameserver.ZONE}"
            issue = (desired.renew or ssl.get("status") != "Auto" or new_fqdn != state.get("fqdn")
                     or not tls)
            if issue:
                new_cert = f"(new from the local CA, for {new_fqdn})"
        elif desired.status == "Enabled":
            if not (desired.cname and desired.cert_pem and desired.key):
                raise InputError("Enabled TLS needs --cert, --key and --cname together")
            new_fqdn = desired.cname.rstrip(".").lower()
            new_cert = _cert_facts(desired.cert_pem)["fingerprint"]
            if not nameserver.in_zone(new_fqdn):
                notes.append(
                    f"{new_fqdn} is outside the local zone {nameserver.ZONE}, so the local DNS "
                    "server does not answer for it and DNS verification fails (the change is "
                    "then rolled back). Point it at 127.0.0.1 in your own DNS and apply with "
                    f"--no-verify, or use a name under {nameserver.ZONE}"
                )
        else:
            new_cert = "(none)"
        return new_fqdn, new_cert, new_suffix, issue


def _rows(state: dict[str, Any], desired: SslSettings, new_fqdn: Any,
          cert: tuple[Any, Any], https: tuple[Any, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field the plan shows."""
    ssl = state.get("ssl") or {}
    before_cert, after_cert = cert
    before_https, after_https = https
    rows: list[tuple[str, Any, Any]] = [
        ("status", ssl.get("status", "Disabled"), desired.status),
        ("leaf_domain_label", ssl.get("leaf_domain_label"),
         desired.leaf_domain_label.lower() if desired.leaf_domain_label else None),
        ("cname", ssl.get("cname"), desired.cname.rstrip(".").lower()
         if desired.cname else None),
        ("dns name", state.get("fqdn"), new_fqdn),
        ("certificate", before_cert, after_cert),
        ("https", before_https, after_https),
    ]
    if desired.status == "Disabled":  # Azure sends only {"status": "Disabled"}
        rows = [r for r in rows if r[0] in ("status", "certificate", "https")]
    return rows
