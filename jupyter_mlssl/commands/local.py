"""``mlssl local deploy | stop | list``: a model as a local scoring service."""

from __future__ import annotations

import argparse

from jupyter_mlssl.commands import Context
from jupyter_mlssl.reports import Report


def deploy(args: argparse.Namespace, ctx: Context) -> Report:
    from jupyter_mlssl.targets.local import verbs as local

    ctx.progress(f"starting the scoring service {args.name}")
    return local.deploy(args.name, model=args.model, entry_script=args.entry_script)


def stop(args: argparse.Namespace, ctx: Context) -> Report:
    from jupyter_mlssl.targets.local import verbs as local

    return local.stop(args.name)


def services(args: argparse.Namespace, ctx: Context) -> Report:
    from jupyter_mlssl.targets.local import verbs as local

    return local.services()
