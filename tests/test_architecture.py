"""The import graph keeps each concern in its place (issue 17): the web app never imports the
workers (they import it), and the domain imports no Flask, SQLAlchemy or Redis. Read from the
source with ast, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def offenders(folder: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        hits = sorted(m for m in imports_of(path) if m.split(".")[0] in forbidden)
        if hits:
            bad[str(path.relative_to(ROOT))] = hits
    return bad


def test_the_web_app_never_imports_the_workers():
    assert offenders("webapp", ("workers",)) == {}


@pytest.mark.parametrize("library", ["flask", "flask_sqlalchemy", "sqlalchemy", "redis", "rq", "flask_login"])
def test_the_domain_is_plain_python(library):
    assert offenders("webapp/domain", (library,)) == {}


def test_the_check_sees_a_lazy_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from workers import sending\n    import redis.client\n")
    assert imports_of(module) == {"workers", "redis.client"}


def test_services_take_the_request_and_settings_as_arguments():
    """A service reads no request and no app config: the caller passes what it needs (the shared
    sender, the receipt window) and the request's address rides on the session it is given. The
    one Flask import left renders the PDF templates."""
    assert offenders("webapp/services", ("flask", "flask_login")) == {"webapp/services/pdf.py": ["flask"]}
