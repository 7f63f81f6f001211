"""Reading an uploaded ledger file into sheets of cell values, with every part bounded.

The bytes are checked before anything parses them (size, magic bytes, the zip's declared sizes
against bombs). An XLSX is read by one streaming pass of expat over each part, so that no part
is ever held whole in memory: shared strings, cell texts, rows and cells are counted as they
arrive and the file is refused as soon as one passes its limit, however the XML is written
(with or without cell references). DTDs and entities are refused outright. CSV encodings are
detected (UTF-8 with or without BOM, UTF-16, GBK, GB18030) and the delimiter is found from the
first lines, so a title line above a tab-separated table is no obstacle.

What the reader keeps besides values: merged ranges, formula cells (read from the value the
file saved with them; a formula without one becomes `Uncalculated`), percent-formatted numbers
(`Percent`), and which sheets were read or left out and why."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.parsers import expat

log = logging.getLogger(__name__)

# Limits on what is read at all. The importer's row limit counts data rows below the header.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200  # a value further right is refused, never dropped
MAX_CELLS = 3_000_000  # non-empty cells of all sheets together
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_SHARED_CHARS = 20_000_000  # all shared strings together
MAX_UNCOMPRESSED = 250 * 1024 * 1024  # all parts of an XLSX together, as its zip declares
MAX_RATIO = 100  # uncompressed / compressed, per part larger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
MAX_SHEETS = 60
HEADER_SEARCH_ROWS = 10  # a title row or two may sit above the headers


class Refused(Exception):
    """The file cannot be imported at all; the message says why, in Chinese."""


class Percent(float):
    """A number shown as a percentage in the file: Excel stores 96 % as 0.96."""


@dataclass(frozen=True)
class Uncalculated:
    """A formula cell saved without its calculated value."""

    formula: str

    def __str__(self) -> str:
        return "=" + self.formula[:60]


@dataclass(frozen=True)
class CellFault:
    """An Excel error value such as #N/A or #DIV/0!."""

    code: str

    def __str__(self) -> str:
        return self.code


@dataclass
class Sheet:
    name: str  # "" for a CSV file
    rows: list[tuple[int, list]]  # (row number as the user sees it, values), non-empty rows
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r1, c1, r2, c2)
    formulas: list[str] = field(default_factory=list)  # cells read from their saved value


@dataclass
class Workbook:
    file_format: str  # "XLSX" or "CSV（编码）"
    sheets: list[Sheet]
    hidden: list[str] = field(default_factory=list)  # hidden sheets, never read


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
_TOO_MANY_ROWS = f"行数超过上限（{MAX_ROWS:,} 行）。请拆分成几个文件分批导入。"


def size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def column_letter(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sniff(data: bytes, file_name: str) -> str:
    """xlsx or csv, from the content (magic bytes), not only the name."""
    if not data:
        raise Refused("文件是空的（0 字节）。")
    if len(data) > MAX_BYTES:
        raise Refused(
            f"文件太大（{size_text(len(data))}），上限为 {size_text(MAX_BYTES)}。"
            "请拆分成几个文件分批导入。"
        )
    ext = PurePath(file_name or "").suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(_OLE):
        raise Refused(
            "这是旧版 .xls 或加了密码的 Excel 文件，无法读取。"
            "请在 Excel 中“另存为” .xlsx（不设密码）后再导入。"
        )
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise Refused(f"文件内容是{kind}，不是表格。只能导入 .xlsx 或 .csv 文件。")
    if ext in (".xlsx", ".xlsm", ".xls"):
        raise Refused(
            f"文件扩展名是 {ext}，但内容不是 Excel 工作簿（文件可能已损坏，或被改了扩展名）。"
        )
    if ext not in ("", ".csv", ".txt", ".tsv"):
        raise Refused(f"不支持 {ext} 文件。只能导入 .xlsx 或 .csv 文件。")
    return "csv"


# --- CSV --------------------------------------------------------------------------------------

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


def _delimiter(text: str) -> str:
    """The delimiter used most across the first lines: a title line has none, the table many."""
    lines = text[:65_536].splitlines()[: HEADER_SEARCH_ROWS + 5]
    counts = {d: sum(line.count(d) for line in lines) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(data: bytes) -> Workbook:
    text, encoding = decode(data)
    delimiter = _delimiter(text)
    rows: list[tuple[int, list]] = []
    header_seen = 0
    csv.field_size_limit(MAX_CELL_CHARS + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            if not "".join(record).strip():
                continue
            if len(record) > MAX_COLUMNS and "".join(record[MAX_COLUMNS:]).strip():
                raise Refused(
                    f"第 {number} 行超过 {MAX_COLUMNS} 列（第 {MAX_COLUMNS + 1} 列起仍有内容）。"
                    "请删除多余的列后再导入。"
                )
            header_seen += 1
            if header_seen > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise Refused(_TOO_MANY_ROWS)
            rows.append((number, record[:MAX_COLUMNS]))
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise Refused(
                f"第 {reader.line_num} 行附近有一个单元格超过 {MAX_CELL_CHARS:,} 个字符。"
            ) from exc
        raise Refused(f"CSV 格式有误（第 {reader.line_num} 行附近）：引号或分隔符不配对。") from exc
    kind = "制表符分隔" if delimiter == "\t" else "分号分隔" if delimiter == ";" else ""
    name = f"CSV（{encoding}{'，' + kind if kind else ''}）"
    return Workbook(name, [Sheet("", rows)])


# --- XLSX -------------------------------------------------------------------------------------

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def cell_ref(ref: str) -> tuple[int, int]:
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
            f"Excel 文件解压后过大（{size_text(total)}，上限 {size_text(MAX_UNCOMPRESSED)}）。"
            "请拆分后分批导入。"
        )
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise Refused("这是 Word 文档，不是 Excel 表格。")
        raise Refused("文件是压缩包，但不是 Excel 工作簿（.xlsx）。")


class _Unsafe(Refused):
    pass


def _parse(zf: zipfile.ZipFile, name: str, start, end, text_in: frozenset[str], limit: int):
    """Stream one XML part through expat. start(local, attrs) and end(local, text) are called
    per element; text is gathered only inside elements named in text_in, and no text may pass
    `limit` characters. DTDs, entities and external references are refused."""
    parser = expat.ParserCreate(namespace_separator=" ")
    buffer: list[str] = []
    size = [0]
    gathering = [0]

    def local(tag: str) -> str:
        return tag.rpartition(" ")[2]

    def on_start(tag, attrs):
        name_ = local(tag)
        if name_ in text_in:
            gathering[0] += 1
        start(name_, attrs)

    def on_end(tag):
        name_ = local(tag)
        text = None
        if name_ in text_in:
            gathering[0] -= 1
            if gathering[0] == 0:
                text = "".join(buffer)
                buffer.clear()
                size[0] = 0
        end(name_, text)

    def on_text(data):
        if gathering[0]:
            size[0] += len(data)
            if size[0] > limit:
                raise Refused(f"Excel 文件中有一个单元格或文字超过 {limit:,} 个字符，已拒绝读取。")
            buffer.append(data)

    def refuse(*_args):
        raise _Unsafe("Excel 文件中的 XML 含有实体或文档类型定义（DTD），不安全，已拒绝读取。")

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = on_text
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.buffer_text = True
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


_DATE_FORMATS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36}
_DATE_FORMATS |= {45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58}
_PERCENT_FORMATS = {9, 10}


def _format_kind(code: str) -> str | None:
    """date, percent or None for a custom number format."""
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code)
    if "%" in plain:
        return "percent"
    if re.search(r"[ymdhsYMDHS年月日]", plain.split(";")[0]) and "General" not in plain:
        return "date"
    return None


def _styles(zf: zipfile.ZipFile, names: set[str]) -> list[str | None]:
    """Per cell style index: date, percent or None."""
    if "xl/styles.xml" not in names:
        return []
    custom: dict[int, str | None] = {}
    xfs: list[str | None] = []
    where = {"cellXfs": False}

    def start(tag, attrs):
        if tag == "numFmt":
            with contextlib.suppress(ValueError):
                custom[int(attrs.get("numFmtId", "0"))] = _format_kind(attrs.get("formatCode", ""))
        elif tag == "cellXfs":
            where["cellXfs"] = True
        elif tag == "xf" and where["cellXfs"]:
            try:
                fmt = int(attrs.get("numFmtId", "0"))
            except ValueError:
                fmt = 0
            if fmt in custom:
                xfs.append(custom[fmt])
            elif fmt in _DATE_FORMATS:
                xfs.append("date")
            elif fmt in _PERCENT_FORMATS:
                xfs.append("percent")
            else:
                xfs.append(None)
            if len(xfs) > 100_000:
                raise Refused("Excel 文件中的单元格样式过多，疑似损坏或恶意文件。")

    def end(tag, _text):
        if tag == "cellXfs":
            where["cellXfs"] = False

    _parse(zf, "xl/styles.xml", start, end, frozenset(), 0)
    return xfs


def _shared_strings(zf: zipfile.ZipFile, names: set[str]) -> list[str]:
    """The shared strings, bounded in number and in characters; phonetic runs left out."""
    path = next((n for n in ("xl/sharedStrings.xml", "xl/sharedstrings.xml") if n in names), None)
    if path is None:
        return []
    strings: list[str] = []
    current: list[str] = []
    depth = {"rPh": 0}
    total = [0]

    def start(tag, _attrs):
        if tag == "rPh":
            depth["rPh"] += 1

    def end(tag, text):
        if tag == "t" and text is not None and not depth["rPh"]:
            current.append(text)
        elif tag == "rPh":
            depth["rPh"] -= 1
        elif tag == "si":
            value = "".join(current)
            current.clear()
            if len(value) > MAX_CELL_CHARS:
                raise Refused(
                    f"Excel 文件中有一个单元格超过 {MAX_CELL_CHARS:,} 个字符，已拒绝读取。"
                )
            total[0] += len(value)
            if total[0] > MAX_SHARED_CHARS or len(strings) >= MAX_CELLS:
                raise Refused(
                    "Excel 文件中的文字总量过大（共享字符串超过上限），已拒绝读取。"
                    "请只保留台账数据，或拆分成几个文件。"
                )
            strings.append(value)

    _parse(zf, path, start, end, frozenset({"t"}), MAX_CELL_CHARS)
    return strings


def _sheet_list(zf: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str, bool]]:
    """(title, path, visible) of every sheet, in workbook order."""
    sheets: list[tuple[str, str, str]] = []

    def start(tag, attrs):
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if k.rpartition(" ")[2] == "id"), "")
            sheets.append((attrs.get("name") or "", rid, attrs.get("state") or "visible"))
            if len(sheets) > MAX_SHEETS:
                raise Refused(f"Excel 工作簿中的工作表过多（超过 {MAX_SHEETS} 个）。")

    _parse(zf, "xl/workbook.xml", start, lambda *_: None, frozenset(), 0)
    if not sheets:
        raise Refused("Excel 工作簿中没有工作表。")
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:

        def rel(tag, attrs):
            if tag == "Relationship":
                targets[attrs.get("Id", "")] = attrs.get("Target") or ""

        _parse(zf, "xl/_rels/workbook.xml.rels", rel, lambda *_: None, frozenset(), 0)
    out = []
    for title, rid, state in sheets:
        target = targets.get(rid, "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        path = re.sub(r"[^/]+/\.\./", "", path)
        if path not in names:
            raise Refused(f"工作表“{title}”的内容缺失，文件可能已损坏。")
        out.append((title, path, state == "visible"))
    return out


class _Budget:
    """What all sheets of one file may hold together."""

    def __init__(self) -> None:
        self.rows = 0
        self.cells = 0


def _number(text: str):
    try:
        if re.fullmatch(r"-?\d{1,15}", text):
            return int(text)
        return float(text)
    except ValueError:
        return text


def _from_serial(value: float) -> dt.datetime | float:
    days = float(value)
    if not 0 < days < 2_958_466:
        return value
    if days < 61:
        days += 1  # before Excel's phantom 1900-02-29
    return dt.datetime(1899, 12, 30) + dt.timedelta(days=days)


def _read_sheet(
    zf: zipfile.ZipFile,
    title: str,
    path: str,
    shared: list[str],
    styles: list[str | None],
    budget: _Budget,
) -> Sheet:
    sheet = Sheet(title, [])
    state = {"row": 0, "col": 0, "ref": "", "type": "", "style": None, "formula": None}
    values: dict[int, object] = {}
    text: dict[str, str | None] = {"v": None, "is": None}
    inline: list[str] = []

    def flush_row() -> None:
        if not values:
            return
        budget.rows += 1
        if budget.rows > MAX_ROWS + HEADER_SEARCH_ROWS * MAX_SHEETS:
            raise Refused(_TOO_MANY_ROWS)
        budget.cells += len(values)
        if budget.cells > MAX_CELLS:
            raise Refused(
                f"文件中的单元格过多（超过 {MAX_CELLS:,} 个）。请只保留台账数据，或拆分后分批导入。"
            )
        width = max(values)
        row = [None] * width
        for col, value in values.items():
            row[col - 1] = value
        sheet.rows.append((state["row"], row))
        values.clear()

    def start(tag, attrs):
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                row, col = cell_ref(ref)
                if row != state["row"]:  # a cell outside its row element
                    flush_row()
                    state["row"] = row
                state["col"] = col
            else:
                state["col"] += 1
            state["type"] = attrs.get("t", "n")
            try:
                state["style"] = styles[int(attrs.get("s", "0"))] if styles else None
            except (ValueError, IndexError):
                state["style"] = None
            state["formula"] = None
            text["v"] = None
            inline.clear()
        elif tag == "row":
            flush_row()
            r = attrs.get("r")
            state["row"] = int(r) if r and r.isdigit() else state["row"] + 1
            state["col"] = 0
        elif tag == "mergeCell":
            first, _, last = (attrs.get("ref") or "").partition(":")
            r1, c1 = cell_ref(first)
            r2, c2 = cell_ref(last or first)
            if len(sheet.merged) < 100_000:
                sheet.merged.append((r1, c1, r2, c2))

    def end(tag, body):
        if tag == "v":
            text["v"] = body
        elif tag == "t" and body is not None:
            inline.append(body)
        elif tag == "f":
            state["formula"] = body or ""
        elif tag == "c":
            value = _cell_value(state, text["v"], inline, shared)
            col = state["col"]
            if state["formula"] is not None:
                ref = f"{column_letter(col)}{state['row']}"
                if value is None or value == "" and text["v"] == "":
                    value = Uncalculated(state["formula"])
                elif len(sheet.formulas) < 1_000:
                    sheet.formulas.append(ref)
            if value is None or (isinstance(value, str) and not value.strip()):
                return
            if col > MAX_COLUMNS:
                raise Refused(
                    f"工作表“{title}”第 {state['row']} 行第 {column_letter(col)} 列有内容，"
                    f"超过了 {MAX_COLUMNS} 列的上限。请删除多余的列后再导入。"
                )
            values[col] = value
        elif tag == "sheetData":
            flush_row()

    _parse(zf, path, start, end, frozenset({"v", "t", "f"}), MAX_CELL_CHARS)
    flush_row()
    return sheet


def _cell_value(state, v: str | None, inline: list[str], shared: list[str]):
    kind = state["type"]
    if kind == "inlineStr":
        return "".join(inline) if inline else None
    if v is None:
        return None
    if kind == "s":
        try:
            return shared[int(v)]
        except (ValueError, IndexError) as exc:
            raise Refused("Excel 文件中的文字引用无效，文件可能已损坏。") from exc
    if kind in ("str", "d"):
        return v
    if kind == "b":
        return v.strip() in ("1", "true")
    if kind == "e":
        return CellFault(v)
    number = _number(v)
    if isinstance(number, str):
        return number
    style = state["style"]
    if style == "date":
        return _from_serial(number)
    if style == "percent":
        return Percent(number)
    return number


def read_xlsx(data: bytes) -> Workbook:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise Refused("Excel 文件已损坏，无法打开（压缩结构无效）。") from exc
    with zf:
        _check_zip(zf)
        names = set(zf.namelist())
        listed = _sheet_list(zf, names)
        shared = _shared_strings(zf, names)
        styles = _styles(zf, names)
        budget = _Budget()
        book = Workbook("XLSX", [])
        for title, path, visible in listed:
            if not visible:
                book.hidden.append(title)
                continue
            book.sheets.append(_read_sheet(zf, title, path, shared, styles, budget))
    return book


def read(data: bytes, file_name: str) -> Workbook:
    """The sheets of a file, or Refused. Anything a broken file makes a parser raise is a
    refusal too: the person gets a sentence, the log gets the traceback."""
    kind = sniff(data, file_name)
    try:
        return read_xlsx(data) if kind == "xlsx" else read_csv(data)
    except Refused:
        raise
    except expat.ExpatError as exc:
        raise Refused("Excel 文件中的 XML 内容无效，文件可能已损坏。") from exc
    except (zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise Refused(
            "Excel 文件已损坏，无法读取。请在 Excel 中打开后另存为新的 .xlsx 再导入。"
        ) from exc
    except Exception as exc:  # a hostile file may make a parser fail in any way
        log.warning("could not read %s: %r", file_name, exc, exc_info=True)
        raise Refused("文件已损坏或格式无法识别，无法读取。请用模板重新整理后再导入。") from exc
