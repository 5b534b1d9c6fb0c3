"""The local target's ``apply`` and ``rollback``: the next state, the TLS files, the published
names, and the commit the running service reloads."""

from __future__ import annotations

import json
from typing import Any

from jupyter_mlssl.errors import OperationError
from jupyter_mlssl.secrets import Secret
from jupyter_mlssl.store.files import private_dir, write_atomic
from jupyter_mlssl.targets.base import (
    CompletedOperation,
    Plan,
    ProgressCallback,
)
from jupyter_mlssl.targets.local import nameserver, store
from jupyter_mlssl.targets.local.plan import WithPlan
from jupyter_mlssl.targets.local.target import (
    KEEP_TLS_FILES,
    _cert_facts,
    _iso,
    _now,
)


class WithApply(WithPlan):
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
