"""The quarterly briefing as a PowerPoint deck (python-pptx): a cover with the filters, the
data-as-of date and the demo notice, then one slide per section of the briefing, each with its
summary paragraph, a native (editable) chart and a native table. Pure: a Briefing in, bytes out.

Every figure comes from the same Briefing object and the same table builders as the page, so
the slide says what the screen says. Chinese text is set in Microsoft YaHei on the runs' East
Asian font (`a:ea`) as well as the Latin one, so PowerPoint and WPS do not fall back to a font
without Chinese glyphs; the summary paragraph is also put in the speaker notes, followed by the
notes (解读) on the section's figures."""

from __future__ import annotations

import io
from copy import deepcopy

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.slide import Slide
from pptx.text.text import Font
from pptx.util import Emu, Inches, Pt

from dashboard import briefing as br
from dashboard import maps
from dashboard.i18n import period_label, t
from data_access.models import FACILITY_KINDS

FONT = "Microsoft YaHei"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
INK = RGBColor(0x1F, 0x29, 0x33)
MUTED = RGBColor(0x5F, 0x6B, 0x7A)
RED = RGBColor(0xC0, 0x39, 0x2B)
GREEN = RGBColor(0x2E, 0x8B, 0x57)
BLUE = RGBColor(0x2F, 0x80, 0xED)
GREY = RGBColor(0x9A, 0xA5, 0xB1)
NOTICE_FILL = RGBColor(0xFF, 0xF4, 0xE5)
CARD_FILL = RGBColor(0xF3, 0xF6, 0xF9)
PERCENT = '0.0"%"'
PERCENT_AXIS = '0"%"'
ROW_FACTOR = 1.9  # a table row's height in points per point of type
CELL_MARGIN = Pt(2)
FOOTER = Inches(0.55)  # kept free at the bottom of a section slide
COUNT = "#,##0"


def cjk(font: Font, name: str = FONT) -> None:
    """Set the Latin and the East Asian typeface of a run (or a default run property)."""
    font.name = name
    rpr = font._rPr
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = OxmlElement("a:ea")
        rpr.find(qn("a:latin")).addnext(ea)
    ea.set("typeface", name)


def _style_runs(text_frame, size: int, color: RGBColor = INK, bold: bool = False) -> None:
    for paragraph in text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            run.font.color.rgb = color
            cjk(run.font)


def _text(
    slide: Slide,
    text: str,
    left,
    top,
    width,
    height,
    size: int,
    color: RGBColor = INK,
    bold: bool = False,
    align=PP_ALIGN.LEFT,
):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    lines = text.split("\n")
    frame.text = lines[0]
    for line in lines[1:]:
        frame.add_paragraph().text = line
    for paragraph in frame.paragraphs:
        paragraph.alignment = align
    _style_runs(frame, size, color, bold)
    return box


def _run_properties(size: int, color: RGBColor, bold: bool) -> OxmlElement:
    """An `a:rPr` with size, weight, colour and the Latin and East Asian typefaces, to copy
    into many runs (much faster than setting each run's font through python-pptx)."""
    rpr = OxmlElement("a:rPr")
    rpr.set("lang", "zh-CN")
    rpr.set("sz", str(size * 100))
    rpr.set("b", "1" if bold else "0")
    fill = OxmlElement("a:solidFill")
    rgb = OxmlElement("a:srgbClr")
    rgb.set("val", str(color))
    fill.append(rgb)
    rpr.append(fill)
    for tag in ("a:latin", "a:ea"):
        face = OxmlElement(tag)
        face.set("typeface", FONT)
        rpr.append(face)
    return rpr


def _fill_cell(cell, text: str, rpr, align: str) -> None:
    cell.text = text
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    cell.margin_top = cell.margin_bottom = CELL_MARGIN
    for p in cell.text_frame._txBody.iterchildren(qn("a:p")):
        p.get_or_add_pPr().set("algn", align)
        for r in p.iterchildren(qn("a:r")):
            old = r.find(qn("a:rPr"))
            if old is not None:
                r.remove(old)
            r.insert(0, deepcopy(rpr))


def _table(slide: Slide, frame: pd.DataFrame, left, top, width, size: int = 12, widths=None):
    """A native table of the frame (header row first), every cell as the text shown."""
    rows, cols = len(frame) + 1, len(frame.columns)
    row_height = Pt(size * ROW_FACTOR)
    shape = slide.shapes.add_table(rows, cols, left, top, width, Emu(row_height * rows))
    table = shape.table
    for i, column_width in enumerate(column_widths(width, cols, widths)):
        table.columns[i].width = Emu(column_width)
    for r in range(rows):
        table.rows[r].height = row_height
    header = _run_properties(size, RGBColor(0xFF, 0xFF, 0xFF), True)
    body = _run_properties(size, INK, False)
    for c, name in enumerate(frame.columns):
        _fill_cell(table.cell(0, c), str(name), header, "l" if c == 0 else "ctr")
    for r, values in enumerate(frame.itertuples(index=False), start=1):
        for c, value in enumerate(values):
            _fill_cell(table.cell(r, c), _cell_text(value), body, "l" if c == 0 else "ctr")
    return shape


def _cell_text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return str(value)


def _chart(
    slide: Slide,
    kind,
    categories: list[str],
    series: list[tuple[str, list]],
    left,
    top,
    width,
    height,
    number_format: str,
    title: str,
    colors: list[RGBColor],
    legend: bool = True,
    labelled: tuple[int, ...] | None = None,
):
    """A native chart with its values as data labels (of the series in `labelled`, or all),
    fonts set for Chinese."""
    data = CategoryChartData(number_format=number_format)
    data.categories = categories
    for name, values in series:
        data.add_series(name, values)
    chart = slide.shapes.add_chart(kind, left, top, width, height, data).chart
    cjk(chart.font)
    chart.font.size = Pt(12)
    chart.has_title = True
    chart.chart_title.text_frame.text = title
    _style_runs(chart.chart_title.text_frame, 14, INK, bold=True)
    chart.has_legend = legend and len(series) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
    axis = chart.value_axis
    axis.minimum_scale = 0
    axis.tick_labels.number_format = PERCENT_AXIS if number_format == PERCENT else COUNT
    axis.tick_labels.number_format_is_linked = False
    plot = chart.plots[0]
    plot.gap_width = 60
    for i, (s, color) in enumerate(zip(plot.series, colors, strict=False)):
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = color
        if labelled is None or i in labelled:
            labels = s.data_labels
            labels.show_value = True
            labels.number_format = number_format
            labels.number_format_is_linked = False
            labels.font.size = Pt(11)
            cjk(labels.font)
    return chart


def _percent(rate: float | None) -> float | None:
    """The chart value of a rate: the percentage shown in the tables and the summary."""
    return br._percent_number(rate)


CELL_PADDING = Inches(0.2)  # a cell's left and right margins together


def _text_width(text: str, size: int) -> int:
    """About how wide a text is set at this size (EMU): a Chinese character is as wide as the
    type is high, a Latin one a little over half of that (rounded up for word wrapping)."""
    return int(sum(1.0 if ord(ch) > 0x2E7F else 0.6 for ch in text) * Pt(size))


def _row_height(values, widths: list[int], size: int) -> int:
    lines = max(
        (
            -(-_text_width(str(v), size) // max(1, w - CELL_PADDING))
            for v, w in zip(values, widths, strict=True)
        ),
        default=1,
    )
    return max(Pt(size * ROW_FACTOR), Pt(max(lines, 1) * size * 1.2) + 2 * CELL_MARGIN)


def column_widths(width: int, cols: int, shares=None) -> list[int]:
    shares = shares or [1] * cols
    return [int(width * share / sum(shares)) for share in shares]


def table_height(frame: pd.DataFrame, widths: list[int], size: int) -> int:
    """The height (EMU) the table takes at this type size, wrapped cells included."""
    rows = [list(map(str, frame.columns))]
    rows += [[_cell_text(v) for v in values] for values in frame.itertuples(index=False)]
    return sum(_row_height(row, widths, size) for row in rows)


def fitting_size(
    frame: pd.DataFrame, widths: list[int], room: int, largest: int = 12, smallest: int = 8
) -> int:
    """The largest type size (pt) at which the table fits in `room` (EMU)."""
    for size in range(largest, smallest - 1, -1):
        if table_height(frame, widths, size) <= room:
            return size
    return smallest


def paragraph_size(text: str, width: int) -> tuple[int, int]:
    """Type size for a section's summary paragraph and the height (EMU) it needs: 15 pt, or
    smaller when that would take more than four lines. A Chinese character is about as wide
    as the type is high, so this slightly overestimates for Latin text."""
    for size in (15, 14, 13, 12):
        per_line = max(1, int(width / Pt(size)))
        lines = -(-len(text) // per_line)
        if lines <= 4:
            break
    return size, Pt(lines * size * 1.3 + 8)


class _Deck:
    def __init__(self, b: br.Briefing):
        self.b = b
        self.top = self.room = 0  # where a section's content starts, and its height
        self.lang = b.lang
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.blank = self.prs.slide_layouts[6]
        self.paragraphs = br.summary(b)

    def slide(self, section: str | None = None) -> Slide:
        slide = self.prs.slides.add_slide(self.blank)
        if section is None:
            return slide
        b = self.b
        n = br.SECTIONS.index(section) + 1
        _text(
            slide,
            f"{br.NUMERALS[n - 1]}、{br.section_title(section, self.lang)}"
            if self.lang == "zh"
            else f"{n}. {br.section_title(section, self.lang)}",
            MARGIN,
            Inches(0.3),
            WIDTH - 2 * MARGIN,
            Inches(0.7),
            28,
            bold=True,
        )
        text = self.paragraphs[section]
        size, height = paragraph_size(text, WIDTH - 2 * MARGIN)
        _text(slide, text, MARGIN, Inches(1.0), WIDTH - 2 * MARGIN, height, size)
        self.top = Inches(1.0) + height + Inches(0.15)
        self.room = HEIGHT - FOOTER - self.top
        footer = f"{b.area_name} · {b.year} {b.quarter_name} · " + t(
            "as_of", self.lang, date=b.now.as_of.isoformat()
        )
        if b.demo:
            footer += " · " + t("br_demo_short", self.lang)
        _text(
            slide,
            footer,
            MARGIN,
            HEIGHT - Inches(0.45),
            WIDTH - 2 * MARGIN - Inches(0.8),
            Inches(0.35),
            10,
            MUTED,
        )
        _text(
            slide,
            f"{n + 1}",
            WIDTH - MARGIN - Inches(0.6),
            HEIGHT - Inches(0.45),
            Inches(0.6),
            Inches(0.35),
            10,
            MUTED,
            align=PP_ALIGN.RIGHT,
        )
        notes = [self.paragraphs[section]]
        for note in br.section_notes(b, section):  # 解读 by the people closest to a figure
            notes.append(f"{t('br_notes', self.lang)} · {br.note_line(note, self.lang)}")
        slide.notes_slide.notes_text_frame.text = "\n".join(notes)
        return slide

    # --- the slides -------------------------------------------------------------------------

    def cover(self) -> None:
        b, lang = self.b, self.lang
        slide = self.slide()
        _text(slide, t("federation", lang), MARGIN, Inches(0.5), Inches(12), Inches(0.5), 18, MUTED)
        _text(slide, b.title(), MARGIN, Inches(1.0), Inches(12.3), Inches(1.2), 34, bold=True)
        _text(
            slide,
            f"{b.area_name} · {b.year} {b.quarter_name}",
            MARGIN,
            Inches(2.2),
            Inches(12),
            Inches(0.6),
            24,
            BLUE,
        )
        note = b.meta().get(t("bud_note", lang))
        frame = br.meta_table(b)
        frame = frame[frame.iloc[:, 0] != t("bud_note", lang)]
        _table(slide, frame, MARGIN, Inches(3.0), Inches(7.5), 14, widths=[1, 2])
        if note:
            box = slide.shapes.add_shape(
                MSO_SHAPE.RECTANGLE, Inches(8.4), Inches(3.0), Inches(4.4), Inches(2.6)
            )
            box.fill.solid()
            box.fill.fore_color.rgb = NOTICE_FILL
            box.line.color.rgb = RGBColor(0xF2, 0x99, 0x4A)
            frame_ = box.text_frame
            frame_.word_wrap = True
            frame_.text = t("bud_note", lang)
            frame_.add_paragraph().text = str(note)
            _style_runs(frame_, 14, INK)
            frame_.paragraphs[0].runs[0].font.bold = True

    def headline(self) -> None:
        slide = self.slide("headline")
        cards = br.headline(self.b)
        width, height = Inches(2.95), Inches(1.75)
        for i, (label, value, delta) in enumerate(cards):
            left = MARGIN + (width + Inches(0.18)) * (i % 4)
            top = Inches(2.5) + (height + Inches(0.3)) * (i // 4)
            card = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, width, height)
            card.fill.solid()
            card.fill.fore_color.rgb = CARD_FILL
            card.line.color.rgb = RGBColor(0xDD, 0xE3, 0xEA)
            frame = card.text_frame
            frame.word_wrap = True
            frame.text = label
            frame.add_paragraph().text = value
            if delta:
                frame.add_paragraph().text = delta
            sizes = (14, 30, 14)
            colors = (MUTED, INK, RED if delta and delta.startswith("-") else GREEN)
            for j, paragraph in enumerate(frame.paragraphs):
                paragraph.alignment = PP_ALIGN.CENTER
                for run in paragraph.runs:
                    run.font.size = Pt(sizes[j])
                    run.font.bold = j == 1
                    run.font.color.rgb = colors[j]
                    cjk(run.font)

    def chart(self, slide: Slide, kind, categories, series, number_format, title, colors, **kw):
        """A chart in the left part of a section slide, as tall as the room left."""
        width = kw.pop("width", Inches(5.4))
        return _chart(
            slide,
            kind,
            categories,
            series,
            MARGIN,
            self.top,
            width,
            self.room,
            number_format,
            title,
            colors,
            **kw,
        )

    def table(self, slide: Slide, frame: pd.DataFrame, left, widths=None, top=None, largest=12):
        """A table from `left` to the right margin, its type as large as fits the room."""
        top = self.top if top is None else top
        width = WIDTH - MARGIN - left
        size = fitting_size(
            frame, column_widths(width, len(frame.columns), widths), HEIGHT - FOOTER - top, largest
        )
        return _table(slide, frame, left, top, width, size, widths)

    def budget(self) -> None:
        b, lang = self.b, self.lang
        slide = self.slide("budget")
        money = b.now.with_money
        if money:
            shown = money[::-1]  # PowerPoint draws the first bar lowest
            self.chart(
                slide,
                XL_CHART_TYPE.BAR_CLUSTERED,
                [m.label for m in shown],
                [
                    (t("execution_rate", lang), [_percent(m.execution.rate) for m in shown]),
                    (t("time_progress", lang), [_percent(b.now.progress)] * len(shown)),
                ],
                PERCENT,
                t("br_measures_chart", lang),
                [RED, BLUE],
                width=Inches(5.2),
                labelled=(0,),
            )
        self.table(
            slide, br.measures_table(b), Inches(5.9), widths=[2.1, 1.25, 1.25, 1.05, 1.25, 1.35]
        )

    def facilities(self) -> None:
        b, lang = self.b, self.lang
        slide = self.slide("facilities")
        kinds = [b.now.facility(k) for k in FACILITY_KINDS]
        statuses = ("operating", "building", "planned", "suspended")
        self.chart(
            slide,
            XL_CHART_TYPE.COLUMN_CLUSTERED,
            [t(maps.KIND_LABELS[f.kind], lang) for f in kinds],
            [(t("target", lang), [f.target for f in kinds])]
            + [(t(f"fac_status_{s}", lang), [getattr(f, s) for f in kinds]) for s in statuses],
            COUNT,
            br.section_title("facilities", lang),
            [GREY, GREEN, BLUE, RGBColor(0xF2, 0x99, 0x4A), RGBColor(0x42, 0x42, 0x42)],
        )
        self.table(
            slide, br.facility_overview_table(b), Inches(6.2), widths=[1.7, 1, 1, 1, 1, 1, 1]
        )

    def compliance(self) -> None:
        b, lang = self.b, self.lang
        slide = self.slide("compliance")
        if b.ranked_level and any(a.contacts.pairings for a in b.now.areas):
            ranked = br.compliance_ranking(b.now)[::-1]  # PowerPoint draws the first bar lowest
            categories = [a.name for a in ranked]
            values = [_percent(a.contacts.rate) for a in ranked]
            title = t("br_compliance_chart", lang, level=b.level_name())
        else:
            levels = [lv for lv in b.now.levels if lv.pairings]
            categories = [lv.name for lv in levels]
            values = [_percent(lv.rate) for lv in levels]
            title = t("br_levels_title", lang)
        if categories:
            self.chart(
                slide,
                XL_CHART_TYPE.BAR_CLUSTERED,
                categories,
                [(t("compliance_rate", lang), values)],
                PERCENT,
                title,
                [GREEN],
                legend=False,
            )
        _text(
            slide,
            t("br_levels_title", lang),
            Inches(6.2),
            self.top,
            Inches(6),
            Inches(0.4),
            14,
            bold=True,
        )
        self.table(slide, br.levels_table(b), Inches(6.2), top=self.top + Inches(0.45))

    def rankings(self) -> None:
        b, lang = self.b, self.lang
        slide = self.slide("rankings")
        if not b.ranked_level:
            return
        ranked = br.execution_ranking(b.now)[::-1]
        if ranked:
            self.chart(
                slide,
                XL_CHART_TYPE.BAR_CLUSTERED,
                [a.name for a in ranked],
                [(t("execution_rate", lang), [_percent(a.execution.rate) for a in ranked])],
                PERCENT,
                t("br_areas_chart", lang, level=b.level_name()),
                [RED],
                legend=False,
            )
        self.table(
            slide, br.honour_table(b), Inches(6.2), widths=[0.7, 0.5, 1.6, 1.6, 1.6], largest=14
        )

    def changes(self) -> None:
        b, lang = self.b, self.lang
        slide = self.slide("changes")
        if b.before is None:
            return
        rates = [c for c in br.changes(b) if c.kind == "rate"]
        before = t("br_at_end", lang, quarter=period_label(b.before.quarter, lang))
        now = t("br_at_end", lang, quarter=b.quarter_name)
        self.chart(
            slide,
            XL_CHART_TYPE.COLUMN_CLUSTERED,
            [br.change_label(b, c) for c in rates],
            [
                (before, [_percent(c.before) for c in rates]),
                (now, [_percent(c.now) for c in rates]),
            ],
            PERCENT,
            br.section_title("changes", lang),
            [GREY, BLUE],
            width=Inches(5.2),
        )
        self.table(slide, br.changes_table(b), Inches(5.9), widths=[2.4, 1.2, 1.2, 1.5])

    def quality(self) -> None:
        b, lang = self.b, self.lang
        slide = self.slide("quality")
        table = br.quality_table(b)
        if table.empty:
            return
        found = [q for q in b.quality if q.open][::-1]
        if found:
            self.chart(
                slide,
                XL_CHART_TYPE.BAR_CLUSTERED,
                [q.rule for q in found],
                [(t("br_quality_chart", lang), [q.open for q in found])],
                COUNT,
                t("br_quality_chart", lang),
                [RED],
                legend=False,
            )
        self.table(slide, table, Inches(6.2), widths=[3.2, 0.8, 0.9, 0.9], largest=12)

    def build(self) -> bytes:
        self.cover()
        for section in br.SECTIONS:
            getattr(self, section)()
        self.prs.core_properties.title = self.b.title()
        self.prs.core_properties.subject = f"{self.b.area_name} {self.b.year} {self.b.quarter}"
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def deck_bytes(b: br.Briefing) -> bytes:
    """The briefing as a .pptx file: cover, then one slide per section."""
    return _Deck(b).build()
