"""Every CSV and XLSX the pages offer, opened as Excel would open it, after names that look like
formulas were imported: no cell runs as a formula, and each such name is there as its text."""

from __future__ import annotations

import csv
import io
import re
import sqlite3

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from data_access import db, importer
from data_access.models import BudgetLine, Cadre, Facility, Recipient
from data_access.scope import PROVINCE
from tests.conftest import APP, ROOT
from tests.pagewalk import every_tab_text

# Names as an attacker would type them into a ledger (OWASP's list of formula starts).
HOSTILE = ['=HYPERLINK("http://x.invalid","点此")', "@SUM(1)", "+1", "-1+1", "\t=1+1", "\r=2+3"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEGATIVE_NUMBER = re.compile(r"-\d[\d,]*(\.\d+)?%?")
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


def dangerous(value) -> bool:
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not NEGATIVE_NUMBER.fullmatch(value)
    )


def cells(name: str, data: bytes) -> list:
    """Every cell value of a CSV or XLSX download as a spreadsheet reads it."""
    if data[:2] == b"PK":
        book = load_workbook(io.BytesIO(data))  # formulas stay formulas (data_type "f")
        out = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, sheet.title, cell.coordinate, cell.value)
                    out.append(cell.value)
        return out
    text = data.decode("utf-8-sig")
    return [value for row in csv.reader(io.StringIO(text, newline="")) for value in row]


DISBURSEMENT_HEADERS = ["预算科目编码", "县区", "支付日期", "金额（元）", "凭证号"]


def ledger_file(rows: list[list]) -> bytes:
    """A disbursement ledger saved as CSV (an XLSX would hold these cells as formulas, which
    the importer refuses outright)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DISBURSEMENT_HEADERS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def hostile_url(demo_sqlite_url, tmp_path_factory):
    """A copy of the demo database whose facilities, cadres, paired people and a budget line
    carry names that start like formulas, and an import batch whose skipped rows do too."""
    source = demo_sqlite_url.removeprefix("sqlite:///")
    target = tmp_path_factory.mktemp("hostile") / "program.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    engine = db.make_engine(url)
    with engine.begin() as conn:
        for model in (Facility, Cadre, Recipient):
            ids = conn.execute(select(model.id).order_by(model.id)).scalars().all()
            for i, id_ in enumerate(ids):
                name = HOSTILE[i % len(HOSTILE)] + f"名{i}"
                conn.execute(update(model).where(model.id == id_).values(name=name))
        conn.execute(update(Facility).values(operator=HOSTILE[0]))
        first = conn.execute(select(BudgetLine.id).order_by(BudgetLine.id)).scalars().first()
        conn.execute(update(BudgetLine).where(BudgetLine.id == first).values(name_zh=HOSTILE[1]))
    rows = [["6.1", "城关区", "2024-05-06", 10, v + "x" * 60] for v in HOSTILE]
    rows.append(["6.1", "城关区", "2024-05-07", 10, "ok"])
    outcome = importer.run(
        engine,
        "disbursements",
        ledger_file(rows),
        HOSTILE[0] + ".csv",
        dry_run=False,
        valid_only=True,
        scope=PROVINCE,
    )
    assert outcome.written and outcome.rejected == len(HOSTILE), outcome.message()
    engine.dispose()
    return url


def test_no_download_runs_a_formula(hostile_url, monkeypatch, downloads):
    monkeypatch.setenv(db.ENV_VAR, hostile_url)
    monkeypatch.setenv("DASHBOARD_OPEN_WRITES", "1")  # the data page offers its uploader
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=120)
        at.switch_page(str(ROOT / "pages" / page)).run()
        every_tab_text(at)
        if page == "data.py":  # a file whose problems repeat the hostile cells
            rows = [["6.1", "城关区", "2024-05-08", 10, v + "y" * 60] for v in HOSTILE]
            at.file_uploader(key="imp_file").upload(
                "问题.csv",
                ledger_file(rows),
            )
            at.run()
        assert not at.exception, (page, at.exception)
    files = {name: data for name, data in downloads if name and name.endswith((".csv", ".xlsx"))}
    kinds = {name.rsplit(".", 1)[1] for name in files}
    assert kinds == {"csv", "xlsx"}, sorted(files)
    everything = []
    for name, data in files.items():
        values = cells(name, data)
        assert not [v for v in values if dangerous(v)], (name, [v for v in values if dangerous(v)])
        everything += [v for v in values if isinstance(v, str)]
    # Each hostile name reached the downloads, shown as its text behind an apostrophe.
    for value in HOSTILE:
        assert any(v.startswith("'" + value) for v in everything), value
    for expected in ("设施", "问题清单", "导入批次"):
        assert any(expected in name for name in files), (expected, sorted(files))
