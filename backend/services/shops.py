"""Connecting TikTok shops and talking to them with tokens that stay fresh and stay sealed.

One authorization (TikTok's open_id) can cover several shops and shares one token pair: a refresh
rotates the pair for all of them, persisted in one transaction before the new token is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select, update

from backend.catalog import market
from backend.config import Config
from backend.db import Database
from backend.errors import Conflict, InvalidInput, NotFound, ReauthorizationNeeded
from backend.models import AuditEntry, Shop, ShopStatus, Team, utcnow
from backend.platforms.base import TokenSet
from backend.platforms.tiktok import errors as tiktok_errors
from backend.platforms.tiktok.client import TikTokClient
from backend.platforms.tiktok.oauth import ConsentState, RotatingTokens, TikTokAuthClient, consent_url
from backend.platforms.tiktok.transport import RetryPolicy, pooled_transport
from backend.secrets import SecretBox
from backend.services import notify

log = logging.getLogger(__name__)

# Every event kind OrderDeck acts on; each is a separate subscription per shop.
WEBHOOK_EVENTS = (
    "ORDER_STATUS_CHANGE",
    "PACKAGE_UPDATE",
    "RECIPIENT_ADDRESS_UPDATE",
    "CANCELLATION_STATUS_CHANGE",
    "RETURN_STATUS_CHANGE",
    "SELLER_DEAUTHORIZATION",
    "UPCOMING_AUTHORIZATION_EXPIRATION",
)
# Refresh this long before the access token expires, so no sync ever starts with a dying token.
REFRESH_AHEAD = timedelta(hours=12)


@dataclass(frozen=True)
class Platform:
    """What a service needs to reach TikTok: settings, sealing, and the transport (the process's pool)."""

    config: Config
    box: SecretBox
    transport: httpx.BaseTransport = field(default_factory=pooled_transport)
    retry: RetryPolicy | None = None

    def auth_client(self) -> TikTokAuthClient:
        return TikTokAuthClient(
            self.config.TIKTOK_APP_KEY,
            self.config.TIKTOK_APP_SECRET,
            base_url=self.config.TIKTOK_AUTH_BASE,
            transport=self.transport,
            retry=self.retry,
        )

    def webhook_address(self) -> str:
        return self.config.PUBLIC_BASE_URL.rstrip("/") + "/webhooks/tiktok"


def consent_link(platform: Platform, team: Team, region: str = "") -> str:
    """Where an admin sends the seller to authorize OrderDeck; `state` brings the redirect back to `team`."""
    settings = platform.config
    template = settings.TIKTOK_AUTHORIZE_URL or market(region).authorize_url
    state = ConsentState(settings.TIKTOK_APP_SECRET).issue(team.id)
    return consent_url(template.replace("{service_id}", settings.TIKTOK_SERVICE_ID), state)


def team_from_state(platform: Platform, state: str) -> int:
    try:
        return int(ConsentState(platform.config.TIKTOK_APP_SECRET).team_id(state))
    except tiktok_errors.TikTokError as exc:
        raise InvalidInput(exc.message) from None


def _seal_tokens(box: SecretBox, tokens: TokenSet) -> dict[str, object]:
    return {
        "access_token_sealed": box.seal(tokens.access_token),
        "access_token_expires_at": tokens.access_expires_at,
        "refresh_token_sealed": box.seal(tokens.refresh_token),
        "refresh_token_expires_at": tokens.refresh_expires_at,
    }


def connect(db: Database, platform: Platform, team_id: int, auth_code: str, actor: str = "cli") -> list[Shop]:
    """Exchange a seller's auth code, record every shop it authorizes, and subscribe their webhooks."""
    if not auth_code.strip():
        raise InvalidInput("the TikTok auth code is empty")
    auth = platform.auth_client()
    try:
        tokens = auth.exchange_code(auth_code.strip())
    except tiktok_errors.TikTokError as exc:
        raise InvalidInput(f"TikTok did not accept the auth code: {exc.message}") from None
    finally:
        auth.close()
    with TikTokClient(
        platform.config.TIKTOK_APP_KEY,
        platform.config.TIKTOK_APP_SECRET,
        RotatingTokens(platform.auth_client(), tokens),
        base_url=platform.config.TIKTOK_API_BASE,
        transport=platform.transport,
        retry=platform.retry,
    ) as client:
        authorized = client.authorized_shops()
        if not authorized:
            raise InvalidInput("this TikTok authorization covers no shops")
        with db.session() as session:
            team = session.get(Team, team_id)
            if team is None:
                raise NotFound(f"no team with id {team_id}")
            shops: list[Shop] = []
            for info in authorized:
                shop = session.scalar(select(Shop).where(Shop.platform == "tiktok", Shop.external_id == info.shop_id))
                if shop is not None and shop.team_id != team.id:
                    raise Conflict(f"shop {info.name!r} is already connected to another team")
                if shop is None:
                    shop = Shop(team_id=team.id, platform="tiktok", external_id=info.shop_id)
                    session.add(shop)
                place = market(info.region)
                shop.cipher, shop.name, shop.region = info.cipher, info.name, info.region
                shop.currency, shop.time_zone = place.currency, place.time_zone
                shop.seller_name, shop.open_id = tokens.seller_name or None, tokens.open_id or None
                for key, value in _seal_tokens(platform.box, tokens).items():
                    setattr(shop, key, value)
                shop.status, shop.status_reason = ShopStatus.ACTIVE, None
                shops.append(shop)
            session.flush()
            session.add(
                AuditEntry(
                    team_id=team.id,
                    actor=actor,
                    action="shop.connect",
                    target_type="shop",
                    target_id=",".join(s.external_id for s in shops),
                    detail={"shops": [s.name for s in shops]},
                )
            )
        for shop in shops:
            for event in WEBHOOK_EVENTS:
                client.subscribe_webhook(str(shop.cipher), platform.webhook_address(), event)
    with db.session() as session:
        session.execute(update(Shop).where(Shop.id.in_([s.id for s in shops])).values(webhook_subscribed_at=utcnow()))
    return shops


class ShopTokens(RotatingTokens):
    """Tokens of one shop's authorization, read from and rotated into the database."""

    def __init__(self, db: Database, platform: Platform, shop: Shop) -> None:
        if not shop.access_token_sealed or not shop.refresh_token_sealed:
            raise ReauthorizationNeeded(f"shop {shop.name!r} has no TikTok tokens; connect it again")
        box = platform.box
        tokens = TokenSet(
            access_token=box.open(shop.access_token_sealed),
            access_expires_at=shop.access_token_expires_at or utcnow(),
            refresh_token=box.open(shop.refresh_token_sealed),
            refresh_expires_at=shop.refresh_token_expires_at or utcnow(),
            open_id=shop.open_id or "",
            seller_name=shop.seller_name or shop.name,
        )
        self._db, self._platform, self._shop_id, self._open_id = db, platform, shop.id, shop.open_id
        super().__init__(platform.auth_client(), tokens, on_rotate=self._persist)

    def _persist(self, fresh: TokenSet) -> None:
        """Store the rotated pair for every shop of the authorization in one transaction."""
        same_authorization = Shop.open_id == self._open_id if self._open_id else Shop.id == self._shop_id
        with self._db.session() as session:
            session.execute(update(Shop).where(same_authorization).values(**_seal_tokens(self._platform.box, fresh)))

    def refresh_if_due(self, now: datetime | None = None) -> None:
        if self.tokens.access_expires_at - (now or utcnow()) < REFRESH_AHEAD:
            self.refresh(self.tokens.access_token)


def mark_needs_reauthorization(db: Database, shop_id: int, reason: str) -> None:
    """Stop syncing the shop and say why, where the sidebar and notifications can show it."""
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None or shop.status == ShopStatus.REAUTHORIZATION_NEEDED:
            return
        shop.status, shop.status_reason = ShopStatus.REAUTHORIZATION_NEEDED, reason
        session.add(
            AuditEntry(
                team_id=shop.team_id,
                actor="system",
                action="shop.reauthorization_needed",
                target_type="shop",
                target_id=str(shop.id),
                detail={"reason": reason},
            )
        )
        notify.shop_problem(session, shop, reason, reauthorize=True)
    log.warning("shop %s needs re-authorization: %s", shop_id, reason)


def client_for(db: Database, platform: Platform, shop: Shop) -> TikTokClient:
    """A client for `shop`, with its token refreshed ahead of expiry; re-authorization errors mark the shop."""
    if shop.status != ShopStatus.ACTIVE:
        raise ReauthorizationNeeded(shop.status_reason or f"shop {shop.name!r} must be connected again")
    tokens = ShopTokens(db, platform, shop)
    try:
        tokens.refresh_if_due()
    except tiktok_errors.ReauthorizationNeeded as exc:
        mark_needs_reauthorization(db, shop.id, exc.message)
        raise ReauthorizationNeeded(exc.message) from None
    return TikTokClient(
        platform.config.TIKTOK_APP_KEY,
        platform.config.TIKTOK_APP_SECRET,
        tokens,
        base_url=platform.config.TIKTOK_API_BASE,
        transport=platform.transport,
        retry=platform.retry,
    )
