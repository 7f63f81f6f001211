"""Ledger import: a spreadsheet (XLSX or CSV) in, validated rows upserted by natural key, all
in one transaction. The 数据管理 page and `python -m dashboard import` share it.

How an import goes:
1. read: the bytes are checked before anything parses them (size, magic bytes, the zip's
   declared sizes against bombs, formulas and merged header cells in the sheet XML via
   defusedxml); CSV encodings are detected (UTF-8 with or without BOM, GBK, GB18030).
2. validate: every cell is parsed (dates, money in 元 or 万元 as the header says, areas by name
   or code), references are looked up, business rules applied; every problem is a Problem
   with the row number the user sees, the column, the value and a reason in Chinese.
3. compare: each row's natural key is looked up, giving added / changed / unchanged.
4. write (unless a dry run): in one transaction, only if no row has an error, or the user
   chose to import the valid rows only; an import batch records what happened.

A file is refused with a message (Outcome.refusal) and never with an exception; nothing is
written unless the whole batch is.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import iterparse as safe_iterparse
from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, select, true
from sqlalchemy.exc import DBAPIError, OperationalError

from data_access import geography
from data_access.db import bump_data_version, set_meta
from data_access.ledgers import CHOICE_ALIASES, LEDGERS, Column, Ledger
from data_access.models import (
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

# Limits on what is read at all.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_UNCOMPRESSED = 250 * 1024 * 1024  # all parts of an XLSX together, as its zip declares
MAX_RATIO = 100  # uncompressed / compressed, per part larger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
HEADER_SEARCH_ROWS = 10  # a title row or two may sit above the headers
MAX_PROBLEMS = 50_000

DEMO_USER = "演示模式"


class Refused(Exception):
    """The file cannot be imported at all; the message says why, in Chinese."""


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int | None  # the spreadsheet row number as the user sees it; None: the whole file
    column: str  # the header as written in the file
    value: str | None
    reason: str
    level: str = "error"  # or "warning", which does not stop the row


@dataclass(frozen=True)
class RowAction:
    row: int
    action: str  # added, changed, unchanged, rejected
    key: str  # the natural key in words
    detail: str = ""  # what changes


@dataclass
class Outcome:
    ledger: str
    file_name: str
    sha256: str = ""
    dry_run: bool = True
    valid_only: bool = False
    refusal: str | None = None
    file_format: str = ""
    rows_total: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    actions: list[RowAction] = field(default_factory=list)
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
        if self.rejected and not self.valid_only:
            return "rejected"
        return "unchanged"

    def message(self) -> str:
        """One sentence for the person who imported, in Chinese."""
        counts = (
            f"共 {self.rows_total:,} 行：新增 {self.added:,}，变更 {self.changed:,}，"
            f"不变 {self.unchanged:,}，有错误 {self.rejected:,}"
        )
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


# --- reading files ----------------------------------------------------------------------------


@dataclass
class Table:
    file_format: str  # "XLSX" or "CSV（编码）"
    rows: list[tuple[int, list]]  # (row number as the user sees it, cell values), non-empty rows
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r1, c1, r2, c2)


_MAGIC = {
    b"%PDF": "PDF 文档",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"Rar!": "RAR 压缩包",
    b"\x1f\x8b": "GZIP 压缩包",
    b"7z\xbc\xaf": "7z 压缩包",
    b"MZ": "可执行程序",
    b"\x7fELF": "可执行程序",
    b"{\\rtf": "RTF 文档",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def sniff(data: bytes, file_name: str) -> str:
    """xlsx or csv, from the content (magic bytes), not only the name."""
    if not data:
        raise Refused("文件是空的（0 字节）。")
    if len(data) > MAX_BYTES:
        raise Refused(
            f"文件太大（{_size(len(data))}），上限为 {_size(MAX_BYTES)}。请拆分成几个文件分批导入。"
        )
    ext = PurePath(file_name or "").suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(_OLE):
        raise Refused(
            "这是旧版 .xls 或加了密码的 Excel 文件，无法读取。请在 Excel 中“另存为” .xlsx（不设密码）后再导入。"
        )
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise Refused(f"文件内容是{kind}，不是表格。只能导入 .xlsx 或 .csv 文件。")
    if ext in (".xlsx", ".xlsm", ".xls"):
        raise Refused(
            f"文件扩展名是 {ext}，但内容不是 Excel 工作簿（文件可能已损坏，或被改了扩展名）。"
        )
    if ext not in ("", ".csv", ".txt"):
        raise Refused(f"不支持 {ext} 文件。只能导入 .xlsx 或 .csv 文件。")
    return "csv"


_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # control characters


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the name of its encoding, detected without asking."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "UTF-8 BOM"
        except UnicodeDecodeError as exc:
            raise Refused("文件开头标明是 UTF-8 编码，但内容不是有效的 UTF-8 文本。") from exc
    for bom in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            try:
                return data.decode("utf-16"), "UTF-16"
            except UnicodeDecodeError as exc:
                raise Refused("文件开头标明是 UTF-16 编码，但内容无法解码。") from exc
    if b"\x00" in data:
        raise Refused("文件含有二进制内容，不是文本格式的 CSV 文件。")
    for codec, name in (("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        controls = len(_BINARY.findall(text))
        if controls > max(3, len(text) // 1000):
            raise Refused("文件含有大量控制字符，不是文本格式的 CSV 文件。")
        return text, name
    raise Refused(
        "无法识别文件的文字编码。请用 Excel 另存为“CSV UTF-8”或 GBK 编码的 CSV 后再导入。"
    )


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    rows: list[tuple[int, list]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if all(_blank(v) for v in record):
                continue
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise Refused(f"行数超过上限（{MAX_ROWS:,} 行）。请拆分成几个文件分批导入。")
            rows.append((number, record[:MAX_COLUMNS]))
    except csv.Error as exc:
        raise Refused(f"CSV 格式有误（第 {reader.line_num} 行附近）：引号或分隔符不配对。") from exc
    return Table(f"CSV（{encoding}）", rows)


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def _cell_ref(ref: str) -> tuple[int, int]:
    """A1 → (row 1, column 1)."""
    m = _REF.match(ref or "")
    if not m:
        raise Refused(f"工作表中有无法识别的单元格地址：{ref[:20]!r}。")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _check_zip(zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused(f"Excel 文件内部的部件过多（{len(infos):,} 个），疑似损坏或恶意文件。")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise Refused("Excel 文件已加密，无法读取。请去掉密码后再导入。")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and (
            info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO
        ):
            raise Refused(
                "Excel 文件压缩比异常（疑似“压缩炸弹”），已拒绝读取。请另存为新的 .xlsx 后再导入。"
            )
    if total > MAX_UNCOMPRESSED:
        raise Refused(
            f"Excel 文件解压后过大（{_size(total)}，上限 {_size(MAX_UNCOMPRESSED)}）。请拆分后分批导入。"
        )
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise Refused("这是 Word 文档，不是 Excel 表格。")
        raise Refused("文件是压缩包，但不是 Excel 工作簿（.xlsx）。")


def _parse_xml(zf: zipfile.ZipFile, name: str):
    """The root element of one small part (workbook, relationships), parsed safely."""
    with zf.open(name) as fh:
        root = None
        for _event, elem in safe_iterparse(fh, events=("end",)):
            root = elem
        return root


def _sheet_part(zf: zipfile.ZipFile, ledger: Ledger) -> tuple[str, str]:
    """(sheet title, path of its XML part): the sheet titled like the template's, else the
    first sheet."""
    workbook = _parse_xml(zf, "xl/workbook.xml")
    sheets = [
        (s.get("name") or "", s.get(f"{_NS_REL}id") or "")
        for s in workbook.iter(f"{_NS_MAIN}sheet")
    ]
    if not sheets:
        raise Refused("Excel 工作簿中没有工作表。")
    title, rid = next(((t, r) for t, r in sheets if t == ledger.sheet_title), sheets[0])
    targets = {}
    if "xl/_rels/workbook.xml.rels" in zf.namelist():
        rels = _parse_xml(zf, "xl/_rels/workbook.xml.rels")
        targets = {
            r.get("Id"): r.get("Target") or "" for r in rels.iter(f"{_NS_PKG_REL}Relationship")
        }
    target = targets.get(rid, "")
    path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    path = re.sub(r"[^/]+/\.\./", "", path)
    if path not in zf.namelist():
        raise Refused(f"工作表“{title}”的内容缺失，文件可能已损坏。")
    return title, path


@dataclass
class _SheetFacts:
    merged: list[tuple[int, int, int, int]]
    formulas: list[str]  # cell references
    last_row: int
    last_col: int
    value_rows: int


def _scan_sheet(zf: zipfile.ZipFile, path: str) -> _SheetFacts:
    """Merged ranges, formula cells and the extent of real values, from the sheet XML
    (openpyxl's read-only mode exposes neither merged cells nor, with data_only, formulas)."""
    facts = _SheetFacts([], [], 0, 0, 0)
    row_has_value = False
    with zf.open(path) as fh:
        for _event, elem in safe_iterparse(fh, events=("end",)):
            tag = elem.tag
            if tag == f"{_NS_MAIN}c":
                ref = elem.get("r")
                has_value = any(child.tag in (f"{_NS_MAIN}v", f"{_NS_MAIN}is") for child in elem)
                if elem.find(f"{_NS_MAIN}f") is not None:
                    facts.formulas.append(ref or "?")
                elif has_value and ref:
                    row, col = _cell_ref(ref)
                    facts.last_row = max(facts.last_row, row)
                    facts.last_col = max(facts.last_col, col)
                    row_has_value = True
                elem.clear()
            elif tag == f"{_NS_MAIN}row":
                if row_has_value:
                    facts.value_rows += 1
                    if facts.value_rows > MAX_ROWS + HEADER_SEARCH_ROWS:
                        raise Refused(
                            f"行数超过上限（{MAX_ROWS:,} 行）。请拆分成几个文件分批导入。"
                        )
                row_has_value = False
                elem.clear()
            elif tag == f"{_NS_MAIN}mergeCell":
                first, _, last = (elem.get("ref") or "").partition(":")
                r1, c1 = _cell_ref(first)
                r2, c2 = _cell_ref(last or first)
                facts.merged.append((r1, c1, r2, c2))
    return facts


def read_xlsx(data: bytes, ledger: Ledger) -> Table:
    from openpyxl import load_workbook

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise Refused("Excel 文件已损坏，无法打开（压缩结构无效）。") from exc
    with zf:
        _check_zip(zf)
        title, path = _sheet_part(zf, ledger)
        facts = _scan_sheet(zf, path)
        if facts.formulas:
            cells = "、".join(facts.formulas[:5]) + ("等" if len(facts.formulas) > 5 else "")
            raise Refused(
                f"工作表“{title}”中有 {len(facts.formulas):,} 个公式单元格（{cells}）。"
                "请只导入数值：复制全部数据，用“选择性粘贴 → 数值”粘贴后保存，再导入。"
            )
        if facts.last_row == 0:
            return Table("XLSX", [], facts.merged)
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb[title]
            ncols = min(max(facts.last_col, 1), MAX_COLUMNS)
            rows = []
            for number, values in enumerate(
                ws.iter_rows(min_row=1, max_row=facts.last_row, max_col=ncols, values_only=True),
                start=1,
            ):
                if values is None or all(_blank(v) for v in values):
                    continue
                rows.append((number, list(values)))
        finally:
            wb.close()
    return Table("XLSX", rows, facts.merged)


def read_table(data: bytes, file_name: str, ledger: Ledger) -> Table:
    """The rows of a file, or Refused. Anything a broken file makes a parser raise is a
    refusal too: the person gets a sentence, the log gets the traceback."""
    kind = sniff(data, file_name)
    try:
        return read_xlsx(data, ledger) if kind == "xlsx" else read_csv(data)
    except Refused:
        raise
    except (DefusedXmlException, ParseError) as exc:
        raise Refused("Excel 文件中的 XML 内容无效或不安全（如含实体定义），已拒绝读取。") from exc
    except (zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise Refused(
            "Excel 文件已损坏，无法读取。请在 Excel 中打开后另存为新的 .xlsx 再导入。"
        ) from exc
    except Exception as exc:  # a hostile file may make a parser fail in any way
        log.warning("could not read %s: %r", file_name, exc, exc_info=True)
        raise Refused("文件已损坏或格式无法识别，无法读取。请用模板重新整理后再导入。") from exc


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
    header_row: int
    columns: dict[int, Column]  # position → column
    headers: dict[str, str]  # column key → header as written
    money_factor: dict[str, int]  # column key → fen per unit
    ignored: list[str]


def _layout(ledger: Ledger, table: Table) -> _Layout:
    best: tuple[int, int] | None = None  # (score, index)
    for index, (_number, values) in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        score = sum(1 for v in values if _match_header(ledger, v)[0] is not None)
        if score and (best is None or score > best[0]):
            best = (score, index)
    if best is None:
        expected = "、".join(c.template_header for c in ledger.columns if c.required)
        raise Refused(
            f"找不到表头。“{ledger.title}”的第1行应为表头，至少包括：{expected}。请使用下载的模板。"
        )
    header_row, values = table.rows[best[1]]
    for r1, c1, r2, c2 in table.merged:
        if r1 <= header_row <= r2:
            raise Refused(
                f"表头第 {header_row} 行有合并单元格（第 {c1}–{c2} 列）。请取消合并，每列一个表头后再导入。"
            )
    layout = _Layout(header_row, {}, {}, {}, [])
    for pos, value in enumerate(values):
        col, unit = _match_header(ledger, value)
        if col is None:
            if not _blank(value):
                layout.ignored.append(_norm(value)[:30])
            continue
        if col.key in layout.headers:
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
    missing = [
        c.template_header for c in ledger.columns if c.required and c.key not in layout.headers
    ]
    if missing:
        raise Refused(f"缺少必填列：{'、'.join(missing)}。请使用下载的模板。")
    return layout


# --- cells ------------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell's value cannot be used; the message is the reason, in Chinese."""


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)[:200]


def _mask_id(value) -> str:
    text = re.sub(r"\s", "", _norm(value)) if value is not None else ""
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _text(value) -> str:
    if isinstance(value, bool):
        raise CellError("应为文字")
    if isinstance(value, float):
        value = int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        raise CellError("应为文字，不是日期")
    return _CONTROL.sub("", _norm(value))


def _number(value) -> Decimal:
    if isinstance(value, bool):
        raise CellError("不是有效的数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("不是有效的数字")
        return Decimal(repr(value))  # the shortest decimal that round-trips: what was typed
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
    if isinstance(value, str) and _norm(value).endswith("%"):
        value = _norm(value)[:-1]
    number = _number(value)
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


def parse_id_number(value) -> str:
    """A resident identity number, checked (format, birth date, check digit). The caller keeps
    only its hash and last four characters."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise CellError("身份证号须设为文本格式填写（数字格式会丢失末位）")
    text = re.sub(r"\s", "", _text(value)).upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise CellError("身份证号应为18位（前17位数字，末位数字或X）")
    try:
        dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError as exc:
        raise CellError("身份证号中的出生日期无效") from exc
    check = "10X98765432"[sum(int(d) * w for d, w in zip(text, _ID_WEIGHTS, strict=False)) % 11]
    if text[-1] != check:
        raise CellError("身份证号校验位不正确，请核对")
    return text


def id_hash(id_number: str) -> str:
    return hashlib.sha256(id_number.encode()).hexdigest()


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
    """County-level areas by code, full name, short name, or prefecture + county."""

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
        pref_names = {p.code: (p.name, p.short_name) for p in prefectures}
        for p in prefectures:
            self.prefecture_names[p.name] = p.code
            self.prefecture_names[p.short_name] = p.code
        for c in counties:
            for name in {c.name, c.short_name}:
                self.names[name].add(c.code)
                for pref in pref_names[c.prefecture_code]:
                    if pref != name:
                        self.names[pref + name].add(c.code)
        self.name_of = {c.code: c.name for c in counties}

    def resolve(self, value) -> str:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            text = _display(value)
        else:
            text = _text(value)
        text = re.sub(r"[\s·・.\-—/]", "", text)
        text = text.removeprefix("甘肃省").removeprefix("甘肃") or text
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


# --- validation -------------------------------------------------------------------------------


@dataclass
class _Rec:
    row: int
    values: dict  # column key → parsed value; later also database fields
    raw: dict  # column key → the cell as written
    key: tuple | None = None
    existing_id: int | None = None
    action: str = ""
    detail: str = ""


class _Check:
    """Collects problems and knows which rows have errors."""

    def __init__(self, layout: _Layout):
        self.layout = layout
        self.problems: list[Problem] = []
        self.bad: set[int] = set()
        self.truncated = False

    def _add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        elif not self.truncated:
            self.truncated = True
            self.problems.append(
                Problem(None, "", None, f"问题过多，只列出前 {MAX_PROBLEMS:,} 条", "warning")
            )

    def error(self, rec: _Rec, key: str, reason: str) -> None:
        self.bad.add(rec.row)
        self._add(
            Problem(rec.row, self.layout.headers.get(key, key), self._value(rec, key), reason)
        )

    def warn(self, rec: _Rec, key: str, reason: str) -> None:
        self._add(
            Problem(
                rec.row, self.layout.headers.get(key, key), self._value(rec, key), reason, "warning"
            )
        )

    def _value(self, rec: _Rec, key: str) -> str | None:
        raw = rec.raw.get(key)
        if raw is None:
            return None
        return _mask_id(raw) if key == "id_number" else _display(raw)

    def ok(self, rec: _Rec, *keys: str) -> bool:
        """The row has no error, or (with keys) these parsed values are all usable."""
        if not keys:
            return rec.row not in self.bad
        return all(k in rec.values for k in keys)


def _parse_cells(
    ledger: Ledger, table: Table, layout: _Layout, check: _Check, areas: Areas
) -> list[_Rec]:
    recs = []
    # Ledgers repeat their values (the county, the line, the date): parse each once.
    parsed: dict[tuple, object] = {}
    for number, values in table.rows:
        if number <= layout.header_row:
            continue
        rec = _Rec(number, {}, {})
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
            memo = (col.key, value) if type(value) is str else (col.key, type(value), repr(value))
            result = parsed.get(memo)
            if result is None:
                try:
                    result = _parse(col, value, layout, areas)
                except CellError as exc:
                    result = exc
                if len(parsed) < 200_000:
                    parsed[memo] = result
            if isinstance(result, CellError):
                check.error(rec, col.key, str(result))
            else:
                rec.values[col.key] = result
        recs.append(rec)
    return recs


def _parse(col: Column, value, layout: _Layout, areas: Areas):
    kind = col.kind
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
    try:
        return tuple(rec.values[k] for k in ledger.key)
    except KeyError:
        return None


def _describe_key(keys: list[str], rec: _Rec) -> str:
    """The row's natural key as the file writes it, for the list of what would change."""
    return " · ".join(_display(rec.raw[k]) for k in keys if rec.raw.get(k) is not None)


def _existing(ctx: _Context, recs: list[_Rec]) -> dict[tuple, tuple[int, dict]]:
    """The rows already in the database with the file's natural keys: key → (id, fields)."""
    conn, ledger, ops = ctx.conn, ctx.ledger, OPS[ctx.ledger.name]
    table = ops.model.__table__
    columns = [table.c.id, *(table.c[f] for f in ops.fields)]
    keyed = [r for r in recs if r.key is not None]
    if not keyed:
        return {}
    first = ledger.key[0]
    wanted = sorted({r.values[first] for r in keyed}, key=str)
    where = []
    date_key = {"disbursements": "paid_on", "contacts": "contacted_on", "indicator_values": "month"}
    if ledger.name in date_key:
        k = date_key[ledger.name]
        dates = [r.values[k] for r in keyed]
        where.append(table.c[k].between(min(dates), max(dates)))
    found: dict[tuple, tuple[int, dict]] = {}
    for chunk in _chunks(wanted):
        stmt = select(*columns).where(and_(table.c[first].in_(chunk), *where))
        for row in conn.execute(stmt).mappings():
            fields = {f: row[f] for f in ops.fields}
            key = tuple(fields[k] for k in ledger.key)
            found.setdefault(key, (row["id"], fields))
    return found


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


def _record(ledger: Ledger, rec: _Rec, layout: _Layout) -> dict:
    """The database fields this row writes; optional columns absent from the file (and an empty
    identity number) leave what is stored alone."""
    ops = OPS[ledger.name]
    out = {}
    for f in ops.fields:
        col = ops.optional.get(f)
        if col and col not in layout.headers:
            continue
        if f in ("id_hash", "id_last4") and rec.values.get(f) is None:
            continue
        out[f] = rec.values[f] if f in rec.values else ops.defaults.get(f)
    return out


def _compare(ctx: _Context, recs: list[_Rec], layout: _Layout) -> None:
    ledger, check = ctx.ledger, ctx.check
    first_seen: dict[tuple, int] = {}
    for rec in recs:
        if rec.row in check.bad:
            continue
        rec.key = _key(ledger, rec)
        if rec.key is None:
            continue
        if rec.key in first_seen:
            check.error(
                rec,
                ledger.columns[0].key,
                f"与第 {first_seen[rec.key]} 行重复（{'、'.join(_key_headers(ledger))}相同）",
            )
            rec.key = None
        else:
            first_seen[rec.key] = rec.row
    existing = _existing(ctx, [r for r in recs if r.row not in check.bad])
    for rec in recs:
        if rec.row in check.bad or rec.key is None:
            rec.action = "rejected"
            continue
        record = _record(ledger, rec, layout)
        found = existing.get(rec.key)
        if found is None:
            rec.action = "added"
            continue
        rec.existing_id, stored = found
        area = OPS[ledger.name].area
        if area and not _allows(ctx, stored[area]):
            check.error(rec, ledger.columns[0].key, OUTSIDE_RECORD)
            rec.action, rec.existing_id = "rejected", None
            continue
        diffs = [f for f, v in record.items() if not _same(v, stored.get(f))]
        if diffs:
            rec.action = "changed"
            rec.detail = "、".join(dict.fromkeys(_FIELD_LABEL.get(f, f) for f in diffs))
        else:
            rec.action = "unchanged"


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
    layout: _Layout | None


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
) -> _Plan:
    try:
        table = read_table(data, file_name, ledger)
        outcome.file_format = table.file_format
        if not table.rows:
            raise Refused("文件中没有任何数据（是空表）。")
        layout = _layout(ledger, table)
        if not any(number > layout.header_row for number, _ in table.rows):
            raise Refused("文件只有表头，没有数据行。")
    except Refused as exc:
        outcome.refusal = str(exc)
        return _Plan(outcome, [], None)
    check = _Check(layout)
    if layout.ignored:
        check._add(
            Problem(
                None, "", None, f"已忽略无法识别的列：{'、'.join(layout.ignored[:10])}", "warning"
            )
        )
    areas = Areas(conn)
    recs = _parse_cells(ledger, table, layout, check, areas)
    ctx = _Context(conn, ledger, check, scope, year, today)
    _resolve(ctx, recs)
    _compare(ctx, recs, layout)
    if ledger.name == "disbursements":
        _over_plan(ctx, recs)
    outcome.problems = sorted(check.problems, key=lambda p: (p.row or 0, p.level != "error"))
    outcome.rows_total = len(recs)
    for rec in recs:
        if rec.row in check.bad:
            rec.action = "rejected"
    counts = defaultdict(int)
    keys = _key_columns(ledger)
    for rec in recs:
        counts[rec.action] += 1
        outcome.actions.append(RowAction(rec.row, rec.action, _describe_key(keys, rec), rec.detail))
    outcome.added, outcome.changed = counts["added"], counts["changed"]
    outcome.unchanged, outcome.rejected = counts["unchanged"], counts["rejected"]
    return _Plan(outcome, recs, layout)


# --- writing ----------------------------------------------------------------------------------


def _write(conn: Connection, ledger: Ledger, plan: _Plan, batch_id: int) -> None:
    ops = OPS[ledger.name]
    model, table = ops.model, ops.model.__table__
    layout = plan.layout
    assert layout is not None
    adds = [r for r in plan.recs if r.action == "added"]
    changes = [r for r in plan.recs if r.action == "changed"]
    rows = []
    for rec in adds:
        record = {f: ops.defaults.get(f) for f in ops.fields}
        record.update(_record(ledger, rec, layout))
        record["batch_id"] = batch_id
        rows.append(record)
    for chunk in _chunks(rows, 5_000):
        conn.execute(insert(model), list(chunk))
    # Updates grouped by the set of fields they write (executemany needs one shape).
    shapes: dict[tuple, list[dict]] = defaultdict(list)
    for rec in changes:
        record = _record(ledger, rec, layout)
        record = {f: v for f, v in record.items() if f not in ledger.key}
        record["batch_id"] = batch_id
        shapes[tuple(sorted(record))].append({**record, "_id": rec.existing_id})
    for shape_rows in shapes.values():
        stmt = table.update().where(table.c.id == bindparam("_id"))
        for chunk in _chunks(shape_rows, 5_000):
            conn.execute(stmt, list(chunk))
    if ledger.name == "facilities":
        _status_changes(conn, adds + changes)


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


def run(
    engine: Engine,
    ledger_name: str,
    data: bytes,
    file_name: str,
    *,
    dry_run: bool = True,
    valid_only: bool = False,
    user: str = DEMO_USER,
    scope: Scope = PROVINCE,
    year: int | None = None,
    today: dt.date | None = None,
) -> Outcome:
    """Check (dry run) or import one ledger file. Returns the outcome; never raises for a
    bad file. A commit is one transaction: all valid rows and the batch record, or nothing."""
    ledger = LEDGERS.get(ledger_name)
    outcome = Outcome(ledger_name, file_name or "", dry_run=dry_run, valid_only=valid_only)
    if ledger is None:
        outcome.refusal = f"未知的台账类型：{ledger_name}（可选：{'、'.join(LEDGERS)}）"
        return outcome
    data = bytes(data or b"")
    outcome.sha256 = hashlib.sha256(data).hexdigest()
    today = today or dt.date.today()
    if dry_run:
        with engine.connect() as conn:
            _plan(
                conn, ledger, data, file_name, scope=scope, year=year, today=today, outcome=outcome
            )
            conn.rollback()
        return outcome
    conn = engine.connect()
    trans = conn.begin()
    try:
        # Taking a write lock first serialises imports: two at once cannot both add a row.
        set_meta(conn, "import_lock", outcome.sha256[:40])
        plan = _plan(
            conn, ledger, data, file_name, scope=scope, year=year, today=today, outcome=outcome
        )
        if (
            outcome.refusal
            or (outcome.rejected and not valid_only)
            or not (outcome.added or outcome.changed)
        ):
            trans.rollback()
            return outcome
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
        if outcome.problems:
            conn.execute(
                insert(ImportError_),
                [
                    {
                        "batch_id": batch_id,
                        "row_number": p.row or 0,
                        "column_name": _clip(p.column, 60) or "",
                        "value": _clip(p.value, 200),
                        "reason": _clip(
                            ("【警告】" if p.level == "warning" else "") + p.reason, 200
                        ),
                    }
                    for p in outcome.problems
                ],
            )
        if _meta(conn, "contents") is None:
            set_meta(conn, "contents", "ledgers")
        bump_data_version(conn)
        trans.commit()
        outcome.written, outcome.batch_id = True, batch_id
        return outcome
    except OperationalError as exc:
        trans.rollback()
        log.warning("import of %s failed: %r", file_name, exc)
        outcome.refusal = "数据库正忙（可能有其他导入正在进行），未写入任何数据。请稍后重试。"
        return outcome
    except DBAPIError as exc:
        trans.rollback()
        log.exception("import of %s failed", file_name)
        outcome.refusal = (
            f"写入数据库时出错，已全部撤销，未写入任何数据（{type(exc.orig).__name__}）。"
        )
        return outcome
    except BaseException:
        trans.rollback()
        raise
    finally:
        conn.close()


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
    "read_table",
    "recent_batches",
    "run",
]
