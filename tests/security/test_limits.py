"""Noisy neighbours (issue 14, class 2), call by call: a member past their limit is told when to try again
while their teammates go on, a team past its limit is stopped while the other team goes on, the
operator's override holds at once for the team it names, and one team's typing pushes only its own tabs.
The two-team load test is tests/security/test_noisy_neighbours.py."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from backend import runtime
from backend.catalog import SCHEMAS_DIR, load_json
from backend.errors import OrderDeckError
from backend.models import SheetBinding
from backend.services import leases, limits, push_schedule
from backend.services.sync import LEASE_TTL
from tests import factories
from tests.api.conftest import Call
from tests.security.conftest import Side

CO_ADMINS = ("cofounder@acme.example", "partner@acme.example")
# The customer_service profile's note column (1-based), wherever the profile puts it.
NOTE = str(load_json(SCHEMAS_DIR / "profiles" / "customer_service.json")["columns"].index("note") + 1)


def unproven_bind(call: Call, side: Side, email: str) -> Any:
    """A bind whose challenge was never issued: refused before any Google read, and counted all the same."""
    challenge = "a-challenge-never-issued"
    body = {"spreadsheet_id": side.spreadsheet, "challenge": challenge, "tab": "X", "profile": "sla_watch"}
    return call("POST", "/addon/bindings", email, json=body)


def refused_with_a_retry_time(answer: Any, says: str, again: str = "try again in") -> None:
    assert answer.status_code == 429, answer.get_json()
    error = answer.get_json()["error"]
    assert says in error["message"] and again in error["message"], error["message"]
    assert int(answer.headers["Retry-After"]) >= 1
    assert error["detail"]["retry_after"] == int(answer.headers["Retry-After"])


def test_a_member_and_then_a_team_past_their_bind_limits_get_429_and_the_other_team_binds_on(
    call: Call, sides: tuple[Side, Side], session: Session
) -> None:
    acme, rival = sides
    for email in CO_ADMINS:
        factories.member(session, acme.team, email, "admin")
    # The default counts over a day-long window: a slow machine crossing a minute's edge mid-test would
    # otherwise start fresh counts and see no refusal.
    limits.set_limit(session, "bind_proof.member", 6, 86_400)
    limits.set_limit(session, "bind_proof.team", 12, 86_400)
    session.commit()
    admin = acme.email("admin")

    assert [unproven_bind(call, acme, admin).status_code for _ in range(6)] == [403] * 6  # bind_proof.member: 6
    refused_with_a_retry_time(unproven_bind(call, acme, admin), "you have reached the limit of 6 binds")
    # A teammate has their own allowance, until the team's (12) is spent; then every admin of it waits.
    assert [unproven_bind(call, acme, CO_ADMINS[0]).status_code for _ in range(6)] == [403] * 6
    refused_with_a_retry_time(unproven_bind(call, acme, CO_ADMINS[1]), "your team has reached the limit of 12 binds")
    # The other team is untouched: its admin is refused for the bad proof, never for Acme's hammering.
    assert unproven_bind(call, rival, rival.email("admin")).status_code == 403
    challenge = call("POST", "/addon/bind/challenge", rival.email("admin"), json={"spreadsheet_id": rival.spreadsheet})
    assert challenge.status_code == 200


def test_an_operator_override_holds_at_once_for_the_team_it_names_and_bad_ones_are_refused_in_one_line(
    call: Call, sides: tuple[Side, Side], runner: FlaskCliRunner
) -> None:
    acme, rival = sides
    # A day-long window, so a minute's edge crossed mid-test cannot start fresh counts.
    result = runner.invoke(args=["limits", "set", "bind_proof.member", "2", "86400", "--team", acme.team.name])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(args=["limits", "show", "--team", acme.team.name]).output
    assert any(line.startswith("bind_proof.member") and "2 per 86400 s" in line and "override" in line
               for line in shown.splitlines())  # fmt: skip

    assert [unproven_bind(call, acme, acme.email("admin")).status_code for _ in range(2)] == [403, 403]
    refused_with_a_retry_time(unproven_bind(call, acme, acme.email("admin")), "limit of 2 binds")
    assert [unproven_bind(call, rival, rival.email("admin")).status_code for _ in range(3)] == [403] * 3

    for args, says in (
        (["limits", "set", "bind_proof.everyone", "2", "60"], "no limit named 'bind_proof.everyone'"),
        (["limits", "set", "sheets.read.user", "5", "60", "--team", acme.team.name], "leave out --team"),
        (["limits", "set", "push.team", "0", "60"], "a count of at least 1"),
        (["limits", "show", "--team", "Nobody"], "no team named 'Nobody'"),
    ):
        refused = runner.invoke(args=args)
        assert refused.exit_code != 0 and says in refused.output, (args, refused.output)
        assert len(refused.output.strip().splitlines()) == 1 and "Traceback" not in refused.output

    reset = runner.invoke(args=["limits", "reset", "bind_proof.member", "--team", acme.team.name])
    assert reset.exit_code == 0 and "6 per 60 s" in reset.output and "default" in reset.output


def test_one_teams_typing_pushes_only_its_own_tabs_never_the_other_teams(
    call: Call, sides: tuple[Side, Side], session: Session, addon_app: Flask
) -> None:
    acme, rival = sides  # both teams' tabs were just bound: dirty, waiting for their own pushes
    row = {"row": 2, "key": acme.orders[0].external_id, "cells": {NOTE: "call the buyer back"}}
    body = {"spreadsheet_id": acme.spreadsheet, "tab": acme.tab, "editor": None, "rows": [row]}
    typed = call("POST", "/addon/edits", acme.email("support"), json=body)
    assert typed.status_code == 200 and typed.get_json()["cells"][0]["status"] == "accepted"
    addon_app.extensions["orderdeck.tasks"].drain()

    session.expire_all()
    pushed = {b.spreadsheet.team_id: b for b in session.query(SheetBinding)}
    # Acme's push ran (its file is not in the Google sandbox, so it failed and says so) ...
    assert pushed[acme.team.id].last_push_error
    # ... and Rival's tab was left to Rival's own pushes: nothing ran, nothing of its limits was spent.
    assert pushed[rival.team.id].dirty and pushed[rival.team.id].last_push_error is None


def note_edit(side: Side, notes: int = 1) -> dict[str, Any]:
    """An edit event typing the note of `notes` rows (one cell each) of the side's customer-service tab."""
    rows = [
        {"row": 2 + n, "key": side.orders[n % len(side.orders)].external_id, "cells": {NOTE: f"call back {n}"}}
        for n in range(notes)
    ]
    return {"spreadsheet_id": side.spreadsheet, "tab": side.tab, "editor": None, "rows": rows}


def test_sheet_edits_past_a_member_and_then_a_team_limit_are_refused_in_the_teams_language_and_the_other_team_types_on(
    call: Call, sides: tuple[Side, Side], session: Session
) -> None:
    acme, rival = sides
    acme.team.language = "zh-Hans"
    # Day-long windows, so a minute's edge crossed mid-test cannot start fresh counts.
    limits.set_limit(session, "edit_cells.member", 3, 86_400)
    limits.set_limit(session, "edit_cells.team", 5, 86_400)
    session.commit()
    support, warehouse = acme.email("support"), acme.email("warehouse")

    typed = [call("POST", "/addon/edits", support, json=note_edit(acme)) for _ in range(3)]
    assert [t.status_code for t in typed] == [200] * 3
    assert typed[0].get_json()["cells"][0]["status"] == "accepted"
    refused = call("POST", "/addon/edits", support, json=note_edit(acme))
    refused_with_a_retry_time(refused, "你已达到每86400 秒 3 次表格编辑", again="秒后再试")
    # Refused before its body is checked (checking a paste of many cells is itself the cost): a malformed
    # one meets the limit, not a list of its faults.
    malformed = {**note_edit(acme, 2), "rows": [{"row": 1, "key": "x", "cells": {"0": 1}}] * 2000}
    assert call("POST", "/addon/edits", support, json=malformed).status_code == 429
    # A teammate types on until the team's 5 are spent; then the whole team waits.
    assert [call("POST", "/addon/edits", warehouse, json=note_edit(acme)).status_code for _ in range(2)] == [200] * 2
    refused = call("POST", "/addon/edits", warehouse, json=note_edit(acme))
    refused_with_a_retry_time(refused, "你的团队已达到每86400 秒 5 次表格编辑", again="秒后再试")
    # The other team is untouched by Acme's hammering: its typing is answered cell by cell, in English.
    for _ in range(3):
        answer = call("POST", "/addon/edits", rival.email("support"), json=note_edit(rival))
        assert answer.status_code == 200 and answer.get_json()["cells"][0]["status"] == "accepted"


def test_a_paste_counts_every_cell_and_one_bigger_than_a_whole_window_is_refused_outright(
    call: Call, sides: tuple[Side, Side], session: Session
) -> None:
    acme, rival = sides
    limits.set_limit(session, "edited_cells.member", 5, 86_400)
    session.commit()
    support = acme.email("support")

    too_big = call("POST", "/addon/edits", support, json=note_edit(acme, 6))
    assert too_big.status_code == 400, too_big.get_json()
    assert too_big.get_json()["error"]["message"] == (
        "6 edited cells at once is more than the limit of 5 per 86400 s; do it in smaller parts"
    )
    assert call("POST", "/addon/edits", support, json=note_edit(acme, 4)).status_code == 200
    refused_with_a_retry_time(call("POST", "/addon/edits", support, json=note_edit(acme, 2)), "limit of 5 edited cells")
    assert call("POST", "/addon/edits", support, json=note_edit(acme, 1)).status_code == 200  # the 5th fits
    assert call("POST", "/addon/edits", rival.email("support"), json=note_edit(rival, 5)).status_code == 200


def test_push_attempts_that_find_the_spreadsheet_being_pushed_spend_nothing_of_the_teams_push_limit(
    sides: tuple[Side, Side], session: Session, addon_app: Flask
) -> None:
    """Under a flood every round asks for the pushes, and most asks find the file's push running: counted,
    they spent the team's push limit and held its real pushes back for the rest of the minute."""
    acme, _rival = sides
    limits.set_limit(session, "push.team", 2, 86_400)
    session.commit()
    binding = next(b for b in session.query(SheetBinding) if b.spreadsheet.team_id == acme.team.id)
    with addon_app.app_context():
        db = runtime.database()
        running, other = f"sheet-push:{binding.spreadsheet_id}", leases.new_holder()
        assert leases.try_acquire(db, running, other, LEASE_TTL)  # another worker's push of the file
        for _ in range(5):
            result, _follow = push_schedule.run(binding.id)
            assert "is being worked on" in result["skipped"], result
        leases.release(db, running, other)
        try:
            result, _follow = push_schedule.run(binding.id)
        except OrderDeckError as exc:  # the push ran: this file is not in the Google sandbox
            result = {"failed": exc.message}
    assert "deferred_s" not in result, result
