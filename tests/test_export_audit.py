"""Every download of program data is recorded where its file is made: a client that fetches the
file without sending the click's rerun still leaves a record, and when the record cannot be
written (a read-only database) no file is delivered and the page says why, in Chinese."""

from __future__ import annotations

import sqlite3

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from data_access import db, users
from tests.conftest import APP, ROOT, fetch
from tests.pagewalk import every_tab_text
from tests.test_import_page import ledger_file, rows_with_one_bad, upload


@pytest.fixture
def private_db(demo_sqlite_url, tmp_path, monkeypatch):
    source = demo_sqlite_url.removeprefix("sqlite:///")
    target = tmp_path / "program.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("DELETE FROM audit_log")  # only what these tests download
    monkeypatch.setenv(db.ENV_VAR, f"sqlite:///{target}")
    yield target
    # Cached results are keyed by the data version, not the database: leave none behind for
    # the next test's database (this one imported, so its version is new).
    st.cache_data.clear()


def open_page(page: str, every_tab: bool = False) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page(str(ROOT / "pages" / page)).run()
    if every_tab:
        every_tab_text(at)
    assert not at.exception
    return at


def exports(path) -> list[str]:
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        return list(users.audit_log(engine, action="export")["detail"])
    finally:
        engine.dispose()


@pytest.mark.parametrize("page", ["budget.py", "maps.py", "contacts.py", "briefing.py"])
def test_a_file_fetched_without_the_click_is_still_recorded(private_db, deferred, page):
    open_page(page, every_tab=True)
    files = dict(deferred)  # by name: the last of each file offered, as the browser has it
    assert files
    for make in files.values():
        data, error = fetch(make)
        assert error is None and data
    assert sorted(exports(private_db)) == sorted(files)
    engine = db.make_engine(f"sqlite:///{private_db}")
    assert set(users.audit_log(engine, action="export")["identity"]) == {"演示模式"}
    engine.dispose()


def test_a_read_only_database_gets_no_file_and_a_chinese_reason(private_db, deferred, monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, f"sqlite:///file:{private_db}?mode=ro&uri=true")
    at = open_page("maps.py")
    ((name, make),) = deferred
    data, error = fetch(make)
    assert data is None and error is not None
    at.download_button[0].click().run()
    assert not at.exception
    message = at.error[0].value
    assert "未能把这次下载记入审计日志" in message and "只读" in message
    assert "没有提供文件" in message
    assert exports(private_db) == []


def test_problem_lists_and_skipped_rows_are_recorded(private_db, deferred, monkeypatch):
    monkeypatch.setenv("DASHBOARD_OPEN_WRITES", "1")
    at = upload(open_page("data.py"), "支出.xlsx", ledger_file(rows_with_one_bad()))
    problems = [(n, m) for n, m in deferred if n.endswith("问题清单.xlsx")]
    assert problems
    assert fetch(problems[-1][1])[0]
    assert exports(private_db) == ["预算支出台账问题清单.xlsx"]

    at.checkbox(key="imp_valid_only").check().run()
    at.button(key="imp_commit").click().run()
    deferred.clear()
    at.run()
    skipped = [(n, m) for n, m in deferred if n.startswith("导入批次")]
    assert skipped
    assert fetch(skipped[-1][1])[0]
    assert exports(private_db)[0] == skipped[-1][0]
