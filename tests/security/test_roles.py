"""The role table, enforced: every role × every add-on action, and what each role can receive.

Per-cell edit rights (an input column typed by a role that may not type it) are proven over HTTP in
tests/api/test_addon_edits.py::test_roles_limit_who_may_type_where; custom profiles against the role
table in test_fuzz.py (property) and tests/api/test_addon_sheets.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from backend.api.addon import ENDPOINTS, Endpoint
from backend.catalog import role_policy
from backend.domain.access import Sensitivity
from backend.services.addon import may
from backend.services.bindings import catalogue
from tests.api.conftest import Call
from tests.security.conftest import ROLES, Side, build_side, forbidden_values, leaks

TABLE = [(role, e) for role in ROLES for e in ENDPOINTS if e.action is not None]


@pytest.fixture
def acme(session: Session) -> Side:
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    return side


@pytest.mark.parametrize(("role", "endpoint"), TABLE, ids=lambda v: v if isinstance(v, str) else v.path)
def test_each_role_may_take_exactly_the_actions_the_role_table_gives_it(
    call: Call, acme: Side, role: str, endpoint: Endpoint
) -> None:
    assert endpoint.action is not None
    response = call(endpoint.method, endpoint.path, acme.email(role), json={})
    if may(role, endpoint.action):
        assert response.status_code != 403, response.get_json()
    else:
        assert response.status_code == 403, response.get_json()
        assert f"the {role} role may not" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_no_endpoint_hands_a_role_a_value_of_a_class_it_may_not_see(
    call: Call, acme: Side, session: Session, role: str
) -> None:
    policy = role_policy()
    forbidden = forbidden_values(session, acme.team.id)
    hidden = {c.value for c in Sensitivity if not policy.may_see(role, c)} & set(forbidden)
    bodies = [
        call("GET", "/addon/me", acme.email(role)),
        call("GET", "/addon/status", acme.email(role), query={"spreadsheet_id": acme.spreadsheet}),
        call("GET", "/addon/profiles", acme.email(role)),
        *(call("GET", "/addon/columns", acme.email(role), query={"audience": a}) for a in ROLES),
        call("GET", "/addon/members", acme.email(role)),
        call("POST", "/addon/trigger", acme.email(role), json={"spreadsheet_id": acme.spreadsheet}),
    ]
    for cls in hidden:
        assert not leaks((b.get_data(as_text=True) for b in bodies), forbidden[cls]), (role, cls)
    for audience in ROLES:
        for column in call("GET", "/addon/columns", acme.email(role), query={"audience": audience}).get_json():
            cls = Sensitivity(column["sensitivity"])
            assert policy.may_see(role, cls) and policy.may_see(audience, cls), (role, audience, column["key"])
    for profile in call("GET", "/addon/profiles", acme.email(role)).get_json():
        assert all(policy.may_see(role, catalogue()[c].sensitivity) for c in profile["columns"]), profile["key"]
