"""联系帮扶 (measure 9): is every pairing contacted and visited as the rule asks, who needs a
reminder now, and is everyone eligible paired (应结尽结)."""

from functools import partial

import streamlit as st

from dashboard import contacts_view as view
from dashboard import exports, notes_view, viewer
from dashboard.data import query
from dashboard.filters import area_name
from dashboard.fmt import pct
from dashboard.i18n import period_label, t
from dashboard.layout import chart, download_button, header
from dashboard.rules import CONTACT_RULE, RULE_PROBLEMS, as_of
from data_access import contacts
from data_access.models import CADRE_LEVELS

flt, lang = header("page_contacts")
scope = viewer.scope()
day = as_of(flt)
std = CONTACT_RULE.standard(day)
rule = CONTACT_RULE

for problem in RULE_PROBLEMS:
    st.warning(t("ct_rule_problem", lang, problem=problem), icon=":material/rule:")
st.caption(
    t(
        "ct_rule",
        lang,
        remote=rule.remote_per_year,
        visits=rule.visits_per_year,
        day=day.isoformat(),
        due_remote=std.due.remote,
        due_visits=std.due.visits,
    )
    + (t("ct_visit_counts", lang) if rule.visit_counts_as_contact else "")
)
meta = {
    t("year", lang): flt.year,
    t("period", lang): period_label(flt.period, lang),
    t("ct_area", lang): area_name(flt, lang),
    t("ct_counted_to", lang): day.isoformat(),
}
file_parts = (flt.year, period_label(flt.period, lang), area_name(flt, lang))

counts = query(contacts.compliance_counts, scope, flt, std)
areas = query(contacts.areas, scope, flt)
total = view.totals(counts)
share = view.rate(total["on_track"], total["pairings"])

c = st.columns(4)
c[0].metric(t("compliance_rate", lang), pct(share), help=t("compliance_help", lang))
c[1].metric(t("ct_pairings", lang), f"{total['pairings']:,}")
c[2].metric(t("ct_compliant", lang), f"{total['compliant']:,}", help=t("ct_compliant_help", lang))
c[3].metric(t("ct_behind", lang), f"{total['behind']:,}", help=t("ct_behind_help", lang))
c = st.columns(4)
c[0].metric(
    t("ct_at_risk", lang),
    f"{total['at_risk']:,}",
    help=t(
        "ct_risk_rule",
        lang,
        remote=rule.remote_per_year,
        visits=rule.visits_per_year,
        days=rule.quiet_days,
    ),
)
c[1].metric(
    t("ct_never_contacted", lang), f"{total['never_contacted']:,}", help=t("ct_never_help", lang)
)
c[2].metric(
    t("ct_never_visited", lang), f"{total['never_visited']:,}", help=t("ct_never_help", lang)
)
notes_view.on_page(flt, lang, ("compliance_rate", "ct_behind", "ct_at_risk"))  # 解读

child = "county" if flt.prefecture or scope.prefecture else "prefecture"
rate_column = st.column_config.NumberColumn(format="percent")


def compliance_tab() -> None:
    rolled = view.rollup(counts, child, areas)
    if len(rolled) > 1:
        ranking = t("ct_ranking_counties" if child == "county" else "ct_ranking_prefectures", lang)
        st.header(ranking)
        chart(view.ranking_figure(rolled, lang, share), lang, ranking)
    st.header(t("ct_by_area", lang))
    by_area = view.compliance_table(rolled, child, lang)
    st.dataframe(
        by_area,
        hide_index=True,
        width="stretch",
        column_config={t("compliance_rate", lang): rate_column},
    )
    if child == "prefecture":
        st.caption(t("ct_by_area", lang) + " · " + t("county", lang))
        st.dataframe(
            view.compliance_table(view.rollup(counts, "county", areas), "county", lang),
            hide_index=True,
            width="stretch",
            column_config={t("compliance_rate", lang): rate_column},
        )
    st.header(t("ct_by_level", lang))
    st.dataframe(
        view.compliance_table(view.rollup(counts, "level"), "level", lang),
        hide_index=True,
        width="stretch",
        column_config={t("compliance_rate", lang): rate_column},
    )


def list_tab() -> None:
    f1, f2 = st.columns(2)
    level = f1.selectbox(
        t("ct_level", lang),
        [None, *CADRE_LEVELS],
        key="ct_level",
        persist_state="page",
        format_func=lambda v: t("ct_all", lang) if v is None else view.level_name(v, lang),
    )
    missing = f2.selectbox(
        t("ct_missing_filter", lang),
        [None, *contacts.MISSING],
        key="ct_missing",
        persist_state="page",
        format_func=lambda v: t("ct_all", lang) if v is None else t(f"ct_missing_opt_{v}", lang),
    )
    behind = query(contacts.behind_or_at_risk, scope, flt, std, level, missing)
    if behind.empty:
        st.success(t("ct_list_empty", lang), icon=":material/check_circle:")
    else:
        listed = int(behind["total"].iloc[0])
        st.markdown(t("ct_list_total", lang, total=listed))
        if listed > len(behind):
            st.caption(t("ct_list_capped", lang, shown=len(behind)))
        table = view.behind_table(behind, lang, rule.quiet_days)
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(t("ct_names_masked", lang))
        name = exports.file_name(t("ct_file_behind", lang), file_parts, "csv")
        download_button(
            st,
            t("ct_download_csv", lang),
            partial(exports.to_csv_bytes, table, meta),  # made when clicked
            file_name=name,
            mime="text/csv",
            key="ct_download_behind",
            icon=":material/download:",
        )


def cadre_tab() -> None:
    # Every cadre with a pairing behind or at risk (the list tab's filters do not apply here).
    behind = query(contacts.behind_or_at_risk, scope, flt, std, None, None)
    options = view.cadre_options(behind, lang)
    if not options:
        st.info(t("ct_no_cadres", lang))
    else:
        cadre_id = st.selectbox(
            t("ct_choose_cadre", lang),
            list(options),
            key="ct_cadre",
            persist_state="page",
            format_func=lambda i: options.get(i, str(i)),
        )
        st.markdown(f"**{t('ct_cadre_pairings', lang)}**")
        st.dataframe(
            view.cadre_pairings_table(
                query(contacts.cadre_pairings, scope, flt, std, cadre_id), lang
            ),
            hide_index=True,
            width="stretch",
        )
        st.markdown(f"**{t('ct_timeline', lang)}**")
        timeline = query(contacts.cadre_timeline, scope, flt, cadre_id)
        if timeline.empty:
            st.info(t("ct_no_contacts", lang))
        else:
            chart(view.timeline_figure(timeline, lang), lang, t("ct_timeline", lang))
            st.dataframe(view.timeline_table(timeline, lang), hide_index=True, width="stretch")


def trend_tab() -> None:
    by_month = query(contacts.contacts_by_month, scope, flt)
    left, right = st.columns([2, 3])
    with left:
        chart(view.channel_mix_figure(by_month, lang), lang)
    with right:
        chart(view.monthly_trend_figure(by_month, lang), lang)


def coverage_tab() -> None:
    st.caption(t("ct_coverage_caption", lang, day=day.isoformat()))
    coverage = query(contacts.pairing_coverage, scope, flt, day)
    sums = coverage[["eligible", "recipients_unpaired", "cadres", "cadres_unpaired"]].sum()
    c = st.columns(4)
    c[0].metric(t("ct_eligible", lang), f"{int(sums['eligible']):,}")
    c[1].metric(t("ct_unpaired_recipients", lang), f"{int(sums['recipients_unpaired']):,}")
    c[2].metric(t("ct_cadres", lang), f"{int(sums['cadres']):,}")
    c[3].metric(t("ct_unpaired_cadres", lang), f"{int(sums['cadres_unpaired']):,}")
    share_column = {t("ct_paired_share", lang): st.column_config.NumberColumn(format="percent")}
    st.dataframe(
        view.coverage_table(view.coverage_rollup(coverage, child), lang),
        hide_index=True,
        width="stretch",
        column_config=share_column,
    )
    for key, fn, builder, file_key in (
        (
            "ct_unpaired_recipients_list",
            contacts.unpaired_recipients,
            view.unpaired_recipients_table,
            "ct_file_unpaired_recipients",
        ),
        (
            "ct_unpaired_cadres_list",
            contacts.unpaired_cadres,
            view.unpaired_cadres_table,
            "ct_file_unpaired_cadres",
        ),
    ):
        rows = query(fn, scope, flt, day)
        st.header(t(key, lang))
        if rows.empty:
            st.caption(t("no_data", lang))
            continue
        if int(rows["total"].iloc[0]) > len(rows):
            st.caption(t("ct_list_more", lang, total=int(rows["total"].iloc[0]), shown=len(rows)))
        table = builder(rows, lang)
        st.dataframe(table, hide_index=True, width="stretch")
        name = exports.file_name(t(file_key, lang), file_parts, "csv")
        download_button(
            st,
            t("ct_download_csv", lang),
            partial(exports.to_csv_bytes, table, meta),  # made when clicked
            file_name=name,
            mime="text/csv",
            key=f"download_{key}",
            icon=":material/download:",
        )


# Only the open tab runs its queries and draws (a tab opened later runs then); the open tab is
# in the URL, so a shared link opens on it. A tab's choices are kept while another is open.
TABS = {
    "ct_tab_compliance": compliance_tab,
    "ct_tab_list": list_tab,
    "ct_tab_cadre": cadre_tab,
    "ct_tab_trend": trend_tab,
    "ct_tab_coverage": coverage_tab,
}
tabs = st.tabs([t(key, lang) for key in TABS], key="ct_tab", on_change="rerun", bind="query-params")
for tab, show in zip(tabs, TABS.values(), strict=True):
    if tab.open:
        with tab:
            show()
