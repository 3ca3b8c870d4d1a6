"""The layers stay one-way and the imports stay free of cycles, read from the source with `ast`.

Rules live in `coordinator/services/` over `coordinator/models/`; the web,
forms, jobs and commands sit on top. So nothing under services or models may
import the web layer, the forms, the jobs or the commands, nor read the request
(`flask.request`, `flask.session`, `flask.g`, `flask_login.current_user`): a
service gets what it needs as arguments, so a job, a command or a text reply
can call it as well as a page. Function-local imports count too.

And no import cycles: among the coordinator's modules (imports run at import
time, that is outside functions and not under `if TYPE_CHECKING`), and
between its top-level packages (models, services, web, forms, jobs, ...), so
the layers form a one-way graph. The checkers are tested on planted source
first, so a checker that stopped seeing anything would fail here too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coordinator"
LOWER_LAYERS = ("coordinator/services", "coordinator/models")
UPPER_LAYERS = ("coordinator.web", "coordinator.forms", "coordinator.jobs", "coordinator.cli")  # cli, cli_demo, ...
REQUEST_STATE = {"flask": {"request", "session", "g"}, "flask.globals": {"request", "session", "g"}}
REQUEST_STATE["flask_login"] = {"current_user"}
REQUEST_STATE["flask_login.utils"] = {"current_user"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The dotted module a `from ... import` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def layer_problems(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every import in `source` (at any depth) of an upper layer or of the request's state."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(UPPER_LAYERS):
                    problems.append(f"{module}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module, is_package)
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if target.startswith(UPPER_LAYERS) or full.startswith(UPPER_LAYERS):
                    problems.append(f"{module}:{node.lineno} imports {full}")
                elif alias.name in REQUEST_STATE.get(target, ()):
                    problems.append(f"{module}:{node.lineno} imports {full} (the request's state)")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr in REQUEST_STATE.get(node.value.id, ()):
                problems.append(f"{module}:{node.lineno} reads {node.value.id}.{node.attr} (the request's state)")
    return sorted(problems, key=lambda problem: int(problem.split(":")[1].split()[0]))


def _run_at_import(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run when the module is imported: not function bodies, not `if TYPE_CHECKING:` blocks."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _run_at_import(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody"):
            yield from _run_at_import(getattr(node, field, None) or [])
        for handler in getattr(node, "handlers", None) or []:
            yield from _run_at_import(handler.body)


def import_edges(source: str, module: str, known: set[str], *, is_package: bool = False) -> set[str]:
    """The coordinator modules `module` imports at import time (`from a import b` is a.b when b is a module)."""
    edges = set()
    for node in _run_at_import(ast.parse(source).body):
        if isinstance(node, ast.Import):
            edges |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module, is_package)
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if full in known:
                    edges.add(full)
                elif target in known:
                    edges.add(target)
    edges.discard(module)
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph, as the path that closes it, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            found = visit(start)
            if found:
                return found
    return None


def module_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {
        name: import_edges(path.read_text(), name, known, is_package=path.name == "__init__.py")
        for name, path in modules.items()
    }


def top_package(module: str) -> str:
    """coordinator.services.care.tasks -> coordinator.services; coordinator.cli_demo -> coordinator.cli_demo."""
    return ".".join(module.split(".")[:2])


# The checkers, on planted source: each must see what it is for.


def test_the_layer_check_sees_every_kind_of_bad_import():
    planted = "\n".join(
        [
            "from flask import current_app, render_template",  # fine: config and templates
            "from flask import request",
            "import flask",
            "def f():",
            "    from coordinator.web.access import circle_view",
            "    from flask import session as s",
            "    return flask.g",
            "import coordinator.forms.needs",
            "from coordinator import web",
            "from flask_login import current_user",
            "from ...jobs import JOBS",
        ]
    )
    problems = layer_problems(planted, "coordinator.services.care.planted")
    assert problems == [
        "coordinator.services.care.planted:2 imports flask.request (the request's state)",
        "coordinator.services.care.planted:5 imports coordinator.web.access.circle_view",
        "coordinator.services.care.planted:6 imports flask.session (the request's state)",
        "coordinator.services.care.planted:7 reads flask.g (the request's state)",
        "coordinator.services.care.planted:8 imports coordinator.forms.needs",
        "coordinator.services.care.planted:9 imports coordinator.web",
        "coordinator.services.care.planted:10 imports flask_login.current_user (the request's state)",
        "coordinator.services.care.planted:11 imports coordinator.jobs.JOBS",
    ]


def test_the_cycle_check_sees_a_cycle_at_import_time_and_ignores_lazy_and_type_checking_imports():
    known = {"coordinator.a", "coordinator.b", "coordinator.c"}
    a = "from coordinator.b import thing\n"
    b = "from coordinator import c\n"
    c_lazy = "def f():\n    from coordinator.a import x\n"
    c_typing = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from coordinator.a import x\n"
    c_eager = "try:\n    from coordinator.a import x\nexcept ImportError:\n    x = None\n"
    graph = {name: import_edges(source, name, known) for name, source in (("coordinator.a", a), ("coordinator.b", b))}
    assert graph["coordinator.b"] == {"coordinator.c"}
    for lazy in (c_lazy, c_typing):
        assert find_cycle(graph | {"coordinator.c": import_edges(lazy, "coordinator.c", known)}) is None
    cycle = find_cycle(graph | {"coordinator.c": import_edges(c_eager, "coordinator.c", known)})
    assert cycle == ["coordinator.a", "coordinator.b", "coordinator.c", "coordinator.a"]


# The code itself.


def test_services_and_models_never_import_the_web_forms_jobs_commands_or_the_request():
    problems = []
    for name, path in all_modules().items():
        if str(path.relative_to(ROOT)).startswith(LOWER_LAYERS):
            problems += layer_problems(path.read_text(), name, is_package=path.name == "__init__.py")
    assert not problems, "Rules must not reach up to the web edge:\n" + "\n".join(problems)


def test_models_never_import_services():
    problems = [
        f"{name} imports {target}"
        for name, targets in module_graph().items()
        if name.startswith("coordinator.models")
        for target in targets
        if target.startswith("coordinator.services")
    ]
    assert not problems, "\n".join(problems)


def test_no_module_imports_itself_round_a_cycle():
    graph = module_graph()
    assert len(graph) > 100  # the walk found the code
    assert "coordinator.services.care.task_changes" in graph["coordinator.services.care.needs"]
    cycle = find_cycle(graph)
    assert cycle is None, "Import cycle: " + " -> ".join(cycle)


def test_the_top_level_packages_import_one_way():
    packages: dict[str, set[str]] = {}
    for name, targets in module_graph().items():
        packages.setdefault(top_package(name), set()).update(
            top_package(t) for t in targets if top_package(t) != top_package(name)
        )
    assert {"coordinator.services", "coordinator.forms"} <= packages["coordinator.web"]
    cycle = find_cycle(packages)
    assert cycle is None, "Packages import each other: " + " -> ".join(cycle)
