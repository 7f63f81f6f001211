"""The files of a quarterly briefing, one table for the page's download buttons and the
unattended command (`python -m dashboard briefing`), so both hand out the same files under
the same names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dashboard import briefing as br
from dashboard import docx_export, pptx_export


@dataclass(frozen=True)
class FileFormat:
    ext: str
    label: str  # i18n key of the download button
    mime: str
    make: Callable[[br.Briefing, dt.date], bytes]  # (briefing, date of issue) → bytes


FORMATS: dict[str, FileFormat] = {
    f.ext: f
    for f in (
        FileFormat(
            "docx",
            "br_download_docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            lambda b, issued: docx_export.document_bytes(b, issued=issued),
        ),
        FileFormat(
            "pptx",
            "br_download_pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            lambda b, issued: pptx_export.deck_bytes(b),
        ),
        FileFormat(
            "xlsx",
            "br_download_xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            lambda b, issued: br.workbook_bytes(b),
        ),
        FileFormat("txt", "br_download_txt", "text/plain", lambda b, issued: br.summary_bytes(b)),
    )
}


def make(b: br.Briefing, ext: str, issued: dt.date | None = None) -> bytes:
    """One file of the briefing; `issued` is the document's date of issue (today by default)."""
    return FORMATS[ext].make(b, issued or dt.date.today())
