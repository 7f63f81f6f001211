"""季通报: the quarter's story for the quarterly briefing — on screen, on a projector
(presentation mode) and as PPTX, Word (公文), XLSX and text files, all made from one numbers object
(dashboard.briefing), so the slide, the sheet and the sentence say the same thing.

The quarter is chosen on this page (default: the latest quarter that has ended and that the
data reach); year and area come from the sidebar, clamped to the viewer's scope."""

import datetime as dt
from functools import partial

import streamlit as st

from dashboard import briefing as br
from dashboard import briefing_files, notes_view, viewer
from dashboard import filters as sidebar
from dashboard.data import query
from dashboard.fmt import pct
from dashboard.i18n import period_label, t
from dashboard.layout import chart as chart_with_text
from dashboard.layout import download_button, header
from data_access import queries

PAGES = ("cover", *br.SECTIONS)  # what presentation mode steps through
FILES = briefing_files.FORMATS

scope = viewer.scope()
lang = sidebar.lang()
asked = st.session_state["filters"]
facts = query(queries.facts)
presenting = bool(st.session_state.get("br_presenting"))


# --- files: made when their button is clicked (PPTX 0.3–0.6 s, XLSX 0.1–0.2 s on the demo
# province briefing; not on every rerun of the page), audited when downloaded; the same files
# as `python -m dashboard briefing` writes (dashboard.briefing_files) -----------------------


def _present(on: bool) -> None:
    st.session_state["br_presenting"] = on
    st.session_state["br_page"] = 0


def _step(by: int) -> None:
    page = st.session_state.get("br_page", 0) + by
    st.session_state["br_page"] = max(0, min(len(PAGES) - 1, page))


# --- the quarter, the heading and the numbers ------------------------------------------------

head = st.container(key="br_head")
controls = st.container(key="br_controls", horizontal=True, vertical_alignment="bottom")
quarter = controls.segmented_control(
    t("br_quarter", lang),
    br.QUARTERS,
    default=br.latest_quarter(asked.year, dt.date.today(), br.parse_date(facts.get("data_as_of"))),
    required=True,
    key="quarter",
    format_func=lambda q: period_label(q, lang),
    bind="query-params",
    persist_state="session",
)
flt = br.briefing_filters(scope, asked, quarter)
# The heading (and its as-of date) names the briefing's quarter, not the sidebar's period.
st.session_state["filters"] = flt
with head:
    header("page_briefing")
    st.caption(t("br_quarter_caption", lang))

b = br.collect(query, scope, flt, lang, sidebar.area_name(flt, lang), facts)
paragraphs = br.summary(b)

# --- downloads and presentation mode: one click each from opening the page -------------------

for kind in ("pptx", "docx", "xlsx", "txt"):
    download_button(  # the audit log names the file: table, area, quarter
        controls,
        t(FILES[kind].label, lang),
        partial(briefing_files.make, b, kind),
        file_name=b.file_name(kind),
        mime=FILES[kind].mime,
        key=f"br_download_{kind}",
        type="primary" if kind == "pptx" else "secondary",
        icon=":material/download:",
    )
controls.button(
    t("br_present", lang),
    key="br_present",
    icon=":material/co_present:",
    help=t("br_present_help", lang),
    on_click=_present,
    args=(True,),
)


# --- the sections ------------------------------------------------------------------------------


def table(frame, height: int | None = None) -> None:
    if frame.empty:
        st.caption(t("no_data", lang))
    elif presenting:
        st.table(br.markdown_cells(frame), hide_index=True)
    else:
        st.dataframe(frame, hide_index=True, width="stretch", height=height or "auto")


def chart(fig) -> None:
    if presenting:
        chart_with_text(br.for_projector(fig), lang, theme=None)
    else:
        chart_with_text(fig, lang)


def paragraph(section: str) -> None:
    box = st.container(border=True)
    box.markdown(br.markdown_safe(paragraphs[section]))


def show_cover() -> None:
    st.title(b.title())
    st.header(f"{b.area_name} · {b.year} {b.quarter_name}")
    st.table(br.markdown_cells(br.meta_table(b)), hide_index=True)


def show_headline() -> None:
    cards = br.headline(b)
    for row in (cards[:4], cards[4:]):
        for col, (label, value, delta) in zip(st.columns(4), row, strict=False):
            col.metric(label, value, delta=delta, border=presenting)


def show_budget() -> None:
    left, right = st.columns([2, 3]) if presenting else (st.container(), st.container())
    with left:
        if b.now.with_money:
            chart(br.measures_figure(b))
    with right:
        table(br.measures_table(b))


def show_facilities() -> None:
    left, right = st.columns([2, 3]) if presenting else (st.container(), st.container())
    with left:
        chart(br.facilities_figure(b))
    with right:
        table(br.facility_overview_table(b) if presenting else br.facilities_table(b))


def show_compliance() -> None:
    c = b.now.contacts
    cols = st.columns(4)
    cols[0].metric(t("compliance_rate", lang), pct(c.rate), border=presenting)
    cols[1].metric(t("ct_pairings", lang), f"{c.pairings:,}", border=presenting)
    cols[2].metric(t("ct_behind", lang), f"{c.behind:,}", border=presenting)
    cols[3].metric(t("ct_at_risk", lang), f"{c.at_risk:,}", border=presenting)
    left, right = st.columns([3, 2]) if presenting else (st.container(), st.container())
    if b.ranked_level:
        with left:
            chart(br.compliance_figure(b))
    with right:
        st.markdown(f"**{t('br_levels_title', lang)}**")
        levels = br.levels_table(b)
        if presenting:  # the columns a projector has room for
            keys = ("ct_level", "ct_pairings", "compliance_rate", "ct_behind", "ct_at_risk")
            levels = levels[[t(k, lang) for k in keys]]
        table(levels)


def show_rankings() -> None:
    if not b.ranked_level:
        return  # the paragraph says a single county has nothing to rank
    left, right = st.columns([3, 2])
    with left:
        chart(br.areas_figure(b))
    with right:
        table(br.honour_table(b))
    if not presenting:
        st.markdown(f"**{t('br_ranking_table', lang, level=b.level_name())}**")
        table(br.ranking_table(b), height=38 + 35 * min(len(b.now.areas), 20))


def show_changes() -> None:
    if b.before is None:
        return  # the paragraph says there is no previous quarter in the year
    table(br.changes_table(b))


def show_quality() -> None:
    table(br.quality_table(b))


SHOW = {
    "cover": show_cover,
    "headline": show_headline,
    "budget": show_budget,
    "facilities": show_facilities,
    "compliance": show_compliance,
    "rankings": show_rankings,
    "changes": show_changes,
    "quality": show_quality,
}


def section(name: str) -> None:
    if name != "cover":
        if presenting:  # each section is a screen of its own: its heading is the screen's first
            st.title(br.section_title(name, lang))
        else:
            st.header(br.section_title(name, lang), divider="gray")
        paragraph(name)
        notes_view.beside(b, name)  # 解读 on the section's figures
    SHOW[name]()


if presenting:
    st.html(br.PRESENTATION_CSS)
    page = st.session_state.get("br_page", 0)
    nav = st.container(horizontal=True, vertical_alignment="center", key="br_nav")
    nav.button(
        t("br_prev", lang),
        key="br_prev",
        icon=":material/chevron_left:",
        disabled=page == 0,
        on_click=_step,
        args=(-1,),
        shortcut="PageUp",
    )
    nav.markdown(t("br_page_n", lang, n=page + 1, total=len(PAGES)))
    nav.button(
        t("br_next", lang),
        key="br_next",
        icon=":material/chevron_right:",
        disabled=page == len(PAGES) - 1,
        on_click=_step,
        args=(1,),
        shortcut="PageDown",
    )
    nav.button(
        t("br_exit", lang),
        key="br_exit",
        icon=":material/close:",
        on_click=_present,
        args=(False,),
        shortcut="Esc",
    )
    section(PAGES[page])
    st.caption(
        f"{b.area_name} · {b.year} {b.quarter_name} · "
        + t("as_of", lang, date=b.now.as_of.isoformat())
        + (" · " + t("br_demo_short", lang) if b.demo else "")
    )
else:
    for name in br.SECTIONS:
        section(name)
    notes_view.section(b, flt)
    with st.expander(t("br_full_text", lang)):
        st.code(br.summary_text(b).replace("\r\n", "\n"), language=None, wrap_lines=True)
