"""The facility maps: the deck builder as a plain function, and the page (设施地图) via AppTest."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import maps
from data_access import db, demo, geography
from data_access import facilities as fq
from data_access.scope import PROVINCE, Filters, Scope

Y = Filters(2024)
LANZHOU = "620100"
LANZHOU_COUNTIES = {
    "城关区",
    "七里河区",
    "西固区",
    "安宁区",
    "红古区",
    "永登县",
    "皋兰县",
    "榆中县",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """A demo SQLite database for the builder tests (the queries are tested on both backends
    in test_facilities_queries.py)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('maps') / 'demo.db'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    demo.generate(engine, "demo")
    yield engine
    engine.dispose()


def spec_of(deck) -> dict:
    return json.loads(deck.to_json())


def layer(spec: dict, layer_id: str) -> dict:
    return next(x for x in spec["layers"] if x["id"] == layer_id)


def rows(layer_spec: dict) -> list:
    data = layer_spec["data"]
    return data["features"] if isinstance(data, dict) else data


def build(engine, filters=Y, measure="love_hut", scope=PROVINCE, **query):
    area = maps.area_of(scope, filters)
    province = Filters(filters.year, filters.period)
    values = maps.area_values(fq.progress_by_area(engine, scope, province), None, measure, "zh")
    county_values = None
    if area.prefecture:
        whole = Filters(filters.year, filters.period, area.prefecture)
        county_values = maps.area_values(
            fq.progress_by_area(engine, scope, whole, "county"), None, measure, "zh"
        )
    found = fq.facilities(engine, scope, filters, **query)
    return maps.facility_deck(
        found, values, measure, "zh", area.prefecture, area.county, county_values
    )


# --- the deck ---------------------------------------------------------------------------------


def test_whole_province_shows_every_facility(engine):
    spec = spec_of(build(engine))
    huts = rows(layer(spec, "love_huts"))
    centers = rows(layer(spec, "day_care_centers"))
    assert (len(huts), len(centers)) == (60, 20)
    prefectures = [
        code
        for code in (f["properties"]["adcode"] for f in geography.features("prefecture"))
        if any(geography.contains(code, "prefecture", *p["pos"]) for p in huts)
    ]
    assert len(prefectures) == 14  # a Love Hut in every prefecture
    assert len(rows(layer(spec, "prefectures"))) == 14
    assert not any(x["id"] == "counties" for x in spec["layers"])


def test_lanzhou_zooms_in_and_draws_its_eight_counties(engine):
    province = spec_of(build(engine))
    spec = spec_of(build(engine, Filters(2024, prefecture=LANZHOU)))
    counties = rows(layer(spec, "counties"))
    assert {f["properties"]["name"] for f in counties} == LANZHOU_COUNTIES
    assert {x["name"] for x in rows(layer(spec, "county_labels"))} == LANZHOU_COUNTIES
    points = rows(layer(spec, "love_huts")) + rows(layer(spec, "day_care_centers"))
    assert points and all(geography.contains(LANZHOU, "prefecture", *p["pos"]) for p in points)
    assert len(points) < 80
    view = spec["initialViewState"]
    min_lon, min_lat, max_lon, max_lat = geography.bounds(LANZHOU, "prefecture")
    assert min_lon < view["longitude"] < max_lon and min_lat < view["latitude"] < max_lat
    assert view["zoom"] > province["initialViewState"]["zoom"] + 1


def test_no_basemap_and_nothing_remote(engine):
    for deck in (build(engine), build(engine, Filters(2024, prefecture=LANZHOU))):
        text = deck.to_json()
        spec = json.loads(text)
        assert "mapProvider" not in spec or spec["mapProvider"] is None
        # pydeck writes this placeholder for map_provider=None; Streamlit then draws no
        # basemap. A missing or null mapStyle would make Streamlit fall back to Carto's tiles.
        assert spec["mapStyle"] == "__MAP_STYLE__"
        assert "http" not in text and "mapbox" not in text and "carto" not in text.lower()


def test_labels_can_show_chinese(engine):
    spec = spec_of(build(engine, Filters(2024, prefecture=LANZHOU)))
    for layer_id in ("prefecture_labels", "county_labels"):
        labels = layer(spec, layer_id)
        # Quoted in Python, so plain constants here; unquoted they would be data accessors
        # ("@@=auto") and the Chinese glyphs would silently vanish.
        assert labels["characterSet"] == "auto"
        assert labels["getTextAnchor"] == "middle"
        assert labels["fontFamily"].startswith("Noto Sans CJK SC")
        assert labels["getText"] == "@@=name"
    names = {x["name"] for x in rows(layer(spec, "prefecture_labels"))}
    assert "兰州市" not in names and "白银市" in names  # the chosen one is labelled by county


def test_points_and_counties_carry_their_tooltip_fields(engine):
    deck = build(engine, Filters(2024, prefecture=LANZHOU))
    spec = spec_of(deck)
    assert spec["layers"][-1]["id"].endswith("labels")  # names lie above the points
    fields = {f.strip("{}") for f in deck._tooltip["text"].split() if f.startswith("{")}
    hut = rows(layer(spec, "love_huts"))[0]
    center = rows(layer(spec, "day_care_centers"))[0]
    county = rows(layer(spec, "counties"))[0]["properties"]
    for obj in (hut, center, county):
        assert fields <= set(obj)
    assert "残疾人就业岗位" in hut["tip"] and "托养床位" not in hut["tip"]
    assert "托养床位" in center["tip"] and "服务人数" in center["tip"]
    assert "开业日期" in hut["tip"] and "状态" in hut["tip"]
    assert "爱心屋运营数 / 分配数" in county["tip"]
    for name in ("love_huts", "day_care_centers", "counties"):
        assert layer(spec, name)["pickable"] is True
    # A pickable prefecture layer kept clicks from reaching the points in Chromium.
    assert layer(spec, "prefectures")["pickable"] is False


def test_marker_style_tells_status_apart():
    operating, planned = (
        maps.marker_style("love_hut", "operating"),
        maps.marker_style("love_hut", "planned"),
    )
    building, suspended = (
        maps.marker_style("love_hut", "building"),
        maps.marker_style("love_hut", "suspended"),
    )
    assert planned[0][3] == 0 and operating[0][3] == 255  # hollow against filled
    assert len({tuple(s[0]) for s in (operating, planned, building, suspended)}) == 4
    assert maps.marker_style("day_care", "operating")[0] != operating[0]  # one colour per type


def test_type_and_status_selection_reaches_the_map(engine):
    spec = spec_of(build(engine, kinds=("day_care",), statuses=("operating",)))
    assert rows(layer(spec, "love_huts")) == []
    centers = rows(layer(spec, "day_care_centers"))
    assert centers and {c["status"] for c in centers} == {"运营"}


def test_colour_classes_and_no_data():
    progress = pd.DataFrame(
        {
            "code": ["620100", "620100", "620200", "620200", "620300", "620300"],
            "name": ["兰州市", "兰州市", "嘉峪关市", "嘉峪关市", "金昌市", "金昌市"],
            "kind": ["love_hut", "day_care"] * 3,
            "target": [4, 2, 1, 0, 2, 1],
            "planned": [0] * 6,
            "building": [0] * 6,
            "operating": [4, 1, 0, 0, 1, 1],
            "suspended": [0] * 6,
        }
    )
    huts = maps.area_values(progress, None, "love_hut", "zh").set_index("name")
    assert huts["value"].to_dict() == {"兰州市": 1.0, "嘉峪关市": 0.0, "金昌市": 0.5}
    care = maps.area_values(progress, None, "day_care", "zh").set_index("name")
    assert pd.isna(care.loc["嘉峪关市", "value"])  # no allocation: no data, not 0 %
    assert maps.area_color(care.loc["嘉峪关市", "value"], "day_care") == maps.NO_DATA
    assert maps.area_color(1.0, "love_hut") != maps.area_color(0.0, "love_hut")
    legend = maps.legend_table(care, "day_care", "zh").data.set_index("区间")["地区数"]
    assert legend["无数据"] == 1 and legend["≥ 100%"] == 1 and legend["50%–80%"] == 1
    assert legend.sum() == 3
    compliance = pd.DataFrame({"code": ["620100"], "pairings": [10], "meeting": [7]})
    rate = maps.area_values(progress, compliance, "compliance", "zh").set_index("name")
    assert rate.loc["兰州市", "value"] == 0.7 and pd.isna(rate.loc["金昌市", "value"])
    assert "7 / 10" in rate.loc["兰州市", "tip"]


def test_compact_json_is_much_smaller_than_pydeck_json(engine):
    deck = build(engine, Filters(2024, prefecture=LANZHOU))
    indented = super(maps.CompactDeck, deck).to_json()
    assert json.loads(indented) == json.loads(deck.to_json())
    assert maps.deck_json_size(deck) < len(indented.encode()) / 3
    assert maps.deck_json_size(build(engine)) < 200_000


def test_picked_facility_reads_the_selection():
    assert maps.picked_facility(None) is None
    assert maps.picked_facility({"selection": {"indices": {}, "objects": {}}}) is None
    prefecture_click = {"selection": {"objects": {"prefectures": [{"properties": {}}]}}}
    assert maps.picked_facility(prefecture_click) is None
    click = {
        "selection": {
            "indices": {"day_care_centers": [3]},
            "objects": {"day_care_centers": [{"id": 61, "name": "x"}]},
        }
    }
    assert maps.picked_facility(click) == 61


def test_progress_table_totals(engine):
    table = maps.progress_table(fq.progress_by_area(engine, PROVINCE, Y), "zh")
    total = table.set_index("地区").loc["合计"]
    assert total["爱心屋分配数"] == 60 and total["日间照料中心分配数"] == 20
    assert len(table) == 15
    fig = maps.progress_figure(fq.progress_by_area(engine, PROVINCE, Y), "zh")
    assert sum(fig.data[0].x) == 60 and sum(fig.data[2].x) == 20


def test_scoped_viewer_sees_only_their_prefecture(engine):
    scope = Scope(prefecture="620500")
    spec = spec_of(build(engine, scope=scope))
    assert [f["properties"]["name"] for f in rows(layer(spec, "prefectures"))] == ["天水市"]
    points = rows(layer(spec, "love_huts")) + rows(layer(spec, "day_care_centers"))
    assert points and all(geography.contains("620500", "prefecture", *p["pos"]) for p in points)


# --- the page ---------------------------------------------------------------------------------


def page_deck(at) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def facility_list(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "编号" in d.value.columns)


def test_page_whole_province(app):
    at = app(page="maps.py")
    assert not at.exception and not at.error
    assert at.title[0].value == "设施地图"
    spec = page_deck(at)
    assert len(rows(layer(spec, "love_huts"))) == 60
    assert len(rows(layer(spec, "day_care_centers"))) == 20
    listing = facility_list(at)
    assert listing["设施类型"].value_counts().to_dict() == {"爱心屋": 60, "日间照料中心": 20}
    assert listing[listing["设施类型"] == "爱心屋"]["市州"].nunique() == 14
    assert "共 80 处设施" in [c.value for c in at.caption]
    progress = next(d.value for d in at.dataframe if "爱心屋分配数" in d.value.columns)
    assert progress.set_index("地区").loc["合计", "爱心屋分配数"] == 60
    assert at.download_button[0].label == "下载设施清单（CSV）"


def test_page_lanzhou(app):
    at = app(page="maps.py")
    at.sidebar.selectbox(key="prefecture").select(LANZHOU).run()
    assert not at.exception and not at.error
    spec = page_deck(at)
    assert {f["properties"]["name"] for f in rows(layer(spec, "counties"))} == LANZHOU_COUNTIES
    listing = facility_list(at)
    assert len(listing) > 0 and set(listing["市州"]) == {"兰州市"}
    points = rows(layer(spec, "love_huts")) + rows(layer(spec, "day_care_centers"))
    assert len(points) == len(listing)
    progress = next(d.value for d in at.dataframe if "爱心屋分配数" in d.value.columns)
    assert set(progress["地区"]) == LANZHOU_COUNTIES | {"合计"}


def test_page_type_and_status_selectors(app):
    at = app(page="maps.py")
    at.pills(key="map_kinds").unselect("love_hut").run()
    at.pills(key="map_statuses").set_value(["operating"]).run()
    assert not at.exception
    listing = facility_list(at)
    assert set(listing["设施类型"]) == {"日间照料中心"} and set(listing["状态"]) == {"运营"}
    assert len(rows(layer(page_deck(at), "day_care_centers"))) == len(listing)
    assert rows(layer(page_deck(at), "love_huts")) == []


def test_page_opens_a_facility_profile_with_its_history(app):
    at = app(page="maps.py")
    picker = at.selectbox(key="map_facility")
    assert picker.value is None
    picker.select_index(1).run()
    assert not at.exception
    profile = next(d.value for d in at.dataframe if "项目" in d.value.columns)
    facts = dict(zip(profile["项目"], profile["内容"], strict=True))
    first = facility_list(at).iloc[0]
    assert facts["名称"] == first["名称"] and facts["状态"] == first["状态"]
    history = next(d.value for d in at.dataframe if "变更日期" in d.value.columns)
    assert history["状态"].iloc[0] == "计划" and history["状态"].iloc[-1] == facts["状态"]
    assert list(history["变更日期"]) == sorted(history["变更日期"])


def test_page_colours_by_compliance(app):
    at = app(page="maps.py")
    huts = [f["properties"]["fill"] for f in rows(layer(page_deck(at), "prefectures"))]
    at.selectbox(key="map_measure").select("compliance").run()
    assert not at.exception
    fills = [f["properties"]["fill"] for f in rows(layer(page_deck(at), "prefectures"))]
    assert len(fills) == 14 and fills != huts
    palette = {tuple(c) for c in maps.SCALES["compliance"].colors} | {maps.NO_DATA}
    assert {tuple(f[:3]) for f in fills} <= palette
    legend = next(d.value for d in at.dataframe if "区间" in d.value.columns)
    assert legend["地区数"].sum() == 14 and "≥ 95%" in set(legend["区间"])
    at.sidebar.selectbox(key="prefecture").select(LANZHOU).run()
    tips = [f["properties"]["tip"] for f in rows(layer(page_deck(at), "counties"))]
    assert len(tips) == 8 and all(tip.startswith("干部联系达标率") for tip in tips)
    assert any("个结对" in tip for tip in tips)


def test_page_past_quarter_shows_the_map_as_it_was(app):
    at = app(page="maps.py")
    at.sidebar.selectbox(key="period").select("Q1").run()
    assert not at.exception
    listing = facility_list(at)
    whole_year = facility_list(app(page="maps.py"))
    assert 0 < len(listing) < len(whole_year)  # some were not even planned by 31 March
    assert "运营" not in set(listing["状态"])  # the first ones opened in spring
    spec = page_deck(at)
    points = rows(layer(spec, "love_huts")) + rows(layer(spec, "day_care_centers"))
    assert len(points) == len(listing)


def test_page_in_english(app):
    at = app(page="maps.py", lang="English")
    assert not at.exception and not at.error
    assert at.title[0].value == "Facility maps"
    listing = next(d.value for d in at.dataframe if "Code" in d.value.columns)
    assert set(listing["Facility type"]) == {"Love Hut", "Day-care center"}
    assert at.download_button[0].label == "Download the list (CSV)"
