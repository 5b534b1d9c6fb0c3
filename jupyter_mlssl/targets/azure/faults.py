"""Azure faults -> one-line messages a notebook user can act on.

azure-core raises ``HttpResponseError`` (and its subclasses), ``ServiceRequestError`` (never
reached the service), ``ServiceResponseError`` (connection lost or read timed out after the
request went out) and azure-identity's ``ClientAuthenticationError``. Retries of 408/429/5xx
and of connection faults are azure-core's ``RetryPolicy``'s job (Retry-After honoured); what
reaches this module has already been retried. Each fault becomes an ``OperationError`` (or
``InputError`` where the user's input is at fault) whose text:

* is one line, names the thing (the part of the ARM id for a 404, the permission for a 403),
* quotes the service's own code and message, scrubbed of anything that looks like key or
  certificate material (a service that echoes a bad PEM back must not put it in a notebook),
* for a write whose outcome is unknown (connection lost during the PUT/PATCH, wait timed
  out), says so and tells the user to look at ``mlssl status`` before trying again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jupyter_mlssl.errors import InputError, MlsslError, OperationError, RemoteError
from jupyter_mlssl.targets.azure.resource_id import ResourceRef

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(-----END [A-Z0-9 ]+-----|$)", re.S)
_BLOB = re.compile(r"[A-Za-z0-9+/=_-]{120,}")
_MAX = 300


def scrub(text: object) -> str:
    """One line, no PEM blocks, no long base64 runs, bounded length."""
    out = _PEM.sub("[pem redacted]", str(text))
    out = _BLOB.sub("[data redacted]", out)
    out = " ".join(out.split())
    return out if len(out) <= _MAX else out[: _MAX - 1] + "…"


@dataclass(frozen=True)
class Call:
    """What was being done when a fault happened, for the message."""

    ref: ResourceRef
    action: str  # "read compute 'aks1'", "PUT compute 'aks1'"
    permission: str  # the Azure RBAC action the call needs
    part: str = "name"  # which part of the id a plain 404 means (see ResourceRef.part)
    write: bool = False  # a PUT/PATCH that changes the target


def service_error(response: Any) -> tuple[str | None, str | None]:
    """``(code, message)`` from an ARM / MMS / LRO error body, whatever its nesting."""
    try:
        body = response.json()
    except Exception:
        return None, None
    if not isinstance(body, dict):
        return None, None
    err = body.get("error", body)
    if isinstance(err, dict) and isinstance(err.get("error"), dict):  # api 2018-11-19 nesting
        err = err["error"]
    if not isinstance(err, dict):
        return None, scrub(err)
    code = err.get("code")
    message = err.get("message")
    return (str(code) if code else None), (scrub(message) if message else None)


def _lro_state(response: Any) -> str | None:
    try:
        body = response.json()
    except Exception:
        return None
    if isinstance(body, dict):
        state = body.get("status") or body.get("state")
        if isinstance(state, str) and state.lower() in ("failed", "canceled", "cancelled"):
            return "Canceled" if state.lower().startswith("cancel") else "Failed"
    return None


def translate(exc: BaseException, call: Call) -> MlsslError:
    """The one-line error for ``exc`` raised while doing ``call``."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, MlsslError):
        return exc
    ref = call.ref
    if isinstance(exc, HttpResponseError) and exc.response is not None:
        return _http(exc, call)
    if isinstance(exc, ClientAuthenticationError):  # raised by the credential, no HTTP status
        return OperationError(
            f"{call.action}: no Azure token ({scrub(exc.message)[:160]}); sign in with `az login`,"
            " set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or pass"
            " credential=DeviceCodeCredential(...)",
            code="auth",
        )
    if isinstance(exc, ServiceResponseError):
        if call.write:
            return OperationError(
                f"{call.action}: the connection was lost after the request was sent"
                f" ({_reason(exc)}); the change may or may not have been applied: run"
                f" `mlssl status {ref.id}` before trying again",
                code="outcome_unknown",
            )
        return OperationError(
            f"{call.action}: the connection to Azure was lost ({_reason(exc)}); try again",
            code="connection",
        )
    if isinstance(exc, ServiceRequestError):
        reason = _reason(exc)
        if "CERTIFICATE_VERIFY_FAILED" in reason or "SSL" in reason:
            return OperationError(
                f"{call.action}: TLS to Azure failed ({reason}); if a proxy re-signs traffic, "
                "point REQUESTS_CA_BUNDLE at its CA bundle",
                code="tls",
            )
        return OperationError(
            f"{call.action}: cannot reach Azure ({reason}); check the network, proxy "
            "settings and the ARM endpoint",
            code="connection",
        )
    return OperationError(f"{call.action}: {type(exc).__name__}: {scrub(exc)}", code="unexpected")


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "inner_exception", None) or exc.__cause__ or exc
    text = scrub(inner)
    return (text[:140] + "…") if len(text) > 140 else text


# One branch per HTTP status, each with its own message and fix: kept as one flat table of
# cases (61 lines) because splitting it would scatter what a reader compares side by side.
def _http(exc: Any, call: Call) -> MlsslError:
    ref = call.ref
    response = exc.response
    status = int(exc.status_code or response.status_code or 0)
    code, message = service_error(response)
    said = f"{code}: {message}" if code and message else (message or code or str(exc.reason))
    state = _lro_state(response)
    if state is not None:
        return RemoteError(
            status, call.action,
            f"{call.action}: the operation ended {state}: {said}; run `mlssl status {ref.id}`"
            " to see which settings are in place",
            code=f"lro_{state.lower()}",
        )
    if status == 401:
        return RemoteError(
            status, call.action,
            f"{call.action}: Azure rejected the credential (401 {code or 'Unauthorized'}); sign"
            f" in again with an identity of the tenant that owns subscription"
            f" '{ref.subscription}'",
            code="unauthorized",
        )
    if status == 403:
        return RemoteError(
            status, call.action,
            f"{call.action}: permission denied (403 {code or 'Forbidden'}); your identity"
            f" needs '{call.permission}' on {ref.id} (for example the Contributor role)",
            code="forbidden",
        )
    if status == 404:
        return _not_found(call, code)
    if status == 409:
        return RemoteError(
            status, call.action,
            f"{call.action}: refused with 409 ({said}); another operation is probably running"
            " on it: wait for it to finish, then try again",
            code="conflict",
        )
    if status == 429:
        after = str(response.headers.get("Retry-After") or "") if response.headers else ""
        # echoed only as a plausible number of seconds (a date in 9999, or 5,000 digits,
        # says nothing a person can act on)
        seconds = after.strip()
        plausible = seconds.isascii() and seconds.isdigit() and int(seconds[:7]) <= 86400
        when = f"retry after {int(seconds)} s" if plausible else "retry in a minute"
        return RemoteError(
            status, call.action,
            f"{call.action}: Azure is throttling requests (429) even after retries; {when}",
            code="throttled",
        )
    if status >= 500:
        tail = (
            f"; the change may or may not have been applied: run `mlssl status {ref.id}`"
            if call.write
            else "; try again later"
        )
        return RemoteError(
            status, call.action,
            f"{call.action}: Azure failed with {status} ({said}) after retries{tail}",
            code="server_error",
        )
    return RemoteError(
        status, call.action,
        f"{call.action}: Azure refused the request ({status} {said})", code=f"http_{status}"
    )


def _not_found(call: Call, code: str | None) -> InputError:
    """A 404 names the part of the id that does not exist: the user's to fix."""
    ref = call.ref
    part = call.part
    if code in ("SubscriptionNotFound", "InvalidSubscriptionId"):
        part = "subscription"
    elif code == "ResourceGroupNotFound":
        part = "resource_group"
    elif code == "ParentResourceNotFound":
        part = ref.parent
    return InputError(
        f"{ref.id}: {ref.part(part)} was not found (404 {code or 'NotFound'}); check that"
        " part of the id",
        code="not_found",
    )
