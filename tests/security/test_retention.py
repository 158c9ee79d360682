"""Personal data does not live forever: masked in the database and every sheet once the team's retention
has run out since the order ended, idempotently, and never brought back by a later sync.

Over HTTP: the backend against the TikTok and Google sandboxes, the sweep called as App Engine cron would.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backend.domain.retention import MASK
from backend.models import Order, OrderInput, SheetBinding, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from tests.conftest import Live
from tests.scenarios.addon_world import ADMIN, PACKER, AddonFailure, World, build_world

SECRET = "retention-test-secret"


def task(world: World, path: str) -> Any:
    reply = httpx.get(world.live.url + path, headers={"X-OrderDeck-Task-Secret": SECRET}, timeout=60)
    assert reply.status_code == 200, reply.text
    world.live.drain()
    return reply.json()


def rows_by_order(world: World, tab: str) -> dict[str, dict[str, Any]]:
    header, *rows = world.tab(tab)
    return {str(row[0]): dict(zip(header, row, strict=False)) for row in rows if row}


def orders(world: World) -> dict[str, Order]:
    with world.live.db.session() as session:
        return {o.external_id: o for o in session.scalars(select(Order))}


def test_personal_data_is_masked_after_the_retention_everywhere_once_and_for_good(
    live: Live, google: GoogleSandboxes, tmp_path: Path
) -> None:
    world = build_world(live, google, tmp_path)
    live.app.extensions["orderdeck.config"] = live.app.extensions["orderdeck.config"].with_overrides(
        TASKS_SECRET=SECRET
    )
    cutoff = utcnow() - timedelta(days=7)
    stored = orders(world)
    expired = {
        oid
        for oid, o in stored.items()
        if o.status in ("DELIVERED", "COMPLETED", "CANCELLED")
        and (o.delivery_at or o.cancel_at or o.platform_update_time) <= cutoff
    }
    kept = set(stored) - expired
    assert expired and kept, "the control: some orders are past the retention, some are not"
    assert any(stored[o].recipient_name for o in expired)
    noted = min(expired)
    with live.db.session() as session:  # what support typed into the Note column of that order
        session.add(OrderInput(order_id=stored[noted].id, note="Call Anna on +1 555 0100", updated_by=ADMIN))
    world.bind_tab("CS", "customer_service", new_tab=True)
    live.drain()
    before = rows_by_order(world, "CS")
    assert before[noted]["Note"] == "Call Anna on +1 555 0100"

    changed = live.app.test_cli_runner().invoke(args=["team", "set", "Acme Trading", "--retention-days", "7"])
    assert changed.exit_code == 0 and "7 days after an order ends" in changed.output, changed.output

    swept = task(world, "/tasks/retention-due")
    assert swept["masked"] == len(expired)
    task(world, "/tasks/push-due")

    after = orders(world)
    for oid in expired:
        o = after[oid]
        assert o.personal_masked_at is not None
        for value in (o.recipient_name, o.recipient_phone, o.recipient_address, o.buyer_message, o.buyer_user_id):
            assert value in (None, MASK), (oid, value)
        assert o.raw.get("recipient_address") is None and o.raw.get("buyer_email") is None
        assert o.raw["id"] == oid and o.raw["line_items"], "the rest of the payload stays"
        assert (o.status, o.total_amount, o.tracking_number) == (stored[oid].status, stored[oid].total_amount,
                                                                 stored[oid].tracking_number)  # fmt: skip
    for oid in kept:
        assert after[oid].recipient_name == stored[oid].recipient_name and after[oid].personal_masked_at is None

    sheet = rows_by_order(world, "CS")
    for oid in expired & set(before):
        if before[oid].get("Recipient"):
            assert sheet[oid]["Recipient"] == MASK, sheet[oid]
        assert {k: v for k, v in sheet[oid].items() if k not in ("Recipient", "Buyer message", "Note")} == {
            k: v for k, v in before[oid].items() if k not in ("Recipient", "Buyer message", "Note")
        }, "the rest of the row stays"
    assert sheet[noted]["Note"] == MASK
    with live.db.session() as session:
        assert session.get_one(OrderInput, stored[noted].id).note == MASK
    for oid in kept & set(before):
        assert sheet[oid] == before[oid]
    names = {stored[o].recipient_name for o in expired} - {None}
    assert not [row for row in world.tab("CS") if names & {str(v) for v in row}], "no masked name stays in the sheet"

    # Idempotent: a second sweep masks nothing and sets off no push.
    assert task(world, "/tasks/retention-due")["masked"] == 0
    with live.db.session() as session:
        assert not session.scalars(select(SheetBinding).where(SheetBinding.dirty)).all()

    # A full re-sync re-fetches every order from TikTok, personal data included: it is masked again.
    with live.app.app_context():
        resync = live.app.test_cli_runner().invoke(args=["sync", "--full"])
    assert resync.exit_code == 0, resync.output
    again = orders(world)
    for oid in expired:
        assert again[oid].recipient_name in (None, MASK) and again[oid].raw.get("recipient_address") is None
        assert again[oid].personal_masked_at == after[oid].personal_masked_at


def test_the_retention_is_an_admins_team_setting_in_the_sidebar(
    live: Live, google: GoogleSandboxes, tmp_path: Path
) -> None:
    world = build_world(live, google, tmp_path)
    assert world.api("get", "/addon/status")["team"]["retention_days"] == 90  # the default
    for days in (0, 366, "30", 2.5):
        with pytest.raises(AddonFailure, match=r"^Days: type (a number of days from 1 to 365|a whole number)$"):
            world.api("post", "/addon/team/retention", ADMIN, {"retention_days": days})
    with pytest.raises(AddonFailure, match="the warehouse role may not change team settings: only Admin may"):
        world.api("post", "/addon/team/retention", PACKER, {"retention_days": 30})
    assert world.api("post", "/addon/team/retention", ADMIN, {"retention_days": 30}) == {"retention_days": 30}
    assert world.api("get", "/addon/status")["team"]["retention_days"] == 30
    refused = live.app.test_cli_runner().invoke(args=["team", "set", "Acme Trading", "--retention-days", "0"])
    assert refused.exit_code == 1 and "from 1 to 365 days" in refused.output
