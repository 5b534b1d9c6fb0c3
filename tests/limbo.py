"""Run x509-limbo's web-PKI server cases through ``inspect`` and map each report to a verdict.

The vendored cases (``tests/data/limbo/``, README there) are the public suite's SERVER
validations without CRLs. Each case becomes one ``inspect`` call:

* presented certificates: the peer certificate, then the untrusted intermediates, as one
  PEM file (what a server sends; its order is the suite's, not necessarily leaf first);
* ``ca_bundle``: the trusted certificates as one PEM file (none: an empty file);
* ``now``: the case's validation time, else the current time (the suite's rule: its
  certificates are valid from 1970 for a thousand years unless a case says otherwise);
* ``cname``: the expected peer name (a DNS name or an IP address), if any.

The report *rejects* the path when it holds an error whose code is in
:data:`jupyter_mlssl.certificates.codes.PATH_REJECTED` (a client would refuse the
connection, or the web PKI forbids the key: weak_key). The product's stricter lint
(validity_too_long, the no_san warning, chain_order, weak_signature on a root,
expiring_soon, converted, no_key) does not reject: it is advice on top of what clients
enforce. Shared by ``tests/test_limbo.py`` and
``benchmarks/limbo_openssl.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

LIMBO_JSON = Path(__file__).parent / "data" / "limbo" / "limbo-webpki.json"


@dataclass(frozen=True)
class Case:
    id: str
    expected: str  # "SUCCESS" or "FAILURE"
    peer: str
    intermediates: tuple[str, ...]
    trusted: tuple[str, ...]
    when: dt.datetime | None
    peer_name: tuple[str, str] | None  # (kind, value): ("DNS", "example.com") / ("IP", ...)
    max_chain_depth: int | None
    extended_key_usage: tuple[str, ...]
    key_usage: tuple[str, ...]
    description: str

    @property
    def accepts(self) -> bool:
        return self.expected == "SUCCESS"

    def presented_pem(self) -> bytes:
        return "".join((self.peer, *self.intermediates)).encode()

    def trusted_pem(self) -> bytes:
        return "".join(self.trusted).encode()


def _case(raw: dict[str, Any]) -> Case:
    when = raw.get("validation_time")
    name = raw.get("expected_peer_name")
    return Case(
        id=raw["id"],
        expected=raw["expected_result"],
        peer=raw["peer_certificate"],
        intermediates=tuple(raw["untrusted_intermediates"]),
        trusted=tuple(raw["trusted_certs"]),
        when=dt.datetime.fromisoformat(when) if when else None,
        peer_name=(name["kind"], name["value"]) if name else None,
        max_chain_depth=raw.get("max_chain_depth"),
        extended_key_usage=tuple(raw.get("extended_key_usage") or ()),
        key_usage=tuple(raw.get("key_usage") or ()),
        description=raw.get("description", ""),
    )


@lru_cache(maxsize=1)
def cases() -> tuple[Case, ...]:
    data = json.loads(LIMBO_JSON.read_text())
    return tuple(_case(raw) for raw in data["testcases"])


def rejecting_codes(report: Any) -> list[str]:
    """The codes in ``report`` that make it reject the path (empty: accepted)."""
    from jupyter_mlssl.certificates.codes import PATH_REJECTED
    from jupyter_mlssl.reports import Severity

    return [f.code for f in report.findings
            if f.severity == Severity.ERROR and f.code in PATH_REJECTED]


def inspect_case(case: Case, workdir: Path) -> Any:
    """The product's report on one case (``workdir``: where the trust bundle is written)."""
    from jupyter_mlssl.certificates import inspect

    bundle = workdir / f"{case.id.replace(':', '_')}-trusted.pem"
    bundle.write_bytes(case.trusted_pem())
    return inspect(case.presented_pem(), name="presented.pem", ca_bundle=bundle,
                   cname=case.peer_name[1] if case.peer_name else None,
                   now=case.when or dt.datetime.now(dt.timezone.utc))


def product_accepts(case: Case, workdir: Path | None = None) -> bool:
    if workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return not rejecting_codes(inspect_case(case, Path(tmp)))
    return not rejecting_codes(inspect_case(case, workdir))
