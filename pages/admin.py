"""用户与审计: provincial administrators manage who sees what, and read the audit log."""

import streamlit as st

from dashboard import viewer
from dashboard.data import engine
from dashboard.i18n import t
from dashboard.layout import header
from data_access import users
from data_access.reference import COUNTIES, PREFECTURES

flt, lang = header("page_admin")
if not viewer.current().is_admin:  # the navigation hides the page; a direct URL lands here
    st.error(t("admin_only", lang))
    st.stop()

areas = (
    [""]
    + [name for name, _short in PREFECTURES.values()]
    + [f"{code} {name}" for code, _p, name, _s in COUNTIES]
)
if not viewer.current().may_change_users:  # an open demo without open_writes
    st.info(t("open_no_writes", lang), icon=":material/lock:")
    saved = disabled = False
else:
    with st.form("user_form", clear_on_submit=False):
        identity = st.text_input(t("identity", lang))
        name = st.text_input(t("display_name", lang))
        role = st.selectbox(
            t("role", lang), list(users.ROLE_NAMES), format_func=users.ROLE_NAMES.get
        )
        area = st.selectbox(t("jurisdiction", lang), areas)
        save, disable = st.columns(2)
        saved = save.form_submit_button(t("save_user", lang), type="primary")
        disabled = disable.form_submit_button(t("deactivate_user", lang))
if saved:
    try:
        account = users.save_account(
            engine(), identity, role, area.split(" ")[0] or None, name or None, by=viewer.identity()
        )
        st.success(t("user_saved", lang, identity=account.identity))
    except users.UserError as exc:
        st.error(str(exc))
if disabled and users.deactivate(engine(), identity, by=viewer.identity()):
    st.success(t("user_deactivated", lang, identity=identity))

st.header(t("users", lang))
st.dataframe(users.list_accounts(engine()), hide_index=True, width="stretch")

st.header(t("audit_log", lang))
action = st.selectbox(t("action", lang), [""] + list(users.AUDIT_ACTIONS))
st.dataframe(users.audit_log(engine(), action=action or None), hide_index=True, width="stretch")
