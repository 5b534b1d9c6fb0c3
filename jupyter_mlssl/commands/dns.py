"""``mlssl dns NAME``: does the name resolve, and to the service?"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mlssl.commands import Context


def check(args: argparse.Namespace, ctx: Context) -> Any:
    if args.name == "set" and getattr(args, "set_target", None):  # `dns set TARGET ...`
        from jupyter_mlssl.commands.dns_set import dns_set

        return dns_set(args, ctx)
    from jupyter_mlssl.dns import check_dns

    return check_dns(
        args.name,
        expect=args.expect,
        nameservers=args.nameserver,
        timeout=args.timeout,
    )
