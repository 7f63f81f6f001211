"""The shared sidebar: language, year, period, prefecture, county. Every widget keeps its value
across pages (persist_state) and lives in the URL (bind), so a view can be shared as a link."""

from __future__ import annotations

import streamlit as st

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
    st.sidebar.subheader(t("filters", lg))
    years = query(queries.years) or [2024]
    year = _select(t("year", lg), years, "year", str)
    period = _select(t("period", lg), list(PERIODS), "period", lambda p: period_label(p, lg))

    prefs = query(queries.prefectures, scope)
    pref_names = dict(zip(prefs["code"], prefs["name"], strict=True))
    pref_options = ([] if scope.prefecture else [ALL]) + list(pref_names)
    prefecture = _select(
        t("prefecture", lg),
        pref_options,
        "prefecture",
        lambda c: t("all_province", lg) if c == ALL else pref_names[c],
    )
    prefecture = None if prefecture in (None, ALL) else prefecture

    county = None
    if prefecture:
        counties = query(queries.counties, scope, prefecture)
        names = dict(zip(counties["code"], counties["name"], strict=True))
        options = ([] if scope.county else [ALL]) + list(names)
        county = _select(
            t("county", lg),
            options,
            "county",
            lambda c: t("all_prefecture", lg) if c == ALL else names.get(c, c),
        )
        county = None if county in (None, ALL) else county
    return Filters(int(year), period or "Y", prefecture, county)


def area_name(filters: Filters, lang_: str) -> str:
    """The chosen area as people say it: 全省, 天水市, 天水市 · 秦州区."""
    if not filters.prefecture:
        return t("all_province", lang_)
    prefs = query(queries.prefectures, Scope())
    name = dict(zip(prefs["code"], prefs["name"], strict=True))[filters.prefecture]
    if filters.county:
        counties = query(queries.counties, Scope(), filters.prefecture)
        name += " · " + dict(zip(counties["code"], counties["name"], strict=True))[filters.county]
    return name
