"""预算执行: which measure, which line, which prefecture and county is behind time progress.

Drill-down: measure → budget line (selectors on the page, in the URL) → prefecture → county
(the sidebar's area filters, also in the URL; the ranking's pickers set them)."""

from dataclasses import replace
from functools import partial

import streamlit as st

from dashboard import budget_view as view
from dashboard import notes_view, tables, viewer
from dashboard.data import query
from dashboard.exports import file_name, to_csv_bytes, to_xlsx_bytes
from dashboard.filters import ALL, area_name
from dashboard.fmt import pct, pp, wan_text
from dashboard.i18n import period_label, t
from dashboard.layout import chart, download_button, header, money_columns
from dashboard.rules import CONTACT_RULE, as_of, execution_rate, shortfall_fen, time_progress
from data_access import budget, queries

flt, lang = header("page_budget")
scope = viewer.scope()
progress = time_progress(flt)
facts = query(queries.facts)

measures = query(queries.budget_by_measure, scope, flt)
all_lines = query(budget.by_line, scope, flt)
facilities = query(queries.facility_progress, scope, flt)
compliance = query(queries.compliance_summary, scope, flt, CONTACT_RULE.requirement(as_of(flt)))
indicators = tables.indicators_with_derived(
    query(queries.indicator_progress, scope, flt), facilities, compliance
)


# --- drill-down state: callbacks run before the script, so the sidebar and URL follow ------


def _set(**values) -> None:
    for key, value in values.items():
        st.session_state[key] = value


def _pick(source: str, target: str, **also) -> None:
    if st.session_state.get(source):
        _set(**{target: st.session_state[source]}, **also)


GO_BACK = {
    "measures": {"measure": view.ALL_MEASURES, "line": view.ALL_LINES},
    "measure": {"line": view.ALL_LINES},
    "province": {"prefecture": ALL, "county": ALL},
    "prefecture": {"county": ALL},
}

measure_names = {
    int(m.measure_id): view.measure_label(m.measure_id, m.name_zh if lang == "zh" else m.name_en)
    for m in measures.itertuples(index=False)
}
left, right = st.columns(2)
measure_id = left.selectbox(
    t("measure", lang),
    [view.ALL_MEASURES, *measure_names],
    key="measure",
    format_func=lambda m: measure_names.get(m, t("bud_all_measures", lang)),
    bind="query-params",
    on_change=_set,
    kwargs={"line": view.ALL_LINES},
)
measure_id = measure_id or None
own_lines = all_lines[all_lines["measure_id"] == measure_id] if measure_id else all_lines
line_names = {
    r.code: view.line_label(r.code, r.name_zh if lang == "zh" else r.name_en)
    for r in own_lines.itertuples(index=False)
}
line_code = None
if measure_id and line_names:
    line_code = right.selectbox(
        t("bud_line", lang),
        [view.ALL_LINES, *line_names],
        key="line",
        format_func=lambda c: line_names.get(c, t("bud_all_lines", lang)),
        bind="query-params",
    )
    line_code = None if line_code == view.ALL_LINES else line_code
    if line_code:
        own_lines = own_lines[own_lines["code"] == line_code]
has_money = not measure_id or bool(line_names)

# Breadcrumbs: where you are; an earlier step is a button that goes back to it.
area_parts = area_name(flt, lang).split(" · ")
crumbs = st.container(horizontal=True, vertical_alignment="center", gap="small")
for title, trail in (
    (
        t("bud_where_measure", lang),
        view.measure_trail(
            measure_names.get(measure_id), line_names.get(line_code) if line_code else None, lang
        ),
    ),
    (
        t("bud_where_area", lang),
        view.area_trail(
            area_parts[0] if flt.prefecture else None,
            area_parts[1] if flt.county else None,
            lang,
        ),
    ),
):
    if title == t("bud_where_area", lang):
        crumbs.markdown("｜")
    crumbs.markdown(f"**{title}**")
    for i, crumb in enumerate(trail):
        if i:
            crumbs.markdown("›")
        if i == len(trail) - 1:
            crumbs.markdown(crumb.markdown)
        else:
            crumbs.button(
                crumb.label,
                key=f"crumb_{crumb.level}",
                type="tertiary",
                on_click=_set,
                kwargs=GO_BACK[crumb.level],
            )

# --- the selection's money against time progress ------------------------------------------

if line_code:
    chosen = own_lines.iloc[0]
    planned, disbursed = int(chosen["planned_fen"]), int(chosen["disbursed_fen"])
elif measure_id:
    chosen = measures.set_index("measure_id").loc[measure_id]
    planned, disbursed = int(chosen["planned_fen"]), int(chosen["disbursed_fen"])
else:
    planned, disbursed = int(measures["planned_fen"].sum()), int(measures["disbursed_fen"].sum())
rate = execution_rate(planned, disbursed) if has_money else None
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(t("planned", lang), wan_text(planned) if has_money else "—")
c2.metric(t("disbursed", lang), wan_text(disbursed) if has_money else "—")
c3.metric(
    t("execution_rate", lang),
    pct(rate),
    delta=None if rate is None else f"{pp(rate - progress)} pp",
    help=t("bud_rate_help", lang),
)
c4.metric(t("time_progress", lang), pct(progress))
short = shortfall_fen(planned, disbursed, progress) if has_money else None
c5.metric(t("bud_shortfall", lang), wan_text(short), help=t("bud_shortfall_help", lang))
notes_view.on_page(flt, lang, ("execution_rate", "disbursed"))  # 解读 on these figures

if has_money:
    behind = view.behind_summary(own_lines, progress, lang)
    if behind:
        st.warning(behind, icon=":material/schedule:")
    else:
        st.success(t("bud_none_behind", lang), icon=":material/check_circle:")
else:
    st.info(t("bud_measure_no_money", lang), icon=":material/info:")

# --- tables: the ten measures, the lines, the indicators -----------------------------------

MONEY_COLUMNS = money_columns(lang)
shown_indicators = indicators[indicators["measure_id"] == measure_id] if measure_id else indicators
# The downloads' tables in full yuan, title → a function making the table: made when a
# download is clicked, not on every rerun.
export_sheets = {}

if not measure_id:
    st.header(t("measures_table", lang))
    st.dataframe(
        view.measures_table(measures, indicators, progress, lang),
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config=MONEY_COLUMNS,
    )
    export_sheets[t("measures_table", lang)] = partial(
        view.measures_table, measures, indicators, progress, lang, unit="yuan"
    )

if not measure_id:
    money_side, indicator_box = st.container(), st.expander(t("bud_all_indicators", lang))
elif has_money:
    money_side, indicator_box = st.columns([3, 2])
else:
    money_side, indicator_box = None, st.container()
if money_side is not None:
    money_side.header(t("bud_lines_title", lang))
    money_side.dataframe(
        view.lines_table(own_lines, progress, lang, with_measure=not measure_id),
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config=MONEY_COLUMNS,
    )
    export_sheets[t("bud_lines_title", lang)] = partial(
        view.lines_table, own_lines, progress, lang, unit="yuan"
    )
indicator_box.header(t("bud_indicators_title", lang))
indicator_box.dataframe(
    view.indicators_table(shown_indicators, lang, with_measure=not measure_id),
    hide_index=True,
    width="stretch",
    placeholder="—",
    column_config=MONEY_COLUMNS,
)
export_sheets[t("bud_indicators_title", lang)] = partial(
    view.indicators_table, shown_indicators, lang, unit="yuan"
)

# --- monthly cumulative execution against time progress, with the year before --------------

if has_money:
    monthly = query(budget.monthly, scope, flt, measure_id, line_code)
    previous = query(budget.previous_year, scope, flt, measure_id, line_code)
    chart(view.trend(monthly, planned, flt.year, flt.end.month, lang, previous), lang)

# --- where: prefectures ranked, or the counties of the prefecture ---------------------------

if has_money:
    if flt.prefecture:
        level, pick_key, target = "county", "bud_pick_county", "county"
        areas = query(budget.by_county, scope, replace(flt, county=None), measure_id, line_code)
        prefecture_name = area_parts[0]
        chart_title = t("bud_counties_title", lang, prefecture=prefecture_name)
        table_title = t("bud_counties_table", lang, prefecture=prefecture_name)
        code_column = "county_code"
        reset = {}
    else:
        level, pick_key, target = "prefecture", "bud_pick_prefecture", "prefecture"
        areas = query(budget.by_prefecture, scope, flt, measure_id, line_code)
        chart_title, table_title = t("bud_ranking_title", lang), t("bud_ranking_table", lang)
        code_column = "prefecture_code"
        reset = {"county": ALL}
    if not int(areas["planned_fen"].sum()):
        st.info(t("bud_no_area_money", lang))
    else:
        st.header(table_title)
        chart_side, table_side = st.columns([2, 3])
        with chart_side:
            chart(view.ranking_chart(areas, progress, lang, chart_title), lang)
        best_worst = view.best_and_worst(areas, lang)
        if best_worst:
            table_side.caption(best_worst)
        table_side.dataframe(
            view.areas_table(areas, progress, lang, level),
            hide_index=True,
            width="stretch",
            height=view.table_height(len(areas)),
            placeholder="—",
            column_config=MONEY_COLUMNS,
        )
        export_sheets[table_title] = partial(
            view.areas_table, areas, progress, lang, level, unit="yuan"
        )
        order = view.ranked(areas)
        names = dict(zip(order[code_column], order["name"], strict=True))
        if len(names) > 1:
            table_side.selectbox(
                t(pick_key, lang),
                list(names),
                index=None,
                key=pick_key,
                format_func=names.get,
                placeholder=t(f"{pick_key}_hint", lang),
                on_change=_pick,
                args=(pick_key, target),
                kwargs=reset,
            )

# --- downloads: full yuan, the filters in the file and its name -----------------------------

meta = view.export_meta(
    {
        "year": flt.year,
        "period": period_label(flt.period, lang),
        "bud_area": area_name(flt, lang),
        "measure": measure_names.get(measure_id, t("bud_all_measures", lang)),
        "bud_line": line_names.get(line_code, t("bud_all_lines", lang)),
        "bud_counted_to": as_of(flt).isoformat(),
        "time_progress": pct(progress),
        "bud_data_as_of": facts.get("data_as_of", "—"),
    },
    lang,
    demo=facts.get("contents") == "demo",
)
name_parts = [flt.year, period_label(flt.period, lang), area_name(flt, lang), line_code or ""]
if measure_id and not line_code:
    name_parts.append(measure_names[measure_id])
if has_money:
    st.caption(t("bud_rounding_note", lang))
downloads = st.container(horizontal=True)
xlsx_name = file_name(t("bud_file", lang), name_parts, "xlsx")


def workbook() -> bytes:
    sheets = {title: make() for title, make in export_sheets.items()}
    return to_xlsx_bytes(sheets, meta, meta_sheet=t("bud_sheet_filters", lang))


def csv_file(make) -> bytes:
    return to_csv_bytes(make(), meta)


download_button(
    downloads,
    t("bud_download_xlsx", lang),
    workbook,
    file_name=xlsx_name,
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    key="bud_xlsx",
)
for i, (title, make) in enumerate(export_sheets.items()):
    csv_name = file_name(t("bud_file", lang), [title, *name_parts], "csv")
    download_button(
        downloads,
        f"{title} · CSV",
        partial(csv_file, make),
        file_name=csv_name,
        mime="text/csv",
        key=f"bud_csv_{i}",
        help=t("bud_download_csv", lang),
    )
