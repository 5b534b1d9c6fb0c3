"""When a certificate's renewal is due.

cert-manager's rule, which is also what ACME clients do without a renewal window from the CA:
renew when one third of the lifetime is left. A certificate this machine ordered by ACME
(``enable|update --acme``, remembered for ``renew``) follows its CA's renewal window instead
when the CA publishes one (ACME Renewal Information, RFC 9773): :func:`add_acme_windows` asks,
through the same :func:`jupyter_mlssl.acme.renewal.renewal_due` that ``renew`` decides by, so
``watch`` calls a row due exactly when ``renew`` would act on it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.pki.facts import renewal_point

if TYPE_CHECKING:
    from jupyter_mlssl.fleet.rows import FleetRow

#: ARI lookups at once, and the seconds each request to a CA may take: the window is advice,
#: an unreachable CA only means the lifetime rule holds
ACME_CONCURRENCY = 8
ACME_TIMEOUT = 5.0


def renewal_due(not_before: dt.datetime | None,
                not_after: dt.datetime | None) -> dt.datetime | None:
    """When the certificate should be renewed by the lifetime rule (a third of it left, as
    ``cert inspect`` and ``renew`` judge); None when its dates are not known."""
    if not_before is None or not_after is None:
        return None
    return renewal_point(not_before, not_after)


async def add_acme_windows(rows: list[FleetRow], *,
                           timeout: float = ACME_TIMEOUT) -> None:
    """For each row whose certificate this machine ordered by ACME: kind ACME, and renewal
    due from the CA's window (or a third of that certificate's lifetime when the CA gives
    none). One directory client per CA; a row whose served certificate is no longer the one
    ordered (someone replaced it) keeps the lifetime rule."""
    from jupyter_mlssl.acme import renewal as acme_renewal

    records = await asyncio.to_thread(_records, rows, acme_renewal.managed)
    if not records:
        return
    clients: dict[tuple[str, str | None], Any] = {}
    gate = asyncio.Semaphore(ACME_CONCURRENCY)

    async def client_for(record: dict[str, Any]) -> Any:
        key = (str(record["directory"]), record.get("acme_ca_bundle"))
        if key not in clients:  # made once per CA; concurrent rows wait on the same task
            clients[key] = asyncio.ensure_future(asyncio.to_thread(
                acme_renewal.directory_client, key[0], key[1], timeout=timeout))
        return await clients[key]

    async def one(row: FleetRow, record: dict[str, Any]) -> None:
        pem = str(record["certificate"]).encode("ascii")
        not_before, not_after = _dates(pem)
        if row.not_after is not None and abs(row.not_after - not_after) > dt.timedelta(
                seconds=1):
            return  # serving another certificate than the one ordered
        row.cert_kind = "ACME"
        async with gate:
            client = await client_for(record)
            row.renewal_due = await asyncio.to_thread(acme_renewal.renewal_due, pem,
                                                      client=client)
        row.not_before = row.not_before or not_before
        row.not_after = row.not_after or not_after

    await asyncio.gather(*(one(row, record) for row, record in records))


def _records(rows: list[FleetRow], managed: Any) -> list[tuple[FleetRow, dict[str, Any]]]:
    found = []
    for row in rows:
        if row.error or row.tls == "Disabled":
            continue
        record = managed(row.target)
        if record and record.get("certificate") and record.get("directory"):
            found.append((row, record))
    return found


def _dates(pem: bytes) -> tuple[dt.datetime, dt.datetime]:
    from cryptography import x509

    leaf = x509.load_pem_x509_certificate(pem)
    return leaf.not_valid_before_utc, leaf.not_valid_after_utc
