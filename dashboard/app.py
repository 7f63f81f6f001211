"""Entrypoint: page setup, the shared sidebar, and routing over the pages in pages/."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from dashboard import a11y, filters, viewer
from dashboard.data import engine
from dashboard.i18n import t
from data_access.db import database_url, describe, fault_message, is_empty, is_fault
from data_access.settings import SettingError

PAGES = Path(__file__).resolve().parent.parent / "pages"
log = logging.getLogger("dashboard")

st.set_page_config(page_title=t("app_short"), page_icon="🤝", layout="wide")
st.html(a11y.PAGE_CSS)


def _page(file: str, key: str, icon: str, default: bool = False) -> st.Page:
    return st.Page(
        PAGES / file,
        title=t(key, filters.lang()),
        icon=icon,
        default=default,
        url_path=file.removesuffix(".py"),
    )


def _account_box(who: viewer.Viewer) -> None:
    lang = filters.lang()
    if who.open_mode:
        st.sidebar.warning(t("open_mode", lang), icon=":material/lock_open:")
        return
    st.sidebar.caption(t("signed_in_as", lang, identity=who.identity))
    st.sidebar.button(t("sign_out", lang), on_click=viewer.sign_out, args=(who.identity,))


def _database_down(exc: BaseException, lang: str) -> None:
    """The database failed (down at start, lost mid-run, read-only, its file gone): one
    sentence in the viewer's language, no address, no traceback; the details go to the log."""
    log.warning("database %s unavailable: %r", describe(database_url()), exc.__cause__ or exc)
    st.error(f"**{t('db_unavailable', lang)}**：{fault_message(exc)}")


def main() -> None:
    lang = filters.lang()
    try:
        db = engine()
        if is_empty(db):
            st.warning(t("db_empty", lang))
            return
        try:
            who = viewer.resolve(lang)
        except SettingError as exc:  # fail closed: a setting that cannot be read shows nothing
            st.error(f"**{t('setting_error', lang)}**：{exc}")
            return
        pages = [
            _page("overview.py", "page_overview", ":material/dashboard:", default=True),
            _page("budget.py", "page_budget", ":material/account_balance:"),
            _page("maps.py", "page_maps", ":material/map:"),
            _page("contacts.py", "page_contacts", ":material/handshake:"),
            _page("data.py", "page_data", ":material/upload_file:"),
            _page("reporting.py", "page_reporting", ":material/event_available:"),
            _page("quality.py", "page_quality", ":material/rule:"),
            _page("briefing.py", "page_briefing", ":material/co_present:"),
            _page("accessibility.py", "page_a11y", ":material/accessibility_new:"),
        ]
        if who.is_admin:
            pages.append(_page("admin.py", "page_admin", ":material/admin_panel_settings:"))
        page = st.navigation(pages)
        st.session_state["filters"] = filters.sidebar(who.scope)
        _account_box(who)
        st.sidebar.html(a11y.LANG_SCRIPT, unsafe_allow_javascript=True)
    except Exception as exc:
        if not is_fault(exc):
            raise
        _database_down(exc, lang)
        return
    try:
        page.run()
    except Exception as exc:
        if is_fault(exc):
            _database_down(exc, filters.lang())
        else:
            log.exception("page %s failed", page.title)
            st.error(t("error_page", filters.lang()))


main()
