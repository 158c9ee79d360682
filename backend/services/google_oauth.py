"""Connecting a Google account that writes the team's sheets: the OAuth web flow with PKCE, offline.

The sidebar cannot send its identity token through a browser redirect, so an admin's call to
/addon/google/connect records a one-time state (team, admin, expiry) and returns a link to
/oauth/google/start; that page builds the consent URL and keeps the PKCE verifier on the server,
keyed by the state, until Google redirects back to /oauth/google/callback.

Whoever holds the link can finish Google's consent, so the callback proves only that *some* Google
account agreed. The account becomes the team's writer at once only when it is the starting admin's own
(verified) address; any other account waits, sealed and unused, until that same admin confirms it in
the sidebar (`confirm`) within CONFIRM_TTL. Until then the previous writer stays and nothing is shared
with the new account.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import google.auth.jwt
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from backend.config import Config
from backend.db import Database
from backend.domain.phrases import Phrase
from backend.errors import Forbidden, InvalidInput, NotFound, UpstreamError
from backend.models import AuditEntry, GoogleConnection, GoogleOAuthState, Member, utcnow
from backend.secrets import SecretBox
from backend.services import teams
from backend.services.addon import Caller, waiting_google
from backend.services.addon_sheets import DRIVE_FILE_SCOPE
from backend.sheets.google import SCOPES as WRITER_SCOPES
from backend.sheets.google import SHEETS_SCOPE

SCOPES = ["openid", "https://www.googleapis.com/auth/userinfo.email", *WRITER_SCOPES, DRIVE_FILE_SCOPE]
STATE_TTL = timedelta(minutes=15)
CONFIRM_TTL = timedelta(minutes=30)  # how long another account Google returned waits for the admin's confirmation
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def callback_url(config: Config) -> str:
    return config.PUBLIC_BASE_URL.rstrip("/") + "/oauth/google/callback"


def _allow_loopback_http(config: Config) -> None:
    """oauthlib refuses every http URL (a 500 on /oauth/google/start in the demo). On loopback, where the
    local sandboxes serve Google's endpoints, TLS protects nothing, so oauthlib's documented switch is set
    for this process; an http URL anywhere else is refused here, in words."""
    urls = (config.GOOGLE_OAUTH_AUTH_URI, config.GOOGLE_OAUTH_TOKEN_URI, callback_url(config))
    plain = [u for u in urls if urlsplit(u).scheme != "https"]
    outside = next((u for u in plain if urlsplit(u).hostname not in LOOPBACK), None)
    if outside is not None:
        raise InvalidInput(
            Phrase("connecting Google needs https: {url} is not (set PUBLIC_BASE_URL to the https URL)", url=outside)
        )
    if plain and not os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def _flow(config: Config, state: str | None = None) -> Flow:
    if not config.GOOGLE_OAUTH_CLIENT_ID or not config.GOOGLE_OAUTH_CLIENT_SECRET:
        raise InvalidInput("GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET are not set on the backend")
    _allow_loopback_http(config)
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
        _forget_stale(session, caller.team_id)
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


@dataclass(frozen=True)
class Finished:
    """What the callback page says: the account Google returned, and whether it waits for confirmation."""

    account: str
    pending: bool


def finish(db: Database, config: Config, box: SecretBox, state: str, authorization_response: str) -> Finished:
    """Exchange the code (with the kept verifier). The admin's own address becomes the writer now; any
    other account is kept sealed until that admin confirms it in the sidebar."""
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
        raise UpstreamError(Phrase("Google did not complete the connection: {problem}", problem=str(exc))) from None
    granted = set(token.get("scope") or ())
    if SHEETS_SCOPE not in granted:
        raise InvalidInput("OrderDeck needs access to Google Sheets: connect again and allow it")
    if not token.get("refresh_token"):
        raise InvalidInput("Google sent no refresh token: remove OrderDeck's access in your Google account, then retry")
    # Straight from Google's token endpoint over TLS, so its issuer is known (OpenID Connect Core 3.1.3.7).
    claims = google.auth.jwt.decode(token["id_token"], verify=False)  # type: ignore[no-untyped-call]
    if claims.get("aud") != config.GOOGLE_OAUTH_CLIENT_ID or claims.get("email_verified") is not True:
        raise Forbidden("Google's answer is not for OrderDeck's client or its email is not verified")
    email = str(claims["email"]).strip().lower()
    sealed, scopes = box.seal(str(token["refresh_token"])), " ".join(sorted(granted))
    with db.session() as session:
        _require_admin(session, team_id, admin)
        if email != admin:
            row = session.get_one(GoogleOAuthState, state)
            row.account_email, row.refresh_token_sealed, row.scopes = email, sealed, scopes
            row.confirm_by = utcnow() + CONFIRM_TTL
            _audit(session, team_id, admin, "google.pending", email=email, detail={"scopes": sorted(granted)})
            return Finished(email, pending=True)
        _connect(session, team_id, admin, email=email, sealed=sealed, scopes=scopes)
    return Finished(email, pending=False)


def _require_admin(session: Session, team_id: int, email: str) -> None:
    found = session.scalar(
        select(Member.id).where(Member.team_id == team_id, Member.email == email, Member.role == "admin")
    )
    if found is None:
        raise Forbidden(Phrase("{email} is no longer an admin of this team", email=email))


def _connect(session: Session, team_id: int, admin: str, *, email: str, sealed: str, scopes: str) -> None:
    """Make `email` the team's writer (replacing any earlier connection)."""
    connection = session.scalar(select(GoogleConnection).where(GoogleConnection.team_id == team_id))
    if connection is None:
        connection = GoogleConnection(team_id=team_id)
        session.add(connection)
    connection.email, connection.scopes = email, scopes
    connection.refresh_token_sealed = sealed
    connection.connected_by, connection.connected_at = admin, utcnow()
    _audit(session, team_id, admin, "google.connect", email=email, detail={"scopes": scopes.split()})


def _audit(session: Session, team_id: int, admin: str, action: str, *, email: str, detail: dict[str, Any]) -> None:
    session.add(
        AuditEntry(team_id=team_id, actor=admin, action=action, target_type="google", target_id=email, detail=detail)
    )


def _forget_stale(session: Session, team_id: int) -> None:
    """Drop the team's consents that can no longer be finished or confirmed (and their sealed tokens)."""
    now = utcnow()
    session.execute(
        delete(GoogleOAuthState).where(
            GoogleOAuthState.team_id == team_id,
            or_(
                GoogleOAuthState.confirm_by <= now,
                and_(GoogleOAuthState.confirm_by.is_(None), GoogleOAuthState.expires_at <= now),
            ),
        )
    )


def _waiting_for_account(session: Session, caller: Caller, account: str) -> GoogleOAuthState:
    account = teams.normalize_email(account)
    row = next((r for r in waiting_google(session, caller) if r.account_email == account), None)
    if row is None:
        raise NotFound(
            Phrase(
                "no Google connection you started is waiting for {account} (it may have expired): "
                "press Connect a Google account again",
                account=account,
            )
        )
    return row


def confirm(db: Database, caller: Caller, account: str) -> str:
    """The starting admin says yes: `account` (as Google returned it) writes the team's sheets from now on."""
    with db.session() as session:
        row = _waiting_for_account(session, caller, account)
        sealed, scopes, email = str(row.refresh_token_sealed), str(row.scopes or ""), str(row.account_email)
        session.delete(row)
        _connect(session, caller.team_id, caller.email, email=email, sealed=sealed, scopes=scopes)
    return email


def discard(db: Database, caller: Caller, account: str) -> str:
    """The starting admin says no: the waiting account and its sealed token are forgotten."""
    with db.session() as session:
        row = _waiting_for_account(session, caller, account)
        email = str(row.account_email)
        session.delete(row)
        _audit(session, caller.team_id, caller.email, "google.discard", email=email, detail={})
    return email
