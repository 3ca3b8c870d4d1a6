"""The front page: an introduction for visitors, the circles list for people signed in."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from coordinator.extensions import db
from coordinator.services.operations.readiness import readiness_check

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("circles.index"))
    return render_template("home/index.html")


@bp.get("/healthz")
def healthz():
    """For uptime checks: the process is alive and its database answers (/readyz says whether to send traffic).

    The one statement a view sends itself: it asks nothing of any domain, only whether the connection works.
    """
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """For load balancers: send traffic here only when the database answers, its schema is at the migrations'
    head and a scheduler leader beat within READY_HEARTBEAT_SECONDS. A 503 names the checks that failed."""
    readiness = readiness_check()
    checks = {name: "ok" if getattr(readiness, name) else "failed" for name in ("database", "migrations", "scheduler")}
    if readiness.ready:
        return {"status": "ready", "checks": checks}
    return {"status": "not ready", "failed": readiness.failed, "checks": checks}, 503
