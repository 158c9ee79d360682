"""The demo page: each audience's spreadsheet as its members see it, next to the real add-on sidebar.

The grid is the Sheets sandbox's own rendering (formats applied, protected ranges shaded, the SLA
countdown evaluated against NOW() on every refresh), read as the member picked at the top: a member
outside a spreadsheet's audience gets Google's "no access", as they would. The sidebar is
appsscript/Sidebar.html with its include() partials pasted in, as HtmlService does, and a
`google.script.run` shim: each server function the sidebar calls runs here as Menu.gs, Bind.gs and
Triggers.gs would run in Apps Script — the same backend calls with the member's Google ID token,
minted by the identity sandbox. Nothing on the page loads from outside this server.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from flask import Flask, Response, abort, jsonify, request
from flask.typing import ResponseReturnValue

from backend import i18n
from backend.config import PROJECT_ROOT, Config
from backend.sandbox.sheets import GoogleSandboxes
from backend.sandbox.sheets.errors import ApiError

if TYPE_CHECKING:
    from backend.demo.world import World

ADDON_DIR = PROJECT_ROOT / "appsscript"
HERE = Path(__file__).parent
INCLUDE = re.compile(r"<\?!=\s*include\('([A-Za-z0-9_]+)'\);?\s*\?>")
TEXT = re.compile(r">([^<>]+)<")  # a page's text between two tags
SPREADSHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
CHALLENGE_METADATA_ID = 424242
REFRESH_SECONDS = 3


class Host(Protocol):
    """What the sidebar's server functions need: the Google sandboxes, the backend's settings and address
    (the demo's World, or a test's own backend)."""

    @property
    def google(self) -> GoogleSandboxes: ...

    @property
    def config(self) -> Config: ...

    @property
    def backend_url(self) -> str: ...


@dataclass
class Call:
    """One google.script.run call: who makes it, from which spreadsheet, with which arguments."""

    world: Host
    email: str
    spreadsheet_id: str
    args: list[Any]
    teams: dict[str, str]  # member → team chosen in the sidebar (Apps Script keeps it in user properties)

    def arg(self, index: int, default: Any = None) -> Any:
        return self.args[index] if len(self.args) > index and self.args[index] is not None else default

    def api(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Api.gs's api_(): the backend call with this member's identity token; errors in the backend's words."""
        token = self.world.google.identity.mint_id_token(self.world.config.ADDON_AUDIENCE, self.email)
        headers = {"Authorization": f"Bearer {token}"}
        if self.email in self.teams:
            headers["X-OrderDeck-Team"] = self.teams[self.email]
        url = self.world.backend_url + path
        params = {k: v for k, v in (payload or {}).items() if v not in (None, "")} if method == "get" else None
        body = None if method == "get" else payload or {}
        response = httpx.request(method.upper(), url, params=params, json=body, headers=headers, timeout=60)
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = None
        if response.is_success and answer is not None:
            return answer
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict) and answer["error"].get("message"):
            raise SidebarError(str(answer["error"]["message"]))
        raise SidebarError(f"OrderDeck answered {response.status_code}: {response.text[:200]}")

    def tabs(self) -> list[str]:
        with self.world.google.sheets.lock:
            return [sheet.title for sheet in self.world.google.sheets.spreadsheets[self.spreadsheet_id].sheets]

    def sheets_batch_update(self, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """A spreadsheet change made as the member, through the Sheets API (what SpreadsheetApp does)."""
        sandbox = self.world.google
        token = sandbox.identity.issue_access_token(self.email, [SPREADSHEETS_SCOPE])
        response = httpx.post(
            f"{sandbox.sheets.base_url}/v4/spreadsheets/{self.spreadsheet_id}:batchUpdate",
            json={"requests": requests},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if not response.is_success:
            raise SidebarError(str(response.json().get("error", {}).get("message", response.text[:200])))
        reply: dict[str, Any] = response.json()
        return reply


class SidebarError(Exception):
    """What the sidebar's failure handler shows (Apps Script passes the thrown Error's message)."""


def _status(call: Call) -> Any:
    status = call.api("get", "/addon/status", {"spreadsheet_id": call.spreadsheet_id})
    status["tabs"] = call.tabs()
    status["activeTab"] = status["tabs"][0]
    return status


def _bind_tab(call: Call) -> Any:
    """Bind.gs: prove edit access with the backend's challenge as developer metadata, bind, clean up."""
    form = call.arg(0, {})
    tabs = call.tabs()
    tab = str(form.get("tab") or tabs[0]).strip()
    if form.get("newTab"):
        if tab in tabs:
            raise SidebarError(f'A tab named "{tab}" already exists: choose another name.')
        call.sheets_batch_update([{"addSheet": {"properties": {"title": tab}}}])
    elif tab not in tabs:
        raise SidebarError(f'There is no tab named "{tab}".')
    challenge = call.api("post", "/addon/bind/challenge", {"spreadsheet_id": call.spreadsheet_id})
    meta = {"metadataId": CHALLENGE_METADATA_ID, "metadataKey": challenge["key"], "metadataValue": challenge["value"],
            "visibility": "DOCUMENT", "location": {"spreadsheet": True}}  # fmt: skip
    call.sheets_batch_update([{"createDeveloperMetadata": {"developerMetadata": meta}}])
    try:
        return call.api("post", "/addon/bindings", {
            "spreadsheet_id": call.spreadsheet_id, "challenge": challenge["value"], "tab": tab,
            "profile": form.get("profile"), "shops": form.get("shops") or [],
            "title": call.world.google.sheets.files[call.spreadsheet_id].name,
        })  # fmt: skip
    finally:
        lookup = {"developerMetadataLookup": {"metadataId": CHALLENGE_METADATA_ID}}
        call.sheets_batch_update([{"deleteDeveloperMetadata": {"dataFilter": lookup}}])


def _choose_team(call: Call) -> Any:
    call.teams[call.email] = str(call.arg(0, ""))
    return call.api("get", "/addon/me")


def _create_spreadsheet(call: Call) -> Any:
    """The backend creates and shares the file; its link opens it on this page (the demo's stand-in for Sheets)."""
    created = call.api("post", "/addon/spreadsheets", call.arg(0, {}))
    created["url"] = f"/?sheet={created['spreadsheet_id']}&as={call.email}"
    return created


def _install_trigger(call: Call) -> Any:
    config = call.api("post", "/addon/trigger", {"spreadsheet_id": call.spreadsheet_id, "install": True})
    return {"installed": True, "tabs": list(config.get("tabs", {})), "by": config.get("installed_by") or ""}


def _accept_invitation(call: Call) -> Any:
    joined = call.api("post", "/addon/invitations/accept", {"invitation": call.arg(0)})
    call.teams[call.email] = str(joined["team"]["id"])
    return joined


def _leave_team(call: Call) -> Any:
    left = call.api("post", "/addon/leave", {})
    call.teams.pop(call.email, None)
    return left


# The server functions the sidebar calls (Menu.gs, Bind.gs, Triggers.gs), as the backend calls they make.
SERVER_FUNCTIONS: dict[str, Callable[[Call], Any]] = {
    "whoAmI": lambda c: c.api("get", "/addon/me"),
    "chooseTeam": _choose_team,
    "getStatus": _status,
    "syncNow": lambda c: c.api("post", "/addon/sync", {"shop_id": c.arg(0)} if c.arg(0) else {}),
    "connectShop": lambda c: c.api(
        "post", "/addon/shops/consent", {"platform": c.arg(0, "tiktok"), "region": c.arg(1, "")}
    ),
    "connectGoogle": lambda c: c.api("post", "/addon/google/connect", {}),
    "confirmGoogle": lambda c: c.api("post", "/addon/google/confirm", {"account": c.arg(0)}),
    "discardGoogle": lambda c: c.api("post", "/addon/google/discard", {"account": c.arg(0)}),
    "listProfiles": lambda c: c.api("get", "/addon/profiles", {"spreadsheet_id": c.spreadsheet_id}),
    "listColumns": lambda c: c.api("get", "/addon/columns", {"audience": c.arg(0)}),
    "defineProfile": lambda c: c.api("post", "/addon/profiles", c.arg(0, {})),
    "listMembers": lambda c: c.api("get", "/addon/members"),
    "setMember": lambda c: c.api("post", "/addon/members", {"email": c.arg(0), "role": c.arg(1)}),
    "removeMember": lambda c: c.api("post", "/addon/members/remove", {"email": c.arg(0)}),
    "listInvitations": lambda c: c.api("get", "/addon/invitations"),
    "inviteMember": lambda c: c.api("post", "/addon/invitations", {"email": c.arg(0), "role": c.arg(1)}),
    "revokeInvitation": lambda c: c.api("post", "/addon/invitations/revoke", {"email": c.arg(0)}),
    "acceptInvitation": _accept_invitation,
    "leaveTeam": _leave_team,
    "setRetention": lambda c: c.api("post", "/addon/team/retention", {"retention_days": c.arg(0)}),
    "unbindTab": lambda c: c.api(
        "post", "/addon/bindings/remove", {"spreadsheet_id": c.spreadsheet_id, "tab": c.arg(0)}
    ),
    "createSpreadsheet": _create_spreadsheet,
    "bindTab": _bind_tab,
    "installEditTrigger": _install_trigger,
    "listExceptions": lambda c: c.api("get", "/addon/exceptions"),
    "raiseException": lambda c: c.api("post", "/addon/exceptions", c.arg(0, {})),
    "saveExceptionFields": lambda c: c.api(
        "post", "/addon/exceptions/fields", {"id": c.arg(0), "fields": c.arg(1, {})}
    ),
    "resolveException": lambda c: c.api(
        "post", "/addon/exceptions/resolve", {"id": c.arg(0), "outcome": c.arg(1), "note": c.arg(2, "")}
    ),
    "buyerMessage": lambda c: c.api("get", "/addon/exceptions/message", {"id": c.arg(0), "language": c.arg(1)}),
    "listChannels": lambda c: c.api("get", "/addon/channels"),
    "addChannel": lambda c: c.api("post", "/addon/channels", c.arg(0, {})),
    "testChannel": lambda c: c.api("post", "/addon/channels/test", {"id": c.arg(0)}),
    "removeChannel": lambda c: c.api("post", "/addon/channels/remove", {"id": c.arg(0)}),
    "getStrings": lambda c: c.api("get", "/addon/strings", {"spreadsheet_id": c.spreadsheet_id}),
    "setSpreadsheetLanguage": lambda c: c.api(
        "post", "/addon/spreadsheet/language", {"spreadsheet_id": c.spreadsheet_id, "language": c.arg(0)}
    ),
    "pendingActions": lambda c: c.api("get", "/addon/pending-actions"),
    "answerRefund": lambda c: c.api("post", "/addon/refunds/answer", {"case": c.arg(0), "answer": c.arg(1)}),
}


def render_sidebar() -> str:
    """Sidebar.html as HtmlService serves it: each include() scriptlet replaced by its partial."""
    source = (ADDON_DIR / "Sidebar.html").read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: (ADDON_DIR / f"{m.group(1)}.html").read_text(encoding="utf-8"), source)


def sidebar_html(email: str, sheet_key: str) -> str:
    """The rendered sidebar with the demo's google.script.run shim before any of its scripts."""
    page = render_sidebar()
    context = html.escape(json.dumps({"as": email, "sheet": sheet_key}))
    shim = f'<script data-context="{context}">{(HERE / "shim.js").read_text(encoding="utf-8")}</script>'
    return page.replace("<head>", '<head><link rel="icon" href="data:,">' + shim, 1)


NO_SIDEBAR = """<!doctype html><meta charset="utf-8"><body style="font:13px Roboto,Arial,sans-serif;padding:12px">
<p><b>{who}</b> cannot open this spreadsheet, so there is no add-on sidebar to show: Sheets opens the add-on
only inside a file you can open.</p>"""


DENIED = (
    '<div class="denied"><b>{who} cannot open this spreadsheet.</b> Google says: {why}<br>'
    "It is shared only with its audience, so nobody else can read its cells.</div>"
)


def in_language(page: str, language: str) -> str:
    """The page's own words (its text between tags, outside its script) from the catalogs, like the sidebar's."""
    if language == i18n.DEFAULT:
        return page
    translate, script = i18n.translator(language), page.find("<script>")
    script = len(page) if script < 0 else script  # a fragment without a script: all of it

    def said(found: re.Match[str]) -> str:
        text = " ".join(found[1].split())
        words = translate(text) if text else text  # gettext("") is the catalog's header
        return f">{html.escape(words, quote=False)}<" if words != text else found[0]

    head = TEXT.sub(said, page[:script]).replace('<html lang="en">', f'<html lang="{language}">', 1)
    return head + page[script:]


def create_page(world: World) -> Flask:
    """The demo page's own small WSGI app (not the backend: it stands in for the browser and Apps Script)."""
    page = Flask(__name__)
    teams: dict[str, str] = {}

    def member() -> str:
        email = request.values.get("as") or (request.get_json(silent=True) or {}).get("as", "")
        if email not in {p.email for p in world.people}:
            abort(400, "pick a member of the demo team")
        return str(email)

    def spreadsheet_id(key: str) -> str:
        """A seeded spreadsheet by its key, or any other one in the sandbox by its id (made from the sidebar)."""
        if key in world.spreadsheets:
            return world.spreadsheets[key]
        if key in world.google.sheets.files:
            return key
        abort(404)

    @page.get("/")
    def index() -> ResponseReturnValue:
        say = i18n.translator(world.language)
        people = "".join(
            f'<option value="{html.escape(p.email)}">{html.escape(say(p.name))} ({html.escape(say(p.role))})</option>'
            for p in world.people
        )
        sheets = "".join(
            f'<button data-sheet="{html.escape(key)}">{html.escape(title)}</button>'
            for key, title in world.sheet_list()
        )
        template = (HERE / "page.html").read_text(encoding="utf-8")
        filled = (
            template.replace("{people}", people).replace("{sheets}", sheets).replace("{refresh}", str(REFRESH_SECONDS))
        )
        return in_language(filled, world.language)

    @page.get("/grid/<key>")
    def grid(key: str) -> ResponseReturnValue:
        email, say = member(), i18n.translator(world.language)
        try:
            return world.google.sheets.html(spreadsheet_id(key), as_user=email, tab=request.args.get("tab"), say=say)
        except ApiError as exc:  # Google's own message stays as Google said it
            who, why = html.escape(say(world.person(email).name)), html.escape(exc.message)
            return in_language(DENIED, world.language).format(who=who, why=why)

    @page.get("/sidebar")
    def sidebar() -> ResponseReturnValue:
        email, key = member(), request.args.get("sheet", "warehouse")
        if world.google.sheets.role_of(spreadsheet_id(key), email) is None:
            who = html.escape(i18n.translator(world.language)(world.person(email).name))
            return in_language(NO_SIDEBAR, world.language).format(who=who)
        return sidebar_html(email, key)

    @page.post("/run/<name>")
    def run(name: str) -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        email = member()
        function = SERVER_FUNCTIONS.get(name)
        if function is None:
            return jsonify(error=f"Script function not found: {name}"), 400
        call = Call(world, email, spreadsheet_id(str(body.get("sheet", ""))), list(body.get("args") or []), teams)
        try:
            return jsonify(result=function(call))
        except SidebarError as exc:  # the script threw: google.script.run answers normally, with the error
            return jsonify(error=str(exc))

    @page.get("/discord")
    def discord() -> ResponseReturnValue:
        items = []
        for message in world.discord.messages()[-5:][::-1]:
            embeds = message.get("embeds") or [{}]
            text = message.get("content") or embeds[0].get("title") or ""
            detail = embeds[0].get("description") or ""
            items.append(f"<li><b>{html.escape(str(text))}</b> {html.escape(str(detail)[:160])}</li>")
        none = in_language("<p>No messages yet.</p>", world.language)
        return Response("<ul>" + "".join(items) + "</ul>" if items else none, mimetype="text/html")

    return page
