"""The circle's security record, for the patient and coordinators: who changed roles, left, was removed,
deleted their account, downloaded the circle's records or closed it. Supporters get the stranger's 404."""

from __future__ import annotations

from flask import Blueprint, render_template

from coordinator.models.circles import Circle, Membership
from coordinator.services.people.security_record import circle_security_record
from coordinator.web.access import managing_view
from coordinator.web.query_args import row_id_arg

bp = Blueprint("security_record", __name__, url_prefix="/circles/<int:circle_id>")


@bp.get("/security")
@managing_view()
def index(*, membership: Membership, circle: Circle):
    before = row_id_arg("before")  # the next page starts below this event
    record = circle_security_record(circle=circle, before=before)
    return render_template("security_record/index.html", circle=circle, record=record, paged=before is not None)
