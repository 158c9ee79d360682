"""Which Google identity writes a team's sheets, and the Sheets/Drive clients built for it from config.

A team that connected a Google user (OAuth web flow) writes as that user; otherwise the service
account in GOOGLE_APPLICATION_CREDENTIALS writes (its key file's `token_uri` is honoured, so the
local identity sandbox can stand in for Google). No credentials live at module level.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import google.oauth2.credentials
import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2  # type: ignore[import-untyped]
from google.oauth2 import service_account
from googleapiclient.discovery import build
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Config
from backend.errors import ReauthorizationNeeded
from backend.models import GoogleConnection
from backend.secrets import SecretBox

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
DRIVE_METADATA_SCOPE = "https://www.googleapis.com/auth/drive.metadata.readonly"
SCOPES = (SHEETS_SCOPE, DRIVE_METADATA_SCOPE)
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class WriterIdentity:
    email: str
    kind: str  # "connected_user" | "service_account"
    credentials: Any
    # The Cloud project Google charges this identity's Sheets quota to: the service account's own project,
    # or the OAuth client a connected user signed in through.
    project: str = ""


@cache
def _service_account_email(path: str) -> str:
    try:
        return str(json.loads(Path(path).read_text(encoding="utf-8"))["client_email"])
    except (OSError, ValueError, KeyError) as exc:
        raise ReauthorizationNeeded(
            f"GOOGLE_APPLICATION_CREDENTIALS ({path}) is not a service account key: {exc}"
        ) from None


def identity_email(session: Session, team_id: int, config: Config) -> str:
    """The email that writes the team's sheets: share spreadsheets with it as an editor."""
    connection = session.scalar(select(GoogleConnection).where(GoogleConnection.team_id == team_id))
    if connection is not None:
        return connection.email
    if config.GOOGLE_APPLICATION_CREDENTIALS:
        return _service_account_email(config.GOOGLE_APPLICATION_CREDENTIALS)
    raise ReauthorizationNeeded(
        "no Google identity can write sheets: connect a Google account in the sidebar, "
        "or set GOOGLE_APPLICATION_CREDENTIALS to a service account key"
    )


def writer_for(session: Session, team_id: int, config: Config, secrets: SecretBox) -> WriterIdentity:
    """Credentials of the identity that writes the team's sheets (connected user first)."""
    connection = session.scalar(select(GoogleConnection).where(GoogleConnection.team_id == team_id))
    if connection is not None:
        credentials = google.oauth2.credentials.Credentials(  # type: ignore[no-untyped-call]
            token=None,
            refresh_token=secrets.open(connection.refresh_token_sealed),
            token_uri=config.GOOGLE_OAUTH_TOKEN_URI,
            client_id=config.GOOGLE_OAUTH_CLIENT_ID,
            client_secret=config.GOOGLE_OAUTH_CLIENT_SECRET,
            scopes=connection.scopes.split(),
        )
        return WriterIdentity(connection.email, "connected_user", credentials, config.GOOGLE_OAUTH_CLIENT_ID or "")
    email = identity_email(session, team_id, config)
    credentials = _service_account(str(config.GOOGLE_APPLICATION_CREDENTIALS))
    return WriterIdentity(email, "service_account", credentials, credentials.project_id or "")


def _service_account(path: str) -> Any:
    """The service account's credentials, parsed once per key file's contents: parsing the key costs more
    than a push's own work, and the access token is then reused until it expires."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ReauthorizationNeeded(f"GOOGLE_APPLICATION_CREDENTIALS ({path}) cannot be read: {exc}") from None
    return _parsed_service_account(text)


@cache
def _parsed_service_account(text: str) -> Any:
    info = json.loads(text)
    return service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class GoogleClients:
    sheets: Any
    drive: Any

    @cached_property
    def spreadsheets(self) -> Any:
        """The spreadsheets resource, built once: googleapiclient documents its methods anew on every call."""
        return self.sheets.spreadsheets()


_BUILT = threading.local()


def clients(config: Config, identity: WriterIdentity) -> GoogleClients:
    """Sheets v4 and Drive v3 from the bundled discovery documents, at the configured endpoints.

    The last pair is kept per thread for the same identity: googleapiclient documents every method of
    a resource on its first use (about 50 MB and 0.3 s for Sheets), which each push would pay again.
    """
    key = (
        config.SHEETS_API_ENDPOINT,
        config.DRIVE_API_ENDPOINT,
        config.GOOGLE_APPLICATION_CREDENTIALS,
        identity.email,
        identity.kind,
        getattr(identity.credentials, "refresh_token", None),
        tuple(getattr(identity.credentials, "scopes", None) or ()),  # sharing a new file needs drive.file too
    )
    kept: tuple[tuple[object, ...], GoogleClients] | None = getattr(_BUILT, "clients", None)
    if kept is not None and kept[0] == key:
        return kept[1]

    def make(api: str, version: str, endpoint: str | None) -> Any:
        http = google_auth_httplib2.AuthorizedHttp(identity.credentials, http=httplib2.Http(timeout=TIMEOUT_SECONDS))
        options = {"api_endpoint": endpoint} if endpoint else None
        return build(api, version, http=http, static_discovery=True, cache_discovery=False, client_options=options)

    built = GoogleClients(
        sheets=make("sheets", "v4", config.SHEETS_API_ENDPOINT),
        drive=make("drive", "v3", config.DRIVE_API_ENDPOINT),
    )
    _BUILT.clients = (key, built)
    return built
