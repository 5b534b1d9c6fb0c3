"""The DNS check: does a name resolve, and to the service?

``check``: the resolver queries and the verdict; ``report``: :class:`DnsReport`.
The package is ``jupyter_mlssl.dns``; ``import dns.resolver`` inside it is an absolute import
and gets dnspython (the test suite checks it).
"""

from __future__ import annotations

from jupyter_mlssl.dns.check import check_dns, parse_nameserver
from jupyter_mlssl.dns.report import GOOD, VERDICTS, DnsRecord, DnsReport

__all__ = ["GOOD", "VERDICTS", "DnsRecord", "DnsReport", "check_dns", "parse_nameserver"]
