"""季通报 (quarterly briefing): one numbers object per quarter and area, and everything the
briefing shows or hands out built from it. No Streamlit here.

`collect` asks the same named queries as the budget, maps and contacts pages (through the
runner it is given) and `quarter_figures` turns their results into figures; `Briefing` holds
this quarter's and the previous quarter's. The screen tables, the summary sentences, the PPTX
(dashboard.pptx_export), the XLSX and the text file are all made from that one object, so a
figure reads the same everywhere: rates through `fmt.pct`, money through `fmt.wan_text` (万元)
or `fmt.yuan` (exports), behind or not through `budget_view.Execution` (the budget page's rule).
A gap in percentage points is the difference of the two percentages shown, so that a reader
who subtracts the figures on a slide gets the figure the slide states.

Figures are counted from 1 January to the quarter's end (year to date), as budget reports are;
"what changed" compares with the end of the previous quarter of the same year (the first
quarter has none: a year's budget and contact rule start afresh on 1 January)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go

from dashboard import budget_view, contacts_view, maps, quality_view, reporting_view
from dashboard.budget_view import Execution
from dashboard.exports import BOM, file_name, to_xlsx_bytes
from dashboard.fmt import pct, wan, wan_text, yuan
from dashboard.i18n import period_label, t
from dashboard.rules import CONTACT_RULE, as_of, time_progress
from data_access import budget, contacts, facilities, quality, queries, reporting
from data_access import notes as figure_notes
from data_access.contacts import COUNT_COLUMNS
from data_access.models import FACILITY_KINDS, FACILITY_STATUSES
from data_access.scope import PROVINCE, Filters, Scope, effective_area

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
SECTIONS = ("headline", "budget", "facilities", "compliance", "rankings", "changes", "quality")
RANK_SIZE = 3  # how many areas a red or black list names (fewer when there are few areas)
LEVELS = ("prefecture", "county")

# Presentation mode: constants only, never data. Hides the sidebar and Streamlit's header and
# sets type large enough to read from the back of a room on a 1920×1080 projector.
PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"],
[data-testid="stHeader"],
[data-testid="stToolbar"],
.st-key-br_head,
.st-key-br_controls { display: none !important; }
[data-testid="stMainBlockContainer"] {
  max-width: 100% !important; padding: 1rem 3rem 0.5rem 3rem !important;
}
[data-testid="stMain"] h1 { font-size: 3rem !important; }
[data-testid="stMain"] h2 { font-size: 2.5rem !important; padding-top: 0.5rem !important; }
[data-testid="stMain"] h3 { font-size: 2rem !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p { font-size: 1.6rem; line-height: 1.5; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.1rem; }
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.5rem !important; }
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 3.4rem !important; line-height: 1.2 !important;
}
[data-testid="stMetricDelta"] div,
[data-testid="stMetricDelta"] p { font-size: 1.5rem !important; }
[data-testid="stTable"] th,
[data-testid="stTable"] td {
  font-size: 1.25rem !important; padding: 0.3rem 0.6rem !important; white-space: nowrap;
}
[data-testid="stTable"] [data-testid="stMarkdownContainer"] p {
  font-size: 1.25rem !important; line-height: 1.3 !important;
}
[data-testid="stMain"] button p { font-size: 1.4rem; }
</style>
"""
PROJECTOR_FONT_SIZE = 20
PROJECTOR_CHART_HEIGHT = 600


# --- quarters ---------------------------------------------------------------------------------


def quarter_filters(filters: Filters, quarter: str) -> Filters:
    """The sidebar's year and area with the briefing's quarter."""
    if quarter not in QUARTERS:
        raise ValueError(f"quarter must be one of {QUARTERS}, not {quarter!r}")
    return Filters(filters.year, quarter, filters.prefecture, filters.county)


def briefing_filters(scope: Scope, filters: Filters, quarter: str) -> Filters:
    """The sidebar's year and area, clamped to the viewer's scope, with the briefing's quarter."""
    area = effective_area(scope, filters)
    return Filters(filters.year, quarter, area.prefecture, area.county)


def latest_quarter(year: int, today: dt.date, data_as_of: dt.date | None = None) -> str:
    """The latest quarter of the year that has ended by today and that the data reach (its
    last day on or before data_as_of); the first quarter if none has."""
    limit = min(today, data_as_of) if data_as_of else today
    done = [q for q in QUARTERS if Filters(year, q).end <= limit]
    return done[-1] if done else QUARTERS[0]


def previous_quarter(quarter: str) -> str | None:
    """The quarter before, within the same year (None for the first quarter)."""
    i = QUARTERS.index(quarter)
    return QUARTERS[i - 1] if i else None


def parse_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


# --- the numbers ------------------------------------------------------------------------------


def shown_points(a: float | None, b: float | None) -> float | None:
    """a − b in percentage points, as the difference of the two percentages shown (one
    decimal each): what a reader gets by subtracting the figures on the slide."""
    if a is None or b is None:
        return None
    return float(Decimal(pct(a)[:-1]) - Decimal(pct(b)[:-1]))


def execution(planned_fen: int, disbursed_fen: int, progress: float) -> Execution:
    """The budget page's verdict (rate, behind, shortfall), its gap to time progress taken
    between the shown percentages."""
    ex = Execution.of(planned_fen, disbursed_fen, progress)
    return replace(ex, gap_pp=shown_points(ex.rate, progress))


@dataclass(frozen=True)
class MeasureFigures:
    measure_id: int
    name: str
    has_money: bool
    planned_fen: int
    disbursed_fen: int
    execution: Execution

    @property
    def label(self) -> str:
        return budget_view.measure_label(self.measure_id, self.name)


@dataclass(frozen=True)
class FacilityFigures:
    """One facility type in one area (code None: the whole chosen area)."""

    code: str | None
    name: str
    kind: str
    target: int
    planned: int
    building: int
    operating: int
    suspended: int

    @property
    def share(self) -> float | None:
        """Operating ÷ target; None without a target."""
        return self.operating / self.target if self.target else None


@dataclass(frozen=True)
class ContactFigures:
    """Pairings of an area (or a cadre level) counted by contacts_view (measure 9)."""

    key: str
    name: str
    pairings: int
    compliant: int
    on_track: int
    behind: int
    at_risk: int
    never_contacted: int
    never_visited: int

    @property
    def rate(self) -> float | None:
        return contacts_view.rate(self.on_track, self.pairings)


@dataclass(frozen=True)
class AreaFigures:
    """A prefecture (or county) of the chosen area: money and contact compliance."""

    code: str
    name: str
    planned_fen: int
    disbursed_fen: int
    execution: Execution
    contacts: ContactFigures
    on_time_rate: float | None = None  # 报送及时率 of the quarter's ledgers (reporting_view)

    @property
    def has_plan(self) -> bool:
        return self.execution.rate is not None


@dataclass(frozen=True)
class QuarterFigures:
    """Everything the briefing says about one quarter's end, in one area."""

    quarter: str
    as_of: dt.date
    progress: float
    due_remote: int
    due_visits: int
    measures: tuple[MeasureFigures, ...]
    facilities: tuple[FacilityFigures, ...]  # per child area and type
    contacts: ContactFigures  # the whole area
    levels: tuple[ContactFigures, ...]  # per cadre level
    areas: tuple[AreaFigures, ...]  # per child area, official order
    # 数据完整度 of the quarter's ledgers: (areas complete, areas), and the on-time rate
    completeness: tuple[int, int] = (0, 0)
    on_time_rate: float | None = None

    @property
    def planned_fen(self) -> int:
        return sum(m.planned_fen for m in self.measures if m.has_money)

    @property
    def disbursed_fen(self) -> int:
        return sum(m.disbursed_fen for m in self.measures if m.has_money)

    @property
    def execution(self) -> Execution:
        return execution(self.planned_fen, self.disbursed_fen, self.progress)

    @property
    def with_money(self) -> tuple[MeasureFigures, ...]:
        return tuple(m for m in self.measures if m.has_money)

    @property
    def measures_behind(self) -> tuple[MeasureFigures, ...]:
        return tuple(m for m in self.with_money if m.execution.behind)

    def facility(self, kind: str) -> FacilityFigures:
        """One type summed over the child areas (so it equals the table's total row)."""
        rows = [f for f in self.facilities if f.kind == kind]
        sums = {s: sum(getattr(f, s) for f in rows) for s in ("target", *FACILITY_STATUSES)}
        return FacilityFigures(None, "", kind, **sums)

    @property
    def planned_areas(self) -> tuple[AreaFigures, ...]:
        return tuple(a for a in self.areas if a.has_plan)

    @property
    def areas_behind(self) -> int:
        return sum(bool(a.execution.behind) for a in self.areas)


def _int(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _contact_figures(key: str, name: str, row) -> ContactFigures:
    return ContactFigures(key, name, **{c: _int(row[c]) for c in COUNT_COLUMNS})


def quarter_figures(
    quarter: str,
    as_of: dt.date,
    progress: float,
    due_remote: int,
    due_visits: int,
    measures: pd.DataFrame,
    money_areas: pd.DataFrame,
    facility_areas: pd.DataFrame,
    counts: pd.DataFrame,
    contact_areas: pd.DataFrame,
    level: str,
    lang: str,
    reporting: pd.DataFrame | None = None,
) -> QuarterFigures:
    """One quarter from the queries' results:
    - measures: `queries.budget_by_measure`;
    - money_areas: `budget.by_prefecture` (level "prefecture") or `budget.by_county`;
    - facility_areas: `facilities.progress_by_area` at the same level;
    - counts: `contacts.compliance_counts`; contact_areas: `contacts.areas`;
    - reporting: the quarter's months of the reporting calendar (`reporting_view.cells`)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    measure_rows = tuple(
        MeasureFigures(
            measure_id=int(m.measure_id),
            name=m.name_zh if lang == "zh" else m.name_en,
            has_money=bool(m.lines),
            planned_fen=int(m.planned_fen),
            disbursed_fen=int(m.disbursed_fen),
            execution=execution(int(m.planned_fen), int(m.disbursed_fen), progress)
            if m.lines
            else Execution(None, None, None, None),
        )
        for m in measures.itertuples(index=False)
    )
    facility_rows = tuple(
        FacilityFigures(
            code=str(r.code),
            name=str(r.name),
            kind=str(r.kind),
            target=_int(r.target),
            planned=_int(r.planned),
            building=_int(r.building),
            operating=_int(r.operating),
            suspended=_int(r.suspended),
        )
        for r in facility_areas.itertuples(index=False)
    )
    totals = contacts_view.totals(counts)
    by_level = contacts_view.rollup(counts, "level")
    by_area = contacts_view.rollup(counts, level, contact_areas).set_index("key")
    code_column = f"{level}_code"
    on_time: dict[str, float | None] = {}
    completeness, overall = (0, 0), None
    if reporting is not None and not reporting.empty:
        rated = reporting_view.rates(reporting, level, by_month=False)
        on_time = dict(zip(rated["code"], rated["on_time_rate"], strict=True))
        completeness = reporting_view.completeness(reporting, level)
        overall = reporting_view.rates(reporting, "province", by_month=False)["on_time_rate"][0]
    area_rows = []
    for r in money_areas.itertuples(index=False):
        code = str(getattr(r, code_column))
        row = by_area.loc[code] if code in by_area.index else dict.fromkeys(COUNT_COLUMNS, 0)
        area_rows.append(
            AreaFigures(
                code=code,
                name=str(r.name),
                planned_fen=int(r.planned_fen),
                disbursed_fen=int(r.disbursed_fen),
                execution=execution(int(r.planned_fen), int(r.disbursed_fen), progress),
                contacts=_contact_figures(code, str(r.name), row),
                on_time_rate=on_time.get(code),
            )
        )
    return QuarterFigures(
        quarter=quarter,
        as_of=as_of,
        progress=progress,
        due_remote=int(due_remote),
        due_visits=int(due_visits),
        measures=measure_rows,
        facilities=facility_rows,
        contacts=_contact_figures("total", "", totals),
        levels=tuple(
            _contact_figures(str(r["key"]), contacts_view.level_name(r["key"], lang), r)
            for _, r in by_level.iterrows()
        ),
        areas=tuple(area_rows),
        completeness=completeness,
        on_time_rate=overall,
    )


# The figures a note (解读) can be about, and the section of the briefing that shows each.
NOTE_FIGURES = {
    "execution_rate": "budget",
    "disbursed": "budget",
    "love_huts": "facilities",
    "day_care": "facilities",
    "compliance_rate": "compliance",
    "ct_behind": "compliance",
    "ct_at_risk": "compliance",
}


@dataclass(frozen=True)
class Note:
    """A note on one figure of one area (data_access.notes), as the briefing shows it."""

    id: int
    area: str  # 全省, a prefecture's or a county's name
    figure: str  # a key of NOTE_FIGURES
    text: str
    author: str
    updated: dt.date

    def label(self, lang: str) -> str:
        return f"{self.area} · {t(self.figure, lang)}"


def notes_from(frame: pd.DataFrame, lang: str) -> tuple[Note, ...]:
    """Notes from `data_access.notes.for_quarter` (figures the briefing does not show dropped)."""
    province = t("all_province", lang)
    return tuple(
        Note(
            id=int(r.id),
            area=str(r.county if isinstance(r.county, str) else r.prefecture)
            if isinstance(r.prefecture, str)
            else province,
            figure=str(r.figure),
            text=str(r.text),
            author=str(r.author),
            updated=pd.Timestamp(r.updated_at).date(),
        )
        for r in frame.itertuples(index=False)
        if r.figure in NOTE_FIGURES
    )


@dataclass(frozen=True)
class QualityCount:
    """Open and checked findings of one data-quality rule in the briefing's area and year."""

    rule: str
    sentence: str
    severity: str
    open: int
    checked: int


@dataclass(frozen=True)
class Briefing:
    """The briefing of one quarter and area: what the page, the summary and the files show."""

    year: int
    lang: str
    area_name: str
    level: str  # the level of the areas ranked: prefecture (province) or county
    data_as_of: str
    demo: bool
    now: QuarterFigures
    before: QuarterFigures | None = None
    notes: tuple[Note, ...] = ()  # on the area and the areas within it, this quarter
    quality: tuple[QualityCount, ...] = ()

    @property
    def quarter(self) -> str:
        return self.now.quarter

    @property
    def quarter_name(self) -> str:
        return period_label(self.quarter, self.lang)

    @property
    def ranked_level(self) -> str | None:
        """The level ranked, or None when the area has a single county (nothing to rank)."""
        return self.level if len(self.now.areas) > 1 else None

    def level_name(self) -> str:
        return t(f"br_level_{self.level}", self.lang)

    def meta(self) -> dict[str, object]:
        """The filters as a file's first page lists them (label → value)."""
        lang = self.lang
        meta: dict[str, object] = {
            t("year", lang): self.year,
            t("br_quarter", lang): self.quarter_name,
            t("br_area", lang): self.area_name,
            t("br_counted_to", lang): self.now.as_of.isoformat(),
            t("br_data_as_of", lang): self.data_as_of,
            t("time_progress", lang): pct(self.now.progress),
        }
        complete, total = self.now.completeness
        if total:
            level = t(f"rep_level_{self.level}", lang)
            meta[t("rep_completeness_label", lang)] = f"{complete}/{total} {level}"
        if self.demo:
            meta[t("bud_note", lang)] = t("demo_notice", lang)
        return meta

    def file_name(self, ext: str) -> str:
        return file_name(
            t("br_file", self.lang), [self.year, self.quarter_name, self.area_name], ext
        )

    def title(self) -> str:
        return t("br_doc_title", self.lang, year=self.year, quarter=self.quarter_name)


Runner = Callable[..., object]  # run(query_function, *args) → the query's result


def named_area(run: Runner, filters: Filters, lang_: str) -> str:
    """The chosen area as people say it (全省, 天水市, 天水市 · 秦州区), its names asked through
    `run(fn, *args)`: the sidebar's cached query, or an engine's."""
    if not filters.prefecture:
        return t("all_province", lang_)
    prefs = run(queries.prefectures, PROVINCE)
    name = dict(zip(prefs["code"], prefs["name"], strict=True))[filters.prefecture]
    if filters.county:
        counties = run(queries.counties, PROVINCE, filters.prefecture)
        name += " · " + dict(zip(counties["code"], counties["name"], strict=True))[filters.county]
    return name


def collect(
    run: Runner, scope: Scope, filters: Filters, lang: str, area_name: str, facts: dict
) -> Briefing:
    """Ask the named queries of the budget, maps and contacts pages for the quarter of
    `filters` and the quarter before, and build the Briefing. `run(fn, *args)` runs one query:
    the page passes `dashboard.data.query` (cached), tests call the function on an engine.
    `filters` come from `briefing_filters` (clamped to the scope, period a quarter)."""
    level = "county" if filters.prefecture else "prefecture"
    rule, today = reporting_view.REPORTING_RULE, dt.date.today()

    def figures(f: Filters) -> QuarterFigures:
        day = as_of(f)
        std = CONTACT_RULE.standard(day)
        areas = run(contacts.areas, scope, f)
        calendar = reporting_view.cells(
            rule,
            areas,
            run(reporting.receipts, scope, f, rule.all_ledgers),
            f.year,
            f.end.month,
            today,
        )
        calendar = calendar[calendar["month"] >= f.period_start]
        by_area = budget.by_prefecture if level == "prefecture" else budget.by_county
        return quarter_figures(
            f.period,
            day,
            time_progress(f),
            std.due.remote,
            std.due.visits,
            run(queries.budget_by_measure, scope, f),
            run(by_area, scope, f),
            run(facilities.progress_by_area, scope, f, level),
            run(contacts.compliance_counts, scope, f, std),
            areas,
            level,
            lang,
            calendar,
        )

    th = quality_view.THRESHOLDS
    found = run(quality.findings, scope, filters, th, today)
    checked = found["reviewed_by"].notna()
    quality_counts = tuple(
        QualityCount(
            r.id,
            quality_view.sentence(r.id, th, lang),
            r.severity,
            int(((found["rule"] == r.id) & ~checked).sum()),
            int(((found["rule"] == r.id) & checked).sum()),
        )
        for r in quality.RULES
    )
    before = previous_quarter(filters.period)
    return Briefing(
        year=filters.year,
        lang=lang,
        area_name=area_name,
        level=level,
        data_as_of=str(facts.get("data_as_of") or "—"),
        demo=facts.get("contents") == "demo",
        now=figures(filters),
        before=figures(quarter_filters(filters, before)) if before else None,
        notes=notes_from(
            run(
                figure_notes.for_quarter,
                scope,
                filters.year,
                filters.period,
                filters.prefecture,
                filters.county,
            ),
            lang,
        ),
        quality=quality_counts,
    )


def section_notes(b: Briefing, section: str) -> list[Note]:
    """The notes shown with a section: on its figures, in the order of NOTE_FIGURES."""
    order = list(NOTE_FIGURES)
    return sorted(
        (n for n in b.notes if NOTE_FIGURES[n.figure] == section),
        key=lambda n: order.index(n.figure),
    )


def note_line(note: Note, lang: str) -> str:
    """'天水市 · 预算执行率：12月集中拨付……' for speaker notes and the text file."""
    return f"{note.label(lang)}{'：' if lang == 'zh' else ': '}{note.text}"


def notes_table(b: Briefing) -> pd.DataFrame:
    """The quarter's notes on the area and the areas within it: area, figure, note, author."""
    lang = b.lang
    columns = [t(k, lang) for k in ("note_area", "note_figure", "note_text", "note_author",
                                    "note_updated")]  # fmt: skip
    return pd.DataFrame(
        [[n.area, t(n.figure, lang), n.text, n.author, n.updated.isoformat()] for n in b.notes],
        columns=columns,
    )


def meta_table(b: Briefing) -> pd.DataFrame:
    """The filters, dates and notice as a two-column table (the cover)."""
    meta = b.meta()
    return pd.DataFrame(
        {t("br_figure", b.lang): list(meta), t("br_text", b.lang): [str(v) for v in meta.values()]}
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#<>|~$])")


def markdown_safe(text: str) -> str:
    """Text for st.markdown shown as written: no emphasis, links or lists from the data."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", text)


def markdown_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for st.table, which renders its cells as markdown ('1. 强基固本' would become a
    numbered list): every text cell shown as written."""
    return frame.map(lambda v: markdown_safe(v) if isinstance(v, str) else v)


def when_text(figures: QuarterFigures, lang: str) -> str:
    """'第二季度末（2024-06-30）', or the day itself while the quarter is still running."""
    if figures.as_of == Filters(figures.as_of.year, figures.quarter).end:
        return t(
            "br_when_end", lang, quarter=period_label(figures.quarter, lang), day=figures.as_of
        )
    return t("br_when_day", lang, quarter=period_label(figures.quarter, lang), day=figures.as_of)


# --- headline figures (the page's metrics and the slide's cards) -------------------------------


def gap_text(ex: Execution) -> str | None:
    """The gap to time progress as the metric's delta: '-1.4 pp'."""
    return None if ex.gap_pp is None else f"{ex.gap_pp:+.1f} pp"


def operating_text(facility: FacilityFigures) -> str:
    return f"{facility.operating:,} / {facility.target:,}"


def areas_behind_text(figures: QuarterFigures) -> str:
    return f"{figures.areas_behind} / {len(figures.planned_areas)}"


def headline(b: Briefing) -> list[tuple[str, str, str | None]]:
    """(label, value, delta) of the headline figures, in the order shown."""
    lang, now = b.lang, b.now
    rows: list[tuple[str, str, str | None]] = [
        (t("planned", lang), wan_text(now.planned_fen), None),
        (t("disbursed", lang), wan_text(now.disbursed_fen), None),
        (t("execution_rate", lang), pct(now.execution.rate), gap_text(now.execution)),
        (t("time_progress", lang), pct(now.progress), None),
        (t("love_huts", lang), operating_text(now.facility("love_hut")), None),
        (t("day_care", lang), operating_text(now.facility("day_care")), None),
        (t("compliance_rate", lang), pct(now.contacts.rate), None),
    ]
    if b.ranked_level:
        rows.append(
            (t("br_areas_behind", lang, level=b.level_name()), areas_behind_text(now), None)
        )
    else:
        rows.append((t("ct_behind", lang), f"{now.contacts.behind:,}", None))
    return rows


# --- tables: strings on screen and on slides, numbers in the workbook ---------------------------


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}"


def measures_table(b: Briefing, unit: str = "wan") -> pd.DataFrame:
    """The ten measures against time progress: text on screen ("wan"), numbers in full yuan
    and percent in the workbook ("yuan")."""
    lang, rows = b.lang, []
    for m in b.now.measures:
        ex = m.execution
        row = {t("measure", lang): m.label}
        if unit == "wan":
            row[t("planned", lang)] = wan_text(m.planned_fen) if m.has_money else "—"
            row[t("disbursed", lang)] = wan_text(m.disbursed_fen) if m.has_money else "—"
            row[t("execution_rate", lang)] = pct(ex.rate)
            row[t("gap_pp", lang)] = _points(ex.gap_pp)
        else:
            row[t("bud_planned_yuan", lang)] = yuan(m.planned_fen) if m.has_money else None
            row[t("bud_disbursed_yuan", lang)] = yuan(m.disbursed_fen) if m.has_money else None
            row[t("bud_rate_pct", lang)] = _percent_number(ex.rate)
            row[t("gap_pp", lang)] = ex.gap_pp
        row[t("status", lang)] = ex.status(lang)
        rows.append(row)
    return pd.DataFrame(rows)


def _percent_number(rate: float | None) -> float | None:
    """A rate as the percentage shown on screen (one decimal), for a workbook cell."""
    return None if rate is None else float(pct(rate).rstrip("%"))


def facility_frame(figures: QuarterFigures) -> pd.DataFrame:
    """The facility rows as `facilities.progress_by_area` returns them (for the maps builders)."""
    columns = ["code", "name", "kind", "target", *FACILITY_STATUSES]
    return pd.DataFrame(
        [[getattr(f, c) for c in columns] for f in figures.facilities], columns=columns
    )


def facilities_table(b: Briefing, unit: str = "text") -> pd.DataFrame:
    """Per area: allocation, operating, under way, suspended and progress of both types, with
    a total row (maps.progress_table); progress as text ("text") or percent numbers."""
    table = maps.progress_table(facility_frame(b.now), b.lang)
    for kind in FACILITY_KINDS:
        column = t("map_col_rate", b.lang, kind=t(maps.KIND_LABELS[kind], b.lang))
        rates = [None if pd.isna(v) else float(v) for v in table[column]]
        table[column] = (
            [pct(v) for v in rates] if unit == "text" else [_percent_number(v) for v in rates]
        )
    return table


def facility_overview_table(b: Briefing) -> pd.DataFrame:
    """The facilities table cut to what a slide or a projector has room for: per area the
    allocation, operating and progress of both types."""
    table = facilities_table(b)
    keep = [table.columns[0]]
    for kind in FACILITY_KINDS:
        name = t(maps.KIND_LABELS[kind], b.lang)
        keep += [t(f"map_col_{c}", b.lang, kind=name) for c in ("target", "operating", "rate")]
    return table[keep]


def _contacts_frame(rows: tuple[ContactFigures, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"key": r.key, "name": r.name, **{c: getattr(r, c) for c in COUNT_COLUMNS}}
            | {"rate": r.rate}
            for r in rows
        ]
    )


def levels_table(b: Briefing, unit: str = "text") -> pd.DataFrame:
    """Compliance by cadre level with a total row (contacts_view.compliance_table)."""
    table = contacts_view.compliance_table(_contacts_frame(b.now.levels), "level", b.lang)
    column = t("compliance_rate", b.lang)
    rates = [None if pd.isna(v) else float(v) for v in table[column]]
    table[column] = (
        [pct(v) for v in rates] if unit == "text" else [_percent_number(v) for v in rates]
    )
    return table


def execution_ranking(figures: QuarterFigures) -> list[AreaFigures]:
    """Areas with a plan, best execution rate first (ties in official order)."""
    return sorted(figures.planned_areas, key=lambda a: -a.execution.rate)


def compliance_ranking(figures: QuarterFigures) -> list[AreaFigures]:
    """Areas with pairings, best compliance rate first (ties in official order)."""
    return sorted((a for a in figures.areas if a.contacts.pairings), key=lambda a: -a.contacts.rate)


def reporting_ranking(figures: QuarterFigures) -> list[AreaFigures]:
    """Areas with ledgers due in the quarter, best on-time rate first (ties in official order)."""
    return sorted(
        (a for a in figures.areas if a.on_time_rate is not None), key=lambda a: -a.on_time_rate
    )


def lists(ranking: list[AreaFigures]) -> tuple[list[AreaFigures], list[AreaFigures]]:
    """The red list (best first) and the black list (worst first); they never overlap."""
    size = min(RANK_SIZE, len(ranking) // 2)
    if not size:
        return [], []
    return ranking[:size], ranking[::-1][:size]


def _named(area: AreaFigures, rate: float | None, lang: str) -> str:
    return f"{area.name}（{pct(rate)}）" if lang == "zh" else f"{area.name} ({pct(rate)})"


def honour_table(b: Briefing) -> pd.DataFrame:
    """红黑榜: for each place on the red and black lists, the area and its rate, by execution
    rate and by contact compliance."""
    lang = b.lang
    ex_red, ex_black = lists(execution_ranking(b.now))
    ct_red, ct_black = lists(compliance_ranking(b.now))
    rp_red, rp_black = lists(reporting_ranking(b.now))
    rows = []
    for board, ex, ct, rp in (
        ("br_red", ex_red, ct_red, rp_red),
        ("br_black", ex_black, ct_black, rp_black),
    ):
        for i in range(max(len(ex), len(ct), len(rp))):
            rows.append(
                {
                    t("br_board", lang): t(board, lang),
                    t("bud_rank", lang): i + 1,
                    t("execution_rate", lang): _named(ex[i], ex[i].execution.rate, lang)
                    if i < len(ex)
                    else "—",
                    t("compliance_rate", lang): _named(ct[i], ct[i].contacts.rate, lang)
                    if i < len(ct)
                    else "—",
                    t("rep_on_time_rate", lang): _named(rp[i], rp[i].on_time_rate, lang)
                    if i < len(rp)
                    else "—",
                }
            )
    columns = [
        t(k, lang)
        for k in ("br_board", "bud_rank", "execution_rate", "compliance_rate", "rep_on_time_rate")
    ]
    return pd.DataFrame(rows, columns=columns)


def ranking_table(b: Briefing, unit: str = "text") -> pd.DataFrame:
    """Every area ranked by execution rate, with its gap, status and contact compliance."""
    lang, rows = b.lang, []
    ranked = execution_ranking(b.now)
    order = ranked + [a for a in b.now.areas if not a.has_plan]
    for rank, a in enumerate(order, start=1):
        ex = a.execution
        row = {
            t("bud_rank", lang): rank if a.has_plan else None,
            t(b.level, lang): a.name,
        }
        if unit == "text":
            row[t("planned", lang)] = wan_text(a.planned_fen)
            row[t("disbursed", lang)] = wan_text(a.disbursed_fen)
            row[t("execution_rate", lang)] = pct(ex.rate)
            row[t("gap_pp", lang)] = _points(ex.gap_pp)
            row[t("compliance_rate", lang)] = pct(a.contacts.rate)
        else:
            row[t("bud_planned_yuan", lang)] = yuan(a.planned_fen)
            row[t("bud_disbursed_yuan", lang)] = yuan(a.disbursed_fen)
            row[t("bud_rate_pct", lang)] = _percent_number(ex.rate)
            row[t("gap_pp", lang)] = ex.gap_pp
            row[t("br_compliance_pct", lang)] = _percent_number(a.contacts.rate)
        row[t("status", lang)] = ex.status(lang)
        row[t("ct_pairings", lang)] = a.contacts.pairings
        rows.append(row)
    out = pd.DataFrame(rows)
    if not out.empty:
        out[t("bud_rank", lang)] = out[t("bud_rank", lang)].astype("Int64")
    return out


# --- what changed since the previous quarter ----------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One figure at both quarter ends: `kind` is rate (change in percentage points), count
    or money (fen)."""

    key: str
    kind: str
    before: float | int | None
    now: float | int | None

    @property
    def delta(self) -> float | int | None:
        if self.before is None or self.now is None:
            return None
        if self.kind == "rate":
            return shown_points(self.now, self.before)
        return self.now - self.before

    def value_text(self, value) -> str:
        if self.kind == "rate":
            return pct(value)
        if self.kind == "money":
            return wan_text(value)
        return "—" if value is None else f"{value:,}"

    def delta_text(self, lang: str) -> str:
        d = self.delta
        if d is None:
            return "—"
        if self.kind == "rate":
            return t("br_delta_pp", lang, d=f"{d:+.1f}")
        if self.kind == "money":
            return t("br_delta_wan", lang, d=f"{wan(d):+,.2f}")
        return t("br_delta_n", lang, d=f"{d:+,}")


def changes(b: Briefing) -> list[Change]:
    """The figures compared with the previous quarter's end (empty for the first quarter)."""
    before, now = b.before, b.now
    if before is None:
        return []

    def pair(key: str, kind: str, get) -> Change:
        return Change(key, kind, get(before), get(now))

    rows = [
        pair("disbursed", "money", lambda q: q.disbursed_fen),
        pair("execution_rate", "rate", lambda q: q.execution.rate),
        pair("time_progress", "rate", lambda q: q.progress),
        pair("br_measures_behind", "count", lambda q: len(q.measures_behind)),
    ]
    if b.ranked_level:
        rows.append(pair("br_areas_behind", "count", lambda q: q.areas_behind))
    rows += [
        pair("love_huts", "count", lambda q: q.facility("love_hut").operating),
        pair("day_care", "count", lambda q: q.facility("day_care").operating),
        pair("compliance_rate", "rate", lambda q: q.contacts.rate),
        pair("ct_behind", "count", lambda q: q.contacts.behind),
        pair("ct_at_risk", "count", lambda q: q.contacts.at_risk),
    ]
    return rows


def change_label(b: Briefing, change: Change) -> str:
    return t(change.key, b.lang, level=b.level_name())


def changes_table(b: Briefing, unit: str = "text") -> pd.DataFrame:
    """Figure | previous quarter's end | this quarter's end | change; as text, or as numbers
    (rates in percent, money in yuan) with the change in its own unit."""
    lang = b.lang
    before_label = (
        t("br_at_end", lang, quarter=period_label(b.before.quarter, lang)) if b.before else ""
    )
    now_label = t("br_at_end", lang, quarter=b.quarter_name)
    rows = []
    for c in changes(b):
        label = change_label(b, c)
        if unit == "text":
            rows.append(
                {
                    t("br_figure", lang): label,
                    before_label: c.value_text(c.before),
                    now_label: c.value_text(c.now),
                    t("br_change", lang): c.delta_text(lang),
                }
            )
            continue
        if c.kind == "rate":
            values = (_percent_number(c.before), _percent_number(c.now), c.delta)
            unit_text = t("br_unit_pct", lang)
        elif c.kind == "money":
            values = (yuan(c.before), yuan(c.now), yuan(c.delta))
            unit_text = t("bud_yuan", lang)
        else:
            values = (c.before, c.now, c.delta)
            unit_text = t("br_unit_count", lang)
        rows.append(
            {
                t("br_figure", lang): label,
                t("bud_unit", lang): unit_text,
                before_label: values[0],
                now_label: values[1],
                t("br_change", lang): values[2],
            }
        )
    return pd.DataFrame(rows)


# --- the summary sentences ----------------------------------------------------------------------


def _versus(ex: Execution, progress: float, lang: str) -> str:
    if ex.rate is None:
        return t("br_vs_no_money", lang)
    gap = ex.gap_pp
    if ex.behind and gap:
        return t("br_vs_below", lang, progress=pct(progress), gap=f"{abs(gap):.1f}")
    if gap and gap > 0:
        return t("br_vs_above", lang, progress=pct(progress), gap=f"{gap:.1f}")
    return t("br_vs_equal", lang, progress=pct(progress))


def _join(items: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _facility_clause(f: FacilityFigures, lang: str) -> str:
    return t(
        "br_s_facility",
        lang,
        kind=t(maps.KIND_LABELS[f.kind], lang),
        target=f"{f.target:,}",
        operating=f"{f.operating:,}",
        share=pct(f.share),
        building=f"{f.building:,}",
        planned=f"{f.planned:,}",
        suspended=f"{f.suspended:,}",
    )


def summary(b: Briefing) -> dict[str, str]:
    """One paragraph per section, in the order of SECTIONS; every number in it is formatted
    by the same function from the same figure as the page and the files show it."""
    lang, now = b.lang, b.now
    ex = now.execution
    huts, care = now.facility("love_hut"), now.facility("day_care")
    compliance = (
        t("br_s_compliance_rate", lang, rate=pct(now.contacts.rate))
        if now.contacts.pairings
        else t("br_s_no_pairings", lang)
    )
    areas = (
        t(
            "br_s_areas_behind",
            lang,
            n=len(now.planned_areas),
            k=now.areas_behind,
            level=b.level_name(),
        )
        if b.ranked_level and now.planned_areas
        else ""
    )
    out = {
        "headline": t(
            "br_s_lead",
            lang,
            when=when_text(now, lang),
            area=b.area_name,
            rate=pct(ex.rate),
            versus=_versus(ex, now.progress, lang),
            areas=areas + t("br_sep", lang) if areas else "",
            huts=f"{huts.operating:,}",
            huts_target=f"{huts.target:,}",
            care=f"{care.operating:,}",
            care_target=f"{care.target:,}",
            compliance=compliance,
        )
    }

    money = now.with_money
    behind = now.measures_behind
    budget = t(
        "br_s_budget",
        lang,
        n=len(money),
        planned=wan_text(now.planned_fen),
        disbursed=wan_text(now.disbursed_fen),
        rate=pct(ex.rate),
    )
    if behind:
        budget += t(
            "br_s_measures_behind",
            lang,
            k=len(behind),
            items=_join(
                [
                    f"{m.label}（{pct(m.execution.rate)}）"
                    if lang == "zh"
                    else f"{m.label} ({pct(m.execution.rate)})"
                    for m in behind
                ],
                lang,
            ),
        )
    elif money:
        budget += t("br_s_measures_on_track", lang)
    rated = [m for m in money if m.execution.rate is not None]  # a line planned nothing here
    if len(rated) > 1:
        ordered = sorted(rated, key=lambda m: -m.execution.rate)
        budget += t(
            "br_s_measures_range",
            lang,
            best=ordered[0].label,
            best_rate=pct(ordered[0].execution.rate),
            worst=ordered[-1].label,
            worst_rate=pct(ordered[-1].execution.rate),
        )
    out["budget"] = budget

    out["facilities"] = (
        _facility_clause(huts, lang)
        + t("br_sep", lang)
        + _facility_clause(care, lang)
        + t("br_end", lang)
    )

    c = now.contacts
    out["compliance"] = (
        t(
            "br_s_contacts",
            lang,
            day=now.as_of.isoformat(),
            remote=now.due_remote,
            visits=now.due_visits,
            pairings=f"{c.pairings:,}",
            on_track=f"{c.on_track:,}",
            rate=pct(c.rate),
            behind=f"{c.behind:,}",
            at_risk=f"{c.at_risk:,}",
            never_visited=f"{c.never_visited:,}",
        )
        if c.pairings
        else t("br_s_no_pairings", lang) + t("br_end", lang)
    )

    if b.ranked_level:
        ex_red, ex_black = lists(execution_ranking(now))
        ct_red, ct_black = lists(compliance_ranking(now))
        rankings = areas + t("br_sep", lang) if areas else ""
        if ex_red:
            rankings += t(
                "br_s_boards",
                lang,
                what=t("execution_rate", lang),
                red=_join([_named(a, a.execution.rate, lang) for a in ex_red], lang),
                black=_join([_named(a, a.execution.rate, lang) for a in ex_black], lang),
            )
        if ct_red:
            rankings += t(
                "br_s_boards",
                lang,
                what=t("compliance_rate", lang),
                red=_join([_named(a, a.contacts.rate, lang) for a in ct_red], lang),
                black=_join([_named(a, a.contacts.rate, lang) for a in ct_black], lang),
            )
        rp_red, rp_black = lists(reporting_ranking(now))
        if rp_red:
            rankings += t(
                "br_s_boards",
                lang,
                what=t("rep_on_time_rate", lang),
                red=_join([_named(a, a.on_time_rate, lang) for a in rp_red], lang),
                black=_join([_named(a, a.on_time_rate, lang) for a in rp_black], lang),
            )
        out["rankings"] = rankings or t("br_s_no_ranking", lang)
    else:
        out["rankings"] = t("br_s_no_ranking", lang)

    if b.before is None:
        out["changes"] = t("br_s_no_previous", lang, quarter=b.quarter_name)
    else:
        parts = [
            t(
                "br_s_change_item",
                lang,
                what=change_label(b, c),
                before=c.value_text(c.before),
                now=c.value_text(c.now),
                delta=c.delta_text(lang),
            )
            for c in changes(b)
        ]
        out["changes"] = (
            t("br_s_changes", lang, quarter=period_label(b.before.quarter, lang))
            + ("；" if lang == "zh" else "; ").join(parts)
            + t("br_end", lang)
        )
    out["quality"] = quality_paragraph(b)
    return out


def quality_table(b: Briefing) -> pd.DataFrame:
    """The data-quality rules that found something: rule, severity, open and checked."""
    lang = b.lang
    rows = [q for q in b.quality if q.open or q.checked]
    return pd.DataFrame(
        {
            t("dq_rule", lang): [q.sentence for q in rows],
            t("dq_severity", lang): [t(f"dq_severity_{q.severity}", lang) for q in rows],
            t("dq_open", lang): [q.open for q in rows],
            t("dq_checked", lang): [q.checked for q in rows],
        }
    )


def quality_paragraph(b: Briefing) -> str:
    """数据质量: how complete the ledgers are and what the rules found that is not checked yet,
    the rules of high severity first."""
    lang, now = b.lang, b.now
    parts = []
    complete, total = now.completeness
    if total:
        parts.append(
            t(
                "br_s_reporting",
                lang,
                completeness=t(
                    "rep_completeness",
                    lang,
                    complete=complete,
                    total=total,
                    level=t(f"rep_level_{b.level}", lang),
                ),
                rate=pct(now.on_time_rate),
            )
        )
    found = sorted((q for q in b.quality if q.open), key=lambda q: (q.severity != "high", -q.open))
    if found:
        items = [
            f"{q.sentence}{q.open:,}项" if lang == "zh" else f"{q.sentence}: {q.open:,}"
            for q in found[:4]
        ]
        parts.append(
            t("br_s_quality", lang, n=f"{sum(q.open for q in found):,}", items=_join(items, lang))
        )
    else:
        parts.append(t("br_s_quality_none", lang))
    return "".join(parts)


def section_title(section: str, lang: str) -> str:
    return t(f"br_section_{section}", lang)


NUMERALS = "一二三四五六七八九十"


def summary_text(b: Briefing) -> str:
    """The summary for an official document: title, filters, notice, then one numbered
    paragraph per section."""
    lang = b.lang
    lines = [b.title(), ""]
    lines += [
        f"{label}：{value}" if lang == "zh" else f"{label}: {value}"
        for label, value in b.meta().items()
    ]
    lines.append("")
    for i, (section, text) in enumerate(summary(b).items()):
        heading = (
            f"{NUMERALS[i]}、{section_title(section, lang)}"
            if lang == "zh"
            else f"{i + 1}. {section_title(section, lang)}"
        )
        lines += [heading, ("　　" if lang == "zh" else "") + text, ""]
    return "\r\n".join(lines)


def summary_bytes(b: Briefing) -> bytes:
    """The summary as a text file: UTF-8 with a byte-order mark and CRLF line ends, so that
    Notepad and WPS open it correctly on a Windows desktop."""
    return (BOM + summary_text(b)).encode("utf-8")


def workbook_bytes(b: Briefing) -> bytes:
    """XLSX: the filters sheet first (with the data-as-of date and the notice), then the
    summary and one sheet per table, money in full yuan."""
    lang = b.lang
    sheets: dict[str, pd.DataFrame] = {
        t("br_sheet_summary", lang): pd.DataFrame(
            {
                t("br_section", lang): [section_title(s, lang) for s in summary(b)],
                t("br_text", lang): list(summary(b).values()),
            }
        ),
        t("br_section_budget", lang): measures_table(b, unit="yuan"),
        t("br_section_facilities", lang): facilities_table(b, unit="number"),
        t("br_section_compliance", lang): levels_table(b, unit="number"),
    }
    if b.ranked_level:
        sheets[t("br_sheet_ranking", lang)] = ranking_table(b, unit="yuan")
        sheets[t("br_sheet_boards", lang)] = honour_table(b)
    if b.before is not None:
        sheets[t("br_section_changes", lang)] = changes_table(b, unit="number")
    sheets[t("br_section_quality", lang)] = quality_table(b)
    return to_xlsx_bytes(sheets, b.meta(), meta_sheet=t("bud_sheet_filters", lang))


# --- figures on the page ------------------------------------------------------------------------


def _money_frame(rows, name) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"name": name(r), "planned_fen": r.planned_fen, "disbursed_fen": r.disbursed_fen}
            for r in rows
        ],
        columns=["name", "planned_fen", "disbursed_fen"],
    )


def measures_figure(b: Briefing) -> go.Figure:
    """Execution rate of each measure with money against the time-progress line."""
    frame = _money_frame(b.now.with_money, lambda m: m.label)
    return budget_view.ranking_chart(frame, b.now.progress, b.lang, t("br_measures_chart", b.lang))


def areas_figure(b: Briefing) -> go.Figure:
    """Execution rate of each area, best on top, against the time-progress line."""
    frame = _money_frame(b.now.areas, lambda a: a.name)
    return budget_view.ranking_chart(
        frame, b.now.progress, b.lang, t("br_areas_chart", b.lang, level=b.level_name())
    )


def compliance_figure(b: Briefing) -> go.Figure:
    """Contact compliance of each area, the whole area's rate as a dashed line."""
    frame = _contacts_frame(tuple(a.contacts for a in b.now.areas))
    return contacts_view.ranking_figure(frame, b.lang, b.now.contacts.rate)


def facilities_figure(b: Briefing) -> go.Figure:
    return maps.progress_figure(facility_frame(b.now), b.lang)


def for_projector(fig: go.Figure) -> go.Figure:
    """The same figure with type and height for one screen of a projector, sizes set on every
    part (axes, legend, annotations, bar labels). Draw it without Streamlit's chart theme
    (`theme=None`), which sets its own small type on those parts."""
    size = PROJECTOR_FONT_SIZE
    out = go.Figure(fig)
    out.update_layout(
        template="plotly_white",
        font={"size": size},
        height=PROJECTOR_CHART_HEIGHT,
        title={"font": {"size": size + 4}},
        legend={"font": {"size": size}},
        hoverlabel={"font": {"size": size}},
    )
    out.update_xaxes(tickfont={"size": size}, title_font={"size": size})
    out.update_yaxes(tickfont={"size": size}, title_font={"size": size})
    out.update_annotations(font_size=size)
    out.update_traces(textfont_size=size, selector={"type": "bar"})
    return out
