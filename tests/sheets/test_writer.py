"""Quotas and limits, the sharing guard's verdicts, and custom profiles."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from threading import Thread

import pytest
from flask import Flask
from googleapiclient.errors import HttpError
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.schemas import ColumnProfileSchema
from backend.catalog import role_policy
from backend.domain.access import Sensitivity
from backend.errors import Forbidden
from backend.models import Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings
from backend.services.addon_sheets import DRIVE_FILE_SCOPE
from backend.services.sheet_refresh import Pusher, push_dirty
from backend.sheets.google import SCOPES, GoogleClients, WriterIdentity, clients, writer_for
from backend.sheets.guard import sharing_problems
from tests import factories
from tests.sheets.conftest import WRITER
from tests.sheets.test_push import ADMIN, PACKER, new_file, one_order_shipping_next, seller


def test_a_429_from_google_is_retried_with_growing_capped_delays(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    file_id = one_order_shipping_next(session, google)
    slept: list[float] = []
    pusher.backoff.sleep = slept.append
    pusher.backoff.jitter = lambda: 0.5
    google.sheets.inject_fault(429, count=3, path_contains=file_id)
    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception) and result.writes == 1
    assert slept == [1.5, 2.5, 4.5]


def test_the_guard_names_every_reader_who_may_not_see_what_the_file_shows() -> None:
    members = {ADMIN: "admin", "books@seller.example": "finance", PACKER: "warehouse"}
    permissions = [
        {"type": "user", "role": "owner", "emailAddress": ADMIN},
        {"type": "user", "role": "writer", "emailAddress": WRITER},
        {"type": "user", "role": "reader", "emailAddress": "books@seller.example"},
        {"type": "user", "role": "reader", "emailAddress": PACKER},
        {"type": "group", "role": "reader", "emailAddress": "team@seller.example"},
        {"type": "domain", "role": "reader", "domain": "seller.example"},
    ]
    problems = sharing_problems(
        permissions,
        {Sensitivity.OPERATIONAL, Sensitivity.COST},
        members=members,
        policy=role_policy(),
        writer=WRITER,
        team_name="Acme",
    )
    assert problems == [
        f"{PACKER} can open it, but the warehouse role may not see cost data",
        "the group team@seller.example can open it; OrderDeck cannot see who is in a group: share with people",
        "everyone at seller.example can open it, and it would show cost data",
    ]
    only_operational = sharing_problems(
        permissions, {Sensitivity.OPERATIONAL}, members=members, policy=role_policy(), writer=WRITER, team_name="Acme"
    )
    assert only_operational == []


def test_admins_define_custom_profiles_within_what_the_audience_may_see(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    factories.order(session, factories.shop(session, team), total_amount=Decimal("99.00"))
    schema = ColumnProfileSchema()
    with pytest.raises(ValidationError, match="once"):
        schema.load({"key": "dup", "audience_role": "viewer", "grain": "order", "columns": ["status", "status"]})
    doc = schema.load(
        {"key": "agency_lite", "audience_role": "viewer", "grain": "order", "columns": ["order_id", "net_profit"]}
    )
    with pytest.raises(bindings.ProfileRejected, match=r"cannot show fees, costs and profit \(Net profit\)"):
        bindings.define_profile(session, team, doc, ADMIN)
    with pytest.raises(Forbidden, match="only an admin"):
        bindings.define_profile(session, team, {**doc, "columns": ["order_id"]}, PACKER)
    bindings.define_profile(session, team, {**doc, "columns": ["order_id", "status", "total_amount"]}, ADMIN)
    file_id = new_file(google)
    bindings.bind(session, team, file_id, "Orders", "agency_lite")
    session.commit()
    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception)
    assert google.sheets.values(file_id, "Orders")[0] == ["Order ID", "Status", "Order total"]


def test_threads_share_one_set_of_google_resources_and_a_request_runs_only_as_the_identity_that_executes_it(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    file_id = one_order_shipping_next(session, google)
    team_id = session.scalars(select(Team.id)).one()
    identity = writer_for(session, team_id, pusher.config, pusher.secrets)
    wider = replace(identity, credentials=identity.credentials.with_scopes([*SCOPES, DRIVE_FILE_SCOPE]))
    built: dict[str, GoogleClients] = {}

    def build(name: str, who: WriterIdentity) -> None:
        built[name] = clients(pusher.config, who)

    threads = [Thread(target=build, args=("a", identity)), Thread(target=build, args=("b", wider))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    a, b = built["a"], built["b"]
    assert a.sheets is b.sheets and a.spreadsheets is b.spreadsheets and a.drive is b.drive  # built once
    assert a.http is not b.http
    assert a.http.credentials is identity.credentials and b.http.credentials is wider.credentials
    request = a.spreadsheets.get(spreadsheetId=file_id, fields="properties.title")
    with pytest.raises(HttpError) as refused:  # the shared resource carries no identity of its own
        request.execute()
    assert refused.value.status_code == 401
    assert request.execute(http=a.http)["properties"]["title"]
