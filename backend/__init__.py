"""OrderDeck backend: `create_app` is the only place an app is assembled."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from backend import api, cli, db, secrets, tasks
from backend.catalog import exception_templates, role_policy
from backend.config import INSTANCE_DIR, Config
from backend.services.bindings import builtin_profiles

# Libraries that log credentials: httpx logs every URL at INFO (TikTok's token endpoint takes the app secret,
# auth code and refresh token in its query; a Discord webhook URL is itself a credential), and
# requests-oauthlib logs Google tokens at DEBUG. Only their warnings reach the log.
QUIET_LOGGERS = ("httpx", "requests_oauthlib", "oauthlib")


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the Flask app from `config` (a Config, overrides of the environment's, or the environment)."""
    if config is None:
        settings = Config.from_env()
    elif isinstance(config, Config):
        settings = config
    else:
        settings = Config.from_env().with_overrides(**config)
    settings = settings.validate()
    key = settings.ORDERDECK_ENCRYPTION_KEY or secrets.local_key(INSTANCE_DIR)

    app = Flask(__name__, instance_path=str(INSTANCE_DIR), static_folder=None)  # an API: no static route
    app.config.from_mapping(TESTING=settings.TESTING, MAX_CONTENT_LENGTH=8 * 1024 * 1024)
    app.extensions["orderdeck.config"] = settings
    app.extensions["orderdeck.secrets"] = secrets.SecretBox(key, settings.ORDERDECK_OLD_ENCRYPTION_KEY)
    role_policy()  # a malformed schemas/roles.json stops start-up here, not on the first request
    exception_templates()  # likewise schemas/templates/*.json
    builtin_profiles()  # and schemas/profiles/*.json (each validated: a second of a worker's first push)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    db.init_app(app, db.Database(settings.DATABASE_URL))
    tasks.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app
