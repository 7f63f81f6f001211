"""The quarterly briefing as an official document (公文) in Word, laid out per GB/T 9704-2012
(党政机关公文格式). Pure: a Briefing, the document settings and the date of issue in, bytes out.

Every sentence and every table cell comes from the Briefing's own summary and table builders
(dashboard.briefing), so the document says what the page, the slides and the workbook say.

Layout, as the standard sets it:
- A4, margins top 37 mm, bottom 35 mm, left (binding side) 28 mm, right 26 mm: a text block of
  156 × 225 mm that holds 22 lines of 28 characters in 3号 (16 pt) type;
- 版头: the issuing office's mark (发文机关标志) in red 小标宋 whose top is 35 mm below the
  text block's top, the document number (发文字号) two lines below it, and a red rule as wide
  as the text block 4 mm under the number;
- title in 2号小标宋 two lines under the rule, centred; the addressees (主送机关) flush left;
- body in 3号仿宋, each paragraph indented two characters; headings numbered 一、 (黑体),
  （一） (楷体), 1. and （1） (仿宋): sections, their tables and notes (解读), the figures
  noted, each note;
- the signature two characters from the right and the date of issue (成文日期, Arabic
  numerals) on the next line, its first character two characters right of the signature's;
- page numbers "— 1 —" in 4号 宋体 7 mm under the text block, odd pages on the right and even
  pages on the left, one character in from the edge of the text block;
- 版记: who prints it and when, between full-width rules.

Chinese fonts are named on every run's East Asian slot (w:eastAsia) as well as the Latin
ones, so that Word and WPS pick the standard fonts where they are installed.

The issuing office, its mark, the number pattern, addressees, signature and printer are
settings: `[briefing]` in .streamlit/secrets.toml, or DASHBOARD_BRIEFING_* variables."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields

import pandas as pd
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor, Twips
from docx.table import Table
from docx.text.paragraph import Paragraph

from dashboard import briefing as br
from dashboard.i18n import t
from dashboard.rules import settings_table

# --- the standard's measures ------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM = Mm(37), Mm(35)
MARGIN_LEFT, MARGIN_RIGHT = Mm(28), Mm(26)
TEXT_WIDTH = Emu(PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)  # 156 mm
TEXT_HEIGHT = Emu(PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM)  # 225 mm
LINES, CHARS = 22, 28
LINE_PITCH = Twips(TEXT_HEIGHT.twips // LINES)  # 28.95 pt (10.21 mm): 22 fill the 225 mm
BODY_SIZE = Pt(16)  # 3号
# Characters of 3号 type closed up by a quarter point: 28 × 15.75 pt fill the 156 mm
# (442.2 pt) of a line, where 16 pt characters would leave room for only 27.
BODY_SPACING = Pt(-0.25)
TITLE_SIZE = Pt(22)  # 2号
PAGE_NUMBER_SIZE = Pt(14)  # 4号
TABLE_SIZES = (Pt(12), Pt(10.5), Pt(9))  # 小四, 五号, 小五: the largest that fits the width
MARK_SIZE = Pt(36)  # 小初, smaller when the mark is long
MARK_TOP = Mm(35)  # mark's top below the text block's top
PAGE_NUMBER_GAP = Mm(7)  # page number's lower edge below the text block
CHAR = BODY_SIZE  # one character of body text: the unit of indents ("空二字")

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONTS = ("黑体", "楷体_GB2312", BODY_FONT, BODY_FONT)
PAGE_NUMBER_FONT = "宋体"
RED = RGBColor(0xFF, 0x00, 0x00)
NUMERALS = "一二三四五六七八九十"

BRIEFING_ENV_PREFIX = "DASHBOARD_BRIEFING_"


@dataclass(frozen=True)
class DocumentSettings:
    """Who issues the 通报, as printed on it. `number` may use {year} and {quarter} (1–4)."""

    issuer: str = "甘肃省残疾人联合会"
    mark: str = "甘肃省残疾人联合会文件"
    number: str = "甘残联通〔{year}〕{quarter}号"
    addressees: str = "各市（州）残联，省残联机关各部门、各直属单位："
    signature: str = "甘肃省残疾人联合会"
    printer: str = "甘肃省残疾人联合会办公室"

    def document_number(self, year: int, quarter: str) -> str:
        return self.number.format(year=year, quarter=br.QUARTERS.index(quarter) + 1)


def document_settings(environ: Mapping[str, str] | None = None, cwd=None) -> DocumentSettings:
    """`[briefing]` of .streamlit/secrets.toml, overridden by DASHBOARD_BRIEFING_* variables;
    unknown keys are ignored."""
    given = settings_table("briefing", BRIEFING_ENV_PREFIX, environ, cwd)
    known = {f.name for f in fields(DocumentSettings)}
    return DocumentSettings(**{k: str(v) for k, v in given.items() if k in known})


def heading_number(level: int, n: int) -> str:
    """一、 / （一） / 1. / （1）: the four levels of headings in a 公文."""
    if level == 1:
        return f"{NUMERALS[n - 1]}、"
    if level == 2:
        return f"（{NUMERALS[n - 1]}）"
    if level == 3:
        return f"{n}."
    return f"（{n}）"


def date_text(day: dt.date, lang: str = "zh") -> str:
    """成文日期 in Arabic numerals, without leading zeros: 2025年1月6日."""
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.strftime("%-d %B %Y")


# --- runs and paragraphs ----------------------------------------------------------------------


def set_font(run, name: str, size, bold: bool = False, color: RGBColor | None = None) -> None:
    """A run's typeface on every slot (Latin, East Asian, complex script), size and colour."""
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


LATIN = 0.6  # a digit or Latin letter's width in ems (half width, and a margin for the font)


def _width_in_chars(text: str) -> float:
    """Characters of body text a string takes: CJK full width, Latin and digits half."""
    return sum(1 if ord(ch) > 0x2E7F else LATIN for ch in text)


class _Writer:
    def __init__(self, b: br.Briefing, settings: DocumentSettings, issued: dt.date):
        self.b, self.settings, self.issued = b, settings, issued
        self.doc = Document()
        self._page()
        self._defaults()

    # page, defaults, page numbers

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
        section.header_distance = Mm(15)
        # The page number's lower edge 7 mm under the text block (its descent below, 1 mm).
        section.footer_distance = Emu(MARGIN_BOTTOM - PAGE_NUMBER_GAP - Mm(1))
        section.start_type = WD_SECTION.NEW_PAGE
        # The line grid: 22 lines to the text block (Word's "文档网格", WPS's "网格"). The 28
        # characters a line come from the body's character spacing (BODY_SPACING).
        sect_pr = section._sectPr
        grid = sect_pr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect_pr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
        self.doc.settings.odd_and_even_pages_header_footer = True
        self._page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
        self._page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)

    def _page_number(self, footer, align) -> None:
        """— 1 —: odd pages one character in from the right, even pages from the left."""
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        off_grid(p)
        fmt = p.paragraph_format
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = PAGE_NUMBER_SIZE
        else:
            fmt.left_indent = PAGE_NUMBER_SIZE
        fmt.space_before = fmt.space_after = Pt(0)
        set_font(p.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("1", "1")):
            run = p.add_run()
            set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
            if kind == "instr":
                node = OxmlElement("w:instrText")
                node.set(qn("xml:space"), "preserve")
                node.text = text
            elif kind == "1":
                run.text = text
                continue
            else:
                node = OxmlElement("w:fldChar")
                node.set(qn("w:fldCharType"), kind)
            run._element.append(node)
        end = p.add_run()
        set_font(end, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        node = OxmlElement("w:fldChar")
        node.set(qn("w:fldCharType"), "end")
        end._element.append(node)
        set_font(p.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)

    def _defaults(self) -> None:
        # The document defaults carry the body's type too: the text grid is measured in them.
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        for tag in ("w:sz", "w:szCs"):
            node = r_pr.find(qn(tag))
            if node is None:
                node = OxmlElement(tag)
                r_pr.append(node)
            node.set(qn("w:val"), str(int(BODY_SIZE.pt * 2)))
        fonts = r_pr.find(qn("w:rFonts"))
        for name in list(fonts.attrib):
            del fonts.attrib[name]
        for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(slot), BODY_FONT)
        r_pr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
        style = self.doc.styles["Normal"]
        style.font.name = BODY_FONT
        style.font.size = BODY_SIZE
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(slot), BODY_FONT)
        lang = style.element.get_or_add_rPr().find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            style.element.get_or_add_rPr().append(lang)
        lang.set(qn("w:eastAsia"), "zh-CN")
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(round(BODY_SPACING.pt * 20)))
        style.element.get_or_add_rPr().insert_element_before(
            spacing, "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u",
            "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em",
            "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
        )  # fmt: skip
        # No punctuation hanging into the margin: every character stays in the 156 mm.
        no_overflow = OxmlElement("w:overflowPunct")
        no_overflow.set(qn("w:val"), "0")
        style.element.get_or_add_pPr().insert_element_before(
            no_overflow, *_AFTER_BORDERS[_AFTER_BORDERS.index("w:topLinePunct") :]
        )
        fmt = style.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
        core = self.doc.core_properties
        core.title = self.b.title()
        core.author = core.last_modified_by = self.settings.issuer
        core.subject = self.b.area_name
        core.created = core.modified = dt.datetime.combine(self.issued, dt.time())
        core.revision = 1
        core.comments = ""
        core.keywords = ""

    # building blocks

    def paragraph(
        self,
        text: str = "",
        font: str = BODY_FONT,
        size=BODY_SIZE,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        indent=2 * CHAR,
        bold: bool = False,
        color: RGBColor | None = None,
    ) -> Paragraph:
        p = self.doc.add_paragraph()
        p.alignment = align
        if size != BODY_SIZE:
            off_grid(p)
        p.paragraph_format.first_line_indent = indent if indent else None
        if text:
            set_font(p.add_run(text), font, size, bold, color)
        return p

    def heading(self, level: int, n: int, title: str, text: str = "") -> Paragraph:
        """A numbered heading; text after a level 3 or 4 heading runs on in the same paragraph."""
        p = self.paragraph()
        p.paragraph_format.keep_with_next = not text  # a heading never ends a page alone
        set_font(p.add_run(heading_number(level, n) + title), HEADING_FONTS[level - 1], BODY_SIZE)
        if text:
            set_font(p.add_run(text), BODY_FONT, BODY_SIZE)
        return p

    def table(self, frame: pd.DataFrame) -> Table | None:
        """A table as wide as the text block, in the largest of 小四/五号/小五 whose columns fit;
        header row 黑体, repeated on each page; rows never split across pages."""
        if frame.empty:
            return None
        header = [str(c) for c in frame.columns]
        cells = [["" if pd.isna(v) else str(v) for v in row] for row in frame.itertuples(False)]
        size, widths = table_layout(header, cells)
        table = self.doc.add_table(rows=1 + len(cells), cols=len(header))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _cell_margins(table)
        grid = table._tbl.tblGrid
        for col, width in zip(grid.gridCol_lst, widths, strict=True):
            col.w = width
        numeric = [
            c > 0 and all(_is_number(row[c]) or row[c] in ("—", "") for row in cells)
            for c in range(len(header))
        ]  # right-aligned, a dash for "none" included
        for r, values in enumerate([header, *cells]):
            row = table.rows[r]
            tr_pr = row._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:cantSplit"))
            if r == 0:
                tr_pr.append(OxmlElement("w:tblHeader"))
            for c, value in enumerate(values):
                cell = row.cells[c]
                cell.width = widths[c]
                p = cell.paragraphs[0]
                fmt = p.paragraph_format
                fmt.first_line_indent = None
                off_grid(p)
                fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
                p.alignment = (
                    WD_ALIGN_PARAGRAPH.CENTER
                    if r == 0
                    else WD_ALIGN_PARAGRAPH.RIGHT
                    if numeric[c]
                    else WD_ALIGN_PARAGRAPH.LEFT
                )
                set_font(p.add_run(value), HEADING_FONTS[0] if r == 0 else BODY_FONT, size)
        return table

    # the document

    def head(self) -> None:
        """版头: mark, number, red rule."""
        s, b = self.settings, self.b
        mark_size = Pt(min(MARK_SIZE.pt, TEXT_WIDTH.pt / max(len(s.mark), 1)))
        p = self.paragraph(
            s.mark, TITLE_FONT, mark_size, WD_ALIGN_PARAGRAPH.CENTER, indent=0, color=RED
        )
        fmt = p.paragraph_format
        fmt.space_before = MARK_TOP
        # A line exactly as tall as the type: its top is the mark's top, 35 mm down.
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = mark_size
        self.paragraph(align=WD_ALIGN_PARAGRAPH.CENTER, indent=0)
        self.paragraph(align=WD_ALIGN_PARAGRAPH.CENTER, indent=0)
        number = self.paragraph(
            s.document_number(b.year, b.quarter), align=WD_ALIGN_PARAGRAPH.CENTER, indent=0
        )
        _rule(number, "bottom", space_pt=11, size_eighths=8, color="FF0000")  # 4 mm under it
        self.paragraph(align=WD_ALIGN_PARAGRAPH.CENTER, indent=0)
        self.paragraph(align=WD_ALIGN_PARAGRAPH.CENTER, indent=0)

    def body(self) -> None:
        b, lang = self.b, self.b.lang
        self.paragraph(b.title(), TITLE_FONT, TITLE_SIZE, WD_ALIGN_PARAGRAPH.CENTER, indent=0)
        self.paragraph(indent=0)
        self.paragraph(self.settings.addressees, align=WD_ALIGN_PARAGRAPH.LEFT, indent=0)
        self.paragraph(
            t(
                "br_doc_opening",
                lang,
                area=b.area_name,
                when=br.when_text(b.now, lang),
                data_as_of=b.data_as_of,
            )
        )
        texts = br.summary(b)
        for n, section in enumerate(br.SECTIONS, start=1):
            self.heading(1, n, br.section_title(section, lang))
            self.paragraph(texts[section])
            parts = tables(b, section)
            for m, (title, frame) in enumerate(parts, start=1):
                self.heading(2, m, title)
                self.table(frame)
            self.notes(len(parts) + 1, br.section_notes(b, section))
        self.paragraph(t("br_doc_closing", lang))

    def notes(self, n: int, notes: list[br.Note]) -> None:
        """（n）解读, then per figure 1. 预算执行率, and per note （1）天水市：…"""
        if not notes:
            return
        lang = self.b.lang
        self.heading(2, n, t("br_notes", lang))
        figures = list(dict.fromkeys(note.figure for note in notes))
        for i, figure in enumerate(figures, start=1):
            self.heading(3, i, t(figure, lang))
            mine = [note for note in notes if note.figure == figure]
            for j, note in enumerate(mine, start=1):
                self.heading(4, j, note.area + ("：" if lang == "zh" else ": "), note.text)

    def sign(self) -> None:
        """Signature two characters in from the right, the date on the next line starting two
        characters right of the signature (a document without a seal)."""
        signature, date = self.settings.signature, date_text(self.issued, self.b.lang)
        self.paragraph(indent=0)
        self.paragraph(indent=0)
        sig = self.paragraph(signature, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=0)
        sig.paragraph_format.right_indent = 2 * CHAR
        sig_width = Emu(int(_width_in_chars(signature) * CHAR))
        date_width = Emu(int(_width_in_chars(date) * CHAR))
        start = TEXT_WIDTH - 2 * CHAR - sig_width + 2 * CHAR
        start = min(start, TEXT_WIDTH - date_width)
        day = self.paragraph(date, align=WD_ALIGN_PARAGRAPH.LEFT, indent=0)
        day.paragraph_format.left_indent = Emu(max(int(start), 0))
        if self.b.demo:  # 附注: left, two characters in, in brackets, under the date
            self.paragraph(f"（{t('demo_notice', self.b.lang)}）")

    def imprint(self) -> None:
        """版记: printer and printing date between full-width rules."""
        self.paragraph(indent=0)
        p = self.paragraph(
            t(
                "br_doc_printed",
                self.b.lang,
                printer=self.settings.printer,
                date=date_text(self.issued, self.b.lang),
            ),  # fmt: skip
            size=Pt(14),
            align=WD_ALIGN_PARAGRAPH.LEFT,
            indent=0,
        )
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = CHAR // 2
        _rule(p, "top", space_pt=4, size_eighths=8, color="000000")
        _rule(p, "bottom", space_pt=4, size_eighths=8, color="000000")

    def build(self) -> bytes:
        self.head()
        self.body()
        self.sign()
        self.imprint()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return _stamped(buffer.getvalue(), self.issued)


# Children of w:pPr that come after w:pBdr, in the schema's order (Word refuses other orders).
_AFTER_BORDERS = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def off_grid(paragraph: Paragraph) -> None:
    """Type other than 3号 (title, tables, page numbers) keeps its own pitch: not snapped to
    the body's character grid."""
    p_pr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p_pr.insert_element_before(snap, *_AFTER_BORDERS[_AFTER_BORDERS.index("w:spacing") :])


def _stamped(data: bytes, day: dt.date) -> bytes:
    """The file with every part dated the day of issue instead of the moment of saving, so
    that the same briefing makes the same bytes (the page's download and the command's)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


def _rule(paragraph: Paragraph, side: str, space_pt: int, size_eighths: int, color: str) -> None:
    """A rule above or under a paragraph, as wide as the paragraph (the text block)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.insert_element_before(borders, *_AFTER_BORDERS)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), str(space_pt))
    line.set(qn("w:color"), color)
    borders.append(line)


def _cell_margins(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        node = OxmlElement(f"w:{side}")
        node.set(qn("w:w"), str(round(CELL_MARGIN.pt * 20)))
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def _is_number(text: str) -> bool:
    return (
        bool(text)
        and text.replace(",", "").replace(".", "").replace("%", "").lstrip("+-").isdigit()
    )


CELL_MARGIN = Mm(1)  # left and right, inside each cell
CELL_PADDING = Pt(2 * CELL_MARGIN.pt + 1)  # both margins and the rule


def table_layout(header: list[str], cells: list[list[str]]) -> tuple[object, list[Emu]]:
    """The largest table type size at which every column fits the text block, and the columns'
    widths: numbers and short texts on one line, headers and long texts wrapped to at most
    two lines."""
    for size in TABLE_SIZES:
        needs = []
        for c, title in enumerate(header):
            column = [row[c] for row in cells]
            longest = max((_width_in_chars(v) for v in column), default=0)
            if not all(_is_number(v) or v in ("—", "") for v in column) and longest > 8:
                longest = longest / 2  # long text wraps to two lines
            need = max(longest, _width_in_chars(title) / 2, 2) * size.pt + CELL_PADDING.pt
            needs.append(need)
        if sum(needs) <= TEXT_WIDTH.pt or size == TABLE_SIZES[-1]:
            break
    spare = max(TEXT_WIDTH.pt - sum(needs), 0)
    widths = [Emu(int(Pt(n + spare * n / sum(needs)))) for n in needs]
    return size, widths


def tables(b: br.Briefing, section: str) -> list[tuple[str, pd.DataFrame]]:
    """The tables under a section (title, table), the page's own builders."""
    lang = b.lang
    if section == "budget":
        return [(t("br_doc_measures", lang), br.measures_table(b))]
    if section == "facilities":
        return [(t("br_doc_facilities", lang), br.facility_overview_table(b))]
    if section == "compliance":
        return [(t("br_levels_title", lang), br.levels_table(b))]
    if section == "rankings" and b.ranked_level:
        return [
            (t("br_sheet_boards", lang), br.honour_table(b)),
            (t("br_ranking_table", lang, level=b.level_name()), br.ranking_table(b)),
        ]
    if section == "changes" and b.before is not None:
        return [(t("br_doc_changes", lang), br.changes_table(b))]
    if section == "quality" and not (quality := br.quality_table(b)).empty:
        return [(t("dq_rules_title", lang), quality)]
    return []


def document_bytes(
    b: br.Briefing, settings: DocumentSettings | None = None, issued: dt.date | None = None
) -> bytes:
    """The 通报 as a .docx file; `issued` is the date of issue (成文日期), today by default."""
    return _Writer(b, settings or document_settings(), issued or dt.date.today()).build()
