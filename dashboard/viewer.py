"""Who is looking, and which area they may see.

With `[auth]` in .streamlit/secrets.toml, viewers sign in with OIDC (st.login) and the users
table gives their role and jurisdiction; an identity without an active row sees only a
"no access" page (deny by default). Without `[auth]` the dashboard runs in open demo mode
(whole province, with a banner), unless DASHBOARD_REQUIRE_LOGIN=1 or `[dashboard]
require_login = true` in secrets, in which case it refuses to show anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from dashboard.data import engine
from dashboard.i18n import t
from data_access import users
from data_access.scope import PROVINCE, Scope

DEMO_IDENTITY = "演示模式"


@dataclass(frozen=True)
class Viewer:
    identity: str
    role: str
    scope: Scope
    open_mode: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_import(self) -> bool:
        return self.role in ("admin", "prefecture_staff", "county_staff")


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets file at all is a normal, open-mode setup
        return {}


def auth_configured() -> bool:
    return bool(_secrets().get("auth"))


def login_required() -> bool:
    return os.environ.get("DASHBOARD_REQUIRE_LOGIN") == "1" or bool(
        _secrets().get("dashboard", {}).get("require_login")
    )


def _identity() -> str | None:
    user = st.user
    return user.get("email") or user.get("sub")


def resolve(lang: str) -> Viewer:
    """The current viewer; draws the sign-in, no-access or refusal page and stops if there is
    no viewer to show data to."""
    if not auth_configured():
        if login_required():
            st.error(t("login_not_configured", lang))
            st.stop()
        viewer = Viewer(DEMO_IDENTITY, "admin", PROVINCE, open_mode=True)
    else:
        if not st.user.is_logged_in:
            st.title(t("app_title", lang))
            st.info(t("please_sign_in", lang))
            st.button(t("sign_in", lang), on_click=st.login, type="primary")
            st.stop()
        identity = _identity() or ""
        account = users.get_account(engine(), identity)
        if account is None or not account.active:
            if st.session_state.get("_denied") != identity:
                users.audit(engine(), identity, "denied")
                st.session_state["_denied"] = identity
            st.title(t("no_access_title", lang))
            st.error(t("no_access", lang, identity=identity))
            st.button(t("sign_out", lang), on_click=st.logout)
            st.stop()
        viewer = Viewer(account.identity, account.role, account.scope)
        if st.session_state.get("_signed_in") != identity:
            users.audit(engine(), identity, "sign_in")
            st.session_state["_signed_in"] = identity
    st.session_state["viewer"] = viewer
    return viewer


def current() -> Viewer:
    return st.session_state["viewer"]


def scope() -> Scope:
    """The area the current viewer may see; every query takes it."""
    return current().scope


def identity() -> str:
    return current().identity
