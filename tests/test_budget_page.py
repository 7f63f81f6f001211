"""The budget execution page (预算执行): its builders as plain functions, the exports of a real
view on both backends, and the page itself through AppTest."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from dashboard import budget_view as view
from dashboard import rules
from dashboard.exports import to_csv_bytes, to_xlsx_bytes
from dashboard.i18n import t
from dashboard.tables import indicators_with_derived
from data_access import budget, queries
from data_access.scope import PROVINCE, Filters

HALF_2024 = 182 / 366  # 1 January to 30 June of a leap year


# --- builders -----------------------------------------------------------------------------


def money(rows: list[tuple], names=("name",)) -> pd.DataFrame:
    columns = [*names, "planned_fen", "disbursed_fen", "period_fen"]
    return pd.DataFrame(rows, columns=columns)


def test_shortfall_is_planned_times_progress_minus_disbursed():
    assert rules.shortfall_fen(1_000_000, 300_000, 0.5) == 200_000
    assert rules.shortfall_fen(1_000_000, 600_000, 0.5) == 0  # ahead of pace
    assert rules.shortfall_fen(0, 0, 0.5) is None  # nothing planned: no shortfall, no 0 %
    ex = view.Execution.of(1_000_000, 300_000, 0.5)
    assert ex.rate == 0.3 and ex.gap_pp == -20.0 and ex.behind
    assert view.Execution.of(0, 0, 0.5).status("zh") == "无资金安排"


def indicator_rows() -> pd.DataFrame:
    base = {"unit_en": "x", "source": "values", "illustrative": True}
    return pd.DataFrame(
        [
            {"measure_id": 3, "code": "m3", "name_zh": "家庭无障碍改造", "name_en": "Homes",
             "unit_zh": "户", "kind": "count", "rate_target": None, "target": 8000.0,
             "achieved": 2000.0} | base,
            {"measure_id": 4, "code": "r", "name_zh": "基本康复服务率", "name_en": "Rate",
             "unit_zh": "%", "kind": "rate", "rate_target": 95.0, "target": None,
             "achieved": 93.2} | base,
            {"measure_id": 1, "code": "m1", "name_zh": "上门评残", "name_en": "Assessments",
             "unit_zh": "人次", "kind": "count", "rate_target": None, "target": None,
             "achieved": 57.0} | base,
            {"measure_id": 10, "code": "m10", "name_zh": "典型事迹", "name_en": "Stories",
             "unit_zh": "篇", "kind": "count", "rate_target": None, "target": None,
             "achieved": None} | base,
        ]
    )  # fmt: skip


def test_measure_without_money_keeps_its_row_and_indicators():
    measures = pd.DataFrame(
        [
            (2, "志愿服务", "Volunteer", 1, 10_000_000, 2_500_000, 1_000_000),
            (3, "无碍共享", "Barrier-free", 0, 0, 0, 0),
        ],
        columns=["measure_id", "name_zh", "name_en", "lines", *budget.MONEY],
    )
    table = view.measures_table(measures, indicator_rows(), 0.5, "zh").set_index("措施")
    three = table.loc["3. 无碍共享"]
    assert three["状态"] == "无资金安排"
    assert pd.isna(three["预算执行率"]) and pd.isna(three["计划资金（万元）"])
    assert "家庭无障碍改造 2,000 / 8,000 户（25.0%）" in three["主要指标"]
    two = table.loc["2. 志愿服务"]
    assert two["计划资金（万元）"] == 10.00 and two["预算执行率"] == 0.25
    assert two["与时序进度差（百分点）"] == -25.0 and two["差额（万元）"] == 2.50
    assert two["状态"] == "滞后"


def lines_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (4, "医康融合", "Rehab", 1, "4.1", "儿童康复", "Children", False, 8_559_000_000,
             4_000_000_000, 1_000_000_000),
            (4, "医康融合", "Rehab", 2, "4.2", "基本康复", "Basic", False, 1_635_290_000,
             900_000_000, 100_000_000),
        ],
        columns=["measure_id", "measure_zh", "measure_en", "line_id", "code", "name_zh",
                 "name_en", "illustrative", *budget.MONEY],
    )  # fmt: skip


def test_lines_on_screen_in_wan_and_exported_in_full_yuan():
    screen = view.lines_table(lines_frame(), HALF_2024, "zh").set_index("预算项目")
    assert screen.loc["4.1 儿童康复", "计划资金（万元）"] == 8559.00
    assert screen.loc["4.2 基本康复", "计划资金（万元）"] == 1635.29
    # 4.1: 4,000 of 8,559 万元 is 46.7 % against 49.7 %: behind by 3.0 pp and
    # 8,559 × 182/366 − 4,000 = 256.11 万元.
    assert screen.loc["4.1 儿童康复", "状态"] == "滞后"
    assert screen.loc["4.1 儿童康复", "与时序进度差（百分点）"] == -3.0
    assert screen.loc["4.1 儿童康复", "差额（万元）"] == 256.11
    assert screen.loc["4.2 基本康复", "状态"] == "正常"
    assert pd.isna(screen.loc["4.2 基本康复", "差额（万元）"])
    export = view.lines_table(lines_frame(), HALF_2024, "zh", unit="yuan").set_index("预算项目")
    assert export.loc["4.2 基本康复", "计划资金（元）"] == Decimal("16352900")
    assert export.loc["4.1 儿童康复", "预算执行率（%）"] == 46.73
    assert isinstance(export.loc["4.1 儿童康复", "差额（元）"], Decimal)


def test_ranking_best_first_and_areas_without_plan_last():
    areas = money(
        [
            ("兰州市", 1_000, 400, 0),
            ("嘉峪关市", 0, 0, 0),
            ("天水市", 1_000, 600, 0),
            ("白银市", 2_000, 1_000, 0),
        ]
    )
    table = view.areas_table(areas, 0.5, "zh", "prefecture")
    assert table["市州"].tolist() == ["天水市", "白银市", "兰州市", "嘉峪关市"]
    assert table["排名"].tolist()[:3] == [1, 2, 3] and pd.isna(table["排名"].iloc[3])
    assert table["状态"].tolist() == ["正常", "正常", "滞后", "无资金安排"]
    assert view.best_and_worst(areas, "zh") == "执行最好：天水市（60.0%）；最差：兰州市（40.0%）"
    assert view.best_and_worst(areas.iloc[:2], "zh") is None


def test_ranking_chart_best_on_top_behind_in_red():
    areas = money([("兰州市", 1_000, 400, 0), ("天水市", 1_000, 600, 0), ("嘉峪关市", 0, 0, 0)])
    fig = view.ranking_chart(areas, 0.5, "zh", "各市州预算执行率")
    bar = fig.data[0]
    assert list(bar.y) == ["兰州市", "天水市"]  # plotly draws the last on top
    assert list(bar.x) == [0.4, 0.6]
    assert list(bar.marker.color) == [view.COLORS["behind"], view.COLORS["on_track"]]
    assert fig.layout.shapes[0].x0 == 0.5  # the time-progress line


def test_trend_draws_the_previous_year_against_its_own_plan():
    monthly = pd.DataFrame({"month": [1, 2, 3], "amount_fen": [100, 100, 200]})
    previous = pd.DataFrame({"month": [1, 3], "amount_fen": [50, 150], "planned_fen": [500, 500]})
    fig = view.trend(monthly, 1_000, 2024, 3, "zh", previous)
    traces = {trace.name: trace for trace in fig.data}
    assert list(traces["累计执行率"].y) == [0.1, 0.2, 0.4]
    assert list(traces["2023"].y) == [0.1, 0.1, 0.4]
    assert traces["时序进度"].y[-1] == pytest.approx(91 / 366)
    assert "2023" not in {tr.name for tr in view.trend(monthly, 1_000, 2024, 3, "zh").data}


def test_indicators_table_rates_counts_and_missing_values():
    screen = view.indicators_table(indicator_rows(), "zh").set_index("指标")
    assert screen.loc["家庭无障碍改造", "目标"] == "8,000 户"
    assert screen.loc["家庭无障碍改造", "完成率"] == 0.25
    assert pd.isna(screen.loc["家庭无障碍改造", "状态"])  # the progress column says it
    assert screen.loc["基本康复服务率", "目标"] == "≥95%"
    assert screen.loc["基本康复服务率", "状态"] == "未达标"
    assert screen.loc["上门评残", "状态"] == "无量化目标"
    assert screen.loc["典型事迹", "完成"] == "暂无数据"
    export = view.indicators_table(indicator_rows(), "zh", unit="yuan").set_index("指标")
    assert (
        export.loc["家庭无障碍改造", "目标"] == 8000
        and export.loc["家庭无障碍改造", "单位"] == "户"
    )
    assert export.loc["家庭无障碍改造", "完成率（%）"] == 25.0


def test_trails_say_where_you_are():
    measure = view.measure_trail("7. 拓岗赋能", "7.3 情满陇原助残就业行动", "zh")
    assert [c.label for c in measure] == ["全部措施", "7. 拓岗赋能", "7.3 情满陇原助残就业行动"]
    assert [c.level for c in measure[:-1]] == ["measures", "measure"]
    assert measure[1].markdown == "7\\. 拓岗赋能"  # shown as text, not as a numbered list
    area = view.area_trail("天水市", None, "en")
    assert [(c.label, c.level) for c in area] == [
        ("Whole province", "province"),
        ("天水市", "prefecture"),
    ]


def test_export_meta_names_demo_data_only_when_it_is():
    values = {"year": 2024, "period": "第二季度", "bud_area": "全省"}
    demo = view.export_meta(values, "zh", demo=True)
    assert demo["年度"] == 2024 and demo["期间"] == "第二季度" and demo["地区"] == "全省"
    assert demo["金额单位"] == "元"
    assert demo["数据说明"] == t("demo_notice", "zh")
    assert "数据说明" not in view.export_meta(values, "zh", demo=False)


# --- a real view exported, on SQLite and PostgreSQL ------------------------------------------


def test_exported_view_has_full_yuan_and_the_filters(demo_engine):
    flt = Filters(2024, "Q2")
    progress = HALF_2024
    lines = budget.by_line(demo_engine, PROVINCE, flt)
    measures = queries.budget_by_measure(demo_engine, PROVINCE, flt)
    indicators = indicators_with_derived(
        queries.indicator_progress(demo_engine, PROVINCE, flt),
        queries.facility_progress(demo_engine, PROVINCE, flt),
        queries.compliance_summary(demo_engine, PROVINCE, flt, queries.Requirement(2, 1)),
    )
    prefectures = budget.by_prefecture(demo_engine, PROVINCE, flt, 7)
    meta = view.export_meta(
        {"year": 2024, "period": "第二季度", "bud_area": "全省", "bud_data_as_of": "2024-12-31"},
        "zh",
        demo=True,
    )
    sheets = {
        "十大提升措施": view.measures_table(measures, indicators, progress, "zh", unit="yuan"),
        "预算项目执行情况": view.lines_table(lines, progress, "zh", unit="yuan"),
        "市州执行排名": view.areas_table(prefectures, progress, "zh", "prefecture", unit="yuan"),
    }
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(sheets, meta)))
    assert book.sheetnames == ["筛选条件", *sheets]
    filters = dict(book["筛选条件"].iter_rows(values_only=True))
    assert filters["年度"] == "2024" and filters["期间"] == "第二季度"
    assert filters["数据更新至"] == "2024-12-31" and filters["数据说明"].startswith("演示数据")

    rows = list(book["预算项目执行情况"].iter_rows(values_only=True))
    header = rows[0]
    planned = {r[header.index("预算项目")]: r[header.index("计划资金（元）")] for r in rows[1:]}
    assert planned["4.1 0-17岁残疾儿童康复救助"] == 85_590_000
    assert planned["4.2 持证残疾人基本康复服务和辅助器具适配"] == 16_352_900
    assert planned["7.1 农村实用技术培训"] == 2_716_000
    paid = sum(r[header.index("累计支出（元）")] for r in rows[1:])
    assert paid == pytest.approx(int(lines["disbursed_fen"].sum()) / 100)

    measures_rows = list(book["十大提升措施"].iter_rows(values_only=True))
    assert len(measures_rows) == 1 + 10
    no_money = [r for r in measures_rows if str(r[0]).startswith("3.")][0]
    assert no_money[2] is None  # measure 3: no planned money, not 0

    ranking = list(book["市州执行排名"].iter_rows(values_only=True))
    assert len(ranking) == 1 + 14
    assert sum(r[2] for r in ranking[1:]) == 31_816_000  # measure 7 in full yuan

    csv = pd.read_csv(
        io.BytesIO(to_csv_bytes(sheets["预算项目执行情况"], meta)), encoding="utf-8-sig"
    )
    assert (csv["期间"] == "第二季度").all()
    assert csv["计划资金（元）"].sum() == pytest.approx(200_886_900)


# --- the page through AppTest ---------------------------------------------------------------


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame(at, title_part: str) -> pd.DataFrame:
    """The table under the section heading containing title_part."""
    names = [h.value for h in at.header]
    index = next(i for i, name in enumerate(names) if title_part in name)
    return at.dataframe[index].value


def budget_app(app, **params):
    at = app(page="budget.py", **params)
    assert not at.exception
    return at


def test_province_lists_ten_measures_and_the_source_lines(app):
    at = budget_app(app)
    measures = frame(at, "十大提升措施")
    assert len(measures) == 10
    assert measures["措施"].str.split(".").str[0].astype(int).tolist() == list(range(1, 11))
    lines = frame(at, "预算项目执行情况")
    m4 = lines[lines["措施"] == "4. 医康融合"]["计划资金（万元）"].tolist()
    assert m4 == [8559.00, 1635.29]
    m7 = lines[lines["措施"] == "7. 拓岗赋能"]["计划资金（万元）"].tolist()
    assert m7 == [271.60, 500.00, 1310.00, 500.00, 600.00]
    assert metrics(at)["计划资金（万元）"] == "20,088.69"


def test_measure_without_money_has_its_indicators_and_no_rate(app):
    at = budget_app(app)
    row = frame(at, "十大提升措施").set_index("措施").loc["3. 无碍共享"]
    assert row["状态"] == "无资金安排" and pd.isna(row["预算执行率"])
    assert "8,000" in row["主要指标"]
    at.selectbox(key="measure").select(3).run()
    assert not at.exception
    assert metrics(at)["预算执行率"] == "—" and metrics(at)["计划资金（万元）"] == "—"
    assert any("没有资金安排" in info.value for info in at.info)
    indicators = frame(at, "主要指标完成情况").set_index("指标")
    assert indicators.loc["家庭无障碍改造", "目标"] == "8,000 户"
    assert not [h.value for h in at.header if "预算项目" in h.value]


def test_quarter_and_month_change_money_and_time_progress_together(app):
    at = budget_app(app)
    year = metrics(at)
    at.sidebar.selectbox(key="period").select("Q2").run()
    q2 = metrics(at)
    assert q2["时序进度"] == "49.7%"  # 182 of 366 days of 2024
    assert q2["计划资金（万元）"] == year["计划资金（万元）"]
    assert q2["累计支出（万元）"] != year["累计支出（万元）"]
    q2_lines = frame(at, "预算项目执行情况")
    at.sidebar.selectbox(key="period").select("M06").run()
    june = metrics(at)
    assert june["时序进度"] == "49.7%" and june["累计支出（万元）"] == q2["累计支出（万元）"]
    june_lines = frame(at, "预算项目执行情况")
    assert (june_lines["累计支出（万元）"] == q2_lines["累计支出（万元）"]).all()
    # Within the period: June alone is less than April to June.
    assert (june_lines["本期支出（万元）"] < q2_lines["本期支出（万元）"]).all()
    at.sidebar.selectbox(key="period").select("M05").run()
    may = metrics(at)
    assert may["时序进度"] == "41.5%"  # 152 of 366 days
    assert float(may["累计支出（万元）"].replace(",", "")) < float(
        q2["累计支出（万元）"].replace(",", "")
    )
    # Behind means below time progress, and the shortfall is planned × progress − disbursed.
    lines = frame(at, "预算项目执行情况")
    for row in lines.itertuples(index=False):
        behind = row[5] < 152 / 366
        assert (row[8] == "滞后") == behind
        if behind:
            assert row[7] == pytest.approx(row[2] * 152 / 366 - row[3], abs=0.011)


def test_drill_measure_line_prefecture_county_adds_up(app):
    at = budget_app(app)
    at.selectbox(key="measure").select(7).run()
    at.selectbox(key="line").select("7.3").run()
    assert not at.exception
    assert metrics(at)["计划资金（万元）"] == "1,310.00"
    ranking = frame(at, "市州执行排名").set_index("市州")
    assert len(ranking) == 14
    assert round(ranking["计划资金（万元）"].sum(), 2) == pytest.approx(1310.00, abs=0.07)
    tianshui = ranking.loc["天水市"]

    at.selectbox(key="bud_pick_prefecture").select("620500").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="prefecture").value == "620500"  # the sidebar follows
    assert at.query_params["prefecture"] == "天水市"  # and so does the URL
    shown = metrics(at)
    assert shown["计划资金（万元）"] == f"{tianshui['计划资金（万元）']:,.2f}"
    assert shown["累计支出（万元）"] == f"{tianshui['累计支出（万元）']:,.2f}"
    counties = frame(at, "天水市各县区").set_index("县区")
    assert len(counties) == 7
    for column in ("计划资金（万元）", "累计支出（万元）"):
        assert counties[column].sum() == pytest.approx(tianshui[column], abs=0.005 * 7)
    qinzhou = counties.loc["秦州区"]

    at.selectbox(key="bud_pick_county").select("620502").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="county").value == "620502"
    shown = metrics(at)
    assert shown["计划资金（万元）"] == f"{qinzhou['计划资金（万元）']:,.2f}"
    assert shown["累计支出（万元）"] == f"{qinzhou['累计支出（万元）']:,.2f}"
    line = frame(at, "预算项目执行情况")
    assert line["预算项目"].tolist() == ["7.3 情满陇原助残就业行动"]
    assert [b.label for b in at.button] == ["全部措施", "7. 拓岗赋能", "全省", "天水市"]
    assert "秦州区" in [m.value for m in at.markdown]


def test_breadcrumbs_go_back_up(app):
    at = budget_app(app, prefecture="天水市")
    at.selectbox(key="measure").select(7).run()
    at.selectbox(key="line").select("7.3").run()
    at.button(key="crumb_measure").click().run()
    assert not at.exception
    assert at.selectbox(key="line").value == "all"
    assert frame(at, "预算项目执行情况")["预算项目"].str[:2].tolist() == ["7."] * 5
    at.button(key="crumb_province").click().run()
    assert not at.exception
    assert at.sidebar.selectbox(key="prefecture").value == "all"
    assert len(frame(at, "市州执行排名")) == 14
    at.button(key="crumb_measures").click().run()
    assert at.selectbox(key="measure").value == 0
    assert len(frame(at, "十大提升措施")) == 10


def test_changing_the_measure_forgets_the_line(app):
    at = budget_app(app)
    at.selectbox(key="measure").select(7).run()
    at.selectbox(key="line").select("7.5").run()
    at.selectbox(key="measure").select(4).run()
    assert not at.exception
    assert at.selectbox(key="line").value == "all"
    assert metrics(at)["计划资金（万元）"] == "10,194.29"


def test_shared_link_opens_the_same_drill_down(app):
    at = budget_app(
        app,
        measure="4. 医康融合",
        line="4.2 持证残疾人基本康复服务和辅助器具适配",
        prefecture="天水市",
    )
    assert at.selectbox(key="measure").value == 4
    assert at.selectbox(key="line").value == "4.2"
    assert "天水市" in at.caption[0].value
    counties = frame(at, "天水市各县区")
    total = float(metrics(at)["计划资金（万元）"].replace(",", ""))
    # Each county is rounded to 0.01 万元 on screen: the sum may differ by rounding only.
    assert counties["计划资金（万元）"].sum() == pytest.approx(total, abs=0.005 * len(counties))


def test_downloads_offered_and_made_in_full_yuan(app, downloads):
    at = budget_app(app)
    labels = [b.label for b in at.download_button]
    assert labels[0] == "下载本页表格（Excel，金额为元）"
    assert {"十大提升措施 · CSV", "预算项目执行情况 · CSV", "市州执行排名 · CSV"} <= set(labels)
    name, data = next((n, d) for n, d in downloads if n.endswith(".xlsx"))
    assert name.startswith("预算执行")
    book = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert {"十大提升措施", "预算项目执行情况", "市州执行排名"} <= set(book)
    assert book["十大提升措施"]["计划资金（元）"].sum() == 200_886_900  # 20,088.69 万元
    csv = next(d for n, d in downloads if n.endswith(".csv") and "十大提升措施" in n)
    table = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig")
    assert table["计划资金（元）"].sum() == 200_886_900


def test_english_page(app):
    at = budget_app(app, lang="English")
    assert at.title[0].value == "Budget execution"
    assert "Time progress" in metrics(at)
    assert len(frame(at, "The ten measures")) == 10
