"""Pure builders of the 预算执行 page: query results (money in fen) in, the tables, figures,
breadcrumbs and export files the page shows out. No Streamlit here.

Every table comes in two units: "wan" for the screen (万元, rates as fractions for the
percent column format) and "yuan" for exports (full yuan as Decimal, rates in percent)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts
from dashboard.fmt import pct, wan, wan_text, yuan
from dashboard.i18n import t
from dashboard.rules import execution_rate, is_behind, shortfall_fen
from dashboard.tables import indicator_progress_text

Unit = Literal["wan", "yuan"]
ALL_MEASURES = 0
ALL_LINES = "all"
# Red and blue, not red and green: told apart with any colour vision (tests/test_palette.py).
# The bars also say it in words and behind bars are hatched: colour is never the only sign.
COLORS = {"behind": "#C0392B", "on_track": "#2166AC", "no_money": "#9AA5B1"}

# Label keys of the money columns, per unit.
_LABELS: dict[Unit, dict[str, str]] = {
    "wan": {
        "planned": "planned",
        "disbursed": "disbursed",
        "period": "period_disbursed",
        "rate": "execution_rate",
        "shortfall": "gap_money",
    },
    "yuan": {
        "planned": "bud_planned_yuan",
        "disbursed": "bud_disbursed_yuan",
        "period": "bud_period_yuan",
        "rate": "bud_rate_pct",
        "shortfall": "bud_shortfall_yuan",
    },
}


@dataclass(frozen=True)
class Execution:
    """One row's execution against time progress."""

    rate: float | None
    gap_pp: float | None  # rate − time progress, in percentage points
    behind: bool | None
    shortfall_fen: int | None

    @classmethod
    def of(cls, planned_fen: int, disbursed_fen: int, progress: float) -> Execution:
        rate = execution_rate(int(planned_fen), int(disbursed_fen))
        return cls(
            rate=rate,
            gap_pp=None if rate is None else round((rate - progress) * 100, 1),
            behind=is_behind(rate, progress),
            shortfall_fen=shortfall_fen(int(planned_fen), int(disbursed_fen), progress),
        )

    def status(self, lang: str) -> str:
        if self.behind is None:
            return t("no_money", lang)
        return t("behind" if self.behind else "on_track", lang)


def _money(fen: int | None, unit: Unit) -> float | Decimal | None:
    if fen is None:
        return None
    return wan(fen) if unit == "wan" else yuan(fen)


def _cells(row, progress: float, lang: str, unit: Unit, has_money: bool = True) -> dict:
    """Planned, disbursed, in period, rate, gap, shortfall and status of a row with money."""
    label = {k: t(v, lang) for k, v in _LABELS[unit].items()}
    if not has_money:
        return {
            label["planned"]: None,
            label["disbursed"]: None,
            label["period"]: None,
            label["rate"]: None,
            t("gap_pp", lang): None,
            label["shortfall"]: None,
            t("status", lang): t("no_money", lang),
        }
    ex = Execution.of(row.planned_fen, row.disbursed_fen, progress)
    # On screen a rate shows one decimal of a percent (94.1%), so it is rounded to match;
    # exports carry the percentage with two decimals.
    if ex.rate is None:
        rate = None
    else:
        rate = round(ex.rate, 3) if unit == "wan" else round(ex.rate * 100, 2)
    shortfall = ex.shortfall_fen if ex.behind else None
    return {
        label["planned"]: _money(row.planned_fen, unit),
        label["disbursed"]: _money(row.disbursed_fen, unit),
        label["period"]: _money(row.period_fen, unit),
        label["rate"]: rate,
        t("gap_pp", lang): ex.gap_pp,
        label["shortfall"]: _money(shortfall, unit),
        t("status", lang): ex.status(lang),
    }


def _name(row, lang: str, zh: str = "name_zh", en: str = "name_en") -> str:
    return getattr(row, zh) if lang == "zh" else getattr(row, en)


def measure_label(measure_id: int, name: str) -> str:
    return f"{measure_id}. {name}"


def line_label(code: str, name: str) -> str:
    return f"{code} {name}"


def measures_table(
    measures: pd.DataFrame,
    indicators: pd.DataFrame,
    progress: float,
    lang: str,
    unit: Unit = "wan",
) -> pd.DataFrame:
    """The ten measures (from `queries.budget_by_measure`) with their money against time
    progress and their indicators. A measure without budget lines keeps its row and its
    indicators, with no money and no rate (never a misleading 0 %)."""
    texts: dict[int, list[str]] = {}
    for r in indicators.to_dict("records"):
        name = r["name_zh"] if lang == "zh" else r["name_en"]
        texts.setdefault(r["measure_id"], []).append(f"{name} {indicator_progress_text(r, lang)}")
    rows = []
    for m in measures.itertuples(index=False):
        rows.append(
            {
                t("measure", lang): measure_label(m.measure_id, _name(m, lang)),
                t("bud_lines_count", lang): int(m.lines),
                **_cells(m, progress, lang, unit, has_money=bool(m.lines)),
                t("indicators", lang): "；".join(texts.get(m.measure_id, [])),
            }
        )
    return pd.DataFrame(rows)


def lines_table(
    lines: pd.DataFrame,
    progress: float,
    lang: str,
    unit: Unit = "wan",
    with_measure: bool = True,
) -> pd.DataFrame:
    """Budget lines (from `budget.by_line`) with their money against time progress."""
    rows = []
    for r in lines.itertuples(index=False):
        row = {}
        if with_measure:
            row[t("measure", lang)] = measure_label(
                r.measure_id, r.measure_zh if lang == "zh" else r.measure_en
            )
        row[t("bud_line", lang)] = line_label(r.code, _name(r, lang))
        rows.append(row | _cells(r, progress, lang, unit))
    columns = [t("measure", lang)] if with_measure else []
    columns += [t("bud_line", lang), *_cells_columns(lang, unit)]
    return pd.DataFrame(rows, columns=columns)


def _cells_columns(lang: str, unit: Unit) -> list[str]:
    label = {k: t(v, lang) for k, v in _LABELS[unit].items()}
    return [
        label["planned"],
        label["disbursed"],
        label["period"],
        label["rate"],
        t("gap_pp", lang),
        label["shortfall"],
        t("status", lang),
    ]


def ranked(areas: pd.DataFrame) -> pd.DataFrame:
    """Areas (from `budget.by_prefecture` or `by_county`) best first by execution rate; areas
    with nothing planned last, in their official order."""
    frame = areas.copy()
    frame["rate"] = [
        execution_rate(int(p), int(d))
        for p, d in zip(frame["planned_fen"], frame["disbursed_fen"], strict=True)
    ]
    with_plan = frame[frame["rate"].notna()].sort_values("rate", ascending=False, kind="stable")
    without = frame[frame["rate"].isna()]
    return pd.concat([with_plan, without], ignore_index=True)


def areas_table(
    areas: pd.DataFrame,
    progress: float,
    lang: str,
    level: Literal["prefecture", "county"],
    unit: Unit = "wan",
) -> pd.DataFrame:
    """The ranking of prefectures (or counties): rank, area, money against time progress."""
    frame = ranked(areas)
    rows = []
    rank = 0
    for r in frame.itertuples(index=False):
        has_plan = r.rate is not None and not pd.isna(r.rate)
        rank += has_plan
        rows.append(
            {
                t("bud_rank", lang): rank if has_plan else None,
                t(level, lang): r.name,
                **_cells(r, progress, lang, unit),
            }
        )
    columns = [t("bud_rank", lang), t(level, lang), *_cells_columns(lang, unit)]
    out = pd.DataFrame(rows, columns=columns)
    out[t("bud_rank", lang)] = out[t("bud_rank", lang)].astype("Int64")
    return out


def table_height(rows: int) -> int:
    """Pixels for st.dataframe to show every row of a ranking (at most 20) without scrolling."""
    return 38 + 35 * min(rows, 20)


def best_and_worst(areas: pd.DataFrame, lang: str) -> str | None:
    """'执行最好：天水市（52.1%）；最差：兰州市（40.3%）' or None with fewer than two areas."""
    frame = ranked(areas)
    frame = frame[frame["rate"].notna()]
    if len(frame) < 2:
        return None
    best, worst = frame.iloc[0], frame.iloc[-1]
    return t(
        "bud_best_worst",
        lang,
        best=best["name"],
        best_rate=pct(best["rate"]),
        worst=worst["name"],
        worst_rate=pct(worst["rate"]),
    )


def behind_summary(lines: pd.DataFrame, progress: float, lang: str) -> str | None:
    """'3 个预算项目滞后于时序进度，合计差额 1,234.56 万元' or None when none is behind."""
    behind = [
        Execution.of(r.planned_fen, r.disbursed_fen, progress)
        for r in lines.itertuples(index=False)
    ]
    behind = [ex for ex in behind if ex.behind]
    if not behind:
        return None
    total = sum(ex.shortfall_fen or 0 for ex in behind)
    return t("bud_behind_summary", lang, n=len(behind), money=wan_text(total))


def indicators_table(
    indicators: pd.DataFrame, lang: str, unit: Unit = "wan", with_measure: bool = True
) -> pd.DataFrame:
    """The measures' indicator targets with what was achieved. On screen target and achieved
    are text ('16,000 人', '≥95%'); in exports they are numbers with a unit column."""
    rows = []
    for r in indicators.itertuples(index=False):
        unit_text = r.unit_zh if lang == "zh" else r.unit_en
        achieved = None if pd.isna(r.achieved) else float(r.achieved)
        if r.kind == "rate":
            target = None if pd.isna(r.rate_target) else float(r.rate_target)
            share = None
            state = (
                t("no_data", lang)
                if achieved is None
                else t("bud_met" if target is None or achieved >= target else "bud_not_met", lang)
            )
        else:
            target = None if pd.isna(r.target) or not r.target else float(r.target)
            share = achieved / target if achieved is not None and target else None
            # With a target the progress column says it all; otherwise say why there is none.
            state = (
                t("no_data", lang)
                if achieved is None
                else (None if share is not None else t("no_target", lang))
            )
        row = {t("measure", lang): r.measure_id} if with_measure else {}
        row[t("indicator", lang)] = _name(r, lang)
        if unit == "wan":
            row[t("target", lang)] = _indicator_text(target, r.kind, unit_text, lang, True)
            row[t("achieved", lang)] = _indicator_text(achieved, r.kind, unit_text, lang)
            row[t("progress", lang)] = share
        else:
            row[t("bud_unit", lang)] = unit_text
            row[t("target", lang)] = target
            row[t("achieved", lang)] = None if achieved is None else round(achieved, 2)
            row[t("bud_progress_pct", lang)] = None if share is None else round(share * 100, 2)
        row[t("status", lang)] = state
        row[t("illustrative", lang)] = t("bud_yes", lang) if r.illustrative else ""
        rows.append(row)
    return pd.DataFrame(rows)


def _indicator_text(
    value: float | None, kind: str, unit: str, lang: str, is_target: bool = False
) -> str:
    if value is None:
        return t("no_target", lang) if is_target else t("no_data", lang)
    if kind == "rate":
        return f"≥{value:.0f}%" if is_target else f"{value:.1f}%"
    return f"{value:,.0f} {unit}"


# --- figures ----------------------------------------------------------------------------------


def trend(
    monthly: pd.DataFrame,
    planned_fen: int,
    year: int,
    last_month: int,
    lang: str,
    previous: pd.DataFrame | None = None,
) -> go.Figure:
    """Monthly cumulative execution against the time-progress line, with the same months of
    the year before drawn against that year's own plan (where it has payments)."""
    previous_planned = None
    if previous is not None and not previous.empty:
        previous_planned = int(previous["planned_fen"].iloc[0]) or None
        if previous_planned is None:
            previous = None
    return charts.cumulative_trend(
        monthly,
        planned_fen,
        year,
        last_month,
        lang,
        previous=previous,
        previous_planned_fen=previous_planned,
    )


def ranking_chart(areas: pd.DataFrame, progress: float, lang: str, title: str) -> go.Figure:
    """Execution rate per area as horizontal bars, best on top, red, hatched and labelled
    "behind" when behind time progress; the time-progress line across."""
    frame = ranked(areas)
    frame = frame[frame["rate"].notna()].iloc[::-1]  # plotly draws the first bar at the bottom
    behind = [is_behind(r, progress) for r in frame["rate"]]
    colors = [COLORS["behind"] if b else COLORS["on_track"] for b in behind]
    fig = go.Figure()
    fig.add_bar(
        y=list(frame["name"]),
        x=list(frame["rate"]),
        orientation="h",
        marker_color=colors,
        marker_pattern_shape=["/" if b else "" for b in behind],
        text=[
            f"{pct(r)} · {t('behind' if b else 'on_track', lang)}"
            for r, b in zip(frame["rate"], behind, strict=True)
        ],
        textposition="auto",
        name=t("execution_rate", lang),
        customdata=[
            [wan_text(p), wan_text(d)]
            for p, d in zip(frame["planned_fen"], frame["disbursed_fen"], strict=True)
        ],
        hovertemplate="%{y}: %{x:.1%}<br>"
        + t("planned", lang)
        + " %{customdata[0]}<br>"
        + t("disbursed", lang)
        + " %{customdata[1]}<extra></extra>",
    )
    fig.add_vline(
        x=progress,
        line={"color": charts.COLORS["progress"], "dash": "dash"},
        annotation_text=f"{t('time_progress', lang)} {pct(progress)}",
        annotation_position="top",
    )
    fig.update_layout(
        title=title,
        font={"family": charts.FONT},
        height=max(260, 28 * len(frame) + 90),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis={"tickformat": ".0%", "rangemode": "tozero"},
        showlegend=False,
    )
    return fig


# --- where you are ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Crumb:
    label: str
    level: str  # what clicking it goes back to: measures, measure, province, prefecture

    @property
    def markdown(self) -> str:
        """The label for st.markdown: '7. 拓岗赋能' would otherwise start a numbered list."""
        return re.sub(r"^(\d+)\.", r"\1\\.", self.label)


def measure_trail(measure: str | None, line: str | None, lang: str) -> list[Crumb]:
    """全部措施 › 7. 拓岗赋能 › 7.3 情满陇原助残就业行动 (labels already formatted)."""
    trail = [Crumb(t("bud_all_measures", lang), "measures")]
    if measure:
        trail.append(Crumb(measure, "measure"))
        if line:
            trail.append(Crumb(line, "line"))
    return trail


def area_trail(prefecture: str | None, county: str | None, lang: str) -> list[Crumb]:
    """全省 › 天水市 › 秦州区."""
    trail = [Crumb(t("all_province", lang), "province")]
    if prefecture:
        trail.append(Crumb(prefecture, "prefecture"))
        if county:
            trail.append(Crumb(county, "county"))
    return trail


# --- exports ----------------------------------------------------------------------------------


def export_meta(values: Mapping[str, object], lang: str, demo: bool) -> dict[str, object]:
    """The filters as an export names them: label → value, with the demo notice when the
    database holds demo data. `values` maps label keys (year, period, …) to shown values."""
    meta = {t(key, lang): value for key, value in values.items()}
    meta[t("bud_money_unit", lang)] = t("bud_yuan", lang)
    if demo:
        meta[t("bud_note", lang)] = t("demo_notice", lang)
    return meta
