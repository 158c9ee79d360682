"""Add-on API tests: real identity tokens from the local OIDC issuer, the app verifying them over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from backend.config import config_for_tests
from backend.sandbox.sheets import GoogleSandboxes

AUDIENCE = config_for_tests("sqlite://").ADDON_AUDIENCE
WRITER = "orderdeck-writer@orderdeck-sandbox.iam.gserviceaccount.com"


def point_at_google(app: Flask, google: GoogleSandboxes, tmp_path: Path, **overrides: Any) -> Flask:
    """Certs, Sheets and Drive from the sandboxes; the backend writes as a service account."""
    key = google.identity.write_service_account_key(tmp_path / "sa.json", WRITER)
    config = app.extensions["orderdeck.config"].with_overrides(
        **google.settings(), GOOGLE_APPLICATION_CREDENTIALS=str(key), **overrides
    )
    app.extensions["orderdeck.config"] = config
    return app


@pytest.fixture
def addon_app(app: Flask, google: GoogleSandboxes, tmp_path: Path) -> Iterator[Flask]:
    yield point_at_google(app, google, tmp_path)
    app.extensions["orderdeck.tasks"].drain()  # pushes a bind queued, while the sandboxes still run


Call = Callable[..., TestResponse]


def caller_for(client: FlaskClient, google: GoogleSandboxes) -> Call:
    def call(
        method: str,
        path: str,
        email: str | None = None,
        *,
        json: Any = None,
        token: str | None = None,
        team: int | None = None,
        query: dict[str, Any] | None = None,
    ) -> TestResponse:
        headers = {}
        if token is None and email is not None:
            token = google.identity.mint_id_token(AUDIENCE, email)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if team is not None:
            headers["X-OrderDeck-Team"] = str(team)
        return client.open(path, method=method, json=json, headers=headers, query_string=query)

    return call


@pytest.fixture
def call(addon_app: Flask, google: GoogleSandboxes) -> Call:
    """`call("POST", "/addon/sync", "who@x.test", json=...)` with a fresh, valid identity token for `who`."""
    return caller_for(addon_app.test_client(), google)
