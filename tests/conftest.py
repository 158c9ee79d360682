"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when DATABASE_URL says so) and the app.

The schema is migrated once per test session through Alembic, exactly as `init-db` does; each test
starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend import create_app
from backend.config import config_for_tests
from backend.db import Database, get_db
from backend.models import Base


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
    application.extensions["orderdeck.db"].dispose()
    _empty_tables(migrated)


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
