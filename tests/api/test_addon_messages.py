"""Refusals a seller can act on: each names the field (or what was asked) and the fix in one sentence, the
role table in words, never a column or profile key; and the first run's steps read from the team's state."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from backend.domain.access import Sensitivity
from backend.services.bindings import builtin_profiles, catalogue
from tests import factories
from tests.api.conftest import Call

ADMIN = "owner@seller.example"
PACKER = "packer@3pl.example"
KEYS = re.compile(r"\b(" + "|".join(k for k in [*catalogue(), *builtin_profiles()] if "_" in k) + r")\b")


@pytest.fixture
def team(session: Session) -> int:
    acme = factories.team(session, "Acme", admin=ADMIN)
    factories.member(session, acme, PACKER, "warehouse")
    session.commit()
    return acme.id


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        ("/addon/shops/consent", {"region": "XX"}, "Region: “XX” is not a TikTok Shop region: choose one of US, GB,"),
        ("/addon/members", {"email": "packer at 3pl", "role": "warehouse"}, "Email: type an email address such as"),
        ("/addon/members", {"email": PACKER, "role": "boss"}, "Role: “boss” is not a role: choose admin, finance,"),
        ("/addon/members", {"role": "viewer"}, "Email: fill it in"),
        ("/addon/spreadsheets", {"title": "", "audience": "warehouse", "profile": "sla_watch"}, "Title: type"),
    ],
)
def test_a_refused_field_is_named_with_what_to_type_instead(
    call: Call, team: int, path: str, body: dict[str, str], said: str
) -> None:
    refused = call("POST", path, ADMIN, json=body)
    assert refused.status_code == 400
    message = refused.get_json()["error"]["message"]
    assert message.startswith(said), message
    assert "see detail" not in message and "\n" not in message
    assert refused.get_json()["error"]["detail"]["fields"]  # API clients still get marshmallow's answer


def test_a_role_refusal_says_who_may_and_whom_to_ask(call: Call, team: int) -> None:
    message = call("POST", "/addon/members", PACKER, json={"email": "x@y.example", "role": "viewer"}).get_json()
    assert message["error"]["message"] == (
        "the warehouse role may not add or remove members: only Admin may, so ask an admin of your team"
    )


def test_a_profile_that_does_not_fit_the_audience_is_refused_in_words(call: Call, team: int) -> None:
    form = {"title": "Packing", "audience": "warehouse", "profile": "profit_ledger"}
    refused = call("POST", "/addon/spreadsheets", ADMIN, json=form).get_json()["error"]
    money = {Sensitivity.SALES, Sensitivity.COST}
    more = sum(c.sensitivity in money for c in builtin_profiles()["profit_ledger"].columns) - 3
    assert refused["message"] == (
        "A spreadsheet for Warehouse / 3PL cannot show sales figures or fees, costs and profit (Revenue, Fees total, "
        f"COGS and {more} more), which only Admin or Finance may see: choose a profile made for Warehouse / 3PL."
    )
    assert not KEYS.search(refused["message"])


def test_profiles_say_which_audiences_may_be_shown_them(call: Call, team: int) -> None:
    profiles = {p["key"]: p for p in call("GET", "/addon/profiles", ADMIN).get_json()}
    assert profiles["profit_ledger"]["audiences"] == ["admin", "finance"]
    assert profiles["customer_service"]["audiences"] == ["admin", "warehouse", "support"]  # buyers' details


def test_an_admin_sees_the_first_run_steps_and_a_member_does_not(call: Call, team: int, session: Session) -> None:
    status = call("GET", "/addon/status", ADMIN).get_json()
    assert [(s["key"], s["done"]) for s in status["setup"]] == [
        ("shop", False),
        ("google", True),  # the service account writes: nothing to connect
        ("spreadsheets", False),
        ("members", True),  # the packer
    ]
    offered = [a["label"] for a in status["setup"][2]["audiences"]]  # one spreadsheet per audience, every role
    assert offered == ["Warehouse / 3PL", "Finance", "Customer service", "Procurement", "Agency client"]
    assert {r["key"] for r in status["choices"]["regions"]} >= {"US", "GB"}
    assert status["role_labels"]["warehouse"] == "Warehouse / 3PL"
    packer = call("GET", "/addon/status", PACKER).get_json()
    assert "setup" not in packer and "choices" not in packer
