"""docs/contracts.md lists exactly the codes and verdicts the code produces."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_mlssl.certificates.codes import ALL_CODES
from jupyter_mlssl.dns.report import VERDICTS as DNS_VERDICTS
from jupyter_mlssl.probing.verdict import WORST_FIRST

CONTRACTS = Path(__file__).resolve().parent.parent / "docs" / "contracts.md"


def _table_codes(heading: str) -> list[str]:
    """The first-column codes of the table under ``## heading``."""
    text = CONTRACTS.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)


def test_finding_codes_match_the_code():
    assert sorted(_table_codes("Certificate finding codes")) == sorted(ALL_CODES)


def test_probe_verdicts_match_the_code_in_order():
    assert _table_codes("Probe verdicts") == list(WORST_FIRST)


def test_dns_verdicts_match_the_code():
    assert sorted(_table_codes("DNS verdicts")) == sorted(DNS_VERDICTS)
