"""The slice of Drive v3 the backend uses: create a spreadsheet file, read owners and permissions,
share and unshare. Sharing decides who may read or write through the Sheets API too."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from backend.sandbox.sheets.errors import ApiError
from backend.sandbox.sheets.model import ROLE_RANK, DriveFile, Json, Permission

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
TYPES = {"user", "group", "domain", "anyone"}
ROLES = {"reader", "commenter", "writer", "owner", "fileOrganizer", "organizer"}


def file_not_found(file_id: str) -> ApiError:
    return ApiError(404, f"File not found: {file_id}.", reason="notFound")


def insufficient() -> ApiError:
    return ApiError(
        403, "The user does not have sufficient permissions for this file.", reason="insufficientFilePermissions"
    )


def permission_id(kind: str, email: str | None, domain: str | None, discoverable: bool | None) -> str:
    """Stable ids like Drive's: one per account, `anyoneWithLink` for link sharing."""
    if kind == "anyone":
        return "anyone" if discoverable else "anyoneWithLink"
    key = (email or domain or "").lower()
    return str(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16) % 10**20)


def new_file(file_id: str, name: str, mime_type: str, owner: str, client_id: str) -> DriveFile:
    owner_permission = Permission(permission_id("user", owner, None, None), "user", "owner", email_address=owner)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return DriveFile(file_id, name, mime_type, owner, [owner_permission], client_id, created)


def role_of(file: DriveFile, email: str, groups: dict[str, set[str]]) -> str | None:
    """The strongest role any permission gives `email` (user, group membership, domain, anyone)."""
    best: str | None = None
    for p in file.permissions:
        applies = (
            (p.type == "user" and (p.email_address or "").lower() == email.lower())
            or (p.type == "group" and email.lower() in groups.get((p.email_address or "").lower(), set()))
            or (p.type == "domain" and email.lower().endswith("@" + (p.domain or "").lower()))
            or p.type == "anyone"
        )
        if applies and (best is None or ROLE_RANK[p.role] > ROLE_RANK[best]):
            best = p.role
    return best


def file_resource(file: DriveFile, viewer: str, viewer_role: str) -> Json:
    can_edit = ROLE_RANK[viewer_role] >= ROLE_RANK["writer"]
    body: Json = {
        "kind": "drive#file",
        "id": file.id,
        "name": file.name,
        "mimeType": file.mime_type,
        "createdTime": file.created_time,
        "webViewLink": f"https://docs.google.com/spreadsheets/d/{file.id}/edit?usp=drivesdk",
        "ownedByMe": file.owner == viewer,
        "shared": len(file.permissions) > 1,
        "owners": [
            {
                "kind": "drive#user",
                "displayName": file.owner.split("@")[0],
                "emailAddress": file.owner,
                "me": file.owner == viewer,
                "permissionId": permission_id("user", file.owner, None, None),
            }
        ],
        "capabilities": {"canEdit": can_edit, "canShare": can_edit, "canComment": viewer_role != "reader"},
    }
    if can_edit:
        body["permissions"] = [p.resource() for p in file.permissions]
    return body


def add_permission(file: DriveFile, body: Json, params: dict[str, Any]) -> Permission:
    kind, role = body.get("type"), body.get("role")
    if kind not in TYPES or role not in ROLES:
        raise ApiError(400, "Invalid permission type or role.", reason="invalid")
    email, domain = body.get("emailAddress"), body.get("domain")
    if kind in {"user", "group"} and not email:
        raise ApiError(400, "The permission emailAddress field is required.", reason="required")
    if kind == "domain" and not domain:
        raise ApiError(400, "The permission domain field is required.", reason="required")
    if role == "owner":
        if str(params.get("transferOwnership", "")).lower() != "true":
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
                reason="forbidden",
            )
        if kind != "user":
            raise ApiError(400, "Only a user can own a file.", reason="invalidOwnershipTransfer")
    discoverable = body.get("allowFileDiscovery") if kind in {"domain", "anyone"} else None
    permission = Permission(
        permission_id(kind, email, domain, discoverable),
        kind,
        role,
        email_address=email,
        domain=domain,
        allow_file_discovery=discoverable if kind in {"domain", "anyone"} else None,
    )
    if role == "owner":
        for p in file.permissions:
            if p.role == "owner":
                p.role = "writer"
        file.owner = str(email)
    file.permissions = [p for p in file.permissions if p.id != permission.id] + [permission]
    return permission


def notifies(body: Json, params: dict[str, Any]) -> bool:
    """Drive e-mails a user or group it shares with unless the call says sendNotificationEmail=false: the
    default is true (https://developers.google.com/drive/api/reference/rest/v3/permissions/create)."""
    asked = str(params.get("sendNotificationEmail", "true")).lower() != "false"
    return asked and body.get("type") in {"user", "group"}


def remove_permission(file: DriveFile, permission: str) -> None:
    found = next((p for p in file.permissions if p.id == permission), None)
    if found is None:
        raise ApiError(404, f"Permission not found: {permission}.", reason="notFound")
    if found.role == "owner":
        raise ApiError(403, "The owner of a file cannot be removed.", reason="cannotRemoveOwner")
    file.permissions.remove(found)


def page(items: list[Json], page_size: Any, page_token: Any) -> tuple[list[Json], str | None]:
    """Slice a list like Drive: no pageSize = everything; tokens are opaque offsets."""
    try:
        start = int(base64.urlsafe_b64decode(str(page_token)).decode()) if page_token else 0
    except ValueError:
        raise ApiError(400, "Invalid Value", reason="invalid") from None
    if not page_size:
        return items[start:], None
    size = int(page_size)
    if not 1 <= size <= 100:
        raise ApiError(400, "Invalid Value", reason="invalid")
    end = start + size
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token
