"""What a person sees when the database fails: lost in the middle of a run, down before the
first page, read-only, or its file removed. One sentence in Chinese, never a traceback, never
the database's address to a visitor."""

from __future__ import annotations

import os
import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from data_access import db, importer
from tests.conftest import APP, drop_if_postgres, fresh_postgres
from tests.test_cli_and_config import DOWN_URL, run_cli
from tests.test_import_page import ledger_file, rows_with_one_bad

ROWS = ledger_file([r for i, r in enumerate(rows_with_one_bad()) if i != 7])


def all_text(at: AppTest) -> str:
    kinds = ("title", "markdown", "caption", "info", "warning", "error", "success")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def private_copy(source_url: str, tmp_path) -> str:
    target = tmp_path / "program.db"
    with (
        sqlite3.connect(source_url.removeprefix("sqlite:///")) as src,
        sqlite3.connect(target) as dst,
    ):
        src.backup(dst)
    return f"sqlite:///{target}"


def test_postgresql_lost_mid_run_is_said_in_chinese(reference_template, monkeypatch):
    template = db.make_engine(reference_template("postgresql")).url.database
    url = fresh_postgres(f"dash_lost_{os.getpid()}", template=template)
    monkeypatch.setenv(db.ENV_VAR, url)
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception and at.sidebar.selectbox  # running
    drop_if_postgres(url)  # the server loses the database under the running app
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("**数据库不可用**：")
    assert "连接" in at.error[0].value


def test_the_down_page_shows_no_address_to_visitors(monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, DOWN_URL)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = all_text(at)
    assert "无法连接数据库" in text
    for part in ("127.0.0.1", "nobody", "nothing", "postgresql", ":1"):
        assert part not in text


@pytest.mark.parametrize(
    "args",
    [
        ("users", "list"),
        ("users", "add", "a@b.cn", "--role", "admin"),
        ("users", "disable", "a@b.cn"),
    ],
)
def test_user_commands_on_a_down_database_say_one_sentence(tmp_path, args):
    result = run_cli(*args, cwd=tmp_path, env={db.ENV_VAR: DOWN_URL})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：无法连接数据库")


def test_a_removed_sqlite_file_is_noticed_not_recreated(demo_sqlite_url, tmp_path, monkeypatch):
    url = private_copy(demo_sqlite_url, tmp_path)
    path = tmp_path / "program.db"
    engine = db.make_engine(url)
    db.check(engine)  # the engine has a pooled connection to the file
    monkeypatch.setenv(db.ENV_VAR, url)
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert at.sidebar.selectbox
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"program.db{suffix}").unlink(missing_ok=True)

    outcome = importer.run(engine, "disbursements", ROWS, "支出.xlsx", dry_run=False)
    assert not outcome.written
    assert "不存在或已被移走" in outcome.message()
    at.run()
    assert not at.exception and "不存在" in at.error[0].value
    result = run_cli("users", "list", cwd=tmp_path, env={db.ENV_VAR: url})
    assert result.returncode != 0 and "不存在" in result.stderr
    assert not path.exists()  # nothing re-created an empty database in its place
    engine.dispose()


def test_a_read_only_database_says_read_only(demo_sqlite_url, tmp_path):
    private_copy(demo_sqlite_url, tmp_path)
    engine = db.make_engine(f"sqlite:///file:{tmp_path / 'program.db'}?mode=ro&uri=true")
    outcome = importer.run(engine, "disbursements", ROWS, "支出.xlsx", dry_run=False)
    assert not outcome.written
    assert "只读" in outcome.message() and "正忙" not in outcome.message()
    engine.dispose()
