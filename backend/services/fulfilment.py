"""What the sheets show about handing packages over, read from the database at push time (no platform call).

The pack list gains each package's delivery option, its handover or carrier dropdown (a list key), what
its last handover came to, its label and its wave's labels; it keeps a package shipped on the platform's
logistics until the carrier collects it, so its label stays a click away. Order tabs gain the carrier's
latest event, the label link and the carrier dropdown of the order's delivery option.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend import i18n, runtime
from backend.db import among, chunks
from backend.domain import fulfilment, tracking
from backend.domain.fulfilment import ShipState
from backend.domain.phrases import Phrase
from backend.domain.status import OrderStatus, ShippingType
from backend.domain.stock import PackRow, WarehouseRows
from backend.domain.views import OrderView, TrackingView
from backend.models import Order, OrderTracking, Package, PackageShipping, Shop
from backend.platforms import registry
from backend.platforms.fulfilment import FulfilmentSupport
from backend.secrets import SecretBox
from backend.services import labels, logistics

UNSHIPPED = frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING})


def _links() -> tuple[str, SecretBox]:
    return runtime.config().PUBLIC_BASE_URL, runtime.secret_box()


def is_shipped(package: Package, shipping: PackageShipping | None) -> bool:
    """Handed over: by OrderDeck, or the platform reports a tracking number or shipping time."""
    return bool((shipping and shipping.shipped) or package.tracking_number or package.shipped_at)


def _team_packages(session: Session, team_id: int, keys: Sequence[str]) -> dict[str, Package]:
    shops = select(Shop.id).where(Shop.team_id == team_id)
    found: dict[str, Package] = {}
    for part in chunks(list(keys)):
        query = (
            select(Package)
            .where(Package.shop_id.in_(shops), Package.external_id.in_(part))
            .options(selectinload(Package.orders).selectinload(Order.lines))
        )
        found.update((p.external_id, p) for p in session.scalars(query))
    return found


def _awaiting_collection(session: Session, team_id: int, known: set[str], shop_ids: Collection[int]) -> list[Package]:
    """Platform-shipped packages handed over and not collected yet: their rows stay, for their labels."""
    shops = select(Shop.id).where(Shop.team_id == team_id)
    if shop_ids:
        shops = shops.where(Shop.id.in_(list(shop_ids)))
    orders = session.scalars(
        select(Order)
        .where(
            Order.shop_id.in_(shops),
            Order.status == OrderStatus.AWAITING_COLLECTION,
            Order.shipping_type == ShippingType.PLATFORM,
        )
        .options(selectinload(Order.packages).selectinload(Package.orders).selectinload(Order.lines))
    )
    extra: dict[str, Package] = {}
    for order in orders:
        for package in order.packages:
            if package.external_id not in known:
                extra[package.external_id] = package
    return list(extra.values())


def _row_of(package: Package) -> PackRow:
    quantities: dict[str, int] = defaultdict(int)
    for order in package.orders:
        for line in order.lines:
            if line.package_external_id in (None, package.external_id):
                quantities[line.seller_sku or line.sku_id] += 1
    return PackRow(
        key=package.external_id,
        orders=tuple(o.external_id for o in package.orders),
        lines=", ".join(f"{sku} × {n}" for sku, n in sorted(quantities.items())),
        carrier=package.shipping_provider_name or "",
        ship_by=None,
    )


def pack_overlay(
    session: Session,
    team_id: int,
    rows: WarehouseRows,
    now: datetime,
    shop_ids: Collection[int] = (),
    *,
    language: str = i18n.DEFAULT,
) -> WarehouseRows:
    """The pack rows with their shipping state, plus platform-shipped parcels waiting for the carrier (of
    `shop_ids` only, when the tab is bound to some shops); the handovers picked said in the sheet's `language`."""
    packages = _team_packages(session, team_id, [r.key for r in rows.packs])
    extra = _awaiting_collection(session, team_id, set(packages) | {r.key for r in rows.packs}, shop_ids)
    packs = list(rows.packs) + [_row_of(p) for p in extra]
    packages.update((p.external_id, p) for p in extra)
    shipping = {
        s.package_id: s
        for part in chunks([p.id for p in packages.values()])
        for s in session.scalars(
            select(PackageShipping)
            .where(PackageShipping.package_id.in_(part))
            .options(selectinload(PackageShipping.wave))
        )
    }
    sizes = _wave_sizes(session, {s.wave_id for s in shipping.values() if s.wave_id})
    links = _links()
    platforms = {i: p for i, p in session.execute(select(Shop.id, Shop.platform).where(Shop.team_id == team_id))}
    handover_in = _handovers_in(session, language, now)
    groups: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    shown = []
    for row in packs:
        package = packages.get(row.key)
        if package is None or not package.orders:
            shown.append(row)
            continue
        order = package.orders[0]
        shop_id = package.shop_id
        if shop_id not in groups:
            groups[shop_id] = logistics.combinable_groups(session, shop_id)
        support = registry.channel(platforms[shop_id]).fulfilment
        state = _state(
            package, order, shipping.get(package.id), sizes=sizes, groups=groups[shop_id], support=support, links=links
        )
        if state.handover:
            state = replace(state, handover=handover_in(shop_id, order.delivery_option_id or "", state.handover))
        carrier = row.carrier
        if order.shipping_type != ShippingType.PLATFORM and not package.tracking_number:
            # Still to ship by the seller: the carrier typed (or the platform's), never the delivery option's
            # name, which a tracking number typed alone would otherwise try to ship with.
            carrier = (order.typed.carrier if order.typed else None) or order.shipping_provider or ""
        shown.append(replace(row, carrier=carrier, shipping=state))
    return replace(rows, packs=tuple(shown))


def _handovers_in(session: Session, language: str, now: datetime) -> Callable[[int, str, str], str]:
    """A handover label as picked (in any language: the sheet's may have changed since) → the same handover in
    `language`, as its dropdown offers it now; a label no longer offered (a slot that passed) stays as picked."""
    said: dict[tuple[int, str], dict[str, str]] = {}

    def handover_in(shop_id: int, option: str, label: str) -> str:
        if (shop_id, option) not in said:
            shop = session.get_one(Shop, shop_id)
            offered = {h: shown for shown, h in logistics.handover_labels(session, shop, option, now, language).items()}
            found = {i18n.handover_words(other)[0]: i18n.handover_words(language)[0] for other in i18n.LANGUAGES}
            for other in i18n.LANGUAGES:
                labels = logistics.handover_labels(session, shop, option, now, other)
                found.update((picked, offered[h]) for picked, h in labels.items() if h in offered)
            said[shop_id, option] = found
        return said[shop_id, option].get(label, label)

    return handover_in


def _wave_sizes(session: Session, wave_ids: set[int]) -> dict[int, int]:
    sizes: dict[int, int] = defaultdict(int)
    for part in chunks(sorted(wave_ids)):
        for wave_id in session.scalars(select(PackageShipping.wave_id).where(PackageShipping.wave_id.in_(part))):
            if wave_id is not None:
                sizes[wave_id] += 1
    return sizes


def _state(
    package: Package,
    order: Order,
    shipping: PackageShipping | None,
    *,
    sizes: dict[int, int],
    groups: list[tuple[str, tuple[str, ...]]],
    support: FulfilmentSupport,
    links: tuple[str, SecretBox],
) -> ShipState:
    platform_ships = order.shipping_type == ShippingType.PLATFORM
    shipped = is_shipped(package, shipping)
    option = order.delivery_option_id or ""
    state = ""
    if shipped:
        state = fulfilment.shipped(order.status if order.status not in UNSHIPPED else None)
    if shipping is not None and shipping.message:
        message = fulfilment.kept(shipping.problem, shipping.message)  # our words said again, the platform's kept
        state = Phrase("{state}. {message}", state=state, message=message) if shipping.shipped else message
    wave = shipping.wave if shipping else None
    typed = order.typed
    base, box = links
    documents = platform_ships and shipped and bool(support.documents)
    return ShipState(
        handover=shipping.handover if shipping else "",
        tracking=package.tracking_number or (typed.tracking_number or "" if typed and not platform_ships else ""),
        state=state,
        label=labels.package_link(box, base, package.id) if documents else "",
        wave=fulfilment.wave_label(wave.id, shipping.position, sizes.get(wave.id, 0)) if wave and shipping else "",
        wave_label=labels.wave_link(box, base, wave.id) if wave and support.documents else "",
        delivery_option=order.delivery_option_name or "",
        handover_list=logistics.handover_key(package.shop_id, option) if platform_ships and not shipped else "",
        carrier_list=logistics.carriers_key(package.shop_id, option) if not platform_ships and not shipped else "",
        together=""
        if shipped or not (support.combine or support.split)
        else fulfilment.together(
            package.external_id,
            [o.external_id for o in package.orders],
            [g for _, g in groups],
            len({line.seller_sku or line.sku_id for line in order.lines}),
        ),
    )


def overlay_orders(
    session: Session, views: Sequence[OrderView], now: datetime, orders: Mapping[int, Order]
) -> list[OrderView]:
    """The views with the carrier's latest event, the label link and the carrier dropdown's list; `orders`
    are the views' orders as `views.viewed_orders` read them (with their packages: not read again)."""
    ids = [v.order_id for v in views]
    tracks: dict[int, OrderTracking] = {}
    for part in chunks(ids):
        tracks.update(
            (t.order_id, t)
            for t in session.scalars(select(OrderTracking).where(among(session, OrderTracking.order_id, part)))
        )
    base, box = _links()
    shown = []
    for view in views:
        order = orders.get(view.order_id)
        if order is None:
            shown.append(view)
            continue
        found = tracks.get(view.order_id)
        shipped_at = order.rts_at or next((p.shipped_at for p in order.packages if p.shipped_at), None)
        delivered = order.delivery_at or (found.delivered_at if found else None)
        view_tracking = None
        if found is not None or shipped_at is not None:
            view_tracking = TrackingView(
                latest=found.latest or "" if found else "",
                latest_at=found.latest_at if found else None,
                days=tracking.days_in_transit(shipped_at, delivered, now),
                problem=found.problem if found else None,
            )
        platform_ships = order.shipping_type == ShippingType.PLATFORM
        label = ""
        if platform_ships and order.status not in UNSHIPPED and order.packages and order.status in labels.SHIPPED:
            label = labels.package_link(box, base, order.packages[0].id)
        carrier_list = ""
        if not platform_ships and order.status in UNSHIPPED and order.delivery_option_id:
            carrier_list = logistics.carriers_key(order.shop_id, order.delivery_option_id)
        shown.append(replace(view, tracking=view_tracking, label=label, carrier_list=carrier_list))
    return shown


def abnormal_packages(session: Session, shop_ids: Sequence[int]) -> dict[int, list[str]]:
    """Shop id → its packages whose last handover failed (a label, the address, an expired slot) and that are
    still to ship: what the pending-actions board counts as "abnormal packages"."""
    found: dict[int, list[str]] = defaultdict(list)
    if not shop_ids:
        return found
    rows = session.execute(
        select(Package.shop_id, Package.external_id)
        .join(PackageShipping, PackageShipping.package_id == Package.id)
        .where(
            Package.shop_id.in_(list(shop_ids)),
            PackageShipping.shipped.is_(False),
            PackageShipping.problem.is_not(None),
            Package.tracking_number.is_(None),
        )
        .order_by(Package.shop_id, Package.external_id)
    )
    for shop_id, external_id in rows:
        found[shop_id].append(external_id)
    return dict(found)
