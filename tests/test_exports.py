"""Exports as a person opening them in Excel would check them: Chinese readable, full yuan,
the filters in the file."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pandas as pd

from dashboard.exports import file_name, to_csv_bytes, to_xlsx_bytes
from dashboard.fmt import yuan

META = {
    "年度": 2024,
    "期间": "第二季度",
    "地区": "天水市",
    "数据更新至": "2024-12-31",
    "数据说明": "演示数据：各地分配和支出为示意数据",
}


def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "预算项目": ["0-17岁残疾儿童康复救助", "持证残疾人基本康复服务和辅助器具适配"],
            "计划资金（元）": [yuan(8_559_000_000), yuan(1_635_290_000)],
            "累计支出（元）": [yuan(123_456_789), yuan(0)],
            "预算执行率（%）": [1.44, None],
        }
    )


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_csv_has_bom_and_reads_back_in_chinese():
    data = to_csv_bytes(lines(), META)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    frame = read_csv(data)
    assert list(frame.columns[:5]) == list(META)
    assert list(frame.columns[5:]) == list(lines().columns)
    assert frame["预算项目"].tolist()[1] == "持证残疾人基本康复服务和辅助器具适配"


def test_csv_filters_on_every_row_and_money_in_full_yuan():
    frame = read_csv(to_csv_bytes(lines(), META))
    assert (frame["地区"] == "天水市").all() and (frame["期间"] == "第二季度").all()
    assert (frame["年度"] == "2024").all()
    assert frame["计划资金（元）"].tolist() == ["85590000.00", "16352900.00"]
    assert frame["累计支出（元）"].tolist() == ["1234567.89", "0.00"]
    assert frame["预算执行率（%）"].tolist() == ["1.44", ""]


def test_csv_of_an_empty_table_still_names_its_filters():
    frame = read_csv(to_csv_bytes(lines().iloc[0:0], META))
    assert len(frame) == 1
    assert frame.loc[0, "地区"] == "天水市" and frame.loc[0, "预算项目"] == ""


def test_csv_filter_never_hides_a_table_column():
    table = pd.DataFrame({"地区": ["秦州区", "麦积区"], "计划资金（元）": [Decimal(1), Decimal(2)]})
    frame = read_csv(to_csv_bytes(table, {"地区": "天水市"}))
    assert frame.columns.tolist() == ["地区_", "地区", "计划资金（元）"]
    assert frame["地区"].tolist() == ["秦州区", "麦积区"]
    assert (frame["地区_"] == "天水市").all()


def open_book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_xlsx_first_sheet_names_the_filters():
    book = open_book(to_xlsx_bytes({"预算项目": lines()}, META))
    assert book.sheetnames == ["筛选条件", "预算项目"]
    filters = {row[0]: row[1] for row in book["筛选条件"].iter_rows(values_only=True)}
    assert filters == {k: str(v) for k, v in META.items()}


def test_xlsx_money_is_numbers_in_full_yuan():
    sheet = open_book(to_xlsx_bytes({"预算项目": lines()}, META))["预算项目"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(lines().columns)
    assert rows[1][1] == 85_590_000 and rows[2][1] == 16_352_900
    assert rows[1][2] == 1_234_567.89
    assert rows[2][3] is None  # no rate, not 0
    assert sheet["B2"].number_format == "#,##0.00"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D3"


def test_xlsx_sheet_names_follow_excel_rules():
    frames = {
        "市州/县区: 排名": lines(),
        "一个非常非常长的工作表名称会被截断到三十一个字符为止以免出错超长部分": lines(),
        "市州_县区_ 排名": lines(),
    }
    book = open_book(to_xlsx_bytes(frames, META, meta_sheet="Filters"))
    names = book.sheetnames
    assert names[0] == "Filters"
    assert names[1] == "市州_县区_ 排名"
    assert len(names[2]) == 31
    assert names[3] == "市州_县区_ 排名(2)"


def test_file_name_carries_the_filters():
    name = file_name("预算执行", [2024, "第二季度", "天水市 · 秦州区", None], "csv")
    assert name == "预算执行_2024_第二季度_天水市-秦州区.csv"
    assert file_name("Budget", ["Q2", "a/b:c"], ".xlsx") == "Budget_Q2_a-b-c.xlsx"


def formula_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "名称": ["=HYPERLINK(1)", "@SUM(1)", "+1", "-1+1", "\t=1", "王-明", "-12.50"],
            "差额（元）": [Decimal("-12.5"), Decimal(3), None, None, None, None, None],
            "变化": [-1.5, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )


def test_csv_cells_that_start_like_formulas_stay_text():
    frame = read_csv(to_csv_bytes(formula_table(), {"地区": "=1+1"}))
    assert frame["名称"].tolist() == [
        "'=HYPERLINK(1)",
        "'@SUM(1)",
        "'+1",
        "'-1+1",
        "'\t=1",
        "王-明",
        "-12.50",  # a negative number written as text is a number, not a formula
    ]
    assert frame["地区"].tolist() == ["'=1+1"] * 7
    assert frame["差额（元）"].tolist()[:2] == ["-12.50", "3.00"]
    assert frame["变化"].tolist()[0] == "-1.5"


def test_xlsx_cells_that_start_like_formulas_stay_text_and_numbers_stay_numbers():
    book = open_book(to_xlsx_bytes({"表": formula_table()}, {"地区": "@x"}))
    sheet = book["表"]
    assert [c.value for c in sheet["A"]][1:6] == [
        "'=HYPERLINK(1)",
        "'@SUM(1)",
        "'+1",
        "'-1+1",
        "'\t=1",
    ]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet["B2"].value == -12.5
    assert sheet["B2"].data_type == "n" and sheet["C2"].value == -1.5
    assert book["筛选条件"]["B1"].value == "'@x"
