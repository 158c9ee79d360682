"""marshmallow schemas for the HTTP API: what a request may carry, checked before any service runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from backend.catalog import markets, role_policy
from backend.domain.access import join_words
from backend.domain.columns import Grain
from backend.domain.phrases import Phrase
from backend.platforms import registry

SLUG = validate.Regexp(r"^[a-z][a-z0-9_]{1,63}$", error="use lowercase letters, digits and _, starting with a letter")

# -- refusals in words: the field a person filled in, and what to type instead -----------------------
FIELD_NAMES: Mapping[str, str] = {
    "spreadsheet_id": "Spreadsheet",
    "region": "Region",
    "email": "Email",
    "role": "Role",
    "audience": "Audience",
    "audience_role": "Audience",
    "title": "Title",
    "tab": "Tab",
    "profile": "Profile",
    "key": "Key",
    "grain": "Rows",
    "columns": "Columns",
    "shops": "Shops",
    "shop_id": "Shop",
    "challenge": "Bind check",
    "retention_days": "Days",
}
# marshmallow's own messages, said as what to do
PLAIN: Mapping[str, str] = {
    "Missing data for required field.": "fill it in",
    "Not a valid email address.": "type an email address such as name@example.com",
    "Unknown field.": "OrderDeck does not know this field: leave it out",
    "Not a valid string.": "type text",
    "Not a valid integer.": "type a whole number",
    "Not a valid list.": "send a list",
    "Not a valid boolean.": "send true or false",
    "Invalid input type.": "send a JSON object",
    "Field may not be null.": "fill it in",
}


def _first_problem(messages: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str]:
    """The first refused field (its path) and its first message, from marshmallow's nested messages."""
    if isinstance(messages, Mapping):
        key = next(iter(messages))
        return _first_problem(messages[key], (*path, str(key)))
    if isinstance(messages, list) and messages:
        return _first_problem(messages[0], path)
    return path, str(messages)


def explain(messages: Mapping[str, Any] | list[Any]) -> str:
    """One sentence naming the first field refused and its fix ("Email: type an email address …"); how many
    other fields were refused too. `detail.fields` keeps marshmallow's full answer for API clients."""
    path, problem = _first_problem(messages)
    named = [Phrase(FIELD_NAMES[p]) for p in path if p in FIELD_NAMES]
    unnamed = [p for p in path if not p.isdigit()][:1]  # a field the caller made up: their text, never a phrase
    where = (named or unnamed or [Phrase("The request")])[-1]
    fix = PLAIN.get(problem, problem)
    if not {"{", "}"} & set(fix):  # words with the caller's input in braces stay as they are
        fix = Phrase(fix)  # said in the caller's language when the catalogs have it
    others = len(messages) - 1 if isinstance(messages, Mapping) else 0
    if others == 0:
        return Phrase("{where}: {fix}", where=where, fix=fix)
    if others == 1:
        return Phrase("{where}: {fix} (1 more field refused)", where=where, fix=fix)
    return Phrase("{where}: {fix} ({others} more fields refused)", where=where, fix=fix, others=others)


class ProfileFilterSchema(Schema):
    statuses = fields.List(fields.String(validate=validate.Regexp(r"^[A-Z_]{2,40}$")), load_default=list)
    shops = fields.List(fields.String(validate=validate.Length(1, 255)), load_default=list)
    max_age_days = fields.Integer(validate=validate.Range(1, 3650), load_default=None)


class SortKeySchema(Schema):
    column = fields.String(required=True, validate=SLUG)
    descending = fields.Boolean(load_default=False)


class ColumnProfileSchema(Schema):
    """A custom column profile as an admin sends it; the service then checks columns against the role table."""

    key = fields.String(required=True, validate=SLUG)
    title = fields.String(validate=validate.Length(1, 100))
    description = fields.String(validate=validate.Length(max=500))
    audience_role = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z_]{1,31}$"))
    grain = fields.String(required=True, validate=validate.OneOf([g.value for g in Grain]))
    columns = fields.List(fields.String(validate=SLUG), required=True, validate=validate.Length(1, 60))
    filter = fields.Nested(ProfileFilterSchema)
    sort = fields.List(fields.Nested(SortKeySchema), validate=validate.Length(max=5))

    @validates_schema
    def _unique_columns(self, data: dict[str, Any], **_kwargs: Any) -> None:
        columns = data.get("columns", [])
        if len(set(columns)) != len(columns):
            raise ValidationError("a column may appear only once", "columns")


# -- the Sheets add-on (/addon/*) ------------------------------------------------------------------
ROLES = tuple(role_policy().roles)
ROLE = validate.OneOf(ROLES, error="“{input}” is not a role: choose " + join_words(ROLES, "or"))
REGIONS = tuple(markets())
REGION = validate.OneOf(
    ("", *REGIONS), error="“{input}” is not a TikTok Shop region: choose one of " + ", ".join(REGIONS)
)
REGION_CODE = "type a region code such as US, GB or MY"
PLATFORM = validate.OneOf(
    registry.names(),
    error="“{input}” is not a platform OrderDeck connects: choose " + join_words(registry.names(), "or"),
)
GOOGLE_ID = validate.Regexp(
    r"^[A-Za-z0-9_-]{10,128}$", error="use the id in the spreadsheet's address (docs.google.com/spreadsheets/d/ID)"
)
TAB = validate.Length(1, 100, error="type a name of {min} to {max} characters")
DB_ID = validate.Range(1, 2**31 - 1, error="choose a shop from the list")  # ids are 32-bit integers in PostgreSQL
EMAIL = validate.Length(max=254, error="type an address of at most {max} characters")  # RFC 5321's path limit


class SpreadsheetQuerySchema(Schema):
    spreadsheet_id = fields.String(validate=GOOGLE_ID, load_default=None)


class ConsentRequestSchema(Schema):
    platform = fields.String(validate=PLATFORM, load_default=registry.DEFAULT)
    region = fields.String(validate=validate.Regexp(r"^[A-Za-z]{0,8}$", error=REGION_CODE), load_default="")

    @pre_load
    def _region_in_capitals(self, data: Any, **_kwargs: Any) -> Any:
        """ "gb" is GB: the region codes of schemas/markets.json are capitals."""
        if isinstance(data, Mapping) and isinstance(data.get("region"), str):
            return {**data, "region": data["region"].strip().upper()}
        return data

    @validates_schema
    def _a_tiktok_region(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        """TikTok's regions are schemas/markets.json's; another platform's adapter checks its own."""
        if data.get("platform") == "tiktok":
            try:
                REGION(data.get("region", ""))
            except ValidationError as exc:
                raise ValidationError(exc.messages, "region") from exc


class ChallengeRequestSchema(Schema):
    spreadsheet_id = fields.String(required=True, validate=GOOGLE_ID)


class BindRequestSchema(Schema):
    """Bind (or re-bind) a tab after writing the challenge into the spreadsheet."""

    spreadsheet_id = fields.String(required=True, validate=GOOGLE_ID)
    challenge = fields.String(required=True, validate=validate.Length(16, 64))
    tab = fields.String(required=True, validate=TAB)
    profile = fields.String(required=True, validate=SLUG)
    shops = fields.List(fields.String(validate=validate.Length(1, 64)), load_default=list)
    title = fields.String(validate=validate.Length(max=255), load_default="")


class UnbindRequestSchema(Schema):
    spreadsheet_id = fields.String(required=True, validate=GOOGLE_ID)
    tab = fields.String(required=True, validate=TAB)


class CreateSpreadsheetSchema(Schema):
    title = fields.String(
        required=True, validate=validate.Length(1, 200, error="type a title of {min} to {max} characters")
    )
    audience = fields.String(required=True, validate=ROLE)
    tab = fields.String(load_default=None, validate=TAB)  # none: "Orders" in the caller's language
    profile = fields.String(required=True, validate=SLUG)
    shops = fields.List(fields.String(validate=validate.Length(1, 64)), load_default=list)
    notify = fields.Boolean(load_default=False)  # Drive e-mails the people shared with only when asked


class MemberSchema(Schema):
    email = fields.Email(required=True, validate=EMAIL)
    role = fields.String(required=True, validate=ROLE)


class MemberRemoveSchema(Schema):
    email = fields.Email(required=True, validate=EMAIL)


class InvitationSchema(Schema):
    """Invite an address to the team as a role: they become a member when they accept."""

    email = fields.Email(required=True, validate=EMAIL)
    role = fields.String(required=True, validate=ROLE)


class AcceptInvitationSchema(Schema):
    invitation = fields.Integer(required=True, validate=DB_ID)


class GoogleAccountSchema(Schema):
    """The account Google returned to the caller's Connect link, as the sidebar showed it."""

    account = fields.Email(required=True, validate=EMAIL)


class TriggerRequestSchema(Schema):
    """`install`: the caller's edit trigger now sends this spreadsheet's edits (else only the columns are read)."""

    spreadsheet_id = fields.String(required=True, validate=GOOGLE_ID)
    install = fields.Boolean(load_default=False)


class AudienceQuerySchema(Schema):
    audience = fields.String(required=True, validate=ROLE)


class SyncNowSchema(Schema):
    shop_id = fields.Integer(load_default=None, validate=DB_ID)


class ChannelSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(1, 2048))
    kinds = fields.List(fields.String(validate=SLUG), load_default=list, validate=validate.Length(max=20))
    name = fields.String(load_default="Discord", validate=validate.Length(max=120))


class ChannelIdSchema(Schema):
    id = fields.Integer(required=True, strict=True, validate=DB_ID)


class RaiseExceptionSchema(Schema):
    template = fields.String(required=True, validate=SLUG)
    order_id = fields.String(load_default=None, validate=validate.Length(max=64))
    values = fields.Dict(keys=fields.String(validate=SLUG), load_default=dict, data_key="fields")


class ExceptionFieldsSchema(Schema):
    id = fields.Integer(required=True, strict=True, validate=DB_ID)
    values = fields.Dict(keys=fields.String(validate=SLUG), required=True, data_key="fields")


class ResolveExceptionSchema(Schema):
    id = fields.Integer(required=True, strict=True, validate=DB_ID)
    outcome = fields.String(required=True, validate=SLUG)
    note = fields.String(load_default="", validate=validate.Length(max=2048))


class BuyerMessageQuerySchema(Schema):
    id = fields.Integer(required=True, validate=DB_ID)
    language = fields.String(load_default=None, validate=validate.OneOf(["en", "zh-Hans"]))


class SpreadsheetLanguageSchema(Schema):
    spreadsheet_id = fields.String(required=True, validate=GOOGLE_ID)
    language = fields.String(load_default=None, validate=validate.OneOf(["en", "zh-Hans"]))


class RefundAnswerSchema(Schema):
    """Finance's answer to a refund above the team's limit, from the sidebar."""

    case = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"))
    answer = fields.String(required=True, validate=validate.OneOf(["approve", "decline"]))


class RetentionSchema(Schema):
    retention_days = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 365, error="type a number of days from {min} to {max}")
    )


class EditRowSchema(Schema):
    """One edited row: the typed cells by 1-based column, and the row's other input cells for context."""

    row = fields.Integer(required=True, validate=validate.Range(min=2))
    key = fields.String(required=True, validate=validate.Length(0, 255))
    cells = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,2}$")),
        values=fields.Raw(allow_none=True),
        required=True,
    )
    inputs = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,2}$")),
        values=fields.Raw(allow_none=True),
        load_default=dict,
    )


class EditRequestSchema(Schema):
    """One edit event of the installable trigger; a paste of many cells is one request."""

    spreadsheet_id = fields.String(required=True, validate=GOOGLE_ID)
    tab = fields.String(required=True, validate=TAB)
    editor = fields.Email(load_default=None, allow_none=True, validate=EMAIL)
    headers = fields.List(fields.String(allow_none=True), load_default=list, validate=validate.Length(max=200))
    # Each column's key from its developer metadata (None where a column has none): found whatever its header says.
    keys = fields.List(fields.String(allow_none=True), load_default=list, validate=validate.Length(max=200))
    rows = fields.List(fields.Nested(EditRowSchema), required=True, validate=validate.Length(1, 2000))


class CellResultSchema(Schema):
    row = fields.Integer(required=True)
    column = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "pending", "rejected"]))
    value = fields.Raw(allow_none=True)
    note = fields.String(allow_none=True)


class EditResultSchema(Schema):
    cells = fields.List(fields.Nested(CellResultSchema), required=True)


class BindingSchema(Schema):
    id = fields.Integer(required=True)
    tab = fields.String(required=True)
    profile = fields.String(required=True)
    profile_title = fields.String()
    shops = fields.List(fields.Integer())
    dirty = fields.Boolean()
    last_pushed_at = fields.String(allow_none=True)
    last_push_error = fields.String(allow_none=True)
    writer = fields.String()


class ChallengeSchema(Schema):
    key = fields.String(required=True)
    value = fields.String(required=True)
    expires_at = fields.String(required=True)
