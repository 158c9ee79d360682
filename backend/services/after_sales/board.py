"""The Pending-Action board per shop (domain/pending_actions.py) from the database, with a link from each
count to the rows it counts, and the refunds waiting for finance; for the pending_actions tab and the sidebar.

A count links to the tab that lists its rows (the warehouse's sla_watch for orders, the support team's
after_sales tab for cases; any tab of the same grain otherwise), selecting the rows the last push wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain import pending_actions as pa
from backend.domain.after_sales import State, refund_limit
from backend.domain.columns import ORDER_GRAINS, Grain
from backend.domain.sla import SHIP_BY_FIELDS
from backend.domain.status import CaseType, OrderStatus, SellerStep
from backend.models import (
    AfterSaleCase,
    CaseInput,
    Order,
    SheetBinding,
    SheetSnapshot,
    Shop,
    Spreadsheet,
    Team,
    shows_shop,
)
from backend.services import fulfilment
from backend.services.after_sales.views import refund_of
from backend.services.bindings import profile_for
from backend.services.views import team_shops

LIVE = (OrderStatus.UNPAID, OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING)
PREFERRED = {"orders": "sla_watch", "cases": "after_sales"}
FINANCE_ACTION = "Refund above the team's limit: finance approves"
ANSWERED_FOR = timedelta(days=7)  # an answered refund stays on the board this long, with the answer


@dataclass(frozen=True)
class Target:
    """A bound tab that lists rows of one kind, and the sheet row each key was last written to."""

    google_id: str
    gid: int | None
    shop_ids: list[str]
    rows: str  # orders | cases
    preferred: bool
    positions: Mapping[str, int]

    def link(self, keys: Sequence[str]) -> str:
        """A link selecting the span of rows holding `keys` (a line-grain tab keys rows `order/SKU`)."""
        wanted = set(keys)
        rows = [row for key, row in self.positions.items() if key.split("/", 1)[0] in wanted]
        url = f"https://docs.google.com/spreadsheets/d/{self.google_id}/edit"
        if self.gid is None:
            return url
        span = f"&range=A{min(rows)}:A{max(rows)}" if rows else ""
        return f"{url}#gid={self.gid}{span}"


def targets(session: Session, team_id: int) -> list[Target]:
    found = []
    rows = session.execute(
        select(SheetBinding, Spreadsheet.google_id).join(Spreadsheet).where(Spreadsheet.team_id == team_id)
    ).all()
    keys = session.execute(  # the key column as the last push left it, top to bottom, from row 2
        select(SheetSnapshot.binding_id, SheetSnapshot.keys).where(
            SheetSnapshot.binding_id.in_([b.id for b, _ in rows])
        )
    ).all()
    positions = {b: {str(k): i + 2 for i, k in enumerate(column or []) if k} for b, column in keys}
    for binding, google_id in rows:
        grain = profile_for(session, team_id, binding.profile_key).grain
        kind = "orders" if grain in ORDER_GRAINS else "cases" if grain is Grain.AFTER_SALE else ""
        if kind:
            preferred = binding.profile_key == PREFERRED[kind]
            found.append(
                Target(
                    google_id,
                    binding.sheet_gid,
                    list(binding.shop_ids),
                    kind,
                    preferred,
                    positions.get(binding.id) or {},
                )
            )
    return sorted(found, key=lambda t: not t.preferred)


def link_to(count: pa.Count, found: Sequence[Target]) -> str:
    """Where the count's rows are: a tab of their kind holding them, the preferred profile first ("": none)."""
    fitting = [t for t in found if t.rows == count.action.rows and shows_shop(t.shop_ids, count.shop_id)]
    holding = [t for t in fitting if any(k.split("/", 1)[0] in count.keys for k in t.positions)]
    chosen = holding or fitting
    return chosen[0].link(count.keys) if chosen and count.keys else ""


def _ship_by(order: Order) -> datetime | None:
    return next((getattr(order, f) for f in SHIP_BY_FIELDS if getattr(order, f) is not None), None)


def counts(session: Session, shops: Sequence[Shop], now: datetime) -> list[pa.Count]:
    ids = [s.id for s in shops]
    orders = [
        pa.OrderFact(o.shop_id, o.external_id, o.status, o.is_on_hold, _ship_by(o), o.cancel_order_sla_at)
        for o in session.scalars(select(Order).where(Order.shop_id.in_(ids), Order.status.in_(LIVE)))
    ]
    cases = [
        pa.CaseFact(shop_id, external_id, CaseType(case_type), SellerStep(str(step)))
        for shop_id, external_id, case_type, step in session.execute(
            select(AfterSaleCase.shop_id, AfterSaleCase.external_id, AfterSaleCase.type, AfterSaleCase.step).where(
                AfterSaleCase.shop_id.in_(ids), AfterSaleCase.step.is_not(None)
            )
        )
    ]
    abnormal = fulfilment.abnormal_packages(session, ids)  # failed handovers still to ship
    labels = {s.id: s.name or s.external_id for s in shops}
    return pa.board(labels, orders, cases, now, abnormal)


def finance_rows(session: Session, team: Team, shops: Sequence[Shop], now: datetime) -> list[pa.BoardRow]:
    """Refunds support approved above the team's limit: those waiting for finance, and those finance answered
    in the last ANSWERED_FOR (with the answer), with what finance needs to decide and no buyer data."""
    by_id = {s.id: s for s in shops}
    answered = (CaseInput.approved_by.is_not(None)) & (CaseInput.updated_at >= now - ANSWERED_FOR)
    rows = session.execute(
        select(AfterSaleCase, CaseInput)
        .join(CaseInput, CaseInput.case_id == AfterSaleCase.id)
        .where(AfterSaleCase.shop_id.in_(by_id), (CaseInput.state == State.AWAITING_FINANCE) | answered)
        .order_by(AfterSaleCase.platform_create_time, AfterSaleCase.id)
    ).all()
    return [
        pa.BoardRow(
            key=f"{pa.FINANCE_PREFIX}{case.external_id}",
            shop=by_id[case.shop_id].name or by_id[case.shop_id].external_id,
            action=FINANCE_ACTION,
            case=case.external_id,
            order=case.order_external_id,
            refund=refund_of(case),
            currency=case.currency,
            limit=refund_limit(team.refund_limits, case.currency),
            asked_by=typed.decided_by or "",
            deadline=case.deadline_at,
            finance=""
            if typed.state == State.AWAITING_FINANCE
            else "decline"
            if typed.state == State.DECLINED
            else "approve",
        )
        for case, typed in rows
    ]


def board_rows(session: Session, team_id: int, shop_ids: Sequence[int], now: datetime) -> list[pa.BoardRow]:
    """The pending_actions tab: every count of every shop, linked to its rows, then the refunds for finance."""
    team = session.get_one(Team, team_id)
    shops = team_shops(session, team_id, shop_ids)
    found = targets(session, team_id)
    rows = [
        pa.BoardRow(pa.count_key(c), c.shop, c.action.label, count=len(c.keys), link=link_to(c, found))
        for c in counts(session, shops, now)
    ]
    return rows + finance_rows(session, team, shops, now)
