"""Discord channels an admin sets up: add, list, test and remove, from the sidebar or the command line.

The webhook URL carries its token, so it is stored sealed and never shown again whole: a listing shows
the host and the webhook's id. "Test" posts at once (not through the outbox) because the admin is
waiting to see whether it works; a webhook Discord refuses for good is disabled with the reason, and
a test that gets through turns a disabled channel back on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import i18n
from backend.config import Config
from backend.db import Database
from backend.domain import alerts
from backend.domain.phrases import Phrase
from backend.errors import NotFound
from backend.models import AuditEntry, Member, NotificationChannel, Team
from backend.secrets import SecretBox
from backend.services import notify

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def allows_loopback(config: Config) -> bool:
    """A deployment that is itself on loopback (the demo, tests) may post to the local Discord sandbox."""
    return not config.is_production and urlsplit(config.PUBLIC_BASE_URL).hostname in LOOPBACK


def _masked(url: str) -> str:
    """`https://discord.com/api/webhooks/<id>/…`: enough to recognise the webhook, not to post to it."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    return f"{parts.scheme}://{parts.netloc}/{'/'.join(segments[:-1])}/…"


def _view(box: SecretBox, channel: NotificationChannel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "kinds": list(channel.kinds),
        "webhook": _masked(box.open(channel.webhook_url_sealed)),
        "enabled": channel.enabled,
        "problem": channel.disabled_reason,
        "created_by": channel.created_by,
    }


def _audit(session: Session, team: Team, actor: str, action: str, channel: NotificationChannel) -> None:
    session.add(
        AuditEntry(
            team_id=team.id,
            actor=actor,
            action=f"channel.{action}",
            target_type="channel",
            target_id=str(channel.id),
            detail={"name": channel.name, "kinds": list(channel.kinds)},
        )
    )


def _channel(session: Session, team: Team, channel_id: int) -> NotificationChannel:
    channel = session.get(NotificationChannel, channel_id)
    if channel is None or channel.team_id != team.id:
        raise NotFound(Phrase("no Discord channel {channel_id} in {team}", channel_id=channel_id, team=team.name))
    return channel


def kinds() -> list[str]:
    return list(notify.KINDS)


def add(
    session: Session,
    box: SecretBox,
    config: Config,
    team: Team,
    *,
    url: str,
    kinds: Iterable[str],
    name: str,
    actor: str,
) -> dict[str, Any]:
    """A new channel for `kinds` (none = every kind), its URL checked as a Discord webhook."""
    channel = notify.add_channel(
        session, box, team, name=name, url=url, kinds=kinds, actor=actor, allow_loopback=allows_loopback(config)
    )
    _audit(session, team, actor, "add", channel)
    return _view(box, channel)


def listing(session: Session, box: SecretBox, team: Team) -> list[dict[str, Any]]:
    channels = session.scalars(
        select(NotificationChannel).where(NotificationChannel.team_id == team.id).order_by(NotificationChannel.id)
    )
    return [_view(box, channel) for channel in channels]


def remove(session: Session, box: SecretBox, team: Team, channel_id: int, *, actor: str) -> dict[str, Any]:
    """Delete the channel and the messages still waiting for it."""
    channel = _channel(session, team, channel_id)
    view = _view(box, channel)
    _audit(session, team, actor, "remove", channel)
    session.delete(channel)
    return view


def _display_name(session: Session, team: Team, actor: str) -> str:
    """A member's name, not their address: a Discord channel is not the place for staff e-mails."""
    member = session.scalar(select(Member).where(Member.team_id == team.id, Member.email == actor))
    return (member.display_name if member else None) or actor.split("@", maxsplit=1)[0]


def send_test(
    db: Database, box: SecretBox, client: httpx.Client, team_id: int, channel_id: int, *, actor: str
) -> dict[str, Any]:
    """Post a test message now; the answer says whether Discord took it, and if not, why."""
    with db.session() as session:
        team = session.get_one(Team, team_id)
        channel = _channel(session, team, channel_id)
        url = box.open(channel.webhook_url_sealed)
        payload = alerts.channel_test_message(
            channel.name, channel.kinds, team.name, _display_name(session, team, actor), i18n.translator(team.language)
        )
    outcome = notify.post_message(client, url, payload)
    with db.session() as session:
        team = session.get_one(Team, team_id)
        channel = _channel(session, team, channel_id)
        if outcome.status == "sent":
            channel.enabled, channel.disabled_reason = True, None
        elif outcome.channel_gone:
            channel.enabled, channel.disabled_reason = False, f"Discord refused the webhook ({outcome.error})"
        _audit(session, team, actor, "test", channel)
        return {**_view(box, channel), "sent": outcome.status == "sent", "error": outcome.error}
