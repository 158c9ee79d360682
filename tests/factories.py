"""Factories for tests: real model rows and domain views with overridable defaults.

Every factory takes keyword overrides for any field; the defaults make a plausible TikTok Shop order
(one shop in Bangkok, paid, awaiting shipment, two SKUs). Model factories add to the session and
flush, so ids exist; the test decides when to commit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from backend import runtime
from backend.domain.profit import LedgerEntry
from backend.domain.views import Deadlines, OrderView, PackageView, SkuCostView, SkuLine
from backend.models import FeeLine, Member, NotificationChannel, Order, OrderLine, Package, Shop, SkuCost, Team
from backend.services import notify

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)  # orders are "recent" whenever tests run
_seq = itertools.count(1)


def seq() -> int:
    return next(_seq)


# -- domain views (no database) -----------------------------------------------------------------
def sku_line(**overrides: Any) -> SkuLine:
    n = seq()
    fields: dict[str, Any] = {
        "seller_sku": f"SKU-{n}",
        "sku_id": f"17{n:08d}",
        "product_name": f"Product {n}",
        "sku_name": "Black, M",
        "quantity": 1,
        "unit_price": Decimal("12.50"),
        "amount": Decimal("12.50"),
    }
    fields.update(overrides)
    return SkuLine(**fields)


def ledger(**overrides: Any) -> LedgerEntry:
    fields: dict[str, Any] = {
        "currency": "THB",
        "revenue": Decimal("500.00"),
        "pools": {
            "platform": Decimal("30.00"),
            "payment": Decimal("10.00"),
            "logistics": Decimal("20.00"),
            "marketing": Decimal("0.00"),
            "tax": Decimal("0.00"),
            "other": Decimal("0.00"),
        },
        "fees_total": Decimal("60.00"),
        "cogs": Decimal("200.00"),
        "missing_cost_skus": (),
        "net_profit": Decimal("240.00"),
        "margin": Decimal("0.4800"),
        "basis": "estimated",
        "settled_at": None,
        "estimated_net_profit": None,
    }
    fields.update(overrides)
    return LedgerEntry(**fields)


def order_view(**overrides: Any) -> OrderView:
    n = seq()
    fields: dict[str, Any] = {
        "order_id": n,
        "external_id": f"5769{n:010d}",
        "shop_id": 1,
        "shop_name": "Bangkok Beauty",
        "shop_time_zone": "Asia/Bangkok",
        "currency": "THB",
        "status": "AWAITING_SHIPMENT",
        "created_at": NOW - timedelta(hours=6),
        "updated_at": NOW - timedelta(hours=1),
        "paid_at": NOW - timedelta(hours=6),
        "deadlines": Deadlines(rts_sla_at=NOW + timedelta(hours=30)),
        "carrier": "Flash Express",
        "buyer_message": "please wrap it",
        "recipient_name": "Somchai P.",
        "recipient_phone": "+66 81 234 5678",
        "recipient_address": "12 Sukhumvit Rd, Bangkok",
        "recipient_postal_code": "10110",
        "region_code": "TH",
        "subtotal": Decimal("500.00"),
        "shipping_fee": Decimal("0.00"),
        "total_amount": Decimal("500.00"),
        "lines": (sku_line(quantity=2, amount=Decimal("25.00")), sku_line()),
        "packages": (PackageView(f"PKG{n}", "PROCESSING", "", "Flash Express"),),
        "ledger": ledger(),
    }
    fields.update(overrides)
    return OrderView(**fields)


def sku_cost_view(**overrides: Any) -> SkuCostView:
    fields: dict[str, Any] = {
        "seller_sku": f"SKU-{seq()}",
        "product_name": "Lip tint",
        "unit_cost": Decimal("40.00"),
        "currency": "THB",
        "effective_from": date(2026, 1, 1),
    }
    fields.update(overrides)
    return SkuCostView(**fields)


# -- models ------------------------------------------------------------------------------------
def team(session: Session, name: str | None = None, admin: str = "owner@seller.example", **overrides: Any) -> Team:
    row = Team(name=name or f"Team {seq()}", **overrides)
    row.members.append(Member(email=admin, role="admin"))
    session.add(row)
    session.flush()
    return row


def member(session: Session, team_row: Team, email: str, role: str) -> Member:
    row = Member(team_id=team_row.id, email=email, role=role)
    session.add(row)
    session.flush()
    return row


def low_stock_channel(session: Session, team_row: Team, actor: str) -> NotificationChannel:
    """A Discord channel for the team's low-stock alerts (at an address nothing listens on: alerts only queue)."""
    return notify.add_channel(
        session,
        runtime.secret_box(),
        team_row,
        name="ops",
        url="http://127.0.0.1:9/api/webhooks/1/token",
        kinds=["low_stock"],
        actor=actor,
        allow_loopback=True,
    )


def shop(session: Session, team_row: Team, **overrides: Any) -> Shop:
    n = seq()
    fields: dict[str, Any] = {
        "team_id": team_row.id,
        "external_id": f"7494{n:08d}",
        "name": f"Shop {n}",
        "region": "TH",
        "currency": "THB",
        "time_zone": "Asia/Bangkok",
    }
    fields.update(overrides)
    row = Shop(**fields)
    session.add(row)
    session.flush()
    return row


def order(
    session: Session,
    shop_row: Shop,
    *,
    skus: Sequence[tuple[str, int, Decimal]] = (("LIP-01", 2, Decimal("150.00")), ("MASK-02", 1, Decimal("200.00"))),
    package: str | None = "",
    fees: Sequence[tuple[str, Decimal]] = (),
    **overrides: Any,
) -> Order:
    """An order with one line per unit of each (seller_sku, quantity, unit price), an optional package and fees."""
    n = seq()
    created = overrides.pop("platform_create_time", NOW - timedelta(hours=6))
    total = sum((price * qty for _, qty, price in skus), Decimal(0))
    fields: dict[str, Any] = {
        "shop_id": shop_row.id,
        "external_id": f"5769{n:010d}",
        "status": "AWAITING_SHIPMENT",
        "platform_update_time": created,
        "platform_create_time": created,
        "paid_at": created,
        "rts_sla_at": created + timedelta(hours=36),
        "currency": shop_row.currency,
        "subtotal": total,
        "total_amount": total,
        "buyer_message": "",
        "recipient_name": "Somchai P.",
        "recipient_phone": "+66 81 234 5678",
        "recipient_address": "12 Sukhumvit Rd, Bangkok",
        "recipient_postal_code": "10110",
        "recipient_region_code": shop_row.region,
        "shipping_provider": "Flash Express",
        "raw": {},
    }
    fields.update(overrides)
    row = Order(**fields)
    for seller_sku, quantity, price in skus:
        for unit in range(quantity):
            row.lines.append(
                OrderLine(
                    external_id=f"{row.external_id}-{seller_sku}-{unit}",
                    sku_id=f"sku-{seller_sku}",
                    seller_sku=seller_sku,
                    product_name=f"Product {seller_sku}",
                    currency=row.currency,
                    sale_price=price,
                    original_price=price,
                )
            )
    session.add(row)
    session.flush()
    if package is not None:
        pkg = Package(shop_id=shop_row.id, external_id=package or f"PKG{n}", status="PROCESSING")
        pkg.orders.append(row)
        session.add(pkg)
    for pool, amount in fees:
        session.add(
            FeeLine(
                order_id=row.id,
                pool=pool,
                kind=pool,
                category="revenue" if pool == "revenue" else "fee",
                amount=amount,
                currency=row.currency,
                basis="estimated",
            )
        )
    session.flush()
    return row


def sku_cost(session: Session, team_row: Team, seller_sku: str, unit_cost: Decimal, **overrides: Any) -> SkuCost:
    fields: dict[str, Any] = {
        "team_id": team_row.id,
        "seller_sku": seller_sku,
        "unit_cost": unit_cost,
        "currency": "THB",
        "effective_from": date(2026, 1, 1),
    }
    fields.update(overrides)
    row = SkuCost(**fields)
    session.add(row)
    session.flush()
    return row
