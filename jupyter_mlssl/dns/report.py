"""The DNS check's report: the verdict, the addresses, the CNAME chain and every record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mlssl.reports import Report, Table

if TYPE_CHECKING:
    import pandas as pd

#: DNS verdicts (docs/contracts.md). ``resolves``: nothing was expected and the name has addresses.
VERDICTS = ("ok", "resolves", "mismatch", "not_found", "no_answer", "error")
GOOD = frozenset({"ok", "resolves"})


@dataclass(frozen=True)
class DnsRecord:
    type: str  # "A", "AAAA", "CNAME"
    name: str
    value: str
    ttl: int

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "value": self.value, "ttl": self.ttl}


@dataclass(repr=False)
class DnsReport(Report):
    """What ``name`` resolves to, asked of ``nameservers`` (or the system), against ``expect``.

    ``cname_chain``: the CNAME targets followed from ``name``, in order (empty without
    CNAMEs). ``records``: every A, AAAA and CNAME record seen on the way, with its TTL.
    """

    name: str
    verdict: str
    expect: str | None = None
    nameservers: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    cname_chain: list[str] = field(default_factory=list)
    records: list[DnsRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    elapsed_ms: float | None = None

    title = "DNS"

    @property
    def exit_status(self) -> int:
        return 0 if self.verdict in GOOD else 1

    @property
    def ttl(self) -> int | None:
        """The shortest TTL on the way: how long until every cache has to ask again."""
        return min((r.ttl for r in self.records), default=None)

    def summary(self) -> str:
        if self.verdict in GOOD:
            return f"{self.name}: {self.verdict} ({', '.join(self.addresses)})"
        return f"{self.name}: {self.verdict}: {self.error}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "expect": self.expect,
            "nameservers": list(self.nameservers),
            "addresses": list(self.addresses),
            "cname_chain": list(self.cname_chain),
            "records": [r.to_dict() for r in self.records],
            "ttl": self.ttl,
            "notes": list(self.notes),
            "error": self.error,
            "elapsed_ms": None if self.elapsed_ms is None else round(self.elapsed_ms, 3),
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame([self._row()])
        frame["ttl"] = frame["ttl"].astype("Int64")
        return frame

    def _row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "expect": self.expect,
            "addresses": ", ".join(self.addresses),
            "cname_chain": " -> ".join([self.name, *self.cname_chain]) if self.cname_chain
            else "",
            "ttl": self.ttl,
            "nameserver": ", ".join(self.nameservers) or "system",
            "error": self.error,
        }

    def records_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([r.to_dict() for r in self.records],
                            columns=["type", "name", "value", "ttl"])

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        import pandas as pd

        out = [(self.title, self.to_frame())]
        if self.records:
            out.append(("Records", self.records_frame()))
        if self.notes:
            out.append(("Notes", pd.DataFrame({"note": self.notes})))
        return out

    def text_tables(self) -> list[Table]:
        row = self._row()
        out = [Table(self.title, list(row), [list(row.values())])]
        if self.records:
            out.append(Table.of_dicts("Records", ["type", "name", "value", "ttl"],
                                      (r.to_dict() for r in self.records)))
        if self.notes:
            out.append(Table("Notes", ["note"], [[note] for note in self.notes]))
        return out


# -- inputs --------------------------------------------------------------------------------
