"""`keys rotate`: every secret moves to the new key, and the old key can then be retired."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select

from backend import create_app
from backend.config import TEST_ENCRYPTION_KEY, config_for_tests
from backend.db import Database
from backend.models import GoogleConnection, GoogleOAuthState, NotificationChannel, Shop, Team, utcnow
from backend.secrets import SecretBox, SecretUnreadable
from backend.services import keys


def test_rotation_reseals_every_secret_and_the_old_key_can_be_retired(app: Flask, migrated: Database) -> None:
    """`app` is requested for its teardown, which empties the tables this test fills."""
    old = SecretBox(TEST_ENCRYPTION_KEY)
    with migrated.session() as session:
        team = Team(name="Rotate")
        session.add(team)
        session.flush()
        session.add_all(
            [
                Shop(
                    team_id=team.id,
                    external_id=str(n),
                    access_token_sealed=old.seal(f"access-{n}"),
                    refresh_token_sealed=old.seal(f"refresh-{n}") if n else None,
                )
                for n in range(3)
            ]
        )
    new_key = Fernet.generate_key().decode()
    rotating = create_app(
        config_for_tests(
            migrated.url, ORDERDECK_ENCRYPTION_KEY=new_key, ORDERDECK_OLD_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY
        )
    )
    with rotating.app_context():
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
    rotating.extensions["orderdeck.db"].dispose()  # its pooled connection must not outlive the test
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
    assert {
        "shops.access_token_sealed",
        "shops.refresh_token_sealed",
        "google_connections.refresh_token_sealed",
        "notification_channels.webhook_url_sealed",
    } <= covered


def _fill_every_sealed_column(migrated: Database, box: SecretBox) -> dict[str, str]:
    """One secret in each kind of sealed column; returns column → plaintext."""
    with migrated.session() as session:
        team = Team(name="Sealed")
        session.add(team)
        session.flush()
        session.add(
            Shop(
                team_id=team.id,
                external_id="1",
                access_token_sealed=box.seal("shop-access"),
                refresh_token_sealed=box.seal("shop-refresh"),
            )
        )
        session.add(
            GoogleConnection(
                team_id=team.id,
                email="a@x.example",
                refresh_token_sealed=box.seal("1//google"),
                scopes="s",
                connected_by="a@x.example",
                connected_at=utcnow(),
            )
        )
        session.add(
            NotificationChannel(
                team_id=team.id,
                name="ops",
                created_by="a@x.example",
                webhook_url_sealed=box.seal("https://discord.com/api/webhooks/1/tok"),
            )
        )
        session.add(
            GoogleOAuthState(
                state="s1",
                team_id=team.id,
                member_email="a@x.example",
                code_verifier_sealed=box.seal("verifier"),
                expires_at=utcnow(),
                account_email="robot@x.example",  # Google returned another account: it waits for confirmation
                refresh_token_sealed=box.seal("1//pending"),
            )
        )
    return {"shops.access_token_sealed": "shop-access", "shops.refresh_token_sealed": "shop-refresh",
            "google_connections.refresh_token_sealed": "1//google",
            "notification_channels.webhook_url_sealed": "https://discord.com/api/webhooks/1/tok",
            "google_oauth_states.code_verifier_sealed": "verifier",
            "google_oauth_states.refresh_token_sealed": "1//pending"}  # fmt: skip


def _sealed_values(migrated: Database) -> dict[str, str]:
    with migrated.session() as session:
        return {
            f"{t.name}.{c.name}": str(session.scalar(select(c)))
            for t, cols in keys.sealed_columns().items()
            for c in cols
        }


def test_every_kind_of_secret_moves_to_the_new_key(app: Flask, migrated: Database) -> None:
    plain = _fill_every_sealed_column(migrated, SecretBox(TEST_ENCRYPTION_KEY))
    assert set(plain) == set(_sealed_values(migrated)), "a sealed column this test does not fill"
    new_key = Fernet.generate_key().decode()
    report = keys.rotate(migrated, SecretBox(new_key, TEST_ENCRYPTION_KEY))
    assert set(report.resealed) == set(plain)
    new_only = SecretBox(new_key)
    assert {k: new_only.open(v) for k, v in _sealed_values(migrated).items()} == plain


def test_a_secret_neither_key_opens_stops_the_rotation_and_changes_nothing(app: Flask, migrated: Database) -> None:
    _fill_every_sealed_column(migrated, SecretBox(TEST_ENCRYPTION_KEY))
    with migrated.session() as session:
        session.scalars(select(Shop)).one().refresh_token_sealed = SecretBox(Fernet.generate_key().decode()).seal("x")
    before = _sealed_values(migrated)
    rotating = create_app(config_for_tests(migrated.url, ORDERDECK_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                                           ORDERDECK_OLD_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY))  # fmt: skip
    with rotating.app_context():
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
    rotating.extensions["orderdeck.db"].dispose()  # its pooled connection must not outlive the test
    assert result.exit_code != 0
    assert "neither the new nor the old key" in result.output
    assert _sealed_values(migrated) == before
