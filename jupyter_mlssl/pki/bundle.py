"""The one CA bundle loader: every certificate of a PEM bundle, oddities skipped."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from jupyter_mlssl.pki.facts import catchable
from jupyter_mlssl.pki.pem import pem_blocks

if TYPE_CHECKING:
    from cryptography import x509


def load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, skipping blocks a future cryptography may refuse.

    Real bundles hold oddities (negative serial numbers warn today, docs/tls-notes.md,
    "Trust stores"); one bad block must not cost the whole store. The whole bundle is
    parsed in one call when it can be (fast), else block by block.
    """
    from cryptography import x509

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a warning on stderr would break one-line output
        try:
            return list(x509.load_pem_x509_certificates(data))
        except ValueError:
            pass
        certs = []
        for label, block in pem_blocks(data)[0]:
            if label != b"CERTIFICATE":
                continue
            try:
                certs.append(x509.load_pem_x509_certificate(block))
            except BaseException as exc:
                if not catchable(exc):
                    raise
        return certs
