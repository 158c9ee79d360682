"""Label links: one per platform-shipped package and one per wave, served by the backend behind a signed link.

The platform's own document URLs expire after a day, so a link never points at one: each open fetches the
documents afresh through the platform protocol and, for a wave, merges them into one PDF in wave order
(pypdf). A label shows the buyer's name and address, so a link works only while it should: not before the
package ships, not once the team's retention removed the order's personal data, and not past 30 days after
delivery.
"""

from __future__ import annotations

import hmac
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pypdf import PdfReader, PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend.db import Database
from backend.domain.phrases import Phrase
from backend.domain.status import OrderStatus
from backend.errors import Gone, InvalidInput, NotFound, NotShippedYet
from backend.models import Package, PackageShipping, Shop, Wave, utcnow
from backend.platforms import registry
from backend.platforms.base import ShopClient
from backend.platforms.fulfilment import Document, DocumentKind
from backend.secrets import SecretBox
from backend.services.shops import Platform, client_for

VALID_AFTER_DELIVERY = timedelta(days=30)
SHIPPED = frozenset(
    {OrderStatus.AWAITING_COLLECTION, OrderStatus.IN_TRANSIT, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)


def _token(box: SecretBox, kind: str, row_id: int) -> str:
    ref = f"{kind}{row_id}"
    return f"{ref}-{box.mac('label:' + ref)}"


def package_link(box: SecretBox, base_url: str, package_id: int) -> str:
    return f"{base_url.rstrip('/')}/labels/{_token(box, 'p', package_id)}"


def wave_link(box: SecretBox, base_url: str, wave_id: int) -> str:
    return f"{base_url.rstrip('/')}/labels/{_token(box, 'w', wave_id)}"


def _parse(box: SecretBox, token: str) -> tuple[str, int]:
    ref, _, mac = token.partition("-")
    kind, number = ref[:1], ref[1:]
    if kind not in ("p", "w") or not number.isdigit() or len(number) > 12:
        raise NotFound("no such label link")
    if not hmac.compare_digest(box.mac("label:" + ref), mac):
        raise NotFound("no such label link")
    return kind, int(number)


@dataclass(frozen=True)
class Wanted:
    """Which document the opener asked for; the channel says which it serves."""

    kind: DocumentKind = DocumentKind.LABEL
    size: str = ""
    format: str = ""


def _why_not(package: Package, now: datetime) -> str | None:
    """Why this package's label is not served now (None: it is)."""
    orders = package.orders
    if any(o.personal_masked_at is not None for o in orders):
        return "this label's order had its personal data removed (the team's retention), so its label is gone"
    delivered = [o.delivery_at for o in orders if o.delivery_at is not None]
    if delivered and max(delivered) + VALID_AFTER_DELIVERY < now:
        return "label links stop working 30 days after delivery"
    if not any(o.status in SHIPPED for o in orders) and not package.tracking_number:
        return ""
    return None


def _packages(session: Session, kind: str, row_id: int) -> tuple[list[Package], bool]:
    """The link's packages in order (a wave's in wave order, those that shipped) and whether it is a wave."""
    load = selectinload(Package.orders)
    if kind == "p":
        package = session.scalar(select(Package).where(Package.id == row_id).options(load))
        if package is None:
            raise NotFound("no such label link")
        return [package], False
    wave = session.get(Wave, row_id)
    if wave is None:
        raise NotFound("no such label link")
    members = session.scalars(
        select(PackageShipping)
        .where(PackageShipping.wave_id == wave.id, PackageShipping.shipped.is_(True))
        .order_by(PackageShipping.position)
        .options(selectinload(PackageShipping.package).selectinload(Package.orders))
    )
    return [m.package for m in members], True


def documents(db: Database, platform: Platform, box: SecretBox, token: str, wanted: Wanted) -> Document:
    """The documents a link stands for, fetched now and merged into one (a wave's in wave order)."""
    kind, row_id = _parse(box, token)
    now = utcnow()
    with db.session() as session:
        packages, is_wave = _packages(session, kind, row_id)
        served: list[tuple[Shop, str, str]] = []
        reasons = []
        for package in packages:
            why = _why_not(package, now)
            if why is None:
                shop = session.get_one(Shop, package.shop_id)
                served.append((shop, package.orders[0].external_id, package.external_id))
            else:
                reasons.append(why)
        if not served:
            if any(reasons) or not packages:
                raise Gone(next((r for r in reasons if r), "no package of this wave shipped, so it has no labels"))
            raise NotShippedYet("the package is not shipped yet: mark it ready in the pack list, then open its label")
    support = registry.channel(served[0][0].platform).fulfilment
    size = wanted.size or support.document_sizes[0]
    fmt = wanted.format or support.document_formats[0]
    if (
        wanted.kind not in support.documents
        or size not in support.document_sizes
        or fmt not in support.document_formats
    ):
        raise InvalidInput(
            Phrase(
                "{channel} serves {documents} in sizes {sizes} and formats {formats}",
                channel=registry.channel(served[0][0].platform).label,
                documents=", ".join(support.documents),
                sizes=", ".join(support.document_sizes),
                formats=", ".join(support.document_formats),
            )
        )
    fetched: list[Document] = []
    clients: dict[int, ShopClient] = {}
    try:
        for shop, order_id, package_id in served:
            client = clients.get(shop.id) or clients.setdefault(shop.id, client_for(db, platform, shop))
            fetched.append(client.shipping_document(order_id, package_id, kind=wanted.kind, size=size, format=fmt))
    finally:
        for client in clients.values():
            client.close()
    return merge(fetched) if is_wave or len(fetched) > 1 else fetched[0]


def merge(parts: Sequence[Document]) -> Document:
    """One document of every part in order: PDF pages appended (pypdf), ZPL labels one after another."""
    if all(p.media_type == "application/pdf" for p in parts):
        writer = PdfWriter()
        for part in parts:
            writer.append(PdfReader(io.BytesIO(part.content)))
        out = io.BytesIO()
        writer.write(out)
        return Document(out.getvalue(), "application/pdf")
    return Document(b"".join(p.content for p in parts), parts[0].media_type)
