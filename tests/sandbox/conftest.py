"""Fixtures for the sandboxes: real servers on loopback, real Google client libraries pointed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import build

from backend.sandbox.google_identity import FakeClock
from backend.sandbox.sheets import GoogleSandboxes, QuotaLimits, google_sandboxes

SERVICE_ACCOUNT = "orderdeck@orderdeck-sandbox.iam.gserviceaccount.com"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandboxes(clock: FakeClock) -> Iterator[GoogleSandboxes]:
    """Identity + Sheets/Drive sandboxes sharing one fake clock (quota windows, token expiry)."""
    with google_sandboxes(clock=clock, quota_limits=QuotaLimits()) as running:
        yield running


@pytest.fixture
def sa_key_file(sandboxes: GoogleSandboxes, tmp_path: Path) -> Path:
    return sandboxes.identity.write_service_account_key(tmp_path / "sa.json", SERVICE_ACCOUNT)


@pytest.fixture
def sa_credentials(sa_key_file: Path) -> Any:
    return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(sa_key_file), scopes=SCOPES
    )


def _service(sandboxes: GoogleSandboxes, api: str, creds: Any) -> Any:
    endpoint = sandboxes.sheets.sheets_endpoint if api == "sheets" else sandboxes.sheets.drive_endpoint
    version = "v4" if api == "sheets" else "v3"
    return build(api, version, credentials=creds, client_options={"api_endpoint": endpoint}, static_discovery=True)


@pytest.fixture
def sheets(sandboxes: GoogleSandboxes, sa_credentials: Any) -> Any:
    """Sheets v4 as the backend's service account."""
    return _service(sandboxes, "sheets", sa_credentials)


@pytest.fixture
def drive(sandboxes: GoogleSandboxes, sa_credentials: Any) -> Any:
    """Drive v3 as the backend's service account."""
    return _service(sandboxes, "drive", sa_credentials)


@pytest.fixture
def service_as(sandboxes: GoogleSandboxes) -> Callable[..., Any]:
    """`service_as("sheets", "alice@x.test", scopes=[...])`: a client acting as a spreadsheet user."""

    def make(api: str, email: str, scopes: list[str] | None = None) -> Any:
        token = sandboxes.identity.issue_access_token(email, scopes or SCOPES)
        return _service(sandboxes, api, user_credentials.Credentials(token=token))  # type: ignore[no-untyped-call]

    return make
