"""The web edge: blueprints that parse input (a form class), call one service, commit or refuse, and render.

The commit, and turning a refusal into a message, happen in one place: `web/edge.refusals`.
"""

from flask import Flask

from coordinator.web.accounts import bp as accounts_bp
from coordinator.web.circles import bp as circles_bp
from coordinator.web.claims import bp as claims_bp
from coordinator.web.codes import bp as codes_bp
from coordinator.web.drafts import bp as drafts_bp
from coordinator.web.exports import bp as exports_bp
from coordinator.web.feeds import bp as feeds_bp
from coordinator.web.health import bp as health_bp
from coordinator.web.home import bp as home_bp
from coordinator.web.imports import bp as imports_bp
from coordinator.web.invitations import bp as invitations_bp
from coordinator.web.leaving import bp as leaving_bp
from coordinator.web.members import bp as members_bp
from coordinator.web.metrics import bp as metrics_bp
from coordinator.web.needs import bp as needs_bp
from coordinator.web.outreach import bp as outreach_bp
from coordinator.web.plans import bp as plans_bp
from coordinator.web.reopen import bp as reopen_bp
from coordinator.web.security_record import bp as security_record_bp
from coordinator.web.sms import bp as sms_bp
from coordinator.web.tasks import bp as tasks_bp
from coordinator.web.updates import bp as updates_bp


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(home_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(codes_bp)
    app.register_blueprint(circles_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(needs_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(tasks_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(claims_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(leaving_bp)
    app.register_blueprint(reopen_bp)
    app.register_blueprint(security_record_bp)
    app.register_blueprint(drafts_bp)
    app.register_blueprint(updates_bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(outreach_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(metrics_bp)
