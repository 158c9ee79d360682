"""`keys rotate`: every secret moves to the new key, and the old key can then be retired."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select

from backend import create_app
from backend.config import TEST_ENCRYPTION_KEY, config_for_tests
from backend.db import Database
from backend.models import Shop, Team
from backend.secrets import SecretBox, SecretUnreadable
from backend.services import keys


def test_rotation_reseals_every_secret_and_the_old_key_can_be_retired(app: Flask, migrated: Database) -> None:
    """`app` is requested for its teardown, which empties the tables this test fills."""
    old = SecretBox(TEST_ENCRYPTION_KEY)
    with migrated.session() as session:
        team = Team(name="Rotate")
        session.add(team)
        session.flush()
        session.add_all([
            Shop(team_id=team.id, external_id=str(n), access_token_sealed=old.seal(f"access-{n}"),
                 refresh_token_sealed=old.seal(f"refresh-{n}") if n else None)
            for n in range(3)
        ])
    new_key = Fernet.generate_key().decode()
    rotating = create_app(config_for_tests(migrated.url, ORDERDECK_ENCRYPTION_KEY=new_key,
                                           ORDERDECK_OLD_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY))
    with rotating.app_context():
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "shops.access_token_sealed: 3 re-encrypted" in result.output
    assert "shops.refresh_token_sealed: 2 re-encrypted" in result.output

    new_only = SecretBox(new_key)
    with migrated.session() as session:
        shops = session.scalars(select(Shop).order_by(Shop.external_id)).all()
        assert [new_only.open(s.access_token_sealed or "") for s in shops] == ["access-0", "access-1", "access-2"]
        with pytest.raises(SecretUnreadable):
            old.open(shops[0].access_token_sealed or "")
        assert shops[0].refresh_token_sealed is None


def test_every_sealed_column_is_covered() -> None:
    covered = {f"{t.name}.{c.name}" for t, cols in keys.sealed_columns().items() for c in cols}
    assert {"shops.access_token_sealed", "shops.refresh_token_sealed", "google_connections.refresh_token_sealed",
            "notification_channels.webhook_url_sealed"} <= covered
