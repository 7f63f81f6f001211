"""Every chart in words: the summary sentence and the data table read from a chart builder's
figure say what the chart draws, in Chinese and English; every page draws its charts through
the one helper that adds them."""

import ast

import pandas as pd

from dashboard import budget_view, chart_text, charts, contacts_view, maps
from tests.conftest import ROOT


def test_trend_says_where_the_rate_starts_and_ends_and_tabulates_each_month():
    # 20,000 yuan planned; 1,000, 2,000 and 3,000 yuan paid in January, February and March.
    monthly = pd.DataFrame({"month": [1, 2, 3], "amount_fen": [100_000, 200_000, 300_000]})
    fig = charts.cumulative_trend(monthly, 2_000_000, 2023, 3, "zh")
    text = chart_text.summary(fig, "zh")
    assert text.startswith("累计支出进度与时序进度：")
    assert "本期支出（万元）最高为3月（0.30），最低为1月（0.10）" in text
    assert "累计执行率从1月的5.0%到3月的30.0%" in text  # 1,000 / 20,000 … 6,000 / 20,000
    table = chart_text.table(fig, "zh").set_index("类别")
    assert list(table.index) == ["1月", "2月", "3月"]
    assert table.loc["2月", "累计执行率"] == "15.0%"
    assert table.loc["3月", "本期支出（万元）"] == "0.30"
    # 2023: 31 + 28 + 31 = 90 days of 365 to the end of March.
    assert table.loc["3月", "时序进度"] == f"{90 / 365:.1%}" == "24.7%"

    english = chart_text.summary(charts.cumulative_trend(monthly, 2_000_000, 2023, 3, "en"), "en")
    assert "Cumulative execution goes from 5.0% in Month 1 to 30.0% in Month 3" in english


def test_ranking_reads_best_first_with_status_words_and_the_time_progress_line():
    areas = pd.DataFrame(
        {
            "name": ["兰州市", "天水市", "白银市"],
            "planned_fen": [1_000_000, 1_000_000, 1_000_000],
            "disbursed_fen": [300_000, 600_000, 900_000],
        }
    )
    fig = budget_view.ranking_chart(areas, 0.5, "zh", "各市州执行率")
    assert chart_text.summary(fig, "zh") == (
        "各市州执行率：预算执行率最高为白银市（90.0%），最低为兰州市（30.0%）；"
        "参考线：时序进度 50.0%。"
    )
    table = chart_text.table(fig, "zh")
    assert list(table["类别"]) == ["白银市", "天水市", "兰州市"]  # as the bars stand, top down
    assert list(table["标注"]) == ["90.0% · 正常", "60.0% · 正常", "30.0% · 滞后"]


def test_channel_mix_names_the_largest_share():
    by_month = pd.DataFrame(
        {"month": [1, 1, 2], "channel": ["phone", "visit", "wechat"], "contacts": [5, 2, 7]}
    )
    fig = contacts_view.channel_mix_figure(by_month, "zh")
    assert "占比最大的是微信（50.0%）" in chart_text.summary(fig, "zh")  # 7 of 14
    table = chart_text.table(fig, "zh").set_index("类别")
    assert table.loc["入户探视", "占比"] == "14.3%"  # 2 of 14
    assert table.loc["短信", "联系方式构成"] == "0"


def test_timeline_lists_every_contact():
    frame = pd.DataFrame(
        {
            "pairing_id": [1, 1, 2],
            "recipient": ["张*明", "张*明", "李*"],
            "channel": ["phone", "visit", "phone"],
            "contacted_on": ["2024-02-03", "2024-05-06", "2024-03-04"],
        }
    )
    fig = contacts_view.timeline_figure(frame, "zh")
    assert chart_text.summary(fig, "zh", "联系时间线") == "联系时间线：电话2次；入户探视1次。"
    rows = chart_text.table(fig, "zh").values.tolist()
    assert rows == [["电话", "2024-02-03", "张*明"], ["电话", "2024-03-04", "李*"]] + [
        ["入户探视", "2024-05-06", "张*明"]
    ]


def test_two_panels_with_the_same_series_names_are_told_apart():
    progress = pd.DataFrame(
        {
            "code": ["620100", "620100", "620500", "620500"],
            "name": ["兰州市", "兰州市", "天水市", "天水市"],
            "kind": ["love_hut", "day_care", "love_hut", "day_care"],
            "target": [6, 2, 4, 1],
            "operating": [5, 1, 4, 0],
            "planned": [1, 1, 0, 1],
            "building": [0, 0, 0, 0],
            "suspended": [0, 0, 0, 0],
        }
    )
    table = chart_text.table(maps.progress_figure(progress, "zh"), "zh").set_index("类别")
    assert table.loc["兰州市", "爱心屋 · 分配数"] == "6"
    assert table.loc["兰州市", "日间照料中心 · 分配数"] == "2"
    assert table.loc["天水市", "日间照料中心运营"] == "0"


def test_a_chart_without_data_says_so():
    fig = contacts_view.monthly_trend_figure(
        pd.DataFrame(columns=["month", "channel", "contacts"]), "en"
    )
    assert chart_text.summary(fig, "en") == "Remote contacts and home visits per month: no data."


def test_pages_draw_charts_only_through_the_helper_with_text():
    """st.plotly_chart appears in one place, dashboard/layout.py's chart(), which adds the
    summary and the data table; a page calling it directly would show a chart without them."""
    direct = []
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "dashboard").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "plotly_chart":
                direct.append(f"{path.name}:{node.lineno}")
    assert [where.split(":")[0] for where in direct] == ["layout.py"], direct


def test_the_maps_shading_as_a_table_of_areas():
    progress = pd.DataFrame(
        {
            "code": ["620100", "620100", "620500", "620500"],
            "name": ["兰州市", "兰州市", "天水市", "天水市"],
            "kind": ["love_hut", "day_care", "love_hut", "day_care"],
            "target": [6, 2, 4, 0],
            "operating": [5, 1, 4, 0],
        }
    )
    values = maps.area_values(progress, None, "day_care", "zh")
    table = maps.area_values_table(values, "day_care", "zh").set_index("地区")
    assert table.loc["兰州市", "日间照料中心运营数 / 分配数"] == "1 / 2"
    assert table.loc["兰州市", "比例"] == 0.5
    assert table.loc["兰州市", "区间"] == "50%–80%"  # the class the map paints it in
    assert table.loc["天水市", "区间"] == "无数据"  # nothing allocated: grey on the map
