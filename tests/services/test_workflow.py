"""Raising and resolving exceptions: role checks, audit trail, order history, sheets marked dirty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.models import AuditEntry, ExceptionCase, Notification, OrderEvent, SheetBinding, Spreadsheet, Team
from backend.services import notify, workflow
from tests import factories

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
CANCEL = {"reason": "changed_mind", "already_shipped": False, "refund_amount": "25.00"}


@pytest.fixture
def team(session: Session) -> Team:
    row = factories.team(session, name="Acme", admin="boss@acme.test")
    for email, role in (("cs@acme.test", "support"), ("pack@acme.test", "warehouse"), ("agency@client.test", "viewer")):
        factories.member(session, row, email, role)
    return row


@pytest.fixture
def order_id(session: Session, team: Team) -> int:
    shop = factories.shop(session, team, name="Acme UK", currency="GBP")
    return factories.order(session, shop, external_id="5770001").id


def test_support_raises_from_the_sidebar_and_everything_is_recorded(
    session: Session, team: Team, order_id: int
) -> None:
    sheet = Spreadsheet(team_id=team.id, google_id="cs-sheet", audience_role="support")
    sheet.bindings.append(SheetBinding(tab_title="CS", profile_key="support", created_by="boss@acme.test", dirty=False))
    session.add(sheet)
    session.flush()

    case = workflow.raise_exception(
        session, team, "customer_cancellation", actor="CS@acme.test", order_id=order_id, fields=CANCEL, now=NOW
    )
    assert (case.status, case.handler_role, case.raised_by) == ("open", "support", "cs@acme.test")
    assert case.due_at == NOW + timedelta(hours=12)
    assert case.fields == {"reason": "changed_mind", "already_shipped": False, "refund_amount": "25.00"}
    assert sheet.bindings[0].dirty  # the CS sheet will show the open exception on its next push
    event = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)).one()
    assert (event.kind, event.actor, event.actor_role) == ("exception_raised", "cs@acme.test", "support")
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "exception.raised")).one()
    assert audit.target_id == str(case.id) and audit.actor == "cs@acme.test"
    assert workflow.customer_message(session, case, "en").splitlines()[-1] == "Thank you for shopping with Acme UK."
    assert "退款 GBP 25.00" in workflow.customer_message(session, case, "zh-Hans")


def test_a_new_exception_is_enqueued_for_discord_in_the_same_transaction(
    app: Flask, session: Session, team: Team, order_id: int
) -> None:
    notify.add_channel(
        session,
        app.extensions["orderdeck.secrets"],
        team,
        name="cs",
        url="https://discord.com/api/webhooks/1/t",
        kinds=["exception_new"],
        actor="boss@acme.test",
    )
    case = workflow.raise_exception(
        session,
        team,
        "stock_out",
        actor="pack@acme.test",
        order_id=order_id,
        fields={"seller_sku": "LIP-01", "quantity_short": 2},
        now=NOW,
    )
    [row] = session.scalars(select(Notification)).all()
    assert (row.kind, row.subject) == ("exception_new", f"exception:{case.id}")
    assert row.payload["embeds"][0]["title"] == "New exception: Stock-out (order 5770001)"


@pytest.mark.parametrize(
    ("actor", "error", "message"),
    [
        ("agency@client.test", Forbidden, "viewer role cannot raise"),
        ("stranger@else.test", Forbidden, "not a member"),
    ],
)
def test_who_may_raise(session: Session, team: Team, order_id: int, actor: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        workflow.raise_exception(session, team, "return_request", actor=actor, order_id=order_id, fields={})


def test_bad_fields_unknown_templates_and_other_teams_orders_are_refused(
    session: Session, team: Team, order_id: int
) -> None:
    with pytest.raises(InvalidInput) as caught:
        workflow.raise_exception(
            session, team, "stock_out", actor="cs@acme.test", order_id=order_id, fields={"quantity_short": "0"}
        )
    assert caught.value.detail["fields"] == {"seller_sku": "is required", "quantity_short": "must be at least 1"}
    with pytest.raises(InvalidInput, match="no exception template 'lost_parcel'"):
        workflow.raise_exception(session, team, "lost_parcel", actor="cs@acme.test", fields={})
    other = factories.team(session, name="Other", admin="o@other.test")
    with pytest.raises(NotFound):
        workflow.raise_exception(
            session, other, "address_problem", actor="o@other.test", order_id=order_id, fields={"problem": "incomplete"}
        )


def test_dropdown_raise_waits_for_details_before_the_message(session: Session, team: Team, order_id: int) -> None:
    case = workflow.raise_from_dropdown(session, team, order_id, "Address problem", actor="cs@acme.test")
    assert (case.template_key, case.fields) == ("address_problem", {})
    with pytest.raises(InvalidInput, match="fill in"):
        workflow.customer_message(session, case, "en")
    with pytest.raises(Forbidden):
        workflow.update_fields(session, team, case.id, {"problem": "incomplete"}, actor="pack@acme.test")
    workflow.update_fields(
        session, team, case.id, {"problem": "incomplete", "missing_detail": "flat number"}, actor="cs@acme.test"
    )
    assert workflow.customer_message(session, case, "en").splitlines()[:2] == [
        "Hello, we could not ship order 5770001 yet: the address is incomplete.",
        "Missing: flat number.",
    ]
    with pytest.raises(InvalidInput, match="no exception template labelled"):
        workflow.raise_from_dropdown(session, team, order_id, "Lost parcel", actor="cs@acme.test")


def test_resolving_records_who_and_when_and_only_the_handler_or_an_admin_may(
    session: Session, team: Team, order_id: int
) -> None:
    case = workflow.raise_exception(
        session,
        team,
        "return_request",
        actor="cs@acme.test",
        order_id=order_id,
        fields={"seller_sku": "LIP-01", "quantity": 1, "return_by": "2026-03-25"},
        now=NOW,
    )
    with pytest.raises(Forbidden, match="only support or an admin"):
        workflow.resolve_exception(session, team, case.id, actor="pack@acme.test")
    resolved_at = NOW + timedelta(hours=3)
    workflow.resolve_exception(session, team, case.id, actor="cs@acme.test", resolution=" label sent ", now=resolved_at)
    assert (case.status, case.resolved_by, case.resolved_at, case.resolution) == (
        "resolved",
        "cs@acme.test",
        resolved_at,
        "label sent",
    )
    with pytest.raises(Conflict, match=r"already resolved by cs@acme\.test"):
        workflow.resolve_exception(session, team, case.id, actor="boss@acme.test")
    kinds = session.scalars(
        select(OrderEvent.kind).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    ).all()
    assert kinds == ["exception_raised", "exception_resolved"]
    assert workflow.open_exceptions(session, team.id) == []


def test_an_admin_can_resolve_any_case(session: Session, team: Team, order_id: int) -> None:
    case = workflow.raise_exception(
        session,
        team,
        "shipping_delay",
        actor="pack@acme.test",
        order_id=order_id,
        fields={"cause": "peak_volume", "new_ship_date": "2026-03-14"},
    )
    assert workflow.open_exceptions(session, team.id, [order_id]) == [case]
    workflow.resolve_exception(session, team, case.id, actor="boss@acme.test")
    assert case.resolved_by == "boss@acme.test"


def test_automatic_raises_are_idempotent_on_their_dedupe_key(session: Session, team: Team, order_id: int) -> None:
    fields = {"seller_sku": "LIP-01", "quantity_short": 1}
    key = f"stock_out:{order_id}:LIP-01"
    first, again = (
        workflow.raise_exception(
            session, team, "stock_out", actor=workflow.SYSTEM, order_id=order_id, fields=fields, dedupe_key=key
        )
        for _ in range(2)
    )
    assert again.id == first.id
    assert len(session.scalars(select(ExceptionCase)).all()) == 1
    with pytest.raises(InvalidInput, match="dedupe key"):
        workflow.raise_exception(session, team, "stock_out", actor=workflow.SYSTEM, order_id=order_id, fields=fields)
