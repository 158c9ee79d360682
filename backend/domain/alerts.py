"""SLA alert tiers, quiet hours, and the Discord embeds every notification is made of (pure).

An order in a to-ship status gets at most one message per tier (T-24 h, T-12 h, T-4 h before its
dispatch deadline). A sweep that runs late sends only the most urgent tier crossed, so a buyer's
order that arrives 10 hours before its deadline produces one T-12 h message, not two. Quiet hours
hold every tier except the last: T-4 h is the one that saves a late-dispatch penalty.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.domain.status import OrderStatus

# Statuses where the warehouse still has to act; AWAITING_COLLECTION has met its dispatch deadline.
ALERTABLE_STATUSES = frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING})

# Discord's documented limits for messages and embeds.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000

# gettext for the team's language (backend/i18n.py); English when none is given.
Translate = Callable[[str], str]
AMBER, ORANGE, RED, BLUE, GREEN, GREY = 0xF1C40F, 0xE67E22, 0xE74C3C, 0x3498DB, 0x2ECC71, 0x95A5A6


@dataclass(frozen=True)
class Tier:
    name: str
    before: timedelta
    held_by_quiet_hours: bool
    color: int


TIERS = (
    Tier("T-24h", timedelta(hours=24), held_by_quiet_hours=True, color=AMBER),
    Tier("T-12h", timedelta(hours=12), held_by_quiet_hours=True, color=ORANGE),
    Tier("T-4h", timedelta(hours=4), held_by_quiet_hours=False, color=RED),
)
EARLIEST_TIER = TIERS[0].before


def dispatch_deadline(rts_sla_at: datetime | None, shipping_due_at: datetime | None) -> datetime | None:
    """Ship-by: TikTok's ready-to-ship SLA, or the shipping due time when the order has none."""
    return rts_sla_at or shipping_due_at


@dataclass(frozen=True)
class QuietHours:
    """A daily local-time window (may wrap midnight: 22:00–07:00) in the team's zone."""

    start: time
    end: time
    zone: ZoneInfo

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def tier_due(deadline: datetime, now: datetime, sent: Collection[str], quiet: QuietHours | None = None) -> Tier | None:
    """The tier to send now, if any.

    Only the most urgent tier crossed counts: once it has been sent (or a more urgent one has) the
    less urgent ones are moot. Past the deadline no tier is due: the order is late, not at risk.
    """
    if now >= deadline:
        return None
    crossed = [t for t in TIERS if now >= deadline - t.before]
    if not crossed:
        return None
    tier = crossed[-1]
    if any(t.name in sent for t in TIERS[TIERS.index(tier) :]):
        return None
    if tier.held_by_quiet_hours and quiet is not None and quiet.contains(now):
        return None
    return tier


def sheet_link(google_id: str, gid: int | None = None, row: int | None = None) -> str:
    """A link to a tab (and a row, when the writer knows it) of a spreadsheet."""
    url = f"https://docs.google.com/spreadsheets/d/{google_id}/edit"
    if gid is None:
        return url
    return f"{url}#gid={gid}" + (f"&range=A{row}" if row is not None else "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def discord_time(instant: datetime, style: str = "f") -> str:
    """Discord's timestamp markup: each reader sees it in their own time zone (R = "in 3 hours")."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def embed(
    title: str,
    description: str = "",
    *,
    color: int = BLUE,
    url: str | None = None,
    fields: Iterable[tuple[str, str]] = (),
    footer: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """One embed, every part clipped to Discord's limits (fields dropped past the 6000 total) so a
    long shop name or digest never loses a message."""
    body: dict[str, Any] = {"title": _clip(title, TITLE_MAX), "color": color}
    if description:
        body["description"] = _clip(description, DESCRIPTION_MAX)
    if url:
        body["url"] = url
    pairs = [(name, value) for name, value in fields if name and value][:FIELDS_MAX]
    if pairs:
        body["fields"] = [
            {"name": _clip(n, FIELD_NAME_MAX), "value": _clip(v, FIELD_VALUE_MAX), "inline": len(v) <= 40}
            for n, v in pairs
        ]
    if footer:
        body["footer"] = {"text": _clip(footer, FOOTER_MAX)}
    if timestamp is not None:
        body["timestamp"] = timestamp.isoformat()
    while embed_chars(body) > EMBED_TOTAL_MAX and body.get("fields"):
        body["fields"].pop()
    if (excess := embed_chars(body) - EMBED_TOTAL_MAX) > 0:
        body["description"] = _clip(body["description"], len(body["description"]) - excess)
    return body


def embed_chars(item: Mapping[str, Any]) -> int:
    """Characters Discord counts toward the 6000 per message (title, description, fields, footer, author)."""
    total = len(item.get("title", "")) + len(item.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in item.get("fields", []))
    total += len(item.get("footer", {}).get("text", "")) + len(item.get("author", {}).get("name", ""))
    return total


def message(*embeds: dict[str, Any], content: str = "") -> dict[str, Any]:
    """A webhook body; embeds that would pass the 6000-character total are left out, not the message."""
    kept: list[dict[str, Any]] = []
    used = 0
    for item in embeds[:EMBEDS_MAX]:
        size = embed_chars(item)
        if used + size > EMBED_TOTAL_MAX:
            break
        kept.append(item)
        used += size
    body: dict[str, Any] = {"username": "OrderDeck", "allowed_mentions": {"parse": []}}
    if content:
        body["content"] = _clip(content, CONTENT_MAX)
    if kept:
        body["embeds"] = kept
    return body


@dataclass(frozen=True)
class OrderRef:
    """What an alert says about an order: no buyer data, since a Discord channel's audience is unknown."""

    external_id: str
    shop_name: str
    status: str
    link: str | None = None


def sla_message(order: OrderRef, tier: Tier, deadline: datetime, translate: Translate = str) -> dict[str, Any]:
    hours = int(tier.before.total_seconds() // 3600)
    return message(
        embed(
            translate("{tier}: order {order} must ship within {hours} h").format(
                tier=tier.name, order=order.external_id, hours=hours
            ),
            translate("Dispatch deadline {deadline} ({relative}).").format(
                deadline=discord_time(deadline), relative=discord_time(deadline, "R")
            ),
            color=tier.color,
            url=order.link,
            fields=[
                (translate("Shop"), order.shop_name),
                (translate("Status"), translate(order.status)),
                (translate("Tier"), tier.name),
            ],
            footer=translate("OrderDeck SLA watch"),
            timestamp=deadline,
        )
    )


def exception_message(
    order: OrderRef | None,
    label: str,
    handler_role: str,
    due_at: datetime | None,
    raised_by: str,
    *,
    overdue: bool,
    translate: Translate = str,
) -> dict[str, Any]:
    subject = translate("order {order}").format(order=order.external_id) if order else translate("no order")
    title = translate("Overdue exception: {label} ({subject})" if overdue else "New exception: {label} ({subject})")
    due = (
        translate("Resolve by {deadline} ({relative}).").format(
            deadline=discord_time(due_at), relative=discord_time(due_at, "R")
        )
        if due_at
        else ""
    )
    return message(
        embed(
            title.format(label=label, subject=subject),
            due,
            color=RED if overdue else ORANGE,
            url=order.link if order else None,
            fields=[
                (translate("Handled by"), handler_role),
                (translate("Raised by"), raised_by),
                (translate("Shop"), order.shop_name if order else ""),
            ],
            footer=translate("OrderDeck exceptions"),
        )
    )


def shop_problem_message(
    shop_name: str, problem: str, *, reauthorize: bool, translate: Translate = str
) -> dict[str, Any]:
    title = translate("Re-authorization needed: {shop}" if reauthorize else "Sync failed: {shop}").format(
        shop=shop_name
    )
    hint = translate(
        "An admin must connect the shop again from the sidebar." if reauthorize else "The next sync will retry."
    )
    footer = translate("OrderDeck sync")
    return message(embed(title, f"{problem}\n{hint}", color=RED if reauthorize else ORANGE, footer=footer))


def digest_message(
    day_label: str, counts: Iterable[tuple[str, int]], lines: Iterable[str] = (), translate: Translate = str
) -> dict[str, Any]:
    return message(
        embed(
            translate("Daily digest {day}").format(day=day_label),
            "\n".join(lines),
            color=BLUE,
            fields=[(translate(name), str(value)) for name, value in counts],
            footer=translate("OrderDeck daily digest"),
        )
    )


def leaderboard_message(
    period_label: str, boards: Mapping[str, list[str]], min_count: int, translate: Translate = str
) -> dict[str, Any]:
    """One embed per stage (its English label, translated here); each board is its ranked lines, already in the
    team's language ("1. ana@… — median 2.5 h (12)")."""
    embeds = [
        embed(
            translate("Fastest {stage} — {period}").format(stage=translate(stage), period=period_label),
            "\n".join(lines) or translate("No one reached the minimum volume."),
            color=GREEN,
        )
        for stage, lines in boards.items()
    ]
    content = translate("Weekly leaderboard (at least {count} handled to rank)").format(count=min_count)
    return message(*embeds, content=content)


def channel_test_message(
    channel_name: str, kinds: Iterable[str], team_name: str, actor: str, translate: Translate = str
) -> dict[str, Any]:
    """What an admin's "Test" sends, in the team's language: proof the webhook works, and what it will get."""
    wanted = ", ".join(kinds) or translate("every kind")
    return message(
        embed(
            translate("OrderDeck is connected to {channel}").format(channel=channel_name),
            translate("This channel will receive {team}'s notifications: {kinds}.").format(
                team=team_name, kinds=wanted
            ),
            color=GREEN,
            fields=[(translate("Tested by"), actor)],
            footer="OrderDeck",
        )
    )
