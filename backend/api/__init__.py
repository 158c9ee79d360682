"""HTTP layer: blueprints that load (marshmallow), call a service, and dump. The URL map is here."""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from backend import i18n
from backend.api import addon, google_oauth, health, invite, labels, oauth, openapi, tasks, webhooks
from backend.errors import OrderDeckError


def init_app(app: Flask) -> None:
    for blueprint in (
        health.bp,
        webhooks.bp,
        tasks.bp,
        oauth.bp,
        google_oauth.bp,
        invite.bp,
        labels.bp,
        addon.bp,
        openapi.bp,
    ):
        app.register_blueprint(blueprint)

    @app.errorhandler(OrderDeckError)
    def _orderdeck_error(exc: OrderDeckError) -> ResponseReturnValue:
        return jsonify(exc.envelope(i18n.translator(addon.caller_language(exc)))), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        body = {
            "error": {
                "code": (exc.name or "error").lower().replace(" ", "_"),
                "message": exc.description or exc.name,
                "action": "fail",
            }
        }
        return jsonify(body), status
