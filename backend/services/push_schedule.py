"""When to push a spreadsheet: as soon as a change is stored, one trailing push while one runs, and
never faster than the writing identity's share of Google's quota allows.

A change asks for a push of every spreadsheet showing it, unless a push already has the spreadsheet
in hand. If one is being pushed, nothing more is asked: that push, once it has let go of the
spreadsheet, looks again and schedules one trailing push for what arrived meanwhile. A push that
would find the identity's write budget spent is not started (to hold a worker and a stale read while
it waits) but scheduled for when the budget has room: a delay in the local executor, a Cloud Tasks
`scheduleTime` in production; until it starts, changes ask for nothing either (it reads them when it
starts). So no change waits for a sweep; the sweeps (`push-due`) only find work a lost task left
behind, and spreadsheets due a sharing re-check.

Each spreadsheet is asked for by one task path, that of its first bound tab, so an executor that
already holds that path queued drops the second request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.db import Database
from backend.domain.phrases import Phrase
from backend.errors import NotFound, RateLimited
from backend.models import Lease, SheetBinding, SheetChange, Shop, Spreadsheet, shows_shop, utcnow
from backend.services import leases, limits, sheet_refresh
from backend.services.sheet_refresh import PUSH_LEASE, REFUSAL_RECHECK, SHARING_RECHECK
from backend.sheets.budget import WINDOW
from backend.sheets.google import writer_for

SCHEDULED = "sheet-push-scheduled:"  # + the spreadsheet id: a push of it is set for later; expires after that
SCHEDULER = "scheduled"  # the holder of every such note
# How long past its time a scheduled push may start before changes ask for pushes again: a busy executor
# starts a delayed task late, and a lost one must not silence the asks for longer than a sweep would.
SCHEDULED_SLACK = WINDOW

# A push that would wait longer than this for the Sheets budget mid-way gives its thread back instead and
# comes back when its share has room, so a team past its share cannot fill the server's threads with waiting.
TASK_BUDGET_WAIT = 2.0


@dataclass(frozen=True)
class Next:
    """A push to ask for: the spreadsheet's task (by its first bound tab), in `delay` seconds."""

    binding_id: int
    delay: float = 0.0


def _first_tabs(db: Database, spreadsheet_ids: set[int]) -> list[int]:
    """Each spreadsheet's first bound tab: the one task path that stands for the spreadsheet."""
    if not spreadsheet_ids:
        return []
    with db.session() as session:
        rows = session.scalars(
            select(func.min(SheetBinding.id))
            .where(SheetBinding.spreadsheet_id.in_(sorted(spreadsheet_ids)))
            .group_by(SheetBinding.spreadsheet_id)
        )
        return sorted(rows)


def due(db: Database, now: datetime | None = None) -> list[int]:
    """The sweep's work: one task per spreadsheet with a dirty tab, after marking every tab of a spreadsheet
    due a sharing re-check (a re-check push with nothing changed writes nothing; when the sharing turned
    unsafe it withdraws what the file's readers may no longer see), and every tab refused for good that is
    due another try (rows age out of its window, and other tabs of its file may have been emptied by hand)."""
    now = now or utcnow()
    with db.session() as session:
        stale = select(Spreadsheet.id).where(
            Spreadsheet.sharing_checked_at.is_(None) | (Spreadsheet.sharing_checked_at < now - SHARING_RECHECK)
        )
        session.execute(
            update(SheetBinding)
            .where(
                SheetBinding.spreadsheet_id.in_(stale) | (SheetBinding.refused_at <= now - REFUSAL_RECHECK),
                SheetBinding.dirty.is_(False),
            )
            .values(dirty=True, dirty_since=now)
        )
        dirty = set(session.scalars(select(SheetBinding.spreadsheet_id).where(SheetBinding.dirty)))
    return _first_tabs(db, dirty)


def showing_shop(db: Database, shop_id: int) -> list[int]:
    """One task per spreadsheet with a dirty tab showing this shop and no push in hand: what a stored change
    asks for."""
    with db.session() as session:
        rows = session.execute(
            select(SheetBinding.spreadsheet_id, SheetBinding.shop_ids)
            .join(Spreadsheet)
            .join(Shop, Shop.team_id == Spreadsheet.team_id)
            .where(Shop.id == shop_id, SheetBinding.dirty)
        ).all()
        showing = _not_in_hand(
            session, {spreadsheet_id for spreadsheet_id, shops in rows if shows_shop(shops, shop_id)}
        )
    return _first_tabs(db, showing)


def for_team(db: Database, team_id: int) -> list[int]:
    """One task per spreadsheet of the team with a dirty tab and no push in hand: what its typing asks for,
    so one team's edits set off only its own pushes (and spend only its own `push.team` limit), never a
    sweep of every team's."""
    with db.session() as session:
        rows = session.scalars(
            select(SheetBinding.spreadsheet_id)
            .join(Spreadsheet)
            .where(Spreadsheet.team_id == team_id, SheetBinding.dirty)
        )
        dirty = _not_in_hand(session, set(rows))
    return _first_tabs(db, dirty)


def _not_in_hand(session: Session, spreadsheet_ids: set[int]) -> set[int]:
    """The spreadsheets no push has in hand: none running (its lease) and none scheduled for later.

    A change stored while a push runs needs no push of its own: the running one looks for changes once it
    lets go (`_changed_while_it_ran`), and a scheduled one reads the tabs when it starts. Asking anyway
    cost a task each that found the lease taken or the budget still spent: 318 such tasks for 12 pushes
    in one run of the 200-webhooks-a-second load bench, and in production a Cloud Task each.
    """
    if not spreadsheet_ids:
        return set()
    names = {f"{prefix}{i}": i for i in spreadsheet_ids for prefix in (PUSH_LEASE, SCHEDULED)}
    held = session.scalars(select(Lease.name).where(Lease.name.in_(sorted(names)), Lease.expires_at > utcnow()))
    return spreadsheet_ids - {names[name] for name in held}


def _schedule(db: Database, spreadsheet_ids: Iterable[int], delay: float) -> None:
    """Note that a push of each spreadsheet is set for `delay` seconds from now (changes ask for none meanwhile)."""
    until = utcnow() + timedelta(seconds=delay) + SCHEDULED_SLACK
    leases.hold_until(db, [f"{SCHEDULED}{i}" for i in spreadsheet_ids], SCHEDULER, until)


def _starting(db: Database, spreadsheet_id: int) -> None:
    """A scheduled push is starting: changes stored from now on ask again. Committed before the push reads
    the tabs, so a change that saw the note is one the push reads."""
    leases.release(db, f"{SCHEDULED}{spreadsheet_id}", SCHEDULER)


def run(binding_id: int) -> tuple[dict[str, Any], list[Next]]:
    """The /tasks/push-binding/<id> body: push the tab's spreadsheet now, or say when it should be.

    Returns what to report and the pushes to ask for next: this spreadsheet again if it changed while
    it was pushed (or later, if the budget is spent now), and the team's other spreadsheets whose rows
    this push's stock pass changed.
    """
    pusher = sheet_refresh.pusher()
    pusher.budget_wait = TASK_BUDGET_WAIT
    db = pusher.db
    with db.session() as session:
        binding = session.get(SheetBinding, binding_id)
        if binding is None:
            raise NotFound(Phrase("no sheet binding {binding}", binding=binding_id))
        spreadsheet = binding.spreadsheet
        spreadsheet_id, team_id = spreadsheet.id, spreadsheet.team_id
    _starting(db, spreadsheet_id)
    with db.session() as session:
        spreadsheet = session.get_one(Spreadsheet, spreadsheet_id)
        dirty = bool(sheet_refresh.tabs_to_push(session, spreadsheet, utcnow())[0])
        identity = writer_for(session, team_id, pusher.config, pusher.secrets)
    if not dirty:
        return {"skipped": "nothing changed since the last push"}, []
    budget = sheet_refresh.push_budget(db, identity, team_id)
    try:
        wait = budget.next_slot()
        if wait:
            _schedule(db, [spreadsheet_id], wait)
            return {"deferred_s": round(wait, 2)}, [Next(binding_id, wait)]
        result = pusher.push_spreadsheet(spreadsheet_id, admit=lambda: limits.spend(db, "push", team_id=team_id))
    except leases.LeaseHeld as exc:
        return {"skipped": exc.message}, []  # the push running now asks for the trailing one when it is done
    except RateLimited as exc:  # the team's push limit, or its share of the budget: the push comes back later
        later = float(exc.detail.get("retry_after") or WINDOW.total_seconds())
        _schedule(db, [spreadsheet_id], later)
        return {"deferred_s": later, "why": exc.message}, [Next(binding_id, later)]
    again = set(result.dirtied)
    if _changed_while_it_ran(db, spreadsheet_id, result):
        again.add(spreadsheet_id)
    wait = budget.next_slot() if again else 0.0
    if wait:
        _schedule(db, again, wait)
    return result.summary(), [Next(b, wait) for b in _first_tabs(db, again)]


def _changed_while_it_ran(db: Database, spreadsheet_id: int, result: sheet_refresh.PushResult) -> bool:
    """A tab marked since the push started, or holding a change noted after the push read its notes.

    A mark's time is taken when its transaction writes it, not when it commits: a webhook round that
    marked the tabs, then went on talking to the platform, commits a change the push that started
    meanwhile never read, under a mark older than that push. Its note (kept until a push reads it) is
    what says so. A tab the push refused as not safe to write waits for the sweep; one refused for good
    (too big) is set aside until what decided it changes (sheet_refresh.tabs_to_push).
    """
    refused = [tab.binding_id for tab in result.tabs if tab.skipped]
    with db.session() as session:
        tabs = select(SheetBinding.id).where(
            SheetBinding.spreadsheet_id == spreadsheet_id, SheetBinding.dirty, SheetBinding.id.not_in(refused)
        )
        marked = tabs.where(SheetBinding.dirty_since > (result.started or utcnow()))
        noted = select(SheetChange.binding_id).where(SheetChange.binding_id.in_(tabs))
        return session.scalar(marked.limit(1)) is not None or session.scalar(noted.limit(1)) is not None
