"""Fill the rows from live probes, the history and the renewal rules."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from jupyter_mlssl.fleet.renewal import add_acme_windows, renewal_due
from jupyter_mlssl.fleet.rows import FleetRow, parse_utc, utc

#: issuers whose certificates come from ACME (a hint when the history does not say)
ACME_ISSUERS = ("let's encrypt", "pebble", "zerossl", "buypass", "acme")


async def fill(rows: list[FleetRow], *, probe: bool, ca_bundle: str | None, timeout: float,
               concurrency: int, now: dt.datetime) -> None:
    """Complete listed rows: the history, then (with ``probe``) the live probes, then days
    left and renewal due. The inventory and ``watch TARGET ...`` both end here."""
    await asyncio.to_thread(add_history, rows)
    if probe:
        await probe_rows(rows, ca_bundle=ca_bundle, timeout=timeout, concurrency=concurrency,
                         now=now)
    await add_acme_windows(rows)
    settle(rows, now)


async def probe_rows(rows: list[FleetRow], *, ca_bundle: str | None, timeout: float,
                     concurrency: int, now: dt.datetime) -> None:
    """Probe every row that has an address to probe (https and plain http alike)."""
    from jupyter_mlssl.probing import aprobe_many

    groups: dict[str | None, list[FleetRow]] = {}
    for row in rows:
        if row.scoring_uri and not row.error:
            groups.setdefault(row.extra.get("ca_bundle") or ca_bundle, []).append(row)

    async def one_group(bundle: str | None, members: list[FleetRow]) -> None:
        resolve = sorted({r for row in members for r in row.extra.get("resolve", [])})
        report = await aprobe_many([row.scoring_uri or "" for row in members],
                                   ca_bundle=bundle, resolve=resolve, timeout=timeout,
                                   concurrency=concurrency, now=now, redirect_port=None)
        for row, result in zip(members, report.results, strict=True):
            apply_probe(row, result)

    await asyncio.gather(*(one_group(b, m) for b, m in groups.items()))


def apply_probe(row: FleetRow, result: Any) -> None:
    row.probe = result.verdict
    if result.error and result.verdict != "ok":
        row.detail = "; ".join(p for p in (row.detail, str(result.error)) if p)
    if result.chain:
        leaf = result.chain[0]
        row.not_before = utc(leaf.not_before)
        row.not_after = utc(leaf.not_after)
        if row.cert_kind == "own" and any(n in leaf.issuer.lower() for n in ACME_ISSUERS):
            row.cert_kind = "ACME"
    if result.days_left is not None:
        row.days_left = result.days_left


def add_history(rows: list[FleetRow]) -> None:
    """The last recorded change of each target (this machine's history), and what it says
    about the certificate's kind and expiry when nothing better is known."""
    from jupyter_mlssl.store import history

    latest = history.latest_per_target()
    for row in rows:
        found = latest.get(row.target.lower())
        if found is None:
            continue
        entry = found
        row.last_change = f"{entry['time'][:16]} {entry['action']} {entry['outcome']}"
        said = f"{entry.get('action')} {entry.get('message') or ''}".lower()
        if "acme" in said and row.tls == "Enabled":
            row.cert_kind = "ACME"
        if row.not_after is None and entry.get("after_not_after") and row.tls != "Disabled":
            row.not_after = parse_utc(str(entry["after_not_after"]))


def settle(rows: list[FleetRow], now: dt.datetime) -> None:
    """Days left and renewal due, once the dates are known."""
    for row in rows:
        row.as_of = now
        if row.not_after is not None and row.days_left is None:
            row.days_left = (row.not_after - now).days
        if row.tls != "Disabled" and row.renewal_due is None:  # none from the CA's window
            row.renewal_due = renewal_due(row.not_before, row.not_after)
