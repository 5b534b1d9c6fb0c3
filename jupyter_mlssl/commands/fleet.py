"""``mlssl fleet`` and ``mlssl watch``: the inventory, and the check for cron and CI."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mlssl.commands import Context
    from jupyter_mlssl.fleet.report import FleetReport
    from jupyter_mlssl.fleet.watch import WatchReport


def _azure_wanted(args: argparse.Namespace) -> bool:
    """Azure is listed unless only ``--local`` was asked for."""
    return bool(args.subscription or args.workspace or not args.local)


def _inventory(args: argparse.Namespace, ctx: Context, *, probe: bool) -> FleetReport:
    from jupyter_mlssl.fleet import fleet as run_fleet

    return run_fleet(
        subscriptions=args.subscription, workspaces=args.workspace, local=args.local,
        azure=_azure_wanted(args), probe=probe, credential=ctx.credential(),
        arm_endpoint=ctx.defaults.get("arm_endpoint"),
        ca_bundle=args.ca_bundle or ctx.defaults.get("ca_bundle"),
        concurrency=args.concurrency, probe_timeout=args.timeout,
        connection_verify=ctx.defaults.get("connection_verify", True),
    )


def fleet(args: argparse.Namespace, ctx: Context) -> FleetReport:
    return _inventory(args, ctx, probe=args.probe)


def default_renew(ctx: Context) -> Callable[[str], Any]:
    """The renewal seam: the ``renew`` verb, unattended (Microsoft-provided certificates
    through Azure's renew, ACME-managed ones re-issued when due, own ones reported)."""
    from jupyter_mlssl.commands import Context as Ctx
    from jupyter_mlssl.commands import run
    from jupyter_mlssl.parser import build_parser

    parser = build_parser()
    unattended = Ctx(confirm=None, progress=ctx.progress, environ=ctx.environ,
                     defaults=ctx.defaults)

    def renew(target: str) -> Any:
        return run(parser.parse_args(["renew", target, "--yes"]), unattended)

    return renew


def watch(args: argparse.Namespace, ctx: Context) -> WatchReport:
    from jupyter_mlssl.fleet.watch import watch as run_watch

    renew = (ctx.defaults.get("renew") or default_renew(ctx)) if args.renew else None
    rows = _target_rows(args, ctx) if args.targets else _inventory(args, ctx, probe=True).rows
    return run_watch(rows, renew=renew)


def _target_rows(args: argparse.Namespace, ctx: Context) -> list[Any]:
    import datetime as dt

    from jupyter_mlssl.errors import MlsslError
    from jupyter_mlssl.fleet.inventory import status_row
    from jupyter_mlssl.fleet.probes import fill
    from jupyter_mlssl.fleet.rows import error_row
    from jupyter_mlssl.probing import _run_sync

    rows = []
    for target_id in args.targets:
        try:
            rows.append(status_row(ctx.target(target_id)))
        except MlsslError as exc:
            rows.append(error_row(target_id, "?", target_id.rsplit("/", 1)[-1], str(exc)))
    now = dt.datetime.now(dt.timezone.utc)
    _run_sync(lambda: fill(rows, probe=True,
                           ca_bundle=args.ca_bundle or ctx.defaults.get("ca_bundle"),
                           timeout=args.timeout, concurrency=args.concurrency, now=now))
    return rows
