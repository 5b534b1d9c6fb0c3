"""``mlssl dns NAME``: does the name resolve, and to the service?"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_mlssl.commands import Context
    from jupyter_mlssl.dns import DnsReport


def check(args: argparse.Namespace, ctx: Context) -> DnsReport:
    from jupyter_mlssl.dns import check_dns

    return check_dns(
        args.name,
        expect=args.expect,
        nameservers=args.nameserver,
        timeout=args.timeout,
    )
