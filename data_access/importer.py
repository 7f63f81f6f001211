"""Ledger import: a spreadsheet (XLSX or CSV) in, validated rows upserted by natural key, all
in one transaction. The 数据管理 page and `python -m dashboard import` share it.

How an import goes:
1. read (ingest/reader.py): every part of the file is bounded and streamed; every visible
   sheet whose header matches the ledger is read, the others are named as left out.
   Template example rows and 小计 / 合计 / 总计 rows are skipped and named; a vertical merge
   fills its value down; formulas are read from the value the file saved with them.
2. validate: every cell is parsed (dates, money in 元 or 万元 as the header says, areas by name
   or code), references are looked up, business rules applied; every problem is a Problem
   with the row number the user sees, the column, the value and a reason in Chinese.
3. compare: each row's natural key is looked up, giving added / changed / unchanged; in
   replace mode, the stored records of each county and month the file covers that the file no
   longer holds are removed (a correction: the clerk sends the month again).
4. write (unless a dry run): in one transaction, only if no row has an error, or the user
   chose to import the valid rows only; an import batch records what happened.

A file is refused with a message (Outcome.refusal) and never with an exception; nothing is
written unless the whole batch is.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import logging
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath

import pandas as pd
from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, true
from sqlalchemy.exc import DBAPIError, OperationalError

from data_access import geography, idnumbers, tallies
from data_access.db import bump_data_version, fault_message, set_meta, sync_id_sequences
from data_access.ingest.reader import (
    HEADER_SEARCH_ROWS,
    MAX_BYTES,
    MAX_ROWS,
    CellFault,
    Percent,
    Refused,
    Sheet,
    Uncalculated,
    Workbook,
)
from data_access.ingest.reader import read as read_file
from data_access.ledgers import CHOICE_ALIASES, EXAMPLE_MARK, LEDGERS, Column, Ledger
from data_access.models import (
    BatchCoverage,
    BudgetAllocation,
    BudgetLine,
    Cadre,
    Contact,
    County,
    Disbursement,
    Facility,
    FacilityStatusChange,
    ImportBatch,
    ImportError_,
    Indicator,
    IndicatorValue,
    Meta,
    Pairing,
    Prefecture,
    Recipient,
)
from data_access.scope import PROVINCE, Scope, prefecture_of

log = logging.getLogger(__name__)

MAX_PROBLEMS = 50_000

DEMO_USER = "演示模式"

Progress = Callable[[float, str], None]  # (share done 0–1, what is being done, in Chinese)


def _quiet(_share: float, _what: str) -> None:
    pass


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    row: int | None  # the spreadsheet row number as the user sees it; None: the whole file
    column: str  # the header as written in the file
    value: str | None
    reason: str
    level: str = "error"  # or "warning", which does not stop the row
    sheet: str = ""  # the worksheet, when the file has more than one read


@dataclass(frozen=True, slots=True)
class RowAction:
    row: int  # 0 for a stored record that replace mode removes
    action: str  # added, changed, unchanged, rejected, removed
    key: str  # the natural key in words
    detail: str = ""  # what changes
    sheet: str = ""


@dataclass
class SheetSummary:
    """One worksheet of the file: read (with its counts) or left out (with the reason)."""

    name: str
    read: bool
    reason: str = ""  # why it was left out
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    removed: int = 0
    skipped: int = 0  # example and total rows


@dataclass
class Outcome:
    ledger: str
    file_name: str
    sha256: str = ""
    dry_run: bool = True
    valid_only: bool = False
    replace: bool = False
    refusal: str | None = None
    file_format: str = ""
    rows_total: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    removed: int = 0
    skipped: int = 0  # example and total rows, never imported
    problems: list[Problem] = field(default_factory=list)
    actions: list[RowAction] = field(default_factory=list)
    sheets: list[SheetSummary] = field(default_factory=list)
    periods: list[tuple[str, str]] = field(default_factory=list)  # (county code, "2024-03")
    written: bool = False
    batch_id: int | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def status(self) -> str:
        """refused, checked (dry run), rejected (errors: nothing written), unchanged,
        committed or partial (valid rows only)."""
        if self.refusal:
            return "refused"
        if self.dry_run:
            return "checked"
        if self.written:
            return "partial" if self.rejected else "committed"
        if self.rejected and (self.replace or not self.valid_only):
            return "rejected"
        return "unchanged"

    def message(self) -> str:
        """One sentence for the person who imported, in Chinese."""
        counts = (
            f"共 {self.rows_total:,} 行：新增 {self.added:,}，变更 {self.changed:,}，"
            f"不变 {self.unchanged:,}，有错误 {self.rejected:,}"
        )
        if self.replace:
            counts += f"，删除 {self.removed:,}"
        if self.skipped:
            counts += f"；跳过示例行和合计行 {self.skipped:,} 行"
        read = [s.name for s in self.sheets if s.read and s.name]
        left = [s for s in self.sheets if not s.read]
        if read and (len(read) > 1 or left):
            counts += f"；已读取工作表：{'、'.join(read)}"
        if left:
            counts += "；未读取：" + "、".join(f"{s.name}（{s.reason}）" for s in left)
        status = self.status
        if status == "refused":
            return f"无法导入：{self.refusal}"
        if status == "checked":
            if self.rejected:
                return (
                    f"检查完成（未写入）。{counts}。有错误的行须改正后重新导入，"
                    "或选择“只导入有效行”。"
                )
            return f"检查完成（未写入）。{counts}。"
        if status == "rejected" and self.replace:
            return (
                f"未导入任何数据：{self.rejected:,} 行有错误，替换只接受没有错误的文件。"
                f"{counts}。请改正后重新导入。"
            )
        if status == "rejected":
            return (
                f"未导入任何数据：{self.rejected:,} 行有错误。{counts}。请改正后重新导入，"
                "或明确选择“只导入有效行”。"
            )
        if status == "unchanged":
            return f"没有需要写入的新数据或变更，数据库未改动。{counts}。"
        if status == "partial":
            return f"已导入有效行（批次 {self.batch_id}），{self.rejected:,} 行有错误未导入。{counts}。"
        return f"导入成功（批次 {self.batch_id}）。{counts}。"


# --- headers ----------------------------------------------------------------------------------


def _norm(value) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


_UNIT = re.compile(r"^(.*?)\((.*?)\)$")


def _header_parts(value) -> tuple[str, str | None]:
    text = re.sub(r"[\s*]", "", _norm(value)).replace("【", "(").replace("】", ")")
    m = _UNIT.match(text)
    return (m.group(1), m.group(2)) if m and m.group(1) else (text, None)


def _match_header(ledger: Ledger, value) -> tuple[Column | None, str | None]:
    if _blank(value):
        return None, None
    base, unit = _header_parts(value)
    full = re.sub(r"[\s*]", "", _norm(value))
    for col in ledger.columns:
        names = (col.header, *col.aliases)
        if base in names:
            return col, unit
        if full in names:
            return col, None
    return None, None


@dataclass
class _Layout:
    sheet: str
    header_row: int
    columns: dict[int, Column]  # position → column
    headers: dict[str, str]  # column key → header as written
    money_factor: dict[str, int]  # column key → fen per unit
    ignored: list[str]
    # A second column for the same area (县区名称 and 县区代码): position → column; the two
    # must agree on every row.
    twins: dict[int, Column] = field(default_factory=dict)
    label: str = ""  # the sheet name in messages, when the file has more than one sheet read
    summary: SheetSummary | None = None


class _NotLedger(Refused):
    """The sheet's header is not this ledger's: another sheet may be."""


def _header_row(ledger: Ledger, sheet: Sheet) -> tuple[int, list] | None:
    best: tuple[int, int] | None = None  # (score, index)
    for index, (_number, values) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        score = sum(1 for v in values if _match_header(ledger, v)[0] is not None)
        if score and (best is None or score > best[0]):
            best = (score, index)
    return None if best is None else sheet.rows[best[1]]


def _layout(ledger: Ledger, sheet: Sheet) -> _Layout:
    """Where the ledger's columns are in this sheet. _NotLedger when the sheet holds something
    else (fewer than two required headers); Refused when it is this ledger's sheet with a
    fault (a required column missing, a merged header, a column twice)."""
    required = [c for c in ledger.columns if c.required]
    expected = "、".join(c.template_header for c in required)
    found = _header_row(ledger, sheet)
    if found is None:
        raise _NotLedger(
            f"找不到表头。“{ledger.title}”的第1行应为表头，至少包括：{expected}。请使用下载的模板。"
        )
    header_row, values = found
    matched = {c.key for c in (_match_header(ledger, v)[0] for v in values) if c is not None}
    missing = [c.template_header for c in required if c.key not in matched]
    if missing and sum(1 for c in required if c.key in matched) < 2:
        raise _NotLedger(f"缺少必填列：{'、'.join(missing)}。请使用下载的模板。")
    for r1, c1, r2, c2 in sheet.merged:
        if r1 <= header_row <= r2 and (c1 != c2 or r1 != r2):
            raise Refused(
                f"表头第 {header_row} 行有合并单元格（第 {c1}–{c2} 列）。请取消合并，每列一个表头后再导入。"
            )
    layout = _Layout(sheet.name, header_row, {}, {}, {}, [])
    for pos, value in enumerate(values):
        col, unit = _match_header(ledger, value)
        if col is None:
            if not _blank(value):
                layout.ignored.append(_norm(value)[:30])
            continue
        if col.key in layout.headers:
            if col.kind in ("area", "prefecture") and not layout.twins.get(pos):
                layout.twins[pos] = col
                continue
            raise Refused(
                f"“{col.header}”列出现了两次（“{layout.headers[col.key]}”和“{_norm(value)}”）。"
            )
        layout.columns[pos] = col
        layout.headers[col.key] = str(value).strip()[:60]  # as the user wrote it
        if col.kind == "money":
            if unit in ("元", "人民币元"):
                layout.money_factor[col.key] = 100
            elif unit in ("万元", "万"):
                layout.money_factor[col.key] = 1_000_000
            else:
                raise Refused(
                    f"“{_norm(value)}”列须在表头写明金额单位：“{col.header}（元）”或“{col.header}（万元）”。"
                )
    if missing:
        raise Refused(f"缺少必填列：{'、'.join(missing)}。请使用下载的模板。")
    return layout


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- cells ------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell's value cannot be used; the message is the reason, in Chinese."""


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return f"{_excel_decimal(value * 100).normalize():f}%"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)[:200]


def _mask_id(value) -> str:
    text = re.sub(r"\s", "", _norm(value)) if value is not None else ""
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


# Control characters, and the invisible ones a code picks up when pasted from WeChat or a web
# page (zero-width spaces and joiners, direction marks, the BOM).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _text(value) -> str:
    if isinstance(value, bool):
        raise CellError("应为文字")
    if isinstance(value, float):
        value = int(value) if value.is_integer() else _excel_decimal(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        raise CellError("应为文字，不是日期")
    return _CONTROL.sub("", _norm(value)).strip()


def _excel_decimal(value: float) -> Decimal:
    """What Excel shows for a number it stores: 15 significant digits, so that the float
    noise of a sum (0.30000000000000004) is the 0.3 the clerk sees."""
    return Decimal(format(value, ".15g"))


def _number(value) -> Decimal:
    if isinstance(value, bool):
        raise CellError("不是有效的数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("不是有效的数字")
        return _excel_decimal(value)
    if isinstance(value, Decimal):
        number = value
    else:
        if isinstance(value, dt.date | dt.time):
            raise CellError("应为数字，不是日期")
        text = re.sub(r"[\s,¥]", "", _norm(value))
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError) as exc:
            raise CellError("不是有效的数字") from exc
    if not number.is_finite():
        raise CellError("不是有效的数字")
    return number


def parse_money(value, fen_per_unit: int) -> int:
    """An amount in 元 (fen_per_unit 100) or 万元 (1,000,000) → integer fen, exactly."""
    fen = _number(value) * fen_per_unit
    if fen < 0:
        raise CellError("金额不能为负数")
    if fen != fen.to_integral_value():
        raise CellError("金额最多精确到分（元两位小数，万元六位小数）")
    if fen > 10**15:
        raise CellError("金额过大，请检查单位是元还是万元")
    return int(fen)


def _count(value) -> int:
    number = _number(value)
    if number != number.to_integral_value():
        raise CellError("应为整数")
    if number < 0:
        raise CellError("不能为负数")
    if number > 2_000_000_000:
        raise CellError("数值过大")
    return int(number)


def _amount(value) -> Decimal:
    """A value such as an indicator's: a percent cell (Excel stores 96 % as 0.96) is read as
    the percentage the clerk typed, 96."""
    if isinstance(value, str) and _norm(value).endswith("%"):
        value = _norm(value)[:-1]
    number = _number(value)
    if isinstance(value, Percent):
        number = (number * 100).normalize()
    if number < 0:
        raise CellError("不能为负数")
    if number != number.quantize(Decimal("0.01"), ROUND_HALF_UP):
        raise CellError("最多两位小数")
    if number >= Decimal("1e12"):
        raise CellError("数值过大")
    return number.quantize(Decimal("0.01"))


def _coord(value) -> Decimal:
    number = _number(value)
    if abs(number) > 1000:
        raise CellError("不是有效的经纬度")
    return number.quantize(Decimal("0.00001"), ROUND_HALF_UP)


_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01; Excel counts a 29 Feb 1900


def _from_serial(number: Decimal) -> dt.date:
    days = int(number)
    if days < 1 or days > 2_958_465:
        raise CellError("不是有效的日期")
    if days < 61:
        days += 1  # before Excel's phantom 1900-02-29
    return _EXCEL_EPOCH + dt.timedelta(days=days)


def _checked_date(year: int, month: int, day: int) -> dt.date:
    try:
        date = dt.date(year, month, day)
    except ValueError as exc:
        raise CellError("不是有效的日期（月或日超出范围）") from exc
    if not 1949 <= date.year <= 2100:
        raise CellError("日期超出合理范围")
    return date


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return _checked_date(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return _checked_date(value.year, value.month, value.day)
    if isinstance(value, bool | dt.time):
        raise CellError("不是有效的日期")
    if isinstance(value, int | float | Decimal):
        date = _from_serial(_number(value))
        return _checked_date(date.year, date.month, date.day)
    text = _norm(value)
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m:
        return _checked_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _SERIAL.match(text):
        date = _from_serial(Decimal(text))
        return _checked_date(date.year, date.month, date.day)
    raise CellError("不是有效的日期（应写作 2024-03-05、2024/3/5 或 2024年3月5日）")


def parse_month(value) -> dt.date:
    if isinstance(value, str):
        m = _MONTH.match(_norm(value))
        if m:
            return _checked_date(int(m.group(1)), int(m.group(2)), 1)
    try:
        return parse_date(value).replace(day=1)
    except CellError as exc:
        raise CellError("不是有效的月份（应写作 2024-03 或 2024年3月）") from exc


def _choice(col: Column, value) -> str:
    assert col.choices is not None
    text = re.sub(r"[\s“”\"'‘’]", "", _text(value))
    for label, code in col.choices.items():
        names = {label, *CHOICE_ALIASES.get(label, ())}
        if text in names or text.lower() in {n.lower() for n in names}:
            return code
    raise CellError(f"不是允许的值（可填：{col.allowed()}）")


_TRUE = {"是", "y", "yes", "true", "1", "在岗", "√", "✓", "对"}
_FALSE = {"否", "n", "no", "false", "0", "离岗", "不在岗", "×", "不是"}


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError("应填“是”或“否”")


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


_ID_FIX = "请把该列设为“文本”格式后重新填写完整号码（或在号码前加英文单引号 '）"


def parse_id_number(value) -> str:
    """A resident identity number, checked (format, birth date, check digit). The caller keeps
    only its hash and last four characters. Excel keeps 15 significant digits of a number: an
    18-digit number typed into a number cell loses its last digits (…000), and the check digit
    then passes in about one case in eleven, so a number cell is never an identity number."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise CellError(f"身份证号被 Excel 存成了数字，末几位已变成 0，无法还原。{_ID_FIX}")
    text = re.sub(r"\s", "", _text(value)).upper()
    if re.fullmatch(r"\d(\.\d+)?E\+?\d+", text):
        raise CellError(f"身份证号被 Excel 改成了科学计数法（如 6.2E+17），已无法还原。{_ID_FIX}")
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise CellError("身份证号应为18位（前17位数字，末位数字或X）")
    if text.endswith("000"):
        raise CellError(
            f"身份证号末三位是 000，像是被 Excel 当作数字截断过（只保留15位有效数字）。{_ID_FIX}"
        )
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise CellError("身份证号中的出生日期无效") from exc
    check = "10X98765432"[sum(int(d) * w for d, w in zip(text, _ID_WEIGHTS, strict=False)) % 11]
    if text[-1] != check:
        raise CellError("身份证号校验位不正确，请核对")
    return text


def _phone4(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = _count(value)
        text = f"{number:04d}" if number < 10_000 else str(number)
    else:
        text = re.sub(r"[\s\-]", "", _text(value))
    if re.fullmatch(r"\d{4}", text):
        return text
    if re.fullmatch(r"1\d{10}", text):
        return text[-4:]
    raise CellError("应填手机号后4位数字")


# --- areas ------------------------------------------------------------------------------------


class Areas:
    """County-level areas by code, full name, short name, or prefecture + county; every name a
    Gansu clerk writes for a county (张家川县 for 张家川回族自治县) is known."""

    def __init__(self, conn: Connection):
        counties = conn.execute(
            select(County.code, County.prefecture_code, County.name, County.short_name)
        ).all()
        prefectures = conn.execute(
            select(Prefecture.code, Prefecture.name, Prefecture.short_name)
        ).all()
        self.codes = {c.code for c in counties}
        self.prefecture_codes = {p.code for p in prefectures}
        self.names: dict[str, set[str]] = defaultdict(set)
        self.prefecture_names: dict[str, str] = {}
        self.prefecture_name = {p.code: p.name for p in prefectures}
        pref_names = {p.code: (p.name, p.short_name) for p in prefectures}
        for p in prefectures:
            for name in _prefecture_forms(p.name, p.short_name):
                self.prefecture_names[name] = p.code
        for c in counties:
            for name in _county_forms(c.name, c.short_name):
                self.names[name].add(c.code)
                for pref in pref_names[c.prefecture_code]:
                    if pref != name:
                        self.names[pref + name].add(c.code)
        self.name_of = {c.code: c.name for c in counties}

    @staticmethod
    def _clean(value) -> str:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            text = _display(value)
        else:
            text = _text(value)
        text = re.sub(r"[\s·・.\-—/]", "", text)
        return text.removeprefix("甘肃省").removeprefix("甘肃") or text

    def resolve(self, value) -> str:
        text = self._clean(value)
        if re.fullmatch(r"\d{6}", text):
            if text in self.codes:
                return text
            if text in self.prefecture_codes:
                raise CellError("这是市州代码，请填写县区")
            raise CellError("未知的县区代码")
        codes = self.names.get(text)
        if codes and len(codes) == 1:
            return next(iter(codes))
        if codes:
            raise CellError("县区名称不唯一，请填写6位代码或带上市州名")
        if text in self.prefecture_names:
            raise CellError("这是市州，请填写县区")
        raise CellError("未知的县区")

    def resolve_prefecture(self, value) -> str:
        text = self._clean(value)
        if re.fullmatch(r"\d{6}", text) and text in self.prefecture_codes:
            return text
        code = self.prefecture_names.get(text)
        if code is None:
            raise CellError("未知的市州")
        return code


def _county_forms(name: str, short: str) -> set[str]:
    """张家川回族自治县: also 张家川 and 张家川县, as clerks write it."""
    forms = {name, short}
    if name.endswith("自治县") and short != name:
        forms.add(short + "县")
    return forms


def _prefecture_forms(name: str, short: str) -> set[str]:
    """临夏回族自治州: also 临夏州 and 临夏, as clerks write it."""
    forms = {name, short}
    if name.endswith("自治州"):
        forms.add(short.removesuffix("州"))
    return forms


# --- validation -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Rec:
    index: int  # position in the file, across sheets
    row: int  # the row number as the user sees it
    layout: _Layout
    values: dict  # column key → parsed value; later also database fields
    raw: dict  # column key → the cell as written
    key: tuple | None = None
    existing_id: int | None = None
    action: str = ""
    detail: str = ""
    number_codes: tuple[str, ...] = ()  # code columns typed as numbers (leading zeros lost?)

    @property
    def sheet(self) -> str:
        return self.layout.label


def _where(rec: _Rec) -> str:
    """第 5 行, or 工作表“2月”第 5 行 when the file has named sheets."""
    return f"工作表“{rec.sheet}”第 {rec.row} 行" if rec.sheet else f"第 {rec.row} 行"


class _Check:
    """Collects problems and knows which rows have errors."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.bad: set[int] = set()  # _Rec.index of rows with an error
        self.truncated = False

    def _add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        elif not self.truncated:
            self.truncated = True
            self.problems.append(
                Problem(None, "", None, f"问题过多，只列出前 {MAX_PROBLEMS:,} 条", "warning")
            )

    def note(self, reason: str, sheet: str = "", row: int | None = None) -> None:
        """A warning about the file or a sheet, not about one cell."""
        self._add(Problem(row, "", None, reason, "warning", sheet))

    def error(self, rec: _Rec, key: str, reason: str) -> None:
        self.bad.add(rec.index)
        self._about_cell(rec, key, reason, "error")

    def warn(self, rec: _Rec, key: str, reason: str) -> None:
        self._about_cell(rec, key, reason, "warning")

    def _about_cell(self, rec: _Rec, key: str, reason: str, kind: str) -> None:
        header = rec.layout.headers.get(key, key)
        self._add(Problem(rec.row, header, self._value(rec, key), reason, kind, rec.sheet))

    def _value(self, rec: _Rec, key: str) -> str | None:
        raw = rec.raw.get(key)
        if raw is None:
            return None
        return _mask_id(raw) if key == "id_number" else _display(raw)

    def is_bad(self, rec: _Rec) -> bool:
        return rec.index in self.bad

    def ok(self, rec: _Rec, *keys: str) -> bool:
        """The row has no error, or (with keys) these parsed values are all usable."""
        if not keys:
            return rec.index not in self.bad
        return all(k in rec.values for k in keys)


# A row that only sums others: 小计, 合计, 总计, 累计, 本月合计, 城关区小计, 合 计…
_TOTAL = re.compile(r"^.{0,12}?(小计|合计|总计|累计|共计)[:：]?$")


def _skip_reason(ledger: Ledger, values: list, layout: _Layout) -> str | None:
    """Why a row is not a record: the template's example row, or a total row."""
    texts = "".join(v for v in values if isinstance(v, str))
    if EXAMPLE_MARK not in texts and "计" not in texts:  # every total word ends in 计
        return None
    for pos, col in layout.columns.items():
        value = values[pos] if pos < len(values) else None
        if not isinstance(value, str):
            continue
        text = re.sub(r"\s", "", _norm(value))
        if col.kind in ("code", "text") and text.startswith(EXAMPLE_MARK):
            return f"是模板的示例行（“{layout.headers[col.key]}”为“{text[:30]}”），已跳过，未导入"
    for value in values:
        if isinstance(value, str) and len(value) <= 20:
            text = re.sub(r"\s", "", _norm(value))
            if _TOTAL.match(text):
                return f"是合计行（“{text}”），已跳过：合计不作为一条记录导入"
    return None


def _fill_merged(sheet: Sheet, layout: _Layout, check: _Check) -> list[tuple[int, list]]:
    """A vertical merge in the data means the same value on every row it spans: give each
    row the value of the merge's first cell, and say so once per merge."""
    rows = sheet.rows
    merges = [m for m in sheet.merged if m[2] > m[0] and m[2] > layout.header_row]
    if not merges:
        return rows
    numbers = [n for n, _ in rows]
    by_number = {n: list(v) for n, v in rows}
    for r1, c1, r2, c2 in merges:
        top = by_number.get(r1)
        if top is None or r1 <= layout.header_row:
            continue
        first = top[c1 - 1] if c1 - 1 < len(top) else None
        if _blank(first):
            continue
        start, stop = bisect.bisect_right(numbers, r1), bisect.bisect_right(numbers, r2)
        for number in numbers[start:stop]:
            row = by_number[number]
            for c in range(c1, c2 + 1):
                if c - 1 >= len(row):
                    row.extend([None] * (c - len(row)))
                if _blank(row[c - 1]):
                    row[c - 1] = first
        col = layout.columns.get(c1 - 1)
        if col is not None and stop > start:
            check.note(
                f"第 {r1}–{r2} 行“{layout.headers[col.key]}”列是合并单元格，"
                f"已按“{_display(first)[:30]}”填入每一行",
                layout.label,
                r1,
            )
    return [(n, by_number[n]) for n in numbers]


def _parse_cells(
    ledger: Ledger,
    sheet: Sheet,
    layout: _Layout,
    check: _Check,
    areas: Areas,
    first_index: int,
    summary: SheetSummary,
) -> list[_Rec]:
    recs = []
    # Ledgers repeat their values (the county, the line, the date): parse each once.
    parsed: dict[tuple, object] = {}
    index = first_index
    for number, values in _fill_merged(sheet, layout, check):
        if number <= layout.header_row:
            continue
        skip = _skip_reason(ledger, values, layout)
        if skip:
            summary.skipped += 1
            check.note(f"第 {number} 行{skip}", layout.label, number)
            continue
        rec = _Rec(index, number, layout, {}, {})
        index += 1
        for pos, col in layout.columns.items():
            value = values[pos] if pos < len(values) else None
            if _blank(value):
                if col.required:
                    rec.raw[col.key] = None
                    check.error(rec, col.key, "必填项为空")
                else:
                    rec.values[col.key] = None
                continue
            rec.raw[col.key] = value
            result = _parse_memo(parsed, col, value, layout, areas)
            if isinstance(result, CellError):
                check.error(rec, col.key, str(result))
            else:
                rec.values[col.key] = result
                if col.kind == "code" and isinstance(value, int | float):
                    rec.number_codes += (col.key,)
        for pos, col in layout.twins.items():
            value = values[pos] if pos < len(values) else None
            if _blank(value) or not check.ok(rec, col.key):
                continue
            result = _parse_memo(parsed, col, value, layout, areas)
            if not isinstance(result, CellError) and result != rec.values[col.key]:
                check.error(
                    rec,
                    col.key,
                    f"与同一行的“{_display(value)[:30]}”不是同一个地区，请核对",
                )
        _check_prefecture(rec, check, areas)
        recs.append(rec)
    return recs


def _parse_memo(parsed: dict, col: Column, value, layout: _Layout, areas: Areas):
    memo = (col.key, value) if type(value) is str else (col.key, type(value), repr(value))
    result = parsed.get(memo)
    if result is None:
        try:
            result = _parse(col, value, layout, areas)
        except CellError as exc:
            result = exc
        if len(parsed) < 200_000:
            parsed[memo] = result
    return result


def _check_prefecture(rec: _Rec, check: _Check, areas: Areas) -> None:
    """A 市州 column must agree with the row's 县区."""
    pref, county = rec.values.pop("prefecture", None), rec.values.get("county_code")
    if pref and county and prefecture_of(county) != pref:
        check.error(
            rec,
            "prefecture",
            f"与县区“{areas.name_of.get(county, county)}”所属的"
            f"“{areas.prefecture_name.get(prefecture_of(county), '')}”不一致，请核对",
        )


def _parse(col: Column, value, layout: _Layout, areas: Areas):
    if isinstance(value, Uncalculated):
        raise CellError(
            "是公式，但文件中没有保存计算结果：请在 Excel 或 WPS 中打开并保存一次，"
            "或复制后“选择性粘贴 → 数值”"
        )
    if isinstance(value, CellFault):
        raise CellError(f"是 Excel 错误值 {value.code}，请改正公式或填写数值")
    kind = col.kind
    if kind == "prefecture":
        return areas.resolve_prefecture(value)
    if kind in ("text", "code"):
        text = _text(value)
        if not text:
            raise CellError("不能只有空格")
        if col.max_length and len(text) > col.max_length:
            raise CellError(f"超过 {col.max_length} 个字")
        return text
    if kind == "area":
        return areas.resolve(value)
    if kind == "date":
        return parse_date(value)
    if kind == "month":
        return parse_month(value)
    if kind == "money":
        return parse_money(value, layout.money_factor[col.key])
    if kind == "int":
        return _count(value)
    if kind == "decimal":
        return _amount(value)
    if kind == "coord":
        return _coord(value)
    if kind == "choice":
        return _choice(col, value)
    if kind == "bool":
        return _bool(value)
    if kind == "id_number":
        return parse_id_number(value)
    if kind == "phone4":
        return _phone4(value)
    raise AssertionError(kind)


def _chunks(items: Sequence, size: int = 500) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ids_by_code(conn: Connection, model, codes: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    codes = sorted(set(codes))
    for chunk in _chunks(codes):
        found.update(conn.execute(select(model.code, model.id).where(model.code.in_(chunk))).all())
    return found


def _placed(conn: Connection, model, codes: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Records by code: code → (id, county)."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(sorted(set(codes))):
        for code, id_, county in conn.execute(
            select(model.code, model.id, model.county_code).where(model.code.in_(chunk))
        ):
            found[code] = (id_, county)
    return found


@dataclass
class _Context:
    conn: Connection
    ledger: Ledger
    check: _Check
    scope: Scope
    year: int | None
    today: dt.date
    replace: bool = False


# Scope on writes. A row is refused when the area it gives, the record it would change, or a
# record it refers to lies outside the viewer's scope. What the refusal says never depends on
# what the other record holds: a record elsewhere that the row refers to reads exactly like a
# code that exists nowhere, and a code already used elsewhere says only that (codes are unique
# in the whole province, so such a row can neither be added nor change the other record).
OUTSIDE_AREA = "超出您的管辖范围，不能导入其他地区的数据"
OUTSIDE_RECORD = (
    "此编码已被您管辖范围以外的记录使用，不能在此导入或修改；请核对编码，或请上级残联处理"
)
OUTSIDE_ID_NUMBER = "此身份证号已登记在您管辖范围以外的对象名下，请与上级残联核实"


def _allows(ctx: _Context, county: str) -> bool:
    return ctx.scope.allows(prefecture_of(county), county)


def _in_scope(ctx: _Context, rec: _Rec, county: str, key: str) -> bool:
    if _allows(ctx, county):
        return True
    ctx.check.error(rec, key, OUTSIDE_AREA)
    return False


def _unknown(ctx: _Context, what: str, ledger_title: str) -> str:
    """The reason for a code that names no record the viewer may use."""
    within = "" if ctx.scope == PROVINCE else "，或不在您的管辖范围内"
    return f"未知的{what}编码{within}（请先导入{ledger_title}）"


def _dates(ctx: _Context, rec: _Rec, key: str, what: str) -> None:
    """The 年度 option and the no-future rule for a ledger's own date."""
    date = rec.values.get(key)
    if date is None:
        return
    if ctx.year and date.year != ctx.year:
        ctx.check.error(rec, key, f"{what}不在所选年度（{ctx.year}年）内")
    elif date > ctx.today:
        ctx.check.error(rec, key, f"{what}晚于今天（{ctx.today.isoformat()}），不能是将来的日期")


# Each ledger: resolve references into database fields, the natural key, how to describe it,
# which database fields it writes, and how existing rows are found.


@dataclass(frozen=True)
class _Ops:
    model: type
    fields: tuple[str, ...]  # database fields written (key fields included)
    optional: dict[str, str]  # database field → column key: left alone if the column is absent
    defaults: dict[str, object]
    # The stored field that places a record in an area: a row may change a stored record only
    # where that area is in the viewer's scope. None: the record lies where a reference puts it.
    area: str | None = "county_code"


OPS = {
    "disbursements": _Ops(
        Disbursement,
        ("line_id", "county_code", "paid_on", "amount_fen", "voucher"),
        {"voucher": "voucher"},
        {},
    ),
    "facilities": _Ops(
        Facility,
        (
            "code",
            "kind",
            "name",
            "county_code",
            "address",
            "lon",
            "lat",
            "status",
            "status_since",
            "opened_on",
            "disabled_jobs",
            "places",
            "people_served",
            "operator",
            "illustrative",
        ),
        {
            k: k
            for k in (
                "address",
                "opened_on",
                "disabled_jobs",
                "places",
                "people_served",
                "operator",
            )
        },
        {"illustrative": False},
    ),
    "cadres": _Ops(
        Cadre,
        ("code", "name", "level", "unit", "county_code", "phone_last4", "active", "illustrative"),
        {"phone_last4": "phone_last4", "active": "active"},
        {"illustrative": False, "active": True},
    ),
    "recipients": _Ops(
        Recipient,
        (
            "code",
            "name",
            "id_hash",
            "id_last4",
            "county_code",
            "category",
            "grade",
            "eligible",
            "illustrative",
        ),
        {"id_hash": "id_number", "id_last4": "id_number", "eligible": "eligible"},
        {"illustrative": False, "eligible": True},
    ),
    "pairings": _Ops(
        Pairing,
        ("cadre_id", "recipient_id", "started_on", "ended_on"),
        {"ended_on": "ended_on"},
        {},
        area=None,  # in its recipient's area: the recipient must be in scope (_resolve_people)
    ),
    "contacts": _Ops(
        Contact,
        ("pairing_id", "contacted_on", "channel", "county_code", "note"),
        {"note": "note"},
        {},
    ),
    "indicator_values": _Ops(
        IndicatorValue,
        ("indicator_id", "county_code", "month", "value", "illustrative"),
        {},
        {"illustrative": False},
    ),
}


LEDGER_MODEL = {name: ops.model for name, ops in OPS.items()}


def _resolve(ctx: _Context, recs: list[_Rec]) -> None:
    """References and business rules, per ledger; sets database fields on usable rows."""
    conn, check, name = ctx.conn, ctx.check, ctx.ledger.name
    for rec in recs:
        county = rec.values.get("county_code")
        if county:
            _in_scope(ctx, rec, county, "county_code")
    if name == "disbursements":
        lines = {
            (y, c): i
            for y, c, i in conn.execute(select(BudgetLine.year, BudgetLine.code, BudgetLine.id))
        }
        for rec in recs:
            _dates(ctx, rec, "paid_on", "支付日期")
            if check.ok(rec, "line_code", "paid_on"):
                line = lines.get((rec.values["paid_on"].year, rec.values["line_code"]))
                if line is None:
                    check.error(rec, "line_code", f"{rec.values['paid_on'].year}年没有这个预算科目")
                else:
                    rec.values["line_id"] = line
    elif name == "facilities":
        for rec in recs:
            if check.ok(rec, "lon", "lat"):
                lon, lat = rec.values["lon"], rec.values["lat"]
                if 3 <= lon <= 54 and 73 <= lat <= 136:
                    check.error(rec, "lon", "经度和纬度似乎填反了")
                elif not 73 <= lon <= 136:
                    check.error(rec, "lon", "经度超出中国范围（73–136）")
                elif not 3 <= lat <= 54:
                    check.error(rec, "lat", "纬度超出中国范围（3–54）")
                elif check.ok(rec, "county_code") and not _inside(
                    rec.values["county_code"], lon, lat
                ):
                    check.warn(rec, "lon", "坐标不在所填县区范围内，请核对")
            if rec.values.get("kind") == "love_hut" and rec.values.get("places") is not None:
                check.warn(rec, "places", "“爱心屋”一般不填床位数")
            opened = rec.values.get("opened_on")
            if opened and opened > ctx.today:
                check.error(rec, "opened_on", "开业日期晚于今天")
            if check.ok(rec, "status_since") and rec.values["status_since"] > ctx.today:
                check.warn(rec, "status_since", "状态日期晚于今天")
    elif name == "recipients":
        id_hash = idnumbers.hasher(conn)
        for rec in recs:
            number = rec.values.pop("id_number", None)
            if number:
                rec.values["id_hash"], rec.values["id_last4"] = id_hash(number), number[-4:]
            if check.ok(rec, "grade"):
                rec.values["grade"] = int(rec.values["grade"])
        hashes = {rec.values["id_hash"]: rec for rec in recs if rec.values.get("id_hash")}
        for chunk in _chunks(sorted(hashes)):
            for code, digest, county in conn.execute(
                select(Recipient.code, Recipient.id_hash, Recipient.county_code).where(
                    Recipient.id_hash.in_(chunk)
                )
            ):
                rec = hashes[digest]
                if rec.values.get("code") == code:
                    continue
                if _allows(ctx, county):
                    check.error(rec, "id_number", f"此身份证号已登记在对象“{code}”名下")
                else:
                    check.error(rec, "id_number", OUTSIDE_ID_NUMBER)
        seen: dict[str, int] = {}
        for rec in recs:
            digest = rec.values.get("id_hash")
            if digest and digest in seen:
                check.error(rec, "id_number", f"与第 {seen[digest]} 行的身份证号相同")
            elif digest:
                seen[digest] = rec.row
    elif name in ("pairings", "contacts"):
        _resolve_people(ctx, recs)
        if name == "pairings":
            for rec in recs:
                start, end = rec.values.get("started_on"), rec.values.get("ended_on")
                if start and start > ctx.today:
                    check.error(rec, "started_on", "结对日期晚于今天")
                if start and end and end < start:
                    check.error(rec, "ended_on", "结束日期早于结对日期")
        else:
            _resolve_contacts(ctx, recs)
    elif name == "indicator_values":
        indicators = {
            row.code: row
            for row in conn.execute(
                select(
                    Indicator.id,
                    Indicator.code,
                    Indicator.name_zh,
                    Indicator.kind,
                    Indicator.source,
                )
            )
        }
        by_name = {row.name_zh: row for row in indicators.values()}
        for rec in recs:
            _dates(ctx, rec, "month", "月份")
            if not check.ok(rec, "indicator_code"):
                continue
            text = rec.values["indicator_code"]
            ind = indicators.get(text) or by_name.get(text)
            if ind is None:
                check.error(rec, "indicator_code", "未知的指标编码")
            elif ind.source != "values":
                check.error(
                    rec, "indicator_code", "此指标由设施台账或联系记录自动计算，不能导入完成值"
                )
            else:
                rec.values["indicator_id"] = ind.id
                value = rec.values.get("value")
                if ind.kind == "rate" and value is not None and value > 100:
                    check.error(rec, "value", "比率类指标的完成值应在 0–100（%）之间")


def _resolve_people(ctx: _Context, recs: list[_Rec]) -> None:
    """The cadre and the recipient a pairing or a contact names, as ids. Both must be in the
    viewer's scope; the one exception is a cadre of another area already paired with a recipient
    inside the scope (say a prefecture cadre paired in one of its counties): that pairing lies
    in the recipient's area and already shows the cadre there."""
    conn, check = ctx.conn, ctx.check
    cadres = _placed(
        conn, Cadre, (r.values["cadre_code"] for r in recs if check.ok(r, "cadre_code"))
    )
    recipients = _placed(
        conn, Recipient, (r.values["recipient_code"] for r in recs if check.ok(r, "recipient_code"))
    )
    for rec in recs:
        if check.ok(rec, "recipient_code"):
            found = recipients.get(rec.values["recipient_code"])
            if found is None or not _allows(ctx, found[1]):
                check.error(rec, "recipient_code", _unknown(ctx, "对象", "困难重度残疾人名册"))
            else:
                rec.values["recipient_id"], rec.values["county_code"] = found
    elsewhere = sorted({cid for cid, county in cadres.values() if not _allows(ctx, county)})
    paired: set[tuple[int, int]] = set()
    for chunk in _chunks(elsewhere):
        paired.update(
            conn.execute(
                select(Pairing.cadre_id, Pairing.recipient_id).where(Pairing.cadre_id.in_(chunk))
            ).all()
        )
    for rec in recs:
        if not check.ok(rec, "cadre_code"):
            continue
        found = cadres.get(rec.values["cadre_code"])
        if found is not None and (
            _allows(ctx, found[1]) or (found[0], rec.values.get("recipient_id")) in paired
        ):
            rec.values["cadre_id"] = found[0]
        else:
            check.error(rec, "cadre_code", _unknown(ctx, "干部", "干部名册"))


def _inside(county: str, lon: Decimal, lat: Decimal) -> bool:
    try:
        return geography.contains(county, "county", float(lon), float(lat))
    except (KeyError, LookupError, StopIteration):
        return True  # no boundary to check against


def _resolve_contacts(ctx: _Context, recs: list[_Rec]) -> None:
    conn, check = ctx.conn, ctx.check
    cadre_ids = sorted({r.values["cadre_id"] for r in recs if "cadre_id" in r.values})
    spans: dict[tuple[int, int], list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for chunk in _chunks(cadre_ids):
        for pid, cid, rid, start, end in conn.execute(
            select(
                Pairing.id,
                Pairing.cadre_id,
                Pairing.recipient_id,
                Pairing.started_on,
                Pairing.ended_on,
            ).where(Pairing.cadre_id.in_(chunk))
        ):
            spans[(cid, rid)].append((pid, start, end))
    for rec in recs:
        _dates(ctx, rec, "contacted_on", "联系日期")
        if not check.ok(rec, "cadre_id", "recipient_id"):
            continue
        pairings = spans.get((rec.values["cadre_id"], rec.values["recipient_id"]))
        if not pairings:
            check.error(rec, "recipient_code", "该干部与该对象没有结对关系（请先导入结对关系）")
            continue
        date = rec.values.get("contacted_on")
        if date is None:
            continue
        current = [p for p in pairings if p[1] <= date and (p[2] is None or date <= p[2])]
        if not current:
            first = min(p[1] for p in pairings)
            check.error(
                rec, "contacted_on", f"联系日期不在结对期间内（结对自 {first.isoformat()} 起）"
            )
            continue
        rec.values["pairing_id"] = max(current, key=lambda p: p[1])[0]


def _key(ledger: Ledger, rec: _Rec) -> tuple | None:
    """The row's identity. A part that is optional (the voucher number of a payment) counts
    when the row has it."""
    try:
        return tuple(
            rec.values.get(k) if k in ledger.optional_key else rec.values[k] for k in ledger.key
        )
    except KeyError:
        return None


def _describe_key(keys: list[str], rec: _Rec) -> str:
    """The row's natural key as the file writes it, for the list of what would change."""
    return " · ".join(_display(rec.raw[k]) for k in keys if rec.raw.get(k) is not None)


def _month_span(months: Iterable[dt.date]) -> tuple[dt.date, dt.date]:
    months = sorted(months)
    last = months[-1]
    end = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return months[0].replace(day=1), end


def _existing(ctx: _Context, recs: list[_Rec]) -> list[tuple[int, dict]]:
    """The stored rows that may be the file's rows: (id, fields)."""
    conn, ledger, ops = ctx.conn, ctx.ledger, OPS[ctx.ledger.name]
    table = ops.model.__table__
    columns = [table.c.id, *(table.c[f] for f in ops.fields)]
    keyed = [r for r in recs if r.key is not None]
    if not keyed:
        return []
    first = ledger.key[0]
    wanted = sorted({r.values[first] for r in keyed}, key=str)
    where = []
    if ledger.dated:
        dates = [r.values[ledger.dated] for r in keyed]
        where.append(table.c[ledger.dated].between(min(dates), max(dates)))
    found: list[tuple[int, dict]] = []
    for chunk in _chunks(wanted):
        stmt = select(*columns).where(and_(table.c[first].in_(chunk), *where))
        for row in conn.execute(stmt).mappings():
            found.append((row["id"], {f: row[f] for f in ops.fields}))
    return found


def _period_rows(ctx: _Context, periods: set[tuple[str, dt.date]]) -> list[tuple[int, dict]]:
    """The stored rows of the counties and months a file covers (replace mode)."""
    conn, ledger, ops = ctx.conn, ctx.ledger, OPS[ctx.ledger.name]
    table = ops.model.__table__
    columns = [table.c.id, *(table.c[f] for f in ops.fields)]
    start, end = _month_span(m for _, m in periods)
    counties = sorted({c for c, _ in periods})
    out = []
    for chunk in _chunks(counties):
        stmt = select(*columns).where(
            table.c.county_code.in_(chunk), table.c[ledger.dated].between(start, end)
        )
        for row in conn.execute(stmt).mappings():
            fields = {f: row[f] for f in ops.fields}
            if (fields["county_code"], _month(fields[ledger.dated])) in periods:
                out.append((row["id"], fields))
    return out


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def _loose_match(ledger: Ledger, fields: dict, stored: list[tuple[int, dict]]) -> int | None:
    """The stored row a file row corrects although its identity differs, or None.

    A payment without a voucher number is the stored payment with the same line, county, day
    and amount; one with a voucher number may be a stored payment that had none. A pairing
    whose 结对日期 was corrected is the stored pairing of the same cadre and person whose
    period overlaps it: the same two people are never paired twice at once."""
    if ledger.name == "disbursements":
        for i, (_id, s) in enumerate(stored):
            if fields.get("voucher") is None or s.get("voucher") is None:
                return i
        return None
    if ledger.name == "pairings":
        start, end = fields["started_on"], fields.get("ended_on") or dt.date.max
        for i, (_id, s) in enumerate(stored):
            if s["started_on"] <= end and start <= (s.get("ended_on") or dt.date.max):
                return i
    return None


_LOOSE_KEY = {
    "disbursements": ("line_id", "county_code", "paid_on", "amount_fen"),
    "pairings": ("cadre_id", "recipient_id"),
}


def _same(a, b) -> bool:
    if isinstance(a, Decimal | float) or isinstance(b, Decimal | float):
        if a is None or b is None:
            return a is b
        return Decimal(str(a)).quantize(Decimal("0.00001")) == Decimal(str(b)).quantize(
            Decimal("0.00001")
        )
    if isinstance(a, dt.datetime):
        a = a.date()
    if isinstance(b, dt.datetime):
        b = b.date()
    return a == b


_FIELD_LABEL = {
    "started_on": "结对日期",
    "kind": "设施类型",
    "name": "名称",
    "county_code": "县区",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "status": "状态",
    "status_since": "状态日期",
    "opened_on": "开业日期",
    "disabled_jobs": "安置就业人数",
    "places": "床位数",
    "people_served": "服务人数",
    "operator": "运营方",
    "illustrative": "示意数据标记",
    "level": "层级",
    "unit": "单位",
    "phone_last4": "手机号后四位",
    "active": "在岗",
    "id_hash": "身份证号",
    "id_last4": "身份证号末4位",
    "category": "残疾类别",
    "grade": "残疾等级",
    "eligible": "纳入结对",
    "ended_on": "结束日期",
    "note": "备注",
    "value": "完成值",
    "voucher": "凭证号",
}


def _record(ledger: Ledger, rec: _Rec) -> dict:
    """The database fields this row writes; optional columns absent from the file (and an empty
    identity number or voucher number) leave what is stored alone."""
    ops = OPS[ledger.name]
    out = {}
    for f in ops.fields:
        col = ops.optional.get(f)
        if col and col not in rec.layout.headers:
            continue
        if f in ("id_hash", "id_last4", "voucher") and rec.values.get(f) is None:
            continue
        out[f] = rec.values[f] if f in rec.values else ops.defaults.get(f)
    return out


def _compare(ctx: _Context, recs: list[_Rec]) -> list[tuple[int, dict]]:
    """added / changed / unchanged per row; returns the stored rows that replace mode removes."""
    ledger, check = ctx.ledger, ctx.check
    first_seen: dict[tuple, _Rec] = {}
    for rec in recs:
        if check.is_bad(rec):
            continue
        rec.key = _key(ledger, rec)
        if rec.key is None:
            continue
        other = first_seen.get(rec.key)
        if other is not None:
            hint = ""
            if ledger.name == "disbursements" and rec.values.get("voucher") is None:
                hint = "；如是两笔不同的支付，请分别填写凭证号"
            check.error(
                rec,
                ledger.columns[0].key,
                f"与{_where(other)}重复（{'、'.join(_key_headers(ledger))}相同）{hint}",
            )
            rec.key = None
        else:
            first_seen[rec.key] = rec
    live = [r for r in recs if not check.is_bad(r) and r.key is not None]
    stored = _existing(ctx, live)
    exact = {tuple(f[k] for k in ledger.key): (i, f) for i, f in stored}
    claimed: set[int] = set()
    found: dict[int, tuple[int, dict]] = {}
    for rec in live:
        hit = exact.get(rec.key)
        if hit is not None:
            found[rec.index] = hit
            claimed.add(hit[0])
    loose_key = _LOOSE_KEY.get(ledger.name)
    if loose_key:
        loose: dict[tuple, list[tuple[int, dict]]] = defaultdict(list)
        for i, f in stored:
            if i not in claimed:
                loose[tuple(f[k] for k in loose_key)].append((i, f))
        for rec in live:
            if rec.index in found:
                continue
            candidates = loose.get(tuple(rec.values.get(k) for k in loose_key), [])
            at = _loose_match(ledger, rec.values, candidates)
            if at is not None:
                found[rec.index] = candidates.pop(at)
                claimed.add(found[rec.index][0])
    for rec in recs:
        if check.is_bad(rec) or rec.key is None:
            rec.action = "rejected"
            continue
        record = _record(ledger, rec)
        hit = found.get(rec.index)
        if hit is None:
            rec.action = "added"
            continue
        rec.existing_id, fields = hit
        area = OPS[ledger.name].area
        if area and not _allows(ctx, fields[area]):
            check.error(rec, ledger.columns[0].key, OUTSIDE_RECORD)
            rec.action, rec.existing_id = "rejected", None
            continue
        diffs = [f for f, v in record.items() if not _same(v, fields.get(f))]
        if diffs:
            rec.action = "changed"
            rec.detail = "、".join(dict.fromkeys(_FIELD_LABEL.get(f, f) for f in diffs))
        else:
            rec.action = "unchanged"
    if not ctx.replace:
        return []
    periods = {(r.values["county_code"], _month(r.values[ledger.dated])) for r in live}
    if not periods:
        return []
    return [(i, f) for i, f in _period_rows(ctx, periods) if i not in claimed]


def _key_columns(ledger: Ledger) -> list[str]:
    """The file's columns that make up the natural key."""
    names = {
        "line_id": "line_code",
        "cadre_id": "cadre_code",
        "recipient_id": "recipient_code",
        "pairing_id": "cadre_code",
        "indicator_id": "indicator_code",
    }
    keys = [names.get(k, k) for k in ledger.key]
    if ledger.name == "contacts":
        keys.insert(1, "recipient_code")
    return list(dict.fromkeys(keys))


def _key_headers(ledger: Ledger) -> list[str]:
    return [ledger.column(k).header for k in _key_columns(ledger)]


def _over_plan(ctx: _Context, recs: list[_Rec]) -> None:
    """Warn where the disbursements of a line in a county would pass the county's plan."""
    conn = ctx.conn
    adding = [r for r in recs if r.action == "added"]
    if not adding:
        return
    groups = sorted({(r.values["line_id"], r.values["county_code"]) for r in adding})
    lines = sorted({g[0] for g in groups})
    plans = {
        (line, county): fen
        for line, county, fen in conn.execute(
            select(
                BudgetAllocation.line_id, BudgetAllocation.county_code, BudgetAllocation.planned_fen
            ).where(BudgetAllocation.line_id.in_(lines))
        )
    }
    paid = {
        (line, county): int(total or 0)
        for line, county, total in conn.execute(
            select(
                Disbursement.line_id, Disbursement.county_code, func.sum(Disbursement.amount_fen)
            )
            .where(Disbursement.line_id.in_(lines))
            .group_by(Disbursement.line_id, Disbursement.county_code)
        )
    }
    running = {g: paid.get(g, 0) for g in groups}
    warned: set[tuple] = set()
    for rec in adding:
        group = (rec.values["line_id"], rec.values["county_code"])
        running[group] += rec.values["amount_fen"]
        plan = plans.get(group)
        if group in warned:
            continue
        if plan is None:
            warned.add(group)
            ctx.check.warn(rec, "line_code", "该县区没有此科目的计划分配，无法核对是否超计划")
        elif running[group] > plan:
            warned.add(group)
            ctx.check.warn(
                rec,
                "amount_fen",
                f"导入后该县区此科目累计支出 {Decimal(running[group]) / 100:,.2f} 元，"
                f"超过计划 {Decimal(plan) / 100:,.2f} 元",
            )


@dataclass
class _Plan:
    outcome: Outcome
    recs: list[_Rec]
    removed: list[tuple[int, dict]] = field(default_factory=list)


def _sheets(ledger: Ledger, book: Workbook, outcome: Outcome) -> list[tuple[Sheet, _Layout]]:
    """Every visible sheet whose header is this ledger's; the others named with the reason."""
    found: list[tuple[Sheet, _Layout]] = []
    first_refusal: str | None = None
    for name in book.hidden:
        outcome.sheets.append(SheetSummary(name, False, "隐藏的工作表"))
    for sheet in book.sheets:
        if not sheet.rows:
            outcome.sheets.append(SheetSummary(sheet.name, False, "空表"))
            continue
        try:
            layout = _layout(ledger, sheet)
        except _NotLedger as exc:
            first_refusal = first_refusal or str(exc)
            outcome.sheets.append(SheetSummary(sheet.name, False, "表头不是本台账的"))
            continue
        except Refused as exc:
            raise Refused(f"工作表“{sheet.name}”：{exc}" if sheet.name else str(exc)) from exc
        if not any(number > layout.header_row for number, _ in sheet.rows):
            outcome.sheets.append(SheetSummary(sheet.name, False, "只有表头，没有数据行"))
            continue
        found.append((sheet, layout))
    if not found:
        if not any(s.rows for s in book.sheets):
            raise Refused("文件中没有任何数据（是空表）。")
        if all(not s.read and s.reason == "只有表头，没有数据行" for s in outcome.sheets):
            raise Refused("文件只有表头，没有数据行。")
        hidden = f"（隐藏的工作表不读取：{'、'.join(book.hidden)}）" if book.hidden else ""
        raise Refused((first_refusal or "找不到表头。") + hidden)
    return found


def _plan(
    conn: Connection,
    ledger: Ledger,
    data: bytes,
    file_name: str,
    *,
    scope: Scope,
    year: int | None,
    today: dt.date,
    outcome: Outcome,
    replace: bool = False,
    progress: Progress = _quiet,
) -> _Plan:
    progress(0.0, "读取文件…")
    try:
        book = read_file(data, file_name)
        outcome.file_format = book.file_format
        if replace and not ledger.dated:
            raise Refused(f"“{ledger.title}”没有月份，不能按县区和月份替换。")
        sheets = _sheets(ledger, book, outcome)
    except Refused as exc:
        outcome.refusal = str(exc)
        return _Plan(outcome, [])
    check = _Check()
    areas = Areas(conn)
    recs: list[_Rec] = []
    total = max(1, sum(len(sheet.rows) for sheet, _ in sheets))
    progress(0.15, f"逐行检查（共 {total:,} 行）…")
    for sheet, layout in sheets:
        layout.summary = SheetSummary(sheet.name, True)
        layout.label = sheet.name if len(sheets) > 1 else ""
        outcome.sheets.append(layout.summary)
        if layout.ignored:
            check.note(f"已忽略无法识别的列：{'、'.join(layout.ignored[:10])}", layout.label)
        if sheet.formulas:
            cells = "、".join(sheet.formulas[:5]) + ("等" if len(sheet.formulas) > 5 else "")
            check.note(
                f"有 {len(sheet.formulas):,} 个公式单元格（{cells}），已按文件中保存的计算结果读取",
                layout.label,
            )
        recs.extend(_parse_cells(ledger, sheet, layout, check, areas, len(recs), layout.summary))
        sheet.rows = []  # the parsed rows hold what is needed of the cells
        progress(0.15 + 0.4 * len(recs) / total, f"逐行检查：{len(recs):,} / {total:,} 行")
        _note_blanks(ledger, layout, [r for r in recs if r.layout is layout], check)
    if len(recs) > MAX_ROWS:
        outcome.refusal = (
            f"行数超过上限（{MAX_ROWS:,} 行）：文件中有 {len(recs):,} 行数据。"
            "请拆分成几个文件分批导入。"
        )
        return _Plan(outcome, [])
    ctx = _Context(conn, ledger, check, scope, year, today, replace)
    progress(0.55, "核对编码、地区和引用…")
    _resolve(ctx, recs)
    _lookalike_codes(ctx, recs)
    progress(0.7, "与已有数据比对…")
    removed = _compare(ctx, recs)
    if ledger.name == "disbursements":
        _over_plan(ctx, recs)
    outcome.problems = sorted(
        check.problems, key=lambda p: (p.sheet != "", p.row or 0, p.level != "error")
    )
    outcome.rows_total = len(recs)
    for rec in recs:
        if check.is_bad(rec):
            rec.action = "rejected"
    counts: dict[str, int] = defaultdict(int)
    keys = _key_columns(ledger)
    for rec in recs:
        counts[rec.action] += 1
        summary = rec.layout.summary
        setattr(summary, rec.action, getattr(summary, rec.action) + 1)
        summary.rows += 1
        outcome.actions.append(
            RowAction(rec.row, rec.action, _describe_key(keys, rec), rec.detail, rec.sheet)
        )
    outcome.added, outcome.changed = counts["added"], counts["changed"]
    outcome.unchanged, outcome.rejected = counts["unchanged"], counts["rejected"]
    outcome.skipped = sum(s.skipped for s in outcome.sheets)
    if replace:
        outcome.replace = True
        _removals(ctx, recs, removed, areas, outcome)
    return _Plan(outcome, recs, removed)


def _note_blanks(ledger: Ledger, layout: _Layout, recs: list[_Rec], check: _Check) -> None:
    """A blank cell of a column whose blank has a meaning (在岗: 是) takes it, and says so."""
    for col in ledger.columns:
        if col.blank is None or col.key not in layout.headers:
            continue
        blanks = [r for r in recs if col.key in r.values and r.values[col.key] is None]
        for rec in blanks:
            rec.values[col.key] = col.blank
        if blanks:
            rows = "、".join(str(r.row) for r in blanks[:5]) + ("等" if len(blanks) > 5 else "")
            check.note(
                f"“{layout.headers[col.key]}”列有 {len(blanks):,} 行留空（第 {rows} 行），"
                f"按“{'是' if col.blank is True else col.blank}”导入",
                layout.label,
            )


def _removals(
    ctx: _Context,
    recs: list[_Rec],
    removed: list[tuple[int, dict]],
    areas: Areas,
    outcome: Outcome,
) -> None:
    """What replace mode removes, in the outcome: counted per sheet (the first sheet that
    covers the county and month) and listed one record a line."""
    ledger = ctx.ledger
    layout_of: dict[tuple[str, dt.date], _Layout] = {}
    for rec in recs:
        if not ctx.check.is_bad(rec) and rec.key is not None:
            layout_of.setdefault(
                (rec.values["county_code"], _month(rec.values[ledger.dated])), rec.layout
            )
    outcome.periods = sorted({(c, f"{m:%Y-%m}") for c, m in layout_of})
    outcome.removed = len(removed)
    lines = []
    for _id, fields in removed:
        layout = layout_of[(fields["county_code"], _month(fields[ledger.dated]))]
        layout.summary.removed += 1
        lines.append(
            RowAction(0, "removed", _describe_stored(ctx, fields, areas), "", layout.label)
        )
    outcome.actions[:0] = lines  # what would be deleted comes first


def _describe_stored(ctx: _Context, fields: dict, areas: Areas) -> str:
    """A stored record as a clerk would recognise it: county, date and what it holds."""
    parts = [areas.name_of.get(fields["county_code"], fields["county_code"])]
    date = fields[ctx.ledger.dated]
    parts.append(f"{date:%Y-%m}" if ctx.ledger.dated == "month" else f"{date:%Y-%m-%d}")
    if "amount_fen" in fields:
        parts.append(f"{Decimal(fields['amount_fen']) / 100:,.2f} 元")
    if fields.get("voucher"):
        parts.append(str(fields["voucher"]))
    if "channel" in fields:
        labels = {v: k for k, v in ctx.ledger.column("channel").choices.items()}
        parts.append(labels.get(fields["channel"], fields["channel"]))
    if "value" in fields:
        parts.append(f"完成值 {fields['value']}")
    return " · ".join(parts)


def _lookalike_codes(ctx: _Context, recs: list[_Rec]) -> None:
    """A code typed into a number cell loses its leading zeros (0001 → 1): refuse it when a
    stored code differs from it only by them, and warn otherwise."""
    numbered = [r for r in recs if r.number_codes and not ctx.check.is_bad(r)]
    if not numbered:
        return
    models = {"code": LEDGER_MODEL.get(ctx.ledger.name), "cadre_code": Cadre}
    models["recipient_code"] = Recipient
    padded: dict[str, dict[str, str]] = {}
    for rec in numbered:
        for key in rec.number_codes:
            model = models.get(key)
            if model is None:
                continue
            if key not in padded:
                padded[key] = {
                    code.lstrip("0"): code
                    for (code,) in ctx.conn.execute(select(model.code).where(model.code.like("0%")))
                    if code.isdigit()
                }
            code = rec.values.get(key)
            stored = padded[key].get(str(code).lstrip("0"))
            if stored is not None and stored != code:
                ctx.check.error(
                    rec,
                    key,
                    f"已登记的编码是“{stored}”：Excel 把这一格当作数字，去掉了前导零。"
                    "请把该列设为“文本”格式后重新填写",
                )
            else:
                ctx.check.warn(
                    rec,
                    key,
                    "编码是数字格式：如原编码有前导零（如 0001），Excel 已把它去掉，"
                    "请把该列设为“文本”格式",
                )


# --- writing ----------------------------------------------------------------------------------


# From this many contacts written at once, the tally triggers are deferred and the tallies of
# the pairings concerned rebuilt once, inside the same transaction (tallies.py).
BULK_CONTACTS = 2_000


def _write(conn: Connection, ledger: Ledger, plan: _Plan, batch_id: int) -> None:
    adds = [r for r in plan.recs if r.action == "added"]
    changes = [r for r in plan.recs if r.action == "changed"]
    if ledger.name == "contacts" and len(adds) + len(changes) + len(plan.removed) >= BULK_CONTACTS:
        touched = {r.values["pairing_id"] for r in adds + changes}
        touched.update(fields["pairing_id"] for _id, fields in plan.removed)
        tallies.defer(conn)
        _write_rows(conn, ledger, plan, batch_id, adds, changes)
        tallies.rebuild_contacts(conn, touched)
    else:
        _write_rows(conn, ledger, plan, batch_id, adds, changes)


def _write_rows(
    conn: Connection,
    ledger: Ledger,
    plan: _Plan,
    batch_id: int,
    adds: list[_Rec],
    changes: list[_Rec],
) -> None:
    ops = OPS[ledger.name]
    model, table = ops.model, ops.model.__table__
    if plan.removed:
        ids = [i for i, _ in plan.removed]
        for chunk in _chunks(ids, 5_000):
            conn.execute(delete(table).where(table.c.id.in_(chunk)))
    rows = []
    for rec in adds:
        record = {f: ops.defaults.get(f) for f in ops.fields}
        record.update(_record(ledger, rec))
        record["batch_id"] = batch_id
        rows.append(record)
    for chunk in _chunks(rows, 5_000):
        conn.execute(insert(model), list(chunk))
    # Updates grouped by the set of fields they write (executemany needs one shape).
    shapes: dict[tuple, list[dict]] = defaultdict(list)
    for rec in changes:
        record = _record(ledger, rec)
        record["batch_id"] = batch_id
        shapes[tuple(sorted(record))].append({**record, "_id": rec.existing_id})
    for shape_rows in shapes.values():
        stmt = table.update().where(table.c.id == bindparam("_id"))
        for chunk in _chunks(shape_rows, 5_000):
            conn.execute(stmt, list(chunk))
    if ledger.name == "facilities":
        _status_changes(conn, adds + changes)
    _coverage(conn, ledger, plan, batch_id)


def _coverage(conn: Connection, ledger: Ledger, plan: _Plan, batch_id: int) -> None:
    """Record the county-months the batch's rows fall in (all rows the file brought in,
    unchanged ones too: the county sent them), so that 报送情况 knows what was received."""
    if not ledger.dated:
        return
    months: dict[tuple[str, dt.date], int] = defaultdict(int)
    for rec in plan.recs:
        day, county = rec.values.get(ledger.dated), rec.values.get("county_code")
        if rec.action != "rejected" and day is not None and county:
            months[(county, day.replace(day=1))] += 1
    if months:
        conn.execute(
            insert(BatchCoverage),
            [
                {"batch_id": batch_id, "county_code": c, "month": m, "rows": n}
                for (c, m), n in sorted(months.items())
            ],
        )


def _status_changes(conn: Connection, recs: list[_Rec]) -> None:
    """Append each facility's current status to its history, once."""
    ids = _ids_by_code(conn, Facility, (r.values["code"] for r in recs))
    wanted = {(ids[r.values["code"]], r.values["status"], r.values["status_since"]) for r in recs}
    if not wanted:
        return
    known = set()
    facility_ids = sorted({w[0] for w in wanted})
    for chunk in _chunks(facility_ids):
        known.update(
            conn.execute(
                select(
                    FacilityStatusChange.facility_id,
                    FacilityStatusChange.status,
                    FacilityStatusChange.changed_on,
                ).where(FacilityStatusChange.facility_id.in_(chunk))
            ).all()
        )
    new = sorted(w for w in wanted if w not in known)
    if new:
        conn.execute(
            insert(FacilityStatusChange),
            [{"facility_id": f, "status": s, "changed_on": d} for f, s, d in new],
        )


def _clip(text: str | None, n: int) -> str | None:
    return None if text is None else text[:n]


# One import at a time per process: a check or an import of a large file takes seconds of CPU,
# and two at once would starve every other session of the dashboard.
_ONE_AT_A_TIME = threading.Lock()


def run(
    engine: Engine,
    ledger_name: str,
    data: bytes,
    file_name: str,
    *,
    dry_run: bool = True,
    valid_only: bool = False,
    replace: bool = False,
    user: str = DEMO_USER,
    scope: Scope = PROVINCE,
    year: int | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Check (dry run) or import one ledger file. Returns the outcome; never raises for a
    bad file. A commit is one transaction: all valid rows and the batch record, or nothing.

    replace: the file is the whole record of each county and month it covers; stored records
    of those months that it no longer holds are removed. Only a file without errors replaces."""
    ledger = LEDGERS.get(ledger_name)
    outcome = Outcome(
        ledger_name, file_name or "", dry_run=dry_run, valid_only=valid_only, replace=replace
    )
    if ledger is None:
        outcome.refusal = f"未知的台账类型：{ledger_name}（可选：{'、'.join(LEDGERS)}）"
        return outcome
    problem = idnumbers.key_problem(engine)  # no writes without the ID-number key
    if problem:
        outcome.refusal = problem
        return outcome
    data = bytes(data or b"")
    outcome.sha256 = hashlib.sha256(data).hexdigest()
    today = today or dt.date.today()
    with _ONE_AT_A_TIME:
        try:
            return _run(
                engine,
                ledger,
                data,
                file_name,
                outcome,
                dry_run=dry_run,
                valid_only=valid_only,
                replace=replace,
                user=user,
                scope=scope,
                year=year,
                today=today,
                progress=progress or _quiet,
            )
        except OperationalError as exc:
            log.warning("import of %s failed: %r", file_name, exc)
            outcome.refusal = f"{fault_message(exc)}，未写入任何数据。请稍后重试或联系管理员。"
        except DBAPIError as exc:
            log.exception("import of %s failed", file_name)
            outcome.refusal = (
                f"写入数据库时出错，已全部撤销，未写入任何数据（{type(exc.orig).__name__}）。"
            )
        outcome.written, outcome.batch_id = False, None
        return outcome


def _run(
    engine: Engine,
    ledger: Ledger,
    data: bytes,
    file_name: str,
    outcome: Outcome,
    *,
    dry_run: bool,
    valid_only: bool,
    replace: bool,
    user: str,
    scope: Scope,
    year: int | None,
    today: dt.date,
    progress: Progress,
) -> Outcome:
    args = dict(
        scope=scope, year=year, today=today, outcome=outcome, replace=replace, progress=progress
    )
    if dry_run:
        with engine.connect() as conn:
            _plan(conn, ledger, data, file_name, **args)
            conn.rollback()
        progress(1.0, "完成")
        return outcome
    with engine.connect() as conn, conn.begin() as trans:
        # Taking a write lock first serialises imports: two at once cannot both add a row.
        set_meta(conn, "import_lock", outcome.sha256[:40])
        plan = _plan(conn, ledger, data, file_name, **args)
        blocked = outcome.rejected and (replace or not valid_only)
        if outcome.refusal or blocked or not (outcome.added or outcome.changed or outcome.removed):
            trans.rollback()
            progress(1.0, "完成")
            return outcome
        progress(0.85, "写入数据库…")
        sync_id_sequences(conn)
        batch_id = conn.execute(
            insert(ImportBatch).values(
                ledger=ledger.name,
                file_name=_clip(PurePath(file_name or "").name or "(未命名)", 255),
                sha256=outcome.sha256,
                rows_total=outcome.rows_total,
                rows_added=outcome.added,
                rows_changed=outcome.changed,
                rows_rejected=outcome.rejected,
                imported_by=_clip(user or DEMO_USER, 120),
                imported_at=dt.datetime.now(dt.UTC),
                status="partial" if outcome.rejected else "committed",
                prefecture_code=scope.prefecture,
                county_code=scope.county,
            )
        ).inserted_primary_key[0]
        _write(conn, ledger, plan, batch_id)
        notes = list(outcome.problems)
        if outcome.removed:
            notes.append(
                Problem(
                    None, "", None, f"替换模式：删除了 {outcome.removed:,} 条原有记录", "warning"
                )
            )
        if notes:
            conn.execute(
                insert(ImportError_),
                [
                    {
                        "batch_id": batch_id,
                        "row_number": p.row or 0,
                        "column_name": _clip(f"{p.sheet}!{p.column}" if p.sheet else p.column, 60)
                        or "",
                        "value": _clip(p.value, 200),
                        "reason": _clip(
                            ("【警告】" if p.level == "warning" else "") + p.reason, 200
                        ),
                    }
                    for p in notes
                ],
            )
        if _meta(conn, "contents") is None:
            set_meta(conn, "contents", "ledgers")
        bump_data_version(conn)
        trans.commit()
    outcome.written, outcome.batch_id = True, batch_id
    progress(1.0, "完成")
    return outcome


def _meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()


# --- what the page lists ----------------------------------------------------------------------


def _batches_within(scope: Scope):
    """The batches a viewer may see: those imported within their area; the province sees all."""
    if scope.county:
        return ImportBatch.county_code == scope.county
    if scope.prefecture:
        return ImportBatch.prefecture_code == scope.prefecture
    return true()


def recent_batches(engine: Engine, scope: Scope, limit: int = 50) -> pd.DataFrame:
    """The latest import batches within the viewer's scope, newest first."""
    stmt = (
        select(
            ImportBatch.id,
            ImportBatch.ledger,
            ImportBatch.file_name,
            ImportBatch.sha256,
            ImportBatch.rows_total,
            ImportBatch.rows_added,
            ImportBatch.rows_changed,
            ImportBatch.rows_rejected,
            ImportBatch.imported_by,
            ImportBatch.imported_at,
            ImportBatch.status,
        )
        .where(_batches_within(scope))
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def batch_errors(engine: Engine, scope: Scope, batch_id: int) -> pd.DataFrame:
    """The rows an import batch left out, and its warnings; nothing for a batch outside the
    viewer's scope."""
    stmt = (
        select(
            ImportError_.row_number,
            ImportError_.column_name,
            ImportError_.value,
            ImportError_.reason,
        )
        .join(ImportBatch, ImportBatch.id == ImportError_.batch_id)
        .where(ImportError_.batch_id == batch_id, _batches_within(scope))
        .order_by(ImportError_.row_number, ImportError_.id)
    )
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


__all__ = [
    "DEMO_USER",
    "LEDGERS",
    "MAX_BYTES",
    "MAX_ROWS",
    "Outcome",
    "Problem",
    "Refused",
    "batch_errors",
    "read_file",
    "recent_batches",
    "run",
]
