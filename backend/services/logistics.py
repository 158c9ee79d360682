"""What a shop's logistics API offers, kept fresh enough for the sheets' dropdowns: the carriers of each
seller-shipped delivery option, each platform-shipped option's handover choices (drop-off, pickup slots),
and the packages the platform would combine.

A shop round refreshes it hourly (pickup slots move on); a pushed sheet reads it from the database and never
calls the platform. Dropdown lists are named by keys (`carriers:<shop>:<option>`, `handover:<shop>:<option>`)
that the spreadsheet's list tab lays out (backend/domain/lists.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import i18n
from backend.db import Database
from backend.domain import fulfilment
from backend.domain.status import OrderStatus, ShippingType
from backend.errors import NotOffered, OrderDeckError, PlatformError
from backend.models import Order, Shop, ShopLogistics, utcnow
from backend.platforms import registry
from backend.platforms.fulfilment import Handover, HandoverChoices, PickupSlot, ShippingCalls
from backend.services.ingest import mark_bindings_dirty
from backend.services.shops import Platform, client_for

log = logging.getLogger(__name__)
REFRESH_EVERY = timedelta(hours=1)
OPEN = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING)


def carriers_key(shop_id: int, option_id: str) -> str:
    return f"carriers:{shop_id}:{option_id}"


def handover_key(shop_id: int, option_id: str) -> str:
    return f"handover:{shop_id}:{option_id}"


def _open_orders(session: Session, shop_id: int) -> list[Order]:
    return list(
        session.scalars(
            select(Order).where(Order.shop_id == shop_id, Order.status.in_(OPEN), Order.is_on_hold.is_(False))
        )
    )


def refresh_if_due(db: Database, platform: Platform, shop_id: int, now: datetime | None = None) -> str:
    """Refresh the shop's logistics when the last refresh is older than REFRESH_EVERY; what was done."""
    now = now or utcnow()
    with db.session() as session:
        stored = session.get(ShopLogistics, shop_id)
        if stored is not None and stored.refreshed_at > now - REFRESH_EVERY:
            return "fresh"
    return refresh(db, platform, shop_id, now)


def refresh(db: Database, platform: Platform, shop_id: int, now: datetime | None = None) -> str:
    """Ask the platform what it offers now; a failure keeps the last answer and records why."""
    now = now or utcnow()
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        support = registry.channel(shop.platform).fulfilment
        opened = _open_orders(session, shop_id)
        warehouses = sorted({o.warehouse_id for o in opened if o.warehouse_id})
        # One open package per platform-shipped option: the platform lists handover slots per package.
        sample: dict[str, str] = {}
        for order in opened:
            if order.shipping_type == ShippingType.PLATFORM and order.delivery_option_id and order.packages:
                sample.setdefault(order.delivery_option_id, order.packages[0].external_id)
    options: list[dict[str, object]] = []
    handover: dict[str, object] = {}
    combinable: list[dict[str, object]] = []
    problem = None
    try:
        with client_for(db, platform, shop) as client:
            if support.carriers:
                options = _options(client, warehouses)
            if support.platform_shipping:
                handover = {option: _choices(client.handover_choices(package)) for option, package in sample.items()}
            if support.combine:
                combinable = _combinable(client)
    except OrderDeckError as exc:
        log.warning("logistics of shop %s not refreshed: %s", shop_id, exc.message)
        problem = exc.message
    with db.session() as session:
        stored = session.get(ShopLogistics, shop_id) or ShopLogistics(shop_id=shop_id)
        session.add(stored)
        if problem is None:
            if (stored.options, stored.handover, stored.combinable) != (options, handover, combinable):
                mark_bindings_dirty(session, shop.team_id, shop_id)  # the dropdowns and Combine / split change
            stored.options, stored.handover, stored.combinable = options, handover, combinable
        stored.refreshed_at, stored.problem = now, (problem or "")[:1024] or None
    return problem or f"{len(options)} delivery options, {len(handover)} handover lists"


def _options(client: ShippingCalls, warehouses: Iterable[str]) -> list[dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for warehouse in warehouses:
        for option in client.delivery_options(warehouse):
            if option.option_id in found:
                continue
            carriers = sorted(c.name for c in client.carriers(option.option_id)) if option.seller_ships else []
            found[option.option_id] = {
                "id": option.option_id,
                "name": option.name,
                "seller_ships": option.seller_ships,
                "carriers": carriers,
            }
    return list(found.values())


def _choices(choices: HandoverChoices) -> dict[str, object]:
    slots = [[s.start.isoformat(), s.end.isoformat()] for s in choices.slots]
    return {"pickup": choices.pickup, "drop_off": choices.drop_off, "slots": slots, "url": choices.drop_off_url}


def _combinable(client: ShippingCalls) -> list[dict[str, object]]:
    try:
        return [{"group_id": g.group_id, "order_ids": list(g.order_ids)} for g in client.combinable()]
    except NotOffered:
        return []  # this market does not combine: the pack list offers nothing to combine
    except PlatformError as exc:
        log.warning("combinable packages not read: %s", exc.message)
        return []


# -- what the sheets read ------------------------------------------------------------------------------


def stored_choices(stored: ShopLogistics | None, option_id: str) -> HandoverChoices | None:
    doc = (stored.handover if stored else {}).get(option_id)
    if not isinstance(doc, Mapping):
        return None
    slots = tuple(
        PickupSlot(datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in doc.get("slots") or ()
    )
    return HandoverChoices(bool(doc.get("pickup")), bool(doc.get("drop_off")), slots, str(doc.get("url") or ""))


def handover_labels(
    session: Session, shop: Shop, option_id: str, now: datetime, language: str = i18n.DEFAULT
) -> dict[str, Handover]:
    """The dropdown's choices for a platform-shipped package of this option in a sheet's language, slots that
    have ended left out."""
    choices = stored_choices(session.get(ShopLogistics, shop.id), option_id)
    if choices is None:
        return {}
    drop_off, label = i18n.handover_words(language)
    return fulfilment.still_open(fulfilment.choice_labels(choices, shop.time_zone, drop_off=drop_off, label=label), now)


def carrier_names(session: Session, shop_id: int, option_id: str) -> list[str]:
    stored = session.get(ShopLogistics, shop_id)
    for option in stored.options if stored else ():
        if isinstance(option, Mapping) and option.get("id") == option_id:
            return [str(c) for c in option.get("carriers") or ()]
    return []


def combinable_groups(session: Session, shop_id: int) -> list[tuple[str, tuple[str, ...]]]:
    stored = session.get(ShopLogistics, shop_id)
    return [
        (str(g["group_id"]), tuple(str(o) for o in g["order_ids"]))
        for g in (stored.combinable if stored else ())
        if isinstance(g, Mapping) and g.get("group_id")
    ]


def list_keys(session: Session, shop_ids: Iterable[int]) -> set[str]:
    """The key of every dropdown list these shops' logistics offer: each option's carriers and handovers."""
    keys: set[str] = set()
    for stored in session.scalars(select(ShopLogistics).where(ShopLogistics.shop_id.in_(list(shop_ids)))):
        for option in stored.options:
            if isinstance(option, Mapping) and option.get("id"):
                keys.add(carriers_key(stored.shop_id, str(option["id"])))
        keys |= {handover_key(stored.shop_id, str(option_id)) for option_id in stored.handover}
    return keys


def lists(
    session: Session, keys: Iterable[str], now: datetime, language: str = i18n.DEFAULT
) -> dict[str, tuple[str, list[str]]]:
    """List key → (its title, its choices), for the spreadsheet's list tab (handovers in its language)."""
    found: dict[str, tuple[str, list[str]]] = {}
    translate = i18n.translator(language)  # the titles above the lists, should someone unhide the tab
    for key in sorted(set(keys)):
        kind, shop_id, option_id = key.split(":", 2)
        shop = session.get(Shop, int(shop_id))
        if shop is None:
            continue
        if kind == "carriers":
            title = translate("Carriers: {shop} {option}").format(shop=shop.name, option=option_id)
            found[key] = (title, carrier_names(session, shop.id, option_id))
        elif kind == "handover":
            labels = list(handover_labels(session, shop, option_id, now, language))
            found[key] = (translate("Handover: {shop} {option}").format(shop=shop.name, option=option_id), labels)
    return found
