"""Which Google identity writes a team's sheets, and the Sheets/Drive clients built for it from config.

A team that connected a Google user (OAuth web flow) writes as that user; otherwise the service
account in GOOGLE_APPLICATION_CREDENTIALS writes (its key file's `token_uri` is honoured, so the
local identity sandbox can stand in for Google). No credentials live at module level.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
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
    """Sheets v4 and Drive v3 resources, and the HTTP that carries this identity's credentials.

    The resources are shared by every thread of the process and carry no credentials of their own: a
    request runs as an identity only when executed with its `http` (`request.execute(http=...)`, as the
    writer's Caller does), so one team's identity can never ride on another's request.
    """

    sheets: Any
    drive: Any
    http: Any

    @property
    def spreadsheets(self) -> Any:
        return _SHARED.child(self.sheets, "spreadsheets")


class _Shared:
    """Resources googleapiclient builds from the bundled discovery documents, once per process.

    googleapiclient documents every method of a resource when it builds it (Sheets' batchUpdate alone
    is a 5 MB docstring): about 36 MB and 0.3 s for one Sheets and Drive pair, which would otherwise be
    paid again by every task thread and every sidebar request's thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[tuple[object, ...], Any] = {}

    def service(self, api: str, version: str, endpoint: str | None) -> Any:
        key = (api, version, endpoint)
        with self._lock:
            if key not in self._built:
                options = {"api_endpoint": endpoint} if endpoint else None
                anonymous = httplib2.Http(timeout=TIMEOUT_SECONDS)  # a request executed without `http` is refused
                self._built[key] = build(
                    api, version, http=anonymous, static_discovery=True, cache_discovery=False, client_options=options
                )
            return self._built[key]

    def child(self, parent: Any, name: str) -> Any:
        with self._lock:
            key = (id(parent), name)
            if key not in self._built:
                self._built[key] = getattr(parent, name)()
            return self._built[key]


_SHARED = _Shared()
_HTTP = threading.local()


def clients(config: Config, identity: WriterIdentity) -> GoogleClients:
    """The process's Sheets and Drive resources at the configured endpoints, with this identity's HTTP.

    The HTTP (httplib2 is not thread-safe) is kept per thread for the last identity, so its connection
    and access token serve the thread's next push.
    """
    key = (
        config.GOOGLE_APPLICATION_CREDENTIALS,
        identity.email,
        identity.kind,
        getattr(identity.credentials, "refresh_token", None),
        tuple(getattr(identity.credentials, "scopes", None) or ()),  # sharing a new file needs drive.file too
    )
    kept: tuple[tuple[object, ...], Any] | None = getattr(_HTTP, "kept", None)
    if kept is None or kept[0] != key:
        http = google_auth_httplib2.AuthorizedHttp(identity.credentials, http=httplib2.Http(timeout=TIMEOUT_SECONDS))
        kept = _HTTP.kept = (key, http)
    return GoogleClients(*_resources(config), http=kept[1])


def _resources(config: Config) -> tuple[Any, Any]:
    """The process's Sheets and Drive resources at the configured endpoints."""
    return _SHARED.service("sheets", "v4", config.SHEETS_API_ENDPOINT), _SHARED.service(
        "drive", "v3", config.DRIVE_API_ENDPOINT
    )


def warm(config: Config) -> None:
    """Build the process's Sheets and Drive resources now, before a worker serves: otherwise the first push
    of every new worker or instance pays for them, in the middle of whatever woke it."""
    sheets, _drive = _resources(config)
    _SHARED.child(sheets, "spreadsheets")
