"""报送情况 (月调度): which counties have sent this round's ledgers, on-time rates by area and
month, the county × month calendar, and nil returns. Year and area come from the sidebar."""

import datetime as dt

import streamlit as st

from dashboard import data, viewer
from dashboard import reporting_view as view
from dashboard.data import query
from dashboard.fmt import pct
from dashboard.i18n import t
from dashboard.import_view import ledger_title
from dashboard.layout import header
from data_access import contacts, reporting

flt, lang = header("page_reporting")
scope = viewer.scope()
rule = view.REPORTING_RULE
today = dt.date.today()
for problem in view.REPORTING_PROBLEMS:
    st.warning(t("rep_settings_problem", lang, problem=problem))

areas = query(contacts.areas, scope, flt)
receipts = query(reporting.receipts, scope, flt, rule.all_ledgers)
cal = view.cells(rule, areas, receipts, flt.year, flt.end.month, today)
level = "county" if flt.prefecture or scope.prefecture else "prefecture"
current = view.current_month(flt.year, today)

if cal.empty:
    st.info(t("rep_nothing_due", lang))
    st.stop()

# --- this round ---------------------------------------------------------------------------------
total = view.rates(cal, "province", by_month=False).iloc[0]
now = cal[cal["month"] == current] if current else cal.iloc[0:0]
c1, c2, c3, c4 = st.columns(4)
if current is not None and not now.empty:
    got = int(now["status"].isin(("on_time", "late")).sum())
    c1.metric(
        t("rep_received_now", lang),
        f"{got} / {len(now)}",
        help=t(
            "rep_current_month",
            lang,
            month=f"{current:%Y-%m}",
            due=rule.due(current).isoformat(),
        ),
    )
help_text = t("rep_rates_help", lang, day=rule.due_day)
c2.metric(t("rep_reporting_rate", lang), pct(total["reporting_rate"]), help=help_text)
c3.metric(t("rep_on_time_rate", lang), pct(total["on_time_rate"]), help=help_text)
c4.metric(t("rep_completeness_label", lang), view.completeness_text(cal, level, lang))

if current is not None and not now.empty:
    st.header(t("rep_still_missing", lang, month=f"{current:%Y-%m}"))
    missing = view.still_missing(cal, current)
    if missing.empty:
        st.success(t("rep_none_missing", lang), icon=":material/task_alt:")
    else:
        st.dataframe(view.missing_table(missing, lang), hide_index=True, width="stretch")

# --- rates by area and month --------------------------------------------------------------------
st.header(t("rep_rates_by_month", lang, level=t(level, lang)))
table = view.rates_table(cal, level, lang)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    placeholder="—",
    column_config={c: st.column_config.NumberColumn(format="percent") for c in table.columns[1:]},
)

st.header(t("rep_calendar", lang))
st.caption(t("rep_calendar_help", lang))
st.dataframe(view.calendar_table(cal, lang), hide_index=True, width="stretch")

# --- nil returns --------------------------------------------------------------------------------
names = dict(zip(areas["county_code"], areas["county_name"], strict=True))
if viewer.current().may_import:
    with st.expander(t("rep_nil_title", lang), icon=":material/block:"):
        st.caption(t("rep_nil_help", lang))
        with st.form("rep_nil_form", clear_on_submit=True, border=False):
            county = st.selectbox(t("county", lang), list(names), format_func=names.get)
            months = view.months_of(flt.year, flt.end.month, today)
            month = st.selectbox(
                t("rep_month", lang),
                months,
                index=len(months) - 1,
                format_func=lambda m: f"{m:%Y-%m}",
            )
            ledger = st.selectbox(
                t("rep_ledger", lang),
                list(rule.all_ledgers),
                format_func=lambda n: ledger_title(n, lang),
            )
            note = st.text_input(t("rep_note", lang), max_chars=200)
            if st.form_submit_button(t("rep_nil_submit", lang)):
                key = reporting.declare_nil(
                    data.engine(), scope, county, month, ledger, viewer.identity(), note
                )
                if key == "rep_nil_saved":
                    data.invalidate()
                st.session_state["rep_nil_result"] = key
                st.rerun()
        if "rep_nil_result" in st.session_state:
            key = st.session_state.pop("rep_nil_result")
            (st.success if key == "rep_nil_saved" else st.error)(t(key, lang))

nils = query(reporting.nil_returns, scope, flt)
if not nils.empty:
    st.header(t("rep_nil_list", lang))
    st.dataframe(view.nil_table(nils, names, lang), hide_index=True, width="stretch")
