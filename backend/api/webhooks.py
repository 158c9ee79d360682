"""POST /webhooks/<platform>: verify, store, enqueue, acknowledge — nothing slower before the 2xx.

A verified event that cannot be used is stored as failed and still acknowledged: the platform would resend it.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from backend import runtime, tasks
from backend.services import webhooks

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/<platform>")
def receive(platform: str) -> ResponseReturnValue:
    headers = {name.lower(): value for name, value in request.headers.items()}
    receipt = webhooks.receive(runtime.database(), runtime.config(), platform, request.get_data(cache=False), headers)
    if receipt.queued:
        tasks.enqueue(f"/tasks/sync-shop/{receipt.shop_id}?webhooks=1")
    body, mimetype = webhooks.acknowledgement(platform, receipt)
    return Response(body, 200, mimetype=mimetype)
