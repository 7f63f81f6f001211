"""数据质量: the rules' sentences and thresholds, and the tables the page and the briefing show
from `data_access.quality.findings`.

Thresholds are settings, `[quality]` in .streamlit/secrets.toml or DASHBOARD_QUALITY_*
variables, with the keys of `data_access.quality.QualityThresholds` (for example
`visits_per_day = 4`, `pairing_far_km = 200`); a value that cannot be used is ignored, the
default kept and the reason listed in QUALITY_PROBLEMS."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import fields, replace

import pandas as pd

from dashboard.i18n import t
from dashboard.rules import settings_table
from data_access.quality import RULES, QualityThresholds

QUALITY_ENV_PREFIX = "DASHBOARD_QUALITY_"
SEVERITY = {r.id: r.severity for r in RULES}
log = logging.getLogger("dashboard")


def thresholds_from(settings: Mapping[str, object]) -> tuple[QualityThresholds, list[str]]:
    kinds = {
        f.name: float if f.type in ("float", float) else int for f in fields(QualityThresholds)
    }
    values, problems = {}, []
    for name, value in settings.items():
        if name not in kinds:
            problems.append(f"未知的数据质量设置 {name}（可用：{'、'.join(kinds)}）")
            continue
        try:
            number = kinds[name](str(value).strip())
            if isinstance(value, bool) or number <= 0:
                raise ValueError
            values[name] = number
        except ValueError:
            problems.append(f"数据质量设置无效，已用默认值：{name} 应为正数，而不是 {value!r}")
    return replace(QualityThresholds(), **values), problems


def load_thresholds(environ=None, cwd=None) -> tuple[QualityThresholds, list[str]]:
    th, problems = thresholds_from(settings_table("quality", QUALITY_ENV_PREFIX, environ, cwd))
    for problem in problems:
        log.warning(problem)
    return th, problems


THRESHOLDS, QUALITY_PROBLEMS = load_thresholds()


def sentence(rule: str, th: QualityThresholds, lang: str) -> str:
    """What the rule finds, with its thresholds, in the viewer's language."""
    values = {
        "contacts_bunched": dict(
            share=round(th.bunch_share * 100), days=th.bunch_days, min=th.bunch_min
        ),
        "visits_too_many": dict(n=th.visits_per_day),
        "visits_far_apart": dict(km=th.visits_far_km),
        "notes_copied": dict(n=th.copied_min, length=th.copied_length),
        "month_outlier": dict(z=th.outlier_z),
        "pairing_far": dict(km=th.pairing_far_km),
        "cadre_overloaded": dict(n=th.pairings_per_cadre),
    }.get(rule, {})
    return t(f"dq_{rule}", lang, **values)


def _checked(found: pd.DataFrame) -> pd.Series:
    return found["reviewed_by"].notna()


def rules_table(found: pd.DataFrame, th: QualityThresholds, lang: str) -> pd.DataFrame:
    """Every rule with its severity and how many findings are open and checked."""
    checked = found.assign(checked=_checked(found))
    counts = checked.groupby("rule")["checked"].agg(["size", "sum"])
    rows = []
    for r in RULES:
        total, done = (int(v) for v in counts.loc[r.id]) if r.id in counts.index else (0, 0)
        rows.append(
            {
                t("dq_rule_id", lang): r.id,
                t("dq_rule", lang): sentence(r.id, th, lang),
                t("dq_severity", lang): t(f"dq_severity_{r.severity}", lang),
                t("dq_open", lang): total - done,
                t("dq_checked", lang): done,
            }
        )
    return pd.DataFrame(rows)


def by_area(found: pd.DataFrame, areas: pd.DataFrame, level: str, lang: str) -> pd.DataFrame:
    """Open findings per area (prefecture or county) and rule, worst area first; `areas` is
    `contacts.areas` (every area shows, with zeros)."""
    code, name = f"{level}_code", f"{level}_name"
    names = areas.drop_duplicates(code).set_index(code)[name]
    open_ = found[~_checked(found)].merge(
        areas[["county_code", "prefecture_code"]], on="county_code", how="left"
    )
    table = pd.crosstab(open_[code], open_["rule"]) if not open_.empty else pd.DataFrame()
    table = table.reindex(index=names.index, columns=[r.id for r in RULES], fill_value=0)
    table = table.fillna(0).astype(int)
    table.insert(0, t("dq_open", lang), table.sum(axis=1))
    table = table.sort_values(t("dq_open", lang), ascending=False, kind="stable")
    table.insert(0, t(level, lang), names.reindex(table.index).to_numpy())
    return table.reset_index(drop=True)


def trend(found: pd.DataFrame, year: int, lang: str) -> pd.DataFrame:
    """Findings per rule (rows) and month of the year (columns)."""
    days = pd.to_datetime(found["day"], errors="coerce")
    within = found[days.dt.year == year].assign(month=days[days.dt.year == year].dt.month)
    table = pd.crosstab(within["rule"], within["month"]) if not within.empty else pd.DataFrame()
    table = table.reindex(index=[r.id for r in RULES], columns=range(1, 13), fill_value=0)
    table = table.fillna(0).astype(int)
    table.columns = [t("month_n", lang, n=m) for m in table.columns]
    table.insert(0, t("dq_rule_id", lang), table.index)
    return table.reset_index(drop=True)


def subject_text(rule: str, subject: str, lang: str) -> str:
    if rule == "notes_copied":
        return t("dq_notes_subject", lang, cadres=subject)
    return str(subject)


def drill_table(found: pd.DataFrame, names: Mapping[str, str], lang: str) -> pd.DataFrame:
    """The findings of one rule as a person reads them: area, date, subject (masked), value,
    and the check note if any."""
    return pd.DataFrame(
        {
            t("county", lang): [names.get(c, c) for c in found["county_code"]],
            t("dq_day", lang): [None if pd.isna(d) else str(d)[:10] for d in found["day"]],
            t("dq_subject", lang): [
                subject_text(r, s, lang)
                for r, s in zip(found["rule"], found["subject"], strict=True)
            ],
            t("dq_value", lang): [None if pd.isna(v) else str(v) for v in found["value"]],
            t("dq_reviewed_by", lang): found["reviewed_by"],
            t("dq_review", lang): found["review_note"],
        }
    )


def finding_label(row, names: Mapping[str, str], lang: str) -> str:
    day = "" if pd.isna(row["day"]) else str(row["day"])[:10]
    return f"{names.get(row['county_code'], row['county_code'])} · {day} · " + subject_text(
        row["rule"], row["subject"], lang
    )


def briefing_lines(found: pd.DataFrame, th: QualityThresholds, lang: str) -> list[str]:
    """The briefing's short data-quality section: open findings of the high-severity rules,
    then the others, largest first; one line per rule that found something."""
    open_ = found[~_checked(found)]
    counts = open_["rule"].value_counts()
    order = sorted(counts.index, key=lambda r: (SEVERITY[r] != "high", -counts[r]))
    return [
        f"{sentence(r, th, lang)}：{counts[r]}"
        if lang == "zh"
        else f"{sentence(r, th, lang)}: {counts[r]}"
        for r in order
    ]
