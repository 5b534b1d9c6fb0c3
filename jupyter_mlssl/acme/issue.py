"""One ACME DNS-01 order: account, CAA, order, TXT records, validation, certificate.

The key is generated here and never leaves this machine (the CA gets a CSR). Records are
removed afterwards whatever happened. The ``acme`` library does the protocol; only the
polling is ours, because its pollers sleep one second before every look (two seconds per
certificate) whatever the CA says: we look again after ``Retry-After`` when the CA gives
one, otherwise after a short backoff (20 ms doubling to 1 s).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlssl.acme.network import AcmeError, EabError, make_network, translate
from jupyter_mlssl.acme.publishers import Publisher, wait_served
from jupyter_mlssl.errors import InputError
from jupyter_mlssl.secrets import Secret

DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Eab:
    """External account binding: the key id and the base64url HMAC key (a secret)."""

    kid: str
    hmac_key: Secret


@dataclass
class Issued:
    """A certificate and its key. ``key`` is a :class:`Secret`: it never prints."""

    names: list[str]
    fullchain_pem: str
    key: Secret
    order_url: str
    fingerprint: str
    not_after: dt.datetime
    directory: str
    timings: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Issued({', '.join(self.names)}, sha256 {self.fingerprint[:16]}..., "
                f"until {self.not_after:%Y-%m-%d}, order {self.order_url})")


def _backoff(response: Any, delay: float, deadline: float) -> float:
    """Sleep as the CA asks (``Retry-After``) or ``delay``; return the next delay."""
    wait = delay
    header = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    if header:
        try:
            wait = max(0.0, min(float(header), 10.0))
        except ValueError:
            pass
    time.sleep(max(0.0, min(wait, deadline - time.monotonic())))
    return min(delay * 2, 1.0)


class Session:
    """A client on one directory with its account, ready to order."""

    def __init__(self, directory: str, *, email: str | None = None, eab: Eab | None = None,
                 ca_bundle: str | None = None) -> None:
        from acme import client

        from jupyter_mlssl.acme.accounts import account_for

        self.directory = directory
        self.eab = eab
        self.account, self.jwk = account_for(directory, email)
        self.email = email
        self.net = make_network(self.jwk, ca_bundle=ca_bundle)
        try:
            self.client = client.ClientV2(client.ClientV2.get_directory(directory, self.net),
                                          self.net)
        except Exception as exc:
            raise translate(exc, doing="read the directory", directory=directory,
                            net=self.net) from None
        self._register()

    @property
    def caa_identities(self) -> list[str]:
        meta = getattr(self.client.directory, "meta", None)
        return list(getattr(meta, "caa_identities", None) or [])

    def _register(self, *, again: bool = False) -> None:
        from acme import errors as acme_errors
        from acme import messages

        if self.account.uri and not again:
            self.net.account = messages.RegistrationResource(
                uri=self.account.uri, body=messages.Registration())
            return
        extra: dict[str, Any] = {}
        if self.eab is not None:
            extra["external_account_binding"] = messages.ExternalAccountBinding.from_data(
                account_public_key=self.jwk.public_key(), kid=self.eab.kid,
                hmac_key=self.eab.hmac_key.reveal_text(), directory=self.client.directory)
        elif self.client.external_account_required():
            raise translate(messages.Error(typ="urn:ietf:params:acme:error:"
                                               "externalAccountRequired"),
                            doing="create the account", directory=self.directory)
        registration = messages.NewRegistration.from_data(
            email=self.email, terms_of_service_agreed=True, **extra)
        try:
            regr = self.client.new_account(registration)
            uri = regr.uri
        except acme_errors.ConflictError as conflict:  # the key already has an account
            uri = conflict.location
            self.net.account = messages.RegistrationResource(uri=uri,
                                                             body=messages.Registration())
        except Exception as exc:
            raise translate(exc, doing="create the account", directory=self.directory,
                            net=self.net) from None
        self.account.save_uri(uri)

    def new_order(self, csr_pem: bytes) -> Any:
        from acme import messages

        try:
            try:
                return self.client.new_order(csr_pem)
            except messages.Error as exc:
                if exc.code != "accountDoesNotExist":
                    raise
            self.account.forget_uri()  # the CA forgot the account (a test CA restarted)
            self.net.account = None  # else the new account is asked for under the old URL
            self._register(again=True)  # its faults are already one line: translate keeps them
            return self.client.new_order(csr_pem)
        except Exception as exc:
            raise translate(exc, doing="place the order", directory=self.directory,
                            net=self.net) from None


@dataclass
class PendingOrder:
    """An order whose TXT records are published (or shown, to be published by hand) and not
    yet validated: :func:`complete` finishes it, :func:`abandon` removes its records. The
    panel's Continue button is the pause between the two for ``--dns manual``."""

    names: list[str]
    session: Session
    publisher: Publisher
    order: Any
    key: Secret
    challenges: list[Any] = field(default_factory=list)
    published: list[tuple[str, str]] = field(default_factory=list)
    started: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def records(self) -> list[tuple[str, str]]:
        """The TXT records (name, value) the CA will look for."""
        return list(self.published)

    def __repr__(self) -> str:
        return f"PendingOrder({', '.join(self.names)}, {self.order.uri})"


def begin(
    names: Sequence[str],
    publisher: Publisher,
    *,
    directory: str,
    email: str | None = None,
    eab: Eab | None = None,
    ca_bundle: str | None = None,
    check_caa: bool = True,
    progress: Callable[[str], None] = lambda message: None,
    session: Session | None = None,
) -> PendingOrder:
    """Account, CAA, key and CSR, the order, and its TXT records published."""
    from acme import messages

    from jupyter_mlssl.acme.caa import check_caa as caa_check
    from jupyter_mlssl.pki import minting

    names = _names(names)
    started = time.monotonic()
    session = session or Session(directory, email=email, eab=eab, ca_bundle=ca_bundle)
    timings = {"account": time.monotonic() - started}
    if check_caa:
        caa_check(names, session.caa_identities, publisher.nameservers)
    request, key = minting.make_csr(names[0], names[1:])
    order = session.new_order(minting.csr_pem(request).encode("ascii"))
    progress(f"ACME order {order.uri}")
    if order.body.status == messages.STATUS_INVALID:
        raise AcmeError(f"the CA marked the order {order.uri} invalid: "
                        f"{_problem(order.body.error)}", code="acme_order_invalid")
    pending = PendingOrder(names, session, publisher, order, minting.key_pem(key),
                           started=started, timings=timings)
    try:
        pending.challenges = _publish(session, order, publisher, pending.published, progress)
    except BaseException:
        abandon(pending, progress)
        raise
    timings["published"] = time.monotonic() - started
    return pending


def complete(pending: PendingOrder, *, timeout: float = DEFAULT_TIMEOUT,
             progress: Callable[[str], None] = lambda message: None) -> Issued:
    """See the records served, answer the challenges, wait for validation, finalize and
    download; the records are removed afterwards whatever happened."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    session, publisher = pending.session, pending.publisher
    deadline = time.monotonic() + timeout
    try:
        _check_served(publisher, pending.published)
        for challb in pending.challenges:
            try:
                session.client.answer_challenge(challb, challb.response(session.jwk))
            except Exception as exc:
                raise translate(exc, doing="answer the challenge",
                                directory=session.directory, net=session.net) from None
        _wait_authorizations(session, pending.order, publisher, pending.published, deadline)
        pending.timings["validated"] = time.monotonic() - pending.started
        order = _finalize(session, pending.order, deadline)
    finally:
        abandon(pending, progress)
    chain = order.fullchain_pem
    leaf = x509.load_pem_x509_certificate(chain.encode("ascii"))
    pending.timings["issued"] = time.monotonic() - pending.started
    return Issued(
        names=pending.names, fullchain_pem=chain, key=pending.key, order_url=order.uri,
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),
        not_after=leaf.not_valid_after_utc, directory=session.directory,
        timings=pending.timings,
    )


def abandon(pending: PendingOrder,
            progress: Callable[[str], None] = lambda message: None) -> None:
    """Remove the order's TXT records (once)."""
    published, pending.published = list(pending.published), []
    _unpublish(pending.publisher, published, progress)


def issue(
    names: Sequence[str],
    publisher: Publisher,
    *,
    directory: str,
    email: str | None = None,
    eab: Eab | None = None,
    ca_bundle: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check_caa: bool = True,
    progress: Callable[[str], None] = lambda message: None,
    session: Session | None = None,
) -> Issued:
    """Obtain a certificate for ``names`` (the first is the common name) by DNS-01."""
    pending = begin(names, publisher, directory=directory, email=email, eab=eab,
                    ca_bundle=ca_bundle, check_caa=check_caa, progress=progress,
                    session=session)
    return complete(pending, timeout=timeout, progress=progress)


def _problem(error: Any) -> str:
    if error is None:
        return "no reason given"
    return f"{error.code or 'error'}: {error.detail or error.description or ''}".rstrip(": ")


def _names(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        name = str(name).strip().rstrip(".").lower()
        if not name:
            continue
        if name not in out:
            out.append(name)
    if not out:
        raise InputError("give at least one name (--cname)")
    return out


def _publish(session: Session, order: Any, publisher: Publisher,
             published: list[tuple[str, str]], progress: Callable[[str], None]) -> list[Any]:
    from acme import challenges, messages

    answers = []
    for authzr in order.authorizations:
        if authzr.body.status == messages.STATUS_VALID:
            continue  # the CA reuses an earlier validation
        domain = authzr.body.identifier.value
        challb = next((c for c in authzr.body.challenges
                       if isinstance(c.chall, challenges.DNS01)), None)
        if challb is None:
            raise AcmeError(f"the CA offers no dns-01 challenge for {domain}",
                            code="acme_no_dns01")
        name = challb.validation_domain_name(domain)
        value = challb.validation(session.jwk)
        progress(f"publishing TXT {name} in {publisher.label}")
        publisher.add(name, value)
        published.append((name, value))
        answers.append(challb)
    return answers


def _check_served(publisher: Publisher, published: list[tuple[str, str]]) -> None:
    by_name: dict[str, list[str]] = {}
    for name, value in published:
        by_name.setdefault(name, []).append(value)
    for name, values in by_name.items():
        ok, where, seen = wait_served(publisher, name, values)
        if not ok:
            raise AcmeError(
                f"TXT {name} is not visible after {publisher.propagation_timeout:g} s: "
                f"{where} answered {seen or 'nothing'}; check {publisher.label}",
                code="acme_txt_not_visible")


def _wait_authorizations(session: Session, order: Any, publisher: Publisher,
                         published: list[tuple[str, str]], deadline: float) -> None:
    from acme import messages

    from jupyter_mlssl.acme.publishers import query

    for authzr in order.authorizations:
        delay = 0.02
        while True:
            try:
                authzr, response = session.client.poll(authzr)
            except Exception as exc:
                raise translate(exc, doing="check the authorization",
                                directory=session.directory, net=session.net) from None
            status = authzr.body.status
            if status == messages.STATUS_VALID:
                break
            if status == messages.STATUS_INVALID:
                domain = authzr.body.identifier.value
                errors = [c.error for c in authzr.body.challenges if c.error is not None]
                detail = "; ".join(f"{e.code}: {e.detail}" for e in errors) or "no detail"
                name = f"_acme-challenge.{domain}"
                where, seen = query(name, "TXT", publisher.nameservers)
                raise AcmeError(
                    f"the CA could not validate {domain}: {detail}; meanwhile {where} "
                    f"answers TXT {name} with {seen or 'nothing'}",
                    code="acme_txt_not_visible")
            if time.monotonic() >= deadline:
                raise AcmeError(f"the CA did not validate {authzr.body.identifier.value} in "
                                "time; try again", code="acme_timeout")
            delay = _backoff(response, delay, deadline)


def _finalize(session: Session, order: Any, deadline: float) -> Any:
    from acme import errors as acme_errors
    from acme import messages

    try:
        order = session.client.begin_finalization(order)
    except messages.Error as exc:
        if exc.code != "orderNotReady":
            raise translate(exc, doing="finalize the order", directory=session.directory,
                            net=session.net) from None
    except Exception as exc:
        raise translate(exc, doing="finalize the order", directory=session.directory,
                        net=session.net) from None
    delay = 0.02
    response = None
    while True:
        body = order.body
        if body.status == messages.STATUS_VALID and body.certificate:
            try:
                # the library's own download, which poll_finalization wraps in a 1 s sleep
                cert = session.client._post_as_get(body.certificate)
            except Exception as exc:
                raise translate(exc, doing="download the certificate",
                                directory=session.directory, net=session.net) from None
            return order.update(fullchain_pem=cert.text)
        if body.status == messages.STATUS_INVALID:
            raise AcmeError(f"the CA marked the order {order.uri} invalid: "
                            f"{_problem(body.error)}", code="acme_order_invalid")
        if time.monotonic() >= deadline:
            raise translate(acme_errors.TimeoutError(), doing="finalize the order",
                            directory=session.directory)
        if response is not None:  # the first look is at once: pebble is often done by then
            delay = _backoff(response, delay, deadline)
            if body.status == messages.STATUS_READY:  # an earlier orderNotReady: finalize now
                try:
                    order = session.client.begin_finalization(order)
                except Exception as exc:
                    raise translate(exc, doing="finalize the order",
                                    directory=session.directory, net=session.net) from None
                continue
        try:
            response = session.client._post_as_get(order.uri)
        except Exception as exc:
            raise translate(exc, doing="finalize the order", directory=session.directory,
                            net=session.net) from None
        order = order.update(body=messages.Order.from_json(response.json()))


def _unpublish(publisher: Publisher, published: list[tuple[str, str]],
               progress: Callable[[str], None]) -> None:
    """Remove every record we added, even after a failure; a failed removal is reported
    (the record is harmless but should not stay)."""
    failures = []
    for name, value in published:
        try:
            publisher.remove(name, value)
        except Exception as exc:  # keep removing the others
            failures.append(f"{name}: {exc}")
    if failures:
        progress("could not remove TXT " + "; ".join(failures))


__all__ = ["Eab", "EabError", "Issued", "PendingOrder", "Session", "abandon", "begin",
           "complete", "issue"]
