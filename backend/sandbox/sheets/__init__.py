"""Local Google Sheets API v4 + Drive v3 sandbox, served as a real HTTP server for the real client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from backend.sandbox.google_identity import Clock, GoogleIdentity
from backend.sandbox.server import RunningServer, start
from backend.sandbox.sheets.quotas import QuotaLimits
from backend.sandbox.sheets.sandbox import SheetsSandbox

__all__ = ["GoogleSandboxes", "QuotaLimits", "SheetsSandbox", "google_sandboxes", "start_google"]


@dataclass
class GoogleSandboxes:
    """Both Google sandboxes running: identity (token, OIDC) and Sheets/Drive, sharing tokens and clock."""

    identity: GoogleIdentity
    sheets: SheetsSandbox
    identity_server: RunningServer
    sheets_server: RunningServer

    def settings(self) -> dict[str, str]:
        """Backend configuration pointing every Google endpoint here (names as in backend/config.py)."""
        return {
            "SHEETS_API_ENDPOINT": self.sheets.sheets_endpoint,
            "DRIVE_API_ENDPOINT": self.sheets.drive_endpoint,
            "GOOGLE_CERTS_URL": self.identity.certs_url,
            "GOOGLE_OAUTH_AUTH_URI": self.identity.auth_uri,
            "GOOGLE_OAUTH_TOKEN_URI": self.identity.token_uri,
        }

    def stop(self) -> None:
        """Stop both servers at once (each shutdown waits out a poll interval)."""
        stoppers = [threading.Thread(target=server.stop) for server in (self.sheets_server, self.identity_server)]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()


def start_google(clock: Clock | None = None, quota_limits: QuotaLimits | None = None) -> GoogleSandboxes:
    """Start the identity and Sheets sandboxes on loopback ports; call `.stop()` when done."""
    identity = GoogleIdentity(clock=clock)
    sheets = SheetsSandbox(identity, quota_limits=quota_limits or QuotaLimits())
    identity_server = start(identity.app)
    identity.bind(identity_server.url)
    sheets_server = start(sheets.app)
    sheets.bind(sheets_server.url)
    return GoogleSandboxes(identity, sheets, identity_server, sheets_server)


@contextmanager
def google_sandboxes(clock: Clock | None = None, quota_limits: QuotaLimits | None = None) -> Iterator[GoogleSandboxes]:
    running = start_google(clock, quota_limits)
    try:
        yield running
    finally:
        running.stop()
