"""Deployment files parse and point at code that exists; task routes accept only their callers."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask

from backend import create_app, tasks
from backend.config import config_for_tests
from backend.db import Database
from tests.conftest import shut_down

ROOT = Path(__file__).resolve().parent.parent


def load(name: str) -> dict[str, object]:
    doc = yaml.safe_load((ROOT / name).read_text())
    assert isinstance(doc, dict)
    return doc


def test_app_yaml_runs_gunicorn_on_the_wsgi_entrypoint_over_https_only() -> None:
    app = load("app.yaml")
    assert app["runtime"] == "python312"
    entrypoint = str(app["entrypoint"])
    match = re.search(r"gunicorn .*?(\S+):(\w+)$", entrypoint)
    assert match, entrypoint
    module = importlib.import_module(match[1]) if match[1] != "backend.wsgi" else None
    assert module is None or hasattr(module, match[2])
    assert match[1] == "backend.wsgi" and match[2] == "app"
    handlers = app["handlers"]
    assert isinstance(handlers, list) and all(h["secure"] == "always" for h in handlers)
    assert "ORDERDECK_ENCRYPTION_KEY" not in str(app), "secrets belong in Secret Manager, not app.yaml"


def test_every_cron_url_is_a_task_the_backend_knows() -> None:
    jobs = load("cron.yaml")["cron"]
    assert isinstance(jobs, list) and jobs
    for job in jobs:
        assert any(route.pattern.fullmatch(job["url"]) for route in tasks.ROUTES), job["url"]
        assert job["schedule"].startswith("every ")


def test_the_queue_stays_under_one_identitys_sheets_write_quota() -> None:
    queues = load("queue.yaml")["queue"]
    assert isinstance(queues, list)
    [queue] = queues
    rate = re.fullmatch(r"(\d+)/m", queue["rate"])
    assert rate and int(rate[1]) < 60


@pytest.fixture
def make_app(migrated: Database) -> Iterator[Callable[..., Flask]]:
    """Apps with other settings on the test database; their pooled connections are closed afterwards."""
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        built.append(create_app(config_for_tests(migrated.url, **overrides)))
        return built[-1]

    yield build
    for app in built:
        shut_down(app)


def test_task_routes_refuse_everyone_but_cron_cloud_tasks_or_the_shared_secret(make_app: Callable[..., Flask]) -> None:
    local = make_app(TASKS_SECRET="s3cret").test_client()
    assert local.get("/tasks/sync-due").status_code == 403
    assert local.get("/tasks/sync-due", headers={"X-Appengine-Cron": "true"}).status_code == 403
    assert local.get("/tasks/sync-due", headers={"X-OrderDeck-Task-Secret": "wrong"}).status_code == 403
    answer = local.get("/tasks/sync-due", headers={"X-OrderDeck-Task-Secret": "s3cret"})
    assert answer.status_code == 200 and answer.json == {"sync": [], "webhooks": []}
    assert local.post("/tasks/no-such-task", headers={"X-OrderDeck-Task-Secret": "s3cret"}).status_code == 404

    no_secret = make_app().test_client()
    assert no_secret.get("/tasks/push-due", headers={"X-OrderDeck-Task-Secret": ""}).status_code == 403

    on_app_engine = make_app(GAE_ENV="standard").test_client()
    assert on_app_engine.get("/tasks/sync-due").status_code == 403
    assert on_app_engine.get("/tasks/sync-due", headers={"X-Appengine-Cron": "true"}).status_code == 200
    queued = {"X-AppEngine-QueueName": "orderdeck"}
    missing = on_app_engine.post("/tasks/sync-shop/999", headers=queued).json
    assert missing is not None and missing["error"]["message"] == "no shop with id 999"
