"""The ground everything stands on: app factory, configuration errors, exact money, UTC, secrets at rest."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend import create_app
from backend.config import Config, ConfigError, config_for_tests
from backend.models import Order, Shop, Team
from backend.secrets import SecretBox

ROOT = Path(__file__).resolve().parent.parent


def flask_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "backend", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_healthz_reports_database_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_unknown_route_answers_in_the_json_error_envelope(client: FlaskClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["action"] == "fail"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL 'not a url' is not a database URL"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL uses 'mysql'"),
        ({"ORDERDECK_ENCRYPTION_KEY": "too-short"}, "ORDERDECK_ENCRYPTION_KEY is not a valid Fernet key"),
        ({"GAE_ENV": "standard"}, "ORDERDECK_ENCRYPTION_KEY is required in production"),
    ],
)
def test_bad_configuration_stops_start_up_with_one_clear_line(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "ORDERDECK_ENCRYPTION_KEY": ""}
    result = flask_cli("init-db", env={**base, **env})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"orderdeck: configuration error: {lines[0].split(': ', 2)[2]}"], result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_config_error_is_catchable_by_type() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        create_app(Config(DATABASE_URL="::"))


def test_config_reads_the_environment_contract() -> None:
    cfg = Config.from_env({"TIKTOK_API_BASE": "http://127.0.0.1:9/", "TESTING": "true", "TASKS_SECRET": ""})
    assert cfg.TIKTOK_API_BASE == "http://127.0.0.1:9/"
    assert cfg.TESTING is True
    assert cfg.TASKS_SECRET is None  # empty means unset
    assert make_url(Config().DATABASE_URL).get_backend_name() == "sqlite"


def _shop(session: Session, **overrides: object) -> Shop:
    team = Team(name="Acme")
    session.add(team)
    session.flush()
    shop = Shop(team_id=team.id, external_id="7495540735365777507", currency="GBP", time_zone="Europe/London")
    for key, value in overrides.items():
        setattr(shop, key, value)
    session.add(shop)
    session.flush()
    return shop


def _order_with_total(session: Session, total: object) -> None:
    shop = _shop(session)
    now = datetime.now(UTC)
    session.add(
        Order(
            shop_id=shop.id,
            external_id="1",
            status="AWAITING_SHIPMENT",
            platform_update_time=now,
            platform_create_time=now,
            currency="GBP",
            total_amount=total,
            raw={},
        )
    )
    session.flush()


@pytest.mark.parametrize("amount", ["0.1", "12345678901234.5678", "-0.0001", "19.99", "5000"])
def test_money_round_trips_as_exact_decimal(session: Session, amount: str) -> None:
    _order_with_total(session, Decimal(amount))
    session.commit()
    session.expunge_all()
    stored = session.scalar(select(Order.total_amount))
    assert isinstance(stored, Decimal)
    assert stored == Decimal(amount)


def test_money_refuses_floats(session: Session) -> None:
    with pytest.raises(Exception, match="money must be a Decimal"):
        _order_with_total(session, 19.99)


def test_datetimes_come_back_as_aware_utc(session: Session) -> None:
    shanghai = timezone(timedelta(hours=8))
    created = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=shanghai)
    shop = _shop(session, sync_watermark=created)
    session.commit()
    session.expunge_all()
    stored = session.get(Shop, shop.id)
    assert stored is not None and stored.sync_watermark is not None
    assert stored.sync_watermark.tzinfo is not None
    assert stored.sync_watermark.utcoffset() == timedelta(0)
    assert stored.sync_watermark == created
    assert stored.sync_watermark.hour == 1


def test_naive_datetimes_are_refused(session: Session) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        _shop(session, sync_watermark=datetime(2026, 1, 1))


def test_shop_tokens_are_not_readable_in_the_database_without_the_key(app: Flask, session: Session) -> None:
    box: SecretBox = app.extensions["orderdeck.secrets"]
    token = "ROW_AT_token_7c1f0a9e-very-secret"
    _shop(session, access_token_sealed=box.seal(token), refresh_token_sealed=box.seal(token + "-refresh"))
    session.commit()
    raw = session.execute(text("SELECT access_token_sealed, refresh_token_sealed FROM shops")).one()
    assert token not in raw[0] and token not in raw[1]
    assert box.open(raw[0]) == token
    url = make_url(app.extensions["orderdeck.config"].DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        assert token.encode() not in Path(str(url.database)).read_bytes()
    other = SecretBox("sNGmYEgs55oxJipvb5jLCx37PzuFq3S4qgFynj50Mtk=".replace("s", "t", 1))
    with pytest.raises(Exception, match="cannot be decrypted"):
        other.open(raw[0])


def test_app_factory_builds_independent_apps(migrated: object, tmp_path: Path) -> None:
    a = create_app(config_for_tests(f"sqlite:///{tmp_path / 'a.db'}"))
    b = create_app(config_for_tests(f"sqlite:///{tmp_path / 'b.db'}"))
    assert a is not b
    assert a.extensions["orderdeck.db"] is not b.extensions["orderdeck.db"]


def test_wsgi_entrypoint_imports(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "ORDERDECK_ENCRYPTION_KEY": config_for_tests("sqlite://").ORDERDECK_ENCRYPTION_KEY or "",
    }
    code = "from backend.wsgi import app; print(type(app).__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "Flask", result.stderr
