"""Ledger import on SQLite and PostgreSQL: templates, encodings, date/money/area forms, all or
nothing, idempotence, validation messages, and refusals of hostile files."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, insert, select, text

from dashboard import import_view
from data_access import idnumbers, importer, ledgers
from data_access.models import (
    BudgetAllocation,
    BudgetLine,
    Cadre,
    Contact,
    Disbursement,
    Facility,
    FacilityStatusChange,
    ImportBatch,
    ImportError_,
    Indicator,
    IndicatorValue,
    Pairing,
    Recipient,
)
from data_access.reference import BUDGET_LINES
from data_access.scope import Scope

TODAY = dt.date(2024, 12, 31)
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Tables an import may write, for comparing whole databases.
TABLES = [
    "disbursements",
    "facilities",
    "facility_status_changes",
    "cadres",
    "recipients",
    "pairings",
    "contacts",
    "indicator_values",
    "import_batches",
    "import_errors",
    "meta",
]
# Prerequisites of each ledger, imported from their templates first.
NEEDS = {"pairings": ["cadres", "recipients"], "contacts": ["cadres", "recipients", "pairings"]}


# --- helpers ----------------------------------------------------------------------------------


def demo_keyed(number: bytes) -> str:
    """What open demo mode stores for an ID number: HMAC-SHA256 with the published demo key over
    the number's SHA-256."""
    inner = hashlib.sha256(number).hexdigest().encode()
    return hmac.new(idnumbers.DEMO_KEY.encode(), inner, hashlib.sha256).hexdigest()


def run(engine, ledger, data, name="ledger.xlsx", **kwargs):
    kwargs.setdefault("dry_run", False)
    kwargs.setdefault("today", TODAY)
    return importer.run(engine, ledger, data, name, **kwargs)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def snapshot(engine) -> dict[str, list]:
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table}")).all()
            out[table] = sorted(tuple(map(str, r)) for r in rows)
    return out


def add_budget(engine, plans: dict[str, int] | None = None) -> None:
    """The 2024 budget lines, and county plans for line 6.1 (fen)."""
    with engine.begin() as conn:
        conn.execute(
            insert(BudgetLine),
            [
                {
                    "year": 2024,
                    "code": line.code,
                    "measure_id": line.measure_id,
                    "name_zh": line.name_zh,
                    "name_en": line.name_en,
                    "planned_fen": line.planned_fen,
                }
                for line in BUDGET_LINES
            ],
        )
        line_id = conn.execute(select(BudgetLine.id).where(BudgetLine.code == "6.1")).scalar_one()
        plans = plans if plans is not None else {"620102": 100_000_000}
        if plans:
            conn.execute(
                insert(BudgetAllocation),
                [
                    {"line_id": line_id, "county_code": c, "planned_fen": f}
                    for c, f in plans.items()
                ],
            )


def prepare(engine, ledger: str) -> None:
    if ledger == "disbursements":
        add_budget(engine)
    for name in NEEDS.get(ledger, []):
        outcome = run(engine, name, filled(name), f"{name}.xlsx")
        assert outcome.written, outcome.message()


def xlsx(headers: list, rows: list[list], merge: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(headers: list, rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def unmarked(value):
    """A value of the template's example row as a clerk retypes it for a real record."""
    if isinstance(value, str):
        return value.removeprefix(ledgers.EXAMPLE_MARK + "-")
    return value


def filled(ledger: str) -> bytes:
    """The template with its example row typed over as a real record (the marked codes
    retyped without their 示例 prefix), saved in Excel."""
    wb = load_workbook(io.BytesIO(ledgers.template(ledger)))
    for cell in wb.worksheets[0][2]:
        cell.value = unmarked(cell.value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def example_row(ledger: ledgers.Ledger) -> tuple[list[str], list[str]]:
    """The template's headers and its example row retyped as a real record, as text (what a
    CSV export holds)."""
    headers = [c.template_header for c in ledger.template_columns]
    values = []
    for c in ledger.template_columns:
        v = unmarked(c.example)
        values.append("" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v))
    return headers, values


DISB_HEADERS = ["预算科目编码", "县区", "支付日期", "金额（元）", "凭证号"]


def disbursement_rows(n: int) -> list[list]:
    """n distinct disbursements of line 6.1 in 城关区, 2024."""
    start = dt.date(2024, 1, 1)
    return [
        ["6.1", "城关区", (start + dt.timedelta(days=i % 300)).isoformat(), 100 + i, f"V{i:04d}"]
        for i in range(n)
    ]


def stored_example(engine, ledger: str):
    """The row of the template's example, as stored."""
    model = {
        "disbursements": Disbursement,
        "facilities": Facility,
        "cadres": Cadre,
        "recipients": Recipient,
        "pairings": Pairing,
        "contacts": Contact,
        "indicator_values": IndicatorValue,
    }[ledger]
    with engine.connect() as conn:
        return conn.execute(select(model)).mappings().all()


def check_example(engine, ledger: str, rows) -> None:
    """The template's example row, found with every value it gave."""
    assert len(rows) == 1, rows
    row = rows[0]
    if ledger == "disbursements":
        assert (row["county_code"], row["paid_on"], row["amount_fen"]) == (
            "620102",
            dt.date(2024, 3, 5),
            1_250_000,
        )
        assert row["voucher"] == "2024-03-0015"
    elif ledger == "facilities":
        assert (row["code"], row["kind"], row["status"]) == (
            "AXW-620102-01",
            "love_hut",
            "operating",
        )
        assert Decimal(str(row["lon"])) == Decimal("103.83417")
        assert row["status_since"] == dt.date(2024, 5, 20) and row["disabled_jobs"] == 2
        assert count(engine, FacilityStatusChange) == 1
    elif ledger == "cadres":
        assert (row["code"], row["level"], row["county_code"], row["phone_last4"]) == (
            "GS-C-0001",
            "county",
            "620102",
            "1234",
        )
        assert row["active"] is True
    elif ledger == "recipients":
        assert (row["code"], row["category"], row["grade"], row["id_last4"]) == (
            "GS-R-0001",
            "肢体",
            1,
            "0025",
        )
        assert row["id_hash"] == demo_keyed(b"620102198001010025")
    elif ledger == "pairings":
        assert row["started_on"] == dt.date(2024, 1, 1) and row["ended_on"] is None
    elif ledger == "contacts":
        assert (row["contacted_on"], row["channel"], row["county_code"]) == (
            dt.date(2024, 3, 5),
            "visit",
            "620102",
        )
    elif ledger == "indicator_values":
        assert (row["county_code"], row["month"], Decimal(str(row["value"]))) == (
            "620102",
            dt.date(2024, 3, 1),
            Decimal("12"),
        )


# --- templates, encodings, forms --------------------------------------------------------------


@pytest.mark.parametrize("ledger", list(ledgers.LEDGERS))
def test_template_has_headers_example_and_notes(ledger):
    wb = load_workbook(io.BytesIO(ledgers.template(ledger)))
    data, notes = wb.worksheets[0], wb["填写说明"]
    headers = [c.value for c in data[1]]
    assert headers == [c.template_header for c in ledgers.LEDGERS[ledger].template_columns]
    assert any(c.value is not None for c in data[2]) and data.max_row == 2
    explained = {row[0] for row in notes.iter_rows(min_row=6, values_only=True)}
    assert set(headers) <= explained
    assert "县区代码" in wb.sheetnames


@pytest.mark.parametrize("ledger", list(ledgers.LEDGERS))
def test_each_template_imports(empty_engine, ledger):
    prepare(empty_engine, ledger)
    data = filled(ledger)
    outcome = run(empty_engine, ledger, data)
    assert outcome.status == "committed", outcome.message()
    assert outcome.added == 1 and not outcome.errors
    check_example(empty_engine, ledger, stored_example(empty_engine, ledger))
    with empty_engine.connect() as conn:
        batch = conn.execute(select(ImportBatch).where(ImportBatch.ledger == ledger)).one()
    assert batch.rows_added == 1 and batch.imported_by == "演示模式"
    assert batch.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
@pytest.mark.parametrize("ledger", list(ledgers.LEDGERS))
def test_each_template_as_csv_in_each_encoding(empty_engine, ledger, encoding):
    prepare(empty_engine, ledger)
    headers, values = example_row(ledgers.LEDGERS[ledger])
    outcome = run(empty_engine, ledger, csv_bytes(headers, [values], encoding), "台账.csv")
    assert outcome.status == "committed", outcome.message()
    expected = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 BOM", "gbk": "GBK", "gb18030": "GBK"}
    assert outcome.file_format == f"CSV（{expected[encoding]}）"
    check_example(empty_engine, ledger, stored_example(empty_engine, ledger))


def test_gb18030_beyond_gbk(empty_engine):
    headers, values = example_row(ledgers.LEDGERS["cadres"])
    values[1] = "王㛃"  # U+36C3 is in GB18030 but not in GBK
    outcome = run(empty_engine, "cadres", csv_bytes(headers, [values], "gb18030"), "干部.csv")
    assert outcome.written and outcome.file_format == "CSV（GB18030）"
    with empty_engine.connect() as conn:
        assert conn.execute(select(Cadre.name)).scalar_one() == "王㛃"


MARCH_5 = dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    "cell",
    [
        "2024-03-05",
        "2024/3/5",
        "2024年3月5日",
        " 2024-03-05 ",
        "２０２４－０３－０５",  # full-width digits and dash
        (MARCH_5 - EXCEL_EPOCH).days,  # an Excel serial number
        str((MARCH_5 - EXCEL_EPOCH).days),
        dt.datetime(2024, 3, 5),  # a date-formatted cell
    ],
)
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_date_forms(empty_engine, cell, kind):
    add_budget(empty_engine)
    row = ["6.1", "城关区", cell, "100", ""]
    data = xlsx(DISB_HEADERS, [row]) if kind == "xlsx" else csv_bytes(DISB_HEADERS, [row])
    outcome = run(empty_engine, "disbursements", data, f"d.{kind}")
    assert outcome.written, outcome.problems
    with empty_engine.connect() as conn:
        assert conn.execute(select(Disbursement.paid_on)).scalar_one() == MARCH_5


@pytest.mark.parametrize(
    ("header", "cell"),
    [
        ("金额（元）", 12500),
        ("金额（元）", "12,500.00"),
        ("金额（元）", "１２５００"),
        ("金额（元）", " 12500 "),
        ("金额(元)", 12500.0),
        ("金额（万元）", 1.25),
        ("金额（万元）", "1.25"),
        ("金额（万元）", "１.２５"),
        ("支付金额（万元）", Decimal("1.250000")),
    ],
)
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_money_forms_store_exact_fen(empty_engine, header, cell, kind):
    add_budget(empty_engine)
    headers = ["预算科目编码", "县区", "支付日期", header]
    row = ["6.1", "620102", "2024-03-05", cell]
    data = xlsx(headers, [row]) if kind == "xlsx" else csv_bytes(headers, [row])
    outcome = run(empty_engine, "disbursements", data, f"d.{kind}")
    assert outcome.written, outcome.problems
    with empty_engine.connect() as conn:
        assert conn.execute(select(Disbursement.amount_fen)).scalar_one() == 1_250_000


def test_wan_yuan_keeps_every_fen(empty_engine):
    add_budget(empty_engine)
    headers = ["预算科目编码", "县区", "支付日期", "金额（万元）"]
    rows = [["6.1", "城关区", "2024-03-05", "0.000001"], ["6.1", "城关区", "2024-03-06", "5512.8"]]
    outcome = run(empty_engine, "disbursements", csv_bytes(headers, rows), "d.csv")
    assert outcome.written
    with empty_engine.connect() as conn:
        amounts = conn.execute(
            select(Disbursement.amount_fen).order_by(Disbursement.paid_on)
        ).scalars()
        assert list(amounts) == [1, 5_512_800_000]  # 5512.8 万元


@pytest.mark.parametrize(
    "cell",
    ["城关区", "城关", "620102", 620102, "兰州市城关区", "兰州 城关区", " 城关区 ", "６２０１０２"],
)
def test_area_forms(empty_engine, cell):
    add_budget(empty_engine)
    outcome = run(
        empty_engine, "disbursements", xlsx(DISB_HEADERS, [["6.1", cell, "2024-03-05", 100, ""]])
    )
    assert outcome.written, outcome.problems
    with empty_engine.connect() as conn:
        assert conn.execute(select(Disbursement.county_code)).scalar_one() == "620102"


def test_headers_below_a_title_row(empty_engine):
    add_budget(empty_engine)
    data = xlsx(
        ["2024年城关区预算支出台账"], [DISB_HEADERS, ["6.1", "城关区", "2024-03-05", 100, ""]]
    )
    outcome = run(empty_engine, "disbursements", data)
    assert outcome.written and outcome.actions[0].row == 3


# --- all or nothing ---------------------------------------------------------------------------


def test_one_bad_row_among_a_thousand_writes_nothing(empty_engine):
    add_budget(empty_engine)
    rows = disbursement_rows(1000)
    rows[499][3] = "-5"  # spreadsheet row 501: the header is row 1
    data = xlsx(DISB_HEADERS, rows)
    before = snapshot(empty_engine)
    outcome = run(empty_engine, "disbursements", data)
    assert outcome.status == "rejected" and not outcome.written
    assert snapshot(empty_engine) == before
    assert [(p.row, p.column, p.value) for p in outcome.errors] == [(501, "金额（元）", "-5")]
    assert "负" in outcome.errors[0].reason
    assert outcome.rows_total == 1000 and outcome.added == 999 and outcome.rejected == 1

    valid = run(empty_engine, "disbursements", data, valid_only=True)
    assert valid.status == "partial"
    assert count(empty_engine, Disbursement) == 999
    with empty_engine.connect() as conn:
        batch = conn.execute(select(ImportBatch)).one()
        errors = conn.execute(select(ImportError_.row_number, ImportError_.column_name)).all()
    assert (batch.rows_added, batch.rows_rejected, batch.status) == (999, 1, "partial")
    assert (501, "金额（元）") in errors


def test_dry_run_writes_nothing_and_says_what_would_happen(empty_engine):
    add_budget(empty_engine)
    rows = disbursement_rows(5)
    for row in rows:
        row[4] = ""  # no voucher numbers yet
    run(empty_engine, "disbursements", xlsx(DISB_HEADERS, rows[:3]))
    rows[0][4] = "NEW-VOUCHER"  # the voucher number of a stored payment, filled in later
    rows[4][1] = "不存在县"
    before = snapshot(empty_engine)
    outcome = run(empty_engine, "disbursements", xlsx(DISB_HEADERS, rows), dry_run=True)
    assert snapshot(empty_engine) == before
    assert (outcome.added, outcome.changed, outcome.unchanged, outcome.rejected) == (1, 1, 2, 1)
    actions = {a.row: (a.action, a.detail) for a in outcome.actions}
    assert actions[2] == ("changed", "凭证号") and actions[6][0] == "rejected"


def test_same_file_twice_leaves_the_same_database(empty_engine):
    prepare(empty_engine, "contacts")
    add_budget(empty_engine)
    files = {
        "disbursements": xlsx(DISB_HEADERS, disbursement_rows(50)),
        "facilities": filled("facilities"),
        "contacts": filled("contacts"),
        "indicator_values": filled("indicator_values"),
        "recipients": filled("recipients"),
    }
    for name, data in files.items():
        run(empty_engine, name, data)
    once = snapshot(empty_engine)
    for name, data in files.items():
        again = run(empty_engine, name, data)
        assert again.status == "unchanged" and again.unchanged == again.rows_total
    assert snapshot(empty_engine) == once


def test_changed_facility_status_is_updated_and_appended(empty_engine):
    run(empty_engine, "facilities", filled("facilities"))
    headers, values = example_row(ledgers.LEDGERS["facilities"])
    values[headers.index("状态")] = "暂停"
    values[headers.index("状态日期")] = "2024-09-01"
    outcome = run(empty_engine, "facilities", csv_bytes(headers, [values]), "f.csv")
    assert (outcome.changed, outcome.added) == (1, 0)
    assert "状态" in outcome.actions[0].detail
    with empty_engine.connect() as conn:
        assert conn.execute(select(Facility.status)).scalar_one() == "suspended"
        history = conn.execute(
            select(FacilityStatusChange.status).order_by(FacilityStatusChange.changed_on)
        ).scalars()
        assert list(history) == ["operating", "suspended"]


def test_absent_optional_column_keeps_stored_values(empty_engine):
    run(empty_engine, "cadres", filled("cadres"))
    data = csv_bytes(
        ["干部编码", "姓名", "层级", "单位", "所在县区"],
        [["GS-C-0001", "王建国", "县级", "城关区残疾人联合会", "城关区"]],
    )
    assert run(empty_engine, "cadres", data, "c.csv").status == "unchanged"
    with empty_engine.connect() as conn:
        assert conn.execute(select(Cadre.phone_last4)).scalar_one() == "1234"


# --- validation -------------------------------------------------------------------------------


def reasons(outcome) -> dict[tuple[int, str], str]:
    return {(p.row, p.column): p.reason for p in outcome.errors}


def test_references_are_checked(empty_engine):
    prepare(empty_engine, "contacts")
    add_budget(empty_engine)
    bad = run(
        empty_engine,
        "disbursements",
        xlsx(
            DISB_HEADERS,
            [
                ["9.9", "城关区", "2024-03-05", 1, ""],
                ["6.1", "火星县", "2024-03-05", 1, ""],
                ["6.1", "兰州市", "2024-03-05", 1, ""],
                ["6.1", "城关区", "2023-03-05", 1, ""],
            ],
        ),
    )
    got = reasons(bad)
    assert got[(2, "预算科目编码")] == "2024年没有这个预算科目"
    assert got[(3, "县区")] == "未知的县区"
    assert got[(4, "县区")] == "这是市州，请填写县区"
    assert got[(5, "预算科目编码")] == "2023年没有这个预算科目"
    contacts = run(
        empty_engine,
        "contacts",
        csv_bytes(
            ["干部编码", "对象编码", "联系日期", "联系方式"],
            [
                ["NOBODY", "GS-R-0001", "2024-03-05", "电话"],
                ["GS-C-0001", "NOONE", "2024-03-05", "电话"],
                ["GS-C-0001", "GS-R-0001", "2024-03-05", "飞鸽传书"],
            ],
        ),
        "c.csv",
    )
    got = reasons(contacts)
    assert got[(2, "干部编码")].startswith("未知的干部编码")
    assert got[(3, "对象编码")].startswith("未知的对象编码")
    assert got[(4, "联系方式")].startswith(
        "不是允许的值（可填：电话、微信、短信、其他远程、入户探视"
    )


def test_contact_dates_inside_the_year_and_not_in_the_future(empty_engine):
    prepare(empty_engine, "contacts")
    headers = ["干部编码", "对象编码", "联系日期", "联系方式"]
    rows = [
        ["GS-C-0001", "GS-R-0001", "2024-12-31", "电话"],
        ["GS-C-0001", "GS-R-0001", "2025-01-02", "电话"],
        ["GS-C-0001", "GS-R-0001", "2024-12-31", "电话"],
    ]
    outcome = run(empty_engine, "contacts", csv_bytes(headers, rows), "c.csv", year=2024)
    got = reasons(outcome)
    assert got[(3, "联系日期")] == "联系日期不在所选年度（2024年）内"
    assert got[(4, "干部编码")].startswith("与第 2 行重复")
    no_year = run(empty_engine, "contacts", csv_bytes(headers, rows[1:2]), "c.csv")
    assert reasons(no_year)[(2, "联系日期")].startswith("联系日期晚于今天")


def test_disbursed_above_plan_warns_but_imports(empty_engine):
    add_budget(empty_engine, {"620102": 10_000})  # a plan of 100 元
    rows = [["6.1", "城关区", "2024-03-05", 60, ""], ["6.1", "城关区", "2024-03-06", 60, ""]]
    outcome = run(empty_engine, "disbursements", xlsx(DISB_HEADERS, rows))
    assert outcome.written and not outcome.errors
    [warning] = outcome.warnings
    assert (warning.row, warning.column) == (3, "金额（元）")
    assert "超过计划 100.00 元" in warning.reason


def test_wrong_values_are_named_per_cell(empty_engine):
    data = xlsx(
        [c.template_header for c in ledgers.LEDGERS["facilities"].columns],
        [
            ["F1", "爱心屋", "名称", "城关区", "", "36.05", "103.83", "运营", "2024-13-01"],
            [
                "F2",
                "小卖部",
                "名称",
                "城关区",
                "",
                103.83417,
                36.05704,
                "运营",
                "2024-05-01",
                "",
                -1,
            ],
        ],
    )
    got = reasons(run(empty_engine, "facilities", data))
    assert got[(2, "经度")] == "经度和纬度似乎填反了"
    assert got[(2, "状态日期")].startswith("不是有效的日期")
    assert got[(3, "设施类型")].startswith("不是允许的值")
    assert got[(3, "安置就业人数")] == "不能为负数"
    assert count(empty_engine, Facility) == 0


def test_identity_numbers_are_never_stored_in_full(empty_engine):
    headers = ["对象编码", "姓名", "身份证号", "县区", "残疾类别", "残疾等级"]
    rows = [
        ["R1", "甲", "620102198001010025", "城关区", "肢体", "一级"],
        ["R2", "乙", "620102198001010026", "城关区", "肢体", "2"],  # wrong check digit
        ["R3", "丙", "620102198001010025", "城关区", "肢体", "二级"],  # same person twice
    ]
    outcome = run(empty_engine, "recipients", csv_bytes(headers, rows), "r.csv", valid_only=True)
    got = reasons(outcome)
    assert got[(3, "身份证号")] == "身份证号校验位不正确，请核对"
    assert got[(4, "身份证号")] == "与第 2 行的身份证号相同"
    assert all("620102198001010026" not in (p.value or "") for p in outcome.problems)
    assert outcome.written
    dump = str(snapshot(empty_engine))
    assert "620102198001010025" not in dump and "620102198001010026" not in dump
    assert hashlib.sha256(b"620102198001010025").hexdigest() not in dump
    assert demo_keyed(b"620102198001010025") in dump
    report = load_workbook(io.BytesIO(import_view.problems_xlsx(outcome)))
    cells = [str(c) for row in report.worksheets[0].iter_rows(values_only=True) for c in row]
    assert not any("198001010026" in c for c in cells)


def test_viewer_scope_limits_the_rows(empty_engine):
    add_budget(empty_engine, {})
    rows = [["6.1", "城关区", "2024-03-05", 1, ""], ["6.1", "秦州区", "2024-03-05", 1, ""]]
    outcome = run(
        empty_engine, "disbursements", xlsx(DISB_HEADERS, rows), scope=Scope(county="620102")
    )
    assert reasons(outcome) == {(3, "县区"): "超出您的管辖范围，不能导入其他地区的数据"}


# Two prefectures' records, imported by the province: 兰州 (城关区) and 天水 (秦州区, 麦积区).
FACILITY_HEADERS = ["设施编码", "设施类型", "设施名称", "县区", "经度", "纬度", "状态", "状态日期"]
CADRE_HEADERS = ["干部编码", "姓名", "层级", "单位", "所在县区"]
RECIPIENT_HEADERS = ["对象编码", "姓名", "身份证号", "县区", "残疾类别", "残疾等级"]
PAIRING_HEADERS = ["干部编码", "对象编码", "结对日期"]
CONTACT_HEADERS = ["干部编码", "对象编码", "联系日期", "联系方式"]
TIANSHUI = Scope(prefecture="620500")
MAIJI = Scope(county="620503")
# What the 兰州 records hold, which nothing shown to 天水 may repeat.
LANZHOU_SECRETS = ["东岗爱心屋", "兰秀英", "省干部甲", "兰州干部", "肢体", "城关"]


def id_number(first17: str) -> str:
    """An identity number with its check digit, as a person's card has it."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return (
        first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    )


LANZHOU_ID = id_number("62010219700101002")


def two_prefectures(engine) -> None:
    files = {
        "facilities": (
            FACILITY_HEADERS,
            [
                [
                    "AXW-620102-01",
                    "爱心屋",
                    "东岗爱心屋",
                    "城关区",
                    103.834,
                    36.057,
                    "运营",
                    "2024-05-20",
                ]
            ],
        ),
        "cadres": (
            CADRE_HEADERS,
            [
                ["GS-P-01", "省干部甲", "省级", "甘肃省残疾人联合会", "城关区"],
                ["LZ-C-01", "兰州干部", "县级", "城关区残疾人联合会", "城关区"],
                ["TS-C-01", "天水干部", "市级", "天水市残疾人联合会", "秦州区"],
            ],
        ),
        "recipients": (
            RECIPIENT_HEADERS,
            [
                ["LZ-R-01", "兰秀英", LANZHOU_ID, "城关区", "肢体", "一级"],
                ["TS-R-01", "天秀兰", id_number("62050219700101002"), "秦州区", "视力", "二级"],
                ["TS-R-02", "麦小花", id_number("62050319700101002"), "麦积区", "听力", "二级"],
            ],
        ),
        "pairings": (
            PAIRING_HEADERS,
            [["LZ-C-01", "LZ-R-01", "2024-01-01"], ["TS-C-01", "TS-R-02", "2024-01-01"]],
        ),
    }
    for name, (headers, rows) in files.items():
        outcome = run(engine, name, csv_bytes(headers, rows), f"{name}.csv")
        assert outcome.written, outcome.message()


def shown(outcome) -> str:
    """Everything the page and the problem list would show of an outcome."""
    texts = [outcome.message()]
    texts += [f"{p.column} {p.value} {p.reason}" for p in outcome.problems]
    texts += [f"{a.action} {a.key} {a.detail}" for a in outcome.actions]
    return "\n".join(texts)


def test_rows_reaching_into_another_prefecture_are_refused(empty_engine):
    two_prefectures(empty_engine)
    before = snapshot(empty_engine)
    moved_hut = csv_bytes(
        FACILITY_HEADERS,
        [["AXW-620102-01", "爱心屋", "秦州新屋", "秦州区", 105.72, 34.58, "暂停", "2024-06-01"]],
    )
    moved_people = {
        "recipients": csv_bytes(
            RECIPIENT_HEADERS, [["LZ-R-01", "天秀梅", "", "秦州区", "视力", "二级"]]
        ),
        "cadres": csv_bytes(CADRE_HEADERS, [["GS-P-01", "天水甲", "市级", "天水市残联", "秦州区"]]),
    }
    for name, data in {"facilities": moved_hut, **moved_people}.items():
        checked = run(empty_engine, name, data, "x.csv", scope=TIANSHUI, dry_run=True)
        written = run(empty_engine, name, data, "x.csv", scope=TIANSHUI)
        for outcome in (checked, written):
            assert (outcome.added, outcome.changed, outcome.rejected) == (0, 0, 1), name
            code_header = ledgers.LEDGERS[name].columns[0].header
            assert reasons(outcome) == {(2, code_header): importer.OUTSIDE_RECORD}
            assert outcome.actions[0].detail == ""
            assert not [s for s in LANZHOU_SECRETS if s in shown(outcome)], shown(outcome)
        assert written.status == "rejected"
    assert snapshot(empty_engine) == before


def test_pairings_with_records_of_another_prefecture_read_like_unknown_codes(empty_engine):
    two_prefectures(empty_engine)
    before = snapshot(empty_engine)
    rows = [
        ["LZ-C-01", "TS-R-01", "2024-02-01"],  # a 兰州 cadre with a 天水 recipient
        ["NOBODY", "TS-R-01", "2024-02-01"],
        ["TS-C-01", "LZ-R-01", "2024-02-01"],  # a 天水 cadre with a 兰州 recipient
        ["TS-C-01", "NOONE", "2024-02-01"],
    ]
    for dry_run in (True, False):
        outcome = run(
            empty_engine,
            "pairings",
            csv_bytes(PAIRING_HEADERS, rows),
            "p.csv",
            scope=TIANSHUI,
            dry_run=dry_run,
            valid_only=True,
        )
        got = reasons(outcome)
        assert got[(2, "干部编码")] == got[(3, "干部编码")]
        assert got[(2, "干部编码")].startswith("未知的干部编码")
        assert got[(4, "对象编码")] == got[(5, "对象编码")]
        assert got[(4, "对象编码")].startswith("未知的对象编码")
        assert outcome.rejected == 4 and not outcome.written
        assert not [s for s in LANZHOU_SECRETS if s in shown(outcome)], shown(outcome)
    assert snapshot(empty_engine) == before


def test_county_staff_record_contacts_of_a_prefecture_cadre_paired_in_their_county(empty_engine):
    two_prefectures(empty_engine)
    rows = [
        ["TS-C-01", "TS-R-02", "2024-03-05", "电话"],
        ["TS-C-01", "TS-R-01", "2024-03-05", "电话"],
    ]
    outcome = run(
        empty_engine,
        "contacts",
        csv_bytes(CONTACT_HEADERS, rows),
        "c.csv",
        scope=MAIJI,
        valid_only=True,
    )
    assert outcome.written and outcome.added == 1
    got = reasons(outcome)
    assert {row for row, _column in got} == {3}
    assert got[(3, "对象编码")].startswith("未知的对象编码")
    with empty_engine.connect() as conn:
        assert conn.execute(select(Contact.county_code)).scalars().all() == ["620503"]


def test_an_identity_number_registered_elsewhere_is_not_named(empty_engine):
    two_prefectures(empty_engine)
    rows = [["TS-R-09", "天新", LANZHOU_ID, "秦州区", "视力", "二级"]]
    outcome = run(
        empty_engine, "recipients", csv_bytes(RECIPIENT_HEADERS, rows), "r.csv", scope=TIANSHUI
    )
    assert reasons(outcome) == {(2, "身份证号"): importer.OUTSIDE_ID_NUMBER}
    assert not [s for s in [*LANZHOU_SECRETS, "LZ-R-01"] if s in shown(outcome)], shown(outcome)
    # Inside the scope the other record is named, so staff can find it.
    rows = [["TS-R-09", "天新", id_number("62050219700101002"), "秦州区", "视力", "二级"]]
    outcome = run(
        empty_engine, "recipients", csv_bytes(RECIPIENT_HEADERS, rows), "r.csv", scope=TIANSHUI
    )
    assert reasons(outcome) == {(2, "身份证号"): "此身份证号已登记在对象“TS-R-01”名下"}


def test_indicators_computed_elsewhere_are_refused(empty_engine):
    headers = ["指标编码", "县区", "月份", "完成值"]
    rows = [
        ["m6_love_huts", "城关区", "2024-03", 1],
        ["m4_rehab_rate", "城关区", "2024年3月", "101"],
        ["0-17岁残疾儿童康复服务", "城关区", "2024/3", 5],
    ]
    outcome = run(empty_engine, "indicator_values", xlsx(headers, rows), valid_only=True)
    got = reasons(outcome)
    assert got[(2, "指标编码")].startswith("此指标由设施台账或联系记录自动计算")
    assert got[(3, "完成值")].startswith("比率类指标")
    with empty_engine.connect() as conn:
        stored = conn.execute(select(Indicator.code, IndicatorValue.month).join(Indicator)).all()
    assert stored == [("m4_child_rehab", dt.date(2024, 3, 1))]


# --- refusals ---------------------------------------------------------------------------------


def zip_with(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def bomb() -> bytes:
    """A real workbook with one extra part of 8 MB of zeros (compresses about 1000:1)."""
    with zipfile.ZipFile(io.BytesIO(ledgers.template("cadres"))) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/media/padding.bin"] = b"\0" * (8 * 1024 * 1024)
    return zip_with(parts)


def formula_file() -> bytes:
    wb = Workbook()
    wb.active.append(DISB_HEADERS)
    wb.active.append(["6.1", "城关区", "2024-03-05", "=50+50", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


REFUSALS = {
    "empty": (b"", "x.xlsx", "文件是空的"),
    "png named xlsx": (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "x.xlsx", "PNG 图片"),
    "pdf named csv": (b"%PDF-1.4\n...", "x.csv", "PDF 文档"),
    "text named xlsx": (b"a,b,c\n", "x.xlsx", "内容不是 Excel 工作簿"),
    "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.xls", ".xls"),
    "word document": (zip_with({"word/document.xml": b"<w/>"}), "x.xlsx", "Word 文档"),
    "truncated xlsx": (ledgers.template("cadres")[:700], "x.xlsx", "已损坏"),
    "zip bomb": (bomb(), "x.xlsx", "压缩炸弹"),
    "merged header": (
        xlsx(DISB_HEADERS, [["6.1", "城关区", "2024-03-05", 1, ""]], merge="A1:B1"),
        "x.xlsx",
        "合并单元格",
    ),
    "only headers": (csv_bytes(DISB_HEADERS, []), "x.csv", "只有表头"),
    "blank rows only": (b"\n,,,\n\n", "x.csv", "没有任何数据"),
    "no headers": (csv_bytes(["a", "b"], [["1", "2"]]), "x.csv", "找不到表头"),
    "missing column": (
        csv_bytes(DISB_HEADERS[:3], [["6.1", "城关区", "2024-03-05"]]),
        "x.csv",
        "缺少必填列：金额（元）",
    ),
    "money without unit": (
        csv_bytes(
            ["预算科目编码", "县区", "支付日期", "金额"], [["6.1", "城关区", "2024-03-05", "1"]]
        ),
        "x.csv",
        "须在表头写明金额单位",
    ),
    "binary csv": (b"\x01\x02\x03\x04" * 500, "x.csv", "控制字符"),
    "xml entity bomb": (
        zip_with(
            {
                "[Content_Types].xml": b"<Types/>",
                "xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
            }
        ),
        "x.xlsx",
        "不安全",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_hostile_or_broken_files_are_refused_in_words(empty_engine, case):
    data, name, words = REFUSALS[case]
    before = snapshot(empty_engine)
    outcome = run(empty_engine, "disbursements", data, name)
    assert outcome.status == "refused"
    assert words in outcome.refusal
    assert snapshot(empty_engine) == before


def test_size_and_row_limits(empty_engine, monkeypatch):
    big = b"a" * (importer.MAX_BYTES + 1)
    assert "文件太大" in run(empty_engine, "cadres", big, "x.csv").refusal
    monkeypatch.setattr(importer, "MAX_ROWS", 100)
    add_budget(empty_engine)
    for data, name in (
        (csv_bytes(DISB_HEADERS, disbursement_rows(150)), "x.csv"),
        (xlsx(DISB_HEADERS, disbursement_rows(150)), "x.xlsx"),
    ):
        assert "行数超过上限（100 行）" in run(empty_engine, "disbursements", data, name).refusal
    assert count(empty_engine, Disbursement) == 0
