"""``mlssl probe URL [URL ...]``: what a client sees at each URL, as one table."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_mlssl.commands import Context
    from jupyter_mlssl.probing import ProbeReport


def probe(args: argparse.Namespace, ctx: Context) -> ProbeReport:
    from jupyter_mlssl.probing import probe_many

    # --ca-bundle wins; then a face-level default (%config MlsslMagic.ca_bundle); then the
    # probe's own default (SSL_CERT_FILE, else certifi).
    ca_bundle = args.ca_bundle or ctx.defaults.get("ca_bundle")
    return probe_many(
        args.urls,
        ca_bundle=ca_bundle,
        resolve=args.resolve,
        timeout=args.timeout,
        concurrency=args.concurrency,
    )
