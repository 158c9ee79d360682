"""Issue 14, class 9: attribution cannot be forged. The edit trigger runs as the admin who installed it and
passes Google's `e.user`; a named editor counts only in that admin's calls and only when it is a member of
the team. Anyone else's `editor` is ignored (they acted), and an empty `e.user` is an unknown member who
ranks nowhere."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.analytics import UNKNOWN_MEMBER
from backend.models import AuditEntry, OrderEvent, OrderInput
from backend.services.bindings import builtin_profiles
from tests import factories
from tests.api.conftest import Call
from tests.security.conftest import Side

CO_ADMIN = "cofounder@acme.example"
# The customer_service profile's note column (1-based), which support and admins type into.
NOTE = str(1 + builtin_profiles()["customer_service"].index_of("note"))


def note(call: Call, side: Side, caller: str, editor: str | None, text: str, order: int = 0, **extra: Any) -> Any:
    """One edit event as the trigger (or a forger) sends it: a note typed into the side's bound tab."""
    row = {"row": 2, "key": side.orders[order].external_id, "cells": {NOTE: text}}
    body = {"spreadsheet_id": side.spreadsheet, "tab": side.tab, "editor": editor, "rows": [row]}
    return call("POST", "/addon/edits", caller, json=body, **extra)


def last_note(session: Session, side: Side, order: int = 0) -> tuple[str, str | None, str]:
    session.expire_all()
    event = session.scalars(
        select(OrderEvent)
        .where(OrderEvent.order_id == side.orders[order].id, OrderEvent.kind == "note")
        .order_by(OrderEvent.id.desc())
        .limit(1)
    ).one()
    return event.actor, event.actor_role, event.detail["note"]


def accepted(response: Any) -> bool:
    assert response.status_code == 200, response.get_json()
    return {c["status"] for c in response.get_json()["cells"]} == {"accepted"}


def test_only_the_admin_who_installed_the_trigger_may_name_the_editor_and_only_a_member(
    call: Call, sides: tuple[Side, Side], session: Session
) -> None:
    acme, rival = sides
    admin, support = acme.email("admin"), acme.email("support")
    factories.member(session, acme.team, CO_ADMIN, "admin")
    session.commit()

    # Before anyone installed the trigger, nobody's call may name an editor: the admin acted.
    assert accepted(note(call, acme, admin, support, "before the trigger"))
    assert last_note(session, acme) == (admin, "admin", "before the trigger")
    install = {"spreadsheet_id": acme.spreadsheet, "install": True}
    assert call("POST", "/addon/trigger", admin, json=install).get_json()["installed_by"] == admin
    assert call("POST", "/addon/trigger", support, json=install).status_code == 403  # members cannot install
    assert call("POST", "/addon/trigger", rival.email("admin"), json=install).status_code in (400, 404)
    refreshed = call("POST", "/addon/trigger", CO_ADMIN, json={"spreadsheet_id": acme.spreadsheet})
    assert refreshed.get_json()["installed_by"] == admin  # reading the columns (after a bind) installs nothing

    # The support member calls the API themselves and names the admin: ignored, the support member acted.
    assert accepted(note(call, acme, support, admin, "forged by support"))
    assert last_note(session, acme) == (support, "support", "forged by support")
    # Another admin, whose trigger is not the installed one, names the support member: ignored too.
    assert accepted(note(call, acme, CO_ADMIN, support, "forged by the co-admin"))
    assert last_note(session, acme) == (CO_ADMIN, "admin", "forged by the co-admin")
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "sheet.edit").order_by(AuditEntry.id))
    forged = [(e.actor, e.detail["editor"], e.detail["via"]) for e in audit][-2:]
    assert forged == [(support, admin, support), (CO_ADMIN, support, CO_ADMIN)]  # the claim is kept, not believed

    # The installer's trigger names the member Google saw: believed, with that member's role and rights.
    assert accepted(note(call, acme, admin, support.upper(), "typed by support"))
    assert last_note(session, acme) == (support, "support", "typed by support")
    refused = note(call, acme, admin, acme.email("warehouse"), "typed by the packer")
    assert refused.get_json()["cells"][0]["status"] == "rejected"  # the packer may not write notes
    # ... but not someone outside the team (another team's member included): their cell is refused.
    outsider = note(call, acme, admin, rival.email("support"), "typed by a stranger")
    assert outsider.get_json()["cells"][0]["status"] == "rejected"
    assert "not a member" in outsider.get_json()["cells"][0]["note"]
    assert rival.team.name not in outsider.get_data(as_text=True)
    assert last_note(session, acme) == (support, "support", "typed by support")

    # An empty e.user is an unknown member, never the admin.
    assert accepted(note(call, acme, admin, None, "typed by someone Google did not name"))
    assert last_note(session, acme) == (UNKNOWN_MEMBER, None, "typed by someone Google did not name")
    typed = session.get_one(OrderInput, acme.orders[0].id)
    assert (typed.note, typed.updated_by) == ("typed by someone Google did not name", UNKNOWN_MEMBER)

    # Once another admin installs their trigger, the first admin's calls are one more forger's.
    assert call("POST", "/addon/trigger", CO_ADMIN, json=install).get_json()["installed_by"] == CO_ADMIN
    assert accepted(note(call, acme, admin, support, "from the retired trigger"))
    assert last_note(session, acme) == (admin, "admin", "from the retired trigger")
    demoted = call("POST", "/addon/members", admin, json={"email": CO_ADMIN, "role": "support"})
    assert demoted.status_code == 200
    assert accepted(note(call, acme, CO_ADMIN, support, "from a demoted installer"))
    assert last_note(session, acme) == (CO_ADMIN, "support", "from a demoted installer")


def test_another_team_cannot_install_a_trigger_on_or_edit_a_file_it_does_not_own(
    call: Call, sides: tuple[Side, Side], session: Session
) -> None:
    acme, rival = sides
    attacker = rival.email("admin")
    for team in (None, acme.team.id):
        installed = call("POST", "/addon/trigger", attacker, json={"spreadsheet_id": acme.spreadsheet, "install": True},
                         team=team)  # fmt: skip
        assert installed.status_code in (400, 403, 404)
        assert note(call, acme, attacker, acme.email("support"), "from Rival", team=team).status_code in (403, 404)
    session.expire_all()
    assert not session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == acme.orders[0].id, OrderEvent.kind == "note")
    ).all()
