"""``mlssl status | enable | update | disable | history TARGET``: any target, one workflow.

Handlers turn flags into :class:`SslSettings` (``jupyter_mlssl.change.settings``, validated the way
azureml-core does), then let ``workflow.change`` plan, confirm, apply, verify and record.
"""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlssl.commands import Context
from jupyter_mlssl.reports import Report


def status(args: argparse.Namespace, ctx: Context) -> Report:
    from jupyter_mlssl.change.record import interrupted

    target = ctx.target(args.target)
    report = target.status()
    report.findings.extend(interrupted(target.id))
    return report


def _change(args: argparse.Namespace, ctx: Context, action: str) -> Report:
    from jupyter_mlssl.change.settings import settings_from_options
    from jupyter_mlssl.change.workflow import change

    if getattr(args, "acme", False):  # the certificate is ordered first (commands/acme.py)
        from jupyter_mlssl.commands.acme import change_with_acme

        return change_with_acme(args, ctx, action)
    target = ctx.target(args.target)
    disable = action == "disable"
    renew = bool(getattr(args, "renew", False))
    current = target.status().ssl if renew else None
    desired = settings_from_options(
        leaf_domain_label=getattr(args, "leaf_domain_label", None),
        overwrite_existing_domain=bool(getattr(args, "overwrite_existing_domain", False)),
        cert=getattr(args, "cert", None),
        key=getattr(args, "key", None),
        cname=getattr(args, "cname", None),
        password=ctx.password(getattr(args, "password_env", None)),
        renew=renew,
        disable=disable,
        current=current,
    )
    if getattr(args, "dns_zone", None):  # the record in the same plan (dns_change.py)
        from jupyter_mlssl.change.dns_change import change_with_dns

        return change_with_dns(
            target, desired, zone=args.dns_zone, record=args.dns_record, ttl=args.dns_ttl,
            action="renew" if renew else action, dry_run=bool(args.dry_run),
            yes=bool(args.yes), confirm=ctx.confirm,
            verify=not getattr(args, "no_verify", False),
            ca_bundle=getattr(args, "ca_bundle", None) or ctx.defaults.get("ca_bundle"),
            progress=ctx.progress)
    return change(
        target, desired,
        action="renew" if renew else action,
        dry_run=bool(args.dry_run),
        yes=bool(args.yes),
        confirm=ctx.confirm,
        verify=not getattr(args, "no_verify", False),
        ca_bundle=getattr(args, "ca_bundle", None) or ctx.defaults.get("ca_bundle"),
        progress=ctx.progress,
    )


def enable(args: argparse.Namespace, ctx: Context) -> Report:
    return _change(args, ctx, "enable")


def update(args: argparse.Namespace, ctx: Context) -> Report:
    return _change(args, ctx, "update")


def disable(args: argparse.Namespace, ctx: Context) -> Report:
    return _change(args, ctx, "disable")


def history(args: argparse.Namespace, ctx: Context) -> Any:
    from jupyter_mlssl.errors import MlsslError
    from jupyter_mlssl.store import history as audit

    target_id = args.target
    try:  # a stopped (deleted) local service still has its history: do not insist it exists
        target_id = ctx.target(args.target).id
    except MlsslError:
        pass
    return audit.entries(target=target_id, limit=args.limit)
