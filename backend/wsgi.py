"""The WSGI entrypoint: `gunicorn backend.wsgi:app`."""

from backend import create_app
from backend.sheets import google

app = create_app()
google.warm(app.extensions["orderdeck.config"])
