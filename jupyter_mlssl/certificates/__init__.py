"""The certificate toolkit: load any format, check it, convert it, mint test ones.

    >>> from jupyter_mlssl.certificates import inspect
    >>> report = inspect("fullchain.pem", key="key.pem", cname="api.contoso.com")
    >>> report.exit_status, [f.code for f in report.findings]

The finding codes and what each means are listed in :mod:`.codes`. This is a *check*
layer: it knows nothing of targets or faces, and imports cryptography (faces import it
lazily).
"""

from __future__ import annotations

from jupyter_mlssl.certificates.codes import ALL_CODES, INPUT_CODES
from jupyter_mlssl.certificates.inspection import inspect, report_for
from jupyter_mlssl.certificates.loading import (
    MAX_INPUT_BYTES,
    LoadedCertificate,
    load,
    load_or_raise,
)
from jupyter_mlssl.certificates.report import CertificateInfo, CertificateReport, OutputReport

__all__ = [
    "ALL_CODES",
    "INPUT_CODES",
    "MAX_INPUT_BYTES",
    "CertificateInfo",
    "CertificateReport",
    "LoadedCertificate",
    "OutputReport",
    "inspect",
    "load",
    "load_or_raise",
    "report_for",
]
