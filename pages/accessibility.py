"""无障碍说明: what the dashboard supports for people with disabilities, what is known not to
work yet, and how to report a barrier. Linked from the navigation of every page."""

import pandas as pd
import streamlit as st

from dashboard import filters
from dashboard.i18n import t

lang = filters.lang()
st.title(t("page_a11y", lang))
st.markdown(t("a11y_intro", lang))

st.header(t("a11y_supported", lang))
features = ("keyboard", "reader", "charts", "vision")
st.table(
    pd.DataFrame(
        {
            t("a11y_feature", lang): [t(f"a11y_f_{f}", lang) for f in features],
            t("a11y_how", lang): [t(f"a11y_f_{f}_how", lang) for f in features],
        }
    ),
    hide_index=True,
)

st.header(t("a11y_known", lang))
st.markdown(t("a11y_known_text", lang))

st.header(t("a11y_report", lang))
st.markdown(t("a11y_report_text", lang))
