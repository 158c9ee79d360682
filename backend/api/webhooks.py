"""POST /webhooks/tiktok: verify, store, enqueue, acknowledge — nothing slower before the 200.

A verified event that cannot be used is stored as failed and still acknowledged: TikTok would resend it.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from backend import runtime, tasks
from backend.services import webhooks

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/tiktok")
def tiktok() -> ResponseReturnValue:
    receipt = webhooks.receive(
        runtime.database(), runtime.config(), request.get_data(cache=False), request.headers.get("Authorization")
    )
    if receipt.queued:
        tasks.enqueue(f"/tasks/sync-shop/{receipt.shop_id}?webhooks=1")
    reply = {"code": 0, "message": "success", "duplicate": receipt.duplicate}
    if receipt.failed:
        reply["stored_as_failed"] = receipt.failed
    return jsonify(reply), 200
