"""The command-line contract of DESIGN.md: init-db, team create, member add, and honest stubs."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.testing import FlaskCliRunner
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from backend.db import Database, alembic_config
from backend.models import AuditEntry, Base, Member, Team


def test_init_db_twice_in_a_row_is_harmless(runner: FlaskCliRunner, session: Session) -> None:
    session.add(Team(name="Keep me"))
    session.commit()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "database ready" in result.output
    assert session.scalar(select(Team.name)) == "Keep me"


def test_alembic_head_matches_the_models(migrated: Database) -> None:
    with migrated.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert (
            context.get_current_revision()
            == ScriptDirectory.from_config(alembic_config(migrated.engine)).get_current_head()
        )
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(conn).get_table_names()) >= set(Base.metadata.tables)


def test_team_create_and_member_add(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(args=["team", "create", "Acme Trading", "--admin", "Founder@Acme.test"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["member", "add", "--team", "Acme Trading", "pack@acme.test", "--role", "warehouse"])
    assert result.exit_code == 0, result.output
    assert "pack@acme.test is warehouse" in result.output
    members = {m.email: m.role for m in session.scalars(select(Member))}
    assert members == {"founder@acme.test": "admin", "pack@acme.test": "warehouse"}

    result = runner.invoke(args=["member", "add", "--team", "Acme Trading", "pack@acme.test", "--role", "support"])
    assert result.exit_code == 0
    session.expire_all()
    assert session.scalar(select(Member.role).where(Member.email == "pack@acme.test")) == "support"
    change = session.scalars(select(AuditEntry).where(AuditEntry.action == "member.set_role")).all()[-1]
    assert change.detail == {"role": "support", "old_role": "warehouse"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["member", "add", "--team", "Acme", "x@acme.test", "--role", "boss"], "unknown role 'boss'"),
        (["member", "add", "--team", "Nobody", "x@acme.test", "--role", "viewer"], "no team named 'Nobody'"),
        (["member", "add", "--team", "Acme", "not-an-email", "--role", "viewer"], "is not an email address"),
        (["team", "create", "Acme", "--admin", "other@acme.test"], "already exists"),
    ],
)
def test_bad_cli_input_gets_one_clear_error(runner: FlaskCliRunner, args: list[str], message: str) -> None:
    assert runner.invoke(args=["team", "create", "Acme", "--admin", "a@acme.test"]).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
