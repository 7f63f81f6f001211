"""The quarterly briefing (季通报) builders: the numbers object, its summary sentences, and the
PPTX, XLSX and text files opened the way a presenter or a clerk would open them. Hand-built
figures for the rules of the wording; the demo database (SQLite and PostgreSQL) for the files."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from docx import Document
from pptx import Presentation
from pptx.oxml.ns import qn
from sqlalchemy import select

from dashboard import briefing as br
from dashboard import docx_export, pptx_export
from dashboard.i18n import LABELS, t
from dashboard.rules import CONTACT_RULE, as_of, execution_rate
from data_access import budget, queries
from data_access.contacts import COUNT_COLUMNS
from data_access.models import Cadre, County, Prefecture, Recipient
from data_access.reference import PREFECTURES
from data_access.scope import PROVINCE, Filters, Scope

# The money of the ten measures in the notice of 20 February 2024 (PROGRAM.md), in 万元.
SOURCE_WAN = {2: "5,512.80", 4: "10,194.29", 6: "600.00", 7: "3,181.60", 8: "600.00"}
SOURCE_YUAN = {2: 55_128_000, 4: 101_942_900, 6: 6_000_000, 7: 31_816_000, 8: 6_000_000}


# --- hand-built figures -------------------------------------------------------------------------


def quarter(
    q: str = "Q2",
    progress: float = 0.5,
    measures=((2, "志愿服务", 1, 1_000_000, 400_000), (3, "无碍共享", 0, 0, 0)),
    areas=(
        ("620100", "兰州市", 1_000_000, 500_000, 10, 9),
        ("620200", "嘉峪关市", 1_000_000, 300_000, 10, 5),
    ),
    huts=(60, 5, 43, 12, 0),
    care=(20, 3, 14, 3, 0),
    level: str = "prefecture",
) -> br.QuarterFigures:
    """A quarter from frames shaped like the queries' results. areas: (code, name, planned,
    disbursed, pairings, on track); huts/care: (target, operating, building, planned, suspended)."""
    measures_frame = pd.DataFrame(
        [(i, n, n + "_en", lines, p, d, 0) for i, n, lines, p, d in measures],
        columns=[
            "measure_id",
            "name_zh",
            "name_en",
            "lines",
            "planned_fen",
            "disbursed_fen",
            "period_fen",
        ],
    )
    code = f"{level}_code"
    money = pd.DataFrame(
        [(c, n, n, p, d, 0) for c, n, p, d, _, _ in areas],
        columns=[code, "name", "short_name", "planned_fen", "disbursed_fen", "period_fen"],
    )
    facilities = pd.DataFrame(
        [
            (areas[0][0], areas[0][1], kind, target, planned, building, operating, suspended)
            for kind, (target, operating, building, planned, suspended) in (
                ("love_hut", huts),
                ("day_care", care),
            )
        ],
        columns=["code", "name", "kind", "target", "planned", "building", "operating", "suspended"],
    )
    rows = []
    for c, n, _, _, pairings, on_track in areas:
        county = c if level == "county" else c[:4] + "01"
        prefecture = c[:4] + "00"
        counts = dict.fromkeys(COUNT_COLUMNS, 0)
        counts.update(pairings=pairings, on_track=on_track, behind=pairings - on_track)
        rows.append({"prefecture_code": prefecture, "prefecture_name": n, "county_code": county,
                     "county_name": n, "level": "county", **counts})  # fmt: skip
    counts = pd.DataFrame(rows)
    contact_areas = counts[["prefecture_code", "prefecture_name", "county_code", "county_name"]]
    return br.quarter_figures(
        q, Filters(2024, q).end, progress, 2, 1, measures_frame, money, facilities, counts,
        contact_areas, level, "zh",
    )  # fmt: skip


def briefing(now: br.QuarterFigures, before: br.QuarterFigures | None = None, **kw) -> br.Briefing:
    values = {"year": 2024, "lang": "zh", "area_name": "全省", "level": "prefecture",
              "data_as_of": "2024-12-31", "demo": True} | kw  # fmt: skip
    return br.Briefing(now=now, before=before, **values)


def test_latest_quarter_is_the_last_ended_quarter_the_data_reach():
    assert br.latest_quarter(2024, dt.date(2026, 1, 5), dt.date(2024, 12, 31)) == "Q4"
    assert br.latest_quarter(2024, dt.date(2024, 8, 15)) == "Q2"
    assert br.latest_quarter(2024, dt.date(2024, 9, 30)) == "Q3"  # the quarter's last day
    assert br.latest_quarter(2024, dt.date(2026, 1, 5), dt.date(2024, 5, 2)) == "Q1"
    assert br.latest_quarter(2024, dt.date(2024, 2, 1)) == "Q1"  # none ended yet
    assert [br.previous_quarter(q) for q in br.QUARTERS] == [None, "Q1", "Q2", "Q3"]


def test_briefing_filters_clamp_the_area_to_the_scope():
    asked = Filters(2024, "Y", "620100", "620102")
    assert br.briefing_filters(Scope("620500"), asked, "Q2") == Filters(2024, "Q2", "620500")
    assert br.briefing_filters(PROVINCE, asked, "Q3") == Filters(2024, "Q3", "620100", "620102")
    with pytest.raises(ValueError):
        br.quarter_filters(asked, "Y")


def test_gaps_are_differences_of_the_percentages_shown():
    # 40.84 % against 49.66 %: exactly 8.82 points apart, but a reader subtracts 49.7 − 40.8.
    ex = br.execution(1_000_000, 408_400, 0.4966)
    assert (ex.gap_pp, ex.behind) == (-8.9, True)
    now = quarter(measures=((2, "志愿服务", 1, 1_000_000, 408_400),), progress=0.4966)
    b = briefing(now)
    assert "预算执行率为40.8%，低于时序进度（49.7%）8.9个百分点" in br.summary(b)["headline"]
    assert ("预算执行率", "40.8%", "-8.9 pp") in br.headline(b)
    change = br.Change("execution_rate", "rate", 0.1716, 0.4084)  # 17.2 % → 40.8 %
    assert change.delta == 23.6 and change.delta_text("zh") == "+23.6个百分点"


def test_summary_names_what_is_behind_and_the_red_and_black_lists():
    now = quarter(
        progress=0.45,
        measures=((2, "志愿服务", 1, 1_000_000, 400_000), (4, "医康融合", 1, 1_000_000, 600_000),
                  (3, "无碍共享", 0, 0, 0)),
        areas=(("620100", "兰州市", 1_000_000, 500_000, 10, 9),
               ("620200", "嘉峪关市", 1_000_000, 300_000, 10, 5),
               ("620300", "金昌市", 1_000_000, 400_000, 0, 0)),
    )  # fmt: skip
    text = br.summary(briefing(now))
    assert "3个市州中有2个执行率低于时序进度" in text["headline"]
    assert "有资金安排的2项措施计划资金2.00万元，累计支出1.00万元，执行率50.0%" in text["budget"]
    assert "执行率低于时序进度的有1项：2. 志愿服务（40.0%）" in text["budget"]
    assert "3. 无碍共享" not in text["budget"]  # no money: neither behind nor on track
    # One of three areas on each list; 金昌市 has no pairing, so it is not ranked on contacts.
    assert "预算执行率红榜：兰州市（50.0%）；黑榜：嘉峪关市（30.0%）" in text["rankings"]
    assert "干部联系达标率红榜：兰州市（90.0%）；黑榜：嘉峪关市（50.0%）" in text["rankings"]
    assert "“爱心屋”运营5个（目标60个）" in text["headline"]
    assert "爱心屋目标60个，已运营5个（8.3%），在建43个，筹建12个，暂停0个" in text["facilities"]
    honour = br.honour_table(briefing(now))
    assert list(honour["榜单"]) == ["红榜", "黑榜"]
    assert list(honour["干部联系达标率"]) == ["兰州市（90.0%）", "嘉峪关市（50.0%）"]


def test_red_and_black_lists_never_share_an_area():
    def ranking(n):
        return list(range(n))

    assert br.lists(ranking(1)) == ([], [])
    assert br.lists(ranking(5)) == ([0, 1], [4, 3])
    red, black = br.lists(ranking(14))
    assert red == [0, 1, 2] and black == [13, 12, 11]


def test_level_with_and_above_time_progress_read_as_such():
    level = quarter(measures=((2, "志愿服务", 1, 1_000_000, 500_000),), progress=0.5)
    assert "与时序进度（50.0%）持平" in br.summary(briefing(level))["headline"]
    ahead = quarter(measures=((2, "志愿服务", 1, 1_000_000, 620_000),), progress=0.5)
    text = br.summary(briefing(ahead))
    assert "高于时序进度（50.0%）12.0个百分点" in text["headline"]
    assert "各项措施执行率均达到时序进度" in text["budget"]


def test_first_quarter_has_nothing_to_compare_and_a_county_nothing_to_rank():
    b = briefing(quarter("Q1"))
    assert br.changes(b) == [] and br.changes_table(b).empty
    assert "第一季度为年度首个季度" in br.summary(b)["changes"]
    county = quarter(areas=(("620502", "秦州区", 1_000_000, 500_000, 10, 9),), level="county")
    b = briefing(county, level="county", area_name="天水市 · 秦州区")
    assert b.ranked_level is None
    assert br.summary(b)["rankings"] == t("br_s_no_ranking")
    assert "县区中有" not in br.summary(b)["headline"]


def test_changes_compare_both_quarter_ends():
    before = quarter("Q1", progress=0.25, huts=(60, 1, 40, 19, 0))
    now = quarter("Q2", progress=0.5)
    b = briefing(now, before)
    table = br.changes_table(b).set_index("指标")
    assert list(table.columns) == ["第一季度末", "第二季度末", "变化"]
    assert table.loc["“爱心屋”运营"].tolist() == ["1", "5", "+4个"]
    assert table.loc["时序进度"].tolist() == ["25.0%", "50.0%", "+25.0个百分点"]
    assert "“爱心屋”运营由1变为5（+4个）" in br.summary(b)["changes"]
    numbers = br.changes_table(b, unit="number").set_index("指标")
    assert numbers.loc["累计支出（万元）", "单位"] == "元"
    assert numbers.loc["时序进度", "变化"] == 25.0


def test_summary_text_file_opens_in_notepad():
    data = br.summary_bytes(briefing(quarter("Q2"), quarter("Q1", progress=0.25)))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[0] == "结对关爱困难重度残疾人行动十大提升措施2024年第二季度通报"
    assert "地区：全省" in lines and "数据更新至：2024-12-31" in lines
    assert any(line.startswith("数据说明：演示数据") for line in lines)
    assert [line for line in lines if re.match("^[一二三四五六七]、", line)] == [
        "一、总体情况", "二、十大提升措施预算执行", "三、“爱心屋”和日间照料中心建设",
        "四、干部直接联系帮扶", "五、地区排名（红黑榜）", "六、较上季度变化", "七、数据质量",
    ]  # fmt: skip


def test_markdown_shows_the_text_as_written():
    assert br.markdown_safe("2. 志愿服务 *重点* [链接](x)") == r"2\. 志愿服务 \*重点\* \[链接\](x)"


# --- opening the files -------------------------------------------------------------------------


def slide_texts(slide) -> list[str]:
    """Every text a reader sees on a slide: text boxes, table cells, chart titles."""
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
        if shape.has_chart and shape.chart.has_title:
            out.append(shape.chart.chart_title.text_frame.text)
    return out


def table_of(slide, first_header: str) -> pd.DataFrame:
    for shape in slide.shapes:
        if shape.has_table:
            rows = [[c.text for c in row.cells] for row in shape.table.rows]
            if rows[0][0] == first_header:
                return pd.DataFrame(rows[1:], columns=rows[0])
    raise AssertionError(f"no table headed {first_header!r}")


def charts_of(slide):
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def chart_data(chart) -> dict[str, dict[str, float]]:
    """series name → category → value, as PowerPoint's 'Edit data' shows them."""
    plot = chart.plots[0]
    return {s.name: dict(zip(plot.categories, s.values, strict=True)) for s in plot.series}


def open_deck(data: bytes):
    return Presentation(io.BytesIO(data))


@pytest.fixture(scope="module")
def year_end(demo_engine):
    """The province's briefing at the end of 2024 (Q4, compared with Q3) on each backend."""
    return make(demo_engine, PROVINCE, Filters(2024, "Q4"))


def make(engine, scope, filters, lang="zh"):
    flt = br.briefing_filters(scope, filters, filters.period)
    name = "全省"
    if flt.prefecture:
        name = queries.prefectures(engine, PROVINCE).set_index("code")["name"][flt.prefecture]
    return br.collect(
        lambda fn, *args: fn(engine, *args), scope, flt, lang, name, queries.facts(engine)
    )


def test_deck_has_a_cover_and_one_slide_per_section(year_end):
    deck = open_deck(pptx_export.deck_bytes(year_end))
    assert len(deck.slides) == 1 + len(br.SECTIONS)
    cover = "\n".join(slide_texts(deck.slides[0]))
    for label, value in (("年度", "2024"), ("季度", "第四季度"), ("地区", "全省"),
                         ("统计截至", "2024-12-31"), ("数据更新至", "2024-12-31")):  # fmt: skip
        assert table_of(deck.slides[0], "指标").set_index("指标").loc[label, "内容"] == value
    assert t("demo_notice") in cover
    assert "结对关爱困难重度残疾人行动十大提升措施2024年第四季度通报" in cover
    for slide, section, numeral in zip(
        list(deck.slides)[1:], br.SECTIONS, "一二三四五六七", strict=True
    ):
        texts = slide_texts(slide)
        assert texts[0] == f"{numeral}、{br.section_title(section, 'zh')}"
        assert texts[1] == br.summary(year_end)[section]  # the paragraph under the title
        assert slide.notes_slide.notes_text_frame.text == texts[1]
    # Native, editable objects: a chart and a table on every section slide but the headline.
    for slide in list(deck.slides)[2:]:
        assert charts_of(slide) and any(s.has_table for s in slide.shapes)


def test_budget_slide_carries_the_notices_money(year_end):
    slide = open_deck(pptx_export.deck_bytes(year_end)).slides[2]
    table = table_of(slide, "措施").set_index("措施")
    assert len(table) == 10
    planned = {
        int(label.split(".")[0]): value for label, value in table["计划资金（万元）"].items()
    }
    assert {k: v for k, v in planned.items() if v != "—"} == SOURCE_WAN
    assert table.loc["3. 无碍共享", "状态"] == "无资金安排"
    # The chart plots the rates the table prints, and time progress beside them.
    (chart,) = charts_of(slide)
    data = chart_data(chart)
    rates = data["预算执行率"]
    assert set(rates) == {label for label, v in table["计划资金（万元）"].items() if v != "—"}
    for label, value in rates.items():
        assert f"{value:.1f}%" == table.loc[label, "预算执行率"]
    assert set(data["时序进度"].values()) == {100.0}


def test_headline_slide_shows_the_page_figures(year_end):
    slide = open_deck(pptx_export.deck_bytes(year_end)).slides[1]
    cards = [s.text_frame.text.split("\n") for s in slide.shapes if s.shape_type == 1]  # autoshape
    assert [c[:2] for c in cards] == [[label, value] for label, value, _ in br.headline(year_end)]
    planned = next(c for c in cards if c[0] == "计划资金（万元）")
    assert planned[1] == "20,088.69"


def test_every_run_names_an_east_asian_font(year_end):
    deck = open_deck(pptx_export.deck_bytes(year_end))
    runs = [r for slide in deck.slides for r in slide.shapes._spTree.iter(qn("a:r"))]
    assert len(runs) > 100
    for run in runs:
        ea = run.find(qn("a:rPr")).find(qn("a:ea"))
        assert ea is not None and ea.get("typeface") == pptx_export.FONT


def test_slide_objects_stay_on_the_slide(year_end):
    deck = open_deck(pptx_export.deck_bytes(year_end))
    for n, slide in enumerate(deck.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (n, shape.name)
            assert shape.left + shape.width <= deck.slide_width, (n, shape.name)
            assert shape.top + shape.height <= deck.slide_height, (n, shape.name)
        tables = [s for s in slide.shapes if s.has_table]
        for shape in tables:  # tables grow with their rows: their estimated height must fit
            frame = table_of(slide, shape.table.cell(0, 0).text)
            widths = [c.width for c in shape.table.columns]
            size = shape.table.cell(1, 0).text_frame.paragraphs[0].runs[0].font.size.pt
            bottom = shape.top + pptx_export.table_height(frame, widths, int(size))
            assert bottom <= deck.slide_height - pptx_export.FOOTER + 1, (n, shape.name)


def test_workbook_has_one_sheet_per_table_in_full_yuan(year_end):
    book = openpyxl.load_workbook(io.BytesIO(br.workbook_bytes(year_end)))
    assert book.sheetnames == [
        "筛选条件", "通报摘要", "十大提升措施预算执行", "“爱心屋”和日间照料中心建设",
        "干部直接联系帮扶", "地区排名", "红黑榜", "较上季度变化", "数据质量",
    ]  # fmt: skip
    meta = {r[0]: r[1] for r in book["筛选条件"].iter_rows(values_only=True)}
    assert meta["年度"] == "2024" and meta["季度"] == "第四季度" and meta["地区"] == "全省"
    assert meta["数据更新至"] == "2024-12-31" and meta["数据说明"] == t("demo_notice")
    rows = list(book["十大提升措施预算执行"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    planned = {int(r[0].split(".")[0]): r[header.index("计划资金（元）")] for r in body}
    assert {k: v for k, v in planned.items() if v is not None} == SOURCE_YUAN
    cell = book["十大提升措施预算执行"].cell(3, header.index("计划资金（元）") + 1)
    assert cell.number_format == "#,##0.00"
    ranking = list(book["地区排名"].iter_rows(values_only=True))
    assert len(ranking) == 1 + 14
    column = ranking[0].index("计划资金（元）")
    assert sum(Decimal(str(r[column])) for r in ranking[1:]) == sum(
        Decimal(v) for v in SOURCE_YUAN.values()
    )
    summary = list(book["通报摘要"].iter_rows(values_only=True))
    assert summary[1] == ("总体情况", br.summary(year_end)["headline"])


def test_briefing_agrees_with_the_overview_and_maps_queries(demo_engine, year_end):
    flt = Filters(2024, "Q4")
    measures = queries.budget_by_measure(demo_engine, PROVINCE, flt)
    rate = execution_rate(int(measures["planned_fen"].sum()), int(measures["disbursed_fen"].sum()))
    assert year_end.now.execution.rate == rate
    progress = queries.facility_progress(demo_engine, PROVINCE, flt).set_index("kind")
    for kind in ("love_hut", "day_care"):
        f = year_end.now.facility(kind)
        assert (f.operating, f.target) == (
            progress.loc[kind, "operating"],
            progress.loc[kind, "target"],
        )
    summary = queries.compliance_summary(
        demo_engine, PROVINCE, flt, CONTACT_RULE.requirement(as_of(flt))
    )
    assert year_end.now.contacts.pairings == summary["pairings"]
    assert year_end.now.contacts.on_track == summary["meeting"]


def test_previous_quarter_is_the_quarter_before(demo_engine, year_end):
    q3 = make(demo_engine, PROVINCE, Filters(2024, "Q3"))
    assert year_end.before == q3.now
    assert year_end.before.as_of == dt.date(2024, 9, 30)


def test_scope_decides_the_area_of_every_file(demo_engine):
    # Tianshui's staff asking for the province get Tianshui, ranked by its counties.
    b = make(demo_engine, Scope("620500"), Filters(2024, "Q2"))
    assert b.area_name == "天水市" and b.level == "county" and len(b.now.areas) == 7
    tianshui = budget.by_prefecture(demo_engine, Scope("620500"), Filters(2024, "Q2"))
    assert b.now.planned_fen == int(tianshui["planned_fen"].sum())
    deck = open_deck(pptx_export.deck_bytes(b))
    text = "\n".join(x for slide in deck.slides for x in slide_texts(slide))
    text += "\n".join(
        str(c)
        for slide in deck.slides
        for chart in charts_of(slide)
        for c in chart.plots[0].categories
    )
    book = openpyxl.load_workbook(io.BytesIO(br.workbook_bytes(b)))
    text += "\n".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
    )
    text += br.summary_text(b)
    assert "天水市" in text and "秦州区" in text
    others = [name for code, (name, _) in PREFECTURES.items() if code != "620500"]
    assert not [name for name in others if name in text]


def test_no_personal_name_in_any_file(demo_engine, year_end):
    with demo_engine.connect() as conn:
        people = [
            *conn.execute(select(Recipient.name)).scalars(),
            *conn.execute(select(Cadre.name)).scalars(),
        ]
        places = [*conn.execute(select(County.name)).scalars(), *conn.execute(select(Prefecture.name)).scalars()]  # fmt: skip
    # A short name may be part of a place name or of a label; such names cannot tell a leak
    # apart and are left out (most are not).
    vocabulary = "\n".join(places + [text for pair in LABELS.values() for text in pair])
    names = {n for n in people if len(n) >= 2 and n not in vocabulary}
    assert len(names) > 0.5 * len(set(people))
    deck = open_deck(pptx_export.deck_bytes(year_end))
    text = "\n".join(x for slide in deck.slides for x in slide_texts(slide))
    book = openpyxl.load_workbook(io.BytesIO(br.workbook_bytes(year_end)))
    text += "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row)  # fmt: skip
    text += br.summary_text(year_end)
    document = Document(io.BytesIO(docx_export.document_bytes(year_end)))
    text += "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert not sorted(n for n in names if n in text)
