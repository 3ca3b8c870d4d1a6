"""The WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from coordinator import create_app

app = create_app()
