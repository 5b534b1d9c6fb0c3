"""When a certificate is due, and ``renew_target``: renew whatever a target has.

- ACME-managed (enabled with ``--acme``; the order's settings are kept in
  ``<state>/acme/managed/``, no secrets, only the name of the EAB variable): re-issue and
  install through the change workflow.
- Microsoft-provided: Azure's renew (``update --renew``).
- Own certificate: cannot; says which command makes the CSR to send to its CA.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.errors import InputError, OperationError
from jupyter_mlssl.pki.facts import renewal_point
from jupyter_mlssl.reports import Report
from jupyter_mlssl.reports.table import Table
from jupyter_mlssl.store.files import private_dir, write_atomic
from jupyter_mlssl.store.paths import state_dir

if TYPE_CHECKING:
    import pandas as pd


@dataclass(repr=False)
class NotDue(Report):
    """``renew`` found nothing to do yet: when the certificate is due, and by which rule."""

    target: str
    due: dt.datetime
    rule: str

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"renew {self.target}: not due yet"

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "outcome": "not_due", "due": self.due.isoformat(),
                "rule": self.rule}

    def _rows(self) -> list[list[str]]:
        return [[self.target, "not due", f"{self.due:%Y-%m-%d %H:%M} UTC", self.rule]]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._rows(), columns=["target", "outcome", "due", "rule"])

    def text_tables(self) -> list[Table]:
        return [Table(self.title, ["target", "outcome", "due", "rule"], self._rows())]


def renewal_due(cert_pem: str | bytes, *, directory: str | None = None,
                ca_bundle: str | None = None, client: Any = None,
                timeout: float = 15.0) -> dt.datetime:
    """When to renew ``cert_pem`` (UTC): a time in the CA's ARI window (RFC 9773) when its
    ACME ``directory`` (or an ``acme.client.ClientV2``, see :func:`directory_client`) offers
    renewal information, else when a third of the certificate's lifetime is left. ARI is
    advice: if the CA does not answer (within ``timeout`` seconds per request), the lifetime
    rule holds."""
    from cryptography import x509

    pem = cert_pem.encode("ascii") if isinstance(cert_pem, str) else cert_pem
    if client is None and directory:
        client = directory_client(directory, ca_bundle, timeout=timeout)
    if client is not None:
        try:
            when, _ask_again = client.renewal_time(pem)
        except Exception:  # ARI is advice: the lifetime rule still holds
            when = None
        if when is not None:
            return when.astimezone(dt.timezone.utc)  # type: ignore[no-any-return]
    leaf = x509.load_pem_x509_certificate(pem)
    return renewal_point(leaf.not_valid_before_utc, leaf.not_valid_after_utc)


def directory_client(directory: str, ca_bundle: str | None, *, timeout: float = 15.0) -> Any:
    """A client that only reads (the directory, renewal information): no account needed.
    None when the CA does not answer. One client serves many :func:`renewal_due` calls."""
    from acme import client

    from jupyter_mlssl.acme.network import make_network

    net = make_network(None, ca_bundle=ca_bundle, timeout=timeout)
    try:
        return client.ClientV2(client.ClientV2.get_directory(directory, net), net)
    except Exception:  # unreachable CA: the lifetime rule
        return None


def _managed_file(target_id: str) -> Any:
    digest = hashlib.sha256(target_id.encode()).hexdigest()[:20]
    return private_dir(state_dir() / "acme" / "managed") / f"{digest}.json"


def remember(target_id: str, settings: Mapping[str, Any]) -> None:
    """Keep how ``target_id``'s certificate was ordered (no secret: the EAB variable's name)."""
    data = {"target": target_id, **settings}
    write_atomic(_managed_file(target_id), json.dumps(data, indent=2).encode(), mode=0o600)


def managed(target_id: str) -> dict[str, Any] | None:
    path = _managed_file(target_id)
    return json.loads(path.read_text()) if path.exists() else None


def renew_target(target_id: str, *, target: Any = None, force: bool = False,
                 now: dt.datetime | None = None, yes: bool = True,
                 confirm: Callable[[str], bool] | None = None, dry_run: bool = False,
                 ca_bundle: str | None = None, verify: bool = True,
                 environ: Mapping[str, str] | None = None,
                 progress: Callable[[str], None] = lambda message: None,
                 credential: Any = None, arm_endpoint: str | None = None) -> Any:
    """Renew whatever ``target_id`` has; returns the change report, or :class:`NotDue` when
    an ACME-managed certificate is not due yet (:func:`renewal_due`) and not ``force``.
    ``mlssl renew`` and ``mlssl watch --renew`` call this."""
    from jupyter_mlssl.change.settings import settings_from_options
    from jupyter_mlssl.change.targets import open_for_change
    from jupyter_mlssl.change.workflow import change

    target = target or open_for_change(target_id, credential=credential,
                                       arm_endpoint=arm_endpoint)
    record = managed(target.id)
    if record is not None:
        if not force and record.get("certificate"):
            due = renewal_due(record["certificate"], directory=record.get("directory"),
                              ca_bundle=record.get("acme_ca_bundle"))
            if due > (now or dt.datetime.now(dt.timezone.utc)):
                return NotDue(target.id, due, "the CA's renewal window (ARI) or a third of "
                              "the lifetime left; --force renews now")
        return enable_with_acme(target, record, action="renew", yes=yes, confirm=confirm,
                                dry_run=dry_run, ca_bundle=ca_bundle, verify=verify,
                                environ=environ, progress=progress, credential=credential,
                                arm_endpoint=arm_endpoint)
    status = target.status()
    ssl = status.ssl
    if getattr(ssl, "leaf_domain_label", None):
        desired = settings_from_options(renew=True, current=ssl)
        return change(target, desired, action="renew", dry_run=dry_run, yes=yes,
                      confirm=confirm, verify=verify, ca_bundle=ca_bundle, progress=progress)
    cname = getattr(ssl, "cname", None) or "NAME"
    raise OperationError(
        f"{target.id} uses its own certificate: mlssl cannot renew it. Make a key and CSR "
        f"(mlssl cert csr --cname {cname} --out-csr {cname}.csr --out-key {cname}.key), "
        f"send the CSR to your CA, then mlssl update {target.id} --cert CERT --key "
        f"{cname}.key --cname {cname}; or switch to a free certificate: mlssl update "
        f"{target.id} --acme --cname {cname} ...", code="renew_own_certificate")


def publisher_for(dns: str | None, dns_zone: str | None, *, ask: Any = None,
                  credential: Any = None, arm_endpoint: str | None = None,
                  names: list[str] | None = None) -> Any:
    """The publisher for ``--dns-zone`` / ``--dns local://NAME | manual``. Records published
    by hand for names in the local zone are looked for at the local nameserver, others
    through the system resolver."""
    from jupyter_mlssl.acme import publishers

    if dns_zone:
        return publishers.AzureDnsPublisher(dns_zone, credential=credential,
                                            arm_endpoint=arm_endpoint)
    if dns and dns.startswith("local://"):
        return publishers.LocalPublisher(dns)
    if dns == "manual":
        if ask is None:
            raise InputError("--dns manual needs someone to publish the records: run it in a "
                             "terminal or a notebook")
        from jupyter_mlssl.targets.local import nameserver

        local = bool(names) and all(nameserver.in_zone(n) for n in names or [])
        return publishers.ManualPublisher(ask, nameservers=[
            (publishers.LOOPBACK, nameserver.ensure_running())] if local else None)
    raise InputError("say where the _acme-challenge TXT records go: --dns-zone ZONE_ID, "
                     "--dns local://NAME or --dns manual")


def eab_from(kid: str | None, hmac_env: str | None, environ: Mapping[str, str] | None) -> Any:
    from jupyter_mlssl.acme.issue import Eab
    from jupyter_mlssl.secrets import Secret

    if not kid and not hmac_env:
        return None
    if not (kid and hmac_env):
        raise InputError("external account binding needs both --eab-kid and --eab-hmac-env")
    env = os.environ if environ is None else environ
    if hmac_env not in env:
        raise InputError(f"--eab-hmac-env {hmac_env}: no such environment variable; set it "
                         f"first (export {hmac_env}=...)")
    return Eab(kid, Secret(env[hmac_env]))


def begin_order(order: Mapping[str, Any], publisher: Any, *,
                environ: Mapping[str, str] | None,
                progress: Callable[[str], None]) -> Any:
    """Place ``order`` (``names``, ``directory``, ``email``, ``eab_kid``, ``eab_hmac_env``,
    ``acme_ca_bundle``: what ``mlssl``'s flags and the panel's fields give) with its TXT
    records going to ``publisher``; the one place those settings become an ACME order.
    ``issue.complete`` finishes it."""
    from jupyter_mlssl.acme.issue import begin

    return begin(order["names"], publisher, directory=order["directory"],
                 email=order.get("email"),
                 eab=eab_from(order.get("eab_kid"), order.get("eab_hmac_env"), environ),
                 ca_bundle=order.get("acme_ca_bundle"), progress=progress)


def enable_with_acme(target: Any, order: Mapping[str, Any], *, action: str, yes: bool,
                     confirm: Callable[[str], bool] | None, dry_run: bool,
                     ca_bundle: str | None, verify: bool,
                     environ: Mapping[str, str] | None,
                     progress: Callable[[str], None], ask: Any = None,
                     credential: Any = None, arm_endpoint: str | None = None) -> Any:
    """Order a certificate for ``order['names']`` and install it on ``target`` in one
    change. The key is made here and goes only to the target. ``order``: names, dns,
    dns_zone, directory, email, eab_kid, eab_hmac_env, acme_ca_bundle."""
    from jupyter_mlssl.acme.issue import complete
    from jupyter_mlssl.change.workflow import change

    names = list(order["names"])
    if dry_run:  # nothing is ordered: the plan is shown with a stand-in certificate
        desired, stand_in_ca = stand_in(names)
        return change(target, desired, action=action, dry_run=True, yes=yes,
                      confirm=confirm, verify=verify, ca_bundle=stand_in_ca, progress=progress)
    publisher = publisher_for(order.get("dns"), order.get("dns_zone"), ask=ask,
                              credential=credential, arm_endpoint=arm_endpoint, names=names)
    issued = complete(begin_order(order, publisher, environ=environ, progress=progress),
                      progress=progress)
    return install_issued(target, issued, order, action=action, yes=yes, confirm=confirm,
                          ca_bundle=ca_bundle, verify=verify, progress=progress)


def stand_in(names: list[str]) -> tuple[Any, str]:
    """Settings with a stand-in certificate for ``names`` (from a throwaway CA, one day), and
    that CA's file: what a plan shows before the real certificate is ordered."""
    from jupyter_mlssl.change.settings import settings_from_options
    from jupyter_mlssl.pki import minting

    ca_cert, ca_key = minting.make_ca("mlssl ACME plan stand-in (not a real CA)", days=1)
    leaf, key = minting.issue_leaf(ca_cert, ca_key, list(names), days=1)
    path = private_dir(state_dir() / "acme") / "stand-in-ca.pem"
    write_atomic(path, minting.cert_pem(ca_cert).encode("ascii"), mode=0o600)
    desired = settings_from_options(cert=minting.cert_pem(leaf).encode("ascii"),
                                    key=minting.key_pem(key).reveal(), cname=names[0])
    return desired, str(path)


def install_issued(target: Any, issued: Any, order: Mapping[str, Any], *, action: str | None,
                   yes: bool, confirm: Callable[[str], bool] | None, ca_bundle: str | None,
                   verify: bool, progress: Callable[[str], None]) -> Any:
    """Record the order, check the chain, install through the change workflow (with the
    name's record in the same plan when ``order['point']`` names a zone, as
    ``enable --dns-zone`` does), and remember the order's settings for ``renew`` once the
    change applied."""
    from jupyter_mlssl.change.settings import settings_from_options
    from jupyter_mlssl.change.workflow import change
    from jupyter_mlssl.store import history

    names = list(issued.names)
    action = action or ("update" if target.status().ssl.tls_on else "enable")
    history.record(target=target.id, action=f"acme order ({action})", outcome="issued",
                   after_fingerprint=issued.fingerprint,
                   after_not_after=issued.not_after.isoformat(), fqdn=names[0],
                   message=f"order {issued.order_url}")
    _check_chain(issued, ca_bundle)  # the trust store the verification probe will use
    desired = settings_from_options(cert=issued.fullchain_pem.encode("ascii"),
                                    key=issued.key.reveal(), cname=names[0])
    point = order.get("point")
    report: Any
    if point:
        from jupyter_mlssl.change.dns_change import change_with_dns

        report = change_with_dns(target, desired, zone=point["zone"], record=point.get("record"),
                                 ttl=point.get("ttl") or 300, action=action, yes=yes,
                                 confirm=confirm, verify=verify, ca_bundle=ca_bundle,
                                 progress=progress)
    else:
        report = change(target, desired, action=action, dry_run=False, yes=yes,
                        confirm=confirm, verify=verify, ca_bundle=ca_bundle, progress=progress)
    if getattr(report, "exit_status", 1) == 0:
        from jupyter_mlssl.pki.pem import pem_blocks

        blocks, _truncated = pem_blocks(issued.fullchain_pem.encode("ascii"), limit=1)
        remember(target.id, {**order, "certificate": blocks[0][1].decode("ascii") + "\n"})
    return report


def _check_chain(issued: Any, trust_bundle: str | None) -> None:
    """The certificate toolkit checks the chain before it is installed."""
    from jupyter_mlssl.certificates import inspect as inspect_certificate
    from jupyter_mlssl.reports import Severity

    report = inspect_certificate(issued.fullchain_pem.encode("ascii"), key=issued.key.reveal(),
                                 cname=issued.names[0], ca_bundle=trust_bundle)
    errors = [f for f in report.findings if f.severity == Severity.ERROR]
    if errors:
        raise OperationError(f"the issued certificate failed its check: {errors[0].message}",
                             code="acme_chain")
