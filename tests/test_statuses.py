"""Statuses are enums (StrEnum) stored as the very strings the database always held.

So no data moves: the database's CHECK constraints still name the same words,
a row written with `TaskStatus.OPEN` holds 'open', and templates may keep
comparing strings. Code compares and writes statuses through the enums only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import render_template_string

from config import BASE_DIR
from coordinator.extensions import db
from coordinator.models.circles import MembershipStatus
from coordinator.models.claims import ClaimStatus
from coordinator.models.drafts import DraftStatus
from coordinator.models.invitations import InvitationStatus, JoinRequestStatus, ReopeningStatus
from coordinator.models.messages import MessageStatus
from coordinator.models.needs import Task, TaskStatus
from tests.factories import first_task, make_circle, make_need, make_user

ENUMS = {
    "tasks": TaskStatus,
    "claims": ClaimStatus,
    "messages": MessageStatus,
    "memberships": MembershipStatus,
    "invitations": InvitationStatus,
    "join_requests": JoinRequestStatus,
    "reopenings": ReopeningStatus,
    "need_drafts": DraftStatus,
}


@pytest.mark.parametrize("table", sorted(ENUMS))
def test_each_status_enum_has_exactly_the_words_the_migrated_database_allows(app, table):
    checks = sa.inspect(db.engine).get_check_constraints(table)
    status_check = next(c["sqltext"] for c in checks if c["name"] == f"ck_{table}_known_status")
    assert set(re.findall(r"'(\w+)'", status_check)) == {state.value for state in ENUMS[table]}


def test_a_status_written_as_an_enum_is_stored_as_its_old_string(app):
    coordinator = make_user(name="Daniel Lopez")
    task = first_task(make_need(make_circle(coordinator=coordinator), coordinator, title="Ride to the clinic"))
    task.status = TaskStatus.CANCELLED
    db.session.commit()
    stored = db.session.execute(sa.text("SELECT status FROM tasks WHERE id = :id"), {"id": task.id}).scalar_one()
    assert type(stored) is str and stored == "cancelled"
    db.session.expire_all()
    reloaded = db.session.get(Task, task.id)
    assert reloaded.status == TaskStatus.CANCELLED and reloaded.cancelled
    assert db.session.scalar(sa.select(sa.func.count()).where(Task.status == "cancelled")) == 1


def test_templates_may_keep_comparing_strings(app):
    page = "{{ s }}{% if s == 'open' %} is open{% endif %}"
    assert render_template_string(page, s=TaskStatus.OPEN) == "open is open"


STATUS_WORDS = {state.value for enum in ENUMS.values() for state in enum}


def _words(node: ast.AST | None) -> list[str]:
    """The status words a literal (or a tuple, or an `a if c else b`, of literals) spells."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STATUS_WORDS:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [word for element in node.elts for word in _words(element)]
    if isinstance(node, ast.IfExp):
        return _words(node.body) + _words(node.orelse)
    return []


def _is_status(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "status") or (
        isinstance(node, ast.Name) and node.id in ("status", "state")
    )


def bare_statuses(tree: ast.AST):
    """Lines that compare or write a status as a bare string instead of through its enum."""
    for node in ast.walk(tree):
        found = []
        if isinstance(node, ast.Compare) and any(map(_is_status, [node.left, *node.comparators])):
            found = [word for side in [node.left, *node.comparators] for word in _words(side)]
        elif isinstance(node, ast.Call):
            found = [word for keyword in node.keywords if keyword.arg == "status" for word in _words(keyword.value)]
            method = node.func
            if isinstance(method, ast.Attribute) and method.attr in ("in_", "not_in") and _is_status(method.value):
                found += [word for arg in node.args for word in _words(arg)]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = (
                    zip(target.elts, node.value.elts)
                    if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                    else [(target, node.value)]
                )
                found += [word for aim, value in pairs if _is_status(aim) for word in _words(value)]
        elif isinstance(node, ast.Dict):
            found = [
                word
                for key, value in zip(node.keys, node.values, strict=True)
                if isinstance(key, ast.Constant) and key.value == "status"
                for word in _words(value)
            ]
        if found:
            yield node.lineno, found


def test_code_compares_and_writes_statuses_through_the_enums():
    offenders = []
    for path in Path(BASE_DIR, "coordinator").rglob("*.py"):
        if "models" not in path.parts:
            offenders += [
                f"{path.relative_to(BASE_DIR)}:{line} {words}"
                for line, words in bare_statuses(ast.parse(path.read_text()))
            ]
    assert offenders == []


def test_the_bare_status_finder_finds_each_way_of_writing_one():
    planted = (
        'a = select(Task).where(Task.status == "open")\n'
        'b = update(Message).values(status="sent")\n'
        'task.status = "cancelled"\n'
        'invitation.status, invitation.revoked_at = "revoked", now()\n'
        'c = Membership.status.in_(("active", "archived"))\n'
        'd = {"status": "pending", "body": body}\n'
        'e = join.status != ("approved" if approve else "declined")\n'
        'if state == "delivered": pass\n'
        'fine = Task.status == TaskStatus.OPEN and outcome == "sent" and {"sent": 0}\n'
    )
    assert [line for line, _ in sorted(bare_statuses(ast.parse(planted)))] == [1, 2, 3, 4, 5, 6, 7, 8]
