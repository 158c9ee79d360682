"""Push bound tabs: project what changed through each binding's profile, diff against the sheet, write once.

One push of a spreadsheet makes one Sheets read (grid, protections and every bound tab's key column,
in one `spreadsheets.get`) and one `spreadsheets.batchUpdate` for every tab's changes, split only
when a first fill passes the 2 MB guidance. Who can open the file is read from Drive at most every
60 s, and again before a push that would newly widen what the file shows (Drive's quota pays).

A push re-reads only the orders that changed since its tab's last push (backend/services/
sheet_changes.py) and places their rows among the ones the snapshot remembers; it projects every
order when the profile, its filter or sort changed, when the sheet no longer matches the snapshot
(rows deleted or inserted by hand), and every REBUILD_EVERY as a self-check. A lease per spreadsheet
keeps two processes from pushing the same file at once; the dirty flag is cleared only for changes
the push actually saw.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session, object_session

from backend import i18n, runtime
from backend.catalog import role_policy
from backend.config import Config
from backend.db import Database, among, chunks
from backend.domain.a1 import quote_sheet
from backend.domain.access import Sensitivity
from backend.domain.columns import ORDER_GRAINS, Grain
from backend.domain.lists import TITLE as LISTS_TITLE
from backend.domain.lists import ListsPlan, find_tab, plan_lists
from backend.domain.phrases import Phrase
from backend.domain.profiles import (
    PURCHASING_SOURCES,
    REPORT_SOURCES,
    WAREHOUSE_SOURCES,
    Profile,
    in_words,
    project,
    visibility_problems,
)
from backend.domain.sheet_plan import (
    ABOVE_OPERATIONAL,
    Memo,
    Snapshot,
    SnapshotMismatch,
    TabPlan,
    TabSpec,
    TabState,
    digest,
    over_cell_limit,
    plan_tab,
    split_bodies,
    stable_id,
    withdraw_requests,
)
from backend.errors import NotFound, OrderDeckError
from backend.models import (
    Member,
    Order,
    SheetBinding,
    SheetChange,
    SheetSnapshot,
    Shop,
    Spreadsheet,
    Team,
    utcnow,
)
from backend.secrets import SecretBox
from backend.services import fulfilment, fx, leases, limits, logistics, purchases, sheet_changes, stock
from backend.services.bindings import profile_for
from backend.services.ingest import mark_bindings_dirty
from backend.services.report_tabs import report_rows
from backend.services.views import sku_cost_views, team_shops, viewed_orders, views_of
from backend.sheets.budget import SheetsBudget
from backend.sheets.google import GoogleClients, WriterIdentity, clients, identity_email, writer_for
from backend.sheets.guard import FileSharing, list_sharing, sharing_problems
from backend.sheets.writer import Backoff, Caller, GoogleRejected, RetryableWriteFailed

log = logging.getLogger(__name__)
T = TypeVar("T")
LEASE_TTL = timedelta(minutes=10)
PUSH_LEASE = "sheet-push:"  # + the spreadsheet id: held while a push of it runs
REPLANS = 3
REBUILD_EVERY = timedelta(minutes=30)  # a full projection per tab now and then, in case a change went unnoted
REREAD_ALL_AT = 2_000  # changed orders past which (and past the tab's rows) a push projects every order
SHARING_TTL = 60.0  # seconds a Drive permissions read is trusted for, unless a push would show more
# Sharing changes without any order changing: a spreadsheet not checked for this long is pushed
# anyway, which reads its Drive permissions and withdraws what its readers may no longer see.
SHARING_RECHECK = timedelta(minutes=15)
# A tab refused for good is tried again this long after even when nothing OrderDeck sees changed: orders age
# out of its window, and people empty or delete other tabs of the file by hand.
REFUSAL_RECHECK = timedelta(hours=1)
PUSH_KEEPS = 0.25  # of the write quota, left to binds and edits: a busy team's pushes never lock the sidebar out
SHEET_FIELDS = (
    "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "protectedRanges,conditionalFormats,charts(chartId)"
)
META_FIELDS = f"properties(title,timeZone,autoRecalc),{SHEET_FIELDS})"
GRID_FIELDS = f"properties(title,timeZone,autoRecalc),{SHEET_FIELDS},data(rowData(values(formattedValue))))"


@dataclass
class TabResult:
    binding_id: int
    tab: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    moved: int = 0
    projected: str = ""  # "every order" or "N changed orders"
    skipped: str | None = None
    cut: int = 0  # cells whose text was cut to fit a cell, with a marker saying so
    unwritten: list[str] = field(default_factory=list)  # rows left out, each with why


@dataclass
class PushResult:
    spreadsheet: str
    writer: str
    reads: int = 0  # Sheets reads (Drive's permission reads count against Drive's own quota)
    writes: int = 0
    drive_reads: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    google_seconds: float = 0.0  # of which waiting on Google (the rest is OrderDeck's own compute)
    budget_waits: int = 0  # Sheets requests that waited for a later window of the shared budget
    tabs: list[TabResult] = field(default_factory=list)
    dirtied: list[int] = field(default_factory=list)  # other spreadsheets this push's stock pass made dirty
    stock_pass: str = ""  # what the team's stock pass covered in this push ("": an earlier push had run it)
    started: datetime | None = None  # a tab dirty since then changed while the push ran

    def summary(self) -> dict[str, Any]:
        return {
            "spreadsheet": self.spreadsheet,
            "writer": self.writer,
            "reads": self.reads,
            "writes": self.writes,
            "drive_reads": self.drive_reads,
            "bytes": self.bytes_sent,
            "budget_waits": self.budget_waits,
            "seconds": self.seconds,
            "google_seconds": round(self.google_seconds, 4),
            "stock_pass": self.stock_pass,
            "tabs": [t.__dict__ for t in self.tabs],
        }


@dataclass
class _Read:
    """What the one Sheets read of a push found: the spreadsheet's properties, its tabs, the bound keys."""

    properties: dict[str, Any]
    tabs: dict[str, dict[str, Any]]  # lower-case title → sheet resource
    keys: dict[str, tuple[str, ...]]  # lower-case title → key column from row 2 down


@dataclass
class _Planned:
    google_id: str
    title: str
    time_zone: str
    tabs: list[str]
    problems: list[str] = field(default_factory=list)
    sharing: FileSharing | None = None  # read from Drive by this push (None: the stored verdict was used)
    shown: frozenset[Sensitivity] = frozenset()
    plans: dict[int, TabPlan] = field(default_factory=dict)
    full: set[int] = field(default_factory=set)  # bindings projected in full
    skipped: dict[int, tuple[str, str]] = field(default_factory=dict)
    read: dict[int, sheet_changes.Pending] = field(default_factory=dict)
    too_big: dict[int, tuple[str, str]] = field(default_factory=dict)  # tabs left out to stay under 10M cells
    refused: dict[int, tuple[str, str]] = field(default_factory=dict)  # tabs whose earlier refusal still holds
    requests: list[dict[str, Any]] = field(default_factory=list)
    lists: dict[str, Any] = field(default_factory=dict)  # the list tab's layout once this push is written
    now: datetime = field(default_factory=utcnow)


@dataclass
class Pusher:
    """What a push needs besides the database: settings, secrets, and (for tests) backoff and timing."""

    db: Database
    config: Config
    secrets: SecretBox
    backoff: Backoff = field(default_factory=Backoff)
    sharing_ttl: float = SHARING_TTL
    budget_wait: float = 120.0

    def push_spreadsheet(
        self,
        spreadsheet_id: int,
        binding_ids: Sequence[int] | None = None,
        admit: Callable[[], object] | None = None,
    ) -> PushResult:
        """Push the spreadsheet's dirty bindings (and `binding_ids`) in one write; safe from several processes.

        `admit` runs once the push holds the spreadsheet (a task spends the team's push limit there, so an
        attempt that finds another push running costs nothing)."""
        began = time.perf_counter()
        with leases.held(self.db, f"{PUSH_LEASE}{spreadsheet_id}", leases.new_holder(), LEASE_TTL):
            if admit is not None:
                admit()
            started = utcnow()
            with self.db.session() as session:
                spreadsheet = session.get(Spreadsheet, spreadsheet_id)
                if spreadsheet is None:
                    raise NotFound(Phrase("no spreadsheet {spreadsheet}", spreadsheet=spreadsheet_id))
                bindings, refused = tabs_to_push(session, spreadsheet, started, set(binding_ids or ()))
                identity = writer_for(session, spreadsheet.team_id, self.config, self.secrets)
            budget = push_budget(self.db, identity, spreadsheet.team_id, max_wait=self.budget_wait)
            google = clients(self.config, identity)
            caller = Caller(identity.email, budget, google.http, self.backoff)
            push = _Push(self, caller, google, spreadsheet_id, bindings, started, refused)
            push.result = PushResult(spreadsheet.google_id, identity.email, started=started)
            if not bindings:
                return push.result
            try:
                for attempt in range(REPLANS):
                    try:
                        push.once()
                        break
                    except RetryableWriteFailed:
                        if attempt == REPLANS - 1:
                            raise
                        self.backoff.sleep(self.backoff.delay(attempt))
            except OrderDeckError as exc:
                self._record_failure(spreadsheet_id, bindings, exc.message)
                raise
            finally:
                push.result.reads, push.result.writes = caller.reads - push.result.drive_reads, caller.writes
                push.result.budget_waits = budget.waits
                push.result.seconds = round(time.perf_counter() - began, 4)
            return push.result

    def _record_failure(self, spreadsheet_id: int, binding_ids: list[int], message: str) -> None:
        """Say why on the tabs; and forget the tabs the file had, so the next push lists them afresh (one
        may have been added or renamed since, which the write just failed on)."""
        with self.db.session() as session:
            session.execute(
                update(SheetBinding).where(SheetBinding.id.in_(binding_ids)).values(last_push_error=message[:2048])
            )
            session.execute(update(Spreadsheet).where(Spreadsheet.id == spreadsheet_id).values(tabs=[]))


@dataclass
class _Push:
    """One push of one spreadsheet (re-planned from scratch when a write may or may not have landed)."""

    pusher: Pusher
    caller: Caller
    google: GoogleClients
    spreadsheet_id: int
    binding_ids: list[int]
    started: datetime
    refused: set[int]  # tabs whose refusal for good still holds: not projected (tabs_to_push)
    result: PushResult = field(default_factory=lambda: PushResult("", ""))

    def _timed(self, call: Callable[[], T]) -> T:
        began = time.perf_counter()
        try:
            return call()
        finally:
            self.result.google_seconds += time.perf_counter() - began

    def _write(self, google_id: str, body: dict[str, Any]) -> dict[str, Any]:
        request = self.google.spreadsheets.batchUpdate(spreadsheetId=google_id, body=body)
        return self.caller.write(request, f"write spreadsheet {google_id}", retry=False)

    def once(self) -> None:
        """Read and plan in one session, write with no transaction open (the budget writes too), then save."""
        with self.pusher.db.session() as session:
            planned = self._plan(session)
        for body in split_bodies(planned.requests):
            self.result.bytes_sent += len(json.dumps(body, separators=(",", ":")))
            self._timed(partial(self._write, planned.google_id, body))
        with self.pusher.db.session() as session:
            self._save(session, planned)

    def _save(self, session: Session, planned: _Planned) -> None:
        result, started = self.result, self.started
        spreadsheet = session.get_one(Spreadsheet, self.spreadsheet_id)
        spreadsheet.title, spreadsheet.time_zone, spreadsheet.tabs = planned.title, planned.time_zone, planned.tabs
        if planned.sharing is not None:
            spreadsheet.sharing_checked_at = planned.now
            spreadsheet.sharing_seen = {
                "owner": planned.sharing.owner,
                "permissions": [dict(p) for p in planned.sharing.permissions],
                "shown": sorted(c.value for c in planned.shown),
            }
        spreadsheet.sharing_problem = "; ".join(planned.problems)[:1024] or None
        if planned.lists:
            spreadsheet.lists = planned.lists
        for binding_id, (tab, message) in planned.skipped.items():
            session.get_one(SheetBinding, binding_id).last_push_error = message[:2048]
            # Forget what the tab showed: once sharing is fixed, the next push rewrites it whole.
            session.execute(delete(SheetSnapshot).where(SheetSnapshot.binding_id == binding_id))
            sheet_changes.consume(session, planned.read[binding_id])
            result.tabs.append(TabResult(binding_id, tab, skipped=message))
        for binding_id, (tab, message) in planned.too_big.items():
            binding = session.get_one(SheetBinding, binding_id)
            binding.last_push_error = message[:2048]
            # Pushing again cannot change this answer; what could is kept with it (tabs_to_push).
            binding.refused_for, binding.refused_at = refusal_key(binding, self._profile(session, binding)), planned.now
            _set_aside(session, binding)
            result.tabs.append(TabResult(binding_id, tab, skipped=message))
        for binding_id, (tab, message) in planned.refused.items():
            _set_aside(session, session.get_one(SheetBinding, binding_id))
            result.tabs.append(TabResult(binding_id, tab, skipped=message))
        for binding_id, plan in planned.plans.items():
            binding = session.get_one(SheetBinding, binding_id)
            profile = self._profile(session, binding)
            binding.refused_for = binding.refused_at = None
            _save_snapshot(
                session, binding, plan, shape=shape_of(profile), now=planned.now, rebuilt=binding_id in planned.full
            )
            sheet_changes.consume(session, planned.read[binding_id])
            if (binding.dirty_since is None or binding.dirty_since <= started) and not sheet_changes.has_pending(
                session, binding_id
            ):
                binding.dirty, binding.dirty_since = False, None  # a change marked during the push keeps it dirty
            if plan.unwritten:
                binding.last_push_error = "; ".join(plan.unwritten)[:2048]
            read = planned.read[binding_id]
            projected = "every order" if binding_id in planned.full else f"{len(read.orders)} changed orders"
            written = TabResult(
                binding_id, binding.tab_title, plan.added, plan.changed, plan.removed, plan.moved, projected
            )
            written.cut, written.unwritten = plan.cut, plan.unwritten
            result.tabs.append(written)

    def _profile(self, session: Session, binding: SheetBinding) -> Profile:
        return profile_for(session, binding.spreadsheet.team_id, binding.profile_key)

    def _plan(self, session: Session) -> _Planned:
        spreadsheet = session.get_one(Spreadsheet, self.spreadsheet_id)
        team = session.get_one(Team, spreadsheet.team_id)
        members = {m.email.lower(): m.role for m in session.scalars(select(Member).where(Member.team_id == team.id))}
        bindings = [session.get_one(SheetBinding, i) for i in self.binding_ids]
        language = i18n.language_of(team, spreadsheet)
        profiles = {b.id: i18n.localized(profile_for(session, team.id, b.profile_key), language) for b in bindings}
        now = utcnow()
        stored = {b.id: session.get(SheetSnapshot, b.id) for b in bindings}
        read = {b.id: sheet_changes.pending(session, b.id) for b in bindings}
        full = {b.id for b in bindings if _needs_full(profiles[b.id], stored[b.id], read[b.id], now)}
        titles = [b.tab_title for b in bindings]
        sheet = self._timed(lambda: self._read(spreadsheet.google_id, list(spreadsheet.tabs), titles))
        planned = _Planned(
            spreadsheet.google_id,
            str(sheet.properties.get("title", "")),
            str(sheet.properties.get("timeZone") or "UTC"),
            [str(s["properties"]["title"]) for s in sheet.tabs.values()],
            read=read,
            full=full,
            now=now,
        )
        audience = spreadsheet.audience_role
        # A tab whose profile no longer suits the file's audience (a column reclassified, a profile redefined
        # before that was refused) is refused by name; it must not widen what the sharing check asks of the
        # file's readers, or the file's other, legitimate tabs would be withheld with it.
        misfits = {
            b.id: problems
            for b in bindings
            if (problems := visibility_problems(profiles[b.id].columns, audience, role_policy()))
        }
        planned.shown = frozenset(s for b in bindings if b.id not in misfits for s in profiles[b.id].sensitivities)
        sharing = self._sharing(spreadsheet, planned)
        planned.problems = sharing_problems(
            sharing.permissions,
            planned.shown,
            members=members,
            policy=role_policy(),
            writer=self.caller.identity,
            team_name=team.name,
        )
        rebuilt = {b.id for b in bindings if _rebuild_due(profiles[b.id], stored[b.id], now)}
        touched = self._stock_pass(session, team.id, profiles, rebuilt)
        taken_ids = {int(s["properties"]["sheetId"]) for s in sheet.tabs.values()}
        withdrawn: list[dict[str, Any]] = []
        tabs_to_plan: list[tuple[SheetBinding, TabState | None, _Tab]] = []
        for binding in bindings:
            profile = profiles[binding.id]
            state = _tab_state(sheet.tabs.get(binding.tab_title.lower()), sheet.keys.get(binding.tab_title.lower(), ()))
            withheld = _withheld(
                binding, profile, state, misfit=misfits.get(binding.id), sharing=planned.problems, audience=audience
            )
            if withheld is not None:
                planned.skipped[binding.id] = (binding.tab_title, withheld[0])
                withdrawn += withheld[1]
                continue
            if binding.id in self.refused:
                planned.refused[binding.id] = (binding.tab_title, binding.last_push_error or "")
                continue
            tab = _Tab(
                session, team, binding, profile, members, self.caller.identity, planned.time_zone, taken_ids, now
            )
            tabs_to_plan.append((binding, state, tab))
        lists = _plan_tabs(
            session,
            spreadsheet,
            sheet,
            planned,
            tabs_to_plan,
            members=members,
            taken_ids=taken_ids,
            changed={b.id: touched | read[b.id].orders for b, _, _ in tabs_to_plan},
            stored=stored,
            owner=sharing.owner,
        )
        planned.requests = lists.requests + [r for plan in planned.plans.values() for r in plan.requests] + withdrawn
        planned.lists = lists.layout
        live = any(any(c.key == "sla_countdown" for c in profiles[b].columns) for b in planned.plans)
        if planned.requests and live and sheet.properties.get("autoRecalc") != "MINUTE":
            recalc = {"properties": {"autoRecalc": "MINUTE"}, "fields": "autoRecalc"}
            planned.requests.insert(0, {"updateSpreadsheetProperties": recalc})
        return planned

    def _read(self, google_id: str, known: list[str], titles: list[str]) -> _Read:
        """The spreadsheet, its tabs and every bound tab's key column: one read when the tabs are known
        from the last push, else (a first push, a tab renamed or removed since) the tab list first."""
        caller, sheets = self.caller, self.google.spreadsheets
        lowered = {t.lower() for t in known}
        if known and all(t.lower() in lowered for t in titles):
            try:
                return _parse(
                    caller.read(
                        sheets.get(spreadsheetId=google_id, ranges=_ranges(known, titles), fields=GRID_FIELDS),
                        f"read spreadsheet {google_id}",
                    ),
                    titles,
                )
            except GoogleRejected as exc:
                log.info("spreadsheet %s: its tabs changed since the last push (%s)", google_id, exc.message)
        meta = caller.read(sheets.get(spreadsheetId=google_id, fields=META_FIELDS), f"open spreadsheet {google_id}")
        present = [str(s["properties"]["title"]) for s in meta.get("sheets", [])]
        bound = [t for t in present if t.lower() in {x.lower() for x in titles}]
        if not bound:
            return _parse(meta, titles)
        grid = caller.read(
            sheets.get(spreadsheetId=google_id, ranges=_ranges(present, bound), fields=GRID_FIELDS),
            f"read the key columns of {google_id}",
        )
        return _parse(grid, titles)

    def _sharing(self, spreadsheet: Spreadsheet, planned: _Planned) -> FileSharing:
        """Who can open the file: the stored verdict while it is fresh and the push shows nothing new."""
        seen = spreadsheet.sharing_seen or {}
        checked = spreadsheet.sharing_checked_at
        fresh = checked is not None and (planned.now - checked).total_seconds() < self.pusher.sharing_ttl
        widens = not {c.value for c in planned.shown} <= set(seen.get("shown", ()))
        if fresh and not widens and "permissions" in seen:
            return FileSharing(seen.get("owner"), tuple(seen["permissions"]))
        before = self.caller.reads
        planned.sharing = self._timed(lambda: list_sharing(self.caller, self.google.drive, planned.google_id))
        self.result.drive_reads += self.caller.reads - before
        if fresh and seen.get("shown"):
            planned.shown |= {Sensitivity(c) for c in seen["shown"]}
        return planned.sharing

    def _stock_pass(
        self, session: Session, team_id: int, profiles: Mapping[int, Profile], rebuilt: set[int]
    ) -> frozenset[int]:
        """Stock and review flags before projecting, for what changed since the team's last pass (in full
        for the warehouse tabs or a tab rebuilt from scratch). Returns the orders whose stored flags or
        shortfall moved; the team's other tabs are told (and their spreadsheets listed in `result`). The
        team's other spreadsheets pushed for the same change find the pass done (`stock.catch_up`).

        The pass is its own unit of work, committed before the projection: it holds the team's row, on
        which the pushes of the team's other spreadsheets (in other workers) wait, and that wait must not
        last through this push's projection too. The flags are true of the orders whatever becomes of
        this push's write."""
        orders = [i for i, p in profiles.items() if p.grain in ORDER_GRAINS]
        warehouse = any(p.grain in WAREHOUSE_SOURCES for p in profiles.values())
        if not orders and not warehouse:
            return frozenset()
        whole = warehouse or any(i in rebuilt for i in orders)
        with self.pusher.db.session() as own:
            caught = stock.catch_up(own, team_id, utcnow(), whole=whole)
            if caught is None:
                return frozenset()
            found, self.result.stock_pass = caught.found, caught.covered
            self.result.dirtied = _tell_other_tabs(own, team_id, found.touched, set(profiles))
            sheet_changes.consume_stock(own, caught.notes)  # last: the lock order of ingest (stock.catch_up)
        if caught.covered == stock.WHOLE_TEAM:
            stock.remember(session, team_id, found)  # the warehouse tabs' lists come from this pass
        return found.touched


def shape_of(profile: Profile) -> str:
    """What decides a tab's rows and their order: the filter and the sort (a change means a rebuild)."""
    spec = profile.row_filter
    return digest(
        {
            "statuses": sorted(spec.statuses),
            "shops": sorted(spec.shops),
            "days": spec.max_age_days,
            "sort": [[s.column, s.descending] for s in profile.sort],
        }
    )


def _needs_full(profile: Profile, stored: SheetSnapshot | None, read: sheet_changes.Pending, now: datetime) -> bool:
    """Whether this push must project every row of the tab rather than the changed orders' only."""
    if stored is None or read.everything or _rebuild_due(profile, stored, now):
        return True
    return len(read.orders) > max(REREAD_ALL_AT, stored.row_count)  # a backfill: one pass beats many IN lists


def _rebuild_due(profile: Profile, stored: SheetSnapshot | None, now: datetime) -> bool:
    """Whether the tab is projected in full whatever changed: never pushed, reshaped, or due its self-check."""
    if profile.grain not in ORDER_GRAINS or stored is None:
        return True
    if stored.shape != shape_of(profile) or stored.rebuilt_at is None or stored.projected_at is None:
        return True
    return now - stored.rebuilt_at >= REBUILD_EVERY


def _plan_tab(
    tab: _Tab,
    state: TabState | None,
    stored: SheetSnapshot | None,
    planned: _Planned,
    *,
    changed: frozenset[int],
    owner: str | None,
) -> TabPlan:
    """The tab's plan from the changed orders' rows, or from every row when it must be projected in full."""
    snapshot = _snapshot(stored)
    binding_id = tab.binding.id
    if binding_id not in planned.full:
        try:
            return plan_tab(tab.spec(changed | _aged_out(tab, stored)), state, snapshot, owner)
        except SnapshotMismatch as mismatch:
            log.info("tab %r is projected in full: %s", tab.binding.tab_title, mismatch)
    planned.full.add(binding_id)
    return plan_tab(tab.spec(None), state, snapshot, owner)


def _cells(sheet: _Read) -> int:
    """Cells in every tab of the spreadsheet (Google counts them all against its limit)."""
    return sum(
        int(s["properties"]["gridProperties"].get("rowCount", 0))
        * int(s["properties"]["gridProperties"].get("columnCount", 0))
        for s in sheet.tabs.values()
    )


def _snapshot(stored: SheetSnapshot | None) -> Snapshot:
    if stored is None:
        return Snapshot()
    return Snapshot.from_json(
        {
            "layout": stored.layout,
            "rows": stored.rows,
            "owners": stored.owners,
            "keys": stored.keys,
            "order": stored.ordered,
        }
    )


def _ranges(tabs: Iterable[str], bound: Iterable[str]) -> list[str]:
    """A key column range for every bound tab, one cell of every other (so the read lists every tab)."""
    wanted = {t.lower() for t in bound}
    return [f"{quote_sheet(t)}!A2:A" if t.lower() in wanted else f"{quote_sheet(t)}!A1" for t in tabs]


def _parse(reply: Mapping[str, Any], titles: Iterable[str]) -> _Read:
    tabs = {str(s["properties"]["title"]).lower(): s for s in reply.get("sheets", [])}
    keys: dict[str, tuple[str, ...]] = {}
    for title in {t.lower() for t in titles} & tabs.keys():
        data = tabs[title].get("data") or [{}]
        column = [str(((r.get("values") or [{}])[0]).get("formattedValue", "")) for r in data[0].get("rowData", [])]
        while column and not column[-1]:
            column.pop()
        keys[title] = tuple(column)
    return _Read(dict(reply.get("properties", {})), tabs, keys)


def _aged_out(tab: _Tab, stored: SheetSnapshot | None) -> frozenset[int]:
    """Orders that left the tab's age window since its last projection (they changed by getting older)."""
    window = tab.profile.row_filter.max_age_days
    if not window or stored is None or stored.projected_at is None:
        return frozenset()
    span = timedelta(days=window)
    shops = [s.id for s in tab.shops]
    query = select(Order.id).where(
        Order.shop_id.in_(shops),
        Order.platform_create_time >= stored.projected_at - span,
        Order.platform_create_time < tab.now - span,
    )
    return frozenset(tab.session.scalars(query))


def _tell_other_tabs(session: Session, team_id: int, orders: Iterable[int], pushing: set[int]) -> list[int]:
    """Note the orders whose stored flags or shortfall moved for the team's tabs not in this push; their
    spreadsheets' ids (to push them too)."""
    ids = sorted(orders)
    if not ids:
        return []
    by_shop: dict[int, list[int]] = {}
    for part in chunks(ids):
        for order_id, shop_id in session.execute(select(Order.id, Order.shop_id).where(among(session, Order.id, part))):
            by_shop.setdefault(shop_id, []).append(order_id)
    for shop_id, order_ids in by_shop.items():
        mark_bindings_dirty(session, team_id, shop_id, order_ids, skip=pushing, stock_pass=False)
    rows = session.execute(
        select(SheetBinding.spreadsheet_id)
        .join(Spreadsheet)
        .where(Spreadsheet.team_id == team_id, SheetBinding.dirty, SheetBinding.id.not_in(pushing))
    )
    return sorted({spreadsheet_id for (spreadsheet_id,) in rows})


@dataclass
class _Tab:
    """One binding as a push projects it."""

    session: Session
    team: Team
    binding: SheetBinding
    profile: Profile
    members: Mapping[str, str]
    writer: str
    sheet_zone: str
    taken_ids: set[int]
    now: datetime
    lists: Mapping[str, str] = field(default_factory=dict)  # list key → its range in the list tab

    @property
    def shops(self) -> list[Shop]:
        return team_shops(self.session, self.team.id, [int(s) for s in self.binding.shop_ids])

    def spec(self, touched: Iterable[int] | None) -> TabSpec:
        """The tab's spec: every row (`touched` None), or the rows of the `touched` orders only."""
        session, team, profile, now, zone = self.session, self.team, self.profile, self.now, self.sheet_zone
        shops = self.shops
        window = profile.row_filter.max_age_days
        only = None if touched is None else frozenset(touched)
        if profile.grain is Grain.SKU:
            rows = project(profile, (), now=now, sheet_zone=zone, skus=sku_cost_views(session, team.id, shops))
        elif profile.grain is Grain.FX_RATE:
            rows = project(profile, (), now=now, sheet_zone=zone, rates=fx.rate_views(session, team))
        elif profile.grain in REPORT_SOURCES:
            reports = report_rows(
                session, team.id, profile, [s.id for s in shops] if self.binding.shop_ids else [], now
            )
            rows = project(profile, (), now=now, sheet_zone=zone, reports=reports)
        elif profile.grain in PURCHASING_SOURCES:
            rows = project(profile, (), now=now, sheet_zone=zone, purchasing=purchases.rows(session, team.id))
        elif profile.grain in WAREHOUSE_SOURCES:
            shop_ids = [s.id for s in shops] if self.binding.shop_ids else []
            warehouse = fulfilment.pack_overlay(
                session,
                team.id,
                stock.warehouse_rows(session, team.id, shop_ids=shop_ids),
                now,
                shop_ids,
                language=i18n.language_of(team, self.binding.spreadsheet),
            )
            rows = project(profile, (), now=now, sheet_zone=zone, warehouse=warehouse)
        else:
            since = now - timedelta(days=window) if window else None
            orders = viewed_orders(session, shops, since, profile.row_filter.statuses, only)
            views = stock.overlay(session, views_of(session, shops, orders))
            views = fulfilment.overlay_orders(session, views, now, {o.id: o for o in orders})
            rows = project(profile, views, now=now, sheet_zone=zone)
        admins = sorted(e for e, r in self.members.items() if r == "admin")
        inputs = {
            c.key: tuple(sorted(e for e, r in self.members.items() if r in c.editable_by))
            for c in profile.columns
            if c.is_input
        }
        binding = self.binding
        sheet_id = (
            binding.sheet_gid if binding.sheet_gid is not None and binding.sheet_gid not in self.taken_ids else None
        )
        salt = 0
        while sheet_id is None or sheet_id in self.taken_ids:
            sheet_id = stable_id(binding.id, binding.tab_title, salt)
            salt += 1
        chart_id = stable_id("chart", binding.id, binding.tab_title)
        return TabSpec(
            binding.tab_title,
            sheet_id,
            profile,
            rows,
            (self.writer.lower(), *admins),
            inputs,
            chart_id,
            only,
            self.lists,
        )


def _plan_tabs(
    session: Session,
    spreadsheet: Spreadsheet,
    sheet: _Read,
    planned: _Planned,
    tabs: Sequence[tuple[SheetBinding, TabState | None, _Tab]],
    *,
    members: Mapping[str, str],
    taken_ids: set[int],
    changed: Mapping[int, frozenset[int]],
    stored: Mapping[int, SheetSnapshot | None],
    owner: str | None,
) -> ListsPlan:
    """Plan the dropdown list tab, then every tab pointing its rows at it; tabs that would take the file past
    Google's 10 million cells (the list tab's counted first) are left out by name."""
    lists = _lists(session, spreadsheet, sheet.tabs, [t for _, _, t in tabs], members=members, taken_ids=taken_ids)
    if lists.layout:
        taken_ids.add(int(lists.layout["sheet_id"]))
        if lists.title.lower() not in sheet.tabs:
            planned.tabs.append(lists.title)  # made by this push: the next one reads it with the others
    sizes: dict[int, tuple[TabPlan, TabState | None, int]] = {}
    for binding, state, tab in tabs:
        tab.lists = lists.refs
        plan = _plan_tab(tab, state, stored[binding.id], planned, changed=changed[binding.id], owner=owner)
        taken_ids.add(plan.sheet_id)
        if state is None:
            planned.tabs.append(binding.tab_title)
        planned.plans[binding.id] = plan
        sizes[binding.id] = (plan, state, len(tab.profile.columns))
    titles = {binding.id: binding.tab_title for binding, _, _ in tabs}
    for binding_id, why in over_cell_limit(_cells(sheet) + lists.cells, sizes).items():
        title = titles[binding_id]
        del planned.plans[binding_id]
        if sizes[binding_id][1] is None:
            planned.tabs.remove(title)  # not created after all
        planned.too_big[binding_id] = (title, f"tab {title!r} was {why}")
    return lists


def _lists(
    session: Session,
    spreadsheet: Spreadsheet,
    tabs: Mapping[str, Any],
    planned: Sequence[_Tab],
    *,
    members: Mapping[str, str],
    taken_ids: set[int],
) -> ListsPlan:
    """The list tab the push's per-row dropdowns point at: every list of the shops its dropdown tabs show
    (nothing when no tab has a dropdown, or no list has choices). Taken from what the shops' logistics
    offer rather than from the rows, so an incremental push points its new rows at the same lists."""
    shops = {s.id for tab in planned if any(c.choices for c in tab.profile.columns) for s in tab.shops}
    language = i18n.language_of(session.get_one(Team, spreadsheet.team_id), spreadsheet)
    offered = logistics.lists(session, logistics.list_keys(session, shops), utcnow(), language)
    wanted = {k: v for k, v in offered.items() if v[1]}
    if not wanted:
        return ListsPlan([], {}, {})
    writer = planned[0].writer
    admins = [e for e, r in members.items() if r == "admin"]
    new_id = stable_id("lists", spreadsheet.id)
    while new_id in taken_ids:
        new_id += 1
    titles = [i18n.tab_titler(other)(LISTS_TITLE) for other in (language, *i18n.LANGUAGES)]
    existing = find_tab(tabs, spreadsheet.lists, titles)
    return plan_lists(
        wanted, spreadsheet.lists, existing, new_sheet_id=new_id, editors=[writer.lower(), *admins], new_title=titles[0]
    )


def _withheld(
    binding: SheetBinding,
    profile: Profile,
    state: TabState | None,
    *,
    misfit: list[str] | None,
    sharing: list[str],
    audience: str,
) -> tuple[str, list[dict[str, Any]]] | None:
    """Why a tab is not written, with the requests clearing what it showed earlier that it may not; or None.

    A profile that does not suit the file's audience is refused for its own tab only; a file shared beyond
    its audience withholds every tab above operational.
    """
    if misfit:  # said in words: the sidebar shows it beside the tab (the keys are in the binding's audit)
        label = role_policy().label(audience)
        why = in_words(
            profile.columns,
            audience,
            role_policy(),
            who=f"its profile “{profile.title}”, in this spreadsheet for {label},",
            fix=f"bind the tab to a profile made for {label}",
        )
        classes: Collection[Sensitivity] = role_policy().hidden_from(audience, profile.sensitivities)
        note = "those columns were cleared"
    elif sharing and profile.sensitivities - {Sensitivity.OPERATIONAL}:
        why, classes = "; ".join(sharing), ABOVE_OPERATIONAL
        note = "its cells above operational written earlier were cleared"
    else:
        return None
    cleared = withdraw_requests(profile, state, classes) if state else []
    return f"nothing was written to tab {binding.tab_title!r}: {why}" + (f" ({note})" if cleared else ""), cleared


def refusal_key(binding: SheetBinding, profile: Profile) -> str:
    """What decides whether a tab fits its spreadsheet, of what OrderDeck can see change: the profile's columns,
    filter and sort, and the shops the tab shows."""
    columns = [c.key for c in profile.columns]
    return digest({"profile": profile.key, "columns": columns, "shape": shape_of(profile), "shops": binding.shop_ids})


def _refusal_holds(session: Session, binding: SheetBinding, now: datetime) -> bool:
    if binding.refused_for is None or binding.refused_at is None or now - binding.refused_at >= REFUSAL_RECHECK:
        return False
    try:
        profile = profile_for(session, binding.spreadsheet.team_id, binding.profile_key)
    except NotFound:
        return False  # the push says so
    return binding.refused_for == refusal_key(binding, profile)


def tabs_to_push(
    session: Session, spreadsheet: Spreadsheet, now: datetime, wanted: Collection[int] = ()
) -> tuple[list[int], set[int]]:
    """The tabs a push of the spreadsheet looks at (the dirty ones and `wanted`), and those of them refused for
    good whose refusal still holds: nothing that decided it changed (`refusal_key`) and it is recent. A push
    does not project those; when they are all it would look at and the file's sharing is not due a check (which
    withdraws what its readers may no longer see, from them too), they are set aside at once and there is no
    push at all: a sweep spends nothing on them. A tab asked for by name is always tried."""
    tabs = [b for b in spreadsheet.bindings if b.dirty or b.id in wanted]
    refused = {b.id for b in tabs if b.id not in wanted and _refusal_holds(session, b, now)}
    checked = spreadsheet.sharing_checked_at
    if len(refused) == len(tabs) and checked is not None and now - checked < SHARING_RECHECK:
        for binding in tabs:
            _set_aside(session, binding)
        return [], set()
    return [b.id for b in tabs], refused


def _set_aside(session: Session, binding: SheetBinding) -> None:
    """A tab refused for good: no longer dirty, its change notes dropped and its snapshot forgotten, so the push
    that finds the refusal lifted projects and writes it whole."""
    binding.dirty, binding.dirty_since = False, None
    session.execute(delete(SheetChange).where(SheetChange.binding_id == binding.id))
    session.execute(delete(SheetSnapshot).where(SheetSnapshot.binding_id == binding.id))


def _tab_state(sheet: dict[str, Any] | None, keys: tuple[str, ...]) -> TabState | None:
    if sheet is None:
        return None
    props = sheet["properties"]
    grid = props.get("gridProperties", {})
    return TabState(
        sheet_id=int(props["sheetId"]),
        row_count=int(grid.get("rowCount", 0)),
        column_count=int(grid.get("columnCount", 0)),
        frozen_rows=int(grid.get("frozenRowCount", 0)),
        keys=keys,
        protected_ranges=tuple(sheet.get("protectedRanges", [])),
        conditional_formats=tuple(sheet.get("conditionalFormats", [])),
        chart_ids=frozenset(int(c["chartId"]) for c in sheet.get("charts", [])),
    )


def rewrite_rows(session: Session, binding: SheetBinding, keys: Iterable[str]) -> None:
    """Forget what was written in these rows, so the next push writes them whole (inputs kept unless known)."""
    stored = session.get(SheetSnapshot, binding.id)
    owners: set[int] | None = set()
    if stored is not None:
        snapshot = _snapshot(stored)
        rows = dict(snapshot.rows.stored)
        for key in set(keys) & rows.keys():
            memo = snapshot.rows[key]
            rows[key] = "" if memo.rank is None else Memo("", memo.owner, memo.rank).encode()
            if owners is not None and memo.owner is not None:
                owners.add(memo.owner)
            else:
                owners = None  # remembered before owners were kept: re-read every order
        stored.rows = rows
    binding.dirty, binding.dirty_since = True, utcnow()
    sheet_changes.note(session, [binding.id], owners)


def _save_snapshot(
    session: Session, binding: SheetBinding, plan: TabPlan, *, shape: str, now: datetime, rebuilt: bool
) -> None:
    """Store what the tab now holds: one UPDATE (the old snapshot is not read back, let alone compared)."""
    doc = plan.snapshot.to_json()
    values: dict[str, Any] = {
        "layout": doc["layout"],
        "rows": doc["rows"],
        "owners": doc["owners"],
        "keys": doc["keys"],
        "row_count": len(doc["rows"]),
        "written_at": utcnow(),
        "shape": shape,
        "projected_at": now,
        "ordered": plan.snapshot.order,
        **({"rebuilt_at": now} if rebuilt else {}),
    }
    saved = session.execute(update(SheetSnapshot).where(SheetSnapshot.binding_id == binding.id).values(**values))
    if not cast("CursorResult[Any]", saved).rowcount:
        session.add(SheetSnapshot(binding_id=binding.id, **values))
    binding.sheet_gid = plan.sheet_id
    binding.last_pushed_at, binding.last_push_error = utcnow(), None


# -- entry points for tasks, the CLI and other services ---------------------------------------------
def forget_sharing(db: Database, google_id: str) -> None:
    """Have the file's next push read its sharing again: someone's access changed since it was read."""
    with db.session() as session:
        session.execute(update(Spreadsheet).where(Spreadsheet.google_id == google_id).values(sharing_checked_at=None))


def push_budget(db: Database, identity: WriterIdentity, team_id: int, max_wait: float = 120.0) -> SheetsBudget:
    """The team's Sheets budget as pushes spend it: never the quarter of the write quota left to binds and edits,
    and spread over the minute (SheetsBudget.pace)."""
    return limits.sheets_budget(db, identity, team_id, max_wait=max_wait, keep=PUSH_KEEPS, pace=True)


def pusher() -> Pusher:
    """A Pusher for the current app (inside an app context)."""
    return Pusher(runtime.database(), runtime.config(), runtime.secret_box())


def push_binding(p: Pusher, binding_id: int) -> PushResult:
    """Push a binding's spreadsheet: this tab and every other dirty tab in it, in one write."""
    with p.db.session() as session:
        binding = session.get(SheetBinding, binding_id)
        if binding is None:
            raise NotFound(Phrase("no sheet binding {binding}", binding=binding_id))
        spreadsheet_id = binding.spreadsheet_id
    return p.push_spreadsheet(spreadsheet_id, [binding_id])


def push_dirty(p: Pusher, google_id: str | None = None) -> list[PushResult | OrderDeckError]:
    """Push every spreadsheet with dirty bindings (or only `google_id`, all its tabs); one failure stops no other."""
    with p.db.session() as session:
        query = select(Spreadsheet.id, Spreadsheet.google_id)
        if google_id is None:
            query = query.where(Spreadsheet.id.in_(select(SheetBinding.spreadsheet_id).where(SheetBinding.dirty)))
        else:
            query = query.where(Spreadsheet.google_id == google_id)
        targets = list(session.execute(query.order_by(Spreadsheet.id)))
        if google_id is not None and not targets:
            raise NotFound(Phrase("spreadsheet {spreadsheet} has no bound tabs", spreadsheet=google_id))
        every = {
            sid: list(session.scalars(select(SheetBinding.id).where(SheetBinding.spreadsheet_id == sid)))
            for sid, _ in targets
        }
    results: list[PushResult | OrderDeckError] = []
    for spreadsheet_id, _ in targets:
        try:
            results.append(p.push_spreadsheet(spreadsheet_id, every[spreadsheet_id] if google_id else None))
        except OrderDeckError as exc:
            log.warning("push of spreadsheet %s failed: %s", spreadsheet_id, exc.message)
            results.append(exc)
    return results


def writer_identity(team: Team) -> str:
    """The Google identity that writes this team's sheets (the sidebar shows it: share files with it)."""
    session = object_session(team)
    if session is None:
        raise ValueError("team must be attached to a session")
    return identity_email(session, team.id, runtime.config())
