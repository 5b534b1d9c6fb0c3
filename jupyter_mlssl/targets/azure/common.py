"""What every Azure target shares: calling with fault translation, the LRO-backed operation,
the certificate probe for ``status``, and the no-op lock.

Locking: Azure has no lease on these resources that a client could hold for the length of a
plan-apply-verify run. Instead each ``apply`` re-reads the resource and refuses if the TLS
settings differ from the ones its plan was made from (an optimistic check, like an etag
compare but on the fields this tool changes), and ARM itself answers a concurrent write with
409, which is reported. ``lock()`` is therefore a no-op context manager.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

from jupyter_mlssl.errors import OperationError
from jupyter_mlssl.pki.names import is_ip_address
from jupyter_mlssl.reports import Finding, Severity
from jupyter_mlssl.targets.azure.clients import AzureClients
from jupyter_mlssl.targets.azure.faults import Call, translate
from jupyter_mlssl.targets.azure.resource_id import ResourceRef
from jupyter_mlssl.targets.base import (
    Change,
    Plan,
    ProgressCallback,
    ServiceAddress,
    SslSettings,
    TargetStatus,
)

T = TypeVar("T")

#: Azure renews a Microsoft certificate only within this many days of expiry (azure-docs#56352)
RENEW_WINDOW_DAYS = 70


class AzureTarget:
    """Base of the four Azure targets."""

    kind = "azure"

    def __init__(self, ref: ResourceRef, clients: AzureClients) -> None:
        self.ref = ref
        self.id = ref.id
        self.clients = clients

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

    def call(self, call: Call, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call; any Azure fault becomes a one-line MlsslError."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise translate(exc, call) from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """A no-op: see the module docstring (optimistic check in ``apply`` instead)."""
        yield

    def endpoint(self, status: TargetStatus) -> ServiceAddress:
        """Where clients reach the service, as ``status`` says it answers.

        With a custom name (``cname``) the URL uses that name, since that is what clients
        and the certificate use (a service's own scoring URI may still show the Azure name).
        When the URL's host is the target's name and its address is known, the name is
        pinned to the address (``resolve``) so the certificate can be checked before and
        apart from DNS; the DNS check itself says whether the name points there.
        """
        ssl = status.ssl
        parts = urlsplit(status.scoring_uri) if status.scoring_uri else None
        if parts is not None and parts.scheme not in ("http", "https"):
            parts = None
        url: str | None
        if ssl.tls_on and ssl.cname:
            port = parts.port if parts is not None else None
            netloc = ssl.cname + (f":{port}" if port and port != 443 else "")
            url = f"https://{netloc}{(parts.path if parts is not None else '') or '/'}"
        elif parts is not None:
            url = status.scoring_uri
        elif status.fqdn or status.address:
            url = f"{'https' if ssl.tls_on else 'http'}://{status.fqdn or status.address}/"
        else:
            url = None
        resolve: tuple[str, ...] = ()
        target = urlsplit(url) if url else None
        if (target is not None and target.hostname and status.address and status.fqdn
                and target.hostname == status.fqdn.lower() and not is_ip_address(status.fqdn)):
            default = 443 if target.scheme == "https" else 80
            resolve = (f"{status.fqdn}:{target.port or default}:{status.address}",)
        return ServiceAddress(
            url=url,
            hostname=status.fqdn,
            expected_address=status.address,
            tls_expected=ssl.tls_on,
            resolve=resolve,
        )

    def refuse_blocked(self, plan: Plan) -> None:
        if plan.blocked:
            raise OperationError(
                f"{self.id}: the plan is blocked ({plan.summary()}); nothing applied"
            )

    def check_unchanged(self, plan: Plan, now: Any, key: str = "fingerprint") -> None:
        """The optimistic check: refuse if the target changed since ``plan`` was made."""
        if plan.state.get(key) != now:
            raise OperationError(
                f"{self.id}: its TLS settings changed since the plan was made (someone else is"
                " changing it?); make the plan again"
            )

    def new_status(self, ssl: SslSettings, **kw: Any) -> TargetStatus:
        return TargetStatus(target=self.id, kind=self.kind, ssl=ssl, **kw)

    def add_probe(self, status: TargetStatus) -> None:
        """Fill the certificate columns from a probe of the endpoint; never fails ``status``."""
        endpoint = self.endpoint(status)
        url = endpoint.url
        if not url or not url.lower().startswith("https://"):
            return
        observe = self.clients.observe
        if observe is None:  # the targets layer cannot probe by itself (see AzureClients)
            status.notes.append("certificate expiry not read: connect() was given no observer")
            return
        facts = observe(url, resolve=endpoint.resolve, timeout=self.clients.probe_timeout)
        status.certificate_not_after = facts.get("not_after")
        status.days_left = facts.get("days_left")
        status.certificate_fingerprint = facts.get("fingerprint")
        if facts.get("note"):
            status.notes.append(str(facts["note"]))




def diff(before: SslSettings, after: SslSettings, fields: tuple[str, ...]) -> list[Change]:
    """Plan lines for the fields that differ (certificate and key: by fingerprint)."""
    out = []
    b, a = before.to_dict(), after.to_dict()
    for name in fields:
        if name == "key":
            if after.key:
                out.append(Change("key", "(kept by Azure, not readable)" if before.tls_on else None,
                                  "******** " + after.key.fingerprint()))
            continue
        if b.get(name) != a.get(name):
            out.append(Change(name, _text(b.get(name)), _text(a.get(name))))
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# -- reading a body the service sent -------------------------------------------------------
# A body is the service's word, not its schema's: a field may be null, missing, or of another
# type (a list where an object belongs, a number for a name). Readers go through these, so
# what they cannot read is absent, never a TypeError three calls later.


def json_object(value: Any) -> dict:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def json_list(value: Any) -> list:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def json_text(value: Any) -> str | None:
    """``value`` when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def url_parts(value: Any) -> SplitResult | None:
    """``value`` split as a URL, or None when it is no string or does not parse (``urlsplit``
    raises ValueError on a bad IPv6 literal, ``.port`` on a port out of range)."""
    text = json_text(value)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises now, not in a caller)
    except ValueError:
        return None
    return parts


class RollbackImpossible:
    """The result of a rollback that cannot restore anything: waiting on it raises.

    It fails rather than reporting success so the workflow records "the rollback failed too"
    with this reason, instead of "previous settings restored", which would be false. No
    remote call is made: putting back a status without its certificate would only break more.
    """

    done = True

    def __init__(self, target_id: str, why: str) -> None:
        self._error = OperationError(f"{target_id}: nothing was restored: {why}",
                                     code="rollback_incomplete")

    def wait(self, timeout: float | None = None) -> TargetStatus:
        raise self._error


# -- operations -----------------------------------------------------------------------------
class PollerOperation:
    """An ``azure.core.polling.LROPoller`` seen as a :class:`base.Operation`."""

    def __init__(
        self,
        poller: Any,
        call: Call,
        finish: Callable[[], TargetStatus],
        progress: ProgressCallback | None = None,
    ) -> None:
        self._poller = poller
        self._call = call
        self._finish = finish
        self._progress = progress
        self._status: TargetStatus | None = None

    @property
    def done(self) -> bool:
        return bool(self._poller.done())

    def wait(self, timeout: float | None = None) -> TargetStatus:
        if self._status is not None:
            return self._status
        try:
            self._poller.wait(timeout)
            if not self._poller.done():
                raise OperationError(
                    f"{self._call.action}: still running after {timeout:g} s; Azure carries on in"
                    f" the background: run `mlssl status {self._call.ref.id}` later",
                    code="timeout",
                )
            self._poller.result()
        except Exception as exc:
            if self._progress:
                self._progress(f"{self._call.action}: failed")
            raise translate(exc, self._call) from None
        if self._progress:
            self._progress(f"{self._call.action}: done")
        self._status = self._finish()
        return self._status


def renew_window_finding(days_left: int | None) -> Finding | None:
    """Azure ignores a renew when the certificate has more than 70 days left."""
    if days_left is None:
        return Finding(
            "renew_window_unknown",
            Severity.INFO,
            f"the current certificate's expiry could not be read; Azure renews only within"
            f" {RENEW_WINDOW_DAYS} days of expiry",
        )
    if days_left > RENEW_WINDOW_DAYS:
        return Finding(
            "renew_noop",
            Severity.WARNING,
            f"the certificate expires in {days_left} days; Azure renews only within"
            f" {RENEW_WINDOW_DAYS} days of expiry, so this renew will do nothing",
        )
    return None
