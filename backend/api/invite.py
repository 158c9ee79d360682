"""/invite/<token>: the page an invited person opens, without the add-on (viewers and 3PL staff never
install it). They sign in with Google Identity Services; the ID token it returns is verified exactly as
/addon/* verifies the add-on's (signature, issuer, expiry, audience GOOGLE_OAUTH_CLIENT_ID, verified
email), and must name the address the invitation was sent to. Every answer is an HTML page.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlsplit

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from backend import runtime
from backend.api.auth import verify_identity_token
from backend.config import Config
from backend.errors import OrderDeckError
from backend.services import invitations

bp = Blueprint("invite", __name__)

HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Referrer-Policy": "no-referrer",  # the token is in the path: never send it to Google's script host
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title} · OrderDeck</title>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5">
<h1>{title}</h1>{body}</body></html>"""
SIGN_IN = """<p>{inviter} invites you to join <b>{team}</b> on OrderDeck as <b>{role}</b>.</p>
<p>Sign in with the Google account of the address the invitation was sent to ({hint}). You become a member
only when you accept here; then the team's spreadsheets for your role are shared with you.</p>
<div id="signin"></div><p id="problem" role="alert" hidden style="color:#a50e0e"></p>
<form id="accept" method="post"><input type="hidden" name="credential" id="credential"></form>
<script src="{script}"></script>
<script>(function () {{
  var problem = document.getElementById('problem');
  if (!window.google || !google.accounts || !google.accounts.id) {{
    problem.textContent = 'Google sign-in did not load: check your connection, then reload this page.';
    problem.hidden = false;
    return;
  }}
  google.accounts.id.initialize({{ client_id: {client}, callback: function (answer) {{
    document.getElementById('credential').value = answer.credential;
    document.getElementById('accept').submit();
  }} }});
  google.accounts.id.renderButton(document.getElementById('signin'), {{ type: 'standard', text: 'signin_with' }});
}})();</script>"""


def _page(title: str, body_html: str, status: int) -> ResponseReturnValue:
    return PAGE.format(title=escape(title), body=body_html), status, HEADERS


def _text(title: str, message: str, status: int) -> ResponseReturnValue:
    return _page(title, f"<p>{escape(message)}</p>", status)


def signin_script(config: Config) -> str:
    """Google Identity Services' client library, on the host of Google's OAuth pages (the identity sandbox's
    stand-in when GOOGLE_OAUTH_AUTH_URI points there): https://accounts.google.com/gsi/client for Google."""
    parts = urlsplit(config.GOOGLE_OAUTH_AUTH_URI)
    return f"{parts.scheme}://{parts.netloc}/gsi/client"


@bp.get("/invite/<token>")
def show(token: str) -> ResponseReturnValue:
    settings = runtime.config()
    try:
        with runtime.database().session() as session:
            found = invitations.preview(session, token)
    except OrderDeckError as exc:
        return _text("Invitation not valid", exc.message, exc.status)
    if not settings.GOOGLE_OAUTH_CLIENT_ID:
        return _text(
            "Sign-in is not set up",
            "This OrderDeck has no Google sign-in for web pages (GOOGLE_OAUTH_CLIENT_ID): if you use the OrderDeck "
            "add-on, accept the invitation in its sidebar; otherwise tell the admin who invited you.",
            503,
        )
    body = SIGN_IN.format(
        inviter=escape(found.invited_by),
        team=escape(found.team),
        role=escape(found.role),
        hint=escape(found.address_hint),
        script=escape(signin_script(settings)),
        client=json.dumps(settings.GOOGLE_OAUTH_CLIENT_ID).replace("<", "\\u003c"),
    )
    return _page(f"Join {found.team}", body, 200)


@bp.post("/invite/<token>")
def accept(token: str) -> ResponseReturnValue:
    settings = runtime.config()
    try:
        identity = verify_identity_token(request.form.get("credential", ""), settings, web=True)
        joined = invitations.accept(runtime.database(), settings, runtime.secret_box(), identity.email, token=token)
    except OrderDeckError as exc:
        return _text("Not joined", exc.message, exc.status)
    shared = "".join(
        f'<li><a href="{escape(f["url"])}">{escape(f["title"] or f["id"])}</a></li>' for f in joined["shared"]
    )
    missing = "".join(
        f"<li>{escape(f['title'] or f['id'])}: {escape(f.get('problem', ''))}</li>" for f in joined["not_shared"]
    )
    body = f"<p>You are now a member of <b>{escape(joined['team']['name'])}</b> as <b>{escape(joined['role'])}</b>.</p>"
    if shared:
        body += f"<p>Shared with you (Google sent no e-mail about it):</p><ul id='shared'>{shared}</ul>"
    if missing:
        body += f"<p>Not shared yet (ask an admin of the team to share it):</p><ul id='not-shared'>{missing}</ul>"
    if not shared and not missing:
        body += "<p>The team has no spreadsheet for your role yet: it is shared with you when one is made.</p>"
    return _page("You joined the team", body, 200)
