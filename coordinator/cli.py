"""Flask commands: `flask --app wsgi seed-demo` and friends."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from coordinator.cli_imports import invite_import_command
from coordinator.cli_scheduler import scheduler_group, sms_group
from coordinator.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(invite_import_command)
    app.cli.add_command(scheduler_group)
    app.cli.add_command(sms_group)


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even in production.")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Create the demo circle the first time; always print its sign-ins."""
    from coordinator.services.demo import DEMO_PASSWORD, demo_seed

    if current_app.config.get("APP_ENV") == "production" and not force:
        raise click.ClickException("Refusing to seed demo people into a production database (use --force).")
    created, logins = demo_seed()
    db.session.commit()
    click.echo("Seeded the demo circle." if created else "The demo circle is already there.")
    click.echo(f"Demo sign-ins (password for each: {DEMO_PASSWORD}):")
    for role, email in logins:
        click.echo(f"  {role:<12} {email}")
