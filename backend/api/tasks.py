"""/tasks/*: the work units App Engine cron (GET) and Cloud Tasks (POST) call; nobody else may.

On App Engine the platform strips X-Appengine-Cron and X-AppEngine-QueueName from outside traffic,
so their presence proves the caller. Elsewhere a shared secret (TASKS_SECRET) must be sent.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from backend import runtime, tasks
from backend.errors import Forbidden

bp = Blueprint("tasks", __name__)
SECRET_HEADER = "X-OrderDeck-Task-Secret"  # noqa: S105 - a header name, not a secret


def require_task_caller() -> None:
    settings = runtime.config()
    if settings.is_production and (
        request.headers.get("X-Appengine-Cron") == "true" or request.headers.get("X-AppEngine-QueueName")
    ):
        return
    sent = request.headers.get(SECRET_HEADER, "")
    if settings.TASKS_SECRET and hmac.compare_digest(sent.encode(), settings.TASKS_SECRET.encode()):
        return
    raise Forbidden("task routes accept only App Engine cron, Cloud Tasks, or the TASKS_SECRET header")


@bp.route("/tasks/<path:name>", methods=["GET", "POST"])
def run_task(name: str) -> ResponseReturnValue:
    require_task_caller()
    path = f"/tasks/{name}"
    if request.query_string:
        path += "?" + request.query_string.decode()
    return jsonify(tasks.run(path)), 200
