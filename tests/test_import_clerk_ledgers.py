"""Ledgers as county clerks make them — title rows, totals, several sheets, hidden sheets,
merged cells, percent cells, formulas, codes pasted from WeChat, identity numbers Excel
damaged — end in one of three ways: imported and right, imported with a warning that names
what was assumed, or refused with a sentence naming the row, the column and the value. Never
imported and wrong."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, insert, select, text

from data_access import importer, ledgers
from data_access.ingest import reader
from data_access.models import (
    Cadre,
    Contact,
    Disbursement,
    Facility,
    IndicatorValue,
    Pairing,
    Recipient,
)
from tests.test_importer import (
    DISB_HEADERS,
    add_budget,
    count,
    csv_bytes,
    filled,
    prepare,
    run,
    snapshot,
)

# Cases that vary only what is read from the file run on SQLite; the writing cases run on both.
SQLITE_ONLY = pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)


# --- building workbooks the way clerks do ----------------------------------------------------


def book(*sheets, hidden: tuple[str, ...] = ()) -> bytes:
    """sheets: (title, rows, options) with rows as lists; options may hold merges and
    number formats ({"A3": "0%"})."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, *options in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        opts = options[0] if options else {}
        for merge in opts.get("merge", ()):
            ws.merge_cells(merge)
        for ref, fmt in opts.get("formats", {}).items():
            ws[ref].number_format = fmt
        if title in hidden:
            ws.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_saved_results(data: bytes, results: dict[str, str]) -> bytes:
    """The workbook as Excel saves it: each formula cell keeps its calculated value."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                xml = body.decode()
                for ref, value in results.items():
                    xml = re.sub(
                        rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*(?:/>|></v>)',
                        rf"\g<1>\g<2><v>{value}</v>",
                        xml,
                    )
                body = xml.encode()
            dst.writestr(item, body)
    return out.getvalue()


TITLE = ["城关区2024年3月结对关爱资金支出台账"]


def payments(engine) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                select(
                    Disbursement.county_code,
                    Disbursement.paid_on,
                    Disbursement.amount_fen,
                    Disbursement.voucher,
                )
            ).all()
        )


def paid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.sum(Disbursement.amount_fen), 0))).scalar()


def problems(outcome, level="error") -> list[tuple]:
    return [(p.row, p.column, p.value) for p in outcome.problems if p.level == level]


# --- the template's example row --------------------------------------------------------------


@pytest.mark.parametrize("ledger", list(ledgers.LEDGERS))
@SQLITE_ONLY
def test_template_example_row_never_reaches_the_database(empty_engine, ledger):
    prepare(empty_engine, ledger)
    before = snapshot(empty_engine)
    outcome = run(empty_engine, ledger, ledgers.template(ledger))
    assert not outcome.written and outcome.status == "unchanged", outcome.message()
    assert outcome.skipped == 1 and outcome.rows_total == 0
    note = outcome.warnings[0]
    assert note.row == 2 and "示例行" in note.reason and "未导入" in note.reason
    assert snapshot(empty_engine) == before


def test_example_row_skipped_beside_real_rows_and_a_real_hut_untouched(empty_engine):
    real = filled("facilities")  # the hut AXW-620102-01 exists, as in the field
    assert run(empty_engine, "facilities", real).written
    with empty_engine.connect() as conn:
        hut = conn.execute(select(Facility.name, Facility.lon, Facility.status)).one()
    # A clerk adds a new hut below the template's example row and keeps the example.
    wb = load_workbook(io.BytesIO(ledgers.template("facilities")))
    ws = wb.worksheets[0]
    ws.append(["AXW-620103-02", "爱心屋", "七里河区新“爱心屋”", "七里河区", "", 103.78, 36.06])
    for col, value in zip("HI", ["运营", "2024-06-01"], strict=True):
        ws[f"{col}3"] = value
    out = io.BytesIO()
    wb.save(out)
    outcome = run(empty_engine, "facilities", out.getvalue())
    assert outcome.added == 1 and outcome.skipped == 1, outcome.message()
    assert "跳过示例行和合计行 1 行" in outcome.message()
    with empty_engine.connect() as conn:
        assert (
            conn.execute(
                select(Facility.name, Facility.lon, Facility.status).where(
                    Facility.code == "AXW-620102-01"
                )
            ).one()
            == hut
        )
    assert count(empty_engine, Facility) == 2


def test_example_row_in_a_csv_saved_from_the_template(empty_engine):
    add_budget(empty_engine)
    data = csv_bytes(
        DISB_HEADERS,
        [
            ["6.1", "城关区", "2024-03-05", "12500.00", "示例-2024-03-0015"],
            ["6.1", "城关区", "2024-03-06", "800.00", "记-031"],
        ],
        "gbk",
    )
    outcome = run(empty_engine, "disbursements", data, "支出.csv")
    assert outcome.added == 1 and outcome.skipped == 1
    assert payments(empty_engine) == [("620102", dt.date(2024, 3, 6), 80_000, "记-031")]


# --- totals rows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total_row",
    [
        ["合计", "", "", 600, ""],
        ["", "总计", "", 600, ""],
        ["6.1", "城关区小计", "", 600, ""],
        ["合 计", None, None, 600, None],
        ["", "", "本月累计", 600, ""],
    ],
)
@SQLITE_ONLY
def test_total_rows_are_not_payments(empty_engine, total_row):
    add_budget(empty_engine)
    rows = [
        TITLE,
        DISB_HEADERS,
        ["6.1", "城关区", "2024-03-05", 100, "记-1"],
        ["6.1", "城关区", "2024-03-06", 200, "记-2"],
        ["6.1", "城关区", "2024-03-07", 300, "记-3"],
        total_row,
    ]
    outcome = run(empty_engine, "disbursements", book(("3月", rows)))
    assert outcome.status == "committed", outcome.message()
    assert paid(empty_engine) == 60_000  # 600 元, not 1,200
    assert outcome.skipped == 1
    assert any(p.row == 6 and "合计行" in p.reason for p in outcome.warnings)


def test_sum_formula_in_the_total_row_with_its_saved_result(empty_engine):
    add_budget(empty_engine)
    rows = [
        TITLE,
        DISB_HEADERS,
        ["6.1", "城关区", "2024-03-05", 100, "记-1"],
        ["6.1", "城关区", "2024-03-06", 250.5, "记-2"],
        ["合计", "", "", "=SUM(D3:D4)", ""],
    ]
    data = with_saved_results(book(("Sheet1", rows)), {"D5": "350.5"})
    outcome = run(empty_engine, "disbursements", data)
    assert outcome.status == "committed", outcome.message()
    assert paid(empty_engine) == 35_050


# --- the voucher number is part of a payment -------------------------------------------------


def test_two_payments_told_apart_by_their_voucher(empty_engine):
    add_budget(empty_engine)
    same = ["6.1", "城关区", "2024-03-05", 1500]
    first = run(
        empty_engine,
        "disbursements",
        book(("Sheet1", [DISB_HEADERS, [*same, "记-101"], [*same, "记-102"]])),
    )
    assert first.added == 2 and not first.errors, first.message()
    # A second clerk's file: one of them again, and a third payment alike but for its voucher.
    second = run(
        empty_engine,
        "disbursements",
        book(("Sheet1", [DISB_HEADERS, [*same, "记-102"], [*same, "记-103"]])),
    )
    assert (second.added, second.unchanged, second.changed) == (1, 1, 0)
    assert [p[3] for p in payments(empty_engine)] == ["记-101", "记-102", "记-103"]
    assert paid(empty_engine) == 3 * 150_000


def test_alike_payments_without_vouchers_are_refused_naming_the_fix(empty_engine):
    add_budget(empty_engine)
    same = ["6.1", "城关区", "2024-03-05", 1500, ""]
    outcome = run(empty_engine, "disbursements", book(("Sheet1", [DISB_HEADERS, same, same])))
    assert outcome.status == "rejected" and count(empty_engine, Disbursement) == 0
    (error,) = outcome.errors
    assert error.row == 3 and "与第 2 行重复" in error.reason and "凭证号" in error.reason


# --- corrections: replace a county's month ---------------------------------------------------


def test_corrected_month_replaces_the_county_month_only(empty_engine):
    add_budget(empty_engine, {"620102": 10**10, "620103": 10**10})
    march = [
        ["6.1", "城关区", "2024-03-05", 100, "记-1"],
        ["6.1", "城关区", "2024-03-06", 200, "记-2"],
        ["6.1", "城关区", "2024-03-07", 300, "记-3"],
    ]
    others = [
        ["6.1", "七里河区", "2024-03-05", 700, "七-1"],
        ["6.1", "城关区", "2024-04-02", 900, "记-9"],
    ]
    run(empty_engine, "disbursements", book(("3月", [DISB_HEADERS, *march, *others])))
    corrected = [
        ["6.1", "城关区", "2024-03-05", 100, "记-1"],  # unchanged
        ["6.1", "城关区", "2024-03-06", 250, "记-2"],  # amount corrected
        # 记-3 was entered by mistake: gone from the corrected file
    ]
    data = book(("3月", [TITLE, DISB_HEADERS, *corrected]))
    dry = run(empty_engine, "disbursements", data, dry_run=True, replace=True)
    assert (dry.added, dry.unchanged, dry.removed) == (1, 1, 2), dry.message()
    removed = sorted(a.key for a in dry.actions if a.action == "removed")
    assert removed == [
        "城关区 · 2024-03-06 · 200.00 元 · 记-2",
        "城关区 · 2024-03-07 · 300.00 元 · 记-3",
    ]
    assert dry.sheets[0].removed == 2 and "删除 2" in dry.message()
    assert dry.periods == [("620102", "2024-03")]

    done = run(empty_engine, "disbursements", data, replace=True)
    assert done.status == "committed"
    assert paid(empty_engine) == (100 + 250 + 700 + 900) * 100
    # Without replace mode the same correction could only add.
    again = run(empty_engine, "disbursements", data, replace=True)
    assert again.status == "unchanged" and again.removed == 0


def test_replace_refuses_a_file_with_errors(empty_engine):
    add_budget(empty_engine)
    run(
        empty_engine,
        "disbursements",
        book(("S", [DISB_HEADERS, ["6.1", "城关区", "2024-03-05", 1, "a"]])),
    )
    rows = [
        DISB_HEADERS,
        ["6.1", "城关区", "2024-03-06", 2, "b"],
        ["6.1", "城关区", "2024-03-07", -3, "c"],
    ]
    before = snapshot(empty_engine)
    outcome = run(empty_engine, "disbursements", book(("S", rows)), replace=True, valid_only=True)
    assert outcome.status == "rejected" and snapshot(empty_engine) == before


def test_corrected_contact_date_and_channel_replace_the_old_contact(empty_engine):
    prepare(empty_engine, "contacts")
    headers = ["干部编码", "对象编码", "联系日期", "联系方式"]
    first = [
        ["GS-C-0001", "GS-R-0001", "2024-03-05", "入户探视"],
        ["GS-C-0001", "GS-R-0001", "2024-03-12", "电话"],
    ]
    assert run(empty_engine, "contacts", book(("3月", [headers, *first]))).added == 2
    fixed = [
        ["GS-C-0001", "GS-R-0001", "2024-03-06", "入户探视"],
        ["GS-C-0001", "GS-R-0001", "2024-03-12", "微信"],
    ]
    outcome = run(empty_engine, "contacts", book(("3月", [headers, *fixed])), replace=True)
    assert (outcome.added, outcome.removed) == (2, 2), outcome.message()
    with empty_engine.connect() as conn:
        stored = sorted(conn.execute(select(Contact.contacted_on, Contact.channel)).all())
    assert stored == [(dt.date(2024, 3, 6), "visit"), (dt.date(2024, 3, 12), "wechat")]


def test_corrected_pairing_date_changes_the_pairing(empty_engine):
    prepare(empty_engine, "pairings")
    headers = ["干部编码", "对象编码", "结对日期"]
    run(empty_engine, "pairings", book(("S", [headers, ["GS-C-0001", "GS-R-0001", "2024-01-01"]])))
    outcome = run(
        empty_engine, "pairings", book(("S", [headers, ["GS-C-0001", "GS-R-0001", "2024-01-15"]]))
    )
    assert outcome.changed == 1 and outcome.added == 0
    assert outcome.actions[0].detail == "结对日期"
    with empty_engine.connect() as conn:
        assert conn.execute(select(Pairing.started_on)).scalars().all() == [dt.date(2024, 1, 15)]


# --- every visible sheet ---------------------------------------------------------------------


def test_every_visible_sheet_is_read_and_named(empty_engine):
    add_budget(empty_engine)
    months = {
        m: [TITLE, DISB_HEADERS]
        + [["6.1", "城关区", f"2024-0{m}-{d:02d}", 100 * m + d, f"{m}-{d}"] for d in (1, 2, 3)]
        for m in (1, 2, 3)
    }
    months[2].append(["6.1", "城关区", "2024-02-30", 5, "bad"])
    old = [DISB_HEADERS, ["6.1", "城关区", "2023-12-01", 99999, "旧"]]
    data = book(
        ("旧数据", old),
        ("1月", months[1]),
        ("2月", months[2]),
        ("3月", months[3]),
        ("说明", [["本表由城关区残联填报"]]),
        hidden=("旧数据",),
    )
    outcome = run(empty_engine, "disbursements", data, dry_run=True)
    assert outcome.rows_total == 10 and outcome.added == 9 and outcome.rejected == 1
    (error,) = outcome.errors
    assert (error.sheet, error.row, error.column, error.value) == (
        "2月",
        6,
        "支付日期",
        "2024-02-30",
    )
    state = {s.name: (s.read, s.reason, s.added) for s in outcome.sheets}
    assert state["旧数据"] == (False, "隐藏的工作表", 0)
    assert state["说明"][0] is False
    assert [state[m][2] for m in ("1月", "2月", "3月")] == [3, 3, 3]
    message = outcome.message()
    assert "已读取工作表：1月、2月、3月" in message and "旧数据（隐藏的工作表）" in message


def test_a_month_sheet_missing_a_required_column_is_refused_by_name(empty_engine):
    add_budget(empty_engine)
    good = [DISB_HEADERS, ["6.1", "城关区", "2024-01-02", 1, "a"]]
    bad = [["预算科目编码", "县区", "支付日期", "凭证号"], ["6.1", "城关区", "2024-02-02", "b"]]
    outcome = run(empty_engine, "disbursements", book(("1月", good), ("2月", bad)))
    assert outcome.status == "refused"
    assert outcome.refusal.startswith("工作表“2月”：缺少必填列：金额（元）")


# --- percent cells, 市州 against 县区, look-alike codes, columns past 60 ---------------------


@pytest.mark.parametrize(
    ("cell", "fmt", "stored"),
    [(0.96, "0%", "96"), (0.885, "0.0%", "88.5"), (1, "0%", "100"), (95.5, "General", "95.5")],
)
@SQLITE_ONLY
def test_percent_cells_are_read_as_the_clerk_typed_them(empty_engine, cell, fmt, stored):
    headers = ["指标编码", "县区", "月份", "完成值"]
    rows = [headers, ["m4_rehab_rate", "城关区", "2024-03", cell]]
    outcome = run(empty_engine, "indicator_values", book(("S", rows, {"formats": {"D2": fmt}})))
    assert outcome.status == "committed", outcome.message()
    with empty_engine.connect() as conn:
        value = conn.execute(select(IndicatorValue.value)).scalar_one()
    assert Decimal(str(value)) == Decimal(stored)


def test_prefecture_column_must_agree_with_the_county(empty_engine):
    add_budget(empty_engine)
    headers = ["市州", *DISB_HEADERS]
    rows = [
        headers,
        ["兰州市", "6.1", "城关区", "2024-03-05", 100, "a"],
        ["天水市", "6.1", "城关区", "2024-03-06", 200, "b"],
        ["临夏州", "6.1", "东乡县", "2024-03-07", 300, "c"],
    ]
    outcome = run(empty_engine, "disbursements", book(("S", rows)))
    assert outcome.status == "rejected"
    assert problems(outcome) == [(3, "市州", "天水市")]
    assert "兰州市" in outcome.errors[0].reason
    assert count(empty_engine, Disbursement) == 0


def test_codes_pasted_with_invisible_characters_are_the_same_cadre(empty_engine):
    assert run(empty_engine, "cadres", filled("cadres")).written
    headers = [c.template_header for c in ledgers.LEDGERS["cadres"].template_columns]
    rows = [
        headers,
        ["GS-C-0001\u200b", "王建国", "县级", "城关区残疾人联合会", "城关区", "1234", "是"],
        ["\ufeffＧＳ－Ｃ－０００２", "李明", "县级", "城关区残疾人联合会", "城关区", "5678", "是"],
    ]
    outcome = run(empty_engine, "cadres", book(("S", rows)))
    assert (outcome.unchanged, outcome.added) == (1, 1), outcome.message()
    with empty_engine.connect() as conn:
        codes = sorted(conn.execute(select(Cadre.code)).scalars())
    assert codes == ["GS-C-0001", "GS-C-0002"]


def test_codes_that_lost_their_leading_zeros_are_refused(empty_engine):
    headers = [c.template_header for c in ledgers.LEDGERS["cadres"].template_columns]
    first = [headers, ["0001", "王建国", "县级", "城关区残联", "城关区", "1234", "是"]]
    assert run(empty_engine, "cadres", book(("S", first))).added == 1
    second = [
        headers,
        [1, "王建国", "县级", "城关区残联", "城关区", "1234", "是"],
        [27, "李明", "县级", "城关区残联", "城关区", "", "是"],
    ]
    outcome = run(empty_engine, "cadres", book(("S", second)))
    assert outcome.status == "rejected" and count(empty_engine, Cadre) == 1
    assert problems(outcome) == [(2, "干部编码", "1")] and "0001" in outcome.errors[0].reason
    assert any(p.row == 3 and "前导零" in p.reason for p in outcome.warnings)


def test_required_column_past_the_sixtieth_is_read(empty_engine):
    add_budget(empty_engine)
    filler = [f"备用{i}" for i in range(61)]
    headers = ["预算科目编码", "县区", "支付日期", *filler, "金额（元）"]
    row = ["6.1", "城关区", "2024-03-05", *[""] * 61, 321]
    outcome = run(empty_engine, "disbursements", book(("S", [headers, row])))
    assert outcome.status == "committed", outcome.message()
    assert paid(empty_engine) == 32_100


def test_a_value_beyond_the_last_column_read_is_refused_by_cell(empty_engine):
    add_budget(empty_engine)
    headers = [*DISB_HEADERS, *[""] * (reader.MAX_COLUMNS - 5), "备注"]
    outcome = run(
        empty_engine,
        "disbursements",
        book(("S", [headers, ["6.1", "城关区", "2024-03-05", 1, "a"]])),
    )
    assert outcome.status == "refused"
    assert "第 1 行第 GS 列有内容" in outcome.refusal


# --- identity numbers damaged by Excel --------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [620102198001010025, 6.20102198001010e17, "620102198001010000", "6.20102E+17"],
)
@SQLITE_ONLY
def test_identity_numbers_damaged_by_excel_are_refused_with_the_fix(empty_engine, cell):
    headers = [c.template_header for c in ledgers.LEDGERS["recipients"].template_columns]
    rows = [headers, ["GS-R-0001", "李秀英", cell, "城关区", "肢体", "一级", "是"]]
    outcome = run(empty_engine, "recipients", book(("S", rows)))
    assert outcome.status == "rejected" and count(empty_engine, Recipient) == 0
    (error,) = outcome.errors
    assert (error.row, error.column) == (2, "身份证号")
    assert "Excel" in error.reason and "文本" in error.reason


# --- crashes and unclear messages -------------------------------------------------------------


def test_blank_yes_no_cells_mean_yes_and_say_so(empty_engine):
    headers = [c.template_header for c in ledgers.LEDGERS["cadres"].template_columns]
    rows = [
        headers,
        ["C-1", "王建国", "县级", "城关区残联", "城关区", "1234", ""],
        ["C-2", "李明", "县级", "城关区残联", "城关区", "5678", "否"],
    ]
    outcome = run(empty_engine, "cadres", book(("S", rows)))
    assert outcome.status == "committed", outcome.message()
    with empty_engine.connect() as conn:
        assert dict(conn.execute(select(Cadre.code, Cadre.active)).all()) == {
            "C-1": True,
            "C-2": False,
        }
    assert any("留空" in p.reason and "按“是”导入" in p.reason for p in outcome.warnings)


def test_ids_written_by_the_demo_do_not_collide_with_imports(empty_engine):
    """The demo data writes explicit ids; on PostgreSQL the sequences must follow."""
    with empty_engine.begin() as conn:
        conn.execute(
            insert(Cadre),
            [
                {
                    "id": i,
                    "code": f"D-{i}",
                    "name": "演示",
                    "level": "county",
                    "unit": "县残联",
                    "county_code": "620102",
                    "active": True,
                    "illustrative": True,
                }
                for i in range(1, 4)
            ],
        )
    outcome = run(empty_engine, "cadres", filled("cadres"))
    assert outcome.status == "committed", outcome.message()
    assert count(empty_engine, Cadre) == 4


def test_formula_without_a_saved_result_names_its_cell_and_others_are_read(empty_engine):
    add_budget(empty_engine)
    rows = [
        [*DISB_HEADERS, "序号"],
        ["6.1", "城关区", "2024-03-05", "=50+50", "a", "=ROW()"],
        ["6.1", "城关区", "2024-03-06", "=40*2", "b", "=ROW()"],
    ]
    data = with_saved_results(book(("S", rows)), {"D2": "100"})
    outcome = run(empty_engine, "disbursements", data, dry_run=True)
    assert outcome.added == 1 and outcome.rejected == 1
    assert problems(outcome) == [(3, "金额（元）", "=40*2")]
    assert "没有保存计算结果" in outcome.errors[0].reason
    assert any("公式单元格" in p.reason for p in outcome.warnings)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("张家川县", "620525"),
        ("东乡县", "622926"),
        ("积石山县", "622927"),
        ("天祝县", "620623"),
        ("肃南县", "620721"),
        ("阿克塞县", "620924"),
        ("肃北县", "620923"),
    ],
)
@SQLITE_ONLY
def test_short_names_of_autonomous_counties(empty_engine, name, code):
    add_budget(empty_engine, {})
    outcome = run(
        empty_engine,
        "disbursements",
        book(("S", [DISB_HEADERS, ["6.1", name, "2024-03-05", 1, "a"]])),
    )
    assert outcome.status == "committed", outcome.message()
    assert payments(empty_engine)[0][0] == code


def test_county_merged_down_the_rows_fills_each_row(empty_engine):
    add_budget(empty_engine, {})
    rows = [
        TITLE,
        DISB_HEADERS,
        ["6.1", "七里河区", "2024-03-05", 100, "a"],
        ["6.1", None, "2024-03-06", 200, "b"],
        ["6.1", None, "2024-03-07", 300, "c"],
        ["6.1", "城关区", "2024-03-08", 400, "d"],
    ]
    outcome = run(empty_engine, "disbursements", book(("S", rows, {"merge": ["B3:B5"]})))
    assert outcome.status == "committed", outcome.message()
    assert [p[0] for p in payments(empty_engine)] == ["620102", "620103", "620103", "620103"]
    assert any("合并单元格" in p.reason and "七里河区" in p.reason for p in outcome.warnings)


def test_float_noise_from_excel_sums_is_the_amount_shown(empty_engine):
    add_budget(empty_engine, {})
    rows = [
        DISB_HEADERS,
        ["6.1", "城关区", "2024-03-05", 0.1 + 0.2, "a"],
        ["6.1", "城关区", "2024-03-06", 1234.5600000000002, "b"],
    ]
    outcome = run(empty_engine, "disbursements", book(("S", rows)))
    assert outcome.status == "committed", outcome.message()
    assert [p[2] for p in payments(empty_engine)] == [30, 123_456]


def test_tab_separated_file_with_a_title_line(empty_engine):
    add_budget(empty_engine, {})
    lines = ["城关区2024年3月支出", "\t".join(DISB_HEADERS), "6.1\t城关区\t2024-03-05\t100\ta"]
    outcome = run(empty_engine, "disbursements", "\n".join(lines).encode("gbk"), "支出.txt")
    assert outcome.status == "committed", outcome.message()
    assert "制表符" in outcome.file_format


def test_county_name_and_code_columns_must_agree(empty_engine):
    add_budget(empty_engine, {})
    headers = ["预算科目编码", "县区名称", "县区代码", "支付日期", "金额（元）"]
    rows = [
        headers,
        ["6.1", "城关区", "620102", "2024-03-05", 1],
        ["6.1", "城关区", 620103, "2024-03-06", 2],
    ]
    outcome = run(empty_engine, "disbursements", book(("S", rows)))
    assert outcome.status == "rejected"
    assert problems(outcome) == [(3, "县区名称", "城关区")]
    assert "620103" in outcome.errors[0].reason
    ok = run(empty_engine, "disbursements", book(("S", rows[:2])))
    assert ok.status == "committed" and payments(empty_engine)[0][0] == "620102"


@pytest.mark.parametrize("ledger", list(ledgers.LEDGERS))
def test_templates_keep_code_columns_text_to_the_bottom(ledger):
    ws = load_workbook(io.BytesIO(ledgers.template(ledger))).worksheets[0]
    for i, col in enumerate(ledgers.LEDGERS[ledger].template_columns, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        if col.kind in ("code", "id_number", "phone4"):
            assert ws.column_dimensions[letter].number_format == "@", col.header


def test_row_limit_counts_data_rows_exactly(empty_engine, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 50)
    add_budget(empty_engine, {})
    rows = [["6.1", "城关区", f"2024-03-{1 + i % 28:02d}", 1 + i, f"v{i}"] for i in range(51)]
    over = run(empty_engine, "disbursements", book(("S", [TITLE, DISB_HEADERS, *rows])))
    assert over.status == "refused" and "行数超过上限（50 行）" in over.refusal
    exact = run(empty_engine, "disbursements", book(("S", [TITLE, DISB_HEADERS, *rows[:50]])))
    assert exact.status == "committed" and exact.added == 50


# --- uploads that would exhaust memory ---------------------------------------------------------


def sheet_xml(body: str) -> bytes:
    return (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>'
    ).encode()


def raw_xlsx(sheet: bytes, shared: bytes | None = None) -> bytes:
    parts = {
        "[Content_Types].xml": b"<Types/>",
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return out.getvalue()


def test_rows_without_cell_references_count_against_the_limit(empty_engine, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 20)
    monkeypatch.setattr(reader, "MAX_ROWS", 20)
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in DISB_HEADERS)
    body = f"<row>{header}</row>" + "<row><c><v>1</v></c><c><v>2</v></c></row>" * 5_000
    outcome = run(empty_engine, "disbursements", raw_xlsx(sheet_xml(body)))
    assert outcome.status == "refused" and "行数超过上限" in outcome.refusal


def test_a_cell_longer_than_excel_allows_is_refused(empty_engine):
    long = "长" * (reader.MAX_CELL_CHARS + 1)
    body = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{long}</t></is></c></row>'
    outcome = run(empty_engine, "disbursements", raw_xlsx(sheet_xml(body)))
    assert outcome.status == "refused" and "32,767 个字符" in outcome.refusal


def test_shared_strings_beyond_the_limit_are_refused(empty_engine, monkeypatch):
    monkeypatch.setattr(reader, "MAX_SHARED_CHARS", 10_000)
    strings = "".join(f"<si><t>{i:06d}字符串</t></si>" for i in range(2_000))
    shared = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main">{strings}</sst>'
    ).encode()
    body = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    outcome = run(empty_engine, "disbursements", raw_xlsx(sheet_xml(body), shared))
    assert outcome.status == "refused" and "共享字符串" in outcome.refusal


def test_a_database_fault_while_writing_is_a_sentence(empty_engine):
    """A fault of the database while writing leaves nothing half-written and no traceback."""
    add_budget(empty_engine, {})
    with empty_engine.begin() as conn:
        conn.execute(text("DROP TABLE import_errors"))
    rows = [
        DISB_HEADERS,
        ["6.1", "城关区", "2024-03-05", 1, "a"],
        ["6.1", "城关区", "2024-03-05", -1, "b"],
    ]
    outcome = run(empty_engine, "disbursements", book(("S", rows)), valid_only=True)
    assert outcome.status == "refused" and "未写入任何数据" in outcome.refusal
    assert count(empty_engine, Disbursement) == 0


@SQLITE_ONLY
def test_one_import_at_a_time_per_process(empty_engine):
    """A second import waits for the first instead of sharing the CPU with it."""
    import threading

    add_budget(empty_engine, {})
    data = book(("S", [DISB_HEADERS, ["6.1", "城关区", "2024-03-05", 1, "a"]]))
    done = threading.Event()
    worker = threading.Thread(target=lambda: (run(empty_engine, "disbursements", data), done.set()))
    with importer._ONE_AT_A_TIME:
        worker.start()
        assert not done.wait(1.0)  # held back while another import runs
    assert done.wait(60)
    worker.join()
    assert count(empty_engine, Disbursement) == 1


def test_bulk_contact_imports_keep_the_tallies_true(empty_engine, monkeypatch):
    """A large contacts file defers the tally triggers and rebuilds the pairings it touched;
    the tallies then agree with the contacts, after adding and after a replacement alike."""
    from tests.test_tallies import agree

    monkeypatch.setattr(importer, "BULK_CONTACTS", 2)
    prepare(empty_engine, "contacts")
    headers = ["干部编码", "对象编码", "联系日期", "联系方式"]
    rows = [
        ["GS-C-0001", "GS-R-0001", f"2024-0{m}-1{d}", ch]
        for m in (3, 4)
        for d, ch in ((0, "电话"), (1, "入户探视"), (2, "微信"))
    ]
    assert run(empty_engine, "contacts", book(("S", [headers, *rows]))).added == 6
    with empty_engine.connect() as conn:
        agree(conn)
    fixed = [row for row in rows if row[3] != "微信"]
    outcome = run(empty_engine, "contacts", book(("S", [headers, *fixed])), replace=True)
    assert outcome.removed == 2, outcome.message()
    with empty_engine.connect() as conn:
        tally = agree(conn)
    assert max(tally.values())[:2] == (2, 2)
