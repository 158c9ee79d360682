"""Edits typed into a sheet's input columns flow back: each cell is checked against its column and the
roles, stored with an audit entry, and answered with the canonical value (a rejected cell goes back to
it in the sheet, with a note saying why).

What is typed is stored where only this path and the seller's commands write (order_inputs, sku_costs,
fx_rates, exception cases, the sheet's side of stock levels), never in the columns ingest fills from the
platform, so no later sync of the order erases it. A tracking number with a carrier ships the package on
its platform (seller shipping) and re-reads the order, so its status moves in every bound sheet on the
next push; unit costs go into the profit ledger with their effective date, and exchange rates typed into
the rates tab with theirs. The platform is called with no database transaction open.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend import i18n
from backend.db import Database, insert_ignoring_duplicates
from backend.domain.analytics import UNKNOWN_MEMBER
from backend.domain.columns import SHEETS_EPOCH, Column, Grain
from backend.domain.fx import parse_pair
from backend.domain.pending_actions import FINANCE_PREFIX
from backend.domain.phrases import Phrase, said
from backend.domain.profiles import Profile
from backend.domain.seller_values import shown_note
from backend.domain.status import ShippingType
from backend.errors import NotFound, OrderDeckError, PlatformError
from backend.models import (
    AfterSaleCase,
    AuditEntry,
    FxRate,
    Member,
    Order,
    OrderEvent,
    OrderInput,
    Package,
    SheetBinding,
    Shop,
    SkuCost,
    Spreadsheet,
    Team,
    utcnow,
)
from backend.platforms import registry
from backend.platforms.base import PlatformOrder, ShopClient
from backend.services import bindings, costs, fx, limits, pack_list, purchases, stock, workflow
from backend.services.addon import Caller
from backend.services.after_sales import decisions
from backend.services.analytics import team_zone
from backend.services.ingest import ingest_orders, mark_bindings_dirty
from backend.services.sheet_refresh import rewrite_rows
from backend.services.shops import Platform, client_for
from backend.services.views import shipping_shown

TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")
CARRIER_LIMIT = 255  # order_inputs.carrier
SHIPPING = ("carrier", "tracking_number")
COST = ("unit_cost", "cost_currency", "effective_from")
RATE = ("fx_rate", "fx_date")


@dataclass(frozen=True)
class EditRow:
    row: int
    key: str
    cells: Mapping[int, Any]
    inputs: Mapping[int, Any]


@dataclass(frozen=True)
class EditBatch:
    google_id: str
    tab: str
    editor: str | None
    headers: tuple[str | None, ...]
    rows: tuple[EditRow, ...]
    keys: tuple[str | None, ...] = ()  # column keys from the sheet's developer metadata (an older trigger sends none)

    @classmethod
    def from_request(cls, data: Mapping[str, Any]) -> EditBatch:
        rows = tuple(
            EditRow(
                row=int(r["row"]),
                key=str(r["key"]).strip(),
                cells={int(k): v for k, v in r["cells"].items()},
                inputs={int(k): v for k, v in r.get("inputs", {}).items()},
            )
            for r in data["rows"]
        )
        editor = str(data["editor"]).strip().lower() if data.get("editor") else None
        headers, keys = tuple(data.get("headers") or ()), tuple(data.get("keys") or ())
        return cls(data["spreadsheet_id"], data["tab"], editor, headers, rows, keys)


@dataclass
class EditOutcome:
    cells: list[dict[str, Any]] = field(default_factory=list)
    changed: bool = False
    language: str = i18n.DEFAULT  # the sheet's: what its notes are said in (the audit keeps them in English)


@dataclass
class Job:
    """One row's edited cells of one kind (shipping, cost, exception, note) with the row's other inputs."""

    kind: str
    row: EditRow
    typed: dict[str, tuple[int, Any]]  # column key → (1-based column, value as typed)
    context: dict[str, tuple[int, Any]]  # every input column of the row, as in the sheet
    order: Order | None = None
    sku: str | None = None
    case_id: int | None = None  # an after-sales case (the after_sales and pending_actions tabs)
    shipped: ShipResult | None = None
    language: str = i18n.DEFAULT  # the sheet's: what its dropdowns and answered values are written in
    words: dict[str, dict[str, str]] = field(default_factory=dict)  # a dropdown's word in the sheet → in English
    packed: list[dict[str, Any]] = field(default_factory=list)  # the pack list's answers (services/pack_list.py)
    verdict: decisions.Verdict | None = None


@dataclass
class ShipResult:
    error: str | None = None
    carrier: str = ""
    tracking: str = ""
    package: str = ""
    refreshed: list[PlatformOrder] = field(default_factory=list)


def _typed(job: Job, key: str) -> str:
    """An input of the row as text: typed now, or already in the sheet."""
    return as_text(job.context.get(key, (0, None))[1])


def _order_of(session: Session, job: Job) -> Order:
    """The job's order, in this session (jobs are planned in another)."""
    if job.order is None:
        raise NotFound("this row has no order")
    return session.get_one(Order, job.order.id)


def _cell(row: int, column: int, status: str, value: Any, note: str | None = None) -> dict[str, Any]:
    return {"row": row, "column": column, "status": status, "value": value, "note": note}


def as_text(value: Any) -> str:
    """A cell as text; a number typed into a text column (digits of a tracking number) loses no '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- who may type where ----------------------------------------------------------------------------
def _binding(session: Session, caller: Caller, batch: EditBatch) -> tuple[SheetBinding, Profile, Profile]:
    """The tab's binding, its profile as the sheet shows it (in its language) and in English."""
    binding = session.scalar(
        select(SheetBinding)
        .join(Spreadsheet)
        .where(Spreadsheet.google_id == batch.google_id, Spreadsheet.team_id == caller.team_id)
        .where(SheetBinding.tab_title == batch.tab)
    )
    if binding is None:
        raise NotFound(Phrase("tab {tab!r} of this spreadsheet is not bound to your team", tab=batch.tab))
    language = i18n.language_of(session.get_one(Team, caller.team_id), binding.spreadsheet)
    english = bindings.profile_for(session, caller.team_id, binding.profile_key)
    return binding, i18n.localized(english, language), english


def _moved(column: Column, header: str | None, key: str | None) -> str | None:
    """Why the column the person typed in is not the one OrderDeck wrote there, or None. Its key (developer
    metadata, which travels with the column) decides; a sheet without keys falls back on the header text."""
    if key is not None:
        return (
            None
            if key == column.key
            else Phrase("this column is now {header!r} (it was moved): wait for the next update", header=column.header)
        )
    if header is not None and header.strip() and header.strip() != column.header:
        return Phrase(
            "this column is now {header!r} (header {typed!r} was moved): wait for the next update",
            header=column.header,
            typed=header,
        )
    return None


def _refusal(
    column: Column, header: str | None, key: str | None, caller: Caller, editor: tuple[str, str | None] | None
) -> str | None:
    """Why this cell may not be edited by this person, or None."""
    if moved := _moved(column, header, key):
        return moved
    if not column.is_input:
        return Phrase("{header!r} is written by OrderDeck: it is put back at the next update", header=column.header)
    for who, role in ((caller.email, caller.role), editor or (None, None)):
        if who is None:
            continue
        if role is None:
            return Phrase("{who} is not a member of this team, so OrderDeck did not keep the change", who=who)
        if role != "admin" and role not in column.editable_by:
            return Phrase("the {role} role may not change {header!r}", role=Phrase(role), header=column.header)
    return None


@dataclass(frozen=True)
class Attribution:
    """Who an edit is recorded for, with their role (None: not known), and an editor whose role is checked too."""

    actor: str
    role: str | None
    editor: tuple[str, str | None] | None = None


def _attribution(session: Session, caller: Caller, spreadsheet: Spreadsheet, claimed: str | None) -> Attribution:
    """The installable edit trigger runs as the admin who installed it and passes Google's `e.user`, so an
    editor named by that admin's call is believed when it is a member (a non-member's cells are refused). From
    anyone else the named editor is ignored: the verified caller acted. An empty `e.user` from the trigger is
    an unknown member, never the admin, and ranks nowhere."""
    if caller.role != "admin" or spreadsheet.edits_trigger_by != caller.email:
        return Attribution(caller.email, caller.role)
    if not claimed:
        return Attribution(UNKNOWN_MEMBER, None)
    role = session.scalar(select(Member.role).where(Member.team_id == caller.team_id, Member.email == claimed))
    return Attribution(claimed, role, (claimed, role))


# Input column → what typing into it does.
KIND_OF = {
    **dict.fromkeys(SHIPPING, "shipping"),
    **dict.fromkeys(COST, "cost"),
    **dict.fromkeys(RATE, "rate"),
    "exception": "exception",
    "note": "note",
    **dict.fromkeys(stock.EDITABLE, "stock"),
    **dict.fromkeys(pack_list.INPUTS, "pack"),
    **dict.fromkeys(purchases.LINE_FIELDS, "purchase"),
    **dict.fromkeys(purchases.SHIPMENT_FIELDS, "consolidation"),
    "case_decision": "decision",
    "case_reject_reason": "decision",
    "case_note": "case_note",
    "action_finance": "finance",
}
KEYED_BY_ROW = frozenset({Grain.SKU, Grain.STOCK, Grain.FX_RATE, Grain.PACK, Grain.PURCHASE_LINE, Grain.CONSOLIDATION})
CASE_GRAINS = frozenset({Grain.AFTER_SALE, Grain.PENDING_ACTION})


def _order_for(session: Session, binding: SheetBinding, key: str) -> Order | None:
    external = key.split("/", 1)[0]
    shops = select(Shop.id).where(Shop.team_id == binding.spreadsheet.team_id)
    if binding.shop_ids:
        shops = shops.where(Shop.id.in_([int(s) for s in binding.shop_ids]))
    return session.scalar(
        select(Order)
        .where(Order.external_id == external, Order.shop_id.in_(shops))
        .options(selectinload(Order.lines), selectinload(Order.packages), selectinload(Order.typed))
    )


def _find_subject(session: Session, binding: SheetBinding, profile: Profile, job: Job) -> str:
    """Point the job at what its row is about (a SKU, a case or an order); "" when found, else why not."""
    key = job.row.key
    if profile.grain in KEYED_BY_ROW:
        job.sku = key
    elif profile.grain in CASE_GRAINS:
        job.case_id = _case_for(session, binding, key)
        return "" if job.case_id is not None else Phrase("no after-sales case {key!r} in this tab", key=key)
    else:
        job.order = _order_for(session, binding, key)
        return "" if job.order is not None else Phrase("no order {key!r} in this tab", key=key)
    return ""


def _case_for(session: Session, binding: SheetBinding, key: str) -> int | None:
    """The case a row names: its platform id (the after_sales tab) or "refund <id>" (pending_actions)."""
    external = key.removeprefix(FINANCE_PREFIX).strip()
    shops = select(Shop.id).where(Shop.team_id == binding.spreadsheet.team_id)
    if binding.shop_ids:
        shops = shops.where(Shop.id.in_([int(s) for s in binding.shop_ids]))
    return session.scalar(
        select(AfterSaleCase.id)
        .where(AfterSaleCase.external_id == external, AfterSaleCase.shop_id.in_(shops))
        .order_by(AfterSaleCase.id)
        .limit(1)
    )


def _typed_of(session: Session, order: Order, actor: str) -> OrderInput:
    """The order's typed values, created on the first edit (two first edits at once share the row one of them
    made, rather than the other failing on it); stamped with who typed last."""
    if order.typed is None:
        made = insert_ignoring_duplicates(session, OrderInput, ["order_id"])
        session.execute(made.values(order_id=order.id, updated_by=actor, updated_at=utcnow()))
        order.typed = session.get_one(OrderInput, order.id)
    order.typed.updated_by, order.typed.updated_at = actor, utcnow()
    return order.typed


def _plan(session: Session, caller: Caller, batch: EditBatch, outcome: EditOutcome) -> tuple[list[Job], Attribution]:
    """Each row's typed cells, checked and grouped by what they do, and who typed them; refused cells are
    answered here."""
    binding, profile, english = _binding(session, caller, batch)
    language = outcome.language = i18n.language_of(session.get_one(Team, caller.team_id), binding.spreadsheet)
    who = _attribution(session, caller, binding.spreadsheet, batch.editor)
    editor = who.editor
    jobs: list[Job] = []
    typed_over: set[str] = set()
    for row in batch.rows:
        context = {
            c.key: (i + 1, row.inputs.get(i + 1, row.cells.get(i + 1)))
            for i, c in enumerate(profile.columns)
            if c.is_input
        }
        by_kind: dict[str, dict[str, tuple[int, Any]]] = {}
        for column_number, value in sorted(row.cells.items()):
            if not 1 <= column_number <= len(profile.columns):
                outcome.cells.append(_cell(row.row, column_number, "rejected", None, "OrderDeck writes no column here"))
                continue
            column = profile.columns[column_number - 1]
            header = batch.headers[column_number - 1] if column_number <= len(batch.headers) else None
            key = batch.keys[column_number - 1] if column_number <= len(batch.keys) else None
            why = _refusal(column, header, key, caller, editor)
            if why is None and column.key not in KIND_OF:
                why = Phrase("{header!r} cannot be changed from the sheet", header=column.header)
            if why is not None:
                outcome.cells.append(_cell(row.row, column_number, "rejected", None, why))  # no canonical value
                if not column.is_input:
                    typed_over.add(row.key)
                continue
            by_kind.setdefault(KIND_OF[column.key], {})[column.key] = (column_number, value)
        for kind, typed in by_kind.items():
            words = {key: dict(zip(profile.columns[n - 1].enum_values, english.columns[n - 1].enum_values, strict=True))
                     for key, (n, _value) in typed.items()}  # fmt: skip
            job = Job(kind, row, typed, context, language=language, words=words)
            missing = _find_subject(session, binding, profile, job)
            if missing:
                _reject_all(outcome, job, missing, {})
            else:
                jobs.append(job)
    if typed_over:  # an admin typed over what OrderDeck writes: the next push writes those rows again
        rewrite_rows(session, binding, typed_over)
        outcome.changed = True
    return jobs, who


def _reject_all(outcome: EditOutcome, job: Job, note: str, current: Mapping[str, Any]) -> None:
    for key, (column, _value) in job.typed.items():
        outcome.cells.append(_cell(job.row.row, column, "rejected", current.get(key), note))


# -- shipping --------------------------------------------------------------------------------------
def _current_shipping(order: Order) -> dict[str, Any]:
    shown = shipping_shown(order)
    return {"carrier": shown.carrier, "tracking_number": shown.tracking_number}


def _package_to_ship(order: Order, platform: str, row_key: str) -> Package | str:
    """The package a row's tracking number is for, or why there is no single one."""
    label = registry.channel(platform).label
    if order.shipping_type == ShippingType.PLATFORM:
        return f"{label} ships this order and brings its own tracking number; nothing to type here"
    line_key = row_key.split("/", 1)[1] if "/" in row_key else None
    lines = [line for line in order.lines if line_key is None or line_key in (line.seller_sku, line.sku_id)]
    ids = {line.package_external_id for line in lines if line.package_external_id}
    candidates = [p for p in order.packages if not ids or p.external_id in ids]
    open_packages = [p for p in candidates if not p.tracking_number]
    if not candidates:
        return f"{label} has not created a package for this order yet; try again after the next sync"
    if not open_packages:
        return "this package is already shipped"
    if len(open_packages) > 1:
        return "this row spans several packages: use a sheet with one row per package"
    return open_packages[0]


def _ship(db: Database, platform: Platform, jobs: list[Job]) -> None:
    """Ship every shipping job that has both a carrier and a tracking number (no transaction open)."""
    clients: dict[int, ShopClient] = {}
    try:
        for job in jobs:
            order = job.order
            if job.kind != "shipping" or order is None:
                continue
            carrier, tracking = _typed(job, "carrier"), _typed(job, "tracking_number")
            if not (carrier and tracking) or not TRACKING.match(tracking):
                continue
            job.shipped = _ship_one(
                db, platform, clients, order, row_key=job.row.key, carrier=carrier, tracking=tracking
            )
    finally:
        for client in clients.values():
            client.close()


def _ship_one(
    db: Database,
    platform: Platform,
    clients: dict[int, ShopClient],
    order: Order,
    *,
    row_key: str,
    carrier: str,
    tracking: str,
) -> ShipResult:
    with db.session() as session:
        shop = session.get_one(Shop, order.shop_id)
    package = _package_to_ship(order, shop.platform, row_key)
    if isinstance(package, str):
        return ShipResult(error=package)
    try:
        client = clients.get(shop.id) or clients.setdefault(shop.id, client_for(db, platform, shop))
        shipment = client.ship(
            order_id=order.external_id, package_id=package.external_id, carrier=carrier, tracking_number=tracking
        )
    except PlatformError as exc:
        return ShipResult(error=f"{registry.channel(shop.platform).label} refused: {exc.message}")
    except OrderDeckError as exc:
        return ShipResult(error=exc.message)
    result = ShipResult(carrier=shipment.carrier, tracking=tracking, package=package.external_id)
    with contextlib.suppress(PlatformError):  # shipped all the same; the next sync brings the status
        result.refreshed = list(client.get_orders([order.external_id]).orders)
    return result


def _record_shipping(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    order = _order_of(session, job)
    current = _current_shipping(order)
    tracking = _typed(job, "tracking_number")
    result = job.shipped
    if tracking and not TRACKING.match(tracking):
        why = Phrase("{tracking!r} is not a tracking number (4-64 letters, digits or -)", tracking=tracking)
        _reject_all(outcome, job, why, current)
        return
    if len(_typed(job, "carrier")) > CARRIER_LIMIT:
        too_long = Phrase("a carrier's name is at most {limit} characters", limit=CARRIER_LIMIT)
        _reject_all(outcome, job, too_long, current)
        return
    if result is None:
        typed = _typed_of(session, order, actor)
        missing = "carrier" if tracking else "tracking number"
        for key, (column, value) in job.typed.items():
            setattr(typed, key, as_text(value) or None)  # the column keys are OrderInput's attribute names
            note = Phrase("Saved. Type the {missing} too, and OrderDeck ships the package.", missing=Phrase(missing))
            outcome.cells.append(_cell(job.row.row, column, "pending", as_text(value), note))
        mark_bindings_dirty(session, caller.team_id, order.shop_id, [order.id])
        outcome.changed = True
        return
    if result.error:
        _reject_all(outcome, job, result.error, current)
        if "carrier" not in job.typed and "carrier" in job.context and "carrier" in result.error:
            outcome.cells.append(
                _cell(job.row.row, job.context["carrier"][0], "rejected", current["carrier"], result.error)
            )
        return
    typed = _typed_of(session, order, actor)
    typed.carrier, typed.tracking_number = result.carrier, result.tracking
    shop = session.get_one(Shop, order.shop_id)
    if result.refreshed:
        ingest_orders(session, shop, result.refreshed, source="api", actor=actor)
    else:
        package = next(p for p in order.packages if p.external_id == result.package)
        package.tracking_number, package.shipping_provider_name = result.tracking, result.carrier
    order.events.append(
        OrderEvent(
            kind="shipped",
            occurred_at=utcnow(),
            actor=actor,
            actor_role=caller.role or None,
            detail={"tracking_number": result.tracking, "carrier": result.carrier, "package": result.package},
        )
    )
    mark_bindings_dirty(session, shop.team_id, shop.id, [order.id])
    outcome.changed = True
    canonical = {"carrier": result.carrier, "tracking_number": result.tracking}
    for key, (column, _value) in job.typed.items():
        outcome.cells.append(_cell(job.row.row, column, "accepted", canonical[key]))


# -- costs -----------------------------------------------------------------------------------------
def _as_date(value: Any) -> str:
    """A typed date: an ISO date, or a spreadsheet serial number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (SHEETS_EPOCH.date() + timedelta(days=int(value))).isoformat()
    return as_text(value)[:10]


def _as_amount(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return as_text(value)


def _record_dated(
    job: Job, outcome: EditOutcome, *, current: Mapping[str, Any], amount: str, what: str,
    store: Callable[[str], Mapping[str, Any]],
) -> None:  # fmt: skip
    """A value that applies from a date (a unit cost, a rate): wait for the value, store it, answer each cell.

    `store` validates and stores the typed value and returns the row's canonical inputs; a refusal puts
    every typed cell back to `current` with the reason.
    """
    typed = _as_amount(job.context.get(amount, (0, None))[1])
    if not typed:
        for column, value in job.typed.values():
            note = Phrase("Not recorded yet: type the {what} too.", what=Phrase(what))
            outcome.cells.append(_cell(job.row.row, column, "pending", as_text(value), note))
        return
    try:
        canonical = store(typed)
    except OrderDeckError as exc:
        _reject_all(outcome, job, exc.message, current)
        return
    outcome.changed = True
    for key, (column, _value) in job.context.items():
        if key in job.typed or canonical[key] != current[key]:
            outcome.cells.append(_cell(job.row.row, column, "accepted", canonical[key]))


def _record_cost(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    team = session.get_one(Team, caller.team_id)
    sku = job.sku or ""
    latest = session.scalar(
        select(SkuCost)
        .where(SkuCost.team_id == team.id, SkuCost.seller_sku == sku)
        .order_by(SkuCost.effective_from.desc())
        .limit(1)
    )
    current: dict[str, Any] = {
        "unit_cost": float(latest.unit_cost) if latest else None,
        "cost_currency": latest.currency if latest else "",
        "effective_from": latest.effective_from.isoformat() if latest else "",
    }

    def store(amount: str) -> dict[str, Any]:
        currency = _typed(job, "cost_currency") or _default_currency(session, team, latest)
        effective = _as_date(job.context.get("effective_from", (0, None))[1]) or _today(team)
        row = costs.cost_row(sku, amount, currency, effective)
        costs.upsert_costs(session, team, [row], actor=actor)
        return {
            "unit_cost": float(row.unit_cost),
            "cost_currency": row.currency,
            "effective_from": row.effective_from.isoformat(),
        }

    _record_dated(job, outcome, current=current, amount="unit_cost", what="unit cost", store=store)


def _record_rate(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    """A rate typed into the rates tab: the row's pair, from the typed date (today in the team's zone)."""
    team = session.get_one(Team, caller.team_id)
    try:
        base, quote = parse_pair(job.sku or "")
    except ValueError as exc:
        _reject_all(outcome, job, str(exc), {})
        return
    latest = session.scalar(
        select(FxRate)
        .where(FxRate.team_id == team.id, FxRate.base == base, FxRate.quote == quote)
        .order_by(FxRate.day.desc())
        .limit(1)
    )
    current = {"fx_rate": float(latest.rate) if latest else None, "fx_date": latest.day.isoformat() if latest else ""}

    def store(amount: str) -> dict[str, Any]:
        rate = fx.rate_row(_as_date(job.context.get("fx_date", (0, None))[1]) or _today(team), base, quote, amount)
        fx.upsert_rates(session, team, [rate], source=actor)
        return {"fx_rate": float(rate.rate), "fx_date": rate.day.isoformat()}

    _record_dated(job, outcome, current=current, amount="fx_rate", what="rate", store=store)


def _default_currency(session: Session, team: Team, latest: SkuCost | None) -> str:
    if latest is not None:
        return latest.currency
    found = session.scalar(select(Shop.currency).where(Shop.team_id == team.id).order_by(Shop.id).limit(1))
    return found or ""


def _today(team: Team) -> str:
    return datetime.now(team_zone(team)).date().isoformat()


# -- exceptions and notes --------------------------------------------------------------------------
def _record_exception(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    order = _order_of(session, job)
    column, value = job.typed["exception"]
    open_now = ", ".join(workflow.template(c.template_key).label[job.language] for c in workflow.open_exceptions(
        session, caller.team_id, [order.id]))  # fmt: skip
    label = as_text(value)
    if not label or label in open_now.split(", "):
        outcome.cells.append(_cell(job.row.row, column, "accepted", open_now))
        return
    try:
        workflow.raise_from_dropdown(session, session.get_one(Team, caller.team_id), order.id, label, actor=actor)
    except OrderDeckError as exc:
        outcome.cells.append(_cell(job.row.row, column, "rejected", open_now, exc.message))
        return
    outcome.changed = True
    outcome.cells.append(_cell(job.row.row, column, "accepted", ", ".join(filter(None, [open_now, label]))))


def _record_note(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    order = _order_of(session, job)
    column, value = job.typed["note"]
    text = as_text(value)[:2000]
    _typed_of(session, order, actor).note = text or None
    order.events.append(
        OrderEvent(
            kind="note", occurred_at=utcnow(), actor=actor, actor_role=caller.role or None, detail={"note": text}
        )
    )
    mark_bindings_dirty(session, caller.team_id, order.shop_id, [order.id])
    outcome.changed = True
    outcome.cells.append(_cell(job.row.row, column, "accepted", shown_note(text, order.seller_note)))


def _record_stock(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    """A procurement count or note for one SKU and warehouse; the next push re-allocates."""
    typed = {key: value for key, (_column, value) in job.typed.items()}
    result = stock.apply_stock_edit(
        session, session.get_one(Team, caller.team_id), actor, {"stock_key": job.sku, **typed}
    )
    if isinstance(result, stock.StockEditRejected):
        _answer_row(outcome, job, purchases.RowEdit(refused=result.message, column=result.column))
    else:
        _answer_row(outcome, job, purchases.RowEdit(result.row))


def _in_english(job: Job) -> dict[str, Any]:
    """The row's typed values, a dropdown's word typed in the sheet's language read as its English one."""
    return {key: job.words[key].get(value, value) if isinstance(value, str) else value
            for key, (_column, value) in job.typed.items()}  # fmt: skip


def _record_purchase(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    """A purchase line's typed cells, all stored or none; its landed cost is recomputed at once."""
    typed = _in_english(job)
    team = session.get_one(Team, caller.team_id)
    _answer_row(outcome, job, purchases.edit_line(session, team, actor, job.sku or "", typed))


def _record_consolidation(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    """A consolidation's typed cells; its status moves every line it carries."""
    typed = _in_english(job)
    team = session.get_one(Team, caller.team_id)
    _answer_row(outcome, job, purchases.edit_consolidation(session, team, actor, job.sku or "", typed))


def _answer_row(outcome: EditOutcome, job: Job, result: purchases.RowEdit) -> None:
    """Every typed cell of a row stored together: each answered with its canonical value, or refused with the
    reason on the cell to blame and a pointer to it on the others."""
    if result.refused is not None:
        for key, (column, _value) in job.typed.items():
            note = result.refused if result.column in (None, key) else "not saved: another cell in this row was refused"
            outcome.cells.append(_cell(job.row.row, column, "rejected", None, note))
        return
    outcome.changed = True
    for key, (column, _value) in job.typed.items():
        shown = {english: word for word, english in job.words[key].items()}  # answered in the sheet's language
        canonical = result.cells.get(key)
        outcome.cells.append(_cell(job.row.row, column, "accepted", shown.get(canonical, canonical)
                                   if isinstance(canonical, str) else canonical))  # fmt: skip


# -- after-sales decisions (sent like a tracking number: checked and claimed, sent, recorded) ----------------
def _ask(session: Session, caller: Caller, actor: str, job: Job) -> None:
    """Check the row's decision (or finance's answer) and claim the case if it is to be sent."""
    if job.kind not in ("decision", "finance"):
        return
    case = session.get_one(AfterSaleCase, job.case_id)
    if job.kind == "finance":
        job.verdict = decisions.finance_answer(session, case, answer=_typed(job, "action_finance"), actor=actor,
                                               role=caller.role)  # fmt: skip
    elif job.kind == "decision" and "case_decision" not in job.typed and not _typed(job, "case_decision"):
        job.verdict = decisions.choose_reason(session, case, _typed(job, "case_reject_reason"), actor=actor)
    elif job.kind == "decision":
        job.verdict = decisions.decide(
            session, case, typed_decision=_typed(job, "case_decision"), typed_reason=_typed(job, "case_reject_reason"),
            actor=actor,
        )  # fmt: skip


def _record_decision(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    assert job.verdict is not None
    verdict = decisions.record(session, job.verdict, actor=actor, role=caller.role)
    values = {
        "case_decision": verdict.decision,
        "case_reject_reason": verdict.reason,
        "action_finance": verdict.decision,
    }
    for key, (column, _value) in job.typed.items():
        outcome.cells.append(_cell(job.row.row, column, verdict.status, values[key], verdict.note))
    outcome.changed = outcome.changed or verdict.status != "rejected"


def _record_case_note(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    column, value = job.typed["case_note"]
    text = decisions.note(session, session.get_one(AfterSaleCase, job.case_id), as_text(value), actor)
    outcome.changed = True
    outcome.cells.append(_cell(job.row.row, column, "accepted", text))


def _record_pack(session: Session, caller: Caller, actor: str, job: Job, outcome: EditOutcome) -> None:
    """The pack list acted before this session (services/pack_list.py); its answers are the job's."""
    outcome.cells += job.packed


def _pack(
    db: Database, platform: Platform, caller: Caller, jobs: list[Job], outcome: EditOutcome, *, actor: str
) -> None:
    """One pass of the pack list: its handovers ship as waves, with no transaction open."""
    packing = [j for j in jobs if j.kind == "pack"]
    if not packing:
        return
    edits = [
        pack_list.PackEdit(
            j.row.row,
            j.row.key,
            {k: (j.typed[k][0], as_text(v)) for k, v in _in_english(j).items()},  # "合并" read as Combine
            {k: (c, as_text(v)) for k, (c, v) in j.context.items()},
        )
        for j in packing
    ]
    answers = pack_list.apply(db, platform, caller.team_id, actor, edits)
    by_row: dict[int, list[dict[str, Any]]] = {}
    for cell in answers.cells:
        by_row.setdefault(cell["row"], []).append(cell)
    for job in packing:
        job.packed = by_row.get(job.row.row, [])
    outcome.changed |= answers.changed


RECORDERS: Mapping[str, Callable[[Session, Caller, str, Job, EditOutcome], None]] = {
    "shipping": _record_shipping,
    "cost": _record_cost,
    "rate": _record_rate,
    "exception": _record_exception,
    "note": _record_note,
    "stock": _record_stock,
    "pack": _record_pack,
    "purchase": _record_purchase,
    "consolidation": _record_consolidation,
    "decision": _record_decision,
    "finance": _record_decision,
    "case_note": _record_case_note,
}


def spend_limits(db: Database, caller: Caller, sent: Any) -> None:
    """Count an edit event, and the cells it carries, against the caller's and the team's limits (`edit_cells.*`,
    `edited_cells.*`), from the request as sent: checking a paste of many cells, a platform call per shipped
    row and the push it asks for are what a flood of edits would spend."""
    rows = sent.get("rows") if isinstance(sent, Mapping) else None
    typed = [row.get("cells") for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []
    cells = sum(len(c) for c in typed if isinstance(c, Mapping))
    limits.spend(db, "edit_cells", team_id=caller.team_id, member=caller.email)
    limits.spend(db, "edited_cells", team_id=caller.team_id, member=caller.email, cost=cells)


def apply_edits(db: Database, platform: Platform, caller: Caller, batch: EditBatch) -> EditOutcome:
    """Check, act on and record one edit event; the answer has one entry per typed cell."""
    outcome = EditOutcome()
    with db.session() as session:
        jobs, who = _plan(session, caller, batch, outcome)
    actor, acting = who.actor, replace(caller, email=who.actor, role=who.role or "")
    with db.session() as session:  # decisions are claimed (committed) before anything is sent
        for job in jobs:
            _ask(session, acting, actor, job)
    _ship(db, platform, jobs)
    _pack(db, platform, caller, jobs, outcome, actor=actor)
    decisions.send(db, platform, [job.verdict for job in jobs if job.verdict is not None])
    with db.session() as session:
        for job in jobs:
            before = len(outcome.cells)
            RECORDERS[job.kind](session, acting, actor, job, outcome)
            session.add(
                AuditEntry(
                    team_id=caller.team_id,
                    actor=actor,
                    action="sheet.edit",
                    target_type="sheet",
                    target_id=job.row.key[:128],
                    detail={
                        "spreadsheet": batch.google_id,
                        "tab": batch.tab,
                        "row": job.row.row,
                        "typed": {k: as_text(v) for k, (_c, v) in job.typed.items()},
                        "results": outcome.cells[before:],
                        "editor": batch.editor,
                        "via": caller.email,
                    },
                )
            )
    translate = i18n.translator(outcome.language)
    for cell in outcome.cells:
        cell["note"] = cell["note"] and said(cell["note"], translate)
    return outcome
