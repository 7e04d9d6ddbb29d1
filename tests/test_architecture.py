"""The layout holds: no import circles among the modules of feedback/ (function-local imports included), no view
module imports another feature's views, and scans are written by the scan service alone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "feedback"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """The module of feedback/ that an imported name lives in (the longest known prefix)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """Every module of feedback/ that `module` imports anywhere in its code, inside functions too."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _target(name)
            if target is not None and target != module:
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    result.append(sorted(component))
    return result


GRAPH = {module: imports_of(module) for module in MODULES}


def test_the_checker_sees_function_local_imports_and_finds_circles() -> None:
    assert "feedback.webhooks.delivery" in GRAPH["feedback.qr.services"]  # imported inside a function
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_among_the_modules_of_feedback() -> None:
    assert _cycles(GRAPH) == []


def test_no_view_module_imports_another_features_views() -> None:
    leaning = sorted(
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if module.endswith(".views") and target.endswith(".views") and target != module
    )
    assert leaning == []


def test_everything_a_phone_opens_lives_in_the_respondent_package(app) -> None:  # noqa: ANN001
    public = {"/t/<raw>", "/T/<raw>", "/t", "/T", "/i/<raw>", "/I/<raw>", "/t/<raw>/answer", "/t/<raw>/thanks",
              "/t/<raw>/invite", "/t/<raw>/contact", "/t/<raw>/event.ics", "/t/<raw>/coupon", "/t/<raw>/go/<action>",
              "/T/<raw>/go/<action>"}  # fmt: skip
    endpoints = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if rule.rule in public}
    assert set(endpoints) == public
    assert {endpoint.partition(".")[0] for endpoint in endpoints.values()} == {"respondent"}


def test_scans_are_written_by_the_scan_service_alone() -> None:
    """Only feedback/qr/services.py inserts scans (demo.py seeds history in bulk and is no request path)."""
    writers = set()
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if "insert(Scan)" in text or "Scan.__table__" in text:
            writers.add(module)
    assert writers == {"feedback.qr.services", "feedback.demo"}


def test_no_test_module_imports_from_another_test_module() -> None:
    """Shared steps live in helper modules (tests/phone.py, tests/helpers.py, conftest fixtures), not in tests."""
    tests = PACKAGE.parent / "tests"
    borrowed = []
    for path in tests.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.rpartition(".")[2].startswith("test_"):
                borrowed.append(f"{path.relative_to(tests)}: {node.module}")
    assert borrowed == []


def test_statistics_rules_are_written_once() -> None:
    """The NPS cut-offs live in feedback/surveys/questions.py (NPS_GROUPS) and the level of significance in
    feedback/analysis/stats.py (ALPHA); no other module and no template writes them again."""
    cut_offs = re.compile(r"(>=|>)\s*(9|8)\b|(<=|<)\s*(6|7)\b(?!\d)")
    significance = re.compile(r"\bp\w*\s*<=?\s*0?\.(05|01|1)\b")  # a significance level, not a display rule
    written = []
    for module, path in MODULES.items():
        code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if "nps" in line.lower())
        if module != "feedback.surveys.questions" and cut_offs.search(code):
            written.append(module)
        if module != "feedback.analysis.stats" and significance.search(path.read_text(encoding="utf-8")):
            written.append(module)
    templates = PACKAGE.parent / "templates"
    for path in templates.rglob("*.html"):
        if re.search(r"\.p(_adjusted)?\s*[<>]|0\.05", path.read_text(encoding="utf-8")):
            written.append(str(path.relative_to(templates)))
    assert written == []


def test_views_and_api_modules_scope_queries_through_the_tenancy_helper() -> None:
    """A page or an API endpoint never writes its own workspace filter: queries go through services or
    feedback.tenancy.owned()/get_owned(), which a query cannot forget."""
    endpoints = {
        module
        for module in MODULES
        if module.endswith((".views", ".builder", ".admin"))
        or (module.startswith("feedback.api.") and module.rpartition(".")[2] not in ("services", "models", "cli"))
    }
    assert "feedback.api.campaigns" in endpoints and "feedback.respondent.views" in endpoints
    by_hand = sorted(m for m in endpoints if re.search(r"workspace_id\s*==", MODULES[m].read_text(encoding="utf-8")))
    assert by_hand == []


def test_process_caches_hang_off_the_app(app, tmp_path) -> None:  # noqa: ANN001
    """Each app (each gunicorn worker builds one) has caches, writers and counters of its own, made by create_app."""
    from feedback import create_app
    from feedback.groupcommit import WRITERS
    from feedback.qr.fastpath import CHANGES
    from feedback.qr.services import LOST_SCANS
    from feedback.respondent.quick import SETUPS
    from feedback.webhooks.services import SCAN_SUBSCRIBERS
    from tests.conftest import environ_for

    other = create_app({"ENVIRON": environ_for(f"sqlite:///{tmp_path / 'other.sqlite3'}")})
    for key in (SETUPS, SCAN_SUBSCRIBERS, "feedback.events", WRITERS, CHANGES, LOST_SCANS):
        assert key in app.extensions and key in other.extensions
        assert app.extensions[key] is not other.extensions[key]


def test_views_and_api_modules_save_through_one_helper() -> None:
    """Pages and endpoints commit with feedback.extensions.commit(), which turns a colliding write into 409."""
    endpoints = [
        m
        for m in MODULES
        if m.endswith((".views", ".builder", ".admin"))
        or (m.startswith("feedback.api.") and m.rpartition(".")[2] not in ("services", "models", "cli"))
    ]
    by_hand = sorted(m for m in endpoints if "db.session.commit()" in MODULES[m].read_text(encoding="utf-8"))
    assert by_hand == []
