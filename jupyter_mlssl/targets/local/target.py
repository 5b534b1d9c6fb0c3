"""``local://NAME``: a scoring service on this machine with the AKS compute's TLS semantics.

The settings mean what Azure ML's ``sslConfiguration`` means (docs/azure-notes.md):

- ``Auto`` + ``leaf_domain_label`` L: a certificate from the local CA for
  ``L<6 random chars>.local.mlssl.test``, published in the local DNS zone (-> 127.0.0.1).
  The same label keeps its name; ``overwrite_existing_domain`` draws a new suffix; ``renew``
  reissues the certificate for the same name.
- ``Enabled`` + cname/cert/key: the user's certificate. The cname is published in the local
  zone when it lies inside it (``*.mlssl.test``); any other name is the user's to point, as
  on Azure, and verification fails until it is.
- ``Disabled``: the HTTPS listener stops; the plain-HTTP scoring URI stays.

State lives in ``store.py``'s layout; the service process learns of a change through its
loopback admin endpoint (``POST /reload``), and swaps in a new, self-tested TLS context
without dropping connections (``service.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.store.files import private_dir, write_atomic
from jupyter_mlssl.targets.base import (
    Change,
    CompletedOperation,
    Plan,
    ProgressCallback,
    ServiceAddress,
    SslSettings,
    TargetStatus,
    change_action,
)
from jupyter_mlssl.targets.local import nameserver, store
from jupyter_mlssl.targets.local.processes import child_environment, kill_group, pid_alive

SCHEME = "local://"
LOOPBACK = "127.0.0.1"
SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
START_TIMEOUT = 10.0
ADMIN_TIMEOUT = 20.0
KEEP_TLS_FILES = 6  # certificate/key pairs kept for rollback; older ones are deleted


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _days_left(not_after: str | None) -> int | None:
    if not not_after:
        return None
    when = dt.datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return (when - _now()).days


def _short(fingerprint: str | None) -> str | None:
    return fingerprint[: len("sha256:") + 16] if fingerprint else None


def _stale(runtime: dict[str, Any], tls: dict[str, Any] | None) -> str | None:
    """Why the running service does not serve what the settings say (None when it does).

    An error, not a warning: clients get another certificate than the one recorded, or TLS
    where it was turned off (a change cut short between writing the settings and the
    service's reload). Applying the same settings again reloads it (see ``plan``).
    """
    if "served" not in runtime:
        return None  # a service still starting has not said yet
    served = (runtime.get("served") or {}).get("fingerprint")
    recorded = tls.get("fingerprint") if tls else None
    if served == recorded:
        return None
    return (f"the service serves {_short(served) or 'no certificate (TLS off)'}, the settings "
            f"say {_short(recorded) or 'TLS off'}; re-apply the settings (the same "
            "enable/update again reloads the service)")


def _cert_facts(chain_pem: str) -> dict[str, Any]:
    """Fingerprint, expiry and names of the leaf (the first certificate of the chain)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    leaf = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        names = []
    return {
        "fingerprint": "sha256:" + leaf.fingerprint(hashes.SHA256()).hex(),
        "not_after": _iso(leaf.not_valid_after_utc),
        "names": names,
    }


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    # The admin endpoint is on loopback: a proxy from the environment must not see it.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalTarget:
    """A local scoring service, as a :class:`~jupyter_mlssl.targets.base.Target`."""

    kind = "local"

    def __init__(self, name: str) -> None:
        self.name = store.check_name(name)
        self.id = SCHEME + name
        self.dir = store.service_dir(name)
        self._lock_depth = 0

    # -- finding targets ------------------------------------------------------------------
    @classmethod
    def from_id(cls, target_id: str) -> LocalTarget:
        if not target_id.startswith(SCHEME):
            raise InputError(f"{target_id}: not a local target; use local://NAME")
        name = target_id[len(SCHEME):].strip("/")
        target = cls(name)
        if not target.exists():
            raise InputError(
                f"{target_id}: no such local service; deploy it first: "
                f"mlssl local deploy {name} --model FILE"
            )
        return target

    @classmethod
    def all(cls) -> list[LocalTarget]:
        return [cls(p.name) for p in sorted(store.services_dir().iterdir())
                if (p / "state.json").exists()]

    def exists(self) -> bool:
        return (self.dir / "state.json").exists()

    # -- state --------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        state = store.read_json(self.dir / "state.json")
        if state is None:
            raise InputError(f"{self.id}: no such local service (was it stopped?)")
        return state

    def _runtime(self) -> dict[str, Any]:
        return store.read_json(self.dir / "service.json") or {}

    def running(self) -> bool:
        return pid_alive(self._runtime().get("pid"))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """The cross-process lock of a change; re-entrant within this object."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        with store.file_lock(self.dir / "lock", self.id):
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0

    # -- the Target protocol -------------------------------------------------------------
    def status(self) -> TargetStatus:
        state = self._state()
        runtime = self._runtime()
        ssl = state.get("ssl") or {}
        tls = state.get("tls") or None
        cert_pem = None
        if tls:
            try:
                cert_pem = (self.dir / tls["cert_file"]).read_text()
            except OSError:
                cert_pem = None
        settings = SslSettings(
            status=ssl.get("status", "Disabled"),
            cname=ssl.get("cname"),
            cert_pem=cert_pem,
            leaf_domain_label=ssl.get("leaf_domain_label"),
        )
        notes: list[str] = []
        findings: list[Finding] = []
        https_uri = ca_bundle = None
        http_port = runtime.get("http_port")
        scoring_uri = f"http://{LOOPBACK}:{http_port}/score" if http_port else None
        alive = pid_alive(runtime.get("pid"))
        if not alive:
            findings.append(Finding(
                "service_down", Severity.ERROR,
                f"{self.id}: the scoring service is not running; restart it with "
                f"mlssl local deploy {self.name} --model FILE (settings are kept)",
            ))
        else:
            stale = _stale(runtime, tls)
            if stale:
                findings.append(Finding("stale_certificate", Severity.ERROR,
                                        f"{self.id}: {stale}"))
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

    def plan(self, desired: SslSettings) -> Plan:
        state = self._state()
        current = self.status()
        ssl = state.get("ssl") or {}
        tls = state.get("tls") or None
        auto = state.get("auto") or {}
        action = change_action(current.ssl, desired)
        # A stopped service cannot take new settings: say so before anything is written.
        findings: list[Finding] = [f for f in current.findings if f.code == "service_down"]
        notes: list[str] = []
        private: dict[str, Any] = {"generation": state.get("generation", 0), "before": state}

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

        rows = [
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

    def apply(self, plan: Plan, progress: ProgressCallback | None = None) -> CompletedOperation:
        say = progress or (lambda message: None)
        with self.lock():
            state = self._state()
            if state.get("generation", 0) != plan.state.get("generation"):
                raise OperationError(
                    f"{self.id} changed since this plan was made (another process applied "
                    "a change); run the command again to plan against the new settings"
                )
            new = self._next_state(state, plan, say)
            self._commit(state, new, say)
        return CompletedOperation(self.status())

    def rollback(self, plan: Plan, progress: ProgressCallback | None = None) -> CompletedOperation:
        say = progress or (lambda message: None)
        with self.lock():
            state = self._state()
            before = json.loads(json.dumps(plan.state["before"]))
            before["generation"] = state.get("generation", 0) + 1
            tls = before.get("tls")
            if tls and not (self.dir / tls["cert_file"]).exists():
                raise OperationError(
                    f"{self.id}: cannot restore the previous certificate; its file "
                    f"{tls['cert_file']} is gone. Apply settings again."
                )
            say(f"restoring the previous TLS settings of {self.id}")
            self._commit(state, before, say)
        return CompletedOperation(self.status())

    def endpoint(self, status: TargetStatus) -> ServiceAddress:
        runtime = self._runtime()
        port = runtime.get("https_port")
        # Local names are answered by the local DNS server only; checks must ask it, never
        # the system resolver (which would time out on them).
        dns_port = nameserver.ensure_running() if status.ssl.tls_on else (
            nameserver.running_port())
        host = status.ssl.cname if status.ssl.status == "Enabled" else status.fqdn
        host = (host or LOOPBACK).rstrip(".").lower()
        ca_bundle = None
        if status.ssl.status == "Auto":
            from jupyter_mlssl.targets.local import ca

            ca_bundle = str(ca.bundle_path())
        return ServiceAddress(
            url=f"https://{host}:{port}/" if port else None,
            hostname=host,
            expected_address=LOOPBACK,
            tls_expected=status.ssl.tls_on,
            nameservers=(f"{LOOPBACK}:{dns_port}",) if dns_port else (),
            resolve=(f"{host}:{port}:{LOOPBACK}",) if port and host != LOOPBACK else (),
            # Auto: the local CA, as Microsoft's CA is trusted for Azure names. Enabled:
            # whatever clients trust (the default store, or --ca-bundle), never the chain's
            # own root, which would make any self-made chain pass.
            ca_bundle=ca_bundle,
        )

    # -- applying ------------------------------------------------------------------------
    def _next_state(self, state: dict[str, Any], plan: Plan,
                    say: ProgressCallback) -> dict[str, Any]:
        desired = plan.desired
        new = json.loads(json.dumps(state))
        new["generation"] = state.get("generation", 0) + 1
        new["changed"] = _iso(_now())
        if desired.status == "Disabled":
            new["ssl"] = {"status": "Disabled", "cname": None,
                          "leaf_domain_label": None}
            new["tls"] = None
            return new
        if desired.status == "Auto":
            label = (desired.leaf_domain_label or "").lower()
            fqdn = plan.state["fqdn"]
            new["ssl"] = {"status": "Auto", "cname": None, "leaf_domain_label": label}
            new["auto"] = {"label": label, "suffix": plan.state["suffix"]}
            new["fqdn"] = fqdn
            if plan.state.get("issue"):
                from jupyter_mlssl.targets.local import ca

                say(f"issuing a certificate for {fqdn} from the local CA")
                chain, key = ca.issue([fqdn])
                new["tls"] = self._write_tls(chain, Secret(key))
            return new
        cname = (desired.cname or "").rstrip(".").lower()
        assert desired.cert_pem and desired.key
        new["ssl"] = {"status": "Enabled", "cname": cname, "leaf_domain_label": None}
        new["fqdn"] = cname
        new["tls"] = self._write_tls(desired.cert_pem, desired.key)
        return new

    def _write_tls(self, chain_pem: str, key: Secret) -> dict[str, Any]:
        facts = _cert_facts(chain_pem)
        tls_dir = self.dir / "tls"
        private_dir(tls_dir)
        stem = f"{_now().strftime('%Y%m%dT%H%M%S')}-{facts['fingerprint'][7:19]}"
        write_atomic(tls_dir / f"{stem}-key.pem", key.reveal(), mode=0o600)
        write_atomic(tls_dir / f"{stem}.pem", chain_pem.encode())
        return {"cert_file": f"tls/{stem}.pem", "key_file": f"tls/{stem}-key.pem", **facts}

    def _published_names(self, state: dict[str, Any]) -> dict[str, str]:
        """The names this state should have in the local zone."""
        names: dict[str, str] = {}
        auto = state.get("auto") or {}
        if auto.get("label") and auto.get("suffix"):
            names[f"{auto['label']}{auto['suffix']}.{nameserver.REGION}.{nameserver.ZONE}"] = (
                LOOPBACK)
        ssl = state.get("ssl") or {}
        if ssl.get("status") == "Enabled" and ssl.get("cname") and nameserver.in_zone(
                ssl["cname"]):
            names[ssl["cname"]] = LOOPBACK
        return names

    def _commit(self, old: dict[str, Any], new: dict[str, Any], say: ProgressCallback) -> None:
        """Write ``new`` as the state, make the service and DNS follow it; on failure put
        ``old`` back so state and service never disagree."""
        wanted = self._published_names(new)
        new["published"] = sorted(wanted)
        store.write_json(self.dir / "state.json", new)
        try:
            if self.running():
                say(f"asking the {self.name} service to load the new TLS settings")
                reply = self._admin("POST", "/reload")
                if not reply.get("ok"):
                    raise OperationError(
                        f"{self.id}: the service refused the new TLS settings: "
                        f"{reply.get('error')}; the previous settings are still served"
                    )
        except BaseException:
            old = dict(old, generation=new["generation"] + 1)
            store.write_json(self.dir / "state.json", old)
            raise
        stale = [n for n in old.get("published") or [] if n not in wanted]
        if wanted or stale:
            say("publishing " + ", ".join(wanted) if wanted else "removing stale DNS names")
            nameserver.ensure_running()
            nameserver.publish(wanted, stale)
            for name, address in wanted.items():
                nameserver.wait_until_served(name, address)
        self._prune_tls(keep={(new.get("tls") or {}).get("cert_file"),
                              (old.get("tls") or {}).get("cert_file")})

    def _prune_tls(self, keep: set[str | None]) -> None:
        tls_dir = self.dir / "tls"
        if not tls_dir.is_dir():
            return
        chains = sorted((p for p in tls_dir.glob("*.pem") if not p.name.endswith("-key.pem")),
                        key=lambda p: p.name, reverse=True)
        for old in chains[KEEP_TLS_FILES:]:
            if f"tls/{old.name}" in keep:
                continue
            old.unlink(missing_ok=True)
            old.with_name(old.stem + "-key.pem").unlink(missing_ok=True)

    def _admin(self, method: str, path: str) -> dict[str, Any]:
        runtime = self._runtime()
        token = (self.dir / "admin.token").read_text().strip()
        request = urllib.request.Request(
            f"http://{LOOPBACK}:{runtime.get('admin_port')}{path}", method=method,
            headers={"Authorization": f"Bearer {token}"}, data=b"" if method == "POST" else None,
        )
        try:
            with _no_proxy_opener().open(request, timeout=ADMIN_TIMEOUT) as response:
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as exc:
            try:
                return dict(json.loads(exc.read() or b"{}"))
            except ValueError:
                return {"ok": False, "error": f"HTTP {exc.code}"}
        except (OSError, ValueError) as exc:
            raise OperationError(
                f"{self.id}: the service's admin endpoint did not answer ({exc}); "
                "is the service running? (mlssl local list)"
            ) from None

    def stats(self) -> dict[str, Any]:
        """The service's counters (handshake failures, model readiness, served cert)."""
        return self._admin("GET", "/stats")

    # -- the service process ---------------------------------------------------------------
    @classmethod
    def create(cls, name: str, model: bytes, entry_script: str | None = None) -> LocalTarget:
        """Set up ``name``'s directory with a pickled model (and entry script) and start it."""
        target = cls(name)
        with target.lock():
            if target.exists() and target.running():
                raise InputError(
                    f"{target.id} is already running (pid {target._runtime().get('pid')}); "
                    f"stop it first: mlssl local stop {name}"
                )
            private_dir(target.dir)
            write_atomic(target.dir / "model.pkl", model, mode=0o600)
            entry = target.dir / "entry.py"
            if entry_script is not None:
                write_atomic(entry, entry_script.encode(), mode=0o600)
            else:
                entry.unlink(missing_ok=True)
            token = target.dir / "admin.token"
            if not token.exists():
                write_atomic(token, secrets.token_urlsafe(32).encode(), mode=0o600)
            if not target.exists():  # a redeploy of a stopped service keeps its TLS settings
                store.write_json(target.dir / "state.json", {
                    "name": name, "generation": 0, "created": _iso(_now()),
                    "ssl": {"status": "Disabled", "cname": None, "leaf_domain_label": None},
                    "tls": None, "fqdn": None, "auto": None, "published": [],
                })
            target.start()
        return target

    def start(self) -> None:
        log = open(self.dir / "service.log", "ab")  # noqa: SIM115 (the child owns it)
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlssl.targets.local.service", str(self.dir)],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env=child_environment(),  # no password variables
            start_new_session=True,  # outlives the kernel; stopped as a process group
            close_fds=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._runtime().get("pid") == proc.pid:
                break
            if proc.poll() is not None:
                raise OperationError(
                    f"{self.id}: the scoring service exited at start-up; see "
                    f"{self.dir / 'service.log'}: {_tail(self.dir / 'service.log')}"
                )
            time.sleep(0.02)
        else:
            kill_group(proc.pid)
            raise OperationError(f"{self.id}: the scoring service did not start within "
                                 f"{START_TIMEOUT:g} s; see {self.dir / 'service.log'}")
        state = self._state()
        if state.get("published"):
            nameserver.ensure_running()
            nameserver.publish(self._published_names(state))

    def stop(self) -> bool:
        """Stop the service process and delete the service (its keys too). History stays."""
        with self.lock():
            runtime = self._runtime()
            was_running = pid_alive(runtime.get("pid"))
            if was_running:
                kill_group(int(runtime["pid"]))
            state = store.read_json(self.dir / "state.json") or {}
            if state.get("published") and nameserver.running_port():
                nameserver.publish({}, list(state["published"]))
            for child in ("state.json", "service.json"):
                (self.dir / child).unlink(missing_ok=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        return was_running

    def scoring_uri(self, https: bool = False) -> str | None:
        runtime = self._runtime()
        if https:
            state = self._state()
            if not state.get("tls") or not runtime.get("https_port"):
                return None
            return f"https://{state.get('fqdn')}:{runtime['https_port']}/score"
        port = runtime.get("http_port")
        return f"http://{LOOPBACK}:{port}/score" if port else None

    def __repr__(self) -> str:
        return f"LocalTarget({self.id!r})"



def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])
