"""The front page: an introduction for visitors, the circles list for people signed in."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from coordinator.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("circles.index"))
    return render_template("home/index.html")


@bp.get("/healthz")
def healthz():
    """For load balancers and uptime checks: the app answers and its database does too.

    The one statement a view sends itself: it asks nothing of any domain, only whether the connection works.
    """
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
