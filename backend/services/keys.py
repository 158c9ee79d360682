"""Key rotation: re-seal every secret at rest under the current ORDERDECK_ENCRYPTION_KEY.

A sealed column is any column whose name ends in `_sealed`; naming it so is all a new secret needs
to be covered. The rotation runs in one transaction: every secret moves to the new key, or none does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Column, Table, select, update

from backend.db import Database
from backend.models import Base
from backend.secrets import SecretBox


@dataclass
class RotationReport:
    resealed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


def sealed_columns() -> dict[Table, list[Column[str]]]:
    found: dict[Table, list[Column[str]]] = {}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith("_sealed")]
        if columns:
            found[table] = columns
    return found


def rotate(db: Database, box: SecretBox) -> RotationReport:
    """Open each secret with any configured key and seal it again with the newest one."""
    report = RotationReport()
    with db.session() as session:
        for table, columns in sealed_columns().items():
            key = list(table.primary_key.columns)
            for row in session.execute(select(*key, *columns)).all():
                values = {c.name: box.reseal(v) for c, v in zip(columns, row[len(key) :], strict=True) if v}
                if not values:
                    continue
                where = [k == row[i] for i, k in enumerate(key)]
                session.execute(update(table).where(*where).values(**values))
                for name in values:
                    label = f"{table.name}.{name}"
                    report.resealed[label] = report.resealed.get(label, 0) + 1
    return report
