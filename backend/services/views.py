"""Build OrderViews (and SKU cost views) from the database in a few batch queries, for projection into sheets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from backend.catalog import exception_templates
from backend.db import among, chunks
from backend.domain.profit import LedgerEntry
from backend.domain.seller_values import Shipping, shown_note, shown_shipping
from backend.domain.status import OrderStatus
from backend.domain.views import Deadlines, OrderView, PackageView, SkuCostView, SkuLine
from backend.models import ExceptionCase, Order, OrderLine, Shop, SkuCost
from backend.platforms import registry
from backend.services.ledger import ledger_entries


def team_shops(session: Session, team_id: int, shop_ids: Sequence[int]) -> list[Shop]:
    """The shops a binding covers: the listed ones, or every shop of the team when none are listed."""
    query = select(Shop).where(Shop.team_id == team_id)
    if shop_ids:
        query = query.where(Shop.id.in_(shop_ids))
    return list(session.scalars(query.order_by(Shop.id)))


def _sku_lines(lines: Iterable[OrderLine]) -> tuple[SkuLine, ...]:
    """TikTok sends one line per unit; a sheet shows one line per SKU with its quantity."""
    grouped: dict[str, list[OrderLine]] = defaultdict(list)
    for line in lines:
        grouped[line.seller_sku or line.sku_id].append(line)
    result = []
    for units in grouped.values():
        first = units[0]
        prices = [u.sale_price for u in units if u.sale_price is not None]
        result.append(
            SkuLine(
                seller_sku=first.seller_sku or "",
                sku_id=first.sku_id,
                product_name=first.product_name,
                sku_name=first.sku_name or "",
                quantity=len(units),
                unit_price=first.sale_price,
                amount=sum(prices, Decimal(0)) if prices else None,
            )
        )
    return tuple(result)


def _open_exceptions(session: Session, order_ids: Sequence[int]) -> dict[int, list[str]]:
    labels = {t.key: t.label.get("en", t.key) for t in exception_templates()}
    found: dict[int, list[str]] = defaultdict(list)
    for part in chunks(order_ids):
        rows = session.execute(
            select(ExceptionCase.order_id, ExceptionCase.template_key).where(
                among(session, ExceptionCase.order_id, part), ExceptionCase.status == "open"
            )
        )
        for order_id, key in rows:
            if order_id is not None:
                found[order_id].append(labels.get(key, key))
    return found


def order_views(
    session: Session,
    shops: Sequence[Shop],
    since: datetime | None = None,
    statuses: Collection[str] = (),
    only: Collection[int] | None = None,
) -> list[OrderView]:
    """The orders of `shops` created since `since` (in `statuses`, when given; among `only`, when given),
    with lines, packages, open exceptions and ledger. The statuses narrow the load the way a profile's
    row filter will (ON_HOLD meaning "on hold"), so a tab of open orders does not read every shipped one."""
    return views_of(session, shops, viewed_orders(session, shops, since, statuses, only))


def views_of(session: Session, shops: Sequence[Shop], orders: Sequence[Order]) -> list[OrderView]:
    """The views of `orders` (read by `viewed_orders`)."""
    by_id = {s.id: s for s in shops}
    ledgers = ledger_entries(session, orders)
    exceptions = _open_exceptions(session, [o.id for o in orders])
    return [_view(o, by_id[o.shop_id], ledgers.get(o.id), exceptions.get(o.id, [])) for o in orders]


def viewed_orders(
    session: Session,
    shops: Sequence[Shop],
    since: datetime | None = None,
    statuses: Collection[str] = (),
    only: Collection[int] | None = None,
) -> list[Order]:
    """The orders `order_views` shows, with their lines, packages and typed values (not their payloads)."""
    by_id = {s.id: s for s in shops}
    if not by_id or (only is not None and not only):
        return []
    query = (
        select(Order)
        .where(Order.shop_id.in_(by_id))
        .options(
            defer(Order.raw, raiseload=True),  # a push never reads the payload: kilobytes of JSON per row
            selectinload(Order.lines),
            selectinload(Order.packages),
            selectinload(Order.typed),
        )
        .order_by(Order.id)
    )
    if since is not None:
        query = query.where(Order.platform_create_time >= since)
    if statuses:
        wanted = Order.status.in_(sorted(statuses))
        query = query.where(wanted | Order.is_on_hold.is_(True) if OrderStatus.ON_HOLD in statuses else wanted)
    if only is None:
        return list(session.scalars(query))
    return [o for part in chunks(sorted(only)) for o in session.scalars(query.where(among(session, Order.id, part)))]


def shipping_shown(order: Order) -> Shipping:
    """The order's carrier and tracking number as its sheets show them (typed until TikTok confirms)."""
    tracking = order.tracking_number or next((p.tracking_number for p in order.packages if p.tracking_number), "")
    typed = order.typed
    return shown_shipping(
        Shipping(typed.carrier or "", typed.tracking_number or "") if typed else Shipping(),
        Shipping(order.shipping_provider or "", tracking or ""),
    )


def _view(order: Order, shop: Shop, ledger: LedgerEntry | None, exceptions: list[str]) -> OrderView:
    packages = tuple(
        PackageView(
            p.external_id, p.status or "", p.tracking_number or "", p.shipping_provider_name or "", p.shipped_at
        )
        for p in order.packages
    )
    shipping = shipping_shown(order)
    return OrderView(
        order_id=order.id,
        external_id=order.external_id,
        shop_id=shop.id,
        shop_name=shop.name,
        platform=registry.channel(shop.platform).label,
        shop_time_zone=shop.time_zone,
        currency=order.currency,
        status=order.status,
        created_at=order.platform_create_time,
        updated_at=order.platform_update_time,
        paid_at=order.paid_at,
        is_on_hold=order.is_on_hold,
        deadlines=Deadlines(
            rts_sla_at=order.rts_sla_at,
            tts_sla_at=order.tts_sla_at,
            shipping_due_at=order.shipping_due_at,
            collection_due_at=order.collection_due_at,
            delivery_due_at=order.delivery_due_at,
            delivery_sla_at=order.delivery_sla_at,
            cancel_order_sla_at=order.cancel_order_sla_at,
            pick_up_cut_off_at=order.pick_up_cut_off_at,
            fast_dispatch_sla_at=order.fast_dispatch_sla_at,
        ),
        carrier=shipping.carrier,
        tracking_number=shipping.tracking_number,
        delivery_option=order.delivery_option_name or "",
        fulfillment_type=order.fulfillment_type or "",
        buyer_message=order.buyer_message or "",
        seller_note=shown_note(order.typed.note if order.typed else None, order.seller_note),
        cancel_reason=order.cancel_reason or "",
        recipient_name=order.recipient_name or "",
        recipient_phone=order.recipient_phone or "",
        recipient_address=order.recipient_address or "",
        recipient_postal_code=order.recipient_postal_code or "",
        region_code=order.recipient_region_code or "",
        subtotal=order.subtotal,
        shipping_fee=order.shipping_fee,
        seller_discount=order.seller_discount,
        platform_discount=order.platform_discount,
        tax=order.tax,
        total_amount=order.total_amount,
        lines=_sku_lines(order.lines),
        packages=packages,
        exceptions=tuple(exceptions),
        ledger=ledger,
    )


def sku_cost_views(session: Session, team_id: int, shops: Sequence[Shop]) -> list[SkuCostView]:
    """Every seller SKU sold in `shops` or costed by the team, with its newest unit cost (if any)."""
    products: dict[str, str] = {}
    if shops:
        rows = session.execute(
            select(OrderLine.seller_sku, OrderLine.product_name)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.shop_id.in_([s.id for s in shops]), OrderLine.seller_sku.is_not(None))
            .distinct()
        )
        for sku, name in rows:
            products.setdefault(str(sku), name)
    latest: dict[str, SkuCost] = {}
    for cost in session.scalars(select(SkuCost).where(SkuCost.team_id == team_id).order_by(SkuCost.effective_from)):
        latest[cost.seller_sku] = cost
    return [
        SkuCostView(
            seller_sku=sku,
            product_name=products.get(sku, ""),
            unit_cost=latest[sku].unit_cost if sku in latest else None,
            currency=latest[sku].currency if sku in latest else "",
            effective_from=latest[sku].effective_from if sku in latest else None,
        )
        for sku in sorted(set(products) | set(latest))
    ]
