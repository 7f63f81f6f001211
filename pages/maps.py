"""设施地图: where the Love Huts and day-care centers are, which are open, and which areas lag.
The map draws offline (no basemap): the bundled boundaries are its base."""

import dataclasses
from functools import partial

import streamlit as st

from dashboard import exports, maps, notes_view, viewer
from dashboard.data import query
from dashboard.filters import area_name
from dashboard.i18n import period_label, t
from dashboard.layout import chart, download_button, header
from dashboard.rules import CONTACT_RULE, as_of
from data_access import facilities

flt, lang = header("page_maps")
scope = viewer.scope()
area = maps.area_of(scope, flt)
requirement = CONTACT_RULE.requirement(as_of(flt))
notes_view.on_page(flt, lang, ("love_huts", "day_care"))  # 解读 on the facilities' figures

c1, c2, c3 = st.columns([2, 2, 3])
measure = c1.selectbox(
    t("map_measure", lang),
    maps.MEASURES,
    key="map_measure",
    format_func=lambda m: t(f"map_measure_{m}", lang),
    bind="query-params",
)
kinds = c2.pills(
    t("fac_kind", lang),
    maps.KINDS,
    selection_mode="multi",
    default=list(maps.KINDS),
    key="map_kinds",
    format_func=lambda k: t(maps.KIND_LABELS[k], lang),
)
statuses = c3.pills(
    t("fac_statuses", lang),
    maps.STATUSES,
    selection_mode="multi",
    default=list(maps.STATUSES),
    key="map_statuses",
    format_func=lambda s: t(f"fac_status_{s}", lang),
)

# The prefectures are coloured for the whole province (the scope still clamps), so a chosen
# prefecture is seen among its neighbours; its counties are coloured on top.
province = dataclasses.replace(flt, prefecture=None, county=None)
whole_prefecture = dataclasses.replace(flt, prefecture=area.prefecture, county=None)
wants_compliance = measure == "compliance"
values = maps.area_values(
    query(facilities.progress_by_area, scope, province),
    query(facilities.compliance_by_area, scope, province, requirement)
    if wants_compliance
    else None,
    measure,
    lang,
)
county_values = None
if area.prefecture:
    county_values = maps.area_values(
        query(facilities.progress_by_area, scope, whole_prefecture, "county"),
        query(facilities.compliance_by_area, scope, whole_prefecture, requirement, "county")
        if wants_compliance
        else None,
        measure,
        lang,
    )
found = query(facilities.facilities, scope, flt, tuple(kinds), tuple(statuses))
deck = maps.facility_deck(found, values, measure, lang, area.prefecture, area.county, county_values)

left, right = st.columns([3, 2], gap="medium")
with left:
    event = st.pydeck_chart(
        deck,
        on_select="rerun",
        selection_mode="single-object",
        key="facility_map",
        height=maps.MAP_HEIGHT,
        alt=t("map_alt", lang),
    )
    st.caption(t("map_marker_styles", lang))

with right:
    st.caption(t("map_legend", lang) + " · " + t(f"map_measure_{measure}", lang))
    st.dataframe(
        maps.legend_table(county_values if area.prefecture else values, measure, lang),
        hide_index=True,
        width="stretch",
    )
    st.dataframe(maps.marker_legend(lang), hide_index=True, width="stretch")
    with st.expander(t("map_values_table", lang)):
        st.dataframe(
            maps.area_values_table(county_values if area.prefecture else values, measure, lang),
            hide_index=True,
            width="stretch",
            column_config={t("map_share", lang): st.column_config.NumberColumn(format="percent")},
        )

    # A click on the map chooses the facility; the select box does the same without a mouse.
    options = [None, *(int(i) for i in found["id"])]
    names = dict(zip(found["id"], found["name"] + " · " + found["county"], strict=True))
    clicked = maps.picked_facility(event)
    if clicked is not None and clicked != st.session_state.get("_map_clicked"):
        st.session_state["map_facility"] = clicked
    st.session_state["_map_clicked"] = clicked
    if st.session_state.get("map_facility") not in options:
        st.session_state["map_facility"] = None
    picked = st.selectbox(
        t("fac_pick", lang),
        options,
        key="map_facility",
        format_func=lambda i: t("fac_pick_none", lang) if i is None else names[i],
    )
    profile = query(facilities.facility_profile, scope, flt, picked) if picked else None
    if profile:
        st.header(t("fac_profile", lang))
        st.dataframe(maps.profile_table(profile, lang), hide_index=True, width="stretch")
        st.caption(t("fac_history", lang))
        st.dataframe(maps.history_table(profile, lang), hide_index=True, width="stretch")

level = "county" if area.prefecture else "prefecture"
progress = query(facilities.progress_by_area, scope, flt, level)
st.header(t("map_progress_counties" if area.prefecture else "map_progress_prefectures", lang))
rate_columns = [t("map_col_rate", lang, kind=t(maps.KIND_LABELS[k], lang)) for k in maps.KINDS]
st.dataframe(
    maps.progress_table(progress, lang),
    hide_index=True,
    width="stretch",
    placeholder="—",
    column_config={c: st.column_config.NumberColumn(format="percent") for c in rate_columns},
)
chart(maps.progress_figure(progress, lang), lang, t("map_progress_chart", lang))

st.header(t("fac_list", lang))
listing = maps.facilities_table(found, lang)
st.caption(t("fac_count", lang, n=len(listing)))
if listing.empty:
    st.info(t("map_no_facilities", lang))
st.dataframe(listing, hide_index=True, width="stretch", placeholder="—")
period = period_label(flt.period, lang)
place = area_name(flt, lang)
csv_name = exports.file_name(t("fac_file", lang), [flt.year, period, place], "csv")
download_button(
    st,
    t("fac_download", lang),
    partial(  # made when clicked
        exports.to_csv_bytes,
        listing,
        {
            t("year", lang): flt.year,
            t("period", lang): period,
            t("map_area", lang): place,
            t("as_of", lang, date="").strip(): as_of(flt).isoformat(),
        },
    ),
    file_name=csv_name,
    mime="text/csv",
    icon=":material/download:",
)
