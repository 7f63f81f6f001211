"""Gansu prefecture and county boundaries, read from the bundled GeoJSON.

Pure Python on purpose: the app must run without shapely or internet access.
The file is built by scripts/build_boundaries.py (see reference/BOUNDARIES.md).
"""

from __future__ import annotations

import json
import random
from functools import cache, lru_cache
from pathlib import Path

AREAS_FILE = Path(__file__).resolve().parent / "reference" / "gansu_areas.geojson"
LEVELS = ("prefecture", "county")


@lru_cache(maxsize=1)
def load_areas() -> dict:
    """The parsed FeatureCollection (cached; treat it as read-only)."""
    with open(AREAS_FILE, encoding="utf-8") as f:
        return json.load(f)


@cache
def _index() -> dict[tuple[str, str], dict]:
    return {
        (f["properties"]["adcode"], f["properties"]["level"]): f for f in load_areas()["features"]
    }


def _feature(adcode: str, level: str) -> dict:
    try:
        return _index()[(str(adcode), level)]
    except KeyError:
        raise KeyError(f"no {level} with adcode {adcode}") from None


def _polygons(geometry: dict) -> list:
    # Normalise to a list of polygons, each a list of rings (outer ring first).
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return geometry["coordinates"]


def features(level: str, prefecture: str | None = None) -> list[dict]:
    """Features of one level, optionally only those inside one prefecture."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    return [
        f
        for f in load_areas()["features"]
        if f["properties"]["level"] == level
        and (prefecture is None or f["properties"]["prefecture"] == str(prefecture))
    ]


@cache
def bounds(adcode: str, level: str) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of an area."""
    # Holes lie inside their outer ring, so outer rings alone give the bounds.
    points = [pt for poly in _polygons(_feature(adcode, level)["geometry"]) for pt in poly[0]]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def _in_ring(ring: list, lon: float, lat: float) -> bool:
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        # Half-open test on y so a vertex shared by two edges is counted once.
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


def contains(adcode: str, level: str, lon: float, lat: float) -> bool:
    """Whether (lon, lat) lies inside the area (holes excluded)."""
    min_lon, min_lat, max_lon, max_lat = bounds(adcode, level)
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        return False
    for rings in _polygons(_feature(adcode, level)["geometry"]):
        if _in_ring(rings[0], lon, lat) and not any(_in_ring(h, lon, lat) for h in rings[1:]):
            return True
    return False


def random_point(adcode: str, rng: random.Random, level: str = "county") -> tuple[float, float]:
    """A uniformly random (lon, lat) inside the area, reproducible for a seeded rng."""
    min_lon, min_lat, max_lon, max_lat = bounds(adcode, level)
    for _ in range(10_000):
        # Round before testing so the returned point is the one that was checked.
        lon = round(rng.uniform(min_lon, max_lon), 5)
        lat = round(rng.uniform(min_lat, max_lat), 5)
        if contains(adcode, level, lon, lat):
            return lon, lat
    raise RuntimeError(f"could not sample a point inside {level} {adcode}")


def center(adcode: str, level: str) -> tuple[float, float]:
    """The stored label point (lon, lat), always inside the area."""
    lon, lat = _feature(adcode, level)["properties"]["center"]
    return lon, lat
