"""Limits per team and per member on everything that spends what teams share — the backend's Google
identity's Sheets quota, TikTok calls, our CPU — so one team cannot stall the others.

The defaults are data (schemas/limits.json); `flask --app backend limits set` overrides one in the
database, for every team or for one, and every process sees it at once. Counts live in RateWindow rows
(one per limit and window), so every process and gunicorn worker shares them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from backend.catalog import SCHEMAS_DIR, validated
from backend.db import Database, insert_ignoring_duplicates
from backend.domain.phrases import Phrase
from backend.errors import InvalidInput, NotFound, RateLimited
from backend.models import LimitOverride, RateWindow, Team, utcnow
from backend.sheets.budget import Quota, SheetsBudget
from backend.sheets.google import WriterIdentity


@dataclass(frozen=True)
class Rule:
    """At most `count` of `what` per `seconds`."""

    name: str
    count: int
    seconds: int
    what: str
    overridden: bool = False

    def describe(self) -> str:
        return f"{self.count} per {self.seconds} s"


@cache
def defaults() -> dict[str, Rule]:
    doc = validated(SCHEMAS_DIR / "limits.json", "limits.schema.json")
    return {name: Rule(name, spec["count"], spec["seconds"], spec["what"]) for name, spec in doc["limits"].items()}


def rules(session: Session, team_id: int = 0) -> dict[str, Rule]:
    """Every limit as it holds for `team_id` (0: the deployment-wide values): defaults, then overrides."""
    found = dict(defaults())
    overrides = session.scalars(
        select(LimitOverride).where(LimitOverride.team_id.in_({0, team_id})).order_by(LimitOverride.team_id)
    )
    for o in overrides:  # a team's own override comes last and wins
        if o.name in found:
            found[o.name] = Rule(o.name, o.count, o.seconds, found[o.name].what, overridden=True)
    return found


def _window_key(name: str, team_id: int, member: str | None) -> str:
    if member is None:
        return f"limit:{name}:{team_id}"
    return f"limit:{name}:{team_id}:{hashlib.sha256(member.lower().encode()).hexdigest()[:24]}"


def spend(
    db: Database,
    action: str,
    *,
    team_id: int,
    member: str | None = None,
    cost: int = 1,
    now: datetime | None = None,
) -> None:
    """Count `cost` of `action` against the team's limit (and the member's); RateLimited, counting nothing, when
    spent. More at once than a whole window allows is InvalidInput: waiting would not help, smaller parts do.

    Fixed windows of each limit's length; the wait in the error is until the spent window ends.
    """
    now = now or utcnow()
    with db.session() as session:
        found = rules(session, team_id)
        checks = [(found.get(f"{action}.member"), member), (found.get(f"{action}.team"), None)]
        for rule, who in checks:
            if rule is None or (rule.name.endswith(".member") and who is None):
                continue
            step = rule.seconds
            if cost > rule.count:
                raise InvalidInput(
                    Phrase(
                        "{cost} {what} at once is more than the limit of {count} per {span}; do it in smaller parts",
                        cost=cost,
                        what=Phrase(rule.what),
                        count=rule.count,
                        span=_span(step),
                    ),
                    limit=rule.name,
                )
            start = datetime.fromtimestamp(now.timestamp() // step * step, now.tzinfo)
            key = _window_key(rule.name, team_id, who)
            made = session.execute(
                insert_ignoring_duplicates(session, RateWindow, ["key", "window_start"]).values(
                    key=key, window_start=start, used=0
                )
            )
            if cast("CursorResult[Any]", made).rowcount:
                session.execute(delete(RateWindow).where(RateWindow.key == key, RateWindow.window_start < start))
            taken = session.execute(
                update(RateWindow)
                .where(RateWindow.key == key, RateWindow.window_start == start, RateWindow.used + cost <= rule.count)
                .values(used=RateWindow.used + cost)
            )
            if not cast("CursorResult[Any]", taken).rowcount:
                wait = max(1, math.ceil((start + timedelta(seconds=step) - now).total_seconds()))
                raise RateLimited(
                    Phrase(
                        "{whose} reached the limit of {count} {what} per {span}; try again in {wait} s",
                        whose=Phrase("you have") if who else Phrase("your team has"),
                        count=rule.count,
                        what=Phrase(rule.what),
                        span=_span(step),
                        wait=wait,
                    ),
                    retry_after=wait,
                    limit=rule.name,
                )


def _span(seconds: int) -> str:
    return Phrase("minute") if seconds == 60 else Phrase("{seconds} s", seconds=seconds)


def sheets_budget(
    db: Database, identity: WriterIdentity, team_id: int, *, max_wait: float, keep: float = 0.0, pace: bool = False
) -> SheetsBudget:
    """The Sheets budget of the identity that writes for `team_id`, with the deployment's quota limits;
    `keep` is the share of the write quota it leaves to others, `pace` spreads its use over the minute."""
    with db.session() as session:
        found = rules(session)
    quotas = {
        (kind, scope): Quota(found[f"sheets.{kind}.{scope}"].count, found[f"sheets.{kind}.{scope}"].seconds)
        for kind in ("read", "write")
        for scope in ("user", "project")
    }
    return SheetsBudget(db, identity.email, identity.project, team_id, quotas, max_wait=max_wait, keep=keep, pace=pace)


# -- the operator's view (`flask --app backend limits …`) ------------------------------------------
def _team_id(session: Session, team_name: str | None) -> int:
    if team_name is None:
        return 0
    team = session.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        raise NotFound(f"no team named {team_name!r}")
    return team.id


def show(session: Session, team_name: str | None = None) -> list[Rule]:
    return sorted(rules(session, _team_id(session, team_name)).values(), key=lambda r: r.name)


def set_limit(
    session: Session, name: str, count: int, seconds: int, *, team_name: str | None = None, actor: str = ""
) -> Rule:
    """Override one limit, for every team or (with `team_name`) for one; Google's quotas are never per team."""
    if name not in defaults():
        raise InvalidInput(f"no limit named {name!r}; `limits show` lists them")
    if team_name is not None and name.startswith("sheets."):
        raise InvalidInput(f"{name} is a quota of a Google identity or project, shared by teams: leave out --team")
    if count < 1 or not 1 <= seconds <= 86_400:
        raise InvalidInput("a limit needs a count of at least 1 and a span of 1 to 86,400 seconds")
    team_id = _team_id(session, team_name)
    row = session.get(LimitOverride, (name, team_id)) or LimitOverride(name=name, team_id=team_id)
    row.count, row.seconds, row.set_by, row.set_at = count, seconds, actor, utcnow()
    session.add(row)
    session.flush()
    return rules(session, team_id)[name]


def reset_limit(session: Session, name: str, *, team_name: str | None = None) -> Rule:
    """Drop an override: the limit is the default again (or the deployment-wide override, for a team)."""
    if name not in defaults():
        raise InvalidInput(f"no limit named {name!r}; `limits show` lists them")
    team_id = _team_id(session, team_name)
    session.execute(delete(LimitOverride).where(LimitOverride.name == name, LimitOverride.team_id == team_id))
    return rules(session, team_id)[name]
