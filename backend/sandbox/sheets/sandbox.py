"""The Sheets + Drive sandbox state: a plain object tests and the demo drive directly, and that the
WSGI app (`app.py`) serves over HTTP."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from backend.sandbox.google_identity import GoogleIdentity, Principal
from backend.sandbox.sheets import drive, render, requests, values
from backend.sandbox.sheets.app import build_app
from backend.sandbox.sheets.context import Context
from backend.sandbox.sheets.errors import denied, not_found
from backend.sandbox.sheets.model import ROLE_RANK, DriveFile, Permission, ShareEmail, Spreadsheet
from backend.sandbox.sheets.observability import Fault, LoggedRequest
from backend.sandbox.sheets.quotas import QuotaLimits, Quotas

T = TypeVar("T")
Say = Callable[[str], str]  # gettext for the viewer's language: the words the page shows around the cells


@dataclass
class SheetsSandbox:
    """Spreadsheets, their Drive files and sharing, quotas, faults and the request log."""

    identity: GoogleIdentity
    quota_limits: QuotaLimits = field(default_factory=QuotaLimits)
    base_url: str = "http://127.0.0.1"
    spreadsheets: dict[str, Spreadsheet] = field(default_factory=dict)
    files: dict[str, DriveFile] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    log: list[LoggedRequest] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    faults: list[Fault] = field(default_factory=list)
    latency: float = 0.0  # seconds every call waits before it is served (Google's round trip, for load tests)
    share_emails: list[ShareEmail] = field(default_factory=list)  # what Drive would have e-mailed about shares

    def __post_init__(self) -> None:
        self.clock = self.identity.clock
        self.quotas = Quotas(self.clock, self.quota_limits)
        self.lock = threading.RLock()
        self.app = build_app(self)

    # -- endpoints ----------------------------------------------------------------------------
    def bind(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    @property
    def sheets_endpoint(self) -> str:
        """`client_options={"api_endpoint": ...}` for build("sheets", "v4")."""
        return self.base_url + "/"

    @property
    def drive_endpoint(self) -> str:
        """For build("drive", "v3"): api_endpoint replaces rootUrl+servicePath, so it carries `drive/v3/`."""
        return self.base_url + "/drive/v3/"

    # -- direct API for tests and the demo -----------------------------------------------------
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock.now(), dt.UTC)

    def create_spreadsheet(
        self,
        owner: str,
        title: str = "Untitled spreadsheet",
        *,
        sheets: list[str] | None = None,
        time_zone: str = "Etc/GMT",
        client_id: str = "sandbox",
        spreadsheet_id: str | None = None,
    ) -> Spreadsheet:
        body: dict[str, Any] = {"properties": {"title": title, "timeZone": time_zone}}
        if sheets:
            body["sheets"] = [{"properties": {"title": name}} for name in sheets]
        return self.create(owner, client_id, body, spreadsheet_id)

    def create(
        self, owner: str, client_id: str, body: dict[str, Any], spreadsheet_id: str | None = None
    ) -> Spreadsheet:
        spreadsheet_id = spreadsheet_id or secrets.token_urlsafe(33)[:44]
        props = {
            "title": "Untitled spreadsheet",
            "locale": "en_US",
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Etc/GMT",
            **body.get("properties", {}),
        }
        ss = Spreadsheet(id=spreadsheet_id, properties=props, sheets=[])
        ctx = Context(ss, owner, client_id, owner, self.now())
        for sheet in body.get("sheets") or [{"properties": {}}]:
            requests.new_sheet(ctx, sheet.get("properties", {}))
        with self.lock:
            self.spreadsheets[ss.id] = ss
            self.files[ss.id] = drive.new_file(ss.id, str(props["title"]), drive.SPREADSHEET_MIME, owner, client_id)
        return ss

    def share(
        self,
        file_id: str,
        role: str,
        *,
        email: str | None = None,
        kind: str = "user",
        domain: str | None = None,
        discoverable: bool = False,
    ) -> Permission:
        body = {"type": kind, "role": role, "emailAddress": email, "domain": domain, "allowFileDiscovery": discoverable}
        with self.lock:
            return drive.add_permission(self.file(file_id), body, {"transferOwnership": role == "owner"})

    def unshare(self, file_id: str, permission_id: str) -> None:
        with self.lock:
            drive.remove_permission(self.file(file_id), permission_id)

    def add_group(self, group: str, members: list[str]) -> None:
        self.groups[group.lower()] = {m.lower() for m in members}

    def role_of(self, file_id: str, email: str) -> str | None:
        return drive.role_of(self.file(file_id), email, self.groups)

    def values(
        self,
        spreadsheet_id: str,
        range_text: str,
        *,
        as_user: str | None = None,
        render_option: str = "FORMATTED_VALUE",
    ) -> list[list[Any]]:
        """What a user sees in a range (checks read access when `as_user` is given)."""
        caller = as_user or self.file(spreadsheet_id).owner
        result = self.run(
            spreadsheet_id,
            caller,
            "sandbox",
            "reader",
            lambda ctx: values.read(ctx, range_text, {"valueRenderOption": render_option}),
        )
        rows: list[list[Any]] = result.get("values", [])
        return rows

    def cell(self, spreadsheet_id: str, a1_cell: str, *, as_user: str | None = None) -> Any:
        rows = self.values(spreadsheet_id, a1_cell, as_user=as_user)
        return rows[0][0] if rows and rows[0] else ""

    def dropdown(self, spreadsheet_id: str, tab: str, row: int, column: int) -> list[str] | None:
        """The choices a person sees in a cell's dropdown (1-based row and column), as Sheets shows them:
        a list rule's values, or a range rule's non-empty cells; None when the cell has no dropdown."""
        with self.lock:
            book = self.spreadsheets[spreadsheet_id]
            sheet = book.sheet_by_title(tab)
            rule = (sheet.cells.get((row - 1, column - 1), {}) if sheet else {}).get("dataValidation")
            if not rule:
                return None
            condition = rule.get("condition", {})
            given = [str(v.get("userEnteredValue", "")) for v in condition.get("values", [])]
            if condition.get("type") == "ONE_OF_LIST":
                return given
            if condition.get("type") != "ONE_OF_RANGE" or not given:
                return None
        rows = self.values(spreadsheet_id, given[0].lstrip("="))
        return [str(cell) for line in rows for cell in line if str(cell).strip()]

    def html(
        self,
        spreadsheet_id: str,
        *,
        as_user: str | None = None,
        tab: str | None = None,
        say: Callable[[str], str] = str,
    ) -> str:
        """The spreadsheet as `as_user` sees it in Sheets, showing `tab` (default: the first), its own words said
        by `say` (gettext for the viewer's language)."""
        caller = as_user or self.file(spreadsheet_id).owner
        return self.run(spreadsheet_id, caller, "sandbox", "reader", lambda ctx: render.spreadsheet_html(ctx, tab, say))

    def inject_fault(
        self, status: int, count: int = 1, *, path_contains: str = "", after_commit: bool = False, delay: float = 0.0
    ) -> None:
        """Make the next `count` requests whose path contains `path_contains` fail with `status`."""
        with self.lock:
            self.faults.append(Fault(status, count, path_contains, after_commit, delay))

    def requests_for(self, operation: str) -> list[LoggedRequest]:
        return [r for r in self.log if r.operation == operation]

    # -- core ---------------------------------------------------------------------------------
    def file(self, file_id: str) -> DriveFile:
        found = self.files.get(file_id)
        if found is None:
            raise not_found()
        return found

    def run(self, spreadsheet_id: str, caller: str, client_id: str, need: str, fn: Callable[[Context], T]) -> T:
        """Run `fn` on a working copy; a writer's successful change replaces the spreadsheet atomically."""
        with self.lock:
            ss = self.spreadsheets.get(spreadsheet_id)
            if ss is None:
                raise not_found()
            role = self.role_of(spreadsheet_id, caller)
            if role is None or ROLE_RANK[role] < ROLE_RANK[need]:
                raise denied()
            working = ss.clone() if need == "writer" else ss
            ctx = Context(
                working,
                caller,
                client_id,
                self.file(spreadsheet_id).owner,
                self.now(),
                member_of=lambda group, email: email.lower() in self.groups.get(group.lower(), set()),
            )
            result = fn(ctx)
            if need == "writer":
                self.spreadsheets[spreadsheet_id] = working
                self.files[spreadsheet_id].name = str(working.properties.get("title", ""))
            return result

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path_contains in path:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def principal(self, token: str) -> Principal | None:
        return self.identity.tokens.principal_for(token)
