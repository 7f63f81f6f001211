"""解读 on the briefing page (the notes beside each section's figures, the list of the quarter's
notes on the area, the forms to add, change and remove one) and beside the figures of the
budget, maps and contacts pages. The rules (who may write what, the check for personal data,
the audit) are data_access.notes'; this module draws."""

from __future__ import annotations

import streamlit as st

from dashboard import briefing as br
from dashboard import viewer
from dashboard.data import engine, invalidate, query
from dashboard.i18n import period_label, t
from data_access import notes
from data_access.scope import Filters

MESSAGE = "note_message"  # (kind, i18n key, values) of the last write, shown once


def _writer() -> notes.Writer:
    v = viewer.current()
    return notes.Writer(v.identity, v.role, v.scope)


def _draw(note: br.Note, lang: str, heading: str) -> None:
    box = st.container(border=True)
    box.markdown(
        f":material/comment: **{br.markdown_safe(heading)} · "
        f"{br.markdown_safe(note.label(lang))}**：" + br.markdown_safe(note.text)
    )
    box.caption(f"{note.author} · {note.updated.isoformat()}")


def beside(b: br.Briefing, section: str) -> None:
    """The notes on a section's figures, under its paragraph."""
    for note in br.section_notes(b, section):
        _draw(note, b.lang, t("br_notes", b.lang))


def on_page(flt: Filters, lang: str, figures: tuple[str, ...]) -> None:
    """On the budget, maps and contacts pages: the notes on these figures of the area (and the
    areas within it) for the quarter that the page's period ends in."""
    quarter = f"Q{(flt.end.month - 1) // 3 + 1}"
    frame = query(notes.for_quarter, viewer.scope(), flt.year, quarter, flt.prefecture, flt.county)
    heading = f"{t('br_notes', lang)}（{flt.year} {period_label(quarter, lang)}）"
    for note in br.notes_from(frame, lang):
        if note.figure in figures:
            _draw(note, lang, heading)


def _done(key: str) -> None:
    invalidate()  # the note shows at once, not when the cached data version expires
    st.session_state[MESSAGE] = ("success", key, {})


def _refused(exc: notes.NoteRefused) -> None:
    st.session_state[MESSAGE] = ("warning", exc.key, exc.values)


def _add(b: br.Briefing, flt: Filters) -> None:
    try:
        notes.add(
            engine(),
            _writer(),
            b.year,
            b.quarter,
            flt.prefecture,
            flt.county,
            st.session_state["note_figure"],
            st.session_state.get("note_text", ""),
        )
    except notes.NoteRefused as exc:
        _refused(exc)
        return
    st.session_state["note_text"] = ""
    _done("note_saved")


def _edit(note_id: int) -> None:
    try:
        notes.edit(engine(), _writer(), note_id, st.session_state.get(f"note_edit_{note_id}", ""))
    except notes.NoteRefused as exc:
        _refused(exc)
        return
    _done("note_updated_ok")


def _remove(note_id: int) -> None:
    try:
        notes.remove(engine(), _writer(), note_id)
    except notes.NoteRefused as exc:
        _refused(exc)
        return
    _done("note_removed")


def may_change(note: br.Note) -> bool:
    """Offer the change form for the viewer's own notes (an administrator: every note)."""
    v = viewer.current()
    return v.role in notes.WRITERS and (v.is_admin or note.author == v.identity)


def section(b: br.Briefing, flt: Filters) -> None:
    """The list of the quarter's notes on the area and the forms (for those who may write)."""
    lang = b.lang
    st.header(t("br_notes_title", lang), divider="gray")
    table = br.notes_table(b)
    if table.empty:
        st.caption(t("br_notes_none", lang))
    else:
        st.dataframe(table, hide_index=True, width="stretch")
    message = st.session_state.pop(MESSAGE, None)
    if message:
        kind, key, values = message
        (st.success if kind == "success" else st.warning)(t(key, lang, **values))
    if viewer.current().role not in notes.WRITERS:
        return
    with st.expander(t("note_add", lang), icon=":material/add_comment:"):
        st.caption(t("note_for_area", lang, area=b.area_name, quarter=f"{b.year} {b.quarter_name}"))
        st.selectbox(
            t("note_figure", lang),
            list(br.NOTE_FIGURES),
            format_func=lambda key: t(key, lang),
            key="note_figure",
        )
        st.text_area(
            t("note_text", lang),
            max_chars=notes.MAX_CHARS,
            help=t("note_add_help", lang),
            key="note_text",
        )
        st.button(t("note_save", lang), key="note_save", on_click=_add, args=(b, flt))
    mine = [n for n in b.notes if may_change(n)]
    if not mine:
        return
    with st.expander(t("note_change", lang), icon=":material/edit_note:"):
        chosen = st.selectbox(
            t("note_choose", lang),
            [n.id for n in mine],
            format_func=lambda i: next(
                f"{n.label(lang)}：{n.text[:30]}" for n in mine if n.id == i
            ),
            key="note_chosen",
        )
        note = next(n for n in mine if n.id == chosen)
        st.text_area(
            t("note_text", lang),
            value=note.text,
            max_chars=notes.MAX_CHARS,
            key=f"note_edit_{note.id}",
        )
        row = st.container(horizontal=True)
        row.button(t("note_update", lang), key="note_update", on_click=_edit, args=(note.id,))
        row.button(
            t("note_delete", lang),
            key="note_delete",
            icon=":material/delete:",
            on_click=_remove,
            args=(note.id,),
        )
