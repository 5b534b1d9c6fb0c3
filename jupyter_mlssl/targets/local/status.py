"""The local target's ``status``: state, runtime and the certificate served, read together."""

from __future__ import annotations

from typing import Any

from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.store.pids import pid_alive
from jupyter_mlssl.targets.base import (
    SslSettings,
    TargetStatus,
)
from jupyter_mlssl.targets.local import nameserver
from jupyter_mlssl.targets.local.target import (
    LOOPBACK,
    LocalTargetCore,
    _days_left,
    _stale,
)


class WithStatus(LocalTargetCore):
    # -- the Target protocol -------------------------------------------------------------
    def status(self) -> TargetStatus:
        state = self._state()
        runtime = self._runtime()
        ssl = state.get("ssl") or {}
        tls = state.get("tls") or None
        settings = self._settings(ssl, tls)
        notes: list[str] = []
        https_uri = ca_bundle = None
        http_port = runtime.get("http_port")
        scoring_uri = f"http://{LOOPBACK}:{http_port}/score" if http_port else None
        alive = pid_alive(runtime.get("pid"))
        findings = self._health(alive, runtime, tls)
        if alive and tls:
            https_port = runtime.get("https_port")
            if https_port:
                https_uri = f"https://{state.get('fqdn')}:{https_port}/score"
                notes.append(f"HTTPS scoring URI: {https_uri}")
            if settings.status == "Auto":
                from jupyter_mlssl.targets.local import ca

                ca_bundle = str(ca.bundle_path())
                notes.append(f"trust the local CA to call it: {ca_bundle}")
        if settings.status == "Enabled" and settings.cname and not nameserver.in_zone(
                settings.cname):
            notes.append(f"{settings.cname} is outside the local zone {nameserver.ZONE}: "
                         "point it at 127.0.0.1 yourself")
        return TargetStatus(
            target=self.id,
            kind=self.kind,
            ssl=settings,
            fqdn=state.get("fqdn"),
            address=LOOPBACK,
            scoring_uri=scoring_uri,
            https_uri=https_uri,
            ca_bundle=ca_bundle,
            certificate_fingerprint=tls.get("fingerprint") if tls else None,
            certificate_not_after=tls.get("not_after") if tls else None,
            days_left=_days_left(tls.get("not_after")) if tls else None,
            notes=notes,
            findings=findings,
        )

    def _settings(self, ssl: dict[str, Any], tls: dict[str, Any] | None) -> SslSettings:
        """The settings in force, with the certificate file they name (if still there)."""
        cert_pem = None
        if tls:
            try:
                cert_pem = (self.dir / tls["cert_file"]).read_text()
            except OSError:
                cert_pem = None
        return SslSettings(
            status=ssl.get("status", "Disabled"),
            cname=ssl.get("cname"),
            cert_pem=cert_pem,
            leaf_domain_label=ssl.get("leaf_domain_label"),
        )

    def _health(self, alive: bool, runtime: dict[str, Any],
                tls: dict[str, Any] | None) -> list[Finding]:
        """A stopped service, or one serving another certificate than its settings say."""
        if not alive:
            return [Finding(
                "service_down", Severity.ERROR,
                f"{self.id}: the scoring service is not running; restart it with "
                f"mlssl local deploy {self.name} --model FILE (settings are kept)",
            )]
        stale = _stale(runtime, tls)
        if not stale:
            return []
        return [Finding("stale_certificate", Severity.ERROR, f"{self.id}: {stale}")]
