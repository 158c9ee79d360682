"""One desk for two channels: a TikTok shop and a Shopee shop of one team, over real local servers.

TikTok Shop and Shopee sandboxes → consent (Shopee's through its consent page and our redirect) →
sync task → one warehouse sheet, one pick list and one profit tab showing both, each shop in its own
currency; Shopee's signed pushes bring new orders in, forged ones are refused and stored nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from backend import runtime
from backend.db import Database
from backend.models import Order, Shop, WebhookEvent
from backend.platforms.shopee.mapping import STATUSES
from backend.platforms.shopee.signing import push_signature
from backend.sandbox.server import RunningServer
from backend.sandbox.sheets import GoogleSandboxes, google_sandboxes
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import bindings, teams
from backend.services import shops as shops_service
from tests.conftest import Live, serve_backend
from tests.scenarios.test_order_flow import task

WRITER = "orderdeck@acme-sandbox.iam.gserviceaccount.com"
ADMIN, PACKER, FINANCE = "founder@acme.test", "pack@acme.test", "money@acme.test"


@pytest.fixture
def desk(
    migrated: Database,
    tiktok: tuple[TikTokShopSandbox, RunningServer],
    shopee: tuple[ShopeeSandbox, RunningServer],
    tmp_path: Path,
) -> Iterator[tuple[Live, GoogleSandboxes]]:
    sandbox, server = tiktok
    with google_sandboxes() as google:
        key = google.identity.write_service_account_key(tmp_path / "sa.json", WRITER)
        with serve_backend(
            migrated,
            sandbox,
            server.url,
            shopee,
            TASKS_SECRET="task-secret",
            SHEETS_API_ENDPOINT=google.sheets.sheets_endpoint,
            DRIVE_API_ENDPOINT=google.sheets.drive_endpoint,
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
        ) as live:
            with live.db.session() as session:
                team = teams.team_by_name(session, "Acme Trading")
                teams.add_member(session, team, PACKER, "warehouse")
                teams.add_member(session, team, FINANCE, "finance")
            yield live, google


def connect_shopee_through_its_consent_page(live: Live) -> Shop:
    """Sidebar link → Shopee's consent page (the sandbox signs the seller in) → our callback."""
    assert live.shopee is not None
    seller_shop = live.shopee.add_shop("Acme MY", "MY", orders=25, history_days=20)
    live.shopee.consenting = {"shop_id": str(seller_shop.shop_id)}
    with live.app.app_context():
        platform = runtime.platform()
        link = shops_service.consent_link(
            live.db, platform, team_id=live.team_id, started_by=ADMIN, name="shopee", region="MY"
        )
    page = httpx.get(link, follow_redirects=True, timeout=60)
    assert page.status_code == 200 and "Acme MY" in page.text, page.text
    with live.db.session() as session:
        shop = session.scalars(select(Shop).where(Shop.platform == "shopee")).one()
        assert (shop.currency, shop.time_zone, shop.team_id) == ("MYR", "Asia/Kuala_Lumpur", live.team_id)
        assert shop.shop_ref == str(seller_shop.shop_id) and shop.access_token_sealed
        session.expunge(shop)
        return shop


def share(google: GoogleSandboxes, title: str, reader: str) -> str:
    sheet = google.sheets.create_spreadsheet(ADMIN, title, time_zone="Asia/Kuala_Lumpur")
    google.sheets.share(sheet.id, "writer", email=WRITER)
    google.sheets.share(sheet.id, "writer", email=reader)
    return sheet.id


def column(google: GoogleSandboxes, file_id: str, tab: str, header: str, as_user: str) -> list[str]:
    rows = google.sheets.values(file_id, f"'{tab}'", as_user=as_user)
    index = rows[0].index(header)
    return [str(row[index]) for row in rows[1:] if len(row) > index]


def test_one_team_sees_its_tiktok_and_shopee_shops_in_one_warehouse_sheet_pick_list_and_profit_tab(
    desk: tuple[Live, GoogleSandboxes],
) -> None:
    live, google = desk
    assert live.shopee is not None
    [tiktok_shop] = live.connect_shop("Acme US", "US", orders=20)
    shopee_shop = connect_shopee_through_its_consent_page(live)
    # One seller SKU sold on both channels claims one shelf and shows as one pick row.
    tiktok_now, shopee_now = live.sandbox.now(), live.shopee.now()
    tiktok_waiting = next(
        o for s in live.sandbox.shops.values() for o in s.orders.values()
        if o.status_at(tiktok_now) == "AWAITING_SHIPMENT" and not o.combined
    )  # fmt: skip
    shared = tiktok_waiting.lines[0].sku.seller_sku
    shopee_world = live.shopee.shops[int(shopee_shop.external_id)]
    unshipped = next(
        o for o in shopee_world.orders.values()
        if o.status_at(shopee_now) == "READY_TO_SHIP"
        and all(p.handed_over is None or p.handed_over > shopee_now for p in o.packages)
    )  # fmt: skip
    unshipped.lines[0].model.model_sku = shared

    warehouse, finance = share(google, "Acme warehouse", PACKER), share(google, "Acme finance", FINANCE)
    with live.app.app_context(), live.db.session() as session:
        team = teams.team_by_name(session, "Acme Trading")
        bindings.bind(session, team, warehouse, "Ship next", "sla_watch", actor=ADMIN)
        bindings.bind(session, team, warehouse, "Pick", "pick_list", actor=ADMIN)
        bindings.bind(session, team, finance, "By shop", "profit_by_shop", actor=ADMIN)

    synced = task(live, "/tasks/sync-due")
    assert synced["sync"] == sorted([tiktok_shop, shopee_shop.id])
    task(live, "/tasks/push-due")  # the second shop's changes, held back by the first shop's push moments ago

    with live.db.session() as session:
        stored = dict(
            session.execute(select(Shop.platform, func.count(Order.id)).join(Order).group_by(Shop.platform)).all()
        )
    assert stored == {"tiktok": 20, "shopee": 25}
    platforms = column(google, warehouse, "Ship next", "Platform", PACKER)
    assert {"TikTok Shop", "Shopee"} <= set(platforms)
    shopee_waiting = {sn for sn, o in shopee_world.orders.items() if o.status_at(live.shopee.now()) == "READY_TO_SHIP"}
    shown = {key.split("/", 1)[0] for key in column(google, warehouse, "Ship next", "Order / SKU", PACKER)}
    assert shopee_waiting and shopee_waiting <= shown
    picks = dict(zip(column(google, warehouse, "Pick", "Seller SKU", PACKER),
                     column(google, warehouse, "Pick", "Orders", PACKER), strict=True))  # fmt: skip
    assert any(sku.startswith("US-P") for sku in picks) and any(sku.startswith("MY-SP") for sku in picks)
    assert int(picks[shared]) >= 2, "the TikTok and the Shopee order of the shared SKU, in one row"
    currencies = dict(zip(column(google, finance, "By shop", "Shop", FINANCE),
                          column(google, finance, "By shop", "Currency", FINANCE), strict=True))  # fmt: skip
    assert currencies.get("Acme US (US)") == "USD" and currencies.get("Acme MY (MY)") == "MYR", currencies


def test_shopee_pushes_bring_orders_in_and_forged_ones_are_stored_nowhere(desk: tuple[Live, GoogleSandboxes]) -> None:
    live, _google = desk
    assert live.shopee is not None
    shop = connect_shopee_through_its_consent_page(live)
    task(live, "/tasks/sync-due")
    assert live.shopee.callback_url == f"{live.url}/webhooks/shopee"  # subscribed when the shop connected

    [new] = live.shopee.add_orders(int(shop.external_id), 1)
    assert live.shopee.deliver_pushes() == 1
    live.drain()
    with live.db.session() as session:
        stored = session.scalar(select(Order.status).where(Order.external_id == new.order_sn))
        assert stored == STATUSES[new.status_at(live.shopee.now())]
        events = session.scalar(select(func.count(WebhookEvent.id)))

    body = live.shopee.delivered[-1].body
    forged = httpx.post(f"{live.url}/webhooks/shopee", content=body, headers={"Authorization": "0" * 64})
    assert forged.status_code == 401
    url_of_someone_else = push_signature(live.shopee.partner_key, "https://attacker.example/push", body)
    assert (
        httpx.post(
            f"{live.url}/webhooks/shopee", content=body, headers={"Authorization": url_of_someone_else}
        ).status_code
        == 401
    )
    genuine = push_signature(live.shopee.partner_key, f"{live.url}/webhooks/shopee", body)
    replay = httpx.post(f"{live.url}/webhooks/shopee", content=body, headers={"Authorization": genuine})
    assert replay.status_code == 200 and replay.content == b""  # Shopee wants an empty 2xx body
    with live.db.session() as session:  # nothing forged was stored, and the replay was known already
        assert session.scalar(select(func.count(WebhookEvent.id))) == events

    # A genuinely signed body that is no push: 2xx (or Shopee sends it again), kept as failed with why.
    junk = b'{"code": 3, "shop_id": "not a number"}'
    signed = push_signature(live.shopee.partner_key, f"{live.url}/webhooks/shopee", junk)
    answer = httpx.post(f"{live.url}/webhooks/shopee", content=junk, headers={"Authorization": signed})
    assert answer.status_code == 200 and answer.content == b""
    with live.db.session() as session:
        kept = session.scalars(select(WebhookEvent).where(WebhookEvent.status == "failed")).one()
        assert kept.platform == "shopee" and "not a Shopee push" in (kept.error or "")
