"""数据质量: which records do not look real — each rule's findings by area and month, the
records behind a rule (names masked), and marking a finding as checked with a note."""

import datetime as dt

import streamlit as st

from dashboard import data, viewer
from dashboard import quality_view as view
from dashboard.data import query
from dashboard.i18n import t
from dashboard.layout import header
from data_access import contacts, quality

flt, lang = header("page_quality")
scope = viewer.scope()
th = view.THRESHOLDS
for problem in view.QUALITY_PROBLEMS:
    st.warning(t("dq_settings_problem", lang, problem=problem))

found = query(quality.findings, scope, flt, th, dt.date.today())
areas = query(contacts.areas, scope, flt)
names = dict(zip(areas["county_code"], areas["county_name"], strict=True))
level = "county" if flt.prefecture or scope.prefecture else "prefecture"

checked = int(found["reviewed_by"].notna().sum())
c1, c2, c3 = st.columns(3)
c1.metric(t("dq_findings", lang), f"{len(found):,}")
c2.metric(t("dq_open", lang), f"{len(found) - checked:,}")
c3.metric(t("dq_checked", lang), f"{checked:,}")

st.header(t("dq_rules_title", lang))
st.dataframe(view.rules_table(found, th, lang), hide_index=True, width="stretch")

st.header(t("dq_by_area", lang, level=t(level, lang)))
st.dataframe(view.by_area(found, areas, level, lang), hide_index=True, width="stretch")

st.header(t("dq_trend", lang))
st.dataframe(view.trend(found, flt.year, lang), hide_index=True, width="stretch")

st.header(t("dq_drill", lang))
rule = st.selectbox(
    t("dq_pick_rule", lang),
    list(quality.RULE_IDS),
    format_func=lambda r: f"{r} · {view.sentence(r, th, lang)}",
    key="dq_rule",
)
rows = found[found["rule"] == rule].reset_index(drop=True)
if rows.empty:
    st.caption(t("dq_none", lang))
else:
    st.dataframe(view.drill_table(rows, names, lang), hide_index=True, width="stretch")

if viewer.current().may_import and not rows.empty:
    open_rows = rows[rows["reviewed_by"].isna()]
    with st.expander(t("dq_mark_title", lang), icon=":material/fact_check:"):
        st.caption(t("dq_mark_help", lang))
        with st.form("dq_mark_form", clear_on_submit=True, border=False):
            pick = st.selectbox(
                t("dq_mark_pick", lang),
                list(open_rows.index),
                format_func=lambda i: view.finding_label(open_rows.loc[i], names, lang),
            )
            note = st.text_input(t("dq_review", lang), max_chars=200)
            if st.form_submit_button(t("dq_mark_submit", lang)) and pick is not None:
                row = open_rows.loc[pick]
                key = quality.mark_checked(
                    data.engine(),
                    scope,
                    rule,
                    row["key"],
                    row["county_code"],
                    viewer.identity(),
                    note,
                )
                if key == "dq_mark_saved":
                    data.invalidate()
                st.session_state["dq_mark_result"] = key
                st.rerun()
        if "dq_mark_result" in st.session_state:
            key = st.session_state.pop("dq_mark_result")
            (st.success if key == "dq_mark_saved" else st.error)(t(key, lang))
