"""报送情况: the reporting calendar against a hand-made month, on SQLite and PostgreSQL.

兰州市 in March 2024, ledgers due on the 5th of the following month:
- 城关区 sends one disbursement file with February's and March's payments at 23:30 on 5 April
  (China time): March on time (the due day itself), February late by 31 days;
- 七里河区 sends March's at 00:30 on 6 April (16:30 on 5 April in UTC): late by one day;
- 西固区 declares a nil return for March's disbursements on 3 April: on time, nil;
- every other county sends nothing: missing once 5 April has passed, pending until then."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import select, update

from dashboard import reporting_view as view
from data_access import contacts, importer, reporting, users
from data_access.models import BatchCoverage, ImportBatch, NilReturn
from data_access.scope import PROVINCE, Filters, Scope
from tests.test_importer import add_budget

RULE = view.ReportingRule(ledgers=("disbursements",), due_day=5)
MARCH = dt.date(2024, 3, 1)
CHINA = dt.timezone(dt.timedelta(hours=8))
LANZHOU = Filters(2024, "M03", prefecture="620100")


def ledger_file(title: str, rows: list[list]) -> bytes:
    """A disbursement ledger as a county types it: a title row, the headers, the payments and
    a total row left empty in the amount's key columns."""
    wb = Workbook()
    ws = wb.active
    ws.title = "支出明细"
    ws.append([title])
    ws.append(["预算科目编码", "县区", "支付日期", "金额（元）", "凭证号"])
    for row in rows:
        ws.append(row)
    wb.create_sheet("填表说明").append(["金额以元为单位"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def send(engine, title, rows, at: dt.datetime, user: str) -> int:
    outcome = importer.run(
        engine,
        "disbursements",
        ledger_file(title, rows),
        f"{title}.xlsx",
        dry_run=False,
        user=user,
        today=dt.date(2024, 12, 31),
    )
    assert outcome.written, outcome.message()
    # The batch arrived at `at` (the importer stamps the time of the import).
    with engine.begin() as conn:
        conn.execute(
            update(ImportBatch)
            .where(ImportBatch.id == outcome.batch_id)
            .values(imported_at=at.astimezone(dt.UTC))
        )
    return outcome.batch_id


@pytest.fixture
def march(empty_engine):
    engine = empty_engine
    add_budget(engine, {"620102": 10**9, "620103": 10**9})
    both = send(
        engine,
        "城关区2024年2—3月预算支出台账",
        [
            ["6.1", "城关区", "2024-02-20", 1000, "V1"],
            ["6.1", "城关区", "2024-03-10", 2000, "V2"],
            ["6.1", "城关区", "2024-03-28", 3000, "V3"],
        ],
        dt.datetime(2024, 4, 5, 23, 30, tzinfo=CHINA),
        "chengguan@lz.gov.cn",
    )
    late = send(
        engine,
        "七里河区2024年3月预算支出台账",
        [["6.1", "七里河区", "2024-03-15", 500, "Q1"]],
        dt.datetime(2024, 4, 6, 0, 30, tzinfo=CHINA),
        "qilihe@lz.gov.cn",
    )
    key = reporting.declare_nil(
        engine,
        Scope(county="620104"),
        "620104",
        MARCH,
        "disbursements",
        "xigu@lz.gov.cn",
        "三月无支出",
        at=dt.datetime(2024, 4, 3, 10, 0, tzinfo=CHINA),
    )
    assert key == "rep_nil_saved"
    return engine, both, late


def calendar_on(engine, today: dt.date, filters: Filters = LANZHOU) -> pd.DataFrame:
    areas = contacts.areas(engine, PROVINCE, filters)
    got = reporting.receipts(engine, PROVINCE, filters, RULE.ledgers)
    return view.cells(RULE, areas, got, filters.year, filters.end.month, today)


def cell(cal: pd.DataFrame, county: str, month: dt.date) -> dict:
    rows = cal[(cal["county_code"] == county) & (cal["month"] == month)]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_a_batch_records_the_county_months_it_covers(march):
    engine, both, late = march
    with engine.connect() as conn:
        covered = conn.execute(
            select(BatchCoverage.batch_id, BatchCoverage.county_code, BatchCoverage.month)
            .add_columns(BatchCoverage.rows)
            .order_by(BatchCoverage.batch_id, BatchCoverage.month)
        ).all()
        batch = conn.execute(select(ImportBatch).where(ImportBatch.id == both)).one()
    assert [tuple(r) for r in covered] == [
        (both, "620102", dt.date(2024, 2, 1), 1),
        (both, "620102", MARCH, 2),
        (late, "620103", MARCH, 1),
    ]
    assert batch.imported_by == "chengguan@lz.gov.cn"
    assert batch.file_name == "城关区2024年2—3月预算支出台账.xlsx"


def test_the_hand_made_month(march):
    engine, both, late = march
    cal = calendar_on(engine, dt.date(2024, 4, 10))
    chengguan = cell(cal, "620102", MARCH)
    assert (chengguan["status"], chengguan["received_on"], chengguan["ref"]) == (
        "on_time",
        dt.date(2024, 4, 5),
        both,
    )
    assert chengguan["sender"] == "chengguan@lz.gov.cn"
    february = cell(cal, "620102", dt.date(2024, 2, 1))
    assert (february["status"], february["late_days"]) == ("late", 31)
    qilihe = cell(cal, "620103", MARCH)
    assert (qilihe["status"], qilihe["late_days"], qilihe["ref"]) == ("late", 1, late)
    xigu = cell(cal, "620104", MARCH)
    assert (xigu["status"], xigu["nil"], xigu["sender"]) == ("on_time", True, "xigu@lz.gov.cn")
    assert cell(cal, "620105", MARCH)["status"] == "missing"  # 安宁区 sent nothing
    assert view.status_text("late", 1, False, "zh") == "迟报 1 天"

    # On the due day itself nothing is missing yet: the silent counties are pending.
    on_due_day = calendar_on(engine, dt.date(2024, 4, 5))
    assert cell(on_due_day, "620105", MARCH)["status"] == "pending"
    assert cell(on_due_day, "620103", MARCH)["status"] == "pending"  # arrives tomorrow


def test_rates_and_completeness_of_the_month(march):
    engine, *_ = march
    cal = calendar_on(engine, dt.date(2024, 4, 10), Filters(2024, "M03", prefecture="620100"))
    march_only = cal[cal["month"] == MARCH]
    lanzhou = view.rates(march_only, "prefecture", by_month=False).iloc[0]
    # 8 counties due; 城关区, 七里河区 and 西固区 reported; 城关区 and 西固区 on time.
    assert (lanzhou["due_cells"], lanzhou["received"], lanzhou["on_time"]) == (8, 3, 2)
    assert lanzhou["reporting_rate"] == pytest.approx(3 / 8)
    assert lanzhou["on_time_rate"] == pytest.approx(2 / 8)
    counties = view.rates(march_only, "county", by_month=False).set_index("code")
    assert counties.loc["620103", "on_time_rate"] == 0
    assert counties.loc["620103", "reporting_rate"] == 1
    assert view.completeness(march_only, "county") == (3, 8)
    assert view.completeness_text(march_only, "county", "zh") == "数据完整度 3/8 县区"
    missing = view.still_missing(cal, MARCH)
    assert set(missing["county_name"]) == {"红古区", "安宁区", "永登县", "皋兰县", "榆中县"}


def test_scope_of_receipts_and_nil_returns(march):
    engine, *_ = march
    own = reporting.receipts(engine, Scope(county="620103"), LANZHOU, RULE.ledgers)
    assert set(own["county_code"]) == {"620103"}
    # A county's staff cannot declare for a neighbour; a second declaration is refused.
    assert (
        reporting.declare_nil(engine, Scope(county="620103"), "620105", MARCH, "disbursements", "x")
        == "rep_nil_out_of_scope"
    )
    assert (
        reporting.declare_nil(engine, PROVINCE, "620104", MARCH, "disbursements", "y")
        == "rep_nil_exists"
    )
    assert reporting.declare_nil(engine, PROVINCE, "620104", MARCH, "cadres", "y") == (
        "rep_nil_bad_ledger"
    )
    with engine.connect() as conn:
        assert conn.execute(select(NilReturn.declared_by)).scalars().all() == ["xigu@lz.gov.cn"]
    log = users.audit_log(engine, action="nil_return")
    assert list(log["identity"]) == ["xigu@lz.gov.cn"]
    assert list(log["detail"]) == ["620104 2024-03 disbursements"]


def test_settings_with_defaults_and_problems():
    assert view.ReportingRule().due(dt.date(2024, 12, 1)) == dt.date(2025, 1, 5)
    assert view.ReportingRule(due_day=31).due(dt.date(2024, 1, 1)) == dt.date(2024, 2, 29)
    rule, problems = view.reporting_rule_from(
        {
            "due_day": "10",
            "ledgers": ["contacts"],
            "county_ledgers": {"620201": ["contacts", "disbursements"]},
        }
    )
    assert (rule.due_day, rule.ledgers) == (10, ("contacts",))
    assert rule.owed("620201") == ("contacts", "disbursements")
    assert rule.owed("620102") == ("contacts",)
    assert rule.all_ledgers == ("disbursements", "contacts")
    assert problems == []
    rule, problems = view.reporting_rule_from({"due_day": "0", "ledgers": ["cadres"], "x": 1})
    assert rule == view.ReportingRule()
    assert len(problems) == 3 and "cadres" in problems[1]
