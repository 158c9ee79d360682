"""The WSGI entrypoint: `gunicorn backend.wsgi:app`."""

from backend import create_app

app = create_app()
