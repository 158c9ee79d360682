"""Every /addon route against poisoned JSON bodies: a 4xx with a reason in the error envelope, never a 5xx.

Bodies are drawn from each route's own request schema (/openapi.json, generated from the marshmallow
schemas) and poisoned (tests/poison.py), or are raw text past a limit: deep nesting, huge numbers,
NaN, a body that is not JSON, or one sent as another content type.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from backend.sandbox.sheets import GoogleSandboxes
from tests.api.conftest import AUDIENCE
from tests.poison import poisoned, valid
from tests.security.conftest import build_side

RAW = {
    b"[" * 100_000 + b"]" * 100_000: "nest deeper than 16 levels",
    b'{"a":' * 17 + b"1" + b"}" * 17: "nest deeper than 16 levels",
    b'{"shop_id": 1' + b"0" * 40 + b"}": "digits",
    b'{"shop_id": 1e999}': "out of range",
    b'{"shop_id": NaN}': "NaN is not a JSON number",
    b'{"tab": "\\ud800"}': "lone UTF-16 surrogate",
    b'{"shop_id": ': "not JSON",
    b"\xff\xfe{}": "not JSON",
}


def test_every_addon_route_answers_poisoned_bodies_with_a_4xx_and_a_reason(
    addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    client = addon_app.test_client()
    token = google.identity.mint_id_token(AUDIENCE, side.email("admin"))
    headers = {"Authorization": f"Bearer {token}"}
    api = client.get("/openapi.json").get_json()
    definitions = api["components"]["schemas"]
    routes = [
        (path, op["requestBody"]["content"]["application/json"]["schema"])
        for path, ops in api["paths"].items()
        for method, op in ops.items()
        if method == "post" and "requestBody" in op
    ]
    assert len(routes) >= 11
    seen: set[int] = set()

    def send(path: str, body: bytes, content_type: str = "application/json") -> dict[str, Any]:
        response = client.post(path, data=body, headers=headers, content_type=content_type)
        seen.add(response.status_code)
        assert response.status_code < 500, (path, body[:200], response.get_data(as_text=True)[:300])
        reply: dict[str, Any] = response.get_json()
        if response.status_code >= 400:
            assert reply["error"]["message"] and reply["error"]["action"] in ("fail", "retry"), (path, reply)
        return reply

    for path, _ in routes:
        for body, reason in RAW.items():
            reply = send(path, body)
            assert reason in reply["error"]["message"], (path, body[:60], reply)
        reply = send(path, b'{"tab": "x"}', content_type="text/plain")
        assert "must be JSON" in reply["error"]["message"]

    @settings(max_examples=40, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def attack(data: st.DataObject) -> None:
        path, schema = data.draw(st.sampled_from(routes))
        body = data.draw(poisoned(data.draw(valid(schema, definitions))))
        send(path, json.dumps(body, default=str).encode())

    attack()
    addon_app.extensions["orderdeck.tasks"].drain()
    assert 400 in seen
