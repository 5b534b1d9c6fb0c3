"""The ``acme`` library's client, with ``badNonce`` retried and each CA fault in one line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jupyter_mlssl.errors import InputError, OperationError

#: ``acme``'s own ``post`` retries a ``badNonce`` once; ours replaces it. A CA may reject
#: several in a row (pebble rejects 5% by default) and a fresh nonce costs one HEAD, so we
#: try up to ten times: at 30% rejection, ten in a row happen once in 170,000 requests.
NONCE_ATTEMPTS = 10
#: The longest ``Retry-After`` we pass on: a CA's rate-limit windows are a week at most
#: (Let's Encrypt's longest); a later time is a broken header, not advice.
MAX_RETRY_AFTER = dt.timedelta(days=8)


class AcmeError(OperationError):
    """A fault of the CA or of the exchange with it, in one line the user can act on."""


class EabError(InputError):
    """External account binding missing or rejected."""


def make_network(jwk: Any, *, ca_bundle: str | None, timeout: float = 15.0) -> Any:
    """A ``ClientNetwork`` that retries ``badNonce`` and remembers the last response (for
    ``Retry-After`` on a rate limit)."""
    import josepy as jose
    from acme import client, messages

    class Network(client.ClientNetwork):  # type: ignore[misc]
        last_response: Any = None

        def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            response = super()._send_request(method, url, *args, **kwargs)
            self.last_response = response
            return response

        def post(self, *args: Any, **kwargs: Any) -> Any:
            for attempt in range(NONCE_ATTEMPTS):
                try:
                    return self._post_once(*args, **kwargs)
                except messages.Error as error:
                    if error.code != "badNonce" or attempt == NONCE_ATTEMPTS - 1:
                        raise
            raise AssertionError("unreachable")

    alg = jose.RS256 if isinstance(jwk, jose.JWKRSA) else jose.ES256
    # requests takes a CA bundle path where acme types a bool
    return Network(jwk, alg=alg, verify_ssl=ca_bundle or True,  # type: ignore[arg-type]
                   user_agent="jupyter-mlssl",
                   timeout=max(1, round(timeout)))


def retry_time(response: Any, now: dt.datetime | None = None) -> str | None:
    """The CA's ``Retry-After`` as a UTC time, if it gave one we can believe.

    Seconds or an HTTP date (RFC 9110 10.2.3). Read here, not with acme's
    ``ClientV2.retry_after``: that raises OverflowError on a huge number of seconds and
    misreads a date's zone offset as days. A wait beyond :data:`MAX_RETRY_AFTER`, or
    anything unreadable, gives None (the message then says "retry later"); a date in the
    past means now.
    """
    headers = getattr(response, "headers", None) if response is not None else None
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        if len(text) > 10:
            return None
        when = now + dt.timedelta(seconds=int(text))
    else:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            when = when.replace(tzinfo=dt.timezone.utc)
        when = max(when, now)
    if when - now > MAX_RETRY_AFTER:
        return None
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def translate(exc: BaseException, *, doing: str, directory: str, net: Any = None) -> Exception:
    """The one-line error for ``exc`` raised while ``doing`` (e.g. "create the account")."""
    import requests
    from acme import errors as acme_errors
    from acme import messages

    if isinstance(exc, (InputError, OperationError)):
        return exc
    if isinstance(exc, requests.exceptions.SSLError):
        return AcmeError(f"the ACME server at {directory} failed TLS verification ({_short(exc)}); "
                         "give its CA with --ca-bundle", code="acme_unreachable")
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return AcmeError(f"the ACME server at {directory} is unreachable ({_short(exc)}); check "
                         "the URL and the network, then try again", code="acme_unreachable")
    if isinstance(exc, messages.Error):
        code = exc.code or "error"
        detail = exc.detail or exc.description or code
        if code == "rateLimited":
            when = retry_time(getattr(net, "last_response", None))
            return AcmeError(f"the CA rate-limited us while we {doing}: {detail}"
                             + (f"; retry after {when}" if when else "; retry later"),
                             code="acme_rate_limited")
        if code == "externalAccountRequired":
            return EabError(f"the CA at {directory} requires external account binding: give "
                            "--eab-kid KID and --eab-hmac-env VAR (the HMAC key from the "
                            "CA's console)", code="acme_eab_missing")
        if doing == "create the account" and code in ("unauthorized", "malformed"):
            return EabError(f"the CA rejected the external account binding ({detail}): check "
                            "the key id and HMAC key", code="acme_eab_rejected")
        if code == "badNonce":
            return AcmeError(f"the CA rejected {NONCE_ATTEMPTS} nonces in a row while we "
                             f"{doing}; try again", code="acme_bad_nonce")
        return AcmeError(f"the CA refused to {doing}: {code}: {detail}", code=f"acme_{code}")
    if isinstance(exc, acme_errors.TimeoutError):
        return AcmeError(f"the CA did not finish in time while we {doing}; try again",
                         code="acme_timeout")
    if isinstance(exc, acme_errors.Error):
        return AcmeError(f"ACME: could not {doing}: {_short(exc)}", code="acme_error")
    return exc if isinstance(exc, Exception) else AcmeError(str(exc))


def _short(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
