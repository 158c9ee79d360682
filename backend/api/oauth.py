"""OAuth redirects: a sales channel's seller consent comes back here with its code and our one-time state."""

from __future__ import annotations

from html import escape

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from backend import runtime
from backend.errors import OrderDeckError
from backend.services import shops

bp = Blueprint("oauth", __name__)

PAGE = """<!doctype html><meta charset="utf-8"><title>OrderDeck</title>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;line-height:1.5">
<h1>{title}</h1><p>{body}</p><p>You can close this tab and return to your spreadsheet.</p></body>"""


def page(title: str, body: str, status: int) -> ResponseReturnValue:
    """A minimal page a person lands on after an OAuth redirect (a sales channel or Google)."""
    return PAGE.format(title=escape(title), body=escape(body)), status, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/oauth/<platform>/callback")
def consent_callback(platform: str) -> ResponseReturnValue:
    """Every error, the platform's outage included, is a page: a person's browser landed here."""
    try:
        connected = shops.finish_consent(runtime.database(), runtime.platform(), platform, request.args.to_dict())
    except OrderDeckError as exc:
        return page("Shop not connected", exc.message, exc.status)
    names = ", ".join(s.name for s in connected)
    return page("Shop connected", f"OrderDeck now syncs orders from {names}.", 200)
