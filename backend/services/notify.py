"""Discord notifications through an outbox: enqueue is an INSERT, `deliver_due` sends later.

Whatever raises an event (ingest, sync, a sidebar action, a sweep) only adds rows in its own
transaction, so Discord being slow or down never slows or fails it. Every row has a unique dedupe
key, so sweeps may run as often as they like. Delivery honours Discord's 429 `retry_after` and the
bucket headers per channel, backs off on 5xx and connection errors, and keeps every row until
Discord accepted it or refused it for good (unknown webhook, invalid body: kept as `failed`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, load_only, sessionmaker

from backend import i18n
from backend.catalog import exception_templates
from backend.db import insert_ignoring_duplicates
from backend.domain import alerts, analytics
from backend.domain.phrases import Phrase
from backend.errors import InvalidInput
from backend.models import (
    ExceptionCase,
    Member,
    Notification,
    NotificationChannel,
    NotificationSettings,
    Order,
    SheetBinding,
    SheetSnapshot,
    Shop,
    ShopStatus,
    Spreadsheet,
    Team,
    shows_shop,
    utcnow,
)
from backend.secrets import SecretBox
from backend.services.analytics import load_samples, team_zone
from backend.services.health import last_sync_errors

log = logging.getLogger(__name__)

KINDS = (
    "sla",
    "exception_new",
    "exception_overdue",
    "sync_failed",
    "reauthorization",
    "digest",
    "leaderboard",
    "low_stock",
    "late_delivery",
    "after_sales",  # decisions nearing their deadline (services/after_sales/alerts.py)
)
DISCORD_HOSTS = frozenset({"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"})
INSERT_BATCH = 500
CLAIM = timedelta(seconds=60)  # a claimed row is due again if its worker died before recording the outcome
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
STALE_SYNC_AFTER = timedelta(minutes=30)  # six missed five-minute syncs
REQUEST_TIMEOUT = httpx.Timeout(10.0)


# --- channels and settings -------------------------------------------------------------------


def check_webhook_url(url: str, *, allow_loopback: bool = False) -> str:
    """A Discord webhook URL, or InvalidInput: the backend must not become a way to POST anywhere."""
    parts = urlsplit(url.strip())
    loopback = allow_loopback and parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if not (loopback or (parts.scheme == "https" and parts.hostname in DISCORD_HOSTS)):
        raise InvalidInput("a Discord webhook URL starts with https://discord.com/api/webhooks/")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 4 or segments[-3] != "webhooks" or not segments[-2].isdigit():
        raise InvalidInput("that is not a Discord webhook URL (…/api/webhooks/<id>/<token>)")
    return url.strip()


def add_channel(
    session: Session,
    box: SecretBox,
    team: Team,
    *,
    name: str,
    url: str,
    kinds: Iterable[str] = (),
    actor: str,
    allow_loopback: bool = False,
) -> NotificationChannel:
    """Add a Discord webhook for `kinds` of events (none = every kind); the URL is stored sealed."""
    wanted = sorted(set(kinds))
    if unknown := set(wanted) - set(KINDS):
        raise InvalidInput(
            Phrase(
                "unknown notification kinds {unknown}; kinds are: {known}",
                unknown=sorted(unknown),
                known=", ".join(KINDS),
            )
        )
    channel = NotificationChannel(
        team_id=team.id,
        name=name.strip()[:120] or "Discord",
        webhook_url_sealed=box.seal(check_webhook_url(url, allow_loopback=allow_loopback)),
        kinds=wanted,
        created_by=actor,
    )
    session.add(channel)
    session.flush()
    return channel


def settings_for(session: Session, team_id: int) -> NotificationSettings:
    """The team's settings row, created with defaults on first use."""
    settings = session.get(NotificationSettings, team_id)
    if settings is None:
        settings = NotificationSettings(team_id=team_id, digest_at=time(9, 0), leaderboard_min_count=5)
        session.add(settings)
        session.flush()
    return settings


def configure(
    session: Session,
    team: Team,
    *,
    quiet_start: time | None,
    quiet_end: time | None,
    digest_at: time = time(9, 0),
    leaderboard_min_count: int = 5,
) -> NotificationSettings:
    if (quiet_start is None) != (quiet_end is None) or (quiet_start is not None and quiet_start == quiet_end):
        raise InvalidInput("quiet hours need a different start and end (or neither)")
    if leaderboard_min_count < 1:
        raise InvalidInput("the leaderboard's minimum volume must be at least 1")
    settings = settings_for(session, team.id)
    settings.quiet_start, settings.quiet_end = quiet_start, quiet_end
    settings.digest_at, settings.leaderboard_min_count = digest_at, leaderboard_min_count
    return settings


def _quiet_hours(settings: NotificationSettings, zone: ZoneInfo) -> alerts.QuietHours | None:
    if settings.quiet_start is None or settings.quiet_end is None:
        return None
    return alerts.QuietHours(settings.quiet_start, settings.quiet_end, zone)


# --- enqueue ---------------------------------------------------------------------------------


def channels_for(session: Session, kind: str, team_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """Team id → ids of its enabled channels that want `kind`."""
    query = select(NotificationChannel).where(NotificationChannel.enabled.is_(True))
    if team_ids is not None:
        query = query.where(NotificationChannel.team_id.in_(list(team_ids)))
    found: dict[int, list[int]] = defaultdict(list)
    for channel in session.scalars(query.order_by(NotificationChannel.id)):
        if not channel.kinds or kind in channel.kinds:
            found[channel.team_id].append(channel.id)
    return found


def enqueue(
    session: Session,
    team_id: int,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    *,
    variant: str = "",
    channel_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Add one row per channel that wants `kind`, unless that message was enqueued before; rows added."""
    targets = list(channel_ids) if channel_ids is not None else channels_for(session, kind, [team_id])[team_id]
    return _insert_new(
        session, _rows(team_id, kind, subject, payload, variant=variant, targets=targets, now=now or utcnow())
    )


def _rows(
    team_id: int,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    *,
    variant: str,
    targets: list[int],
    now: datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "team_id": team_id,
            "channel_id": channel_id,
            "kind": kind,
            "subject": subject,
            "variant": variant,
            "dedupe_key": f"{kind}:{subject}:{variant}:{channel_id}",
            "payload": dict(payload),
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for channel_id in targets
    ]


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT (dedupe_key) DO NOTHING, so concurrent sweeps never enqueue a message twice."""
    added = 0
    statement = insert_ignoring_duplicates(session, Notification, ["dedupe_key"])
    for start in range(0, len(rows), INSERT_BATCH):
        added += len(session.execute(statement.returning(Notification.id), rows[start : start + INSERT_BATCH]).all())
    return added


@dataclass(frozen=True)
class _Tab:
    """The tab an alert links to, with the first sheet row each order was last written to."""

    google_id: str
    gid: int | None
    rows: Mapping[str, int]

    def link(self, order_id: str) -> str:
        return alerts.sheet_link(self.google_id, self.gid, self.rows.get(order_id))


def _first_rows(keys: Sequence[str]) -> dict[str, int]:
    """Order id → its first sheet row, from the key column as the last push left it; line-grain tabs key
    rows `order/SKU`, order-grain ones by the order id."""
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key:
            first.setdefault(str(key).split("/", 1)[0], index + 2)
    return first


def _tab_for(session: Session, team_id: int, shop_id: int | None, role: str) -> _Tab | None:
    """The tab showing this shop in the spreadsheet for `role` (else the admin's)."""
    bindings = session.execute(
        select(SheetBinding, Spreadsheet.google_id, Spreadsheet.audience_role)
        .join(Spreadsheet)
        .where(Spreadsheet.team_id == team_id, Spreadsheet.audience_role.in_([role, "admin"]))
        .order_by(SheetBinding.id)
    ).all()
    fitting = [row for row in bindings if shows_shop(row[0].shop_ids, shop_id)]
    fitting.sort(key=lambda row: row[2] != role)
    if not fitting:
        return None
    binding, google_id, _ = fitting[0]
    keys = session.scalar(select(SheetSnapshot.keys).where(SheetSnapshot.binding_id == binding.id))
    return _Tab(google_id, binding.sheet_gid, _first_rows(keys or []))


def _order_ref(
    session: Session, order: Order, shop: Shop, role: str, tabs: dict[tuple[int, str], _Tab | None] | None = None
) -> alerts.OrderRef:
    """What an alert shows about an order, linking to its row; `tabs` memoizes the tabs across one sweep."""
    tabs = {} if tabs is None else tabs
    if (shop.id, role) not in tabs:
        tabs[(shop.id, role)] = _tab_for(session, shop.team_id, shop.id, role)
    tab = tabs[(shop.id, role)]
    link = tab.link(order.external_id) if tab else None
    return alerts.OrderRef(order.external_id, shop.name or shop.external_id, order.status, link)


def exception_event(session: Session, case: ExceptionCase, label: str, *, overdue: bool, now: datetime) -> int:
    """Enqueue "new exception" or "overdue exception" for a case (once each)."""
    ref = None
    if case.order_id is not None:
        order = session.get_one(Order, case.order_id)
        ref = _order_ref(session, order, session.get_one(Shop, order.shop_id), case.handler_role)
    team = session.get_one(Team, case.team_id)
    translate = i18n.translator(team.language)
    label = exception_templates().get(case.template_key).label.get(team.language, label)
    payload = alerts.exception_message(
        ref, label, case.handler_role, case.due_at, case.raised_by, overdue=overdue, translate=translate
    )
    kind = "exception_overdue" if overdue else "exception_new"
    return enqueue(session, case.team_id, kind, f"exception:{case.id}", payload, now=now)


def shop_problem(session: Session, shop: Shop, problem: str, *, reauthorize: bool, now: datetime | None = None) -> int:
    """Sync failed, or the shop needs re-authorization: at most one message per shop per kind per day."""
    now = now or utcnow()
    team = session.get_one(Team, shop.team_id)
    day = now.astimezone(team_zone(team)).date().isoformat()
    translate = i18n.translator(team.language)
    payload = alerts.shop_problem_message(
        shop.name or shop.external_id, problem, reauthorize=reauthorize, translate=translate
    )
    kind = "reauthorization" if reauthorize else "sync_failed"
    return enqueue(session, shop.team_id, kind, f"shop:{shop.id}", payload, variant=day, now=now)


# --- sweeps the scheduler calls (idempotent) -------------------------------------------------


def stale_sync_sweep(session: Session, now: datetime | None = None) -> int:
    """A "sync failed" message for each active shop with no successful sync for STALE_SYNC_AFTER.

    A sync that keeps failing (TikTok down, a network fault) is retried by every sweep; no one sees that
    unless told, while SLA countdowns in the sheets go on from data that is getting old.
    """
    now = now or utcnow()
    wanted = channels_for(session, "sync_failed")
    if not wanted:
        return 0
    cutoff = now - STALE_SYNC_AFTER
    shops = session.scalars(
        select(Shop).where(
            Shop.team_id.in_(list(wanted)),
            Shop.status == ShopStatus.ACTIVE,
            func.coalesce(Shop.last_synced_at, Shop.created_at) < cutoff,
        )
    ).all()
    errors = last_sync_errors(session, [shop.id for shop in shops])
    sent = 0
    for shop in shops:
        error = errors.get(shop.id)
        since = shop.last_synced_at or shop.created_at
        minutes = int((now - since).total_seconds() // 60)
        when = "never synced" if shop.last_synced_at is None else f"no successful sync for {minutes} minutes"
        problem = f"{when}; last error: {error}" if error else when
        sent += shop_problem(session, shop, problem, reauthorize=False, now=now)
    return sent


def sla_alert_sweep(session: Session, now: datetime | None = None) -> int:
    """Enqueue the SLA tier each to-ship order has reached; returns messages enqueued."""
    now = now or utcnow()
    wanted = channels_for(session, "sla")
    if not wanted:
        return 0
    deadline = func.coalesce(Order.rts_sla_at, Order.shipping_due_at)
    rows = session.execute(
        select(Order, Shop)
        .join(Shop, Shop.id == Order.shop_id)
        .options(load_only(Order.id, Order.external_id, Order.status, Order.rts_sla_at, Order.shipping_due_at))
        .where(
            Shop.team_id.in_(list(wanted)),
            Order.status.in_(alerts.ALERTABLE_STATUSES),
            deadline > now,
            deadline <= now + alerts.EARLIEST_TIER,
        )
    ).all()
    sent: dict[str, set[str]] = defaultdict(set)
    subjects = [f"order:{order.id}" for order, _ in rows]
    for subject, variant in session.execute(
        select(Notification.subject, Notification.variant).where(
            Notification.kind == "sla", Notification.subject.in_(subjects)
        )
    ):
        sent[subject].add(variant)
    quiet: dict[int, alerts.QuietHours | None] = {}
    translators: dict[int, i18n.Translate] = {}
    tabs: dict[tuple[int, str], _Tab | None] = {}
    new: list[dict[str, Any]] = []
    for order, shop in rows:
        if shop.team_id not in quiet:
            team = session.get_one(Team, shop.team_id)
            quiet[shop.team_id] = _quiet_hours(settings_for(session, team.id), team_zone(team))
            translators[shop.team_id] = i18n.translator(team.language)
        order_deadline = alerts.dispatch_deadline(order.rts_sla_at, order.shipping_due_at)
        assert order_deadline is not None  # the query only returns orders with one
        subject = f"order:{order.id}"
        tier = alerts.tier_due(order_deadline, now, sent[subject], quiet[shop.team_id])
        if tier is None:
            continue
        ref = _order_ref(session, order, shop, "warehouse", tabs)
        payload = alerts.sla_message(ref, tier, order_deadline, translators[shop.team_id])
        new += _rows(shop.team_id, "sla", subject, payload, variant=tier.name, targets=wanted[shop.team_id], now=now)
    return _insert_new(session, new)


def overdue_exception_sweep(session: Session, now: datetime | None = None) -> int:
    """Enqueue one "overdue" message for each open case past its resolution target."""
    now = now or utcnow()
    wanted = channels_for(session, "exception_overdue")
    cases = session.scalars(
        select(ExceptionCase).where(
            ExceptionCase.team_id.in_(list(wanted)), ExceptionCase.status == "open", ExceptionCase.due_at <= now
        )
    ).all()
    labels = {t.key: t.label["en"] for t in exception_templates()}
    return sum(
        exception_event(session, c, labels.get(c.template_key, c.template_key), overdue=True, now=now) for c in cases
    )


def _teams_wanting(session: Session, kind: str) -> Iterator[tuple[int, ZoneInfo, NotificationSettings, list[int]]]:
    """(team id, zone, settings, channel ids) for each team with a channel that wants `kind`."""
    for team_id, channel_ids in channels_for(session, kind).items():
        yield team_id, team_zone(session.get_one(Team, team_id)), settings_for(session, team_id), channel_ids


def daily_digest(session: Session, now: datetime | None = None) -> int:
    """Once a day per team, at its digest time: open and overdue exceptions, orders at risk or late."""
    now = now or utcnow()
    added = 0
    for team_id, zone, settings, channel_ids in _teams_wanting(session, "digest"):
        if now.astimezone(zone).time() < settings.digest_at:
            continue
        today, language = now.astimezone(zone).date(), session.get_one(Team, team_id).language
        day, translate = today.isoformat(), i18n.translator(language)
        counts, lines = _digest_counts(session, team_id, now), _open_by_role(session, team_id, translate)
        payload = alerts.digest_message(i18n.day_label(today, language), counts, lines, translate)
        added += enqueue(
            session, team_id, "digest", f"team:{team_id}", payload, variant=day, channel_ids=channel_ids, now=now
        )
    return added


def _digest_counts(session: Session, team_id: int, now: datetime) -> list[tuple[str, int]]:
    open_cases = select(func.count()).where(ExceptionCase.team_id == team_id, ExceptionCase.status == "open")
    deadline = func.coalesce(Order.rts_sla_at, Order.shipping_due_at)
    to_ship = (
        select(func.count())
        .select_from(Order)
        .join(Shop, Shop.id == Order.shop_id)
        .where(Shop.team_id == team_id, Order.status.in_(alerts.ALERTABLE_STATUSES))
    )
    return [
        ("Open exceptions", session.scalar(open_cases) or 0),
        ("Overdue exceptions", session.scalar(open_cases.where(ExceptionCase.due_at <= now)) or 0),
        (
            "Orders due in 24 h",
            session.scalar(to_ship.where(deadline > now, deadline <= now + timedelta(hours=24))) or 0,
        ),
        ("Orders past deadline", session.scalar(to_ship.where(deadline <= now)) or 0),
    ]


def _open_by_role(session: Session, team_id: int, translate: i18n.Translate) -> list[str]:
    rows = session.execute(
        select(ExceptionCase.handler_role, func.count())
        .where(ExceptionCase.team_id == team_id, ExceptionCase.status == "open")
        .group_by(ExceptionCase.handler_role)
        .order_by(ExceptionCase.handler_role)
    ).all()
    return [translate("{role}: {count} open").format(role=translate(role), count=count) for role, count in rows]


def weekly_leaderboard(session: Session, now: datetime | None = None) -> int:
    """Once a week per team (from Monday at its digest time): last week's fastest handlers per stage."""
    now = now or utcnow()
    added = 0
    for team_id, zone, settings, channel_ids in _teams_wanting(session, "leaderboard"):
        this_week = analytics.period_start(now, "week", zone)
        if now < this_week + timedelta(hours=settings.digest_at.hour, minutes=settings.digest_at.minute):
            continue
        last_week = analytics.period_start(this_week - timedelta(days=1), "week", zone)
        label = analytics.bucket_label(last_week, "week", zone)
        samples = load_samples(session, team_id, last_week, this_week)
        names = _display_names(session, team_id)
        language = session.get_one(Team, team_id).language
        translate, number = i18n.translator(language), i18n.number_formatter(language)
        line = translate("{rank}. {member} — median {median} h, p90 {p90} h ({count})")
        boards = {
            analytics.STAGE_LABELS[stage]: [
                line.format(
                    rank=s.rank,
                    member=names.get(s.member, s.member.split("@")[0]),
                    median=number(analytics.hours(s.stats.median)),
                    p90=number(analytics.hours(s.stats.p90)),
                    count=number(s.stats.count),
                )
                for s in analytics.leaderboard(samples, stage, last_week, this_week, settings.leaderboard_min_count)
            ]
            for stage in analytics.STAGE_LABELS
        }
        payload = alerts.leaderboard_message(label, boards, settings.leaderboard_min_count, translate)
        added += enqueue(
            session, team_id, "leaderboard", f"team:{team_id}", payload, variant=label, channel_ids=channel_ids, now=now
        )
    return added


def _display_names(session: Session, team_id: int) -> dict[str, str]:
    """Members by name, not email: a Discord channel is not the place for staff addresses."""
    members = session.scalars(select(Member).where(Member.team_id == team_id)).all()
    return {m.email: m.display_name or m.email.split("@")[0] for m in members}


# --- delivery --------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # claimed, but their channel was paused during this run


@dataclass(frozen=True)
class _Claimed:
    id: int
    channel_id: int
    attempts: int
    sealed_url: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | retry | failed
    wait: timedelta = timedelta(0)  # retry: when to try again; sent: how long the bucket is empty
    error: str | None = None
    channel_gone: bool = False
    global_limit: bool = False


def _claim(sessions: sessionmaker[Session], now: datetime, limit: int) -> list[_Claimed]:
    """Take due rows by moving their next attempt past a short claim, row by row (compare-and-set),
    so two workers never send the same row at the same time."""
    claimed = []
    with sessions() as session, session.begin():
        rows = session.execute(
            select(Notification, NotificationChannel.webhook_url_sealed)
            .join(NotificationChannel, NotificationChannel.id == Notification.channel_id)
            .where(
                Notification.status == "pending",
                Notification.next_attempt_at <= now,
                NotificationChannel.enabled.is_(True),
                (NotificationChannel.paused_until.is_(None)) | (NotificationChannel.paused_until <= now),
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        for row, sealed in rows:
            taken = session.execute(
                update(Notification)
                .where(Notification.id == row.id, Notification.next_attempt_at == row.next_attempt_at)
                .values(next_attempt_at=now + CLAIM)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(_Claimed(row.id, row.channel_id, row.attempts, sealed, dict(row.payload)))
    return claimed


def _seconds(value: Any) -> float | None:
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return None


def _backoff(attempts: int) -> timedelta:
    delay: timedelta = BACKOFF_BASE * 2 ** min(attempts, 16)
    return min(delay, BACKOFF_CAP)


def post_message(client: httpx.Client, url: str, payload: Mapping[str, Any], attempts: int = 0) -> Outcome:
    """One POST to a webhook, classified: sent, retry later (and how long), or refused for good."""
    try:
        response = client.post(url, json=payload, timeout=REQUEST_TIMEOUT)
    except httpx.TransportError as exc:
        return Outcome("retry", _backoff(attempts), f"{type(exc).__name__}: {exc}"[:1024])
    if response.is_success:
        empty = response.headers.get("X-RateLimit-Remaining") == "0"
        reset = _seconds(response.headers.get("X-RateLimit-Reset-After")) if empty else None
        return Outcome("sent", timedelta(seconds=reset or 0))
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    text = f"HTTP {response.status_code}: {body.get('message') or response.text[:200]}"[:1024]
    if response.status_code == 429:
        wait = _seconds(body.get("retry_after")) or _seconds(response.headers.get("Retry-After")) or 1.0
        return Outcome("retry", timedelta(seconds=wait), text, global_limit=bool(body.get("global")))
    if response.status_code >= 500:
        return Outcome("retry", _backoff(attempts), text)
    # 401/404: the webhook was deleted or its token changed; 400: Discord refuses this body for good.
    return Outcome("failed", error=text, channel_gone=response.status_code in (401, 403, 404))


def _record(sessions: sessionmaker[Session], item: _Claimed, outcome: Outcome, now: datetime) -> None:
    with sessions() as session, session.begin():
        row = session.get_one(Notification, item.id)
        channel = session.get_one(NotificationChannel, item.channel_id)
        row.attempts += 1
        row.last_error = outcome.error
        if outcome.status == "sent":
            row.status, row.sent_at = "sent", now
        elif outcome.status == "failed":
            row.status = "failed"
        else:
            row.next_attempt_at = now + outcome.wait
        if outcome.wait and outcome.status != "failed":
            channel.paused_until = now + outcome.wait
        if outcome.channel_gone:
            channel.enabled, channel.disabled_reason = False, f"Discord refused the webhook ({outcome.error})"


def _defer(sessions: sessionmaker[Session], ids: list[int], until: datetime) -> None:
    if ids:
        with sessions() as session, session.begin():
            session.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(next_attempt_at=until)
                .execution_options(synchronize_session=False)
            )


def deliver_due(
    session_factory: sessionmaker[Session],
    client: httpx.Client,
    box: SecretBox,
    *,
    now: datetime | None = None,
    limit: int = 200,
) -> DeliveryReport:
    """Send due notifications oldest first; idempotent and safe to run from several workers.

    A channel that answers 429, an empty bucket, a 5xx or no connection is paused for the time
    Discord asked (or the backoff), and its remaining rows wait with it, so messages keep their order.
    """
    now = now or utcnow()
    report = DeliveryReport()
    paused: dict[int, datetime] = {}
    deferred: dict[datetime, list[int]] = defaultdict(list)
    halted: datetime | None = None
    for item in _claim(session_factory, now, limit):
        hold = halted or paused.get(item.channel_id)
        if hold is not None:
            deferred[hold].append(item.id)
            report.deferred += 1
            continue
        outcome = post_message(client, box.open(item.sealed_url), item.payload, item.attempts)
        _record(session_factory, item, outcome, now)
        if outcome.status == "sent":
            report.sent += 1
        elif outcome.status == "failed":
            report.failed += 1
            log.warning("notification %s refused by Discord: %s", item.id, outcome.error)
        else:
            report.retrying += 1
        if outcome.channel_gone:  # its other rows stay pending, for when an admin fixes the channel
            paused[item.channel_id] = now
        elif outcome.wait and outcome.status != "failed":
            paused[item.channel_id] = now + outcome.wait
            if outcome.global_limit:
                halted = now + outcome.wait
    for until, ids in deferred.items():
        _defer(session_factory, ids, until)
    return report
