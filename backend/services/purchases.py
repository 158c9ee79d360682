"""Procurement: `purchases import`, the purchase and consolidation tabs (rows and edits), and landed cost
recomputed for exactly what a change touches.

Everything here is the seller's own: nothing a platform sends writes it. A value typed in a purchase tab is
remembered as typed (`typed_fields`), so importing the same supplier order again fills in what the
supplier knows (status, tracking) and never overwrites it. Every change marks the team's tabs dirty,
since arriving stock, landed costs and so COGS show in the stock tab and the finance tabs.
"""

from __future__ import annotations

import csv
import difflib
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.domain.columns import Source
from backend.domain.fx import RateBook
from backend.domain.phrases import Phrase
from backend.domain.purchase_files import ParsedFile, PurchaseRow, parse_rows
from backend.domain.purchasing import (
    LINE_LABELS,
    LineFacts,
    LineStatus,
    OrderFacts,
    ShipmentFacts,
    ShipmentStatus,
    as_amount,
    as_currency,
    as_day,
    as_whole,
    chargeable,
    landed_costs,
    line_status,
    parse_status,
    text_of,
)
from backend.domain.views import ConsolidationView, PurchaseLineView, PurchasingRows
from backend.errors import InvalidInput
from backend.models import (
    AuditEntry,
    Consolidation,
    Member,
    OpeningStock,
    PurchaseLine,
    PurchaseOrder,
    StockLevel,
    SupplierItemSku,
    Team,
)
from backend.services import fx, stock
from backend.services.analytics import team_zone
from backend.services.bindings import catalogue

EDITORS = frozenset({"procurement", "admin"})
CHUNK = 900
FORWARD = (LineStatus.ORDERED, LineStatus.SHIPPED, LineStatus.AT_FORWARDER)  # what an import may move along


@dataclass
class PurchaseImport:
    """What one import did; `problems` has one line per refused row ("line 7: …")."""

    layout: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmapped: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged


# -- files -----------------------------------------------------------------------------------------------
def read_file(data: bytes, file_name: str) -> ParsedFile:
    """A purchase file's rows: an .xlsx (1688's export) or a CSV in UTF-8 or GB18030 (Excel in China saves GBK)."""
    if data[:2] == b"PK":
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise InvalidInput(
                Phrase("{file} is not a readable .xlsx file ({problem})", file=file_name, problem=str(exc))
            ) from None
        try:
            table = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
        return parse_rows(table)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput(
                Phrase("{file} is neither UTF-8 nor GB18030 text, nor an .xlsx file", file=file_name)
            ) from None
    return parse_rows([list(row) for row in csv.reader(io.StringIO(text))])


def import_purchases(session: Session, team: Team, data: bytes, *, file_name: str, actor: str) -> PurchaseImport:
    """Store every good row of a purchase file and name each bad one (caller commits)."""
    parsed = read_file(data, file_name)
    result = store_rows(session, team, parsed.rows, source=f"{parsed.layout.lower()}:{file_name}"[:320], actor=actor)
    result.layout, result.problems = parsed.layout, parsed.problems + result.problems
    result.problems.sort(key=_line_number)
    return result


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0].removeprefix("line ")
    return int(head) if head.isdigit() else 0


def store_rows(session: Session, team: Team, rows: Sequence[PurchaseRow], *, source: str, actor: str) -> PurchaseImport:
    """Create or update supplier orders and lines from imported rows; values typed in the tabs stay."""
    result = PurchaseImport()
    grouped: dict[tuple[str, str], list[PurchaseRow]] = defaultdict(list)
    for row in _known_rows(session, team.id, rows, result.problems):
        grouped[(row.platform, row.supplier_order_no)].append(row)
    stored = _orders(session, team.id, grouped)
    remembered = _mappings(session, team.id)
    touched: list[PurchaseLine] = []
    for key, group in grouped.items():
        order = stored.get(key)
        if order is None:
            order = PurchaseOrder(team_id=team.id, platform=key[0], supplier_order_no=key[1], lines=[], typed_fields=[])
            session.add(order)
        _fill_order(order, group, source)
        unmatched = list(order.lines)
        for row in group:
            line = next((ln for ln in unmatched if (ln.item_ref, ln.item_spec) == (row.item_ref, row.item_spec)), None)
            before = None
            if line is None:
                line = PurchaseLine(team_id=team.id, line_no=len(order.lines) + 1, quantity_ordered=0, typed_fields=[])
                order.lines.append(line)
            else:
                unmatched.remove(line)
                before = _state(line)
            _fill_line(line, row, remembered)
            line.updated_by = actor
            kind = "created" if before is None else "unchanged" if before == _state(line) else "updated"
            setattr(result, kind, getattr(result, kind) + 1)
            result.unmapped += not line.seller_sku
            touched.append(line)
    session.flush()
    if result.created or result.updated:
        ensure_opening(session, team, {ln.seller_sku for ln in touched if ln.seller_sku}, actor)
        recompute_landed(session, team.id, [ln.id for ln in touched])
        fx.mark_team_dirty(session, team.id)
    return result


def _known_rows(session: Session, team_id: int, rows: Sequence[PurchaseRow], problems: list[str]) -> list[PurchaseRow]:
    """The rows whose seller SKU and warehouse the team knows; each other one becomes a problem."""
    skus, warehouses = stock.known(session, team_id)
    good = []
    for row in rows:
        if row.seller_sku and row.seller_sku not in skus:
            problems.append(f"line {row.line}: unknown seller SKU {row.seller_sku!r}{_closest(row.seller_sku, skus)}")
        elif row.warehouse and row.warehouse not in warehouses:
            near = _closest(row.warehouse, warehouses)
            problems.append(f"line {row.line}: unknown warehouse {row.warehouse!r}{near}")
        else:
            good.append(row)
    return good


def _closest(value: str, known: Iterable[str]) -> str:
    guess = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return Phrase("; did you mean {guess!r}?", guess=guess[0]) if guess else ""


def _orders(session: Session, team_id: int, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], PurchaseOrder]:
    numbers = sorted({no for _, no in keys})
    found: dict[tuple[str, str], PurchaseOrder] = {}
    for start in range(0, len(numbers), CHUNK):
        for order in session.scalars(
            select(PurchaseOrder).where(
                PurchaseOrder.team_id == team_id, PurchaseOrder.supplier_order_no.in_(numbers[start : start + CHUNK])
            )
        ):
            found[(order.platform, order.supplier_order_no)] = order
    return found


def _mappings(session: Session, team_id: int) -> dict[tuple[str, str, str], str]:
    rows = session.execute(
        select(
            SupplierItemSku.platform, SupplierItemSku.item_ref, SupplierItemSku.item_spec, SupplierItemSku.seller_sku
        ).where(SupplierItemSku.team_id == team_id)
    )
    return {(platform, ref, spec): sku for platform, ref, spec, sku in rows}


def _fill_order(order: PurchaseOrder, rows: Sequence[PurchaseRow], source: str) -> None:
    """The order's facts from the file, except what was typed in the tab."""
    typed = set(order.typed_fields)

    def first(name: str) -> Any:
        return next((value for row in rows if (value := getattr(row, name)) not in (None, "")), None)

    for attribute, name in (
        ("supplier", "supplier"),
        ("currency", "currency"),
        ("domestic_shipping", "domestic_shipping"),
        ("adjustment", "adjustment"),
        ("ordered_on", "ordered_on"),
        ("paid_on", "paid_on"),
        ("domestic_carrier", "carrier"),
        ("domestic_tracking", "tracking"),
    ):
        value = first(name)
        if value is not None and attribute not in typed:
            setattr(order, attribute, value)
    order.source = source


def _fill_line(line: PurchaseLine, row: PurchaseRow, remembered: Mapping[tuple[str, str, str], str]) -> None:
    typed = set(line.typed_fields)
    values = {
        "item_ref": row.item_ref,
        "item_title": row.item_title,
        "item_link": row.item_link,
        "item_spec": row.item_spec,
        "quantity_ordered": row.quantity_ordered,
        "quantity_received": row.quantity_received,
        "unit_price": row.unit_price,
        "warehouse_id": row.warehouse or None,
        "expected_on": row.expected_on,
    }
    for attribute, value in values.items():
        if value is not None and attribute not in typed:
            setattr(line, attribute, value)
    if "seller_sku" not in typed and not line.seller_sku:
        line.seller_sku = row.seller_sku or remembered.get((row.platform, row.item_ref, row.item_spec))
    if row.status is not None and "status" not in typed and line.consolidation_id is None:
        line.status = _advanced(line.status, row.status)


def _advanced(current: str | None, told: str) -> str:
    """A supplier's status moves a line along, never back, and never past what procurement recorded."""
    if current is None:
        return told
    if current not in FORWARD:
        return current
    if told == LineStatus.CANCELLED or FORWARD.index(LineStatus(told)) > FORWARD.index(LineStatus(current)):
        return told
    return current


def _state(line: PurchaseLine) -> tuple[Any, ...]:
    order = line.order
    return (
        line.item_title, line.item_link, line.item_spec, line.seller_sku, line.quantity_ordered,
        line.quantity_received, line.unit_price, line.status, line.warehouse_id, line.expected_on,
        order.supplier, order.currency, order.domestic_shipping, order.adjustment, order.paid_on,
        order.domestic_tracking,
    )  # fmt: skip


# -- opening stock at go-live --------------------------------------------------------------------------------
def ensure_opening(session: Session, team: Team, skus: Collection[str], actor: str) -> int:
    """Give each SKU bought for the first time its opening layer: what is on its shelves today (the sheet's
    count, else the platform's; none when nobody counted it), as of today in the team's zone."""
    if not skus:
        return 0
    have = set(session.scalars(select(OpeningStock.seller_sku).where(OpeningStock.team_id == team.id)))
    new = sorted(set(skus) - have)
    if not new:
        return 0
    today = datetime.now(team_zone(team)).date()
    shelves: dict[str, list[StockLevel]] = defaultdict(list)
    for level in session.scalars(
        select(StockLevel).where(StockLevel.team_id == team.id, StockLevel.seller_sku.in_(new))
    ):
        shelves[level.seller_sku].append(level)
    for sku in new:
        counted = {(lv.warehouse_id, lv.sheet_quantity if lv.sheet_quantity is not None else lv.platform_quantity)
                   for lv in shelves.get(sku, [])} or {("", None)}  # fmt: skip
        for warehouse, quantity in sorted(counted, key=lambda c: c[0]):
            session.add(OpeningStock(team_id=team.id, seller_sku=sku, warehouse_id=warehouse, quantity=quantity,
                                     as_of=today, updated_by=actor))  # fmt: skip
    session.flush()
    return len(new)


# -- landed cost ------------------------------------------------------------------------------------------------
def recompute_landed(session: Session, team_id: int, line_ids: Collection[int] | None = None) -> set[int]:
    """Recompute the landed unit cost of the lines sharing a supplier order or a consolidation with `line_ids`
    (every line of the team when None); returns the ids whose cost or note changed."""
    scope = _scope(session, team_id, line_ids)
    if not scope:
        return set()
    orders, shipments = {ln["order_id"] for ln in scope}, {ln["consolidation_id"] for ln in scope} - {None}
    context = scope if line_ids is None else _lines(session, team_id, orders, shipments)
    order_rows = _by_id(session, PurchaseOrder, {ln["order_id"] for ln in context})
    shipment_rows = _by_id(session, Consolidation, {ln["consolidation_id"] for ln in context} - {None})
    facts = [
        LineFacts(ln["id"], ln["order_id"], ln["quantity_ordered"], ln["quantity_received"], ln["unit_price"],
                  ln["consolidation_id"], ln["weight_kg"], ln["volumetric_kg"], ln["status"] == LineStatus.CANCELLED)
        for ln in context
    ]  # fmt: skip
    order_facts = {
        i: OrderFacts(i, o["currency"], o["domestic_shipping"], o["adjustment"]) for i, o in order_rows.items()
    }
    shipment_facts = {
        i: ShipmentFacts(i, s["name"], s["currency"], s["freight"], s["duties"], s["fees"], s["paid_on"],
                         s["duties_paid_on"])
        for i, s in shipment_rows.items()
    }  # fmt: skip
    rates = _rates(session, team_id, order_facts.values(), shipment_facts.values())
    wanted = {ln["id"] for ln in scope}
    computed = landed_costs(facts, order_facts, shipment_facts, rates, only=wanted)
    changes = []
    for line in scope:
        found = computed.get(line["id"])
        cost, problem = (found.unit_cost, found.problem) if found else (None, "cancelled")
        if (cost, problem) != (line["landed_unit_cost"], line["landed_problem"]):
            changes.append({"id": line["id"], "landed_unit_cost": cost, "landed_problem": problem[:255]})
    if changes:
        session.execute(update(PurchaseLine), changes)
    return {c["id"] for c in changes}


LINE_COLUMNS = (
    PurchaseLine.id, PurchaseLine.order_id, PurchaseLine.consolidation_id, PurchaseLine.quantity_ordered,
    PurchaseLine.quantity_received, PurchaseLine.unit_price, PurchaseLine.weight_kg, PurchaseLine.volumetric_kg,
    PurchaseLine.status, PurchaseLine.landed_unit_cost, PurchaseLine.landed_problem,
)  # fmt: skip


def _scope(session: Session, team_id: int, line_ids: Collection[int] | None) -> list[dict[str, Any]]:
    if line_ids is None:
        return [dict(r._mapping) for r in session.execute(select(*LINE_COLUMNS).where(PurchaseLine.team_id == team_id))]
    seeds = _chunked(session, select(PurchaseLine.order_id, PurchaseLine.consolidation_id), PurchaseLine.id, line_ids)
    return _lines(session, team_id, {s[0] for s in seeds}, {s[1] for s in seeds} - {None})


def _lines(session: Session, team_id: int, orders: Collection[int], shipments: Collection[int]) -> list[dict[str, Any]]:
    """Every line of these supplier orders or consolidations."""
    found: dict[int, dict[str, Any]] = {}
    for column, ids in ((PurchaseLine.order_id, orders), (PurchaseLine.consolidation_id, shipments)):
        for row in _chunked(session, select(*LINE_COLUMNS).where(PurchaseLine.team_id == team_id), column, ids):
            found[row.id] = dict(row._mapping)
    return list(found.values())


def _chunked(session: Session, query: Any, column: Any, ids: Collection[Any]) -> list[Any]:
    ordered = sorted(ids)
    return [row for start in range(0, len(ordered), CHUNK)
            for row in session.execute(query.where(column.in_(ordered[start : start + CHUNK])))]  # fmt: skip


def _by_id(session: Session, model: Any, ids: Collection[int]) -> dict[int, dict[str, Any]]:
    table = model.__table__
    return {row.id: dict(row._mapping) for row in _chunked(session, select(table), table.c.id, ids)}


def _rates(
    session: Session, team_id: int, orders: Iterable[OrderFacts], shipments: Iterable[ShipmentFacts]
) -> RateBook:
    """The team's rates between every currency these charges and purchases use, over their payment days."""
    shipments = list(shipments)
    currencies = {o.currency for o in orders if o.currency} | {s.currency for s in shipments if s.currency}
    days = [d for s in shipments for d in (s.paid_on, s.duties_paid_on) if d]
    if len(currencies) < 2 or not days:
        return RateBook()
    return fx.rate_books(session, [team_id], currencies, min(days), max(days)).get(team_id, RateBook())


# -- the tabs' rows -------------------------------------------------------------------------------------------
def line_key(order: PurchaseOrder, line: PurchaseLine) -> str:
    return f"{order.platform}:{order.supplier_order_no}/{line.line_no}"


def rows(session: Session, team_id: int) -> PurchasingRows:
    """The purchase tab's lines and the consolidations tab's shipments."""
    shipments = {c.id: c for c in session.scalars(select(Consolidation).where(Consolidation.team_id == team_id))}
    orders = {o.id: o for o in session.scalars(select(PurchaseOrder).where(PurchaseOrder.team_id == team_id))}
    lines = list(session.scalars(select(PurchaseLine).where(PurchaseLine.team_id == team_id)))
    carried: dict[int, list[PurchaseLine]] = defaultdict(list)
    for line in lines:
        if line.consolidation_id is not None:
            carried[line.consolidation_id].append(line)
    return PurchasingRows(
        tuple(_line_view(orders[ln.order_id], ln, shipments.get(ln.consolidation_id or 0)) for ln in lines),
        tuple(_shipment_view(s, carried.get(s.id, [])) for s in shipments.values()),
    )


def _line_view(order: PurchaseOrder, line: PurchaseLine, shipment: Consolidation | None) -> PurchaseLineView:
    status = line_status(line.status, shipment.status if shipment else None)
    return PurchaseLineView(
        key=line_key(order, line),
        platform=order.platform,
        supplier=order.supplier,
        supplier_order_no=order.supplier_order_no,
        item_title=line.item_title,
        item_link=line.item_link,
        item_spec=line.item_spec,
        seller_sku=line.seller_sku or "",
        quantity_ordered=line.quantity_ordered,
        quantity_received=line.quantity_received,
        unit_price=line.unit_price,
        currency=order.currency or "",
        domestic_shipping=order.domestic_shipping,
        paid_on=order.paid_on,
        tracking=" ".join(filter(None, (order.domestic_carrier, order.domestic_tracking))),
        status=LINE_LABELS[status],
        consolidation=shipment.name if shipment else "",
        warehouse=(shipment.warehouse_id if shipment and shipment.warehouse_id else line.warehouse_id),
        expected_on=shipment.expected_on if shipment and shipment.expected_on else line.expected_on,
        arrived_on=shipment.arrived_on if shipment and status is LineStatus.ARRIVED else line.arrived_on,
        weight_kg=line.weight_kg,
        volumetric_kg=line.volumetric_kg,
        landed_unit_cost=line.landed_unit_cost,
        landed_note=line.landed_problem or ("" if line.seller_sku else "type the seller SKU"),
    )


def _shipment_view(shipment: Consolidation, lines: Sequence[PurchaseLine]) -> ConsolidationView:
    live = [ln for ln in lines if ln.status != LineStatus.CANCELLED]
    return ConsolidationView(
        name=shipment.name,
        forwarder=shipment.forwarder,
        tracking=shipment.tracking,
        status=shipment.status,
        warehouse=shipment.warehouse_id,
        expected_on=shipment.expected_on,
        arrived_on=shipment.arrived_on,
        weight_kg=shipment.weight_kg,
        volumetric_kg=shipment.volumetric_kg,
        chargeable_kg=chargeable(shipment.weight_kg, shipment.volumetric_kg),
        freight=shipment.freight,
        duties=shipment.duties,
        import_vat=shipment.import_vat,
        fees=shipment.fees,
        currency=shipment.currency or "",
        paid_on=shipment.paid_on,
        duties_paid_on=shipment.duties_paid_on,
        lines=len(live),
        units=sum(ln.quantity_received if ln.quantity_received is not None else ln.quantity_ordered for ln in live),
    )


# -- edits from the tabs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowEdit:
    """The row's cells as stored (what the sheet should show), or why nothing was saved and which cell to blame."""

    cells: Mapping[str, Any] = field(default_factory=dict)
    refused: str | None = None
    column: str | None = None


class _Refused(Exception):
    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.message, self.column = message, column


Parser = Callable[[object], Any]


def _text(limit: int) -> Parser:
    def parse(value: object) -> str:
        text = text_of(value)
        if len(text) > limit:
            raise ValueError(Phrase("at most {limit} characters", limit=limit))
        return text

    return parse


def _parsed(parse: Parser, value: object, column: str) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        raise _Refused(exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc), column) from None


# Purchase tab input column → (stored on the line or its supplier order, attribute, how a cell is read).
LINE_FIELDS: Mapping[str, tuple[str, str, Parser]] = {
    "po_supplier": ("order", "supplier", _text(255)),
    "po_item_link": ("line", "item_link", _text(1024)),
    "po_item_spec": ("line", "item_spec", _text(255)),
    "po_qty_ordered": ("line", "quantity_ordered", lambda v: as_whole(v, "Quantity ordered", minimum=1)),
    "po_qty_received": ("line", "quantity_received", lambda v: as_whole(v, "Received", minimum=0)),
    "po_unit_price": ("line", "unit_price", lambda v: as_amount(v, "Unit price")),
    "po_currency": ("order", "currency", as_currency),
    "po_domestic_shipping": ("order", "domestic_shipping", lambda v: as_amount(v, "Domestic shipping") or Decimal(0)),
    "po_paid_on": ("order", "paid_on", lambda v: as_day(v, "Paid on")),
    "po_tracking": ("order", "domestic_tracking", _text(128)),
    "po_expected_on": ("line", "expected_on", lambda v: as_day(v, "Expected")),
    "po_arrived_on": ("line", "arrived_on", lambda v: as_day(v, "Arrived")),
    "po_weight": ("line", "weight_kg", lambda v: as_amount(v, "Weight")),
    "po_volumetric": ("line", "volumetric_kg", lambda v: as_amount(v, "Volumetric weight")),
    "po_sku": ("line", "seller_sku", lambda v: text_of(v) or None),
    "po_status": ("line", "status", lambda v: parse_status(text_of(v), LineStatus, LINE_LABELS)),
    "po_consolidation": ("line", "consolidation", _text(64)),
    "po_warehouse": ("line", "warehouse_id", _text(64)),
}
SHIPMENT_FIELDS: Mapping[str, tuple[str, Parser]] = {
    "cons_forwarder": ("forwarder", _text(255)),
    "cons_tracking": ("tracking", _text(128)),
    "cons_status": ("status", lambda v: parse_status(text_of(v), ShipmentStatus)),
    "cons_warehouse": ("warehouse_id", _text(64)),
    "cons_expected_on": ("expected_on", lambda v: as_day(v, "Expected")),
    "cons_arrived_on": ("arrived_on", lambda v: as_day(v, "Arrived")),
    "cons_weight": ("weight_kg", lambda v: as_amount(v, "Weight")),
    "cons_volumetric": ("volumetric_kg", lambda v: as_amount(v, "Volumetric weight")),
    "cons_freight": ("freight", lambda v: as_amount(v, "Freight")),
    "cons_duties": ("duties", lambda v: as_amount(v, "Duties and clearance")),
    "cons_vat": ("import_vat", lambda v: as_amount(v, "Import VAT")),
    "cons_fees": ("fees", lambda v: as_amount(v, "Forwarder fees")),
    "cons_currency": ("currency", as_currency),
    "cons_paid_on": ("paid_on", lambda v: as_day(v, "Paid on")),
    "cons_duties_paid_on": ("duties_paid_on", lambda v: as_day(v, "Duties paid on")),
}
CHARGES = ("freight", "duties", "import_vat", "fees")


def _editor(session: Session, team: Team, member_email: str, what: str) -> str:
    email = member_email.strip().lower()
    role = session.scalar(select(Member.role).where(Member.team_id == team.id, Member.email == email))
    if role not in EDITORS:
        who = (
            Phrase("the {role} role", role=Phrase(role))
            if role
            else Phrase("{email}, who is not in {team},", email=member_email, team=team.name)
        )
        raise _Refused(Phrase("{who} cannot edit {what}; procurement or an admin can", who=who, what=Phrase(what)))
    return email


def _find_line(session: Session, team_id: int, key: str) -> PurchaseLine:
    head, _, number = key.rpartition("/")
    platform, _, order_no = head.partition(":")
    line = None
    if number.isdigit():
        line = session.scalar(
            select(PurchaseLine)
            .join(PurchaseOrder)
            .where(
                PurchaseOrder.team_id == team_id,
                PurchaseOrder.platform == platform,
                PurchaseOrder.supplier_order_no == order_no,
                PurchaseLine.line_no == int(number),
            )
        )
    if line is None:
        raise _Refused(Phrase("no purchase line {key!r} (lines come in with `purchases import`)", key=key))
    return line


def edit_line(session: Session, team: Team, member_email: str, key: str, typed: Mapping[str, object]) -> RowEdit:
    """Check one purchase-tab row's typed cells together, then store them all or none (the sheet shows why)."""
    try:
        actor = _editor(session, team, member_email, "purchases")
        line = _find_line(session, team.id, key)
        values = {column: _parsed(LINE_FIELDS[column][2], value, column) for column, value in typed.items()}
        plan = _line_plan(session, team, line, values)
    except _Refused as refused:
        return RowEdit(refused=refused.message, column=refused.column)
    _apply_line(session, team, line, plan, actor)
    _audit(session, team, actor, "purchase", key=key, typed=typed)
    return RowEdit(_answer(Source(purchase=line_row(session, line.id)), typed))


@dataclass
class _LinePlan:
    line: dict[str, Any]
    order: dict[str, Any]
    moves: bool = False  # into `shipment`: a consolidation, a new one's name, or None (out of any)
    shipment: Consolidation | str | None = None


def _line_plan(session: Session, team: Team, line: PurchaseLine, values: Mapping[str, Any]) -> _LinePlan:
    """The row as it would be stored, checked as a whole: nothing is written until every cell passes."""
    plan = _LinePlan({}, {})
    for column, value in values.items():
        level, attribute, _parse = LINE_FIELDS[column]
        (plan.order if level == "order" else plan.line)[attribute] = value
    skus, warehouses = stock.known(session, team.id)
    sku = plan.line.get("seller_sku")
    if sku and sku not in skus:
        raise _Refused(Phrase("unknown seller SKU {sku!r}{closest}", sku=sku, closest=_closest(sku, skus)), "po_sku")
    warehouse = plan.line.get("warehouse_id")
    if warehouse and warehouse not in warehouses:
        closest = _closest(warehouse, warehouses)
        raise _Refused(Phrase("unknown warehouse {warehouse!r}{closest}", warehouse=warehouse, closest=closest),
                       "po_warehouse")  # fmt: skip

    def now(attribute: str, where: Any, changes: Mapping[str, Any]) -> Any:
        return changes[attribute] if attribute in changes else getattr(where, attribute)

    ordered, received = now("quantity_ordered", line, plan.line), now("quantity_received", line, plan.line)
    if ordered is None:
        raise _Refused("Quantity ordered must be a whole number above 0", "po_qty_ordered")
    if received is not None and received > ordered:
        column = "po_qty_received" if "quantity_received" in plan.line else "po_qty_ordered"
        raise _Refused(Phrase("received ({received}) is more than ordered ({ordered})", received=received,
                              ordered=ordered), column)  # fmt: skip
    if plan.line.get("unit_price") is not None and not now("currency", line.order, plan.order):
        raise _Refused("a price needs its currency: type it in Currency (such as CNY)", "po_unit_price")
    if "consolidation" in plan.line:
        name = plan.line.pop("consolidation")
        existing = select(Consolidation).where(Consolidation.team_id == team.id, Consolidation.name == name)
        plan.moves, plan.shipment = True, (session.scalar(existing) or name) if name else None
    shipment = plan.shipment if plan.moves else line.consolidation
    status = plan.line.get("status")
    if status is not None:
        if shipment is not None and status != LineStatus.CANCELLED:
            name = shipment if isinstance(shipment, str) else shipment.name
            raise _Refused(Phrase("this line travels in {name}: change the status there", name=name), "po_status")
        if status == LineStatus.CONSOLIDATED:
            raise _Refused("type the consolidation's name in Consolidation instead", "po_status")
        if status == LineStatus.ARRIVED:
            today = datetime.now(team_zone(team)).date()
            plan.line.setdefault("arrived_on", line.arrived_on or today)
            plan.line.setdefault("quantity_received", received if received is not None else ordered)
    return plan


def _apply_line(session: Session, team: Team, line: PurchaseLine, plan: _LinePlan, actor: str) -> None:
    order, left = line.order, line.consolidation_id
    for attribute, value in plan.order.items():
        setattr(order, attribute, value)
    for attribute, value in plan.line.items():
        setattr(line, attribute, value)
    if plan.moves:
        if isinstance(plan.shipment, str):
            plan.shipment = Consolidation(
                team_id=team.id, name=plan.shipment, warehouse_id=line.warehouse_id, updated_by=actor
            )
            session.add(plan.shipment)
        line.consolidation = plan.shipment
    order.typed_fields = sorted({*order.typed_fields, *plan.order})
    line.typed_fields = sorted({*line.typed_fields, *plan.line, *(["consolidation"] if plan.moves else [])})
    order.updated_by = line.updated_by = actor
    session.flush()
    if "seller_sku" in plan.line and line.seller_sku:
        _remember(session, team, order, line, actor)
    # The consolidation it left shares its charges among fewer lines now.
    behind = list(session.scalars(select(PurchaseLine.id).where(PurchaseLine.consolidation_id == left))) if left else []
    recompute_landed(session, team.id, [line.id, *behind])
    fx.mark_team_dirty(session, team.id)


def _remember(session: Session, team: Team, order: PurchaseOrder, line: PurchaseLine, actor: str) -> None:
    """The SKU typed for a supplier item and spec: kept for the next imports, and filled into the lines
    of the same item that still wait for one."""
    sku = line.seller_sku or ""
    mapping = session.scalar(
        select(SupplierItemSku).where(
            SupplierItemSku.team_id == team.id,
            SupplierItemSku.platform == order.platform,
            SupplierItemSku.item_ref == line.item_ref,
            SupplierItemSku.item_spec == line.item_spec,
        )
    )
    if mapping is None:
        session.add(SupplierItemSku(team_id=team.id, platform=order.platform, item_ref=line.item_ref,
                                    item_spec=line.item_spec, seller_sku=sku, updated_by=actor))  # fmt: skip
    else:
        mapping.seller_sku, mapping.updated_by = sku, actor
    if line.item_ref:
        waiting = (
            select(PurchaseLine.id)
            .join(PurchaseOrder)
            .where(
                PurchaseOrder.team_id == team.id,
                PurchaseOrder.platform == order.platform,
                PurchaseLine.item_ref == line.item_ref,
                PurchaseLine.item_spec == line.item_spec,
                PurchaseLine.seller_sku.is_(None),
            )
        )
        session.execute(
            update(PurchaseLine).where(PurchaseLine.id.in_(waiting)).values(seller_sku=sku),
            execution_options={"synchronize_session": False},
        )
    ensure_opening(session, team, {sku}, actor)


def line_row(session: Session, line_id: int) -> PurchaseLineView:
    line = session.get_one(PurchaseLine, line_id)
    return _line_view(line.order, line, line.consolidation)


def edit_consolidation(
    session: Session, team: Team, member_email: str, name: str, typed: Mapping[str, object]
) -> RowEdit:
    """Check one consolidations-tab row's typed cells together, then store them all or none."""
    try:
        actor = _editor(session, team, member_email, "consolidations")
        shipment = session.scalar(
            select(Consolidation).where(Consolidation.team_id == team.id, Consolidation.name == name)
        )
        if shipment is None:
            raise _Refused(
                Phrase("no consolidation {name!r}: type its name into a purchase line's Consolidation first", name=name)
            )
        changes = {SHIPMENT_FIELDS[c][0]: _parsed(SHIPMENT_FIELDS[c][1], v, c) for c, v in typed.items()}
        _check_shipment(session, team, shipment, changes)
    except _Refused as refused:
        return RowEdit(refused=refused.message, column=refused.column)
    for attribute, value in changes.items():
        setattr(shipment, attribute, value)
    shipment.updated_by = actor
    if changes.get("status") == ShipmentStatus.ARRIVED:
        for line in session.scalars(select(PurchaseLine).where(PurchaseLine.consolidation_id == shipment.id)):
            if line.quantity_received is None:
                line.quantity_received = line.quantity_ordered  # counted as ordered until procurement says less
    session.flush()
    line_ids = list(session.scalars(select(PurchaseLine.id).where(PurchaseLine.consolidation_id == shipment.id)))
    recompute_landed(session, team.id, line_ids)
    fx.mark_team_dirty(session, team.id)
    _audit(session, team, actor, "consolidation", key=name, typed=typed)
    carried = list(session.scalars(select(PurchaseLine).where(PurchaseLine.consolidation_id == shipment.id)))
    return RowEdit(_answer(Source(consolidation=_shipment_view(shipment, carried)), typed))


def _audit(session: Session, team: Team, actor: str, what: str, *, key: str, typed: Mapping[str, object]) -> None:
    detail = {"typed": {column: text_of(value) for column, value in typed.items()}}
    session.add(AuditEntry(team_id=team.id, actor=actor, action=f"{what}.edit", target_type=what,
                           target_id=key[:128], detail=detail))  # fmt: skip


def _check_shipment(session: Session, team: Team, shipment: Consolidation, changes: dict[str, Any]) -> None:
    def now(attribute: str) -> Any:
        return changes[attribute] if attribute in changes else getattr(shipment, attribute)

    column = {SHIPMENT_FIELDS[c][0]: c for c in SHIPMENT_FIELDS}
    if changes.get("warehouse_id"):
        _skus, warehouses = stock.known(session, team.id)
        if changes["warehouse_id"] not in warehouses:
            raise _Refused(Phrase("unknown warehouse {warehouse!r}{closest}", warehouse=changes["warehouse_id"],
                                  closest=""), "cons_warehouse")  # fmt: skip
    if any(changes.get(c) is not None for c in CHARGES) and not now("currency"):
        first = next(c for c in CHARGES if changes.get(c) is not None)
        raise _Refused("an amount needs its currency: type it in Currency (such as USD)", column[first])
    if now("status") != ShipmentStatus.PACKING:
        missing = [what for what, ok in (("weight", now("weight_kg") is not None or now("volumetric_kg") is not None),
                                          ("freight", now("freight") is not None)) if not ok]  # fmt: skip
        if missing:
            blame = (
                "status"
                if "status" in changes
                else next((a for a in ("weight_kg", "volumetric_kg", "freight") if a in changes), "status")
            )
            needs = Phrase("{what} and {other}", what=Phrase(missing[0]), other=Phrase(missing[1])) if len(
                missing) > 1 else Phrase(missing[0])  # fmt: skip
            raise _Refused(Phrase("{name} needs its {what} once it ships", name=shipment.name, what=needs),
                           column[blame])  # fmt: skip
    if changes.get("status") == ShipmentStatus.ARRIVED and now("arrived_on") is None:
        changes["arrived_on"] = datetime.now(team_zone(team)).date()


def _answer(source: Source, typed: Mapping[str, object]) -> dict[str, Any]:
    """Each typed column's canonical value, as a cell can take it back (dates as ISO text, money as numbers)."""
    answered = {}
    for column in typed:
        value = catalogue()[column].value(source)
        answered[column] = (
            float(value) if isinstance(value, Decimal) else value.isoformat() if isinstance(value, date) else value
        )
    return answered
