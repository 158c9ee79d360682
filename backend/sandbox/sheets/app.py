"""The HTTP face of the Sheets/Drive sandbox: one route table, one pipeline (auth, scopes, faults,
quota, schema validation, handler, partial response, log)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from backend.sandbox.google_identity import Principal
from backend.sandbox.sheets import drive, fields, metadata, requests, schema, values, views
from backend.sandbox.sheets.errors import ApiError, invalid, not_found
from backend.sandbox.sheets.model import ROLE_RANK, Json, ShareEmail
from backend.sandbox.sheets.observability import RECOMMENDED_PAYLOAD, LoggedRequest, fault_error

if TYPE_CHECKING:
    from backend.sandbox.sheets.sandbox import SheetsSandbox

log = logging.getLogger(__name__)
AUTH = "https://www.googleapis.com/auth/"
SHEETS_READ = {"spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly", "drive.file"}
SHEETS_WRITE = {"spreadsheets", "drive", "drive.file"}
DRIVE_READ = {"drive", "drive.readonly", "drive.file", "drive.metadata", "drive.metadata.readonly"}
DRIVE_WRITE = {"drive", "drive.file"}
BROAD_SCOPES = {
    "sheets.v4": {"spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly"},
    "drive.v3": {"drive", "drive.readonly", "drive.metadata", "drive.metadata.readonly"},
}


@dataclass
class Call:
    """One parsed API call handed to an operation."""

    sandbox: SheetsSandbox
    principal: Principal
    params: dict[str, Any]
    body: Json
    path: dict[str, str]
    api: str

    def run(self, need: str, fn: Callable[[Any], Json]) -> Json:
        file = self.sandbox.files.get(self.path["id"])
        if file is not None:
            _check_file_scope(self, file)
        return self.sandbox.run(self.path["id"], self.principal.email, self.principal.client_id, need, fn)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # a regex over the path after the leading slash
    operation: str  # the discovery method id
    kind: str  # "read" | "write": quota bucket and scopes
    schema: str | None  # request body schema in the discovery document
    handler: Callable[[Call], Json]

    @property
    def api(self) -> str:
        return "drive.v3" if self.operation.startswith("drive.") else "sheets.v4"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        m = re.fullmatch(self.path, path)
        return dict(m.groupdict()) if m and method == self.method else None


# -- Sheets operations ----------------------------------------------------------------------------
def _create(call: Call) -> Json:
    ss = call.sandbox.create(call.principal.email, call.principal.client_id, call.body)
    call.path["id"] = ss.id
    return call.run("reader", views.spreadsheet_json)


def _get(call: Call) -> Json:
    include = str(call.params.get("includeGridData", "")).lower() == "true"
    mask = call.params.get("fields")
    if mask:  # "If a field mask is set, the includeGridData parameter is ignored": the mask decides
        try:
            sheets = fields.parse(str(mask)).get("sheets", {})
        except ValueError:
            raise invalid(f"Invalid field selection {mask}") from None
        include = sheets is None or "data" in sheets or "*" in sheets
    return call.run("reader", lambda ctx: views.spreadsheet_json(ctx, call.params.get("ranges", []), include))


def _batch_update(call: Call) -> Json:
    def apply(ctx: Any) -> Json:
        replies = requests.apply(ctx, call.body.get("requests", []))
        reply: Json = {"spreadsheetId": ctx.spreadsheet.id, "replies": replies}
        if call.body.get("includeSpreadsheetInResponse"):
            reply["updatedSpreadsheet"] = views.spreadsheet_json(
                ctx, call.body.get("responseRanges"), bool(call.body.get("responseIncludeGridData"))
            )
        return reply

    reply = call.run("writer", apply)
    with call.sandbox.lock:  # what the applied batches asked for, kind by kind ("request:moveDimension")
        call.sandbox.counters.update(f"request:{next(iter(r))}" for r in call.body.get("requests", []))
    return reply


def _values_get(call: Call) -> Json:
    return call.run("reader", lambda ctx: values.read(ctx, call.path["range"], call.params))


def _values_batch_get(call: Call) -> Json:
    def read(ctx: Any) -> Json:
        ranges = call.params.get("ranges", [])
        return {"spreadsheetId": ctx.spreadsheet.id, "valueRanges": [values.read(ctx, r, call.params) for r in ranges]}

    return call.run("reader", read)


def _with_values(ctx: Any, reply: Json, include: Any, params: dict[str, Any]) -> Json:
    if str(include).lower() == "true" and "updatedRange" in reply:
        reply["updatedData"] = values.read(
            ctx, reply["updatedRange"], {"valueRenderOption": params.get("responseValueRenderOption")}
        )
    return reply


def _values_update(call: Call) -> Json:
    def write(ctx: Any) -> Json:
        reply = values.write(ctx, call.path["range"], call.body, call.params.get("valueInputOption"))
        return _with_values(ctx, reply, call.params.get("includeValuesInResponse"), call.params)

    return call.run("writer", write)


def _values_batch_update(call: Call) -> Json:
    def write(ctx: Any) -> Json:
        option = call.body.get("valueInputOption")
        responses = [
            _with_values(
                ctx,
                values.write(ctx, data.get("range", ""), data, option),
                call.body.get("includeValuesInResponse"),
                call.body,
            )
            for data in call.body.get("data", [])
        ]
        touched = {r["updatedRange"].rpartition("!")[0] for r in responses if "updatedCells" in r}
        return {
            "spreadsheetId": ctx.spreadsheet.id,
            "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
            "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
            "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
            "totalUpdatedSheets": len(touched),
            "responses": responses,
        }

    return call.run("writer", write)


def _values_append(call: Call) -> Json:
    option = str(call.params.get("insertDataOption") or "OVERWRITE")
    if option not in {"OVERWRITE", "INSERT_ROWS"}:
        raise invalid(f"Invalid insertDataOption: {option}")
    return call.run(
        "writer",
        lambda ctx: values.append(ctx, call.path["range"], call.body, call.params.get("valueInputOption"), option),
    )


def _values_clear(call: Call) -> Json:
    return call.run("writer", lambda ctx: values.clear(ctx, call.path["range"]))


def _values_batch_clear(call: Call) -> Json:
    def clear(ctx: Any) -> Json:
        cleared = [values.clear(ctx, r)["clearedRange"] for r in call.body.get("ranges", [])]
        return {"spreadsheetId": ctx.spreadsheet.id, "clearedRanges": cleared}

    return call.run("writer", clear)


def _metadata_search(call: Call) -> Json:
    return call.run("reader", lambda ctx: metadata.search(ctx, call.body.get("dataFilters", [])))


def _metadata_get(call: Call) -> Json:
    def get(ctx: Any) -> Json:
        for meta in ctx.spreadsheet.developer_metadata:
            if str(meta["metadataId"]) == call.path["metadata"] and metadata.visible(ctx, meta):
                return metadata.public(meta)
        raise ApiError(404, f"No developer metadata with ID: {call.path['metadata']}")

    return call.run("reader", get)


# -- Drive operations -----------------------------------------------------------------------------
def _drive_file(call: Call, need: str) -> tuple[Any, str]:
    """The file and the caller's role; Drive hides files a caller cannot see behind a 404."""
    file = call.sandbox.files.get(call.path["id"])
    role = drive.role_of(file, call.principal.email, call.sandbox.groups) if file else None
    if file is None or role is None:
        raise drive.file_not_found(call.path["id"])
    _check_file_scope(call, file)
    if ROLE_RANK[role] < ROLE_RANK[need]:
        raise drive.insufficient()
    return file, role


def _check_file_scope(call: Call, file: Any) -> None:
    """A token whose only fitting scope is drive.file reaches just the files its own app created."""
    granted = {s.removeprefix(AUTH) for s in call.principal.scopes}
    if granted & BROAD_SCOPES[call.api]:
        return
    if file.created_by_client != call.principal.client_id:
        raise drive.file_not_found(file.id) if call.api == "drive.v3" else not_found()


def _drive_create(call: Call) -> Json:
    mime = call.body.get("mimeType", "application/octet-stream")
    name = call.body.get("name", "Untitled")
    if mime == drive.SPREADSHEET_MIME:
        ss = call.sandbox.create(call.principal.email, call.principal.client_id, {"properties": {"title": name}})
        file = call.sandbox.files[ss.id]
    else:
        file_id = f"sandbox-{len(call.sandbox.files) + 1}"
        file = drive.new_file(file_id, name, mime, call.principal.email, call.principal.client_id)
        with call.sandbox.lock:
            call.sandbox.files[file_id] = file
    resource = drive.file_resource(file, call.principal.email, "owner")
    return _drive_default(resource, ("kind", "id", "name", "mimeType"))


def _drive_default(resource: Json, keys: tuple[str, ...]) -> Json:
    """Drive returns only a few fields unless `fields` asks for more (applied later)."""
    if request.args.get("fields"):
        return resource
    return {k: resource[k] for k in keys if k in resource}


def _drive_get(call: Call) -> Json:
    file, role = _drive_file(call, "reader")
    return _drive_default(drive.file_resource(file, call.principal.email, role), ("kind", "id", "name", "mimeType"))


def _permissions_list(call: Call) -> Json:
    file, _ = _drive_file(call, "reader")
    items, token = drive.page(
        [p.resource() for p in file.permissions], call.params.get("pageSize"), call.params.get("pageToken")
    )
    body: Json = {"kind": "drive#permissionList", "permissions": items}
    if token:
        body["nextPageToken"] = token
    return body


def _permissions_create(call: Call) -> Json:
    file, _ = _drive_file(call, "writer")
    with call.sandbox.lock:
        permission = drive.add_permission(file, call.body, call.params)
        if drive.notifies(call.body, call.params):
            email = ShareEmail(file.id, str(permission.email_address), permission.role, call.principal.email)
            call.sandbox.share_emails.append(email)
    return _drive_default(permission.resource(), ("kind", "id", "type", "role"))


def _permissions_delete(call: Call) -> Json:
    file, _ = _drive_file(call, "writer")
    with call.sandbox.lock:
        drive.remove_permission(file, call.path["permission"])
    return {}


SS = r"v4/spreadsheets/(?P<id>[^/:]+)"
FILE = r"drive/v3/files/(?P<id>[^/]+)"
ROUTES = [
    Route("POST", r"v4/spreadsheets", "sheets.spreadsheets.create", "write", "Spreadsheet", _create),
    Route("GET", SS, "sheets.spreadsheets.get", "read", None, _get),
    Route(
        "POST",
        SS + ":batchUpdate",
        "sheets.spreadsheets.batchUpdate",
        "write",
        "BatchUpdateSpreadsheetRequest",
        _batch_update,
    ),
    Route("GET", SS + "/values:batchGet", "sheets.spreadsheets.values.batchGet", "read", None, _values_batch_get),
    Route(
        "POST",
        SS + "/values:batchUpdate",
        "sheets.spreadsheets.values.batchUpdate",
        "write",
        "BatchUpdateValuesRequest",
        _values_batch_update,
    ),
    Route(
        "POST",
        SS + "/values:batchClear",
        "sheets.spreadsheets.values.batchClear",
        "write",
        "BatchClearValuesRequest",
        _values_batch_clear,
    ),
    Route(
        "POST",
        SS + "/values/(?P<range>.+):append",
        "sheets.spreadsheets.values.append",
        "write",
        "ValueRange",
        _values_append,
    ),
    Route(
        "POST",
        SS + "/values/(?P<range>.+):clear",
        "sheets.spreadsheets.values.clear",
        "write",
        "ClearValuesRequest",
        _values_clear,
    ),
    Route("GET", SS + "/values/(?P<range>.+)", "sheets.spreadsheets.values.get", "read", None, _values_get),
    Route(
        "PUT", SS + "/values/(?P<range>.+)", "sheets.spreadsheets.values.update", "write", "ValueRange", _values_update
    ),
    Route(
        "POST",
        SS + "/developerMetadata:search",
        "sheets.spreadsheets.developerMetadata.search",
        "read",
        "SearchDeveloperMetadataRequest",
        _metadata_search,
    ),
    Route(
        "GET",
        SS + "/developerMetadata/(?P<metadata>\\d+)",
        "sheets.spreadsheets.developerMetadata.get",
        "read",
        None,
        _metadata_get,
    ),
    Route("POST", r"drive/v3/files", "drive.files.create", "write", "File", _drive_create),
    Route("GET", FILE, "drive.files.get", "read", None, _drive_get),
    Route("GET", FILE + "/permissions", "drive.permissions.list", "read", None, _permissions_list),
    Route("POST", FILE + "/permissions", "drive.permissions.create", "write", "Permission", _permissions_create),
    Route(
        "DELETE",
        FILE + "/permissions/(?P<permission>[^/]+)",
        "drive.permissions.delete",
        "write",
        None,
        _permissions_delete,
    ),
]
SCOPES = {
    ("sheets.v4", "read"): SHEETS_READ,
    ("sheets.v4", "write"): SHEETS_WRITE,
    ("drive.v3", "read"): DRIVE_READ,
    ("drive.v3", "write"): DRIVE_WRITE,
}


def _match(method: str, path: str) -> tuple[Route, dict[str, str]]:
    for route in ROUTES:
        args = route.match(method, path)
        if args is not None:
            return route, args
    raise ApiError(404, f"Method not found: {method} /{path}")


def _authenticate(sandbox: SheetsSandbox, route: Route) -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
            "or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
    principal = sandbox.principal(header[7:].strip())
    if principal is None:
        raise ApiError(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
            "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        )
    allowed = SCOPES[(route.api, route.kind)]
    if not {s.removeprefix(AUTH) for s in principal.scopes} & allowed:
        raise ApiError(
            403,
            "Request had insufficient authentication scopes.",
            reason="insufficientPermissions",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                    "metadata": {"method": route.operation},
                }
            ],
        )
    return principal


def _params() -> dict[str, Any]:
    params: dict[str, Any] = {k: v for k, v in request.args.items()}
    params["ranges"] = request.args.getlist("ranges")
    return params


def _body(route: Route) -> Json:
    raw = request.get_data()
    if len(raw) > RECOMMENDED_PAYLOAD:
        log.warning("payload of %d bytes exceeds the recommended 2 MB for %s", len(raw), route.operation)
    if not raw:
        body: Any = {}
    else:
        try:
            body = json.loads(raw, parse_constant=_not_json)
        except ValueError:
            raise invalid("Invalid JSON payload received.") from None
    if route.schema:
        schema.validate(route.api, route.schema, body)
    return dict(body)


def _not_json(token: str) -> Any:
    """Python reads NaN and Infinity; Google's JSON parser, like the standard, does not."""
    raise ValueError(f"Unexpected token {token}")


def build_app(sandbox: SheetsSandbox) -> Flask:
    app = Flask("google_sheets_sandbox")

    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def dispatch(path: str) -> Response:
        principal: Principal | None = None
        operation = "unknown"
        if sandbox.latency:
            time.sleep(sandbox.latency)
        try:
            route, path_args = _match(request.method, path)
            operation = route.operation
            principal = _authenticate(sandbox, route)
            fault = sandbox.take_fault(path)
            if fault is not None and not fault.after_commit:
                fault.wait()
                if fault.status >= 400:
                    raise fault_error(fault.status)
            if route.api == "sheets.v4":
                sandbox.quotas.charge(route.kind, principal.email, principal.client_id)
            body = _body(route)
            result = route.handler(Call(sandbox, principal, _params(), body, path_args, route.api))
            if fault is not None and fault.after_commit:
                fault.wait()
                raise fault_error(fault.status)
            mask = request.args.get("fields")
            if mask:
                try:
                    result = fields.select(result, fields.parse(mask))
                except ValueError:
                    raise invalid(f"Invalid field selection {mask}") from None
            status, payload = (204, "") if request.method == "DELETE" else (200, json.dumps(result))
        except ApiError as exc:
            status, payload = exc.code, json.dumps(exc.body())
        _record(sandbox, operation, principal, status)
        response = Response(payload, status=status, mimetype="application/json")
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
        return response

    return app


def _record(sandbox: SheetsSandbox, operation: str, principal: Principal | None, status: int) -> None:
    entry = LoggedRequest(
        request.method,
        request.full_path.rstrip("?"),
        operation,
        principal.email if principal else None,
        request.content_length or 0,
        status,
        sandbox.clock.now(),
    )
    with sandbox.lock:
        sandbox.log.append(entry)
        sandbox.counters[operation] += 1
        sandbox.counters[f"status:{status}"] += 1
        if entry.body_size > RECOMMENDED_PAYLOAD:
            sandbox.counters["payload_over_2mb"] += 1
