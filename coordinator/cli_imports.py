"""`flask --app wsgi invite-import`: the contact import for lists too long for a phone's browser.

The same rules as the web import (services/people/imports.py). Without --yes it
only shows the preview and writes nothing. With --yes it sends, committing
every 200 invitations, so a crash loses at most one chunk; running it again
reuses the invitations already made and texts nobody twice.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from coordinator.errors import DomainError
from coordinator.extensions import db
from coordinator.models.accounts import User
from coordinator.models.circles import MANAGING_ROLES
from coordinator.services.people.circles import circle_access
from coordinator.services.people.imports import MAX_BYTES, import_confirm, import_counts, import_stage

CHUNK = 200
LABELS = {"invite": "will invite", "member": "already members", "duplicate": "duplicates", "rejected": "not sent"}


@click.command("invite-import")
@click.option("--circle", "circle_id", type=int, required=True, help="The circle's id.")
@click.option("--inviter", required=True, help="Email of the coordinator (or patient) the invitations come from.")
@click.option("--message", default="", help="Your message (default: the standard invitation).")
@click.option("--yes", is_flag=True, help="Send the invitations. Without it, only show what would happen.")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def invite_import_command(circle_id: int, inviter: str, message: str, yes: bool, path: Path) -> None:
    """Invite everyone in a CSV or vCard FILE to a circle, after showing what will happen."""
    user = db.session.scalar(select(User).where(User.email == inviter.strip().lower()))
    try:
        circle = circle_access(circle_id=circle_id, user=user, roles=MANAGING_ROLES).circle
    except DomainError:
        raise click.ClickException(f"{inviter} is not a coordinator of circle {circle_id}.") from None
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    try:
        batch = import_stage(circle=circle, creator=user, filename=path.name, data=data, message=message)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    counts = _report(batch.rows)
    if not yes:
        db.session.rollback()
        click.echo("Nothing was sent. Run again with --yes to send these invitations.")
        return
    db.session.commit()
    saved = 0
    with click.progressbar(length=counts["invite"], label="Inviting") as bar:

        def step(done: int) -> None:
            nonlocal saved
            bar.update(1)
            if done % CHUNK == 0:
                db.session.commit()
                saved = done

        try:
            result = import_confirm(batch=batch, inviter=user, progress=step)
            db.session.commit()
        except Exception:
            db.session.rollback()
            click.echo(
                f"\nStopped after {saved} invitations were saved. Run the same command again to finish: "
                "people already invited keep their invitation and are not texted twice.",
                err=True,
            )
            raise
    click.echo(f"Sent {result['sent']} invitations ({result['reused']} reused, {result['member']} already members).")


def _report(rows: list[dict]) -> dict[str, int]:
    counts = import_counts(rows)
    click.echo(", ".join(f"{counts[status]} {label}" for status, label in LABELS.items()))
    for row in rows:
        if row["status"] == "note":
            click.echo(f"Line {row['line']}: {row['reason']}")
        elif row["status"] in ("rejected", "duplicate"):
            who = row["name"] or row["phone"] or row["email"] or "(blank)"
            click.echo(f"  line {row['line']:>5}  {who}: {row['reason']}")
    return counts
