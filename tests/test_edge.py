"""The web edge's one way to act (web/edge.refusals), and views that leave the database to services.

`refusals` commits what a service did, or rolls it back and shows why: by its field, as a flash,
or as the 404 page. The source walk below keeps it the only way: no view module commits, rolls
back or queries the database itself, and none reads `request.form` by hand (a form class does).
The walker is tried on planted source first, so one that stopped seeing anything would fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound as HTTPNotFound

from coordinator.errors import Conflict, Invalid, NotFound, Problems
from coordinator.extensions import db
from coordinator.forms.accounts import RegisterForm
from coordinator.models.accounts import User
from coordinator.web.edge import refusals

WEB = Path(__file__).resolve().parent.parent / "coordinator" / "web"
DATABASE_CALLS = {"commit", "rollback", "flush", "add", "delete", "scalar", "scalars", "execute", "get", "query"}
ALLOWED = {
    "edge.refusals: db.session.commit",  # the one place a request's work is committed ...
    "edge.refusals: db.session.rollback",  # ... or rolled back
    "home.healthz: db.session.execute",  # "does the database answer?" asks no domain anything
    "accounts._account_key: request.form",  # the rate limiter's key, read before any view runs
    "codes._contact_key: request.form",
}


def edge_problems(source: str, module: str) -> list[str]:
    """Each database call, SQLAlchemy import or `request.form` read in a web module, as "module.function: what"."""
    found = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = f"{module}.{child.name}" if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else where
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith("sqlalchemy"):
                names = {alias.name for alias in child.names}
                if names - {"text"}:
                    found.append(f"{where}: imports {', '.join(sorted(names))} from {child.module}")
            if isinstance(child, ast.Attribute):
                dotted = ast.unparse(child)
                if dotted.startswith("db.session.") and child.attr in DATABASE_CALLS:
                    found.append(f"{where}: {dotted}")
                elif dotted in ("request.form", "request.values"):
                    found.append(f"{where}: {dotted}")
            visit(child, inner)

    visit(ast.parse(source), module)
    return [problem for problem in found if problem not in ALLOWED]


def test_the_walker_sees_queries_commits_and_hand_read_forms():
    planted = """
from sqlalchemy import select
from sqlalchemy import text

def show(need_id):
    need = db.session.scalar(select(Need).where(Need.id == need_id))
    note = request.form.get("note")
    db.session.commit()

def healthz():
    db.session.execute(text("SELECT 1"))
"""
    assert edge_problems(planted, "home") == [
        "home: imports select from sqlalchemy",
        "home.show: db.session.scalar",
        "home.show: request.form",
        "home.show: db.session.commit",
    ]


def test_no_view_queries_commits_or_reads_the_form_by_hand():
    problems = [problem for path in sorted(WEB.glob("*.py")) for problem in edge_problems(path.read_text(), path.stem)]
    assert problems == []


def _users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def _register_form() -> RegisterForm:
    return RegisterForm(meta={"csrf": False})


def test_work_is_committed_when_the_service_agrees(app):
    with app.test_request_context(method="POST"):
        with refusals(form=_register_form()) as attempt:
            db.session.add(User(name="Sam Carter", email="sam@example.org"))
        assert attempt.ok and attempt.message == ""
    db.session.remove()  # a new session sees only what was committed
    assert _users() == 1


def test_a_refusal_is_rolled_back_and_every_problem_shown_by_its_field(app):
    with app.test_request_context(method="POST", data={"name": "", "email": "sam@"}):
        form = _register_form()
        form.validate()
        form.email.errors = ["Enter your email the way you'd type it."]  # as if the form couldn't read it
        with refusals(form=form) as attempt:
            db.session.add(User(name="Half written", email="half@example.org"))
            db.session.flush()
            raise Problems(
                [
                    Invalid("Tell us your name.", field="name"),
                    Invalid("That email doesn't look right.", field="email"),
                    Invalid("Something about the whole form."),
                ]
            )
        assert not attempt.ok and attempt.refused(Invalid) and not attempt.refused(Conflict)
        assert form.name.errors == ["Tell us your name."]
        assert form.email.errors == ["Enter your email the way you'd type it."]  # keeps its first problem only
        assert form.form_errors == ["Something about the whole form."]
        assert get_flashed_messages() == []
    assert _users() == 0


def test_a_refusal_can_be_flashed_instead(app):
    with app.test_request_context(method="POST"):
        with refusals(flash=True) as attempt:
            db.session.add(User(name="Sam Carter", email="sam@example.org"))
            raise Conflict("Someone else took it first.")
        assert attempt.message == "Someone else took it first."
        assert get_flashed_messages(with_categories=True) == [("error", "Someone else took it first.")]
    assert _users() == 0


def test_only_the_kinds_asked_for_are_flashed_when_there_is_a_form(app):
    with app.test_request_context(method="POST"):
        form = _register_form()
        with refusals(form=form, flash=Conflict):
            raise Conflict("Someone has already dealt with this request.")
        assert form.form_errors == [] and get_flashed_messages() == ["Someone has already dealt with this request."]
    with app.test_request_context(method="POST"):
        form = _register_form()
        with refusals(form=form, flash=Conflict):
            raise Invalid("Tell us your name.", field="name")
        assert form.name.errors == ["Tell us your name."] and get_flashed_messages() == []


def test_something_not_there_is_the_404_page_unless_a_field_is_named(app):
    with app.test_request_context(method="POST"):
        with pytest.raises(HTTPNotFound), refusals(flash=True):
            raise NotFound("No such task.")
        form = _register_form()
        with refusals(form=form) as attempt:
            raise NotFound("That person isn't in this circle.", field="name")
        assert attempt.refused(NotFound) and form.name.errors == ["That person isn't in this circle."]


def test_keep_commits_even_a_refused_attempt_and_commit_false_writes_nothing(app):
    with app.test_request_context(method="POST"):
        with refusals(keep=True) as attempt:
            db.session.add(User(name="Counted guess", email="guess@example.org"))
            raise Invalid("That code didn't work.", field="code")
        assert not attempt.ok
        with refusals(commit=False) as looked:
            db.session.add(User(name="Only looked", email="look@example.org"))
        assert looked.ok
    db.session.remove()
    assert db.session.scalars(select(User.email)).all() == ["guess@example.org"]


def test_anything_but_a_refusal_is_not_caught(app):
    with app.test_request_context(method="POST"), pytest.raises(KeyError), refusals(flash=True):
        raise KeyError("a bug, not a refusal")
