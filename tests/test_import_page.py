"""The 数据管理 page through AppTest, on its own copy of the demo database: template and notes,
an upload checked before anything is written, all or nothing, valid rows only, the batch list,
and a broken file refused in words. Also the command line."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import subprocess
import sys

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from data_access import db, importer, ledgers, users
from data_access.models import Disbursement, Facility, ImportBatch
from data_access.scope import Scope
from tests.conftest import ROOT, token_claims
from tests.pagewalk import rendered_texts

PAGE = "data.py"
HEADERS = ["预算科目编码", "县区", "支付日期", "金额（元）", "凭证号"]


@pytest.fixture
def page_db(demo_sqlite_url, tmp_path, monkeypatch):
    """A private copy of the demo database, so imports here leave other page tests alone."""
    source = demo_sqlite_url.removeprefix("sqlite:///")
    target = tmp_path / "program.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setenv("DASHBOARD_OPEN_WRITES", "1")  # a local demo that may import
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def page(page_db):
    from streamlit.testing.v1 import AppTest

    def make():
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90).run()
        at.switch_page(str(ROOT / "pages" / PAGE)).run()
        assert not at.exception
        return at

    return make


def disbursements(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Disbursement)).scalar_one()


def ledger_file(rows: list[list]) -> bytes:
    wb = Workbook()
    wb.active.append(HEADERS)
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rows_with_one_bad(n: int = 20, bad: int = 7) -> list[list]:
    rows = [["6.1", "城关区", f"2024-06-{1 + i % 28:02d}", 1000 + i, f"P-{i}"] for i in range(n)]
    rows[bad][1] = "不存在县"
    return rows


def upload(at, name: str, content: bytes):
    at.file_uploader(key="imp_file").upload(name, content)
    return at.run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_offers_each_ledger_with_its_template_and_notes(page):
    at = page()
    assert at.title[0].value == "数据管理"
    choice = at.selectbox(key="imp_ledger")
    assert len(choice.options) == len(ledgers.LEDGERS)
    assert "联系记录" in choice.options
    choice.select("contacts").run()
    assert at.get("download_button")[0].label == "下载导入模板（Excel）"
    notes = at.dataframe[0].value
    assert list(notes["列名"]) == [c.template_header for c in ledgers.LEDGERS["contacts"].columns]
    assert "入户探视" in " ".join(notes["格式或允许值"])
    # The demo's monthly ledgers arrived as batches (the reporting calendar is made of them).
    batches = at.dataframe[-1].value
    assert len(batches) == 50 and set(batches["结果"]) == {"演示数据"}


def test_bad_row_blocks_until_valid_rows_only_is_chosen(page, page_db):
    before = disbursements(page_db)
    at = upload(page(), "支出.xlsx", ledger_file(rows_with_one_bad()))
    assert metrics(at) == {"新增": "19", "变更": "0", "不变": "0", "有错误": "1"}
    problems = at.dataframe[1].value
    errors = problems[problems["级别"] == "错误"]
    assert len(errors) == 1
    assert errors.iloc[0][["行号", "列", "值", "问题"]].tolist() == [
        9,
        "县区",
        "不存在县",
        "未知的县区",
    ]
    assert at.button(key="imp_commit").disabled
    assert any("有错误的行" in w.value for w in at.warning)
    assert disbursements(page_db) == before

    at.checkbox(key="imp_valid_only").check().run()
    assert not at.button(key="imp_commit").disabled
    at.button(key="imp_commit").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("已导入有效行")
    assert disbursements(page_db) == before + 19
    # Checked again, the same file now has nothing new to write.
    assert metrics(at) == {"新增": "0", "变更": "0", "不变": "19", "有错误": "1"}
    batches = at.dataframe[-1].value
    first = batches.iloc[0]
    assert (first["台账"], first["文件名"], first["新增"], first["有错误"]) == (
        "预算支出台账",
        "支出.xlsx",
        19,
        1,
    )
    assert (first["导入人"], first["结果"]) == ("演示模式", "只导入有效行")


def test_clean_file_is_imported_whole(page, page_db):
    before = disbursements(page_db)
    rows = [["6.1", "城关区", f"2024-07-{1 + i:02d}", 500, f"Q-{i}"] for i in range(5)]
    at = upload(page(), "七月.xlsx", ledger_file(rows))
    at.button(key="imp_commit").click().run()
    assert at.success[0].value.startswith("导入成功")
    assert disbursements(page_db) == before + 5
    with page_db.connect() as conn:
        batch = conn.execute(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.rows_added, batch.status, batch.imported_by) == (5, "committed", "演示模式")
    logged = users.audit_log(page_db, action="import").iloc[0]
    assert logged["identity"] == "演示模式" and "七月.xlsx" in logged["detail"]


def test_each_file_checked_is_audited_once(page, page_db):
    rows = [["6.1", "城关区", f"2024-08-{1 + i:02d}", 700, f"D-{i}"] for i in range(3)]
    at = upload(page(), "八月.xlsx", ledger_file(rows))
    at.checkbox(key="imp_valid_only").check().run()  # another click: the same file, one row
    logged = users.audit_log(page_db, action="dry_run")
    assert len(logged) == 1
    detail = logged.iloc[0]["detail"]
    assert logged.iloc[0]["identity"] == "演示模式"
    assert "disbursements" in detail and "八月.xlsx" in detail and "新增3" in detail


def signed_in_page(identity: str):
    """The 数据管理 page as a signed-in user (sign-in configured, the user in the users table)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.secrets["auth"] = {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "x",
        "client_id": "x",
        "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/x",
    }
    at.user = token_claims(identity)
    at.switch_page(str(ROOT / "pages" / PAGE)).run()
    assert not at.exception
    return at


def test_batches_and_their_problem_lists_stay_within_the_area(page_db):
    # The province, 天水 and 城关区 each import a file with a bad row holding a mobile number.
    importers = {
        "省级导入.xlsx": ("admin@gansu.gov.cn", Scope(), "城关区"),
        "天水导入.xlsx": ("ts@tianshui.gov.cn", Scope(prefecture="620500"), "秦州区"),
        "城关导入.xlsx": ("cg@lanzhou.gov.cn", Scope(county="620102"), "城关区"),
    }
    for n, (file_name, (identity, scope, county)) in enumerate(importers.items()):
        rows = [["6.1", county, f"2024-09-{1 + i:02d}", 300 + n, f"B-{i}"] for i in range(3)]
        rows[1][4] = f"1390931{n:04d}" + "X" * 60  # too long: the voucher cell is kept as shown
        outcome = importer.run(
            page_db,
            "disbursements",
            ledger_file(rows),
            file_name,
            dry_run=False,
            valid_only=True,
            user=identity,
            scope=scope,
            today=dt.date(2024, 12, 31),
        )
        assert outcome.written and outcome.rejected == 1, outcome.message()
    users.save_account(page_db, "cg-staff@lanzhou.gov.cn", "county_staff", "城关区", by="test")
    users.save_account(page_db, "lz-staff@lanzhou.gov.cn", "prefecture_staff", "兰州市", by="t")
    seen = {}
    for identity in ("cg-staff@lanzhou.gov.cn", "lz-staff@lanzhou.gov.cn"):
        at = signed_in_page(identity)
        listed = at.dataframe[-1].value
        seen[identity] = sorted(listed["文件名"])
        shown = "\n".join(texts for texts in rendered_texts(at._tree))
        for other in ("省级导入.xlsx", "天水导入.xlsx", "admin@gansu.gov.cn", "ts@tianshui.gov.cn"):
            assert other not in shown, (identity, other)
        assert "13909310000" not in shown and "13909310001" not in shown
        offered = at.selectbox(key="imp_batch").options
        assert len(offered) == 1
    assert seen == {
        "cg-staff@lanzhou.gov.cn": ["城关导入.xlsx"],
        "lz-staff@lanzhou.gov.cn": ["城关导入.xlsx"],
    }
    with page_db.connect() as conn:
        ids = dict(conn.execute(select(ImportBatch.file_name, ImportBatch.id)).all())
    # Asked for by number, another area's problem list is empty; the province sees them all.
    county = Scope(county="620102")
    assert importer.batch_errors(page_db, county, ids["天水导入.xlsx"]).empty
    assert importer.batch_errors(page_db, county, ids["省级导入.xlsx"]).empty
    assert len(importer.batch_errors(page_db, county, ids["城关导入.xlsx"])) == 1
    assert len(importer.batch_errors(page_db, Scope(), ids["天水导入.xlsx"])) == 1
    assert len(importer.recent_batches(page_db, Scope(prefecture="620500"))) == 1


def test_staff_cannot_move_another_prefectures_facility_into_their_own(page_db):
    with page_db.connect() as conn:
        hut = conn.execute(
            select(Facility.code, Facility.name)
            .where(Facility.county_code == "620102")
            .order_by(Facility.id)
            .limit(1)
        ).one()
    users.save_account(page_db, "ts-staff@tianshui.gov.cn", "prefecture_staff", "天水市", by="t")
    at = signed_in_page("ts-staff@tianshui.gov.cn")
    at.selectbox(key="imp_ledger").select("facilities").run()
    headers = ["设施编码", "设施类型", "设施名称", "县区", "经度", "纬度", "状态", "状态日期"]
    row = [hut.code, "爱心屋", "秦州新屋", "秦州区", "105.72", "34.58", "暂停", "2024-06-01"]
    content = ("\n".join(",".join(r) for r in (headers, row)) + "\n").encode("utf-8")
    upload(at, "设施.csv", content)
    assert not at.exception
    assert metrics(at) == {"新增": "0", "变更": "0", "不变": "0", "有错误": "1"}
    problems = at.dataframe[1].value
    assert problems.iloc[0][["行号", "问题"]].tolist() == [2, importer.OUTSIDE_RECORD]
    assert at.button(key="imp_commit").disabled
    assert hut.name not in "\n".join(rendered_texts(at._tree))


def test_broken_file_is_refused_in_words(page, page_db):
    before = disbursements(page_db)
    at = upload(page(), "支出.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert not at.exception
    assert at.error[0].value.startswith("无法导入：文件内容是PNG 图片")
    assert not at.get("button") or all(b.key != "imp_commit" for b in at.button)
    assert disbursements(page_db) == before


def test_problem_list_downloads_as_a_spreadsheet():
    outcome = importer.Outcome("disbursements", "x.xlsx", dry_run=True)
    outcome.problems = [importer.Problem(9, "县区", "=HYPERLINK(1)", "未知的县区")]
    from dashboard.import_view import problems_xlsx

    sheet = load_workbook(io.BytesIO(problems_xlsx(outcome))).worksheets[0]
    assert [c.value for c in sheet[1]] == ["行号", "列", "值", "问题", "级别"]
    assert [c.value for c in sheet[2]] == [9, "县区", "'=HYPERLINK(1)", "未知的县区", "错误"]
    assert sheet["C2"].data_type == "s"  # stays text, never a formula


def test_command_line_import(tmp_path, page_db):
    good = tmp_path / "支出.xlsx"
    good.write_bytes(ledger_file(rows_with_one_bad()))

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "dashboard", "import", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )

    before = disbursements(page_db)
    dry = cli(str(good), "--table", "disbursements", "--dry-run", "--report", "r.xlsx")
    assert dry.returncode == 1 and "第 9 行“县区”（不存在县）：未知的县区" in dry.stdout
    assert (tmp_path / "r.xlsx").is_file()
    logged = users.audit_log(page_db, action="dry_run").iloc[0]
    assert logged["identity"].startswith("命令行")
    assert "disbursements 支出.xlsx checked" in logged["detail"] and "有错误1" in logged["detail"]
    refused = cli(str(good), "--table", "预算支出台账")
    assert refused.returncode == 2 and "未导入任何数据" in refused.stderr
    assert disbursements(page_db) == before
    valid = cli(str(good), "--table", "disbursements", "--valid-only")
    assert valid.returncode == 0 and "已导入有效行" in valid.stdout
    assert disbursements(page_db) == before + 19
    bad_type = cli(str(good), "--table", "nonsense")
    assert bad_type.returncode == 2 and "未知的台账类型" in bad_type.stderr
    assert "Traceback" not in dry.stderr + refused.stderr + valid.stderr + bad_type.stderr


def test_the_file_is_checked_once_however_often_the_page_reruns(page, monkeypatch):
    calls = []
    real = importer.run

    def counted(*args, **kwargs):
        calls.append(kwargs.get("dry_run"))
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "run", counted)
    at = upload(page(), "支出.xlsx", ledger_file(rows_with_one_bad()))
    assert calls == [True]
    at.checkbox(key="imp_valid_only").check().run()
    at.selectbox(key="imp_ledger").select("disbursements").run()
    assert calls == [True]
    assert metrics(at)["新增"] == "19"


def test_replace_mode_on_the_page_lists_what_is_removed(page, page_db):
    march = [["6.1", "城关区", f"2024-03-{d:02d}", 100 * d, f"R-{d}"] for d in (1, 2, 3)]
    at = upload(page(), "三月.xlsx", ledger_file(march))
    at.button(key="imp_commit").click().run()
    assert at.success[0].value.startswith("导入成功")
    before = disbursements(page_db)
    with page_db.connect() as conn:  # the demo's own payments of 城关区 in March go too
        march_stored = conn.execute(
            select(func.count())
            .select_from(Disbursement)
            .where(
                Disbursement.county_code == "620102",
                Disbursement.paid_on.between(dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
            )
        ).scalar_one()
    gone = march_stored - 2
    at = upload(page(), "三月更正.xlsx", ledger_file(march[:2]))
    at.checkbox(key="imp_replace").check().run()
    shown = metrics(at)
    assert shown["删除"] == f"{gone:,}" and shown["不变"] == "2"
    assert any("R-3" in frame.value.to_string() for frame in at.dataframe)
    at.button(key="imp_commit").click().run()
    assert at.success[0].value.startswith("导入成功") and f"删除 {gone}" in at.success[0].value
    assert disbursements(page_db) == before - gone


def test_command_line_prints_errors_before_warnings(tmp_path, page_db):
    """One bad row among a thousand rows that each carry a warning is printed first."""
    headers = ["干部编码", "姓名", "层级", "单位", "所在县区"]
    wb = Workbook()
    wb.active.append(headers)
    for i in range(1, 1001):
        wb.active.append(
            [90000 + i, f"干部{i}", "县级", "县残联", "城关区" if i != 700 else "火星"]
        )
    path = tmp_path / "干部.xlsx"
    wb.save(path)
    out = subprocess.run(
        [sys.executable, "-m", "dashboard", "import", str(path), "--table", "cadres", "--dry-run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr
    lines = [line.strip() for line in out.stdout.splitlines() if line.startswith("  ")]
    assert lines[0] == "错误：第 701 行“所在县区”（火星）：未知的县区"
    assert lines[1].startswith("警告（共 999 条，如第 2 行）：编码是数字格式")
    assert "Traceback" not in out.stderr
