"""A captioned table as plain rows: what every report prints in a terminal (no pandas)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Table:
    """A captioned table as plain rows (missing cells are None): what ``__repr__`` prints."""

    caption: str
    columns: list[str]
    rows: list[list[Any]]

    @classmethod
    def of_dicts(cls, caption: str, columns: list[str],
                 rows: Iterable[dict[str, Any]]) -> Table:
        return cls(caption, list(columns), [[row.get(c) for c in columns] for row in rows])

    @classmethod
    def from_frame(cls, caption: str, frame: pd.DataFrame) -> Table:
        # pd.NA, NaT and NaN all become None, so the text shows a blank cell.
        shown = frame.astype(object).where(frame.notna(), None)
        return cls(caption, [str(c) for c in frame.columns], shown.values.tolist())

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)
