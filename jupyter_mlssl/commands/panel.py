"""``%mlssl panel [TARGET]``: the widget panel, set up from the magic's ``%config``."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlssl.commands import Context


def show(args: argparse.Namespace, ctx: Context) -> Any:
    """A :class:`~jupyter_mlssl.widgets.Panel`; the notebook displays what the magic returns."""
    from jupyter_mlssl.widgets import Panel

    defaults = ctx.defaults
    return Panel(
        target=args.target or defaults.get("target"),
        targets=defaults.get("targets") or [],
        ca_bundle=defaults.get("ca_bundle"),
        credential=defaults.get("credential"),
        arm_endpoint=defaults.get("arm_endpoint"),
        timeout=defaults.get("timeout"),
    )
