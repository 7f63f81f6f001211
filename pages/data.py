"""数据管理: bring a ledger in (checked first, then written all or nothing) and list imports."""

from functools import partial

import streamlit as st

from dashboard import data, import_view, viewer
from dashboard.data import query
from dashboard.i18n import t
from dashboard.layout import download_button, header
from data_access import importer, ledgers, users

flt, lang = header("page_data")
scope = viewer.scope()


identity, may_import = viewer.identity(), viewer.current().may_import

st.header(t("imp_import", lang))
name = st.selectbox(
    t("imp_ledger", lang),
    list(ledgers.LEDGERS),
    format_func=lambda n: import_view.ledger_title(n, lang),
    key="imp_ledger",
)
ledger = ledgers.LEDGERS[name]
st.caption(ledger.description)
st.download_button(
    t("imp_template", lang),
    partial(ledgers.template, name),  # each file is made when its button is clicked
    file_name=import_view.template_file_name(ledger),
    mime=import_view.XLSX_MIME,
    icon=":material/download:",
    key="imp_template",
)
with st.expander(t("imp_columns", lang)):
    st.dataframe(import_view.columns_frame(ledger, lang), hide_index=True, width="stretch")

if viewer.current().open_mode and not viewer.current().writes:
    st.info(t("open_no_writes", lang), icon=":material/lock:")
elif not may_import:
    st.info(t("imp_no_permission", lang), icon=":material/lock:")
else:
    upload = st.file_uploader(
        t("imp_file", lang),
        type=["xlsx", "csv"],
        key="imp_file",
        max_upload_size=importer.MAX_BYTES // 2**20,
    )
    year = None
    if ledger.dated and st.checkbox(
        t("imp_year_limit", lang, year=flt.year), value=True, key="imp_year_limit"
    ):
        year = flt.year
    valid_only = st.checkbox(
        t("imp_valid_only", lang), key="imp_valid_only", help=t("imp_valid_only_help", lang)
    )
    replace = bool(ledger.dated) and st.checkbox(
        t("imp_replace", lang), key="imp_replace", help=t("imp_replace_help", lang)
    )
    args = dict(scope=scope, year=year, replace=replace)

    def _commit(content: bytes, file_name: str) -> None:
        bar = st.progress(0.0, t("imp_progress", lang))
        result = importer.run(
            data.engine(),
            name,
            content,
            file_name,
            dry_run=False,
            valid_only=valid_only,
            user=identity,
            progress=lambda share, what: bar.progress(share, what),
            **args,
        )
        if result.written:
            data.invalidate()
            users.audit(data.engine(), identity, "import", import_view.audit_detail(result))
        st.session_state["imp_result"] = (result.status, result.message())

    if "imp_result" in st.session_state:
        status, message = st.session_state.pop("imp_result")
        shown = st.success if status in ("committed", "partial") else st.warning
        shown(message, icon=":material/task_alt:")

    if upload is None:
        st.caption(t("imp_pick_file", lang))
    else:
        content = upload.getvalue()
        outcome = import_view.checked(
            st.session_state,
            lambda progress: importer.run(
                data.engine(), name, content, upload.name, dry_run=True, progress=progress, **args
            ),
            (name, content, upload.name, data.data_version(), repr(sorted(args.items()))),
            st.progress,
            t("imp_progress", lang),
        )
        # The page reruns on every click while a file is chosen: one audit row per file checked.
        checked = st.session_state.setdefault("imp_dry_runs_audited", set())
        if (name, outcome.sha256, year) not in checked:
            users.audit(data.engine(), identity, "dry_run", import_view.audit_detail(outcome))
            checked.add((name, outcome.sha256, year))
        if outcome.refusal:
            st.error(outcome.message(), icon=":material/block:")
        else:
            st.caption(t("imp_checked_file", lang, file=upload.name, format=outcome.file_format))
            shown_counts = import_view.counts(outcome)
            cols = st.columns(len(shown_counts))
            for col, (key, value) in zip(cols, shown_counts.items(), strict=True):
                col.metric(t(import_view.ACTION_KEYS[key], lang), f"{value:,}")
            if len(outcome.sheets) > 1 or any(not s.read for s in outcome.sheets):
                st.markdown(f"**{t('imp_sheets', lang)}**")
                st.dataframe(
                    import_view.sheets_frame(outcome, lang), hide_index=True, width="stretch"
                )
            if outcome.problems:
                st.markdown(f"**{t('imp_problems', lang)}**")
                st.dataframe(
                    import_view.problems_frame(outcome.problems[:2_000], lang),
                    hide_index=True,
                    width="stretch",
                )
                download_button(
                    st,
                    t("imp_download_problems", lang),
                    partial(import_view.problems_xlsx, outcome, lang),
                    file_name=f"{ledger.title}问题清单.xlsx",
                    mime=import_view.XLSX_MIME,
                    icon=":material/download:",
                    key="imp_problems_download",
                )
            with st.expander(t("imp_preview", lang)):
                st.dataframe(
                    import_view.actions_frame(outcome.actions, lang),
                    hide_index=True,
                    width="stretch",
                )
            blocked = outcome.rejected and (replace or not valid_only)
            nothing = not (outcome.added or outcome.changed or outcome.removed)
            if blocked:
                st.warning(t("imp_commit_blocked", lang))
            elif nothing:
                st.info(t("imp_nothing", lang))
            st.button(
                t("imp_commit", lang),
                type="primary",
                disabled=bool(blocked or nothing),
                on_click=_commit,
                args=(content, upload.name),
                key="imp_commit",
            )

st.header(t("imp_batches", lang))
batches = query(importer.recent_batches, scope)
if batches.empty:
    st.caption(t("imp_no_batches", lang))
else:
    st.dataframe(import_view.batches_frame(batches, lang), hide_index=True, width="stretch")
    skipped = batches[batches["rows_rejected"] > 0]
    if not skipped.empty:
        batch_id = st.selectbox(t("imp_pick_batch", lang), list(skipped["id"]), key="imp_batch")
        download_button(
            st,
            t("imp_batch_errors", lang),
            partial(
                import_view.batch_errors_xlsx,
                query(importer.batch_errors, scope, int(batch_id)),
                lang,
            ),
            file_name=f"导入批次{batch_id}问题清单.xlsx",
            mime=import_view.XLSX_MIME,
            icon=":material/download:",
            key="imp_batch_download",
        )
