"""One seller's world for add-on scenarios: the backend over HTTP against the TikTok and Google sandboxes,
a synced shop, a team with an admin and a packer, and the admin's own spreadsheet shared with the backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backend import runtime
from backend.models import Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import sync, teams
from backend.services.shops import Platform
from tests.api.conftest import AUDIENCE, WRITER, point_at_google
from tests.conftest import Live
from tests.sheets.test_push import sheets_as

ADMIN = "founder@acme.test"  # the `live` team's admin
PACKER = "packer@3pl.example"


class AddonFailure(Exception):
    """The backend refused: its own message, as the sidebar shows it."""


@dataclass
class World:
    live: Live
    google: GoogleSandboxes
    shop_id: int
    file_id: str

    def api(self, method: str, path: str, email: str = ADMIN, payload: dict[str, Any] | None = None) -> Any:
        """What Api.gs does: the identity token as Bearer, the backend's message on failure."""
        token = self.google.identity.mint_id_token(AUDIENCE, email)
        headers = {"Authorization": f"Bearer {token}"}
        if method == "get":
            reply = httpx.get(self.live.url + path, params=payload or {}, headers=headers, timeout=30)
        else:
            reply = httpx.post(self.live.url + path, json=payload or {}, headers=headers, timeout=60)
        body = reply.json()
        if reply.status_code >= 300:
            raise AddonFailure(body["error"]["message"])
        return body

    def bind_tab(self, tab: str, profile: str, *, new_tab: bool, email: str = ADMIN, file_id: str | None = None) -> Any:
        """What Bind.gs does as `email` inside the spreadsheet: (new tab,) challenge, metadata, bind."""
        file_id = file_id or self.file_id
        sheets = sheets_as(self.google, email).spreadsheets()
        if new_tab:
            if any(s.title == tab for s in self.google.sheets.spreadsheets[file_id].sheets):
                raise AddonFailure(f'A tab named "{tab}" already exists: choose another name.')
            sheets.batchUpdate(
                spreadsheetId=file_id, body={"requests": [{"addSheet": {"properties": {"title": tab}}}]}
            ).execute()
        challenge = self.api("post", "/addon/bind/challenge", email, {"spreadsheet_id": file_id})
        meta = {"metadataKey": challenge["key"], "metadataValue": challenge["value"], "visibility": "DOCUMENT",
                "location": {"spreadsheet": True}}  # fmt: skip
        sheets.batchUpdate(
            spreadsheetId=file_id, body={"requests": [{"createDeveloperMetadata": {"developerMetadata": meta}}]}
        ).execute()
        body = {"spreadsheet_id": file_id, "challenge": challenge["value"], "tab": tab, "profile": profile}
        return self.api("post", "/addon/bindings", email, body)

    def tab(self, tab: str, file_id: str | None = None) -> list[list[Any]]:
        return self.google.sheets.values(file_id or self.file_id, f"'{tab}'")

    def new_file(self, title: str) -> str:
        ss = self.google.sheets.create_spreadsheet(ADMIN, title, sheets=["Sheet1"], time_zone="America/Los_Angeles")
        self.google.sheets.share(ss.id, "writer", email=WRITER)
        return ss.id


def build_world(live: Live, google: GoogleSandboxes, tmp_path: Path) -> World:
    point_at_google(live.app, google, tmp_path)
    shop_id = live.connect_shop("Acme US", "US", orders=40)[0]
    with live.app.app_context():
        sync.sync_shop(live.db, Platform(runtime.config(), runtime.secret_box()), shop_id)
        with live.db.session() as session:
            teams.add_member(session, session.get_one(Team, live.team_id), PACKER, "warehouse")
    world = World(live, google, shop_id, "")
    world.file_id = world.new_file("Acme orders")
    return world
