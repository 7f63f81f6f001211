"""The quarterly briefing page (季通报) through AppTest on the demo database: the summary says
what the metrics and tables say, the briefing agrees with the overview, presentation mode steps
through the sections, and the files are the page's own figures, in the viewer's scope."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from docx import Document
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from streamlit.testing.v1 import AppTest

from dashboard import briefing as br
from data_access import db, users
from data_access.reference import PREFECTURES
from tests.conftest import APP, ROOT, fetch, token_claims
from tests.test_access import AUTH

SECTIONS = [
    "总体情况",
    "十大提升措施预算执行",
    "“爱心屋”和日间照料中心建设",
    "干部直接联系帮扶",
    "地区排名（红黑榜）",
    "较上季度变化",
    "数据质量",
]
PAGE = str(ROOT / "pages" / "briefing.py")
NOTES = "解读（本季度、本地区）"  # the list of notes on figures, after the sections
OTHER_PREFECTURES = [name for code, (name, _) in PREFECTURES.items() if code != "620500"]


def last_file(downloads, ext: str) -> tuple[str, bytes]:
    return next((n, d) for n, d in reversed(downloads) if n and n.endswith("." + ext))


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def frame(at, first_column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if d.value.columns[0] == first_column]
    assert found, first_column
    return found[0]


def paragraph(at, start: str) -> str:
    """The summary paragraph that starts so (as shown, markdown escapes undone)."""
    texts = [m.value.replace("\\", "") for m in at.markdown]
    found = [x for x in texts if x.startswith(start)]
    assert len(found) == 1, (start, texts)
    return found[0]


def briefing_app(app, quarter: str | None = None, **query_params) -> AppTest:
    at = app(page="briefing.py", **query_params)
    if quarter:
        at.get("segmented_control")[0].set_value(quarter).run()
    assert not at.exception and not at.error
    return at


def test_opens_on_the_latest_quarter_with_every_section(app):
    at = briefing_app(app)
    assert at.title[0].value == "季通报"
    # The demo data run to 31 December 2024, long past: the fourth quarter.
    assert at.get("segmented_control")[0].value == "Q4"
    assert at.caption[0].value == "全省 · 2024 第四季度 · 截至 2024-12-31"
    assert [h.value for h in at.header] == [*SECTIONS, NOTES]
    assert [b.label for b in at.download_button] == [
        "下载演示文稿（PPTX）",
        "下载通报公文（Word）",
        "下载数据表（Excel，金额为元）",
        "下载通报文稿（TXT）",
    ]
    assert at.download_button[0].proto.type == "primary"  # one click from opening the page


def test_the_quarter_lives_in_the_url(app):
    at = app(page="briefing.py", quarter="第二季度")  # the URL carries the label shown
    assert at.get("segmented_control")[0].value == "Q2"
    assert at.caption[0].value == "全省 · 2024 第二季度 · 截至 2024-06-30"


def test_summary_numbers_are_the_figures_on_the_page(app):
    at = briefing_app(app, "Q2")
    shown = metrics(at)
    rate, gap = shown["预算执行率"]
    progress = shown["时序进度"][0]
    huts, huts_target = shown["“爱心屋”运营"][0].split(" / ")
    care, care_target = shown["日间照料中心运营"][0].split(" / ")
    behind, areas = shown["执行率低于时序进度的市州"][0].split(" / ")
    lead = paragraph(at, "截至")
    assert lead.startswith("截至第二季度末（2024-06-30），全省")
    assert f"预算执行率为{rate}，低于时序进度（{progress}）{gap[1:-3]}个百分点" in lead
    assert gap.startswith("-") and rate != progress
    assert f"{areas}个市州中有{behind}个执行率低于时序进度" in lead
    assert f"“爱心屋”运营{huts}个（目标{huts_target}个）" in lead
    assert f"日间照料中心运营{care}个（目标{care_target}个）" in lead
    assert f"干部联系达标率为{shown['干部联系达标率'][0]}" in lead

    money = paragraph(at, "有资金安排的")
    planned, disbursed = shown["计划资金（万元）"][0], shown["累计支出（万元）"][0]
    assert f"计划资金{planned}万元，累计支出{disbursed}万元，执行率{rate}" in money
    table = frame(at, "措施")
    late = table[table["状态"] == "滞后"]
    assert f"执行率低于时序进度的有{len(late)}项" in money
    for row in late.itertuples(index=False):
        assert f"{row[0]}（{row[3]}）" in money

    contacts = paragraph(at, "按截至")
    assert f"{shown['结对数'][0]}个结对中联系进度达标" in contacts
    assert f"进度滞后{shown['进度滞后'][0]}个，有风险{shown['有风险'][0]}个" in contacts
    levels = frame(at, "干部层级").set_index("干部层级")
    on_track = levels.loc["合计", "进度正常"]
    assert f"达标{on_track:,}个，达标率{shown['干部联系达标率'][0]}" in contacts

    boards = frame(at, "榜单")
    ranking = paragraph(at, f"{areas}个市州中有")
    for column, what in (("预算执行率", "预算执行率"), ("干部联系达标率", "干部联系达标率")):
        red = "、".join(boards[boards["榜单"] == "红榜"][column])
        black = "、".join(boards[boards["榜单"] == "黑榜"][column])
        assert f"{what}红榜：{red}；黑榜：{black}。" in ranking

    changes = paragraph(at, "与第一季度末相比：")
    table = frame(at, "指标")
    assert list(table.columns) == ["指标", "第一季度末", "第二季度末", "变化"]
    assert len(table) >= 8
    for name, before, now, change in table.itertuples(index=False):
        assert f"{name}由{before}变为{now}（{change}）" in changes
    assert table.set_index("指标").loc["预算执行率", "第二季度末"] == rate


def test_briefing_agrees_with_the_overview_for_the_same_quarter(app):
    briefing = metrics(briefing_app(app, "Q2"))
    overview = metrics(app(period="第二季度"))
    for label in ("计划资金（万元）", "累计支出（万元）", "预算执行率", "时序进度"):
        assert briefing[label][0] == overview[label][0], label
    assert briefing["预算执行率"][1] == overview["预算执行率"][1]  # the gap, "-8.9 pp"
    for label in ("“爱心屋”运营", "日间照料中心运营", "干部联系达标率"):
        assert briefing[label][0] == overview[label][0], label


def test_the_files_carry_the_page_figures(app, downloads):
    at = briefing_app(app, "Q2")
    name, data = last_file(downloads, "pptx")
    assert name == "季通报_2024_第二季度_全省.pptx"
    deck = Presentation(io.BytesIO(data))
    cards = [
        s.text_frame.text.split("\n")[:2]
        for s in deck.slides[1].shapes
        if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE
    ]
    shown = metrics(at)
    assert [[label, shown[label][0]] for label, _ in cards] == cards
    (table,) = [s.table for s in deck.slides[2].shapes if s.has_table]
    rows = [[c.text for c in row.cells] for row in table.rows]
    page = frame(at, "措施")
    assert rows[0] == list(page.columns)
    assert rows[1:] == page.astype(str).values.tolist()

    name, data = last_file(downloads, "xlsx")
    assert name == "季通报_2024_第二季度_全省.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:3] == ["筛选条件", "通报摘要", "十大提升措施预算执行"]
    name, data = last_file(downloads, "txt")
    text = data.decode("utf-8-sig")
    assert paragraph(at, "截至") in text and "季度：第二季度" in text


def test_a_download_is_audited_without_personal_data(app, demo_sqlite_url, deferred):
    at = briefing_app(app, "Q3")
    assert not at.exception
    data, error = fetch(dict(deferred)["季通报_2024_第三季度_全省.pptx"])  # as the browser does
    assert error is None and data
    log = users.audit_log(db.engine_for(demo_sqlite_url), action="export")
    latest = log.iloc[0]
    assert latest["identity"] == "演示模式"
    assert latest["detail"] == "季通报_2024_第三季度_全省.pptx"  # what, where, when; nobody's name


def test_presentation_mode_steps_through_one_section_per_screen(app):
    at = briefing_app(app, "Q2")
    at.button(key="br_present").click().run()
    assert not at.exception
    (css,) = [h.proto.body for h in at.get("html") if "stSidebar" in h.proto.body]
    assert "display: none" in css
    # The cover: the title, the filters and the notice; nothing to go back to.
    assert at.title[-1].value == "结对关爱困难重度残疾人行动十大提升措施2024年第二季度通报"
    assert [h.value for h in at.header] == ["全省 · 2024 第二季度"]
    assert at.button(key="br_prev").disabled
    cover = at.table[0].value.set_index("指标")["内容"]
    assert cover["季度"] == "第二季度" and cover["数据说明"].startswith("演示数据")
    seen = []
    for n in range(len(SECTIONS)):
        at.button(key="br_next").click().run()
        assert not at.exception
        # One section per screen, its heading the screen's main heading (a screen reader's
        # outline starts there: the page's own title is hidden while presenting).
        assert not at.header
        seen.append(at.title[-1].value)
        assert f"第 {n + 2} / 8 页" in [m.value for m in at.markdown]
    assert seen == SECTIONS
    assert at.button(key="br_next").disabled
    at.button(key="br_prev").click().run()
    assert at.title[-1].value == "较上季度变化"
    assert at.table  # tables as HTML, big enough to read on a projector
    at.button(key="br_exit").click().run()
    assert [h.value for h in at.header] == [*SECTIONS, NOTES]
    assert not [h for h in at.get("html") if "stSidebar" in h.proto.body]
    assert at.get("segmented_control")[0].value == "Q2"


def test_presentation_charts_are_set_for_a_projector(app):
    at = briefing_app(app)
    at.button(key="br_present").click().run()
    at.button(key="br_next").click().run()
    at.button(key="br_next").click().run()  # the budget section
    (chart,) = at.get("plotly_chart")
    spec = chart.proto.spec.replace(" ", "")
    assert f'"size":{br.PROJECTOR_FONT_SIZE}' in spec
    assert f'"height":{br.PROJECTOR_CHART_HEIGHT}' in spec


def test_a_prefecture_ranks_its_counties(app):
    at = app(page="briefing.py")
    at.sidebar.selectbox(key="prefecture").select("620500").run()
    at.get("segmented_control")[0].set_value("Q3").run()
    assert not at.exception
    behind, areas = metrics(at)["执行率低于时序进度的县区"][0].split(" / ")
    assert areas == "7"
    assert f"7个县区中有{behind}个执行率低于时序进度" in paragraph(at, "截至")
    ranking = frame(at, "排名")
    assert len(ranking) == 7 and "秦州区" in set(ranking["县区"])
    boards = paragraph(at, f"7个县区中有{behind}个")
    assert "红榜" in boards and not [n for n in OTHER_PREFECTURES if n in boards]


def test_a_county_has_nothing_to_rank(app):
    at = app(page="briefing.py")
    at.sidebar.selectbox(key="prefecture").select("620500").run()
    at.sidebar.selectbox(key="county").select("620502").run()
    assert not at.exception and not at.error
    assert paragraph(at, "所选地区为县级") == "所选地区为县级，无下级地区排名。"
    assert "县区中有" not in paragraph(at, "截至")
    assert not [d for d in at.dataframe if d.value.columns[0] == "榜单"]
    assert "天水市 · 秦州区" in at.caption[0].value


def test_first_quarter_has_no_previous_quarter(app):
    at = briefing_app(app, "Q1")
    assert "第一季度为年度首个季度" in paragraph(at, "第一季度为")
    assert not [d for d in at.dataframe if d.value.columns[0] == "指标"]


def test_english(app):
    at = briefing_app(app, "Q2", lang="English")
    assert at.title[0].value == "Quarterly briefing"
    assert [h.value for h in at.header][0] == "Headline figures"
    rate = metrics(at)["Execution rate"][0]
    assert f"had an execution rate of {rate}" in paragraph(at, "By the end of Q2")


@pytest.fixture
def staff(demo_sqlite_url, monkeypatch):
    """The briefing as Tianshui's prefecture staff see it (signed in, scope 天水市)."""
    monkeypatch.setenv(db.ENV_VAR, demo_sqlite_url)
    users.save_account(
        db.make_engine(demo_sqlite_url),
        "staff@tianshui.example",
        "prefecture_staff",
        "天水市",
        by="test",
    )
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = token_claims("staff@tianshui.example")
    at.run()
    at.switch_page(PAGE).run()
    return at


def test_prefecture_staff_get_their_prefecture_in_every_file(downloads, staff, app):
    assert not staff.exception
    files = [(n, d) for n, d in downloads if n and n.startswith("季通报")]
    assert staff.caption[0].value.startswith("天水市 · 2024 第四季度")
    admin = app(page="briefing.py")
    admin.sidebar.selectbox(key="prefecture").select("620500").run()
    assert metrics(staff) == metrics(admin)
    assert sorted(n for n, _ in files) == [
        "季通报_2024_第四季度_天水市.docx",
        "季通报_2024_第四季度_天水市.pptx",
        "季通报_2024_第四季度_天水市.txt",
        "季通报_2024_第四季度_天水市.xlsx",
    ]
    _, data = next((n, d) for n, d in files if n.endswith(".pptx"))
    deck = Presentation(io.BytesIO(data))
    text = "\n".join(
        shape.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    _, data = next((n, d) for n, d in files if n.endswith(".docx"))
    document = Document(io.BytesIO(data))
    text += "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for table in document.tables for row in table.rows for c in row.cells)
    assert "天水市" in text and "秦州区" in text
    assert not [n for n in OTHER_PREFECTURES if n in text]
