"""Table downloads that open cleanly in Excel: CSV (UTF-8 with BOM) and XLSX, with the filters
written into the file. Pure functions: DataFrame and a dict of filters in, bytes out.

`meta` is an ordered mapping of label → value as a reader should see it, e.g.
{"年度": 2024, "期间": "第二季度", "地区": "天水市", "数据更新至": "2024-12-31"}. Money columns
should hold full yuan as `Decimal` (see `dashboard.fmt.yuan`); they are written with two
decimals and, in XLSX, as numbers with a thousands separator.

Where the filters go:
- CSV: as leading columns repeated on every row. A block of filter lines above the header
  would make Excel (and any CSV reader) see a ragged table; leading columns keep one header
  row, so sorting, filtering and pasting files together still work, and every row says what
  it was counted for. The caller should also put the filters into the file name
  (`file_name`). An empty table still gets one row carrying the filters.
- XLSX: a first sheet listing the filters, then one sheet per table with a frozen, filterable
  header row.

Every cell of text goes through `safe_cell` (both formats, and the import problem lists), so a
name typed into a ledger can never run as a formula when a download is opened."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

BOM = "\ufeff"
MONEY_FORMAT = "#,##0.00"
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\s·]+')


# Text that Excel, WPS or LibreOffice would run as a formula when the file is opened: = + - @,
# or a tab or carriage return (OWASP, CSV injection). A name such as "=HYPERLINK(…)" imported
# from a ledger would otherwise become a live link in every download that lists it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEGATIVE_NUMBER = re.compile(r"-\d[\d,]*(\.\d+)?%?")


def safe_cell(value: object) -> object:
    """A cell value as a file may hold it: text that would start a formula gets a leading
    apostrophe, so it shows as the text it is. Numbers are never changed, and neither is text
    that is only a negative number ("-12.50", "-3%")."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _NEGATIVE_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def _with_meta(frame: pd.DataFrame, meta: Mapping[str, object]) -> pd.DataFrame:
    out = frame.copy()
    if out.empty:
        out = pd.DataFrame([[None] * len(out.columns)], columns=out.columns)
    for position, (label, value) in enumerate(meta.items()):
        name = label
        while name in out.columns:  # a filter never hides a column of the table
            name += "_"
        out.insert(position, name, "" if value is None else str(value))
    return out


def _csv_cell(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return safe_cell(value)


def _holds_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def to_csv_bytes(frame: pd.DataFrame, meta: Mapping[str, object]) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark (so Excel reads Chinese correctly),
    the filters in leading columns on every row, CRLF line ends."""
    out = _with_meta(frame, meta)
    for column in out.columns:
        if _holds_text(out[column]):
            out[column] = out[column].astype(object).map(_csv_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return (BOM + out.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")


def _cell(value: object) -> object:
    """A value openpyxl writes as itself: None for missing, plain Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    return safe_cell(value)


def _display_width(value: object) -> int:
    if value is None:
        return 0
    text = f"{value:,.2f}" if isinstance(value, Decimal) else str(value)
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _fit_columns(sheet: Worksheet, rows: Iterable[Iterable[object]]) -> None:
    widths: dict[int, int] = {}
    for row in rows:
        for i, value in enumerate(row, start=1):
            widths[i] = max(widths.get(i, 0), _display_width(value))
    for i, width in widths.items():
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)


def _sheet_title(name: str, taken: set[str]) -> str:
    title = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'") or "Sheet"
    title = title[:31]
    base, n = title, 2
    while title.lower() in taken:
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


def _write_meta(sheet: Worksheet, meta: Mapping[str, object]) -> None:
    rows = [
        [safe_cell(str(label)), safe_cell("" if value is None else str(value))]
        for label, value in meta.items()
    ]
    for row in rows:
        sheet.append(row)
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.cell(sheet.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    _fit_columns(sheet, rows)
    sheet.column_dimensions["B"].width = min(
        max((_display_width(v) for _, v in rows), default=10) + 2, 80
    )


def _write_table(sheet: Worksheet, frame: pd.DataFrame) -> None:
    header = [safe_cell(str(c)) for c in frame.columns]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for values in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        last = get_column_letter(len(frame.columns))
        sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 1)}"
    _fit_columns(sheet, [header, *frame.head(200).itertuples(index=False, name=None)])


def to_xlsx_bytes(
    sheets: Mapping[str, pd.DataFrame], meta: Mapping[str, object], meta_sheet: str = "筛选条件"
) -> bytes:
    """A workbook whose first sheet lists the filters (label, value) and then one sheet per
    table, in the order given. Sheet names are cut to Excel's 31 characters and made unique."""
    book = Workbook()
    taken: set[str] = set()
    first = book.active
    first.title = _sheet_title(meta_sheet, taken)
    _write_meta(first, meta)
    for name, frame in sheets.items():
        _write_table(book.create_sheet(_sheet_title(name, taken)), frame)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name(stem: str, parts: Iterable[object], ext: str) -> str:
    """'预算执行_2024_第二季度_天水市.xlsx': the filters in the name, without characters that
    Windows or browsers refuse in file names."""
    pieces = [stem, *(str(p) for p in parts if p not in (None, ""))]
    clean = [_BAD_FILE_CHARS.sub("-", p).strip("-.") for p in pieces]
    return "_".join(p for p in clean if p) + "." + ext.lstrip(".")
