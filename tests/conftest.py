"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when DATABASE_URL says so) and the app.

The schema is migrated once per test session through Alembic, exactly as `init-db` does; each test
starts from empty tables.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend import create_app, runtime
from backend.config import TEST_ENCRYPTION_KEY, config_for_tests
from backend.db import Database, get_db
from backend.models import Base
from backend.platforms.base import ConsentReturn
from backend.sandbox.server import DeferredApp, RunningServer
from backend.sandbox.server import start as start_server
from backend.sandbox.sheets import GoogleSandboxes, google_sandboxes
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import shops as shops_service
from backend.services import teams as teams_service
from backend.services.shops import Platform
from backend.tasks import InlineTasks

# Every local server logs each request at INFO; tests read sandbox logs instead.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _postgres_database_for_worker(url: str, worker: str) -> str:
    """One database per xdist worker, created on first use, so parallel tests never share rows."""
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    configured = os.environ.get("DATABASE_URL")
    if configured and make_url(configured).get_backend_name() == "postgresql":
        return _postgres_database_for_worker(configured, worker_id)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'orderdeck.db'}"


@pytest.fixture(scope="session")
def migrated(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    if database.engine.dialect.name == "postgresql":
        with database.engine.begin() as conn:  # a previous run's leftovers: start from nothing
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    database.migrate()
    yield database
    database.dispose()


def _empty_tables(database: Database) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app(migrated: Database) -> Iterator[Flask]:
    application = create_app(config_for_tests(migrated.url))
    yield application
    shut_down(application)
    _empty_tables(migrated)


def shut_down(application: Flask) -> None:
    """Finish the app's background tasks, then close its pooled connections (none may outlive the test)."""
    queue = application.extensions["orderdeck.tasks"]
    if isinstance(queue, InlineTasks):
        queue.drain()
        queue.shutdown()
    application.extensions["orderdeck.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the app's database; the test commits when it wants rows visible to the app."""
    with app.app_context(), get_db().sessions() as s:
        yield s


@dataclass
class Live:
    """A backend served over HTTP against a running TikTok Shop sandbox (and Shopee's, when asked), with one team."""

    app: Flask
    url: str
    sandbox: TikTokShopSandbox
    tiktok_url: str
    team_id: int
    shopee: ShopeeSandbox | None = None
    shopee_url: str = ""

    @property
    def db(self) -> Database:
        database: Database = self.app.extensions["orderdeck.db"]
        return database

    def drain(self) -> None:
        """Wait for every background task the backend queued (webhook processing, pushes)."""
        queue = self.app.extensions["orderdeck.tasks"]
        assert isinstance(queue, InlineTasks)
        queue.drain()

    def process_env(self) -> dict[str, str]:
        """The environment for a `flask --app backend …` process against this database and sandbox."""
        return {
            **os.environ,
            "DATABASE_URL": self.db.url,
            "ORDERDECK_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
            "TIKTOK_APP_KEY": self.sandbox.app_key,
            "TIKTOK_APP_SECRET": self.sandbox.app_secret,
            "TIKTOK_API_BASE": self.tiktok_url,
            "TIKTOK_AUTH_BASE": self.tiktok_url,
            **self._shopee_settings(),
        }

    def _shopee_settings(self) -> dict[str, str]:
        if self.shopee is None:
            return {}
        return {
            "SHOPEE_PARTNER_ID": self.shopee.partner_id,
            "SHOPEE_PARTNER_KEY": self.shopee.partner_key,
            "SHOPEE_API_BASE": self.shopee_url,
        }

    def connect_shop(self, name: str = "Acme US", region: str = "US", orders: int = 40) -> list[int]:
        shop = self.sandbox.add_shop(name, region, orders=orders)
        code = self.sandbox.issue_auth_code([shop.shop_id])
        with self.app.app_context():
            platform = Platform(runtime.config(), runtime.secret_box())
            connected = shops_service.connect(self.db, platform, self.team_id, ConsentReturn(code), name="tiktok")
            return [s.id for s in connected]

    def connect_shopee_shop(self, name: str = "Acme MY", region: str = "MY", orders: int = 40) -> int:
        """A Shopee shop account's consent, redeemed the way the consent redirect redeems it."""
        assert self.shopee is not None, "serve the backend with a Shopee sandbox"
        shop = self.shopee.add_shop(name, region, orders=orders)
        consent = ConsentReturn(self.shopee.authorize_shop(shop.shop_id), shop_id=str(shop.shop_id))
        with self.app.app_context():
            platform = Platform(runtime.config(), runtime.secret_box())
            [connected] = shops_service.connect(self.db, platform, self.team_id, consent, name="shopee")
            return connected.id


@pytest.fixture
def tiktok() -> Iterator[tuple[TikTokShopSandbox, RunningServer]]:
    sandbox = TikTokShopSandbox(seed=11)
    running = sandbox.start()
    yield sandbox, running
    sandbox.stop_webhook_pump()
    running.stop()


@pytest.fixture
def shopee() -> Iterator[tuple[ShopeeSandbox, RunningServer]]:
    sandbox = ShopeeSandbox(seed=13)
    running = sandbox.start()
    yield sandbox, running
    sandbox.stop_push_pump()
    running.stop()


@contextmanager
def serve_backend(
    migrated: Database,
    sandbox: TikTokShopSandbox,
    tiktok_url: str,
    shopee: tuple[ShopeeSandbox, RunningServer] | None = None,
    /,
    **overrides: object,
) -> Iterator[Live]:
    """The backend as a real HTTP server against the TikTok sandbox (and Shopee's), with team "Acme Trading"."""
    deferred = DeferredApp()
    backend_server = start_server(deferred)
    shopee_settings = {}
    if shopee is not None:
        shopee_settings = {
            "SHOPEE_PARTNER_ID": shopee[0].partner_id,
            "SHOPEE_PARTNER_KEY": shopee[0].partner_key,
            "SHOPEE_API_BASE": shopee[1].url,
        }
    application = create_app(
        config_for_tests(
            migrated.url,
            TIKTOK_APP_KEY=sandbox.app_key,
            TIKTOK_APP_SECRET=sandbox.app_secret,
            TIKTOK_API_BASE=tiktok_url,
            TIKTOK_AUTH_BASE=tiktok_url,
            PUBLIC_BASE_URL=backend_server.url,
            **shopee_settings,
            **overrides,
        )
    )
    deferred.app = application
    with application.app_context(), get_db().session() as session:
        team_id = teams_service.create_team(session, "Acme Trading", "founder@acme.test").id
    try:
        yield Live(
            application,
            backend_server.url,
            sandbox,
            tiktok_url,
            team_id,
            shopee[0] if shopee else None,
            shopee[1].url if shopee else "",
        )
    finally:
        backend_server.stop()
        shut_down(application)
        _empty_tables(migrated)


@pytest.fixture
def live(migrated: Database, tiktok: tuple[TikTokShopSandbox, RunningServer]) -> Iterator[Live]:
    sandbox, tiktok_server = tiktok
    with serve_backend(migrated, sandbox, tiktok_server.url) as running:
        yield running


@pytest.fixture
def two_channels(
    migrated: Database,
    tiktok: tuple[TikTokShopSandbox, RunningServer],
    shopee: tuple[ShopeeSandbox, RunningServer],
) -> Iterator[Live]:
    """The backend against both the TikTok Shop and the Shopee sandbox."""
    sandbox, tiktok_server = tiktok
    with serve_backend(migrated, sandbox, tiktok_server.url, shopee) as running:
        yield running


@pytest.fixture(scope="module")
def google() -> Iterator[GoogleSandboxes]:
    """The Google identity and Sheets/Drive sandboxes, one pair per test module."""
    with google_sandboxes() as running:
        yield running
