"""Nothing typed is lost: every input column of the catalogue, typed into a sheet and sent through
/addon/edits as the edit trigger sends it, survives every later change of its order on TikTok — an
incremental sync, a webhook round, a full sync and, for order columns, a Seller Center export — and is
still in the sheet and in the database after each push.

The cases are keyed by the catalogue's input columns on rows a sync also writes, so a new input column
there without a case fails here.
One world (the backend over HTTP, the TikTok and Google sandboxes) is built per module: every column is
typed into a row of its own, each round changes every one of those rows' orders at once, and after each
push what the database and the sheets hold is recorded; each column's test then reads its own record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend import runtime
from backend.db import Database
from backend.domain.a1 import column_letters
from backend.domain.columns import ORDER_GRAINS, SHEETS_EPOCH, Column, ColumnType, Grain
from backend.domain.profiles import Profile
from backend.models import (
    AfterSaleCase,
    CaseInput,
    ExceptionCase,
    OpeningStock,
    Order,
    OrderInput,
    OrderLine,
    Package,
    PackageShipping,
    Shop,
    SkuCost,
    StockLevel,
    Team,
    utcnow,
)
from backend.platforms.base import ConsentReturn
from backend.sandbox.sheets import GoogleSandboxes, QuotaLimits
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import bindings, limits, teams
from backend.services import shops as shops_service
from backend.services.shops import Platform
from tests.api.conftest import WRITER
from tests.conftest import Live, serve_backend
from tests.scenarios.addon_world import ADMIN, PACKER, World
from tests.sheets.test_push import sheets_as

SECRET = "task-secret"
SUPPORT, FINANCE, BUYER = "help@acme.test", "books@acme.test", "sourcing@acme.test"
TABS = {
    "SLA": "sla_watch",
    "CS": "customer_service",
    "Costs": "sku_costs",
    "Stock": "stock",
    "Pack": "pack_list",
    "AS": "after_sales",
    "Board": "pending_actions",
}
EXPORT_HEADER = (
    (Path(__file__).resolve().parents[1] / "fixtures" / "seller_center" / "us_orders.csv")
    .read_text(encoding="utf-8-sig")
    .splitlines()[0]
)
CATALOGUE = bindings.catalogue()
# Rows a platform sync also writes: orders, SKU costs (a sync adds SKUs), stock levels (TikTok's counts) and
# packages (the pack list) and after-sales cases (the board's refunds are cases too). Tables only people type
# (rates, purchases) have no ingest path that could overwrite them.
SYNCED_GRAINS = ORDER_GRAINS | {Grain.SKU, Grain.STOCK, Grain.PACK, Grain.AFTER_SALE, Grain.PENDING_ACTION}
INPUT_COLUMNS = sorted(key for key, column in CATALOGUE.items() if column.is_input and column.grains & SYNCED_GRAINS)


@dataclass(frozen=True)
class Target:
    """The row a case types into: an order's (order columns), or a SKU's with an order that sells it."""

    order: str
    line: str  # the order's first SKU: the warehouse tab has a row per order and SKU
    sku: str = ""
    warehouse: str = ""
    package: str = ""  # the pack list's row: the order's package
    case: str = ""  # an after-sales case of the order (its columns are typed per case)

    def key(self, tab: str) -> str:
        return {
            "sla_watch": f"{self.order}/{self.line}",
            "customer_service": self.order,
            "sku_costs": self.sku,
            "stock": f"{self.sku} @ {self.warehouse}",
            "pack_list": self.package,
            "after_sales": self.case,
            "pending_actions": f"refund {self.case}",
        }[TABS[tab]]


def _typed(session: Session, target: Target) -> OrderInput | None:
    return session.scalar(select(OrderInput).join(Order).where(Order.external_id == target.order))


def _latest_cost(session: Session, target: Target) -> SkuCost | None:
    return session.scalar(
        select(SkuCost).where(SkuCost.seller_sku == target.sku).order_by(SkuCost.effective_from.desc()).limit(1)
    )


def _stock(session: Session, target: Target) -> StockLevel | None:
    return session.scalar(
        select(StockLevel).where(StockLevel.seller_sku == target.sku, StockLevel.warehouse_id == target.warehouse)
    )


def _handover(session: Session, target: Target) -> PackageShipping | None:
    return session.scalar(select(PackageShipping).join(Package).where(Package.external_id == target.package))


def _opening(session: Session, target: Target) -> OpeningStock | None:
    return session.scalar(select(OpeningStock).where(OpeningStock.seller_sku == target.sku))


def _case_input(session: Session, target: Target) -> CaseInput | None:
    return session.scalar(select(CaseInput).join(AfterSaleCase).where(AfterSaleCase.external_id == target.case))


def _open_exceptions(session: Session, target: Target) -> list[str]:
    return list(
        session.scalars(
            select(ExceptionCase.template_key)
            .join(Order, Order.id == ExceptionCase.order_id)
            .where(Order.external_id == target.order, ExceptionCase.status == "open")
        )
    )


def attr(row: Callable[[Session, Target], object], name: str) -> Callable[[Session, Target], Any]:
    return lambda session, target: getattr(row(session, target), name, None)


@dataclass(frozen=True)
class Case:
    tab: str  # where it is typed
    editor: str  # who types it (the edit trigger runs as the admin who installed it and names them)
    typed: str  # as typed into the cell
    shown: str  # the cell as people see it afterwards
    stored: Callable[[Session, Target], Any]  # where the database keeps it
    expected: Any
    given: Mapping[str, str] = field(default_factory=dict)  # typed before: a currency belongs to a cost


EXPORT = "a Seller Center export"
REASON = "The item matches its description"  # the first of TikTok's reasons to refuse a refund request
TRACKING = "1Z999AA10123456784"
NOTE = "Buyer asked for a call before delivery"
CASES: dict[str, Case] = {
    # A carrier or a tracking number alone is kept until the other is typed and TikTok ships.
    "carrier": Case("SLA", PACKER, "USPS", "USPS", attr(_typed, "carrier"), "USPS"),
    "tracking_number": Case("SLA", PACKER, TRACKING, TRACKING, attr(_typed, "tracking_number"), TRACKING),
    "note": Case("CS", SUPPORT, NOTE, NOTE, attr(_typed, "note"), NOTE),
    "exception": Case("CS", SUPPORT, "Address problem", "Address problem", _open_exceptions, ["address_problem"]),
    "unit_cost": Case("Costs", FINANCE, "12.5", "12.50", attr(_latest_cost, "unit_cost"), Decimal("12.5")),
    "cost_currency": Case(
        "Costs", FINANCE, "GBP", "GBP", attr(_latest_cost, "currency"), "GBP", given={"unit_cost": "12.5"}
    ),
    "effective_from": Case(
        "Costs",
        FINANCE,
        "2025-03-01",
        "2025-03-01",
        attr(_latest_cost, "effective_from"),
        date(2025, 3, 1),
        given={"unit_cost": "12.5", "effective_from": "2025-01-01"},
    ),
    "stock_on_hand": Case("Stock", BUYER, "7", "7", attr(_stock, "sheet_quantity"), 7),
    "stock_reorder_point": Case("Stock", BUYER, "5", "5", attr(_stock, "reorder_point"), 5),
    "stock_supplier_note": Case(
        "Stock", BUYER, "Restock Friday", "Restock Friday", attr(_stock, "supplier_note"), "Restock Friday"
    ),
    "stock_location": Case("Stock", BUYER, "Aisle 4", "Aisle 4", attr(_stock, "location"), "Aisle 4"),
    "stock_lead_time": Case("Stock", BUYER, "12", "12", attr(_stock, "lead_time_days"), 12),
    "stock_opening": Case("Stock", BUYER, "9", "9", attr(_opening, "quantity"), 9),
    # After-sales: a note, a reason chosen before deciding, a rejection sent to TikTok with its reason, and
    # finance's approval of a refund support approved above the team's limit.
    "case_note": Case("AS", SUPPORT, NOTE, NOTE, attr(_case_input, "note"), NOTE),
    "case_reject_reason": Case(
        "AS", SUPPORT, REASON, REASON, attr(_case_input, "reject_reason"), "reverse_reject_request_reason_1"
    ),
    "case_decision": Case(
        "AS", SUPPORT, "reject", "reject", attr(_case_input, "decision"), "reject", given={"case_reject_reason": REASON}
    ),
    "action_finance": Case("Board", FINANCE, "approve", "approve", attr(_case_input, "approved_by"), FINANCE),
    # In the pack list: a carrier or tracking number alone waits for the other, as in the SLA tab; a handover
    # ships a TikTok-shipped package at once and is kept with it; an action is done, not kept (its cell empties).
    "pack_carrier": Case("Pack", PACKER, "USPS", "USPS", attr(_typed, "carrier"), "USPS"),
    "pack_tracking": Case("Pack", PACKER, TRACKING, TRACKING, attr(_typed, "tracking_number"), TRACKING),
    "pack_handover": Case("Pack", PACKER, "Drop-off", "Drop-off", attr(_handover, "handover"), "Drop-off"),
    "pack_action": Case("Pack", PACKER, "", "", attr(_handover, "handover"), None),
}
PER_ORDER = [key for key in INPUT_COLUMNS if CATALOGUE[key].grains & ORDER_GRAINS]
PER_PACKAGE = [key for key in INPUT_COLUMNS if Grain.PACK in CATALOGUE[key].grains]
PER_CASE = [key for key in INPUT_COLUMNS if CATALOGUE[key].grains & {Grain.AFTER_SALE, Grain.PENDING_ACTION}]
PER_SKU = [key for key in INPUT_COLUMNS if key not in PER_ORDER and key not in PER_PACKAGE and key not in PER_CASE]


def trigger_value(column: Column, value: Any) -> Any:
    """A cell as Triggers.gs sends it: dates as yyyy-MM-dd, an empty cell as null."""
    if column.type is ColumnType.DATE and isinstance(value, int | float):
        return (SHEETS_EPOCH.date() + timedelta(days=int(value))).isoformat()
    return None if value == "" else value


Observation = tuple[Any, dict[str, Any]]  # the database's value, and the cell in each tab listing the row


@dataclass
class Desk:
    live: Live
    world: World
    shop_id: int
    shop_key: str
    files: dict[str, str] = field(default_factory=dict)  # tab → its audience's spreadsheet
    targets: dict[str, Target] = field(default_factory=dict)
    seen: dict[str, dict[str, Observation]] = field(default_factory=dict)  # column → stage → what was there
    changes: int = 0

    @property
    def sandbox(self) -> TikTokShopSandbox:
        return self.live.sandbox

    def task(self, path: str) -> Any:
        reply = httpx.get(self.live.url + path, headers={"X-OrderDeck-Task-Secret": SECRET}, timeout=120)
        assert reply.status_code == 200, reply.text
        self.live.drain()
        return reply.json()

    def push(self) -> None:
        self.live.drain()
        self.task("/tasks/push-due")

    def command(self, *args: str) -> str:
        """`flask --app backend …`: flask pushes an app context for every command; the test runner does not."""
        with self.live.app.app_context():
            result = self.live.app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    def profile(self, tab: str) -> Profile:
        with self.live.app.app_context(), self.live.db.session() as session:
            return bindings.profile_for(session, self.live.team_id, TABS[tab])

    def rows(self, tab: str, render: str = "FORMATTED_VALUE") -> list[list[Any]]:
        return self.world.google.sheets.values(self.files[tab], f"'{tab}'", render_option=render)

    def paste(self, tab: str, typed: Mapping[str, Mapping[str, str]], editor: str) -> dict[tuple[str, str], Any]:
        """What a person and the edit trigger do: type into rows (row key → column key → text), send those
        rows in one call as one edit event does, put the answers back; returns each answer by row and column.
        Typed once the pushes asked for so far are done: the rows are found by their number, as a person
        sees them, and a push moving rows meanwhile would put the text in another order's row."""
        self.live.drain()
        profile, file_id = self.profile(tab), self.files[tab]
        numbers = {str(r[0]): i + 1 for i, r in enumerate(self.rows(tab)) if r}
        sheets = sheets_as(self.world.google, ADMIN).spreadsheets()

        def put(cells: Mapping[tuple[int, int], Any]) -> None:
            data = [{"range": f"'{tab}'!{column_letters(c)}{r}", "values": [[v]]} for (r, c), v in cells.items()]
            body = {"valueInputOption": "USER_ENTERED", "data": data}
            sheets.values().batchUpdate(spreadsheetId=file_id, body=body).execute()

        put({(numbers[key], profile.index_of(c)): text for key, row in typed.items() for c, text in row.items()})
        lines = self.rows(tab, "UNFORMATTED_VALUE")
        rows = []
        for key, row in typed.items():
            line = lines[numbers[key] - 1] + [""] * len(profile.columns)
            sent = {j + 1: trigger_value(c, line[j]) for j, c in enumerate(profile.columns)}
            rows.append(
                {
                    "row": numbers[key],
                    "key": key,
                    "cells": {str(profile.index_of(c) + 1): sent[profile.index_of(c) + 1] for c in row},
                    "inputs": {str(j + 1): sent[j + 1] for j, c in enumerate(profile.columns) if c.is_input},
                }
            )
        body = {"spreadsheet_id": file_id, "tab": tab, "editor": editor, "headers": self.rows(tab)[0], "rows": rows}
        answers = self.world.api("post", "/addon/edits", ADMIN, body)["cells"]
        put(
            {
                (a["row"], a["column"] - 1): a["value"]
                for a in answers
                if a["status"] != "pending" and a["value"] is not None
            }
        )
        keys = {number: key for key, number in numbers.items()}
        return {(keys[a["row"]], profile.columns[a["column"] - 1].key): a for a in answers}

    def cells(self, key: str, target: Target, tabs: Mapping[str, tuple[Profile, list[list[Any]]]]) -> dict[str, Any]:
        """The column's cell in the target's row, in every tab that lists the row and shows the column."""
        found = {}
        for tab, (profile, rows) in tabs.items():
            row = next((r for r in rows[1:] if r and str(r[0]) == target.key(tab)), None)
            if row is not None and key in [c.key for c in profile.columns]:
                j = profile.index_of(key)
                found[tab] = row[j] if j < len(row) else ""
        return found

    def tabs(self) -> dict[str, tuple[Profile, list[list[Any]]]]:
        return {tab: (self.profile(tab), self.rows(tab)) for tab in TABS}

    def observe(self, stage: str) -> None:
        """Record, for every typed column, its value in the database and in every tab listing its row."""
        tabs = self.tabs()
        with self.live.db.session() as session:
            for key, target in self.targets.items():
                stored = CASES[key].stored(session, target)
                self.seen.setdefault(key, {})[stage] = (stored, self.cells(key, target, tabs))

    def _orders(self, session: Session, targets: Iterable[Target]) -> dict[str, Order]:
        ids = {t.order for t in targets}
        query = select(Order).where(Order.external_id.in_(ids)).options(selectinload(Order.lines))
        return {o.external_id: o for o in session.scalars(query)}

    # -- every typed row's order changes on TikTok, and reaches OrderDeck by each path there is ------------
    def incremental_sync(self) -> str:
        notes = self._notes()
        stock = {t.sku: 150 + i for i, t in enumerate(self.targets.values()) if t.sku}
        for sku, on_hand in stock.items():
            self.sandbox.set_stock(self.shop_key, sku, on_hand)
        self.task(f"/tasks/sync-shop/{self.shop_id}")
        with self.live.db.session() as session:
            orders = self._orders(session, self.targets.values())
            assert {o: orders[o].seller_note for o in notes} == notes  # TikTok's own note is kept beside ours
            counts = {t.sku: attr(_stock, "platform_quantity")(session, t) for t in self.targets.values() if t.sku}
            assert counts == stock
        return "an incremental sync"

    def webhook_round(self) -> str:
        streets = {}
        for target in self.targets.values():
            self.changes += 1
            streets[target.order] = f"{self.changes} Harbour Road"
            self.sandbox.update_order(self.shop_key, target.order, street=streets[target.order])
        assert self.sandbox.deliver_webhooks() > 0
        self.live.drain()
        with self.live.db.session() as session:
            orders = self._orders(session, self.targets.values())
            assert all(street in (orders[o].recipient_address or "") for o, street in streets.items())
        return "a webhook round"

    def full_sync(self) -> str:
        notes = self._notes()
        self.command("sync", "--shop", str(self.shop_id), "--full")
        with self.live.db.session() as session:
            orders = self._orders(session, self.targets.values())
            assert {o: orders[o].seller_note for o in notes} == notes
        return "a full sync"

    def _notes(self) -> dict[str, str]:
        """The seller edits each order's note in Seller Center (TikTok sends no webhook for that)."""
        notes = {}
        for target in self.targets.values():
            self.changes += 1
            notes[target.order] = f"Seller Center note {self.changes}"
            self.sandbox.update_order(self.shop_key, target.order, seller_note=notes[target.order])
        return notes

    def export(self, tmp_path: Path) -> str:
        """The buyers cancelled while sync was down; the seller imports Seller Center's export of it."""
        per_order = [t for k, t in self.targets.items() if k in PER_ORDER]
        note, rows = "Seller note from the export", []
        with self.live.db.session() as session:
            for order in self._orders(session, per_order).values():
                zone = ZoneInfo(session.get_one(Shop, order.shop_id).time_zone)
                cancelled = max(order.platform_update_time, utcnow()) + timedelta(seconds=2)
                units: dict[str, list[OrderLine]] = {}
                for line in order.lines:
                    units.setdefault(line.seller_sku or line.sku_id, []).append(line)

                def local(moment: datetime | None, zone: ZoneInfo = zone) -> str:
                    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

                rows += [
                    {
                        "Order ID": order.external_id,
                        "Order Status": "Cancelled",
                        "SKU ID": lines[0].sku_id,
                        "Seller SKU": sku,
                        "Product Name": lines[0].product_name,
                        "Variation": lines[0].sku_name or "",
                        "Quantity": str(len(lines)),
                        "SKU Unit Original Price": str(lines[0].original_price),
                        "SKU Subtotal After Discount": str(sum(line.sale_price or Decimal(0) for line in lines)),
                        "Order Amount": str(order.total_amount),
                        "Created Time": local(order.platform_create_time),
                        "Paid Time": local(order.paid_at),
                        "Cancelled Time": local(cancelled),
                        "Cancel By": "Buyer",
                        "Cancel Reason": "No longer needed",
                        "Fulfillment Type": "Fulfillment by seller",
                        "Seller Note": note,
                    }
                    for sku, lines in units.items()
                ]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=next(csv.reader([EXPORT_HEADER])), restval="")
        writer.writeheader()
        writer.writerows(rows)
        path = tmp_path / "export.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        output = self.command("import-csv", str(path), "--shop", str(self.shop_id))
        assert f"updated {len(per_order)}," in output, output
        with self.live.db.session() as session:
            stored = {(o.status, o.seller_note) for o in self._orders(session, per_order).values()}
            assert stored == {("CANCELLED", note)}
        return EXPORT


@pytest.fixture(scope="module")
def desk(migrated: Database, google: GoogleSandboxes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The world, with every column typed and every round of changes pushed and recorded."""
    # Seven files pushed after every round, each push a read and a write: a project whose Google quota was
    # raised (and OrderDeck's limits with it, in `_build`), so no push waits for the minute to pass. On a
    # fast machine the rounds come quicker than 60 reads a minute allow.
    raised = 1000
    google.sheets.quotas.limits = QuotaLimits(raised, raised, raised, raised)
    sandbox = TikTokShopSandbox(seed=14)
    server = sandbox.start()
    key = google.identity.write_service_account_key(tmp_path_factory.mktemp("writer") / "sa.json", WRITER)
    try:
        with serve_backend(
            migrated,
            sandbox,
            server.url,
            TASKS_SECRET=SECRET,
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
            **google.settings(),
        ) as live:
            desk = _build(live, google)
            _type_everything(desk)
            export = tmp_path_factory.mktemp("export")
            for change in (desk.incremental_sync, desk.webhook_round, desk.full_sync, lambda: desk.export(export)):
                stage = change()
                desk.push()
                desk.observe(stage)
            yield desk
    finally:
        server.stop()


def _build(live: Live, google: GoogleSandboxes) -> Desk:
    """A shop whose orders were placed over the last three days (many still to ship), four members who
    type, and a spreadsheet per audience with a tab of each profile that has input columns."""
    shop = live.sandbox.add_shop("Acme US", "US", orders=80, history_days=3)
    live.sandbox.add_ready_orders(shop.shop_id, 3, tiktok_shipped=False)  # the pack list's rows of their own
    live.sandbox.add_ready_orders(shop.shop_id, 1)  # one TikTok ships, to hand over
    code = live.sandbox.issue_auth_code([shop.shop_id])
    with live.app.app_context():
        platform = Platform(runtime.config(), runtime.secret_box())
        connected = shops_service.connect(live.db, platform, live.team_id, ConsentReturn(code), name="tiktok")
        [shop_id] = [s.id for s in connected]
        with live.db.session() as session:
            team = session.get_one(Team, live.team_id)
            for email, role in (
                (PACKER, "warehouse"),
                (SUPPORT, "support"),
                (FINANCE, "finance"),
                (BUYER, "procurement"),
            ):
                teams.add_member(session, team, email, role)
            # Seven files bound at once and pushed after every round: a project whose Google quota was raised,
            # so no push waits, and an admin setting up a desk faster than the per-minute bind limit allows.
            for name in ("sheets.read.user", "sheets.write.user", "push.team", "bind_proof.member", "bind_proof.team"):
                limits.set_limit(session, name, 1000, 60, actor="test")
    desk = Desk(live, World(live, google, shop_id, ""), shop_id, shop.shop_id)
    desk.task(f"/tasks/sync-shop/{shop_id}")  # the first sync, and TikTok's stock counts
    for tab, profile in TABS.items():
        desk.files[tab] = desk.world.new_file(f"Acme {profile}")
        desk.world.bind_tab(tab, profile, new_tab=True, file_id=desk.files[tab])
        desk.world.api("post", "/addon/trigger", ADMIN, {"spreadsheet_id": desk.files[tab], "install": True})
    desk.push()
    desk.targets = _targets(desk)
    return desk


def to_ship(session: Session, shipping_type: str = "SELLER") -> list[Order]:
    """Orders still to ship (by the seller, or on the platform's logistics), oldest first."""
    return list(
        session.scalars(
            select(Order)
            .where(Order.status == "AWAITING_SHIPMENT", Order.shipping_type == shipping_type)
            .options(selectinload(Order.lines), selectinload(Order.packages))
            .order_by(Order.id)
        )
    )


def _targets(desk: Desk) -> dict[str, Target]:
    """A row of its own for each input column: orders still to ship for order columns, and for SKU columns
    SKUs none of those orders sells (a count typed for them would make those orders short), each with
    an order that sells it and has an address (so the buyer can change it)."""
    with desk.live.db.session() as session:
        orders = to_ship(session)
        platform_shipped = to_ship(session, "PLATFORM")
        sellers = {
            line.seller_sku: order.external_id
            for order in session.scalars(
                select(Order).where(Order.recipient_address.is_not(None)).options(selectinload(Order.lines))
            )
            for line in order.lines
            if line.seller_sku
        }
    chosen = dict(zip([k for k in PER_ORDER if k in CASES], orders, strict=False))
    targets = {k: Target(o.external_id, o.lines[0].seller_sku or o.lines[0].sku_id) for k, o in chosen.items()}
    single = [o for o in orders[len(chosen) :] if len(o.packages) == 1]
    packed = {"pack_handover": platform_shipped[0]} if platform_shipped else {}
    packed |= dict(zip([k for k in PER_PACKAGE if k in CASES and k != "pack_handover"], single, strict=False))
    targets |= {k: Target(o.external_id, "", package=o.packages[0].external_id) for k, o in packed.items()}
    chosen |= packed
    taken = {line.seller_sku for order in chosen.values() for line in order.lines}
    stock_rows = {str(r[0]).split(" @ ", 1)[0]: str(r[0]).split(" @ ", 1)[1] for r in desk.rows("Stock")[1:] if r}
    skus = [sku for sku in sorted(sellers) if sku not in taken and sku in stock_rows]
    per_sku = [k for k in PER_SKU if k in CASES]
    targets |= {key: Target(sellers[sku], "", sku, stock_rows[sku]) for key, sku in zip(per_sku, skus, strict=False)}
    targets |= _case_targets(desk, {t.order for t in targets.values()})
    assert set(targets) == set(CASES) & set(INPUT_COLUMNS), (
        "the sandbox shop has too few orders or SKUs for a row per column"
    )
    return targets


def _case_targets(desk: Desk, taken: set[str]) -> dict[str, Target]:
    """A buyer's refund request per after-sales column, on orders on their way (with an address); the one
    finance approves was approved by support first, above the team's limit."""
    now, world = desk.sandbox.now(), desk.sandbox.shops[desk.shop_key]
    on_the_way = [o for o, order in world.orders.items() if order.status_at(now) == "IN_TRANSIT" and o not in taken]
    per_case = [k for k in PER_CASE if k in CASES]
    targets = {}
    for key, order_id in zip(per_case, on_the_way, strict=False):
        case = desk.sandbox.request_return(desk.shop_key, order_id, return_type="REFUND", reason="Not as described")
        targets[key] = Target(order_id, "", case=case.case_id)
    with desk.live.db.session() as session:
        session.get_one(Team, desk.live.team_id).refund_limits = {"USD": "0.01"}
    desk.task(f"/tasks/sync-shop/{desk.shop_id}")
    desk.push()
    asked = desk.paste("AS", {targets["action_finance"].case: {"case_decision": "approve"}}, SUPPORT)
    assert {a["status"] for a in asked.values()} == {"pending"}, asked  # awaiting finance
    desk.push()
    return targets


def _type_everything(desk: Desk) -> None:
    """Each tab's cells as one paste by the member who types there (a cost's givens first)."""
    typed = [(k, CASES[k]) for k in desk.targets]
    for tab, editor in sorted({(case.tab, case.editor) for _key, case in typed}):
        mine = [(key, case, desk.targets[key].key(tab)) for key, case in typed if case.tab == tab]
        if givens := {row: case.given for _key, case, row in mine if case.given}:
            answers = desk.paste(tab, givens, editor)
            assert {a["status"] for a in answers.values()} == {"accepted"}, answers
        answers = desk.paste(tab, {row: {key: case.typed} for key, case, row in mine}, editor)
        for key, _case, row in mine:
            assert answers[(row, key)]["status"] in ("accepted", "pending"), answers[(row, key)]
    desk.push()
    desk.observe("it was typed")


def test_every_input_column_has_a_case() -> None:
    assert INPUT_COLUMNS, "the catalogue has no input columns"
    missing = sorted(set(INPUT_COLUMNS) - set(CASES))
    assert not missing, f"input columns with no case here (how to type it, where it is stored): {missing}"
    assert not set(CASES) - set(INPUT_COLUMNS), "cases for columns that are no longer input columns"


@pytest.mark.parametrize("key", INPUT_COLUMNS)
def test_a_typed_value_survives_every_later_change_of_its_order(desk: Desk, key: str) -> None:
    case = CASES.get(key)
    assert case is not None, f"input column {key!r} has no case: add one to CASES"
    stages = desk.seen[key]
    assert list(stages) == ["it was typed", "an incremental sync", "a webhook round", "a full sync", EXPORT]
    for stage, (stored, cells) in stages.items():
        assert stored == case.expected, f"{key} is gone from the database after {stage}: {stored!r}"
        # A cancelling export takes the order off the warehouse's tab; the support tab still lists it.
        assert case.tab in cells or stage == EXPORT, f"{key}: its row left {case.tab} after {stage}"
        assert cells and set(cells.values()) == {case.shown}, f"{key} after {stage}: the sheets show {cells}"


def test_a_typed_tracking_number_shows_until_tiktok_reports_the_shipment(desk: Desk) -> None:
    """The rule of backend/domain/seller_values.py over HTTP: the typed value shows until TikTok confirms a
    shipment; then TikTok's tracking number and carrier show, and the typed one is still kept."""
    taken = {t.order for t in desk.targets.values()}
    world = desk.sandbox.shops[desk.shop_key]
    planned = {o.order_id for o in world.orders.values() if all(world.packages[p].ship_time for p in o.package_ids())}
    with desk.live.db.session() as session:  # one the seller ships outside OrderDeck (not one made ready to ship)
        order = next(o for o in to_ship(session) if o.external_id not in taken and o.external_id in planned)
        target = Target(order.external_id, order.lines[0].seller_sku or order.lines[0].sku_id)
    answer = desk.paste("SLA", {target.key("SLA"): {"tracking_number": TRACKING}}, PACKER)
    assert answer[(target.key("SLA"), "tracking_number")]["status"] == "pending"
    desk.push()
    assert desk.cells("tracking_number", target, desk.tabs()) == {"SLA": TRACKING, "CS": TRACKING}

    package = world.packages[world.orders[target.order].package_ids()[0]]
    assert package.ship_time is not None  # the seller ships it outside OrderDeck, as planned
    desk.sandbox.advance(package.ship_time - desk.sandbox.now() + 60)
    assert desk.sandbox.deliver_webhooks() > 0
    desk.push()

    with desk.live.db.session() as session:
        assert attr(_typed, "tracking_number")(session, target) == TRACKING  # kept, though no longer shown
    tabs = desk.tabs()
    assert desk.cells("tracking_number", target, tabs) == {
        "SLA": package.tracking_number,
        "CS": package.tracking_number,
    }
    assert set(desk.cells("carrier", target, tabs).values()) == {package.provider_name}
