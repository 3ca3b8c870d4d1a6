"""Calendar feeds: the secret .ics address calendar apps fetch, and the page that hands it out.

The .ics address answers without a sign-in (calendar apps have no cookie); the
token in it is the only key, so the response tells caches and referrers to
keep it to themselves.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for

from coordinator.forms.accounts import ConfirmForm
from coordinator.models.circles import Circle, Membership
from coordinator.services.care.feeds import feed_ics, feed_membership, feed_reset, feed_token
from coordinator.web.access import circle_view
from coordinator.web.edge import refusals

bp = Blueprint("feeds", __name__)


@bp.get("/feeds/<token>.ics")
def ics(token: str):
    membership = feed_membership(token)
    response = Response(feed_ics(membership), mimetype="text/calendar")
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/circles/<int:circle_id>/calendar-feed")
@circle_view()
def show(*, membership: Membership, circle: Circle):
    feed_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("feeds.ics", token=feed_token(membership))
    return render_template(
        "feeds/show.html",
        circle=circle,
        membership=membership,
        feed_url=feed_url,
        webcal_url="webcal://" + feed_url.split("://", 1)[-1],
        form=ConfirmForm(),
    )


@bp.post("/circles/<int:circle_id>/calendar-feed/reset")
@circle_view()
def reset(*, membership: Membership, circle: Circle):
    if ConfirmForm().validate_on_submit():
        with refusals(flash=True) as attempt:
            feed_reset(membership)
        if attempt.ok:
            flash("Your old calendar link no longer works. Here is the new one.", "success")
    return redirect(url_for("feeds.show", circle_id=circle.id))
