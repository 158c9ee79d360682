"""What changed since each binding's last push: the orders its next push re-reads, and nothing else.

Every change is noted for every binding that shows it, in the same transaction as the change (so a
change cannot be stored without its note). A push reads its binding's notes, projects those orders,
and deletes exactly the notes it read: a note bumped again while the push ran keeps its new version
and is read by the next push.

The team's stock pass (allocation, stock-outs, low-stock alerts, review flags) keeps notes of its own, one
per team and order whatever number of tabs show it: the first push of any of the team's spreadsheets
runs the pass for them and consumes them the same way, and the pushes of the other spreadsheets for the
same change find nothing left to do.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Integer, cast, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.db import chunks
from backend.models import EVERYTHING, STOCK, SheetChange, StockChange


def note(
    session: Session, binding_ids: Collection[int], order_ids: Iterable[int] | None, team_id: int | None = None
) -> None:
    """Note that these orders (None: anything) changed for these bindings, and for `team_id`'s stock pass
    (None: nothing about the orders changed, a tab only re-reads them); notes already there are bumped."""
    orders = sorted({EVERYTHING} if order_ids is None else set(order_ids))
    if not binding_ids or not orders:
        return
    _bump(session, SheetChange, "binding_id", sorted(binding_ids), orders)
    if team_id is not None:
        _bump(session, StockChange, "team_id", [team_id], orders)


def _bump(
    session: Session, model: type[SheetChange] | type[StockChange], owner: str, owners: list[int], orders: list[int]
) -> None:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(model).on_conflict_do_update(
        index_elements=[owner, "order_id"], set_={"version": model.version + 1}
    )
    rows = [{owner: o, "order_id": order_id, "version": 1} for o in owners for order_id in orders]
    for part in chunks(rows, 500):
        session.execute(statement, list(part))


@dataclass(frozen=True)
class Pending:
    """A binding's notes (or a team's stock-pass notes) as one push read them."""

    owner: int  # the binding's id (the team's, for the stock pass)
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
    return _read(session, SheetChange, SheetChange.binding_id, binding_id)


def stock_pending(session: Session, team_id: int) -> Pending:
    """The team's stock-pass notes."""
    return _read(session, StockChange, StockChange.team_id, team_id)


def consume(session: Session, read: Pending) -> None:
    """Delete the binding's notes `read` saw, each only at the version it saw."""
    _delete(session, SheetChange, SheetChange.binding_id, read)


def consume_stock(session: Session, read: Pending) -> None:
    """Delete the team's stock-pass notes `read` saw, each only at the version it saw."""
    _delete(session, StockChange, StockChange.team_id, read)


def _read(
    session: Session, model: type[SheetChange] | type[StockChange], owner: InstrumentedAttribute[int], owner_id: int
) -> Pending:
    rows = session.execute(select(model.order_id, model.version).where(owner == owner_id))
    return Pending(owner_id, {order_id: version for order_id, version in rows})


def _delete(
    session: Session, model: type[SheetChange] | type[StockChange], owner: InstrumentedAttribute[int], read: Pending
) -> None:
    if not read.versions:
        return
    if session.get_bind().dialect.name == "postgresql":  # two array parameters, not a list of 800
        seen = (
            func.unnest(
                cast(list(read.versions), postgresql.ARRAY(Integer)),
                cast(list(read.versions.values()), postgresql.ARRAY(Integer)),
            )
            .table_valued("order_id", "version")
            .render_derived()
        )
        session.execute(
            delete(model).where(owner == read.owner, model.order_id == seen.c.order_id, model.version == seen.c.version)
        )
        return
    for part in chunks(list(read.versions.items()), 400):
        session.execute(delete(model).where(owner == read.owner, tuple_(model.order_id, model.version).in_(list(part))))


def has_pending(session: Session, binding_id: int) -> bool:
    return session.scalar(select(SheetChange.order_id).where(SheetChange.binding_id == binding_id).limit(1)) is not None
