"""Asking for pushes: a change asks for none while a push has its spreadsheet in hand (running, or set for
later), and the push that has it takes the change, so nothing waits for a sweep (issue 19)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from backend import runtime
from backend.models import SheetBinding, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings, leases, limits, push_schedule
from backend.services.ingest import mark_bindings_dirty
from tests import factories
from tests.sheets.test_push import PACKER, new_file, seller, tab_rows


def test_changes_ask_for_no_push_while_one_is_set_for_later_or_running_and_that_push_takes_them(
    session: Session, google: GoogleSandboxes, sheets_app: Flask
) -> None:
    """Under a flood every round of webhooks asked for a push of every file: 300 tasks for 12 pushes, each
    finding the push running or the budget still spent (a fifth of the server's work in the load bench)."""
    team = seller(session)
    shop = factories.shop(session, team)
    file_id = new_file(google, (PACKER, "reader"))
    binding = bindings.bind(session, team, file_id, "Orders", "customer_service")
    limits.set_limit(session, "push.team", 1, 86_400)  # one push a day: the next is set for tomorrow
    session.commit()

    def order_arrives() -> str:
        order = factories.order(session, shop)
        mark_bindings_dirty(session, team.id, shop.id, [order.id])
        session.commit()
        return order.external_id

    with sheets_app.app_context():
        db = runtime.database()
        assert push_schedule.showing_shop(db, shop.id) == [binding.id]
        result, follow = push_schedule.run(binding.id)
        assert result["tabs"], result  # the first push of the day went
        assert follow == []

        first = order_arrives()
        assert push_schedule.showing_shop(db, shop.id) == [binding.id]  # nothing has the file in hand: ask
        result, follow = push_schedule.run(binding.id)
        assert "deferred_s" in result and follow and follow[0].delay > 3_600, result  # the team's limit is spent
        second = order_arrives()
        assert push_schedule.showing_shop(db, shop.id) == []  # the push set for later will read it
        assert push_schedule.for_team(db, team.id) == []  # nor does typing ask

        limits.reset_limit(session, "push.team")  # the day has passed: the scheduled push runs
        session.commit()
        result, follow = push_schedule.run(binding.id)
        assert result["tabs"], result
        shown = {str(row[0]) for row in tab_rows(google, file_id, "Orders")[1:]}
        assert {first, second} <= shown  # both changes it was asked for, and the one that asked for nothing

        third = order_arrives()
        assert push_schedule.showing_shop(db, shop.id) == [binding.id]  # in hand of nobody again
        running, other = f"sheet-push:{binding.spreadsheet_id}", leases.new_holder()
        assert leases.try_acquire(db, running, other, timedelta(minutes=10))  # another worker's push runs
        assert push_schedule.showing_shop(db, shop.id) == []  # it looks for changes once it lets go
        leases.release(db, running, other)
        assert push_schedule.showing_shop(db, shop.id) == [binding.id]

        # A scheduled push whose task was lost silences the asks only until its time (and some slack) passes.
        leases.hold_until(db, [f"{push_schedule.SCHEDULED}{binding.spreadsheet_id}"], push_schedule.SCHEDULER, utcnow())
        assert push_schedule.showing_shop(db, shop.id) == [binding.id]
        assert third and session.get(SheetBinding, binding.id) is not None
