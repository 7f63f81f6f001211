"""What the 数据管理 page and the import command show of an import: pure builders, outcome in,
DataFrame or XLSX bytes out."""

from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard.exports import safe_cell
from dashboard.i18n import t
from data_access.importer import Outcome, Problem, RowAction
from data_access.ledgers import KIND_FORMAT, LEDGERS, Ledger

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTION_KEYS = {
    "added": "imp_added",
    "changed": "imp_changed",
    "unchanged": "imp_unchanged",
    "rejected": "imp_rejected",
}
STATUS_KEYS = {"committed": "imp_status_committed", "partial": "imp_status_partial"}


def ledger_title(name: str, lang: str = "zh") -> str:
    ledger = LEDGERS.get(name)
    if ledger is None:
        return name
    return ledger.title if lang == "zh" else f"{ledger.title} ({name})"


def template_file_name(ledger: Ledger) -> str:
    return f"{ledger.title}导入模板.xlsx"


def columns_frame(ledger: Ledger, lang: str = "zh") -> pd.DataFrame:
    """The columns of a ledger as the notes sheet explains them."""
    rows = []
    for col in ledger.columns:
        fmt = KIND_FORMAT[col.kind]
        if col.choices:
            fmt += "：" + col.allowed()
        rows.append(
            {
                t("imp_col_header", lang): col.template_header,
                t("imp_col_required", lang): t(
                    "imp_required" if col.required else "imp_optional", lang
                ),
                t("imp_col_format", lang): fmt,
                t("imp_col_note", lang): col.note,
            }
        )
    return pd.DataFrame(rows)


def counts(outcome: Outcome) -> dict[str, int]:
    return {
        "added": outcome.added,
        "changed": outcome.changed,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
    }


def audit_detail(outcome: Outcome) -> str:
    """What the audit log keeps of an import or a dry run: ledger, file, result and counts
    (never a cell of the file)."""
    return (
        f"{outcome.ledger} {outcome.file_name} {outcome.status} "
        f"共{outcome.rows_total} 新增{outcome.added} 变更{outcome.changed} "
        f"不变{outcome.unchanged} 有错误{outcome.rejected} sha256:{outcome.sha256[:16]}"
    )


def problems_frame(problems: Iterable[Problem], lang: str = "zh") -> pd.DataFrame:
    """One line per problem: row as the user sees it, column, value, reason, level."""
    columns = [
        t(k, lang) for k in ("imp_row", "imp_column", "imp_value", "imp_reason", "imp_level")
    ]
    rows = [
        (
            p.row if p.row else None,
            p.column,
            p.value or "",
            p.reason,
            t("imp_error" if p.level == "error" else "imp_warning", lang),
        )
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame[columns[0]] = frame[columns[0]].astype("Int64")
    return frame


def actions_frame(actions: Iterable[RowAction], lang: str = "zh") -> pd.DataFrame:
    """What each row would do: added, changed (which fields), unchanged, rejected."""
    columns = [t(k, lang) for k in ("imp_row", "imp_action", "imp_key", "imp_detail")]
    rows = [(a.row, t(ACTION_KEYS[a.action], lang), a.key, a.detail) for a in actions]
    return pd.DataFrame(rows, columns=columns)


def batches_frame(batches: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The import batches as the page lists them."""
    out = pd.DataFrame(
        {
            t("imp_batch", lang): batches["id"],
            t("imp_ledger", lang): [ledger_title(n, lang) for n in batches["ledger"]],
            t("imp_file_name", lang): batches["file_name"],
            t("imp_rows_total", lang): batches["rows_total"],
            t("imp_added", lang): batches["rows_added"],
            t("imp_changed", lang): batches["rows_changed"],
            t("imp_rejected", lang): batches["rows_rejected"],
            t("imp_user", lang): batches["imported_by"],
            t("imp_time", lang): [_time(v) for v in batches["imported_at"]],
            t("imp_status", lang): [
                t(STATUS_KEYS.get(s, "imp_status_committed"), lang) for s in batches["status"]
            ],
            "SHA-256": batches["sha256"],
        }
    )
    return out


def _time(value) -> str:
    if value is None or pd.isna(value):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("Asia/Shanghai").strftime("%Y-%m-%d %H:%M")


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in frame.itertuples(index=False):
        ws.append([None if pd.isna(v) else safe_cell(v) for v in values])
    for i, width in enumerate((8, 16, 24, 60, 8, 40)[: len(frame.columns)], start=1):
        ws.column_dimensions[chr(64 + i)].width = width


def problems_xlsx(outcome: Outcome, lang: str = "zh") -> bytes:
    """The problems of an import as a spreadsheet to fix the file by."""
    wb = Workbook()
    _sheet(wb, t("imp_problems", lang)[:31], problems_frame(outcome.problems, lang), first=True)
    summary = pd.DataFrame(
        [
            (t("imp_ledger", lang), ledger_title(outcome.ledger, lang)),
            (t("imp_file_name", lang), outcome.file_name),
            ("SHA-256", outcome.sha256),
            (t("imp_format", lang), outcome.file_format),
            (t("imp_rows_total", lang), outcome.rows_total),
            *((t(ACTION_KEYS[k], lang), v) for k, v in counts(outcome).items()),
            (t("imp_result", lang), outcome.message()),
        ],
        columns=[t("imp_item", lang), t("imp_value", lang)],
    )
    _sheet(wb, t("imp_summary", lang)[:31], summary)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def batch_errors_xlsx(errors: pd.DataFrame, lang: str = "zh") -> bytes:
    """The rows a past batch skipped (and its warnings), from import_errors."""
    frame = pd.DataFrame(
        {
            t("imp_row", lang): errors["row_number"],
            t("imp_column", lang): errors["column_name"],
            t("imp_value", lang): errors["value"],
            t("imp_reason", lang): errors["reason"],
        }
    )
    wb = Workbook()
    _sheet(wb, t("imp_problems", lang)[:31], frame, first=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
