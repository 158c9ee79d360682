"""What typing into the pack list does: a handover ships platform-shipped packages (in waves), a carrier with
a tracking number ships a seller-shipped one, and Combine or Split regroups packages where the platform
allows it. The platform is called with no database transaction open; each row is answered with what
happened and what to do, and the rest of a wave goes on when one package fails.

Nothing is shipped twice: a package OrderDeck or the platform already shipped is answered "already shipped"
without a call, and a repeated call is refused by the platform as already shipped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend import i18n
from backend.db import Database
from backend.domain import fulfilment
from backend.domain.fulfilment import ADVICE
from backend.domain.phrases import Phrase
from backend.domain.status import ShippingType
from backend.errors import NotOffered, OrderDeckError, PlatformError, UnknownCarrier
from backend.models import (
    AuditEntry,
    Order,
    OrderEvent,
    OrderInput,
    Package,
    PackageShipping,
    Shop,
    Wave,
    utcnow,
)
from backend.platforms import registry
from backend.platforms.base import PlatformOrder, ShopClient
from backend.platforms.fulfilment import CombineGroup, Handover, ShipOutcome, ShipProblem
from backend.services import logistics
from backend.services.fulfilment import is_shipped
from backend.services.ingest import ingest_orders, mark_bindings_dirty
from backend.services.shops import Platform, client_for

INPUTS = ("pack_handover", "pack_carrier", "pack_tracking", "pack_action")
TRACKING_LIMIT = 64


@dataclass(frozen=True)
class PackEdit:
    """One pack-list row's typed cells (column key → (1-based column, value)) and its other inputs."""

    row: int
    key: str
    typed: Mapping[str, tuple[int, str]]
    context: Mapping[str, tuple[int, str]]

    def value(self, key: str) -> str:
        return (self.typed.get(key) or self.context.get(key) or (0, ""))[1]


@dataclass
class PackAnswers:
    cells: list[dict[str, Any]] = field(default_factory=list)
    changed: bool = False

    def answer(self, edit: PackEdit, key: str, status: str, value: Any, note: str | None = None) -> None:
        column = (edit.typed.get(key) or edit.context.get(key) or (0, ""))[0]
        if column:
            self.cells.append({"row": edit.row, "column": column, "status": status, "value": value, "note": note})


@dataclass(frozen=True)
class _Pass:
    """One pass of the pack list: who acts for which team, and where the answers go."""

    db: Database
    platform: Platform
    team_id: int
    actor: str
    answers: PackAnswers


@dataclass
class _Mark:
    edit: PackEdit
    package_id: int
    external_id: str
    handover: Handover
    label: str


def apply(
    db: Database,
    platform: Platform,
    team_id: int,
    actor: str,
    edits: Sequence[PackEdit],
) -> PackAnswers:
    """Act on a pass of the pack list: handovers (as waves), seller shipments, then combine and split; a handover
    is read in any language (the sheet's may have changed since it was picked)."""
    answers = PackAnswers()
    marks: list[tuple[tuple[int, str, Handover], _Mark]] = []
    seller: list[tuple[PackEdit, int]] = []
    actions: list[tuple[PackEdit, int]] = []
    with db.session() as session:
        packages = _packages(session, team_id, [e.key for e in edits])
        for edit in edits:
            package = packages.get(edit.key)
            if package is None or not package.orders:
                for key in edit.typed:
                    answers.answer(edit, key, "rejected", None, f"no package {edit.key!r} in this tab")
                continue
            if "pack_handover" in edit.typed:
                mark = _mark(session, edit, package, answers)
                if mark is not None:
                    order = package.orders[0]
                    marks.append(((package.shop_id, order.delivery_option_id or "", mark.handover), mark))
            if {"pack_carrier", "pack_tracking"} & set(edit.typed):
                seller.append((edit, package.id))
            if edit.typed.get("pack_action", (0, ""))[1]:
                actions.append((edit, package.id))
            elif "pack_action" in edit.typed:
                answers.answer(edit, "pack_action", "accepted", "")  # an emptied action cell does nothing
        waves = _open_waves(session, team_id, actor, fulfilment.waves(marks))
    act = _Pass(db, platform, team_id, actor, answers)
    for wave_id, members in waves:
        _ship_wave(act, wave_id, members)
    for edit, package_id in seller:
        _seller_ship(act, edit, package_id)
    for edit, package_id in actions:
        _act(act, edit, package_id)
    return answers


def _packages(session: Session, team_id: int, keys: Sequence[str]) -> dict[str, Package]:
    shops = select(Shop.id).where(Shop.team_id == team_id)
    query = (
        select(Package)
        .where(Package.shop_id.in_(shops), Package.external_id.in_(list(keys)))
        .options(
            selectinload(Package.orders).selectinload(Order.lines),
            selectinload(Package.orders).selectinload(Order.typed),
        )
    )
    return {p.external_id: p for p in session.scalars(query)}


def _mark(session: Session, edit: PackEdit, package: Package, answers: PackAnswers) -> _Mark | None:
    """The handover a row asks for, or None after answering why it cannot be used."""
    label = edit.typed["pack_handover"][1].strip()
    shop = session.get_one(Shop, package.shop_id)
    channel = registry.channel(shop.platform)
    order = package.orders[0]
    shipping = session.get(PackageShipping, package.id)
    why = None
    if not label:
        answers.answer(edit, "pack_handover", "accepted", shipping.handover if shipping else "")
        return None
    if is_shipped(package, shipping):
        why = ADVICE[ShipProblem.ALREADY_SHIPPED]
    elif not channel.fulfilment.platform_shipping:
        why = Phrase(
            "{platform}: handing over happens in its seller centre; {read_only}",
            platform=channel.label,
            read_only=Phrase(channel.fulfilment.read_only),
        )
    elif order.shipping_type != ShippingType.PLATFORM:
        why = "You ship this one: pick its carrier and type the tracking number."
    else:
        option, now = order.delivery_option_id or "", utcnow()
        # Every language's labels: a handover picked before the sheet's language changed still reads.
        choices = {k: h for other in i18n.LANGUAGES for k, h in logistics.handover_labels(
            session, shop, option, now, other).items()}  # fmt: skip
        if label in choices:
            return _Mark(edit, package.id, package.external_id, choices[label], label)
        why = Phrase(
            "{label!r} is not one of the handovers {platform} offers now: pick {drop_off} or a pickup slot from the "
            "list (it is refreshed every hour; a slot that has passed leaves it)",
            label=label,
            platform=channel.label,
            drop_off=Phrase(fulfilment.DROP_OFF),
        )
    answers.answer(edit, "pack_handover", "rejected", shipping.handover if shipping else "", why)
    return None


def _open_waves(
    session: Session, team_id: int, actor: str, grouped: list[list[_Mark]]
) -> list[tuple[int, list[_Mark]]]:
    """One Wave per group, each package's handover recorded (in wave order) before the platform is called."""
    opened = []
    for members in grouped:
        first = session.get_one(Package, members[0].package_id)
        order = first.orders[0]
        wave = Wave(
            team_id=team_id,
            shop_id=first.shop_id,
            delivery_option=order.delivery_option_name or "",
            handover=members[0].label,
            created_by=actor,
        )
        session.add(wave)
        session.flush()
        for position, mark in enumerate(members, start=1):
            row = session.get(PackageShipping, mark.package_id) or PackageShipping(package_id=mark.package_id)
            session.add(row)
            row.wave_id, row.position, row.handover = wave.id, position, mark.label
            row.shipped, row.problem, row.message = False, None, fulfilment.SHIPPING
            row.requested_by, row.requested_at = actor, utcnow()
        opened.append((wave.id, members))
    return opened


def _ship_wave(act: _Pass, wave_id: int, members: list[_Mark]) -> None:
    db, answers = act.db, act.answers
    with db.session() as session:
        shop = session.get_one(Shop, session.get_one(Wave, wave_id).shop_id)
        order_ids = {o.external_id for m in members for o in session.get_one(Package, m.package_id).orders}
    try:
        with client_for(db, act.platform, shop) as client:
            outcomes = client.ship_packages([(m.external_id, m.handover) for m in members])
            refreshed = _refetch(client, order_ids)
    except OrderDeckError as exc:
        outcomes = [ShipOutcome(m.external_id, ShipProblem.RETRY, exc.message) for m in members]
        refreshed = []
    by_package = {o.package_id: o for o in outcomes}
    with db.session() as session:
        if refreshed:
            ingest_orders(session, shop, refreshed, source="api", actor=act.actor)
        shipped = 0
        for mark in members:
            outcome = by_package.get(mark.external_id) or ShipOutcome(mark.external_id, ShipProblem.OTHER, "no answer")
            row = session.get_one(PackageShipping, mark.package_id)
            row.shipped = outcome.shipped or outcome.problem is ShipProblem.ALREADY_SHIPPED
            row.problem = None if outcome.shipped else str(outcome.problem)
            row.message = (
                None if outcome.shipped else fulfilment.advice(outcome.problem or ShipProblem.OTHER, outcome.message)
            )
            shipped += row.shipped
            answers.answer(mark.edit, "pack_handover", "accepted", mark.label, row.message)
        session.add(
            AuditEntry(
                team_id=act.team_id,
                actor=act.actor,
                action="pack.handover",
                target_type="wave",
                target_id=str(wave_id),
                detail={"packages": [m.external_id for m in members], "handover": members[0].label, "shipped": shipped},
            )
        )
        mark_bindings_dirty(session, act.team_id, shop.id)
    answers.changed = True


def _refetch(client: ShopClient, order_ids: set[str]) -> list[PlatformOrder]:
    """The orders as the platform has them now, so their new status shows at the next push."""
    with contextlib.suppress(PlatformError):  # shipped all the same; the next sync brings the status
        return list(client.get_orders(sorted(order_ids)).orders)
    return []


def _seller_refusal(session: Session, package: Package, shop: Shop, tracking: str) -> str | None:
    if package.orders[0].shipping_type == ShippingType.PLATFORM:
        return f"{registry.channel(shop.platform).label} ships this one: pick a handover instead"
    if is_shipped(package, session.get(PackageShipping, package.id)):
        return ADVICE[ShipProblem.ALREADY_SHIPPED]
    if len(tracking) > TRACKING_LIMIT:
        return f"a tracking number is at most {TRACKING_LIMIT} characters"
    return None


def _answer_both(act: _Pass, edit: PackEdit, status: str, note: str) -> None:
    for key in ("pack_carrier", "pack_tracking"):
        act.answers.answer(edit, key, status, edit.value(key), note)


def _seller_ship(act: _Pass, edit: PackEdit, package_id: int) -> None:
    """A seller-shipped package: the carrier (from the dropdown) and the tracking number ship it once both are in."""
    carrier, tracking = edit.value("pack_carrier").strip(), edit.value("pack_tracking").strip()
    with act.db.session() as session:
        package = session.get_one(Package, package_id)
        order, shop = package.orders[0], session.get_one(Shop, package.shop_id)
        typed = order.typed or OrderInput(order_id=order.id, updated_by=act.actor)
        session.add(typed)
        typed.carrier, typed.tracking_number, typed.updated_by = carrier or None, tracking or None, act.actor
        why = _seller_refusal(session, package, shop, tracking)
        mark_bindings_dirty(session, act.team_id, shop.id)
        order_id, external = order.external_id, package.external_id
    act.answers.changed = True
    if why is not None:
        _answer_both(act, edit, "rejected", why)
        return
    if not (carrier and tracking):
        _answer_both(
            act, edit, "pending", f"Saved. Add the {'carrier' if tracking else 'tracking number'}, and it ships."
        )
        return
    try:
        with client_for(act.db, act.platform, shop) as client:
            shipment = client.ship(order_id=order_id, package_id=external, carrier=carrier, tracking_number=tracking)
            refreshed = _refetch(client, {order_id})
    except UnknownCarrier as exc:
        _answer_both(act, edit, "rejected", f"{exc.message}. It is no longer offered: pick one from the list.")
        return
    except OrderDeckError as exc:
        _answer_both(act, edit, "rejected", exc.message)
        return
    with act.db.session() as session:
        if refreshed:
            ingest_orders(session, shop, refreshed, source="api", actor=act.actor)
        order = session.scalars(select(Order).where(Order.shop_id == shop.id, Order.external_id == order_id)).one()
        order.events.append(
            OrderEvent(kind="shipped", occurred_at=utcnow(), actor=act.actor,
                       detail={"tracking_number": tracking, "carrier": shipment.carrier, "package": external})
        )  # fmt: skip
    act.answers.answer(edit, "pack_carrier", "accepted", shipment.carrier)
    act.answers.answer(edit, "pack_tracking", "accepted", tracking)


def _act(act: _Pass, edit: PackEdit, package_id: int) -> None:
    """Combine the buyer's packages the platform proposed, or Split a package (uncombine, or one per SKU)."""
    db, answers, actor, team_id = act.db, act.answers, act.actor, act.team_id
    wanted = edit.typed["pack_action"][1].strip().lower()
    with db.session() as session:
        package = session.get_one(Package, package_id)
        shop = session.get_one(Shop, package.shop_id)
        orders = [o.external_id for o in package.orders]
        order = package.orders[0]
        groups = logistics.combinable_groups(session, shop.id)
        by_sku: dict[str, list[str]] = {}
        for line in order.lines:
            by_sku.setdefault(line.seller_sku or line.sku_id, []).append(line.external_id)
        shipped = is_shipped(package, session.get(PackageShipping, package.id))
    note, touched = "", set(orders)
    try:
        if shipped:
            raise NotOffered("already shipped: packages are combined or split before they ship")
        with client_for(db, act.platform, shop) as client:
            if wanted == "combine":
                group = next((g for g in groups if orders[0] in g[1]), None)
                if group is None:
                    raise NotOffered("the platform offers no package of the same buyer to combine this with")
                made = client.combine(CombineGroup(*group))
                touched |= set(group[1])
                note = Phrase("Combined into package {packages}", packages=", ".join(made))
            elif wanted == "split" and len(orders) > 1:
                made = client.uncombine(package.external_id, orders)
                note = Phrase("Split into packages {packages}", packages=", ".join(made))
            elif wanted == "split" and len(by_sku) > 1:
                made = client.split(orders[0], list(by_sku.values()))
                note = Phrase("Split into packages {packages}, one per SKU", packages=", ".join(made))
            else:
                raise NotOffered("nothing to split: the package holds one order of one SKU")
            refreshed = _refetch(client, touched)
    except OrderDeckError as exc:
        answers.answer(edit, "pack_action", "rejected", "", exc.message)
        return
    with db.session() as session:
        if refreshed:
            ingest_orders(session, shop, refreshed, source="api", actor=actor)
        session.add(
            AuditEntry(team_id=team_id, actor=actor, action=f"pack.{wanted}", target_type="package",
                       target_id=edit.key[:128], detail={"orders": sorted(touched), "result": note})
        )  # fmt: skip
        mark_bindings_dirty(session, team_id, shop.id)
    with contextlib.suppress(OrderDeckError):
        logistics.refresh(db, act.platform, shop.id)  # what can be combined now has changed
    answers.changed = True
    answers.answer(edit, "pack_action", "accepted", "", note)
