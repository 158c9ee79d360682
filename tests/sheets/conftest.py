"""Sheets tests run the real Google clients against the identity and Sheets/Drive sandboxes on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from backend.sandbox.sheets import GoogleSandboxes
from backend.services.sheet_refresh import Pusher
from backend.sheets.writer import Backoff

WRITER = "orderdeck-writer@orderdeck-sandbox.iam.gserviceaccount.com"


@pytest.fixture
def sheets_app(app: Flask, google: GoogleSandboxes, tmp_path: Path) -> Flask:
    """The test app pointed at the sandboxes, writing as a service account whose key names the local token_uri."""
    key = google.identity.write_service_account_key(tmp_path / "sa.json", WRITER)
    config = app.extensions["orderdeck.config"].with_overrides(
        SHEETS_API_ENDPOINT=google.sheets.sheets_endpoint,
        DRIVE_API_ENDPOINT=google.sheets.drive_endpoint,
        GOOGLE_APPLICATION_CREDENTIALS=str(key),
    )
    app.extensions["orderdeck.config"] = config
    google.sheets.quotas.reset()
    google.sheets.log.clear()
    return app


@pytest.fixture
def pusher(sheets_app: Flask) -> Pusher:
    """A pusher that never really sleeps and checks sharing on every push."""
    return Pusher(
        sheets_app.extensions["orderdeck.db"],
        sheets_app.extensions["orderdeck.config"],
        sheets_app.extensions["orderdeck.secrets"],
        backoff=Backoff(sleep=lambda _s: None),
        sharing_ttl=0,
        budget_wait=0.5,
    )
