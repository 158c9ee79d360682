"""What the current app was built with, for handlers, commands and tasks (services take these explicitly)."""

from __future__ import annotations

from flask import current_app

from backend.config import Config
from backend.db import Database, get_db
from backend.secrets import SecretBox
from backend.services.shops import Platform


def config() -> Config:
    settings: Config = current_app.extensions["orderdeck.config"]
    return settings


def secret_box() -> SecretBox:
    box: SecretBox = current_app.extensions["orderdeck.secrets"]
    return box


def database() -> Database:
    return get_db()


def platform() -> Platform:
    """How this app reaches the sales channels: its settings and its secret box."""
    return Platform(config(), secret_box())
