"""The overview page (总览) through AppTest: what a leader sees, and that filters change it."""

from dashboard.fmt import wan_text
from data_access.reference import SOURCE_TOTAL_WAN_YUAN


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_province_shows_source_totals_and_targets(app):
    at = app()
    assert not at.exception
    shown = metrics(at)
    assert shown["计划资金（万元）"] == f"{SOURCE_TOTAL_WAN_YUAN:,.2f}" == "20,088.69"
    assert shown["“爱心屋”运营"].endswith("/ 60")
    assert shown["日间照料中心运营"].endswith("/ 20")
    table = at.dataframe[0].value.set_index("措施")
    planned = table["计划资金（万元）"]
    assert planned["2. 志愿服务"] == 5512.80
    assert planned["4. 医康融合"] == 10194.29
    assert planned["6. “爱心屋”助残就业"] == 600.00
    assert planned["7. 拓岗赋能"] == 3181.60
    assert planned["8. 托底保障"] == 600.00
    assert round(planned.sum(), 2) == 20088.69


def test_measure_without_money_shows_indicators_not_zero_percent(app):
    table = app().dataframe[0].value.set_index("措施")
    row = table.loc["3. 无碍共享"]
    assert row["状态"] == "无资金安排"
    assert str(row["预算执行率"]) in ("nan", "None")
    assert "家庭无障碍改造" in row["主要指标"] and "8,000" in row["主要指标"]


def test_area_selectors_follow_geography(app):
    at = app()
    prefectures = at.sidebar.selectbox(key="prefecture").options
    assert prefectures[0] == "全省" and len(prefectures) == 15
    at.sidebar.selectbox(key="prefecture").select("620100").run()
    assert len(at.sidebar.selectbox(key="county").options) == 1 + 8
    at.sidebar.selectbox(key="prefecture").select("620200").run()
    assert at.sidebar.selectbox(key="county").options == ["全市州", "嘉峪关市"]


def test_choosing_tianshui_changes_every_figure(app):
    at = app()
    province = metrics(at)
    at.sidebar.selectbox(key="prefecture").select("620500").run()
    assert not at.exception
    tianshui = metrics(at)
    for label in ("计划资金（万元）", "累计支出（万元）", "“爱心屋”运营", "干部联系达标率"):
        assert tianshui[label] != province[label], label
    assert "天水市" in at.caption[0].value


def test_shared_url_opens_the_same_view(app):
    at = app()
    at.sidebar.selectbox(key="prefecture").select("620500").run()
    chosen = metrics(at)
    again = app(prefecture="天水市")
    assert again.sidebar.selectbox(key="prefecture").value == "620500"
    assert metrics(again) == chosen


def test_quarter_changes_money_and_time_progress(app):
    at = app()
    at.sidebar.selectbox(key="period").select("Q2").run()
    shown = metrics(at)
    assert shown["时序进度"] == "49.7%"  # 182 of 366 days of 2024
    assert shown["计划资金（万元）"] == "20,088.69"
    assert shown["累计支出（万元）"] != metrics(app())["累计支出（万元）"]


def test_english_switch(app):
    at = app(lang="English")  # the URL carries the label shown
    assert at.title[0].value == "Overview"
    assert "Planned (10k yuan)" in metrics(at)


def test_money_format():
    assert wan_text(5_512_800_000) == "5,512.80"
    assert wan_text(1_235_000) == "1.24"  # half-up, not banker's rounding
    assert wan_text(None) == "—"
