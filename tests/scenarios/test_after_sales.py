"""Done when (issue 17): after-sales cases decided from the support sheet before TikTok's deadlines, over the
backend's HTTP API, the TikTok Shop sandbox and the Google Sheets sandbox.

A buyer's cancel request appears in the support sheet within one push with its countdown; approving it from
the sheet cancels the order on TikTok and every sheet follows; rejecting requires a listed reason; a request
left alone is auto-approved at its deadline and the sheets follow; a return goes requested → approved →
buyer shipped → seller accepts (or rejects, with a reason) the parcel → refunded, and the ledger shows the
refund; a replayed edit sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from backend import tasks
from backend.domain.status import OrderStatus
from backend.models import AfterSaleCase, Order, SheetBinding, Team, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from backend.sandbox.tiktok.after_sales import C_CANCEL, C_SUCCESS
from backend.sandbox.tiktok.world import DAY, HOUR
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import push_schedule, teams
from backend.services.ingest import mark_bindings_dirty
from backend.services.ledger import ledger_entries
from tests.conftest import Live
from tests.scenarios.addon_world import ADMIN, PACKER, World, build_world

CARE = "care@acme.test"  # support
BOOKS = "books@acme.test"  # finance
TAB, SLA = "After-sales", "SLA"


@dataclass
class Desk:
    world: World
    shop_key: str

    @property
    def sandbox(self) -> TikTokShopSandbox:
        return self.world.live.sandbox

    def rows(self, tab: str = TAB, render: str = "FORMATTED_VALUE") -> list[list[Any]]:
        return self.world.google.sheets.values(self.world.file_id, f"'{tab}'", render_option=render)

    def row(self, key: str, tab: str = TAB) -> dict[str, Any]:
        rows = self.rows(tab)
        found = next(r for r in rows[1:] if str(r[0]).split("/")[0] == key)
        return dict(zip(rows[0], found + [""] * (len(rows[0]) - len(found)), strict=True))

    def keys(self, tab: str) -> set[str]:
        return {str(r[0]).split("/")[0] for r in self.rows(tab)[1:] if r}

    def order(self, *statuses: str) -> str:
        now, shop = self.sandbox.now(), self.sandbox.shops[self.shop_key]
        taken = {c.order_id for c in shop.cases.values()}
        return next(o for o, order in shop.orders.items() if order.status_at(now) in statuses and o not in taken)

    def arrive(self) -> int:
        """TikTok's webhooks reach the backend; its round runs and pushes (as if no push happened lately).
        Returns how many events came."""
        with self.world.live.db.session() as session:
            session.execute(update(SheetBinding).values(last_pushed_at=utcnow() - timedelta(minutes=1)))
        delivered = self.sandbox.deliver_webhooks()
        assert delivered > 0
        self.world.live.drain()
        return delivered

    def edit(self, key: str, cells: dict[str, Any], editor: str = CARE, tab: str = TAB) -> dict[str, dict[str, Any]]:
        """What the edit trigger sends when `editor` types `cells` (header → value) into the row of `key`."""
        rows = self.rows(tab)
        header = rows[0]
        number = next(i for i, r in enumerate(rows) if r and str(r[0]) == key) + 1
        typed = {str(header.index(h) + 1): v for h, v in cells.items()}
        payload = {"spreadsheet_id": self.world.file_id, "tab": tab, "editor": editor, "headers": header,
                   "rows": [{"row": number, "key": key, "cells": typed}]}  # fmt: skip
        answer = self.world.api("post", "/addon/edits", ADMIN, payload)
        self.world.live.drain()
        return {header[c["column"] - 1]: c for c in answer["cells"]}

    def calls(self, suffix: str) -> int:
        return sum(n for path, n in self.sandbox.counters.by_path.items() if path.endswith(suffix))

    def pushes(self) -> int:
        return len(self.world.google.sheets.requests_for("sheets.spreadsheets.batchUpdate"))


@pytest.fixture
def desk(live: Live, google: GoogleSandboxes, tmp_path: Path) -> Desk:
    google.sheets.quotas.reset()  # each test is a new desk: the module's earlier ones spent Google's minute
    world = build_world(live, google, tmp_path)
    with live.db.session() as session:
        team = session.get_one(Team, live.team_id)
        teams.add_member(session, team, CARE, "support")
        teams.add_member(session, team, BOOKS, "finance")
    world.bind_tab(TAB, "after_sales", new_tab=True)
    world.bind_tab(SLA, "sla_watch", new_tab=True)
    # The edit trigger runs as the admin who installed it and names who typed (Google's e.user).
    world.api("post", "/addon/trigger", ADMIN, {"spreadsheet_id": world.file_id, "install": True})
    live.drain()
    return Desk(world, next(iter(live.sandbox.shops)))


def test_a_cancel_request_reaches_the_sheet_in_one_push_and_approving_it_cancels_on_tiktok(desk: Desk) -> None:
    order_id = desk.order("AWAITING_SHIPMENT")
    assert order_id in desk.keys(SLA)
    case = desk.sandbox.request_cancellation(desk.shop_key, order_id, reason="No longer needed", text="Bought twice")
    before = desk.pushes()
    events = desk.arrive()

    # TikTok sends the case's event and the order's one after the other: one round may take both, or each
    # its own (when the first started before the second came), and each round pushes at most once. No sweep.
    assert events == 2 and 1 <= desk.pushes() - before <= events
    row = desk.row(case.case_id)
    assert (row["Order"], row["Type"], row["Status"]) == (order_id, "Cancellation", "REQUESTED")
    assert (row["Buyer's reason"], row["Buyer's words"]) == ("No longer needed", "Bought twice")
    assert row["Decision due"] == "approve or reject the request" and row["Decide by (shop time)"]
    formulas = desk.rows(render="FORMULA")
    countdown = formulas[0].index("Time left")
    assert str(next(r for r in formulas if r[0] == case.case_id)[countdown]).endswith("-NOW()")

    answer = desk.edit(case.case_id, {"Decision": "approve"})
    assert answer["Decision"]["status"] == "accepted", answer
    assert desk.sandbox.case_status(desk.shop_key, case.case_id) == C_SUCCESS
    assert desk.sandbox.shops[desk.shop_key].orders[order_id].status_at(desk.sandbox.now()) == "CANCELLED"
    assert desk.row(case.case_id)["Status"] == "APPROVED"
    assert desk.row(case.case_id)["Outcome"] == f"approved on TikTok Shop by {CARE}"
    assert order_id not in desk.keys(SLA)  # the warehouse's sheet followed: nothing to ship


def test_rejecting_needs_a_listed_reason_and_a_replayed_edit_sends_nothing_twice(desk: Desk) -> None:
    order_id = desk.order("AWAITING_SHIPMENT")
    case = desk.sandbox.request_cancellation(desk.shop_key, order_id)
    desk.arrive()

    refused = desk.edit(case.case_id, {"Decision": "reject"})
    assert refused["Decision"]["status"] == "rejected"
    assert "rejecting needs one of TikTok Shop's reasons" in refused["Decision"]["note"]
    assert "The product has been packed" in refused["Decision"]["note"]  # the list, as TikTok gave it
    assert desk.calls("/reject") == 0

    typed = {"Decision": "reject", "Reject reason": "The product has been packed"}
    assert {c["status"] for c in desk.edit(case.case_id, typed).values()} == {"accepted"}
    again = desk.edit(case.case_id, typed)  # the trigger fires twice, or someone types it again
    assert desk.calls("/reject") == 1
    assert "nothing sent again" in again["Decision"]["note"]
    assert desk.sandbox.case_status(desk.shop_key, case.case_id) == C_CANCEL
    assert desk.row(case.case_id)["Status"] == "REJECTED"
    changed = desk.edit(case.case_id, {"Decision": "approve"})  # too late: the request was answered
    assert changed["Decision"]["status"] == "rejected" and desk.calls("/approve") == 0
    assert order_id in desk.keys(SLA)  # the order goes on to be shipped


def test_a_request_left_alone_is_approved_at_its_deadline_and_the_sheets_follow(desk: Desk) -> None:
    order_id = desk.order("AWAITING_SHIPMENT")
    case = desk.sandbox.request_cancellation(desk.shop_key, order_id)
    desk.arrive()
    assert desk.row(case.case_id)["Status"] == "REQUESTED"

    desk.sandbox.advance(2 * DAY + 60)
    desk.arrive()

    assert desk.row(case.case_id)["Status"] in ("APPROVED", "COMPLETED")
    assert desk.row(case.case_id)["Decision due"] == ""
    assert order_id not in desk.keys(SLA)


def test_a_return_is_approved_shipped_back_accepted_and_refunded_and_the_ledger_shows_it(desk: Desk) -> None:
    order_id = desk.order("DELIVERED", "COMPLETED")
    case = desk.sandbox.request_return(desk.shop_key, order_id, reason="Wrong size", text="Too small")
    desk.arrive()
    assert desk.row(case.case_id)["Type"] == "Return and refund"
    with desk.world.live.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == order_id)).one()
        revenue_before = ledger_entries(session, [order])[order.id].revenue
        refund = session.scalars(select(AfterSaleCase).where(AfterSaleCase.external_id == case.case_id)).one()
        refund_total = refund.refund_total

    assert desk.edit(case.case_id, {"Decision": "approve"})["Decision"]["status"] == "accepted"
    assert desk.row(case.case_id)["Status"] == "AWAITING_BUYER_SHIPMENT"
    desk.sandbox.ship_return(desk.shop_key, case.case_id)
    desk.arrive()
    shipped = desk.row(case.case_id)
    assert shipped["Status"] == "BUYER_SHIPPED" and shipped["Return tracking"].startswith("RT")
    assert shipped["Decision due"] == "accept or reject the returned parcel"
    assert shipped["Decision"] == ""  # the first decision answered another question: this one is open

    assert desk.edit(case.case_id, {"Decision": "approve"})["Decision"]["status"] == "accepted"
    desk.sandbox.advance(HOUR + 60)
    desk.arrive()
    assert desk.row(case.case_id)["Status"] == "COMPLETED"
    with desk.world.live.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == order_id)).one()
        entry = ledger_entries(session, [order])[order.id]
    assert refund_total is not None and refund_total > Decimal(0)
    assert entry.basis == "estimated" and entry.revenue == revenue_before - refund_total


def test_a_returned_parcel_is_rejected_with_a_parcel_reason(desk: Desk) -> None:
    order_id = desk.order("DELIVERED", "COMPLETED")
    case = desk.sandbox.request_return(desk.shop_key, order_id)
    desk.arrive()
    desk.edit(case.case_id, {"Decision": "approve"})
    desk.sandbox.ship_return(desk.shop_key, case.case_id)
    desk.arrive()

    answer = desk.edit(case.case_id, {"Decision": "reject", "Reject reason": "The returned item is damaged"})
    assert {c["status"] for c in answer.values()} == {"accepted"}, answer
    assert desk.row(case.case_id)["Status"] == "PACKAGE_REJECTED"


def test_roles_expired_deadlines_and_large_refunds_stop_a_decision_in_the_cell(desk: Desk) -> None:
    order_id = desk.order("DELIVERED", "COMPLETED")
    case = desk.sandbox.request_return(desk.shop_key, order_id, return_type="REFUND")
    desk.arrive()

    packer = desk.edit(case.case_id, {"Decision": "approve"}, editor=PACKER)
    assert packer["Decision"]["status"] == "rejected" and "warehouse role may not change" in packer["Decision"]["note"]
    with desk.world.live.db.session() as session:
        session.get_one(Team, desk.world.live.team_id).refund_limits = {"USD": "1.00"}
    waiting = desk.edit(case.case_id, {"Decision": "approve"})
    assert waiting["Decision"]["status"] == "pending" and "awaiting finance" in waiting["Decision"]["note"]
    assert desk.calls("/approve") == 0
    board = desk.world.api("get", "/addon/pending-actions", BOOKS)
    [ask] = board["refunds"]
    assert ask["case"] == case.case_id and Decimal(ask["refund"]) > 1 and ask["approved_by"] == CARE
    assert desk.world.api("get", "/addon/pending-actions", CARE)["refunds"] == []  # support does not approve

    answer = desk.world.api("post", "/addon/refunds/answer", BOOKS, {"case": case.case_id, "answer": "approve"})
    assert answer["status"] == "accepted" and desk.calls("/approve") == 1
    desk.world.live.drain()
    assert desk.row(case.case_id)["Outcome"] == f"approved on TikTok Shop by {CARE} (refund approved by {BOOKS})"

    late = desk.sandbox.request_cancellation(desk.shop_key, desk.order("AWAITING_SHIPMENT"))
    desk.arrive()
    with desk.world.live.db.session() as session:  # its deadline passes on our clock (TikTok's is behind)
        session.execute(
            update(AfterSaleCase)
            .where(AfterSaleCase.external_id == late.case_id)
            .values(deadline_at=utcnow() - timedelta(minutes=1))
        )
    expired = desk.edit(late.case_id, {"Decision": "approve"})
    assert expired["Decision"]["status"] == "rejected" and "too late" in expired["Decision"]["note"]
    assert desk.calls("/approve") == 1


def test_the_board_links_each_count_to_its_rows_and_the_rates_report_draws_its_chart(desk: Desk) -> None:
    case = desk.sandbox.request_cancellation(desk.shop_key, desk.order("AWAITING_SHIPMENT"))
    desk.sandbox.request_return(desk.shop_key, desk.order("DELIVERED", "COMPLETED"), reason="Wrong size")
    desk.arrive()
    desk.world.bind_tab("Board", "pending_actions", new_tab=True)
    desk.world.bind_tab("Rates", "after_sales_rates", new_tab=True)
    desk.world.live.drain()

    board = {r[0]: r for r in desk.rows("Board")[1:]}
    assert board["Acme US · Cancellation requested"][3] == "1"
    assert board["Acme US · Return/refund requested"][3] == "1"
    formulas = {r[0]: r for r in desk.rows("Board", render="FORMULA")[1:]}
    link = str(formulas["Acme US · Cancellation requested"][3])
    sheets = {s.title: s for s in desk.world.google.sheets.spreadsheets[desk.world.file_id].sheets}
    case_row = next(i for i, r in enumerate(desk.rows()) if r and r[0] == case.case_id) + 1
    assert link == (
        f'=HYPERLINK("https://docs.google.com/spreadsheets/d/{desk.world.file_id}/edit'
        f'#gid={sheets[TAB].sheet_id}&range=A{case_row}:A{case_row}",1)'
    )
    soon = str(formulas["Acme US · Ship within 24 h"][3])
    assert f"#gid={sheets[SLA].sheet_id}" in soon or soon == "0"
    sidebar = desk.world.api("get", "/addon/pending-actions", CARE)
    counts = {a["label"]: a for a in sidebar["shops"][0]["actions"]}
    assert counts["Cancellation requested"]["count"] == 1 and counts["Cancellation requested"]["link"] in link

    rates = desk.rows("Rates")
    assert rates[0][:4] == ["Row", "Month", "By", "SKU / reason"]
    assert any(r[2] == "reason" and r[3] == "Wrong size" for r in rates[1:])
    assert len(sheets["Rates"].charts) == 1


def test_a_change_committed_while_a_push_writes_reaches_the_sheet_in_the_push_after_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook round marks the tabs when it writes and commits after talking to TikTok: a push that began
    in between never read its change, under a mark older than the push. On PostgreSQL under load this left
    an auto-approved cancellation's order in the SLA tab until the sweep."""
    live, sheets = desk.world.live, desk.world.google.sheets
    first, second = sorted(desk.keys(SLA))[:2]
    began = utcnow()

    def cancel(order_id: str) -> None:
        """The order is cancelled, its mark taken at `began` (the round's transaction started before the push)."""
        with live.db.session() as session:
            order = session.scalars(select(Order).where(Order.external_id == order_id)).one()
            order.status = OrderStatus.CANCELLED
            mark_bindings_dirty(session, live.team_id, order.shop_id, [order.id])
            session.execute(update(SheetBinding).values(dirty_since=began, last_pushed_at=began - timedelta(minutes=1)))

    served = sheets.run
    commits: list[str] = []

    def run(spreadsheet_id: str, caller: str, client_id: str, need: str, fn: Any) -> Any:
        if need == "writer" and not commits:  # the second round commits while the push writes
            commits.append(second)
            cancel(second)
        return served(spreadsheet_id, caller, client_id, need, fn)

    cancel(first)
    monkeypatch.setattr(sheets, "run", run)
    with live.app.app_context(), live.db.session() as session:
        binding_id = session.scalars(select(SheetBinding.id).where(SheetBinding.tab_title == SLA)).one()
    with live.app.app_context():
        _result, follow = push_schedule.run(binding_id)
        assert commits == [second] and first not in desk.keys(SLA) and second in desk.keys(SLA)
        for step in follow:
            tasks.enqueue(f"/tasks/push-binding/{step.binding_id}", delay=step.delay)
    live.drain()

    assert second not in desk.keys(SLA)
