"""Connecting shops of any sales channel and talking to them with tokens that stay fresh and stay sealed.

A consent link carries a random state that only a hash of is stored (consent_states): the redirect
redeems it once, before it expires, for the team and admin who asked. Redeeming the platform's auth
code records every shop the consent covers. A refresh rotates the token pair (TikTok: one pair for
every shop of a seller authorization; Shopee: each shop its own, single-use), so a refresh happens
under the shop's token lease and the new pair is stored in one transaction before it is used.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, select, update

from backend.catalog import market
from backend.config import Config
from backend.db import Database
from backend.domain.after_sales import missing_scope
from backend.domain.phrases import Phrase
from backend.errors import (
    Action,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PlatformError,
    PlatformUnavailable,
    ReauthorizationNeeded,
)
from backend.models import AuditEntry, ConsentState, Shop, ShopStatus, Team, utcnow
from backend.platforms import registry
from backend.platforms.base import Channel, ConsentReturn, PlatformShop, ShopClient, TokenSet
from backend.platforms.http import RetryPolicy, pooled_transport
from backend.platforms.tokens import RotatingTokens
from backend.secrets import SecretBox
from backend.services import leases, notify

log = logging.getLogger(__name__)

CONSENT_TTL = timedelta(minutes=30)  # TikTok's auth code lives 30 minutes, Shopee's 10 after consent
# A person waits on a consent redirect: one quick retry, then the error page, not a minute of backoff.
INTERACTIVE_RETRY = RetryPolicy(max_retries=1, base_seconds=0.5, cap_seconds=2.0)
TOKEN_LEASE_TTL = timedelta(minutes=1)
TOKEN_LEASE_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class Platform:
    """What a service needs to reach any sales channel: settings, sealing, the transport (the process's pool)."""

    config: Config
    box: SecretBox
    transport: httpx.BaseTransport = field(default_factory=pooled_transport)
    retry: RetryPolicy | None = None

    def interactive(self) -> Platform:
        """The same, for a call a person is waiting on."""
        return replace(self, retry=self.retry or INTERACTIVE_RETRY)

    def public_url(self, path: str) -> str:
        return self.config.PUBLIC_BASE_URL.rstrip("/") + path


def channel_for(platform: Platform, name: str) -> Channel:
    """The channel, refusing with the missing setting when this backend cannot reach it."""
    channel = registry.channel(name)
    problem = channel.configured(platform.config)
    if problem:
        raise InvalidInput(
            Phrase("this backend is not set up for {channel}: {problem}", channel=channel.label, problem=problem)
        )
    return channel


# -- consent ---------------------------------------------------------------------------------------


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def consent_link(
    db: Database, platform: Platform, *, team_id: int, started_by: str, name: str, region: str = ""
) -> str:
    """Where an admin sends the seller to authorize OrderDeck; its state is opaque and works once."""
    channel = channel_for(platform, name)
    state = secrets.token_urlsafe(32)
    with db.session() as session:
        session.add(
            ConsentState(
                state_hash=_state_hash(state),
                platform=channel.name,
                team_id=team_id,
                started_by=started_by,
                expires_at=utcnow() + CONSENT_TTL,
            )
        )
    callback = platform.public_url(f"/oauth/{channel.name}/callback")
    return channel.consent_url(platform.config, state=state, callback=callback, region=region)


def redeem_state(db: Database, name: str, state: str) -> tuple[int, str]:
    """The team and admin a consent state was issued for; spends it (a second use is refused)."""
    now = utcnow()
    with db.session() as session:
        spent = session.execute(
            update(ConsentState)
            .where(
                ConsentState.state_hash == _state_hash(state),
                ConsentState.platform == name,
                ConsentState.used_at.is_(None),
                ConsentState.expires_at > now,
            )
            .values(used_at=now)
        )
        if cast("CursorResult[Any]", spent).rowcount != 1:
            raise Forbidden("this consent link has expired or was already used: start connecting the shop again")
        row = session.get_one(ConsentState, _state_hash(state))
        return row.team_id, row.started_by


def finish_consent(db: Database, platform: Platform, name: str, query: dict[str, str]) -> list[Shop]:
    """The consent redirect: spend the state, then redeem the code for the team that asked."""
    channel = registry.channel(name)
    consent = channel.consent_return(query)
    team_id, admin = redeem_state(db, channel.name, query.get("state", ""))
    try:
        return connect(db, platform.interactive(), team_id, consent, name=channel.name, actor=admin)
    except PlatformError as exc:
        if exc.action is not Action.RETRY:
            raise
        raise PlatformUnavailable(
            Phrase(
                "{channel} did not answer ({problem}), so nothing was connected: "
                "start connecting the shop again in a few minutes",
                channel=channel.label,
                problem=exc.message,
            ),
            platform_code=exc.platform_code,
            request_id=exc.request_id,
        ) from exc


# -- connecting ------------------------------------------------------------------------------------


def _seal_tokens(box: SecretBox, tokens: TokenSet) -> dict[str, object]:
    return {
        "access_token_sealed": box.seal(tokens.access_token),
        "access_token_expires_at": tokens.access_expires_at,
        "refresh_token_sealed": box.seal(tokens.refresh_token),
        "refresh_token_expires_at": tokens.refresh_expires_at,
    }


def connect(
    db: Database, platform: Platform, team_id: int, consent: ConsentReturn, *, name: str, actor: str = "cli"
) -> list[Shop]:
    """Redeem a seller's auth code, record every shop it authorizes, and point their pushes at us."""
    channel = channel_for(platform, name)
    if not consent.code.strip():
        raise InvalidInput(Phrase("the {channel} auth code is empty", channel=channel.label))
    try:
        grant = channel.redeem(platform.config, consent, transport=platform.transport, retry=platform.retry)
    except PlatformError as exc:
        if exc.action is Action.REAUTHORIZE:
            raise InvalidInput(
                Phrase("{channel} did not accept the auth code: {problem}", channel=channel.label, problem=exc.message)
            ) from None
        raise
    if not grant.shops:
        raise InvalidInput(Phrase("this {channel} authorization covers no shops", channel=channel.label))
    tokens = grant.tokens
    with db.session() as session:
        team = session.get(Team, team_id)
        if team is None:
            raise NotFound(Phrase("no team with id {team_id}", team_id=team_id))
        shops: list[Shop] = []
        for info in grant.shops:
            shop = session.scalar(select(Shop).where(Shop.platform == channel.name, Shop.external_id == info.shop_id))
            if shop is not None and shop.team_id != team.id:
                raise Conflict(Phrase("shop {shop!r} is already connected to another team", shop=info.name))
            if shop is None:
                shop = Shop(team_id=team.id, platform=channel.name, external_id=info.shop_id)
                session.add(shop)
            place = market(info.region)
            shop.shop_ref, shop.name, shop.region = info.shop_ref, info.name, info.region
            shop.currency, shop.time_zone = place.currency, place.time_zone
            shop.seller_name, shop.grant_id = tokens.seller_name or None, tokens.grant_id or None
            for key, value in _seal_tokens(platform.box, tokens).items():
                setattr(shop, key, value)
            shop.status, shop.status_reason = ShopStatus.ACTIVE, None
            shop.after_sales_problem = missing_scope(channel.after_sales.scope, channel.label, tokens.granted_scopes)
            shops.append(shop)
        session.flush()
        session.add(
            AuditEntry(
                team_id=team.id,
                actor=actor,
                action="shop.connect",
                target_type="shop",
                target_id=",".join(s.external_id for s in shops),
                detail={"platform": channel.name, "shops": [s.name for s in shops]},
            )
        )
    address = platform.public_url(f"/webhooks/{channel.name}")
    for shop in shops:
        with client_for(db, platform, shop) as client:
            client.subscribe_pushes(address)
    with db.session() as session:
        session.execute(update(Shop).where(Shop.id.in_([s.id for s in shops])).values(webhook_subscribed_at=utcnow()))
    return shops


# -- tokens ----------------------------------------------------------------------------------------


def _token_lease(shop: Shop, channel: Channel) -> str:
    """One lease per token pair: the seller authorization's when its shops share one, else the shop's."""
    if channel.shared_tokens and shop.grant_id:
        return f"tokens:{channel.name}:{shop.grant_id}"
    return f"tokens:shop:{shop.id}"


@contextmanager
def _waiting_for(db: Database, name: str) -> Iterator[None]:
    """Hold lease `name`, waiting a little for another worker's refresh to finish first."""
    holder, deadline = leases.new_holder(), time.monotonic() + TOKEN_LEASE_WAIT_SECONDS
    while not leases.try_acquire(db, name, holder, TOKEN_LEASE_TTL):
        if time.monotonic() > deadline:
            raise leases.LeaseHeld(
                Phrase("{lease} is being refreshed by another worker; try again shortly", lease=name)
            )
        time.sleep(0.1)
    try:
        yield
    finally:
        leases.release(db, name, holder)


class ShopTokens(RotatingTokens):
    """A shop's tokens, read from the database and rotated into it.

    A refresh takes the shop's token lease, then reads the stored pair again: when another worker
    rotated it meanwhile, that pair is used and the spent refresh token is never sent.
    """

    def __init__(self, db: Database, platform: Platform, shop: Shop) -> None:
        self._channel = registry.channel(shop.platform)
        if not shop.access_token_sealed or not shop.refresh_token_sealed:
            raise ReauthorizationNeeded(
                Phrase(
                    "shop {shop!r} has no {channel} tokens; connect it again",
                    shop=shop.name,
                    channel=self._channel.label,
                )
            )
        self._db, self._platform, self._shop_id = db, platform, shop.id
        self._grant_id, self._lease = shop.grant_id, _token_lease(shop, self._channel)
        refresher = self._channel.refresher(
            platform.config, shop.external_id, transport=platform.transport, retry=platform.retry
        )
        super().__init__(refresher, self._stored(shop), on_rotate=self._persist, label=self._channel.label)

    def _stored(self, shop: Shop) -> TokenSet:
        box = self._platform.box
        assert shop.access_token_sealed and shop.refresh_token_sealed
        return TokenSet(
            access_token=box.open(shop.access_token_sealed),
            access_expires_at=shop.access_token_expires_at or utcnow(),
            refresh_token=box.open(shop.refresh_token_sealed),
            refresh_expires_at=shop.refresh_token_expires_at or utcnow(),
            grant_id=shop.grant_id or "",
            seller_name=shop.seller_name or shop.name,
        )

    def refresh(self, stale_access_token: str) -> str:
        with _waiting_for(self._db, self._lease):
            with self._db.session() as session:
                current = self._stored(session.get_one(Shop, self._shop_id))
            if current.access_token != self.tokens.access_token:
                self.tokens = current  # another worker rotated the pair while we waited
                return current.access_token
            return super().refresh(stale_access_token)

    def _persist(self, fresh: TokenSet) -> None:
        """Store the rotated pair in one transaction: every shop of a shared authorization, or this shop."""
        which = Shop.id == self._shop_id
        if self._channel.shared_tokens and self._grant_id:
            which = (Shop.platform == self._channel.name) & (Shop.grant_id == self._grant_id)
        with self._db.session() as session:
            session.execute(update(Shop).where(which).values(**_seal_tokens(self._platform.box, fresh)))

    def refresh_if_due(self) -> None:
        if self.tokens.access_expires_at - utcnow() < self._channel.refresh_ahead:
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


def client_for(db: Database, platform: Platform, shop: Shop) -> ShopClient:
    """A client for `shop`, with its token refreshed ahead of expiry; a lost authorization marks the shop."""
    if shop.status != ShopStatus.ACTIVE:
        raise ReauthorizationNeeded(
            shop.status_reason or Phrase("shop {shop!r} must be connected again", shop=shop.name)
        )
    channel = registry.channel(shop.platform)
    tokens = ShopTokens(db, platform, shop)
    try:
        tokens.refresh_if_due()
    except PlatformError as exc:
        if exc.action is Action.REAUTHORIZE:
            mark_needs_reauthorization(db, shop.id, exc.message)
        raise
    info = PlatformShop(
        channel.name, shop.external_id, shop.shop_ref or shop.external_id, "", shop.name, shop.region, ""
    )
    return channel.client(platform.config, info, tokens, transport=platform.transport, retry=platform.retry)
