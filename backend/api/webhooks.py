"""POST /webhooks/tiktok: verify, store, enqueue, acknowledge — nothing slower before the 200."""

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
    if not receipt.duplicate:
        tasks.enqueue(f"/tasks/sync-shop/{receipt.shop_id}?webhooks=1")
    return jsonify({"code": 0, "message": "success", "duplicate": receipt.duplicate}), 200
