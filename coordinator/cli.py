"""Flask commands: registers each command group; every command lives in a cli_* module beside this one."""

from __future__ import annotations

from flask import Flask

from coordinator.cli_backup import backup_command, restore_command
from coordinator.cli_demo import seed_demo_command
from coordinator.cli_export import export_circle_command
from coordinator.cli_imports import invite_import_command
from coordinator.cli_scheduler import scheduler_group, sms_group


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(invite_import_command)
    app.cli.add_command(scheduler_group)
    app.cli.add_command(sms_group)
    app.cli.add_command(export_circle_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
