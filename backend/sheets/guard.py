"""The sharing guard: before writing anything above "operational", check who can actually open the file.

Protection stops editing, not reading (DESIGN.md), so the only defence for a warehouse file is that
nobody who may not see sales, cost or personal data can open it. The guard lists the file's Drive
permissions (read-only metadata scope) and names every reader that breaks that rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backend.domain.access import RolePolicy, Sensitivity
from backend.sheets.writer import Caller

PERMISSION_FIELDS = "nextPageToken,permissions(id,type,role,emailAddress,domain,allowFileDiscovery)"


def sharing_problems(
    permissions: Iterable[Mapping[str, Any]],
    classes: Iterable[Sensitivity],
    *,
    members: Mapping[str, str],
    policy: RolePolicy,
    writer: str,
    team_name: str,
) -> list[str]:
    """One sentence per reader who may not see `classes`; empty when the file is safe to write into."""
    shown = sorted({c for c in classes if c is not Sensitivity.OPERATIONAL}, key=list(Sensitivity).index)
    if not shown:
        return []
    what = ", ".join(c.value for c in shown)
    problems = []
    for p in permissions:
        kind, email = p.get("type"), str(p.get("emailAddress", "")).lower()
        if kind == "anyone":
            problems.append(f"anyone with the link can open it, and it would show {what} data: turn link sharing off")
        elif kind == "domain":
            problems.append(f"everyone at {p.get('domain')} can open it, and it would show {what} data")
        elif kind == "group":
            problems.append(f"the group {email} can open it; OrderDeck cannot see who is in a group: share with people")
        elif email == writer.lower():
            continue
        elif email not in members:
            problems.append(f"{email} can open it but is not a member of team {team_name!r}")
        elif hidden := policy.hidden_from(members[email], shown):
            classes_hidden = ", ".join(c.value for c in sorted(hidden, key=list(Sensitivity).index))
            problems.append(f"{email} can open it, but the {members[email]} role may not see {classes_hidden} data")
    return problems


@dataclass(frozen=True)
class FileSharing:
    owner: str | None
    permissions: tuple[Mapping[str, Any], ...]


def list_sharing(caller: Caller, drive: Any, file_id: str) -> FileSharing:
    permissions: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        request = drive.permissions().list(fileId=file_id, fields=PERMISSION_FIELDS, pageSize=100, pageToken=token)
        page = caller.read(request, f"list who can open spreadsheet {file_id}")
        permissions += page.get("permissions", [])
        token = page.get("nextPageToken")
        if not token:
            break
    owner = next((str(p.get("emailAddress", "")).lower() for p in permissions if p.get("role") == "owner"), None)
    return FileSharing(owner, tuple(permissions))
