"""Connecting a Google account that writes the team's sheets: the OAuth web flow with PKCE, offline.

The sidebar cannot send its identity token through a browser redirect, so an admin's call to
/addon/google/connect records a one-time state (team, admin, expiry) and returns a link to
/oauth/google/start; that page builds the consent URL and keeps the PKCE verifier on the server,
keyed by the state, until Google redirects back to /oauth/google/callback.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import google.auth.jwt
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from oauthlib.oauth2.rfc6749.utils import is_secure_transport  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Config
from backend.db import Database
from backend.errors import Forbidden, InvalidInput, UpstreamError
from backend.models import AuditEntry, GoogleConnection, GoogleOAuthState, Member, utcnow
from backend.secrets import SecretBox
from backend.services.addon import Caller
from backend.services.addon_sheets import DRIVE_FILE_SCOPE
from backend.sheets.google import SCOPES as WRITER_SCOPES
from backend.sheets.google import SHEETS_SCOPE

SCOPES = ["openid", "https://www.googleapis.com/auth/userinfo.email", *WRITER_SCOPES, DRIVE_FILE_SCOPE]
STATE_TTL = timedelta(minutes=15)


def callback_url(config: Config) -> str:
    return config.PUBLIC_BASE_URL.rstrip("/") + "/oauth/google/callback"


def _flow(config: Config, state: str | None = None) -> Flow:
    if not config.GOOGLE_OAUTH_CLIENT_ID or not config.GOOGLE_OAUTH_CLIENT_SECRET:
        raise InvalidInput("GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET are not set on the backend")
    plain = [u for u in (callback_url(config), config.GOOGLE_OAUTH_AUTH_URI) if not is_secure_transport(u)]
    if plain:  # oauthlib refuses http (a local sandbox sets OAUTHLIB_INSECURE_TRANSPORT): say so, not a 500
        raise InvalidInput(
            f"connecting Google needs https, and {plain[0]} is not: set PUBLIC_BASE_URL to an https address"
        )
    client = {
        "web": {
            "client_id": config.GOOGLE_OAUTH_CLIENT_ID,
            "client_secret": config.GOOGLE_OAUTH_CLIENT_SECRET,
            "auth_uri": config.GOOGLE_OAUTH_AUTH_URI,
            "token_uri": config.GOOGLE_OAUTH_TOKEN_URI,
            "redirect_uris": [callback_url(config)],
        }
    }
    return Flow.from_client_config(client, scopes=SCOPES, redirect_uri=callback_url(config), state=state)


def start_link(db: Database, config: Config, caller: Caller) -> str:
    """Where the admin's browser goes to connect a Google account for the team (valid 15 minutes, once)."""
    _flow(config)  # refuse now, in the sidebar, when the backend has no OAuth client
    state = secrets.token_urlsafe(32)
    with db.session() as session:
        session.add(
            GoogleOAuthState(
                state=state, team_id=caller.team_id, member_email=caller.email, expires_at=utcnow() + STATE_TTL
            )
        )
    return f"{config.PUBLIC_BASE_URL.rstrip('/')}/oauth/google/start?state={state}"


def _pending(session: Session, state: str) -> GoogleOAuthState:
    row = session.get(GoogleOAuthState, state)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise Forbidden("this link has expired or was already used: press Connect Google again in the sidebar")
    return row


def begin(db: Database, config: Config, box: SecretBox, state: str) -> str:
    """The consent URL (offline, prompt=consent, PKCE S256); the verifier is sealed and kept here."""
    flow = _flow(config, state)
    with db.session() as session:
        row = _pending(session, state)
        if row.code_verifier_sealed is not None:
            raise Forbidden("this link was already opened: press Connect Google again in the sidebar")
        url, _ = flow.authorization_url(
            access_type="offline", prompt="consent", include_granted_scopes="true", login_hint=row.member_email
        )
        row.code_verifier_sealed = box.seal(str(flow.code_verifier))
    return str(url)


def finish(db: Database, config: Config, box: SecretBox, state: str, authorization_response: str) -> str:
    """Exchange the code (with the kept verifier), store the sealed refresh token; returns the account."""
    with db.session() as session:
        row = _pending(session, state)
        if row.code_verifier_sealed is None:
            raise Forbidden("this consent was not started by OrderDeck: press Connect Google again in the sidebar")
        row.used_at = utcnow()
        verifier, team_id, admin = box.open(row.code_verifier_sealed), row.team_id, row.member_email
    flow = _flow(config, state)
    flow.code_verifier = verifier
    try:
        token = flow.fetch_token(authorization_response=authorization_response)
    except (OAuth2Error, ValueError) as exc:
        raise UpstreamError(f"Google did not complete the connection: {exc}") from None
    granted = set(token.get("scope") or ())
    if SHEETS_SCOPE not in granted:
        raise InvalidInput("OrderDeck needs access to Google Sheets: connect again and allow it")
    if not token.get("refresh_token"):
        raise InvalidInput("Google sent no refresh token: remove OrderDeck's access in your Google account, then retry")
    claims = google.auth.jwt.decode(token["id_token"], verify=False)  # type: ignore[no-untyped-call]
    if claims.get("aud") != config.GOOGLE_OAUTH_CLIENT_ID or claims.get("email_verified") is not True:
        raise Forbidden("Google's answer is not for OrderDeck's client or its email is not verified")
    email = str(claims["email"]).lower()
    with db.session() as session:
        if (
            session.scalar(
                select(Member.id).where(Member.team_id == team_id, Member.email == admin, Member.role == "admin")
            )
            is None
        ):
            raise Forbidden(f"{admin} is no longer an admin of this team")
        connection = session.scalar(select(GoogleConnection).where(GoogleConnection.team_id == team_id))
        if connection is None:
            connection = GoogleConnection(team_id=team_id)
            session.add(connection)
        connection.email, connection.scopes = email, " ".join(sorted(granted))
        connection.refresh_token_sealed = box.seal(str(token["refresh_token"]))
        connection.connected_by, connection.connected_at = admin, utcnow()
        session.add(
            AuditEntry(
                team_id=team_id,
                actor=admin,
                action="google.connect",
                target_type="google",
                target_id=email,
                detail={"scopes": sorted(granted)},
            )
        )
    return email
