"""What the 数据管理 page and the import command show of an import: pure builders, outcome in,
DataFrame or XLSX bytes out."""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable
from typing import TextIO

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
    "removed": "imp_removed",
}
SHOWN_ACTIONS = 5_000  # lines of the what-would-happen list on the page
STATUS_KEYS = {
    "committed": "imp_status_committed",
    "partial": "imp_status_partial",
    "demo": "imp_status_demo",
}


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
    out = {
        "added": outcome.added,
        "changed": outcome.changed,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
    }
    if outcome.replace:
        out["removed"] = outcome.removed
    return out


def sheets_frame(outcome: Outcome, lang: str = "zh") -> pd.DataFrame:
    """Each worksheet: read, with what it adds, changes and removes, or left out and why."""
    rows = []
    for s in outcome.sheets:
        state = t("imp_sheet_read", lang) if s.read else t("imp_sheet_left", lang, reason=s.reason)
        rows.append(
            {
                t("imp_sheet", lang): s.name or "CSV",
                t("imp_status", lang): state,
                t("imp_rows_total", lang): s.rows,
                t("imp_added", lang): s.added,
                t("imp_changed", lang): s.changed,
                t("imp_removed", lang): s.removed,
                t("imp_unchanged", lang): s.unchanged,
                t("imp_rejected", lang): s.rejected,
                t("imp_skipped", lang): s.skipped,
            }
        )
    return pd.DataFrame(rows)


def _kind(reason: str) -> str:
    """A warning's kind: its reason without the values that vary from row to row."""
    return re.sub(r"“[^”]*”|第 [^行]*行|\d[\d,.\-:]*", "…", reason)


def problem_lines(outcome: Outcome, limit: int = 50) -> list[str]:
    """The problems as the command line prints them: every error first (up to the limit),
    then the warnings counted by kind, so that one bad row among thousands of warnings shows."""
    lines = []
    errors, warnings = outcome.errors, outcome.warnings
    for p in errors[:limit]:
        sheet = f"工作表“{p.sheet}”" if p.sheet else ""
        where = f"{sheet}第 {p.row} 行" if p.row else sheet or "文件"
        column = f"“{p.column}”" if p.column else ""
        value = f"（{p.value}）" if p.value else ""
        lines.append(f"错误：{where}{column}{value}：{p.reason}")
    if len(errors) > limit:
        lines.append(f"……共 {len(errors):,} 条错误，完整清单请用 --report 导出。")
    kinds = Counter(_kind(p.reason) for p in warnings)
    for kind, n in kinds.most_common(20):
        example = next(p for p in warnings if _kind(p.reason) == kind)
        sheet = f"工作表“{example.sheet}”" if example.sheet else ""
        where = f"{sheet}第 {example.row} 行" if example.row else sheet or "文件"
        more = f"（共 {n:,} 条，如{where}）" if n > 1 else f"（{where}）"
        lines.append(f"警告{more}：{example.reason}")
    if len(kinds) > 20:
        lines.append(f"……另有 {len(kinds) - 20} 类警告，完整清单请用 --report 导出。")
    return lines


def checked(state, check, key: tuple, progress_bar, label: str) -> Outcome:
    """The dry run of the file on screen, run once per file and settings (keyed by the file's
    SHA-256, so a click elsewhere on the page does not check the whole file again)."""
    ledger, content, *rest = key
    digest = hashlib.sha256(content).hexdigest()
    token = (ledger, digest, *rest)
    kept = state.get("imp_checked")
    if kept is not None and kept[0] == token:
        return kept[1]
    bar = progress_bar(0.0, label)
    outcome = check(lambda share, what: bar.progress(min(1.0, share), what))
    bar.empty()
    # The session keeps what the page shows, not one line per row of a 200,000-row file.
    outcome.actions = outcome.actions[:SHOWN_ACTIONS]
    state["imp_checked"] = (token, outcome)
    return outcome


def text_progress(stream: TextIO):
    """A progress bar on a terminal: one line, redrawn."""

    def show(share: float, what: str) -> None:
        filled = int(share * 30)
        stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {what[:40]:<40}")
        if share >= 1:
            stream.write("\n")
        stream.flush()

    return show


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
    problems = list(problems)
    keys = ("imp_row", "imp_column", "imp_value", "imp_reason", "imp_level")
    sheets = any(p.sheet for p in problems)
    if sheets:
        keys = ("imp_sheet", *keys)
    rows = [
        (
            *((p.sheet,) if sheets else ()),
            p.row if p.row else None,
            p.column,
            p.value or "",
            p.reason,
            t("imp_error" if p.level == "error" else "imp_warning", lang),
        )
        for p in problems
    ]
    columns = [t(k, lang) for k in keys]
    frame = pd.DataFrame(rows, columns=columns)
    frame[t("imp_row", lang)] = frame[t("imp_row", lang)].astype("Int64")
    return frame


def actions_frame(actions: Iterable[RowAction], lang: str = "zh") -> pd.DataFrame:
    """What each row would do: added, changed (which fields), unchanged, rejected."""
    actions = list(actions)
    keys = ("imp_row", "imp_action", "imp_key", "imp_detail")
    sheets = any(a.sheet for a in actions)
    if sheets:
        keys = ("imp_sheet", *keys)
    rows = [
        (
            *((a.sheet,) if sheets else ()),
            a.row or None,
            t(ACTION_KEYS[a.action], lang),
            a.key,
            a.detail,
        )
        for a in actions
    ]
    frame = pd.DataFrame(rows, columns=[t(k, lang) for k in keys])
    frame[t("imp_row", lang)] = frame[t("imp_row", lang)].astype("Int64")
    return frame


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
