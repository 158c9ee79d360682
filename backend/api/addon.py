"""/addon/*: what the Sheets add-on's sidebar and edit trigger call.

Every route verifies the Google identity token, resolves the caller's team and role, checks the role
against the action table (services/addon.ACTIONS), loads the body with a marshmallow schema, calls
one service and dumps the answer. `ENDPOINTS` is the URL map, and the source of /openapi.json.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError

from backend import i18n, runtime, tasks
from backend.api import schemas
from backend.api.auth import bearer_token, verify_identity_token
from backend.domain import bounded_json
from backend.domain.bounded_json import JsonLimits
from backend.domain.phrases import Phrase
from backend.errors import InvalidInput, OrderDeckError, RateLimited
from backend.services import (
    addon,
    addon_sheets,
    channels,
    edits,
    exception_desk,
    google_oauth,
    invitations,
    languages,
    push_schedule,
)
from backend.services.addon import Caller
from backend.services.after_sales import sidebar as after_sales

bp = Blueprint("addon", __name__, url_prefix="/addon")
TEAM_HEADER = "X-OrderDeck-Team"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    action: str | None  # None: any verified Google identity (no team needed)
    summary: str
    body: type[Schema] | None
    reply: type[Schema] | None


ENDPOINTS: list[Endpoint] = []
Handler = Callable[[Caller, dict[str, Any]], Any]


# A sidebar call is a few fields; a pasted edit is at most 2,000 rows. Integers stay within what the
# add-on's JavaScript numbers hold exactly (16 digits), other numbers within ±10^15.
BODY_LIMITS = JsonLimits(max_bytes=2 * 1024 * 1024, max_depth=16, max_integer_digits=16, max_abs_number=1e15)


def _body() -> Any:
    """The JSON body, bounded in size, depth and number range; an empty body is no fields."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise InvalidInput("the request body must be JSON (Content-Type: application/json)")
    try:
        return bounded_json.loads(raw, BODY_LIMITS)
    except bounded_json.JsonRefused as exc:
        raise InvalidInput(Phrase("the request body is refused: {reason}", reason=str(exc))) from None


def _load(schema: type[Schema] | None) -> dict[str, Any]:
    return _checked(schema, _source(schema))


def _source(schema: type[Schema] | None) -> Any:
    """The request's fields as sent (query string or bounded JSON), not yet checked."""
    if schema is None:
        return {}
    source = request.args if request.method == "GET" else _body()
    if isinstance(source, Mapping) and isinstance(source.get("spreadsheet_id"), str):
        g.spreadsheet_id = source["spreadsheet_id"]  # a refusal is said in that file's language
    return source


def _checked(schema: type[Schema] | None, source: Any) -> dict[str, Any]:
    if schema is None:
        return {}
    try:
        loaded: dict[str, Any] = schema().load(source)
    except ValidationError as exc:
        raise InvalidInput(schemas.explain(exc.messages), fields=exc.messages) from None
    if _has_nul(loaded):  # PostgreSQL text cannot hold U+0000, and no sheet or name needs it
        raise InvalidInput("the request contains a NUL character (U+0000), which no field accepts")
    return loaded


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _caller() -> Caller:
    identity = verify_identity_token(bearer_token(), runtime.config())
    with runtime.database().session() as session:
        g.caller = addon.resolve_caller(session, identity.email, request.headers.get(TEAM_HEADER))
    return g.caller  # type: ignore[no-any-return]


def caller_language(exc: OrderDeckError) -> str:
    """What a refusal is said in: the named spreadsheet's own language, else the caller's team's; English for
    an unknown caller. Looked up only when there is an error to say, and not when the database itself failed."""
    caller: Caller | None = g.get("caller")
    if caller is None:
        return i18n.DEFAULT
    google_id = g.get("spreadsheet_id")
    if not google_id or exc.status >= 500:
        return caller.language
    with runtime.database().session() as session:
        spreadsheet = addon.team_spreadsheet(session, caller, google_id)
        return (spreadsheet.language if spreadsheet else None) or caller.language


def route(
    method: str,
    path: str,
    action: str,
    summary: str,
    *,
    body: type[Schema] | None = None,
    reply: type[Schema] | None = None,
    spend: Callable[[Caller, Any], None] | None = None,
) -> Callable[[Handler], Handler]:
    """Register a handler: token, team, role check for `action`, `spend` the caller's limits on the body as
    sent (checking a big body is itself a cost), load `body`, call, dump with `reply`."""

    def register(handler: Handler) -> Handler:
        def view() -> ResponseReturnValue:
            caller = _caller()
            addon.require(caller, action)
            source = _source(body)
            if spend is not None:
                spend(caller, source)
            result = handler(caller, _checked(body, source))
            return jsonify(reply().dump(result) if reply else result), 200

        ENDPOINTS.append(Endpoint(method, bp.url_prefix + path, action, summary, body, reply))  # type: ignore[operator]
        bp.add_url_rule(path, endpoint=handler.__name__, view_func=view, methods=[method])
        return handler

    return register


@bp.errorhandler(RateLimited)
def _rate_limited(exc: RateLimited) -> ResponseReturnValue:
    wait = exc.detail.get("retry_after")
    headers = {"Retry-After": str(wait)} if wait else {}
    return jsonify(exc.envelope(i18n.translator(caller_language(exc)))), exc.status, headers


# -- any verified Google identity, member of a team or not -------------------------------------------
@bp.get("/me")
def me() -> ResponseReturnValue:
    """Who the token speaks for, their teams and invitations; works before the person belongs to any team."""
    identity = verify_identity_token(bearer_token(), runtime.config())
    with runtime.database().session() as session:
        return jsonify(invitations.me(session, identity.email, request.headers.get(TEAM_HEADER))), 200


@bp.post("/invitations/accept")
def accept_invitation() -> ResponseReturnValue:
    """Join the team that invited the token's (verified) address; its files for the role are then shared."""
    identity = verify_identity_token(bearer_token(), runtime.config())
    data = _load(schemas.AcceptInvitationSchema)
    settings, box = runtime.config(), runtime.secret_box()
    joined = invitations.accept(runtime.database(), settings, box, identity.email, invitation_id=data["invitation"])
    return jsonify(joined), 200


ENDPOINTS.append(
    Endpoint("GET", "/addon/me", None, "Who the identity token speaks for, their teams and invitations", None, None)
)
ACCEPT = "Join the team that invited this address"
ENDPOINTS.append(Endpoint("POST", "/addon/invitations/accept", None, ACCEPT, schemas.AcceptInvitationSchema, None))


def _db_session_call(fn: Callable[..., Any], caller: Caller, *args: Any) -> Any:
    with runtime.database().session() as session:
        return fn(session, caller, *args)


@route("GET", "/status", "status", "Sync health of the team's shops and this spreadsheet's bound tabs",
       body=schemas.SpreadsheetQuerySchema)  # fmt: skip
def status(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(addon.status, caller, data["spreadsheet_id"], runtime.config())


@route("POST", "/sync", "sync_now", "Sync now (once a minute per team)", body=schemas.SyncNowSchema)
def sync_now(caller: Caller, data: dict[str, Any]) -> Any:
    return addon.sync_now(runtime.database(), caller, data["shop_id"], tasks.enqueue)


@route("POST", "/shops/consent", "connect_shop", "A one-time seller consent link (TikTok Shop or Shopee) for the team",
       body=schemas.ConsentRequestSchema)  # fmt: skip
def shop_consent(caller: Caller, data: dict[str, Any]) -> Any:
    return addon.consent(runtime.database(), caller, runtime.platform(), data["platform"], data["region"])


@route("POST", "/bind/challenge", "bind", "A one-time bind challenge to write into the spreadsheet",
       body=schemas.ChallengeRequestSchema, reply=schemas.ChallengeSchema)  # fmt: skip
def bind_challenge(caller: Caller, data: dict[str, Any]) -> Any:
    return addon_sheets.issue_challenge(runtime.database(), caller, data["spreadsheet_id"])


@route("POST", "/bindings", "bind", "Bind a tab to a profile once the challenge is in the spreadsheet",
       body=schemas.BindRequestSchema, reply=schemas.BindingSchema)  # fmt: skip
def bind(caller: Caller, data: dict[str, Any]) -> Any:
    result = addon_sheets.bind_with_proof(
        runtime.database(),
        runtime.config(),
        runtime.secret_box(),
        caller,
        google_id=data["spreadsheet_id"],
        challenge=data["challenge"],
        tab=data["tab"],
        profile=data["profile"],
        shops=data["shops"],
        title=data["title"],
    )
    tasks.enqueue(f"/tasks/push-binding/{result['id']}")
    return result


@route("POST", "/bindings/remove", "unbind", "Stop writing a tab", body=schemas.UnbindRequestSchema)
def unbind(caller: Caller, data: dict[str, Any]) -> Any:
    return addon_sheets.unbind(runtime.database(), caller, data["spreadsheet_id"], data["tab"])


@route("POST", "/spreadsheets", "create_spreadsheet", "A new spreadsheet for an audience, shared with its members",
       body=schemas.CreateSpreadsheetSchema)  # fmt: skip
def create_spreadsheet(caller: Caller, data: dict[str, Any]) -> Any:
    settings, box = runtime.config(), runtime.secret_box()
    result = addon_sheets.create_for_audience(runtime.database(), settings, box, caller, **data)
    tasks.enqueue(f"/tasks/push-binding/{result['binding']['id']}")
    return result


@route("POST", "/trigger", "install_trigger", "The input columns the edit trigger watches, per bound tab",
       body=schemas.TriggerRequestSchema)  # fmt: skip
def trigger(caller: Caller, data: dict[str, Any]) -> Any:
    return addon_sheets.input_columns(runtime.database(), caller, data["spreadsheet_id"], install=data["install"])


def _spend_on_edits(caller: Caller, source: Any) -> None:
    edits.spend_limits(runtime.database(), caller, source)


@route("POST", "/edits", "edit_cells", "Edits typed into input columns: validated, stored, answered per cell",
       body=schemas.EditRequestSchema, reply=schemas.EditResultSchema, spend=_spend_on_edits)  # fmt: skip
def edit_cells(caller: Caller, data: dict[str, Any]) -> Any:
    platform = runtime.platform()
    result = edits.apply_edits(runtime.database(), platform, caller, edits.EditBatch.from_request(data))
    if result.changed:
        _push_team_tabs(caller)
    return {"cells": result.cells}


def _push_team_tabs(caller: Caller) -> None:
    """Push the caller's team's dirty tabs now, never a sweep of every team's (which spends their limits)."""
    for binding_id in push_schedule.for_team(runtime.database(), caller.team_id):
        tasks.enqueue(f"/tasks/push-binding/{binding_id}")


@route("GET", "/pending-actions", "pending_actions", "The Pending-Action board per shop, with links to the rows; "
       "refunds waiting for finance")  # fmt: skip
def pending_actions(caller: Caller, _data: dict[str, Any]) -> Any:
    return _db_session_call(after_sales.pending_actions, caller)


@route("POST", "/refunds/answer", "approve_refund", "Finance approves (sent at once) or declines a refund above the "
       "team's limit", body=schemas.RefundAnswerSchema)  # fmt: skip
def answer_refund(caller: Caller, data: dict[str, Any]) -> Any:
    result = after_sales.answer_refund(runtime.database(), runtime.platform(), caller, data["case"], data["answer"])
    tasks.enqueue("/tasks/push-due")
    return result


@route("GET", "/members", "manage_members", "The team's members and roles")
def members(caller: Caller, _data: dict[str, Any]) -> Any:
    return _db_session_call(addon.list_members, caller)


@route("POST", "/members", "manage_members", "Change a member's role", body=schemas.MemberSchema)
def set_member(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(addon.set_member, caller, data["email"], data["role"])


@route("POST", "/members/remove", "manage_members", "Remove a member", body=schemas.MemberRemoveSchema)
def remove_member(caller: Caller, data: dict[str, Any]) -> Any:
    return invitations.remove(runtime.database(), runtime.config(), runtime.secret_box(), caller, data["email"])


@route("GET", "/invitations", "manage_members", "The team's pending invitations")
def pending_invitations(caller: Caller, _data: dict[str, Any]) -> Any:
    return _db_session_call(invitations.pending, caller)


@route("POST", "/invitations", "manage_members", "Invite an address as a role; the answer has the link to send",
       body=schemas.InvitationSchema)  # fmt: skip
def invite(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(invitations.invite, caller, runtime.config(), data["email"], data["role"])


@route("POST", "/invitations/revoke", "manage_members", "Withdraw a pending invitation",
       body=schemas.MemberRemoveSchema)  # fmt: skip
def revoke_invitation(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(invitations.revoke, caller, data["email"])


@route("POST", "/leave", "leave_team", "Leave the team (not its last admin)")
def leave(caller: Caller, _data: dict[str, Any]) -> Any:
    return invitations.leave(runtime.database(), runtime.config(), runtime.secret_box(), caller)


@route("GET", "/columns", "columns", "Columns a spreadsheet for an audience may show",
       body=schemas.AudienceQuerySchema)  # fmt: skip
def columns(caller: Caller, data: dict[str, Any]) -> Any:
    return addon.columns(caller, data["audience"])


@route("GET", "/profiles", "profiles", "Column profiles the caller may see, titled in this spreadsheet's language",
       body=schemas.SpreadsheetQuerySchema)  # fmt: skip
def profiles(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(addon.profiles, caller, data["spreadsheet_id"])


@route("POST", "/profiles", "define_profile", "Save a custom column profile", body=schemas.ColumnProfileSchema)
def define_profile(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(addon.define_profile, caller, data)


@route("POST", "/team/retention", "team_settings", "Days after an order ends that buyers' personal data is kept",
       body=schemas.RetentionSchema)  # fmt: skip
def team_retention(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(addon.set_retention, caller, data["retention_days"])


@route("POST", "/google/connect", "connect_google", "Where to send the admin to connect a Google account")
def connect_google(caller: Caller, _data: dict[str, Any]) -> Any:
    return {"url": google_oauth.start_link(runtime.database(), runtime.config(), caller)}


@route("POST", "/google/confirm", "connect_google", "Confirm the account Google returned to your Connect link",
       body=schemas.GoogleAccountSchema)  # fmt: skip
def confirm_google(caller: Caller, data: dict[str, Any]) -> Any:
    return {"writer": google_oauth.confirm(runtime.database(), caller, data["account"])}


@route("POST", "/google/discard", "connect_google", "Refuse the account Google returned to your Connect link",
       body=schemas.GoogleAccountSchema)  # fmt: skip
def discard_google(caller: Caller, data: dict[str, Any]) -> Any:
    return {"discarded": google_oauth.discard(runtime.database(), caller, data["account"])}


@route("GET", "/channels", "manage_channels", "The team's Discord channels and the event kinds they receive")
def list_channels(caller: Caller, _data: dict[str, Any]) -> Any:
    with runtime.database().session() as session:
        found = channels.listing(session, runtime.secret_box(), addon.team_of(session, caller))
    return {"channels": found, "kinds": channels.kinds()}


@route("POST", "/channels", "manage_channels", "Add a Discord webhook for some event kinds (none = all)",
       body=schemas.ChannelSchema)  # fmt: skip
def add_channel(caller: Caller, data: dict[str, Any]) -> Any:
    with runtime.database().session() as session:
        team, box, config = addon.team_of(session, caller), runtime.secret_box(), runtime.config()
        return channels.add(session, box, config, team, **data, actor=caller.email)


@route("POST", "/channels/remove", "manage_channels", "Remove a Discord channel", body=schemas.ChannelIdSchema)
def remove_channel(caller: Caller, data: dict[str, Any]) -> Any:
    with runtime.database().session() as session:
        team = addon.team_of(session, caller)
        return channels.remove(session, runtime.secret_box(), team, data["id"], actor=caller.email)


@route("POST", "/channels/test", "manage_channels", "Post a test message to a Discord channel now",
       body=schemas.ChannelIdSchema)  # fmt: skip
def test_channel(caller: Caller, data: dict[str, Any]) -> Any:
    with httpx.Client() as client:
        db, box = runtime.database(), runtime.secret_box()
        return channels.send_test(db, box, client, caller.team_id, data["id"], actor=caller.email)


@route("GET", "/exceptions", "exceptions", "Open exceptions for your role, the templates and the outcomes")
def exceptions(caller: Caller, _data: dict[str, Any]) -> Any:
    return _db_session_call(exception_desk.board, caller)


@route("POST", "/exceptions", "exceptions", "Raise an exception from a template for an order",
       body=schemas.RaiseExceptionSchema)  # fmt: skip
def raise_exception(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(exception_desk.raise_case, caller, data["template"], data["order_id"], data["values"])


@route("POST", "/exceptions/fields", "exceptions", "Fill in or correct an exception's typed fields",
       body=schemas.ExceptionFieldsSchema)  # fmt: skip
def fill_exception(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(exception_desk.fill, caller, data["id"], data["values"])


@route("POST", "/exceptions/resolve", "exceptions", "Resolve an exception with an outcome (its handler role)",
       body=schemas.ResolveExceptionSchema)  # fmt: skip
def resolve_exception(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(exception_desk.resolve, caller, data["id"], data["outcome"], data["note"])


@route("GET", "/exceptions/message", "exceptions", "The message to send the buyer, in their language",
       body=schemas.BuyerMessageQuerySchema)  # fmt: skip
def buyer_message(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(exception_desk.buyer_message, caller, data["id"], data["language"])


@route("GET", "/strings", "status", "The sidebar's language (this spreadsheet's, else the team's) and its messages",
       body=schemas.SpreadsheetQuerySchema)  # fmt: skip
def strings(caller: Caller, data: dict[str, Any]) -> Any:
    return _db_session_call(languages.sidebar_strings, caller, data["spreadsheet_id"])


@route("POST", "/spreadsheet/language", "team_settings", "This spreadsheet's own language (none: the team's)",
       body=schemas.SpreadsheetLanguageSchema)  # fmt: skip
def spreadsheet_language(caller: Caller, data: dict[str, Any]) -> Any:
    result = _db_session_call(languages.set_spreadsheet_language, caller, data["spreadsheet_id"], data["language"])
    _push_team_tabs(caller)
    return result
