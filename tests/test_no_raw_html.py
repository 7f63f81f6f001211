"""Data from the database is never rendered as raw HTML: no page or builder passes
unsafe_allow_html, and st.html only ever receives a constant written in the code."""

import ast

from tests.conftest import ROOT


def calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node


def test_no_raw_html_from_data():
    files = [*(ROOT / "pages").glob("*.py"), *(ROOT / "dashboard").glob("*.py")]
    problems = []
    for path in files:
        for call in calls(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.name}:{call.lineno}"
            if any(k.arg == "unsafe_allow_html" for k in call.keywords):
                problems.append(f"{where} passes unsafe_allow_html")
            if call.func.attr == "html":
                arg = call.args[0] if call.args else None
                name = arg.attr if isinstance(arg, ast.Attribute) else getattr(arg, "id", "")
                if not name.isupper():  # a module-level CONSTANT, not something computed
                    problems.append(f"{where} renders computed HTML")
    assert not problems, problems
    assert len(files) > 10
