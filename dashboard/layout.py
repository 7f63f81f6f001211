"""Pieces every page shows the same way: heading with area and period, the demo notice, and
downloads that are audited where the file is made."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from dashboard import chart_text, viewer
from dashboard import filters as sidebar
from dashboard.data import engine, query
from dashboard.i18n import period_label, t
from dashboard.rules import as_of
from data_access import queries, users
from data_access.db import fault_message
from data_access.scope import Filters

log = logging.getLogger("dashboard")
# How long the rerun after a download click waits for the file to start being made, then for
# it to be ready, before it carries on without news.
CLICK_WAIT_SECONDS = 2
MAKE_WAIT_SECONDS = 60


def header(title_key: str) -> tuple[Filters, str]:
    """Title, the area and period in words, the demo notice; returns (filters, lang)."""
    lang = sidebar.lang()
    flt: Filters = st.session_state["filters"]
    st.title(t(title_key, lang))
    st.caption(
        f"{sidebar.area_name(flt, lang)} · {flt.year} {period_label(flt.period, lang)} · "
        + t("as_of", lang, date=as_of(flt).isoformat())
    )
    failure = st.session_state.pop("export_failure", None)
    if failure:
        st.error(failure, icon=":material/block:")
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


def chart(fig: go.Figure, lang: str, title: str = "", **options) -> None:
    """A chart with its text alternative: under it one sentence saying what it shows, and its
    data as a table (an expander a keyboard opens, a real table a screen reader reads). Every
    page draws its plotly charts through here. `title` names a chart whose figure has none."""
    name = chart_text.title(fig, title)
    st.plotly_chart(fig, width="stretch", alt=t("chart_alt", lang, title=name), **options)
    st.caption(chart_text.summary(fig, lang, title))
    with st.expander(t("chart_data", lang, title=name)):
        st.table(chart_text.table(fig, lang), hide_index=True)


class ExportNotRecorded(RuntimeError):
    """The audit record of a download could not be written, so the file was not handed over."""


class _Delivery:
    """One download button's file as the server makes it, for the rerun that its click starts."""

    def __init__(self) -> None:
        self.started, self.done = threading.Event(), threading.Event()
        self.failure: str | None = None


def _audited(delivery: _Delivery, file_name: str, make: Callable[[], bytes | str], lang: str):
    """The button's `data`: Streamlit calls it (in a worker thread, outside the page's run) when
    the file is fetched. It makes the file, then records who took it; if the record cannot be
    written it raises, and Streamlit delivers nothing. A client that skips the click's rerun
    still leaves the record, because the record is written where the bytes are made."""
    who, db_engine = viewer.identity(), engine()

    def produce() -> bytes | str:
        delivery.started.set()
        try:
            content = make()
            try:
                users.audit(db_engine, who, "export", file_name)
            except Exception as exc:
                log.warning("export of %s by %s not recorded: %r", file_name, who, exc)
                delivery.failure = t("export_not_recorded", lang, reason=fault_message(exc))
                raise ExportNotRecorded(file_name) from exc
            return content
        finally:
            delivery.done.set()

    return produce


def _after_click(delivery: _Delivery) -> None:
    """on_click: the file is made in parallel with this rerun; wait for it, so that a refusal
    is said on the page in the viewer's language (Streamlit's own message is English)."""
    made = delivery.started.wait(CLICK_WAIT_SECONDS) and delivery.done.wait(MAKE_WAIT_SECONDS)
    if made and delivery.failure:
        st.session_state["export_failure"] = delivery.failure


def download_button(target, label: str, make: Callable[[], bytes | str], *, file_name: str, **kw):
    """A download of program data (a table, a problem list, a briefing): the file is made when
    clicked and handed over only once the audit log says who took it (the name says the table,
    area and period; never personal data)."""
    delivery = _Delivery()
    return target.download_button(
        label,
        data=_audited(delivery, file_name, make, sidebar.lang()),
        file_name=file_name,
        on_click=_after_click,
        args=(delivery,),
        **kw,
    )
