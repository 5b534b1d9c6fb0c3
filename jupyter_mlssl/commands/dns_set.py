"""``mlssl dns set TARGET --label L | --zone ZONE_ID [--name N]``: point DNS at a target."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_mlssl.change.dns_change import DnsChangeReport
    from jupyter_mlssl.commands import Context


def dns_set(args: argparse.Namespace, ctx: Context) -> DnsChangeReport:
    from jupyter_mlssl.change.dns_change import dns_set as run

    return run(
        ctx.target(args.set_target),
        label="" if args.clear_label else args.label,
        zone=args.zone,
        name=args.record_name,
        ttl=args.ttl,
        record=args.record,
        dry_run=bool(args.dry_run),
        yes=bool(args.yes),
        confirm=ctx.confirm,
        verify=not args.no_verify,
        progress=ctx.progress,
    )
