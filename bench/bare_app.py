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
    """`/` renders about `target_bytes`; `/bytes/<n>` about n bytes (one bare page per page size in the table)."""
    app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "templates"))
    sized: dict[int, list[dict]] = {}

    def rows_for(n: int) -> list[dict]:
        if n not in sized:
            sized[n] = _rows(_row_count(app, n))
        return sized[n]

    @app.get("/")
    def page():
        return render_template("bare.html", rows=rows_for(target_bytes))

    @app.get("/bytes/<int:n>")
    def page_of(n: int):
        return render_template("bare.html", rows=rows_for(min(n, 2_000_000)))

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
