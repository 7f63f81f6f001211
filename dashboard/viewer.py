"""Who is looking, and which area they may see.

With `[auth]` in .streamlit/secrets.toml, viewers sign in with OIDC (st.login) and the users
table gives their role and jurisdiction; an identity without an active row sees only a
"no access" page (deny by default). An identity is the e-mail address only when the provider
says it is verified (`email_verified`), else the subject (`sub`): an unverified address that
happens to match an administrator's gets nothing. A sign-in is honoured for a working day after
the provider issued it (`session_hours`), and never once the person signed out after it was
issued (sign-outs are recorded in the audit log), even though Streamlit's own cookie lasts
30 days.

Without `[auth]` the dashboard runs in open demo mode (whole province, with a banner, no
imports or user changes unless `open_writes` is set for a local demo), unless
DASHBOARD_REQUIRE_LOGIN or `[dashboard] require_login` says yes, in which case it refuses to
show anything (see data_access.settings for the accepted spellings; anything else stops it).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import streamlit as st

from dashboard.data import engine
from dashboard.i18n import t
from data_access import settings, users
from data_access.scope import PROVINCE, Scope

DEMO_IDENTITY = "演示模式"
log = logging.getLogger("dashboard")


@dataclass(frozen=True)
class Viewer:
    identity: str
    role: str
    scope: Scope
    open_mode: bool = False
    writes: bool = True  # an open demo writes only when open_writes is set

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_import(self) -> bool:
        return self.writes and self.role in ("admin", "prefecture_staff", "county_staff")

    @property
    def may_change_users(self) -> bool:
        return self.writes and self.is_admin


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets file at all is a normal, open-mode setup
        return {}


def _section() -> dict:
    return _secrets().get("dashboard", {})


def auth_configured() -> bool:
    return bool(_secrets().get("auth"))


def login_required() -> bool:
    """Raises settings.SettingError on a value it cannot read (the app then refuses to start)."""
    return settings.require_login(section=_section())


def identity_of(user) -> str | None:
    """The e-mail address if the provider verified it, else the subject."""
    email = user.get("email")
    verified = user.get("email_verified")
    if email and (verified is True or str(verified).strip().lower() == "true"):
        return email
    return user.get("sub")


def _issued_at(user) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(float(user.get("iat")), dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def stale_reason(user, identity: str) -> str | None:
    """Why this sign-in is no longer honoured ('expired' or 'signed_out'), or None."""
    issued = _issued_at(user)
    hours = settings.session_hours(section=_section())
    if issued is None or dt.datetime.now(dt.UTC) - issued > dt.timedelta(hours=hours):
        return "expired"
    last = users.last_sign_out(engine(), identity)
    if last is not None and issued < last.replace(microsecond=0):
        return "signed_out"
    return None


def sign_out(identity: str) -> None:
    """on_click of the sign-out button: recorded first (a token issued before it is refused from
    then on), then Streamlit's own sign-out."""
    try:
        users.audit(engine(), identity, "sign_out")
    except Exception:  # the cookie is still cleared in this browser
        log.exception("could not record the sign-out of %s", identity)
    st.logout()


def _sign_in_page(lang: str, notice: str | None = None) -> None:
    st.title(t("app_title", lang))
    if notice:
        st.warning(t(notice, lang), icon=":material/schedule:")
    st.info(t("please_sign_in", lang))
    st.button(t("sign_in", lang), on_click=st.login, type="primary")
    st.stop()


def resolve(lang: str) -> Viewer:
    """The current viewer; draws the sign-in, no-access or refusal page and stops if there is
    no viewer to show data to."""
    if not auth_configured():
        if login_required():
            st.error(t("login_not_configured", lang))
            st.stop()
        writes = settings.open_writes(section=_section())
        viewer = Viewer(DEMO_IDENTITY, "admin", PROVINCE, open_mode=True, writes=writes)
    else:
        if not st.user.is_logged_in:
            _sign_in_page(lang)
        identity = users.normalise_identity(identity_of(st.user) or "")
        stale = stale_reason(st.user, identity)
        if stale:
            _sign_in_page(lang, "session_" + stale)
        account = users.get_account(engine(), identity)
        if account is None or not account.active:
            if st.session_state.get("_denied") != identity:
                users.audit(engine(), identity, "denied")
                st.session_state["_denied"] = identity
            st.title(t("no_access_title", lang))
            st.error(t("no_access", lang, identity=identity))
            st.button(t("sign_out", lang), on_click=sign_out, args=(identity,))
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
