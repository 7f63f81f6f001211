"""总览: the whole program at a glance for the chosen area and period."""

import streamlit as st

from dashboard import charts, tables, viewer
from dashboard.budget_view import measures_table
from dashboard.data import query
from dashboard.fmt import pct, pp, wan_text
from dashboard.i18n import t
from dashboard.layout import chart, header, money_columns
from dashboard.rules import CONTACT_RULE, as_of, execution_rate, time_progress
from data_access import queries

flt, lang = header("page_overview")
scope = viewer.scope()
progress = time_progress(flt)

budget = query(queries.budget_by_measure, scope, flt)
facilities = query(queries.facility_progress, scope, flt)
compliance = query(queries.compliance_summary, scope, flt, CONTACT_RULE.requirement(as_of(flt)))
indicators = tables.indicators_with_derived(
    query(queries.indicator_progress, scope, flt), facilities, compliance
)

planned, disbursed = int(budget["planned_fen"].sum()), int(budget["disbursed_fen"].sum())
rate = execution_rate(planned, disbursed)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("planned", lang), wan_text(planned))
c2.metric(t("disbursed", lang), wan_text(disbursed))
c3.metric(
    t("execution_rate", lang),
    pct(rate),
    delta=None if rate is None else f"{pp(rate - progress)} pp",
    help=t("gap_pp", lang),
)
c4.metric(t("time_progress", lang), pct(progress))

fac = facilities.set_index("kind")
c1, c2, c3, _ = st.columns(4)
for col, kind, key in ((c1, "love_hut", "love_huts"), (c2, "day_care", "day_care")):
    col.metric(
        t(key, lang),
        f"{fac.loc[kind, 'operating']} / {fac.loc[kind, 'target']}",
        help=t("of_target", lang, target=fac.loc[kind, "target"]),
    )
share = compliance["meeting"] / compliance["pairings"] if compliance["pairings"] else None
c3.metric(t("compliance_rate", lang), pct(share), help=t("compliance_help", lang))
c3.caption(t("pairings_meeting", lang, **compliance))

monthly = query(queries.monthly_disbursed, scope, flt)
chart(charts.cumulative_trend(monthly, planned, flt.year, flt.end.month, lang), lang)

st.header(t("measures_table", lang))
st.dataframe(
    measures_table(budget, indicators, progress, lang),
    hide_index=True,
    width="stretch",
    placeholder="—",
    column_config=money_columns(lang),
)
