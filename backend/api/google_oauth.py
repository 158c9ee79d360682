"""/oauth/google/*: an admin's browser connects the Google account that writes the team's sheets."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue

from backend import runtime
from backend.api.oauth import page
from backend.errors import OrderDeckError
from backend.services import google_oauth

bp = Blueprint("google_oauth", __name__)


@bp.get("/oauth/google/start")
def start() -> ResponseReturnValue:
    try:
        url = google_oauth.begin(
            runtime.database(), runtime.config(), runtime.secret_box(), request.args.get("state", "")
        )
    except OrderDeckError as exc:
        return page("Google account not connected", exc.message, exc.status)
    return redirect(url, 302)


@bp.get("/oauth/google/callback")
def callback() -> ResponseReturnValue:
    if request.args.get("error"):
        reason = "you cancelled" if request.args["error"] == "access_denied" else request.args["error"]
        return page("Google account not connected", f"Google did not connect the account: {reason}.", 400)
    settings = runtime.config()
    # Rebuild the URL Google redirected to on the public base, as the flow registered it (proxies rewrite hosts).
    response_url = google_oauth.callback_url(settings) + "?" + request.query_string.decode()
    try:
        done = google_oauth.finish(
            runtime.database(), settings, runtime.secret_box(), request.args.get("state", ""), response_url
        )
    except OrderDeckError as exc:
        return page("Google account not connected", exc.message, exc.status)
    if done.pending:
        return page(
            "Almost done: confirm in the sidebar",
            f"Google returned {done.account}, which is not the address of the admin who started this. Nothing "
            f"changes until that admin confirms {done.account} in the OrderDeck sidebar (Google access) within "
            f"{google_oauth.CONFIRM_TTL.seconds // 60} minutes; until then the team's sheets are written as before.",
            200,
        )
    return page("Google account connected", f"OrderDeck now writes your team's sheets as {done.account}.", 200)
