"""What changed since each binding's last push: the orders its next push re-reads, and nothing else.

Every change is noted for every binding that shows it, in the same transaction as the change (so a
change cannot be stored without its note). A push reads its binding's notes, projects those orders,
and deletes exactly the notes it read: a note bumped again while the push ran keeps its new version
and is read by the next push.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.db import chunks
from backend.models import EVERYTHING, STOCK, SheetChange


def note(session: Session, binding_ids: Collection[int], order_ids: Iterable[int] | None) -> None:
    """Note that these orders (None: anything) changed for these bindings; notes already there are bumped."""
    orders = sorted({EVERYTHING} if order_ids is None else set(order_ids))
    if not binding_ids or not orders:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(SheetChange)
    statement = statement.on_conflict_do_update(
        index_elements=["binding_id", "order_id"], set_={"version": SheetChange.version + 1}
    )
    rows = [{"binding_id": b, "order_id": o, "version": 1} for b in sorted(binding_ids) for o in orders]
    for part in chunks(rows, 500):
        session.execute(statement, list(part))


@dataclass(frozen=True)
class Pending:
    """A binding's notes as one push read them."""

    binding_id: int
    versions: Mapping[int, int]  # order id (or EVERYTHING) → version read

    @property
    def everything(self) -> bool:
        return EVERYTHING in self.versions

    @property
    def stock(self) -> bool:
        return STOCK in self.versions

    @property
    def orders(self) -> frozenset[int]:
        return frozenset(o for o in self.versions if o > 0)


def pending(session: Session, binding_id: int) -> Pending:
    rows = session.execute(
        select(SheetChange.order_id, SheetChange.version).where(SheetChange.binding_id == binding_id)
    )
    return Pending(binding_id, {order_id: version for order_id, version in rows})


def consume(session: Session, read: Pending) -> None:
    """Delete the notes `read` saw, each only at the version it saw."""
    pairs = list(read.versions.items())
    for part in chunks(pairs, 400):
        session.execute(
            delete(SheetChange).where(
                SheetChange.binding_id == read.binding_id,
                tuple_(SheetChange.order_id, SheetChange.version).in_(list(part)),
            )
        )


def has_pending(session: Session, binding_id: int) -> bool:
    return session.scalar(select(SheetChange.order_id).where(SheetChange.binding_id == binding_id).limit(1)) is not None
