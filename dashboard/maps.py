"""Pure builders of the facility maps page: query results in, a pydeck Deck, tables and a
figure out. No Streamlit here.

The deck draws without any basemap (`map_provider=None`): the bundled prefecture and county
boundaries are the base layer and nothing is fetched from outside. pydeck reads a plain string
argument as a data accessor, so constant strings are quoted inside the string ("'auto'"); an
unquoted character set silently drops the Chinese labels. The deck's JSON is re-dumped compactly,
which makes the websocket frame several times smaller than pydeck's indented JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
from plotly.subplots import make_subplots
from pydeck.bindings.json_tools import default_serialize

from dashboard.fmt import pct
from dashboard.i18n import t
from data_access import geography
from data_access.models import FACILITY_KINDS, FACILITY_STATUSES
from data_access.scope import Area, Filters, Scope, effective_area

Color = tuple[int, int, int]
KINDS, STATUSES = FACILITY_KINDS, FACILITY_STATUSES

# One layer and one colour per facility type; the layer ids are what a selection names.
KIND_LAYERS = {"love_hut": "love_huts", "day_care": "day_care_centers"}
# Blue and dark orange: apart under every common colour-vision deficiency (tests/test_palette.py).
KIND_COLORS: dict[str, Color] = {"love_hut": (21, 101, 192), "day_care": (166, 54, 3)}
KIND_LABELS = {"love_hut": "love_hut", "day_care": "day_care_center"}
SUSPENDED_FILL: Color = (66, 66, 66)
NO_DATA: Color = (120, 120, 120)
FONT = "'Noto Sans CJK SC, WenQuanYi Zen Hei, Microsoft YaHei, sans-serif'"
MEASURES = ("love_hut", "day_care", "compliance")
# The size the view is fitted to (the page draws the map about this large).
MAP_WIDTH, MAP_HEIGHT = 600, 560
# deck.gl's web mercator world is 512 pixels wide at zoom 0.
TILE = 512


@dataclass(frozen=True)
class Scale:
    """Classes of a measure: a value below breaks[0] is class 0, at or above breaks[-1] the
    last class. A missing value is the "no data" class."""

    breaks: tuple[float, ...]
    colors: tuple[Color, ...]

    def classify(self, value: float | None) -> int | None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return sum(value >= b for b in self.breaks)

    def labels(self) -> list[str]:
        b = [pct(x, 0) for x in self.breaks]
        return (
            [f"< {b[0]}"]
            + [f"{lo}–{hi}" for lo, hi in zip(b, b[1:], strict=False)]
            + [f"≥ {b[-1]}"]
        )


# Red (low) to blue (high), not red to green, so that the classes stay apart for people with
# red-green colour blindness; the legend table and the areas' table say the classes in words.
_RAMP = ((202, 0, 32), (244, 165, 130), (146, 197, 222), (5, 113, 176))
SCALES = {
    "love_hut": Scale((0.5, 0.8, 1.0), _RAMP),
    "day_care": Scale((0.5, 0.8, 1.0), _RAMP),
    "compliance": Scale((0.6, 0.8, 0.95), _RAMP),
}


class CompactDeck(pdk.Deck):
    """A Deck whose JSON (what Streamlit sends to the browser) has no indentation and keeps
    Chinese as UTF-8 instead of \\u escapes."""

    def to_json(self) -> str:
        # pydeck's own to_json indents, which takes json's pure-Python encoder over every
        # coordinate of the boundaries; without indentation the C encoder does it at once.
        return json.dumps(
            self,
            sort_keys=True,
            default=default_serialize,
            ensure_ascii=False,
            separators=(",", ":"),
        )


def deck_json_size(deck: pdk.Deck) -> int:
    """Bytes of the deck's JSON as sent to the browser."""
    return len(deck.to_json().encode("utf-8"))


def area_of(scope: Scope, filters: Filters) -> Area:
    """The area the map shows: the sidebar's choice, clamped to what the viewer may see."""
    return effective_area(scope, filters)


# --- area values and legend -------------------------------------------------------------------


def area_values(
    progress: pd.DataFrame, compliance: pd.DataFrame | None, measure: str, lang: str
) -> pd.DataFrame:
    """Per area (code, name): the measure's value (a share, NaN when there is no data) and the
    text a tooltip shows. progress is data_access.facilities.progress_by_area, compliance is
    compliance_by_area (same level)."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, not {measure!r}")
    areas = progress[["code", "name"]].drop_duplicates().reset_index(drop=True)
    if measure == "compliance":
        if compliance is None:
            compliance = pd.DataFrame(columns=["code", "pairings", "meeting"])
        frame = areas.merge(compliance, on="code", how="left")
        done, of = frame["meeting"].fillna(0), frame["pairings"].fillna(0)
        unit = t("map_pairings_unit", lang)
        label = t("map_measure_compliance", lang)
    else:
        rows = progress[progress["kind"] == measure]
        frame = areas.merge(rows[["code", "operating", "target"]], on="code", how="left")
        done, of = frame["operating"].fillna(0), frame["target"].fillna(0)
        unit = ""
        label = t(f"map_measure_{measure}", lang)
    frame = areas.copy()
    frame["done"], frame["of"] = done.astype(int).values, of.astype(int).values
    frame["value"] = [
        d / o if o else math.nan for d, o in zip(frame["done"], frame["of"], strict=True)
    ]
    frame["tip"] = [
        f"{label}：{d:,} / {o:,}{unit}（{pct(v)}）" if o else f"{label}：{t('map_no_data', lang)}"
        for d, o, v in zip(frame["done"], frame["of"], frame["value"], strict=True)
    ]
    return frame


def _rgba(color: Color, alpha: int) -> list[int]:
    return [*color, alpha]


def area_color(value: float | None, measure: str) -> Color:
    scale = SCALES[measure]
    cls = scale.classify(value)
    return NO_DATA if cls is None else scale.colors[cls]


def legend_table(values: pd.DataFrame, measure: str, lang: str):
    """The colour classes of the measure with how many areas fall in each, "no data" last.
    Returns a pandas Styler (the colour column is painted); .data is the plain table."""
    scale = SCALES[measure]
    classes = [scale.classify(v) for v in values["value"]]
    # Best class first, "no data" last.
    order = [*range(len(scale.colors) - 1, -1, -1), None]
    labels = scale.labels()
    frame = pd.DataFrame(
        {
            t("map_colour", lang): "",
            t("map_class", lang): [
                t("map_no_data", lang) if i is None else labels[i] for i in order
            ],
            t("map_areas", lang): [classes.count(i) for i in order],
        }
    )
    paint = [f"background-color: rgb{NO_DATA if i is None else scale.colors[i]}" for i in order]
    return frame.style.apply(lambda _: paint, subset=[t("map_colour", lang)])


def area_values_table(values: pd.DataFrame, measure: str, lang: str) -> pd.DataFrame:
    """What the map's colours say, area by area, in words: the text alternative of the map's
    shading (the facility list is the alternative of its points)."""
    scale = SCALES[measure]
    labels = scale.labels()
    classes = [scale.classify(v) for v in values["value"]]
    return pd.DataFrame(
        {
            t("map_area", lang): values["name"],
            t(f"map_measure_{measure}", lang): [
                f"{d:,} / {o:,}" if o else t("map_no_data", lang)
                for d, o in zip(values["done"], values["of"], strict=True)
            ],
            t("map_share", lang): [None if math.isnan(v) else v for v in values["value"]],
            t("map_class", lang): [
                t("map_no_data", lang) if c is None else labels[c] for c in classes
            ],
        }
    )


def marker_legend(lang: str) -> pd.DataFrame:
    """What the point colours and styles mean (for a small table beside the map)."""
    return pd.DataFrame(
        {
            t("fac_kind", lang): [t(KIND_LABELS[k], lang) for k in FACILITY_KINDS],
            t("map_marker", lang): [t(f"map_marker_{k}", lang) for k in FACILITY_KINDS],
        }
    )


# --- the deck ---------------------------------------------------------------------------------


def _lighter(color: Color, share: float = 0.55) -> Color:
    return tuple(round(c + (255 - c) * share) for c in color)


def marker_style(kind: str, status: str) -> tuple[list[int], list[int]]:
    """(fill, outline) RGBA of a facility's point: filled when operating, hollow when planned,
    lighter while under construction, dark grey when suspended; the outline keeps the type."""
    color = KIND_COLORS[kind]
    if status == "operating":
        return _rgba(color, 255), [255, 255, 255, 255]
    if status == "planned":
        return _rgba(color, 0), _rgba(color, 255)
    if status == "building":
        return _rgba(_lighter(color), 255), _rgba(color, 255)
    return _rgba(SUSPENDED_FILL, 255), _rgba(color, 255)


def _text(value) -> str:
    return "—" if value is None or pd.isna(value) else str(value)


def facility_points(facilities: pd.DataFrame, lang: str) -> dict[str, list[dict]]:
    """Per facility type, the points the deck draws, each with the fields its tooltip reads."""
    points: dict[str, list[dict]] = {kind: [] for kind in FACILITY_KINDS}
    for f in facilities.itertuples(index=False):
        fill, line = marker_style(f.kind, f.status)
        status = t(f"fac_status_{f.status}", lang)
        lines = [
            f"{t('county', lang)}：{f.prefecture} {f.county}",
            f"{t('status', lang)}：{status}（{_text(f.status_since)}）",
            f"{t('fac_opened', lang)}：{_text(f.opened_on)}",
        ]
        if f.kind == "love_hut":
            lines.append(f"{t('fac_jobs', lang)}：{_text(f.disabled_jobs)}")
        else:
            lines.append(f"{t('fac_places', lang)}：{_text(f.places)}")
            lines.append(f"{t('fac_served', lang)}：{_text(f.people_served)}")
        points[f.kind].append(
            {
                "id": int(f.id),
                "name": f.name,
                "county": f.county,
                "status": status,
                "tip": "\n".join(lines),
                "pos": [round(float(f.lon), 5), round(float(f.lat), 5)],
                "fill": fill,
                "line": line,
            }
        )
    return points


def _feature(feature: dict, **properties) -> dict:
    return {"type": "Feature", "geometry": feature["geometry"], "properties": properties}


def _view(bounds: tuple[float, float, float, float]) -> pdk.ViewState:
    """A view that fits the bounds into the map's size (web mercator)."""
    min_lon, min_lat, max_lon, max_lat = bounds

    def merc(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    lon_span = max(max_lon - min_lon, 0.05)
    lat_span = max(merc(max_lat) - merc(min_lat), 0.05)
    zoom = min(
        math.log2(MAP_WIDTH * 360 / (TILE * lon_span)),
        math.log2(MAP_HEIGHT * 360 / (TILE * lat_span)),
    )
    return pdk.ViewState(
        longitude=round((min_lon + max_lon) / 2, 4),
        latitude=round((min_lat + max_lat) / 2, 4),
        zoom=round(zoom - 0.05, 2),
        min_zoom=4,
        max_zoom=13,
    )


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _labels(layer_id: str, items: list[dict], size: int) -> pdk.Layer:
    return pdk.Layer(
        "TextLayer",
        id=layer_id,
        data=items,
        get_position="pos",
        get_text="name",
        get_size=size,
        size_units="'pixels'",
        get_color=[33, 33, 33, 255],
        character_set="'auto'",
        font_family=FONT,
        font_weight=600,
        get_text_anchor="'middle'",
        get_alignment_baseline="'center'",
        outline_width=2,
        outline_color=[255, 255, 255, 220],
        font_settings={"sdf": True},
        pickable=False,
    )


def facility_deck(
    facilities: pd.DataFrame,
    values: pd.DataFrame,
    measure: str,
    lang: str,
    prefecture: str | None = None,
    county: str | None = None,
    county_values: pd.DataFrame | None = None,
) -> CompactDeck:
    """The facility map. values (from area_values) colours the prefectures it lists; with a
    prefecture chosen the view zooms to it (or to the chosen county) and its county-level areas
    are drawn on top, coloured by county_values, with a tooltip. Facilities are points, one
    layer per type, with a tooltip and clickable; the names of the areas lie above everything."""
    by_code = values.set_index("code")
    pref_features = [
        f for f in geography.features("prefecture") if f["properties"]["adcode"] in by_code.index
    ]
    prefectures = []
    for f in pref_features:
        code = f["properties"]["adcode"]
        alpha = 200 if prefecture is None else (0 if code == prefecture else 70)
        row = by_code.loc[code]
        prefectures.append(
            _feature(
                f,
                name=f["properties"]["name"],
                fill=_rgba(area_color(row["value"], measure), alpha),
            )
        )
    areas = [
        pdk.Layer(
            "GeoJsonLayer",
            id="prefectures",
            data={"type": "FeatureCollection", "features": prefectures},
            get_fill_color="properties.fill",
            get_line_color=[255, 255, 255, 255],
            line_width_units="'pixels'",
            get_line_width=1.5,
            stroked=True,
            filled=True,
            # Not pickable: with this layer pickable, clicks on the facility points above it
            # never reached Streamlit in headless Chromium (hover tooltips still worked); the
            # county layer does not have the problem.
            pickable=False,
        )
    ]
    labels = [
        _labels(
            "prefecture_labels",
            [
                {"name": f["properties"]["name"], "pos": list(f["properties"]["center"])}
                for f in pref_features
                if f["properties"]["adcode"] != prefecture
            ],
            14,
        )
    ]
    if prefecture:
        known = county_values.set_index("code") if county_values is not None else None
        county_features = geography.features("county", prefecture)
        counties = []
        for f in county_features:
            code = f["properties"]["adcode"]
            row = known.loc[code] if known is not None and code in known.index else None
            counties.append(
                _feature(
                    f,
                    name=f["properties"]["name"],
                    tip=t("map_no_data", lang) if row is None else row["tip"],
                    fill=_rgba(area_color(None if row is None else row["value"], measure), 200),
                    line=[33, 33, 33, 255] if code == county else [255, 255, 255, 255],
                    width=3 if code == county else 1,
                )
            )
        areas.append(
            pdk.Layer(
                "GeoJsonLayer",
                id="counties",
                data={"type": "FeatureCollection", "features": counties},
                get_fill_color="properties.fill",
                get_line_color="properties.line",
                get_line_width="properties.width",
                line_width_units="'pixels'",
                stroked=True,
                filled=True,
                pickable=True,
            )
        )
        labels.append(
            _labels(
                "county_labels",
                [
                    {"name": f["properties"]["name"], "pos": list(f["properties"]["center"])}
                    for f in county_features
                ],
                13,
            )
        )
        box = (
            geography.bounds(county, "county")
            if county
            else geography.bounds(prefecture, "prefecture")
        )
    else:
        box = _union(
            [geography.bounds(f["properties"]["adcode"], "prefecture") for f in pref_features]
            or [
                geography.bounds(f["properties"]["adcode"], "prefecture")
                for f in geography.features("prefecture")
            ]
        )

    points = [
        pdk.Layer(
            "ScatterplotLayer",
            id=KIND_LAYERS[kind],
            data=data,
            get_position="pos",
            get_fill_color="fill",
            get_line_color="line",
            get_radius=7,
            radius_units="'pixels'",
            line_width_units="'pixels'",
            get_line_width=2,
            stroked=True,
            filled=True,
            pickable=True,
            auto_highlight=True,
        )
        for kind, data in facility_points(facilities, lang).items()
    ]
    return CompactDeck(
        layers=[*areas, *points, *labels],
        map_provider=None,
        initial_view_state=_view(box),
        tooltip={"text": "{name}\n{tip}"},
    )


def picked_facility(state) -> int | None:
    """The id of the facility clicked on the map, from st.pydeck_chart's selection state."""
    if not state:
        return None
    objects = (state.get("selection") or {}).get("objects") or {}
    for layer_id in KIND_LAYERS.values():
        for obj in objects.get(layer_id) or []:
            if isinstance(obj, dict) and obj.get("id") is not None:
                return int(obj["id"])
    return None


# --- tables and the progress figure -----------------------------------------------------------


def progress_table(progress: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per area: for each facility type the allocation, operating, under way (planned or under
    construction), suspended and operating ÷ allocation; a total row last."""
    areas = progress[["code", "name"]].drop_duplicates()
    table = pd.DataFrame({t("map_area", lang): list(areas["name"]) + [t("map_total", lang)]})
    for kind in FACILITY_KINDS:
        rows = progress[progress["kind"] == kind].set_index("code").reindex(areas["code"])
        rows = rows[["target", *FACILITY_STATUSES]].fillna(0).astype(int)
        rows.loc["total"] = rows.sum()
        name = t(KIND_LABELS[kind], lang)
        table[t("map_col_target", lang, kind=name)] = rows["target"].values
        table[t("map_col_operating", lang, kind=name)] = rows["operating"].values
        table[t("map_col_underway", lang, kind=name)] = (rows["planned"] + rows["building"]).values
        table[t("map_col_suspended", lang, kind=name)] = rows["suspended"].values
        table[t("map_col_rate", lang, kind=name)] = [
            o / g if g else None for o, g in zip(rows["operating"], rows["target"], strict=True)
        ]
    return table


def progress_figure(progress: pd.DataFrame, lang: str) -> go.Figure:
    """Operating against allocation per area, one panel per facility type."""
    areas = progress[["code", "name"]].drop_duplicates()
    names = list(areas["name"])[::-1]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=[t(KIND_LABELS[k], lang) for k in FACILITY_KINDS],
    )
    for col, kind in enumerate(FACILITY_KINDS, start=1):
        rows = progress[progress["kind"] == kind].set_index("code").reindex(areas["code"])[::-1]
        fig.add_bar(
            y=names,
            x=rows["target"].fillna(0),
            orientation="h",
            name=t("map_allocation", lang),
            marker_color="#CFD8DC",
            showlegend=col == 1,
            legendgroup="target",
            row=1,
            col=col,
        )
        fig.add_bar(
            y=names,
            x=rows["operating"].fillna(0),
            orientation="h",
            name=t("map_col_operating", lang, kind=t(KIND_LABELS[kind], lang)),
            marker_color=f"rgb{KIND_COLORS[kind]}",
            width=0.5,
            legendgroup=kind,
            row=1,
            col=col,
        )
    fig.update_layout(
        barmode="overlay",
        height=120 + 26 * len(names),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"family": FONT.strip("'")},
        legend={"orientation": "h", "y": -0.08},
    )
    fig.update_xaxes(rangemode="tozero", tickformat="d")
    return fig


def facilities_table(facilities: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The facility list as shown and exported (one row per facility, labelled columns)."""
    return pd.DataFrame(
        {
            t("fac_code", lang): facilities["code"],
            t("fac_name", lang): facilities["name"],
            t("fac_kind", lang): [t(KIND_LABELS[k], lang) for k in facilities["kind"]],
            t("prefecture", lang): facilities["prefecture"],
            t("county", lang): facilities["county"],
            t("status", lang): [t(f"fac_status_{s}", lang) for s in facilities["status"]],
            t("fac_status_since", lang): facilities["status_since"],
            t("fac_opened", lang): facilities["opened_on"],
            t("fac_jobs", lang): facilities["disabled_jobs"],
            t("fac_places", lang): facilities["places"],
            t("fac_served", lang): facilities["people_served"],
            t("fac_operator", lang): facilities["operator"],
            t("fac_address", lang): facilities["address"],
            t("fac_lon", lang): facilities["lon"],
            t("fac_lat", lang): facilities["lat"],
            t("illustrative", lang): facilities["illustrative"],
        }
    ).reset_index(drop=True)


def profile_table(profile: dict, lang: str) -> pd.DataFrame:
    """One facility's facts as two columns (item, value), the size fields of its type only."""
    items = [
        ("fac_name", profile["name"]),
        ("fac_code", profile["code"]),
        ("fac_kind", t(KIND_LABELS[profile["kind"]], lang)),
        ("county", f"{profile['prefecture']} {profile['county']}"),
        ("fac_address", profile["address"]),
        ("status", t(f"fac_status_{profile['status']}", lang)),
        ("fac_status_since", profile["status_since"]),
        ("fac_opened", profile["opened_on"]),
    ]
    if profile["kind"] == "love_hut":
        items.append(("fac_jobs", profile["disabled_jobs"]))
    else:
        items += [("fac_places", profile["places"]), ("fac_served", profile["people_served"])]
    items.append(("fac_operator", profile["operator"]))
    if profile["illustrative"]:
        items.append(("illustrative", t("fac_illustrative_yes", lang)))
    return pd.DataFrame(
        {
            t("map_item", lang): [t(k, lang) for k, _ in items],
            t("map_value", lang): [_text(v) for _, v in items],
        }
    )


def history_table(profile: dict, lang: str) -> pd.DataFrame:
    history = profile["history"]
    return pd.DataFrame(
        {
            t("fac_changed_on", lang): history["changed_on"],
            t("status", lang): [t(f"fac_status_{s}", lang) for s in history["status"]],
            t("fac_note", lang): [_text(n) for n in history["note"]],
        }
    )
