"""The shared sidebar: language, year, period, prefecture, county. Every widget keeps its value
across pages (persist_state) and lives in the URL (bind), so a view can be shared as a link."""

from __future__ import annotations

import streamlit as st

from dashboard import briefing as br
from dashboard.data import query
from dashboard.i18n import period_label, t
from data_access import queries
from data_access.scope import PERIODS, Filters, Scope

ALL = "all"


def lang() -> str:
    return st.session_state.get("lang") or "zh"


def _select(label: str, options: list, key: str, format_func) -> object:
    return st.sidebar.selectbox(
        label,
        options,
        key=key,
        format_func=format_func,
        bind="query-params",
        persist_state="session",
    )


def sidebar(scope: Scope) -> Filters:
    """Draw the filters and return them; the area choices offer only what the scope allows."""
    st.sidebar.segmented_control(
        t("language", lang()),
        ["zh", "en"],
        key="lang",
        default="zh",
        required=True,
        format_func=lambda v: "中文" if v == "zh" else "English",
        bind="query-params",
        persist_state="session",
    )
    lg = lang()
    st.session_state["outside_scope"] = False
    st.sidebar.subheader(t("filters", lg))
    years = query(queries.years) or [2024]
    year = _select(t("year", lg), years, "year", str)
    period = _select(t("period", lg), list(PERIODS), "period", lambda p: period_label(p, lg))

    prefs = query(queries.prefectures, scope)
    pref_names = dict(zip(prefs["code"], prefs["name"], strict=True))
    pref_options = ([] if scope.prefecture else [ALL]) + list(pref_names)

    def pref_label(code: str) -> str:
        return t("all_province", lg) if code == ALL else pref_names[code]

    _note_outside_scope("prefecture", [pref_label(c) for c in pref_options])
    prefecture = _select(t("prefecture", lg), pref_options, "prefecture", pref_label)
    prefecture = None if prefecture in (None, ALL) else prefecture

    county = None
    if prefecture:
        counties = query(queries.counties, scope, prefecture)
        names = dict(zip(counties["code"], counties["name"], strict=True))
        options = ([] if scope.county else [ALL]) + list(names)

        def county_label(code: str) -> str:
            return t("all_prefecture", lg) if code == ALL else names[code]

        _note_outside_scope("county", [county_label(c) for c in options])
        county = _select(t("county", lg), options, "county", county_label)
        county = None if county in (None, ALL) else county
    return Filters(int(year), period or "Y", prefecture, county)


def _note_outside_scope(key: str, allowed: list[str]) -> None:
    """A link may name an area the viewer may not see (or that does not exist): the widget
    falls back to an allowed area, and the page says so instead of silently changing it."""
    asked = st.query_params.get(key)
    if asked and asked not in allowed:
        st.session_state["outside_scope"] = True


def area_name(filters: Filters, lang_: str) -> str:
    """The chosen area as people say it: 全省, 天水市, 天水市 · 秦州区."""
    return br.named_area(query, filters, lang_)
