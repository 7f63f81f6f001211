"""Configuration, the command line, and what a person sees when the database is down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from streamlit.testing.v1 import AppTest

from data_access import db
from tests.conftest import APP

DOWN_URL = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"  # port 1: nothing listens


def test_url_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    assert db.database_url(tmp_path) == f"sqlite:///{tmp_path / 'var' / 'program.db'}"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[connections.program]\nurl = "postgresql+psycopg://u:secret@db/x"\n', encoding="utf-8"
    )
    assert db.database_url(tmp_path) == "postgresql+psycopg://u:secret@db/x"
    monkeypatch.setenv(db.ENV_VAR, "sqlite:////tmp/other.db")
    assert db.database_url(tmp_path) == "sqlite:////tmp/other.db"
    assert "secret" not in db.describe("postgresql+psycopg://u:secret@db/x")


def run_cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_unreachable_database_on_the_command_line(tmp_path):
    result = run_cli("migrate", cwd=tmp_path, env={db.ENV_VAR: DOWN_URL})
    assert result.returncode == 2
    assert "无法连接数据库" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unreachable_database_on_the_page(monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, DOWN_URL)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "无法连接数据库" in at.error[0].value


def test_empty_database_says_what_to_do(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    db.migrate(db.make_engine(url))
    monkeypatch.setenv(db.ENV_VAR, url)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "python -m dashboard demo" in at.warning[0].value


def test_migrate_and_demo_commands(tmp_path):
    assert run_cli("migrate", cwd=tmp_path).returncode == 0
    assert (tmp_path / "var" / "program.db").exists()
    result = run_cli("demo", "--scale", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "contacts" in result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_fills_the_embedded_database_and_answers_health(tmp_path):
    """`python -m dashboard` on a fresh directory: demo data on first start, then serving."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != db.ENV_VAR}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the dashboard did not answer /_stcore/health in time")
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}" in output
    assert (tmp_path / "var" / "program.db").exists()


def test_console_script_is_the_same_entry_point(tmp_path):
    """`jiedui-dashboard` and `python -m dashboard` run the same main()."""
    script = Path(sys.executable).with_name("jiedui-dashboard")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == run_cli("--help", cwd=tmp_path).stdout
