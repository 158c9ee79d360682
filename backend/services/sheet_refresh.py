"""Push bound tabs: project each binding's orders through its profile, diff against the sheet, write once.

One push of a spreadsheet reads its grid and key columns (two Sheets reads, plus the Drive permissions
list for the sharing guard, read afresh per push) and sends every tab's changes in one `spreadsheets.batchUpdate`,
split only when a first fill passes the 2 MB guidance. A lease per spreadsheet keeps two processes from
pushing the same file at once; the dirty flag is cleared only for changes the push actually saw.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, object_session

from backend import i18n, runtime
from backend.catalog import role_policy
from backend.config import Config
from backend.db import Database
from backend.domain.a1 import quote_sheet
from backend.domain.access import Sensitivity
from backend.domain.columns import Grain
from backend.domain.profiles import REPORT_SOURCES, WAREHOUSE_SOURCES, Profile, project, visibility_problems
from backend.domain.sheet_plan import (
    ABOVE_OPERATIONAL,
    Snapshot,
    TabPlan,
    TabSpec,
    TabState,
    over_cell_limit,
    plan_tab,
    split_bodies,
    stable_id,
    withdraw_requests,
)
from backend.errors import NotFound, OrderDeckError, RateLimited
from backend.models import Member, SheetBinding, SheetSnapshot, Shop, Spreadsheet, Team, shows_shop, utcnow
from backend.secrets import SecretBox
from backend.services import fx, leases, limits, stock
from backend.services.bindings import profile_for
from backend.services.report_tabs import report_rows
from backend.services.views import order_views, sku_cost_views, team_shops
from backend.sheets.google import GoogleClients, clients, identity_email, writer_for
from backend.sheets.guard import SharingCache, sharing_problems
from backend.sheets.writer import Backoff, Caller, RetryableWriteFailed

log = logging.getLogger(__name__)
LEASE_TTL = timedelta(minutes=10)
REPLANS = 3
META_FIELDS = (
    "properties(title,timeZone,autoRecalc),"
    "sheets(properties(sheetId,title,gridProperties(rowCount,columnCount,frozenRowCount)),protectedRanges,conditionalFormats,charts(chartId))"
)
SHARING = SharingCache()  # per process; emptied per file at each push, so only a push's re-plans share it


@dataclass
class TabResult:
    binding_id: int
    tab: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    skipped: str | None = None
    cut: int = 0  # cells whose text was cut to fit a cell, with a marker saying so
    unwritten: list[str] = field(default_factory=list)  # rows left out, each with why


@dataclass
class PushResult:
    spreadsheet: str
    writer: str
    reads: int = 0
    writes: int = 0
    bytes_sent: int = 0
    budget_waits: int = 0  # Sheets requests that waited for a later window of the shared budget
    tabs: list[TabResult] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "spreadsheet": self.spreadsheet,
            "writer": self.writer,
            "reads": self.reads,
            "writes": self.writes,
            "bytes": self.bytes_sent,
            "budget_waits": self.budget_waits,
            "tabs": [t.__dict__ for t in self.tabs],
        }


@dataclass
class _Planned:
    google_id: str
    title: str
    time_zone: str
    problems: list[str] = field(default_factory=list)
    plans: dict[int, TabPlan] = field(default_factory=dict)
    skipped: dict[int, tuple[str, str]] = field(default_factory=dict)
    too_big: dict[int, tuple[str, str]] = field(default_factory=dict)  # tabs left out to stay under 10M cells
    requests: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Pusher:
    """What a push needs besides the database: settings, secrets, and (for tests) backoff and cache."""

    db: Database
    config: Config
    secrets: SecretBox
    backoff: Backoff = field(default_factory=Backoff)
    sharing: SharingCache = field(default_factory=lambda: SHARING)
    budget_wait: float = 120.0

    def push_spreadsheet(self, spreadsheet_id: int, binding_ids: Sequence[int] | None = None) -> PushResult:
        """Push the spreadsheet's dirty bindings (and `binding_ids`) in one write; safe from several processes."""
        with leases.held(self.db, f"sheet-push:{spreadsheet_id}", leases.new_holder(), LEASE_TTL):
            started = utcnow()
            with self.db.session() as session:
                spreadsheet = session.get(Spreadsheet, spreadsheet_id)
                if spreadsheet is None:
                    raise NotFound(f"no spreadsheet {spreadsheet_id}")
                wanted = set(binding_ids or ())
                bindings = [b for b in spreadsheet.bindings if b.dirty or b.id in wanted]
                identity = writer_for(session, spreadsheet.team_id, self.config, self.secrets)
            budget = limits.sheets_budget(self.db, identity, spreadsheet.team_id, max_wait=self.budget_wait)
            caller = Caller(identity.email, budget, self.backoff)
            google = clients(self.config, identity)
            result = PushResult(spreadsheet.google_id, identity.email)
            if not bindings:
                return result
            self.sharing.forget(spreadsheet.google_id)  # sharing changes: check it afresh on every push
            try:
                for attempt in range(REPLANS):
                    try:
                        self._push_once(
                            caller,
                            google,
                            spreadsheet_id=spreadsheet_id,
                            binding_ids=[b.id for b in bindings],
                            started=started,
                            result=result,
                        )
                        break
                    except RetryableWriteFailed:
                        if attempt == REPLANS - 1:
                            raise
                        self.backoff.sleep(self.backoff.delay(attempt))
            except OrderDeckError as exc:
                self._record_failure([b.id for b in bindings], exc.message)
                raise
            finally:
                result.reads, result.writes = caller.reads, caller.writes
                result.budget_waits = caller.budget.waits
            return result

    def _push_once(
        self,
        caller: Caller,
        google: GoogleClients,
        *,
        spreadsheet_id: int,
        binding_ids: list[int],
        started: datetime,
        result: PushResult,
    ) -> None:
        """Read and plan in one session, write with no transaction open (the budget writes too), then save."""
        with self.db.session() as session:
            planned = self._plan(session, caller, google, spreadsheet_id, binding_ids)
        for body in split_bodies(planned.requests):
            result.bytes_sent += len(json.dumps(body, separators=(",", ":")))
            caller.write(
                google.sheets.spreadsheets().batchUpdate(spreadsheetId=planned.google_id, body=body),
                f"write spreadsheet {planned.google_id}",
                retry=False,
            )
        with self.db.session() as session:
            spreadsheet = session.get_one(Spreadsheet, spreadsheet_id)
            spreadsheet.title, spreadsheet.time_zone = planned.title, planned.time_zone
            spreadsheet.sharing_checked_at = utcnow()
            spreadsheet.sharing_problem = "; ".join(planned.problems)[:1024] or None
            for binding_id, (tab, message) in planned.skipped.items():
                session.get_one(SheetBinding, binding_id).last_push_error = message[:2048]
                # Forget what the tab showed: once sharing is fixed, the next push rewrites it whole.
                session.execute(delete(SheetSnapshot).where(SheetSnapshot.binding_id == binding_id))
                result.tabs.append(TabResult(binding_id, tab, skipped=message))
            for binding_id, (tab, message) in planned.too_big.items():
                session.get_one(SheetBinding, binding_id).last_push_error = message[:2048]
                result.tabs.append(TabResult(binding_id, tab, skipped=message))
            for binding_id, plan in planned.plans.items():
                binding = session.get_one(SheetBinding, binding_id)
                _save_snapshot(session, binding, plan, started)
                if plan.unwritten:
                    binding.last_push_error = "; ".join(plan.unwritten)[:2048]
                written = TabResult(binding_id, binding.tab_title, plan.added, plan.changed, plan.removed)
                written.cut, written.unwritten = plan.cut, plan.unwritten
                result.tabs.append(written)

    def _plan(
        self, session: Session, caller: Caller, google: GoogleClients, spreadsheet_id: int, binding_ids: list[int]
    ) -> _Planned:
        spreadsheet = session.get_one(Spreadsheet, spreadsheet_id)
        team = session.get_one(Team, spreadsheet.team_id)
        members = {m.email.lower(): m.role for m in session.scalars(select(Member).where(Member.team_id == team.id))}
        bindings = [session.get_one(SheetBinding, i) for i in binding_ids]
        language = i18n.language_of(team, spreadsheet)
        profiles = {b.id: i18n.localized(profile_for(session, team.id, b.profile_key), language) for b in bindings}
        google_id = spreadsheet.google_id
        meta = caller.read(
            google.sheets.spreadsheets().get(spreadsheetId=google_id, fields=META_FIELDS),
            f"open spreadsheet {google_id}",
        )
        properties = meta.get("properties", {})
        planned = _Planned(google_id, str(properties.get("title", "")), str(properties.get("timeZone") or "UTC"))
        sharing = self.sharing.get(caller, google.drive, google_id)
        audience = spreadsheet.audience_role
        # A tab whose profile no longer suits the file's audience (a column reclassified, a profile redefined
        # before that was refused) is refused by name; it must not widen what the sharing check asks of the
        # file's readers, or the file's other, legitimate tabs would be withheld with it.
        misfits = {
            b.id: problems
            for b in bindings
            if (problems := visibility_problems(profiles[b.id].columns, audience, role_policy()))
        }
        shown = {s for b in bindings if b.id not in misfits for s in profiles[b.id].sensitivities}
        planned.problems = sharing_problems(
            sharing.permissions,
            shown,
            members=members,
            policy=role_policy(),
            writer=caller.identity,
            team_name=team.name,
        )
        tabs = {str(s["properties"]["title"]).lower(): s for s in meta.get("sheets", [])}
        keys = self._read_keys(caller, google.sheets, google_id, [b.tab_title for b in bindings], tabs)
        taken_ids = {int(s["properties"]["sheetId"]) for s in tabs.values()}
        sizes: dict[int, tuple[TabPlan, TabState | None, int]] = {}
        withdrawn: list[dict[str, Any]] = []
        for binding in bindings:
            profile = profiles[binding.id]
            state = _tab_state(tabs.get(binding.tab_title.lower()), keys.get(binding.tab_title.lower(), ()))
            withheld = _withheld(
                binding, profile, state, misfit=misfits.get(binding.id), sharing=planned.problems, audience=audience
            )
            if withheld is not None:
                planned.skipped[binding.id] = (binding.tab_title, withheld[0])
                withdrawn += withheld[1]
                continue
            spec = self._spec(
                session,
                team,
                binding,
                profile,
                members=members,
                writer=caller.identity,
                sheet_zone=planned.time_zone,
                taken_ids=taken_ids,
            )
            taken_ids.add(spec.sheet_id)
            stored = session.get(SheetSnapshot, binding.id)
            snapshot = Snapshot.from_json({"layout": stored.layout, "rows": stored.rows} if stored else None)
            plan = plan_tab(spec, state, snapshot, sharing.owner)
            planned.plans[binding.id] = plan
            sizes[binding.id] = (plan, state, len(profile.columns))
        current_cells = sum(
            int(s["properties"]["gridProperties"].get("rowCount", 0))
            * int(s["properties"]["gridProperties"].get("columnCount", 0))
            for s in tabs.values()
        )
        titles = {b.id: b.tab_title for b in bindings}
        for binding_id, why in over_cell_limit(current_cells, sizes).items():
            del planned.plans[binding_id]
            planned.too_big[binding_id] = (titles[binding_id], f"tab {titles[binding_id]!r} was {why}")
        planned.requests = [r for plan in planned.plans.values() for r in plan.requests] + withdrawn
        live = any(any(c.key == "sla_countdown" for c in profiles[b].columns) for b in planned.plans)
        if planned.requests and live and properties.get("autoRecalc") != "MINUTE":
            recalc = {"properties": {"autoRecalc": "MINUTE"}, "fields": "autoRecalc"}
            planned.requests.insert(0, {"updateSpreadsheetProperties": recalc})
        return planned

    def _read_keys(
        self, caller: Caller, sheets: Any, google_id: str, titles: list[str], tabs: dict[str, Any]
    ) -> dict[str, tuple[str, ...]]:
        """The key column (A, from row 2 down) of every existing bound tab, in one read."""
        present = [t for t in titles if t.lower() in tabs]
        if not present:
            return {}
        ranges = [f"{quote_sheet(str(tabs[t.lower()]['properties']['title']))}!A2:A" for t in present]
        reply = caller.read(
            sheets.spreadsheets()
            .values()
            .batchGet(
                spreadsheetId=google_id, ranges=ranges, majorDimension="COLUMNS", valueRenderOption="UNFORMATTED_VALUE"
            ),
            f"read the key columns of {google_id}",
        )
        found = {}
        for title, value_range in zip(present, reply.get("valueRanges", []), strict=False):
            column = (value_range.get("values") or [[]])[0]
            found[title.lower()] = tuple("" if v is None else str(v) for v in column)
        return found

    def _spec(
        self,
        session: Session,
        team: Team,
        binding: SheetBinding,
        profile: Profile,
        *,
        members: dict[str, str],
        writer: str,
        sheet_zone: str,
        taken_ids: set[int],
    ) -> TabSpec:
        now = utcnow()
        shop_ids = [int(s) for s in binding.shop_ids]
        shops = team_shops(session, team.id, shop_ids)
        window = profile.row_filter.max_age_days
        if profile.grain is Grain.SKU:
            rows = project(profile, (), now=now, sheet_zone=sheet_zone, skus=sku_cost_views(session, team.id, shops))
        elif profile.grain is Grain.FX_RATE:
            rows = project(profile, (), now=now, sheet_zone=sheet_zone, rates=fx.rate_views(session, team))
        elif profile.grain in REPORT_SOURCES:
            reports = report_rows(session, team.id, profile, shop_ids, now)
            rows = project(profile, (), now=now, sheet_zone=sheet_zone, reports=reports)
        elif profile.grain in WAREHOUSE_SOURCES:
            warehouse = stock.warehouse_rows(session, team.id)
            rows = project(profile, (), now=now, sheet_zone=sheet_zone, warehouse=warehouse)
        else:
            since = now - timedelta(days=window) if window else None
            views = stock.overlay(session, team.id, order_views(session, shops, since, profile.row_filter.statuses))
            rows = project(profile, views, now=now, sheet_zone=sheet_zone)
        admins = sorted(e for e, r in members.items() if r == "admin")
        inputs = {
            c.key: tuple(sorted(e for e, r in members.items() if r in c.editable_by))
            for c in profile.columns
            if c.is_input
        }
        sheet_id = binding.sheet_gid if binding.sheet_gid is not None and binding.sheet_gid not in taken_ids else None
        salt = 0
        while sheet_id is None or sheet_id in taken_ids:
            sheet_id = stable_id(binding.id, binding.tab_title, salt)
            salt += 1
        chart_id = stable_id("chart", binding.id, binding.tab_title)
        return TabSpec(binding.tab_title, sheet_id, profile, rows, (writer.lower(), *admins), inputs, chart_id)

    def _record_failure(self, binding_ids: list[int], message: str) -> None:
        with self.db.session() as session:
            session.execute(
                update(SheetBinding).where(SheetBinding.id.in_(binding_ids)).values(last_push_error=message[:2048])
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
    if misfit:
        why = (
            f"its profile {profile.key!r} shows what the readers of this {audience} spreadsheet may not see ("
            + "; ".join(misfit)
            + f"); bind the tab to a profile for the {audience} audience"
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
    if stored is not None:
        forget = set(keys)
        stored.rows = {k: v for k, v in stored.rows.items() if k not in forget}
    binding.dirty, binding.dirty_since = True, utcnow()


def _save_snapshot(session: Session, binding: SheetBinding, plan: TabPlan, started: datetime) -> None:
    doc = plan.snapshot.to_json()
    row = session.get(SheetSnapshot, binding.id)
    if row is None:
        row = SheetSnapshot(binding_id=binding.id, layout="", rows={})
        session.add(row)
    row.layout, row.rows, row.positions = doc["layout"], doc["rows"], doc["positions"]
    row.row_count, row.written_at = len(doc["rows"]), utcnow()
    binding.sheet_gid = plan.sheet_id
    binding.last_pushed_at, binding.last_push_error = utcnow(), None
    if binding.dirty_since is None or binding.dirty_since <= started:
        binding.dirty, binding.dirty_since = False, None  # a change marked during the push keeps it dirty


# -- entry points for tasks, the CLI and other services ---------------------------------------------
def pusher() -> Pusher:
    """A Pusher for the current app (inside an app context)."""
    return Pusher(runtime.database(), runtime.config(), runtime.secret_box())


def push_binding(p: Pusher, binding_id: int) -> PushResult:
    """Push a binding's spreadsheet: this tab and every other dirty tab in it, in one write."""
    with p.db.session() as session:
        binding = session.get(SheetBinding, binding_id)
        if binding is None:
            raise NotFound(f"no sheet binding {binding_id}")
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
            raise NotFound(f"spreadsheet {google_id} has no bound tabs")
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


# Sharing changes without any order changing: a spreadsheet not checked for this long is pushed
# anyway, which reads its Drive permissions and withdraws what its readers may no longer see.
SHARING_RECHECK = timedelta(minutes=15)


def dirty_binding_ids(db: Database, now: datetime | None = None) -> list[int]:
    """Bindings to push: the dirty ones, after marking every tab of a spreadsheet due a sharing re-check.

    A re-check push with nothing changed writes nothing; when the sharing turned unsafe it withdraws
    what the file's readers may no longer see.
    """
    now = now or utcnow()
    with db.session() as session:
        due = select(Spreadsheet.id).where(
            Spreadsheet.sharing_checked_at.is_(None) | (Spreadsheet.sharing_checked_at < now - SHARING_RECHECK)
        )
        session.execute(
            update(SheetBinding)
            .where(SheetBinding.spreadsheet_id.in_(due), SheetBinding.dirty.is_(False))
            .values(dirty=True, dirty_since=now)
        )
        return list(session.scalars(select(SheetBinding.id).where(SheetBinding.dirty).order_by(SheetBinding.id)))


def team_dirty_binding_ids(db: Database, team_id: int) -> list[int]:
    """The team's dirty bindings: what its edits push at once, so one team's typing sets off only its own
    pushes (and spends only its own `push.team` limit), never a sweep of every team's tabs."""
    with db.session() as session:
        return list(
            session.scalars(
                select(SheetBinding.id)
                .join(Spreadsheet)
                .where(Spreadsheet.team_id == team_id, SheetBinding.dirty)
                .order_by(SheetBinding.id)
            )
        )


PROMPT_PUSH_INTERVAL = timedelta(seconds=15)


def prompt_binding_ids(db: Database, shop_id: int, now: datetime | None = None) -> list[int]:
    """Dirty bindings showing this shop that were not pushed in the last PROMPT_PUSH_INTERVAL.

    They are pushed as soon as the shop's changes are stored, so a new order reaches the sheet in
    seconds rather than at the next sweep; the interval keeps a burst of changes from spending the
    identity's Sheets quota push by push (the minute's sweep writes what the interval held back).
    """
    now = now or utcnow()
    with db.session() as session:
        rows = session.execute(
            select(SheetBinding.id, SheetBinding.shop_ids)
            .join(Spreadsheet)
            .join(Shop, Shop.team_id == Spreadsheet.team_id)
            .where(Shop.id == shop_id, SheetBinding.dirty)
            .where(SheetBinding.last_pushed_at.is_(None) | (SheetBinding.last_pushed_at < now - PROMPT_PUSH_INTERVAL))
            .order_by(SheetBinding.id)
        ).all()
    return [binding_id for binding_id, shops in rows if shows_shop(shops, shop_id)]


# A push task that would wait longer than this for the Sheets budget gives its thread back instead: the tab
# stays dirty for the next sweep, and a team past its share cannot fill the server's threads with waiting.
TASK_BUDGET_WAIT = 2.0


def run_push(binding_id: int) -> dict[str, Any]:
    """The /tasks/push-binding/<id> body: push, or report why not now — another worker is pushing the file,
    the team has pushed as often as its limit allows this minute, or its share of the Sheets budget is
    spent for now (the tab stays dirty for the next sweep)."""
    p = pusher()
    p.budget_wait = TASK_BUDGET_WAIT
    try:
        with p.db.session() as session:
            team_id = session.scalar(
                select(Spreadsheet.team_id).join(SheetBinding).where(SheetBinding.id == binding_id)
            )
        if team_id is not None:
            limits.spend(p.db, "push", team_id=team_id)
        return push_binding(p, binding_id).summary()
    except (leases.LeaseHeld, RateLimited) as exc:
        return {"skipped": exc.message}


def writer_identity(team: Team) -> str:
    """The Google identity that writes this team's sheets (the sidebar shows it: share files with it)."""
    session = object_session(team)
    if session is None:
        raise ValueError("team must be attached to a session")
    return identity_email(session, team.id, runtime.config())
