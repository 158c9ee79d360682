"""TikTok Shop's seller consent page, as the sandbox serves it: a seller account authorizes its shops for the
app, and the browser is redirected to the app's registered redirect URL with a one-time `code` and the
`state` the app sent (the reference's "Seller consent" and "Exchange" steps)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from flask import Response

if TYPE_CHECKING:
    from backend.sandbox.tiktok_shop import TikTokShopSandbox

_PAGE = """<!doctype html><meta charset="utf-8"><title>Authorize - TikTok Shop (sandbox)</title>
<body style="font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;line-height:1.5">
<h1>Authorize an app</h1><p>App <b>{service}</b> asks to manage orders, fulfilment and finance of your shops.</p>
<form method="post" action="/open/authorize"><input type="hidden" name="state" value="{state}">
<label>Seller account <select name="seller" id="seller">{sellers}</select></label>
<ul>{shops}</ul><button id="authorize">Authorize</button></form></body>"""


def _error(title: str, body: str, status: int) -> Response:
    page = f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>"
    return Response(page, status=status, mimetype="text/html")


def page(sb: TikTokShopSandbox, service_id: str, state: str) -> Response:
    if not service_id or not state:
        return _error("Invalid request", "The link has no service_id or no state.", 400)
    with sb.lock:
        shops = sorted(sb.shops.values(), key=lambda s: (s.seller, s.name))
    if not shops:
        return _error("No shop", "This sandbox has no shop to authorize yet.", 400)
    sellers = "".join(f"<option>{html.escape(name)}</option>" for name in dict.fromkeys(s.seller for s in shops))
    listed = "".join(
        f"<li>{html.escape(s.name)} ({s.market.region}) — seller {html.escape(s.seller)}</li>" for s in shops
    )
    return Response(
        _PAGE.format(service=html.escape(service_id), state=html.escape(state), sellers=sellers, shops=listed),
        mimetype="text/html",
    )


def approve(sb: TikTokShopSandbox, seller: str, state: str) -> Response:
    """Every shop of `seller` in one authorization; back to the app with the code and the app's state."""
    if sb.redirect_url is None:
        return _error("App not set up", "The app has no redirect URL registered in Partner Center.", 400)
    with sb.lock:
        shop_ids = [s.shop_id for s in sb.shops.values() if s.seller == seller]
    if not shop_ids or not state:
        return _error("Invalid request", "Choose a seller account with at least one shop.", 400)
    code = sb.issue_auth_code(shop_ids, seller_name=seller)
    back = f"{sb.redirect_url}?{urlencode({'code': code, 'state': state})}"
    return Response(status=302, headers={"Location": back})
