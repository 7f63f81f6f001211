"""Pieces every page shows the same way: heading with area and period, the demo notice."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard import chart_text, viewer
from dashboard import filters as sidebar
from dashboard.data import engine, query
from dashboard.i18n import period_label, t
from dashboard.rules import as_of
from data_access import queries, users
from data_access.scope import Filters


def header(title_key: str) -> tuple[Filters, str]:
    """Title, the area and period in words, the demo notice; returns (filters, lang)."""
    lang = sidebar.lang()
    flt: Filters = st.session_state["filters"]
    st.title(t(title_key, lang))
    st.caption(
        f"{sidebar.area_name(flt, lang)} · {flt.year} {period_label(flt.period, lang)} · "
        + t("as_of", lang, date=as_of(flt).isoformat())
    )
    if viewer.current().open_mode:  # here too: a narrow screen hides the sidebar
        st.warning(t("open_mode", lang), icon=":material/lock_open:")
    if st.session_state.get("outside_scope"):
        st.warning(t("scope_clamped", lang), icon=":material/shield:")
    if query(queries.facts).get("contents") == "demo":
        st.info(t("demo_notice", lang), icon=":material/info:")
    return flt, lang


def money_columns(lang: str) -> dict:
    """Column formats of the money tables: 万元 with two decimals, rates as percentages."""
    money = st.column_config.NumberColumn(format="%.2f")
    share = st.column_config.NumberColumn(format="percent")
    return {
        t("planned", lang): money,
        t("disbursed", lang): money,
        t("period_disbursed", lang): money,
        t("execution_rate", lang): share,
        t("gap_pp", lang): st.column_config.NumberColumn(format="%+.1f"),
        t("gap_money", lang): money,
        t("progress", lang): share,
        t("indicators", lang): st.column_config.TextColumn(width="large"),
    }


def audit_export(file_name: str) -> None:
    """on_click of every download of program data: who took which file (its name says the
    table, area and period; never personal data)."""
    users.audit(engine(), viewer.identity(), "export", file_name)


def chart(fig: go.Figure, lang: str, title: str = "", **options) -> None:
    """A chart with its text alternative: under it one sentence saying what it shows, and its
    data as a table (an expander a keyboard opens, a real table a screen reader reads). Every
    page draws its plotly charts through here. `title` names a chart whose figure has none."""
    name = chart_text.title(fig, title)
    st.plotly_chart(fig, width="stretch", alt=t("chart_alt", lang, title=name), **options)
    st.caption(chart_text.summary(fig, lang, title))
    with st.expander(t("chart_data", lang, title=name)):
        st.table(chart_text.table(fig, lang), hide_index=True)
