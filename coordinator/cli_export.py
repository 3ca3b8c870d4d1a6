"""`flask --app wsgi export-circle CIRCLE_ID --output FILE.zip`: a circle's records, for the host.

The same ZIP its patient and coordinators download (services/privacy/circle_export.py),
seen as a coordinator sees it. It is written beside FILE under a temporary name and
renamed when complete, so FILE is never half a ZIP; an existing FILE is kept
unless --force says to replace it. Progress goes to stderr, a line per batch.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from coordinator.errors import NotFound
from coordinator.extensions import db
from coordinator.services.privacy.circle_export import circle_export, circle_to_export


@click.command("export-circle")
@click.argument("circle_id", type=int)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the ZIP (FILE.zip).",
)
@click.option("--force", is_flag=True, help="Replace FILE if it already exists. Without it an existing FILE is kept.")
@with_appcontext
def export_circle_command(circle_id: int, output: Path, force: bool) -> None:
    """Write every record of circle CIRCLE_ID (needs, tasks, claims, members, messages, activity) to a ZIP.

    Members' numbers and emails are included as the circle's coordinators see them; passwords, tokens and
    sessions never are. Progress ("tasks.csv: 1000/5000") goes to stderr. The export is recorded in the
    circle's activity record, with no one as its actor.
    """
    _refuse_existing(output, force)
    try:
        circle = circle_to_export(circle_id=circle_id)
    except NotFound as error:
        raise click.ClickException(error.message) from None
    handle, partial = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            circle_export(circle=circle, exporter=None, out=out, progress=_progress)
        _refuse_existing(output, force)
        os.replace(partial, output)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        Path(partial).unlink(missing_ok=True)
        raise
    click.echo(f"Wrote {output} ({output.stat().st_size:,} bytes).")


def _refuse_existing(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise click.ClickException(f"{output} already exists. Choose another name, or add --force to replace it.")


def _progress(name: str, done: int, total: int) -> None:
    click.echo(f"{name}: {done}/{total}", err=True)
