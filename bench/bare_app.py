"""The floor for the page benchmarks: a bare Flask app rendering a template of about the same size.

Same server, same Flask and Jinja, but no database, session, sign-in or
security headers. A real page's throughput divided by this endpoint's says how
much of the time goes to the app's own work rather than to serving HTML.

    gunicorn 'bench.bare_app:create_app(target_bytes=90000)'
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template


def create_app(target_bytes: int = 50_000) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "templates"))
    rows = _rows(_row_count(app, target_bytes))

    @app.get("/")
    def page():
        return render_template("bare.html", rows=rows)

    return app


def _rows(count: int) -> list[dict]:
    return [
        {"id": 100_000 + n, "title": f"Ride to chemotherapy {n % 10}", "when": "9:00am–11:00am", "people": "Ana Adler"}
        for n in range(count)
    ]


def _row_count(app: Flask, target_bytes: int) -> int:
    """How many rows make the page about `target_bytes` long (measured by rendering one and two)."""
    with app.test_request_context():
        one, two = (len(render_template("bare.html", rows=_rows(n)).encode()) for n in (1, 2))
    per_row = two - one
    return max(1, round((target_bytes - (one - per_row)) / per_row))
