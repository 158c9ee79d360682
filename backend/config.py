"""Typed settings read once from the environment; defaults give the local demo on SQLite."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
SUPPORTED_DRIVERS = ("sqlite", "postgresql")
# A fixed, public key for tests only: never valid outside TESTING.
TEST_ENCRYPTION_KEY = "sNGmYEgs55oxJipvb5jLCx37PzuFq3S4qgFynj50Mtk="


class ConfigError(SystemExit):
    """A setting that stops start-up.

    A SystemExit on purpose: `flask`, gunicorn and the demo print its one-line message and exit
    instead of a traceback; tests still catch it by type.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"orderdeck: configuration error: {message}")
        self.message = message


@dataclass(frozen=True)
class Config:
    """Every setting the backend reads. Names match the environment variables in DESIGN.md."""

    DATABASE_URL: str = f"sqlite:///{INSTANCE_DIR / 'orderdeck.db'}"
    ORDERDECK_ENCRYPTION_KEY: str | None = None
    ORDERDECK_OLD_ENCRYPTION_KEY: str | None = None
    TIKTOK_APP_KEY: str = ""
    TIKTOK_APP_SECRET: str = ""
    TIKTOK_SERVICE_ID: str = ""
    TIKTOK_API_BASE: str = "https://open-api.tiktokglobalshop.com"
    TIKTOK_AUTH_BASE: str = "https://auth.tiktok-shops.com"
    TIKTOK_AUTHORIZE_URL: str | None = None
    SHOPEE_PARTNER_ID: str = ""
    SHOPEE_PARTNER_KEY: str = ""
    SHOPEE_API_BASE: str = "https://partner.shopeemobile.com"
    SHEETS_API_ENDPOINT: str | None = None
    DRIVE_API_ENDPOINT: str | None = None
    GOOGLE_APPLICATION_CREDENTIALS: str | None = None
    ADDON_AUDIENCE: str = ""
    GOOGLE_CERTS_URL: str | None = None
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    GOOGLE_OAUTH_CLIENT_ID: str = ""
    GOOGLE_OAUTH_CLIENT_SECRET: str = ""
    GOOGLE_OAUTH_AUTH_URI: str = "https://accounts.google.com/o/oauth2/auth"
    GOOGLE_OAUTH_TOKEN_URI: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
    TASKS_BACKEND: str = "inline"
    TASKS_QUEUE: str = ""
    TASKS_SECRET: str | None = None
    # Set by App Engine itself; when present the deployment is production and secrets are mandatory.
    GAE_ENV: str | None = None
    TESTING: bool = False
    # Not environment contracts: knobs for tests and the demo.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return bool(self.GAE_ENV) and self.GAE_ENV != "localdev"

    @property
    def database_driver(self) -> str:
        return make_url(self.DATABASE_URL).get_backend_name()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read every field from the environment; unset or empty variables keep their default."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.name)
            if f.name == "extra" or raw is None or raw == "":
                continue
            values[f.name] = raw.lower() in ("1", "true", "yes") if f.type == "bool" else raw
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> Config:
        return replace(self, **overrides)

    def validate(self) -> Config:
        """Fail start-up with one clear line for settings that cannot work."""
        try:
            url = make_url(self.DATABASE_URL)
        except ArgumentError:
            raise ConfigError(
                f"DATABASE_URL {self.DATABASE_URL!r} is not a database URL "
                "(expected e.g. sqlite:///path.db or postgresql+psycopg://user:pass@host/db)"
            ) from None
        if url.get_backend_name() not in SUPPORTED_DRIVERS:
            raise ConfigError(
                f"DATABASE_URL uses {url.get_backend_name()!r}; OrderDeck supports {', '.join(SUPPORTED_DRIVERS)}"
            )
        if self.is_production and not self.ORDERDECK_ENCRYPTION_KEY:
            raise ConfigError("ORDERDECK_ENCRYPTION_KEY is required in production (a Fernet key)")
        if self.TASKS_BACKEND not in ("inline", "cloudtasks"):
            raise ConfigError(f"TASKS_BACKEND must be 'inline' or 'cloudtasks', not {self.TASKS_BACKEND!r}")
        return self


def config_for_tests(database_url: str, **overrides: Any) -> Config:
    """Settings for tests: a given database, a fixed key, nothing pointing at Google or TikTok."""
    return Config(
        DATABASE_URL=database_url,
        ORDERDECK_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
        TIKTOK_APP_KEY="test-app-key",
        TIKTOK_APP_SECRET="test-app-secret",  # noqa: S106 - tests only
        SHOPEE_PARTNER_ID="1000016",
        SHOPEE_PARTNER_KEY="test-partner-key",
        ADDON_AUDIENCE="orderdeck-addon.apps.googleusercontent.com",
        TESTING=True,
    ).with_overrides(**overrides)
