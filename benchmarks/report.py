"""The targets of issue 10, how each is judged, and the table written to docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from benchmarks.env import MB, view_name
from dashboard.i18n import t

# Targets (province scale, medians of repeated runs).
WARM_MAX_S = 0.3
COLD_MAX_S = 2.0
PAGE_OVER_SQL_MAX = 1.5
FASTER_MIN = 10.0
LESS_MEMORY_MIN = 5.0
MESSAGE_MAX = 2 * MB
BOUNDARIES_MAX = 1 * MB
SESSIONS_MAX = 500 * MB
SESSIONS = 10


def median(values) -> float | None:
    values = [v for v in values or [] if v is not None]
    return statistics.median(values) if values else None


@dataclass
class PageResult:
    page: str
    probe: dict
    naive: dict | None = None
    figures_agree: bool | None = None
    figures_note: str = ""

    @property
    def name(self) -> str:
        return view_name(self.page)

    @property
    def title(self) -> str:
        return self.probe.get("title") or ""

    @property
    def failed(self) -> str | None:
        return self.probe.get("failed")

    @property
    def cold(self) -> float | None:
        return median(self.probe.get("cold"))

    @property
    def warm(self) -> float | None:
        return median(self.probe.get("warm"))

    @property
    def sql(self) -> float | None:
        return median(self.probe.get("sql"))

    @property
    def execute(self) -> float | None:
        return median(self.probe.get("execute"))

    @property
    def over_sql(self) -> float | None:
        if self.cold is None or not self.sql:
            return None
        return self.cold / self.sql

    @property
    def naive_time(self) -> float | None:
        return median(self.naive.get("times")) if self.naive and self.naive.get("naive") else None

    @property
    def faster(self) -> float | None:
        if self.naive_time is None or not self.cold:
            return None
        return self.naive_time / self.cold

    @property
    def faster_data(self) -> float | None:
        """The naive baseline against the page's SQL alone (data work against data work)."""
        if self.naive_time is None or not self.sql:
            return None
        return self.naive_time / self.sql

    @property
    def memory(self) -> int | None:
        return self.probe.get("work_memory")

    @property
    def naive_memory(self) -> int | None:
        return self.naive.get("work_memory") if self.naive and self.naive.get("naive") else None

    @property
    def less_memory(self) -> float | None:
        if self.naive_memory is None or not self.memory:
            return None
        return self.naive_memory / self.memory

    @property
    def largest(self) -> int | None:
        return (self.probe.get("messages") or {}).get("largest")

    @property
    def largest_kind(self) -> str:
        return (self.probe.get("messages") or {}).get("largest_kind", "")

    @property
    def messages_total(self) -> float | None:
        return self.probe.get("messages_total")

    @property
    def peak(self) -> int | None:
        return self.probe.get("peak_process")

    @property
    def problems(self) -> list[str]:
        return self.probe.get("problems") or []


@dataclass
class BackendRun:
    backend: str  # sqlite / postgresql
    url: str  # without password
    scale: str
    counts: dict[str, int]
    pages: list[PageResult]
    boundaries: dict
    sessions: dict | None
    runs: int
    reused: bool = False
    build_seconds: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Check:
    target: str
    measured: str
    met: bool | None  # None: not measured / not applicable

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "not measured"}[self.met]


# --- formatting -------------------------------------------------------------------------------


def _s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _x(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}×"


def _mb(x: float | None) -> str:
    return "—" if x is None else f"{x / MB:.0f}"


def _kb(x: float | None) -> str:
    return "—" if x is None else f"{x / 1000:,.0f}"


def _worst(pages: list[PageResult], value, higher_is_worse: bool = True):
    known = [(value(p), p) for p in pages if value(p) is not None]
    if not known:
        return None, None
    return (max if higher_is_worse else min)(known, key=lambda vp: vp[0])


# --- targets ----------------------------------------------------------------------------------


def _ratio_check(pages, label: str, value_of, limit: float, higher_is_worse: bool) -> Check:
    """A ratio target over the pages that have the ratio: the worst page, and every page past
    the limit (over it, or under it where higher is better)."""
    known = [p for p in pages if value_of(p) is not None]
    past = [
        p.name for p in known if (value_of(p) > limit if higher_is_worse else value_of(p) < limit)
    ]
    value, page = _worst(known, value_of, higher_is_worse)
    if page is None:
        return Check(label, "—", None)
    word = ("highest", "over") if higher_is_worse else ("lowest", "under")
    return Check(
        label,
        f"{word[0]} {value:.1f}× ({page.name})"
        + (f"; {word[1]} on {', '.join(past)}" if past else ""),
        not past,
    )


def checks(run: BackendRun) -> list[Check]:
    pages = [p for p in run.pages if not p.failed]
    out = []

    for label, value_of, limit in (
        (f"warm rerun ≤ {WARM_MAX_S} s (every page)", lambda p: p.warm, WARM_MAX_S),
        (f"cold run ≤ {COLD_MAX_S:g} s (every page)", lambda p: p.cold, COLD_MAX_S),
    ):
        value, page = _worst(pages, value_of)
        over = [p.name for p in pages if value_of(p) is not None and value_of(p) > limit]
        out.append(
            Check(
                label,
                "—"
                if page is None
                else f"slowest {value:.2f} s ({page.name})"
                + (f"; over on {', '.join(over)}" if over else ""),
                None if page is None else not over,
            )
        )
    for label, value_of, limit, higher_is_worse in (
        (
            f"page time ≤ {PAGE_OVER_SQL_MAX} × its SQL (cold)",
            lambda p: p.over_sql,
            PAGE_OVER_SQL_MAX,
            True,
        ),
        (
            f"≥ {FASTER_MIN:g}× faster than the naive baseline (cold)",
            lambda p: p.faster,
            FASTER_MIN,
            False,
        ),
        (
            f"≥ {LESS_MEMORY_MIN:g}× less memory than the naive baseline (cold)",
            lambda p: p.less_memory,
            LESS_MEMORY_MIN,
            False,
        ),
    ):
        out.append(_ratio_check(pages, label, value_of, limit, higher_is_worse))
    value, page = _worst(pages, lambda p: p.largest)
    out.append(
        Check(
            f"largest message to the browser ≤ {MESSAGE_MAX / MB:g} MB",
            "—" if page is None else f"{value / 1000:,.0f} kB ({page.name}, {page.largest_kind})",
            None if page is None else value <= MESSAGE_MAX,
        )
    )
    size = run.boundaries.get("largest")
    out.append(
        Check(
            f"map boundaries ≤ {BOUNDARIES_MAX / MB:g} MB",
            "—" if size is None else f"{size / 1000:,.0f} kB ({run.boundaries.get('view')})",
            None if size is None else size <= BOUNDARIES_MAX,
        )
    )
    s = run.sessions or {}
    peak = s.get("peak")
    out.append(
        Check(
            f"app process ≤ {SESSIONS_MAX / MB:g} MB with {SESSIONS} sessions open",
            s.get("skipped", "not run")
            if peak is None
            else f"{peak / MB:.0f} MB peak with {s['sessions']} sessions "
            f"({s['settled']} finished their run)",
            None if peak is None or s.get("sessions", 0) < SESSIONS else peak <= SESSIONS_MAX,
        )
    )
    failed = [p.name for p in run.pages if p.failed or p.problems]
    out.append(
        Check(
            "every page runs without an error, and the baseline agrees with it",
            "all pages"
            if not failed and all(p.figures_agree is not False for p in pages)
            else "; ".join(
                [f"{n}: error" for n in failed]
                + [f"{p.name}: figures differ" for p in pages if p.figures_agree is False]
            ),
            not failed and all(p.figures_agree is not False for p in pages),
        )
    )
    return out


def all_met(run: BackendRun) -> bool:
    return all(c.met for c in checks(run) if c.met is not None)


# --- tables -----------------------------------------------------------------------------------

PAGE_COLUMNS = (
    "页面 page",
    "cold s",
    "warm s",
    "SQL s",
    "of which execute s",
    "cold ÷ SQL",
    "naive s",
    "faster",
    "naive ÷ SQL",
    "memory MB",
    "naive memory MB",
    "less memory",
    "largest message kB",
    "all messages kB",
    "process peak MB",
    "same figures",
)


def page_rows(run: BackendRun) -> list[list[str]]:
    rows = []
    for p in run.pages:
        if p.failed:
            rows.append([p.name, "failed"] + [""] * (len(PAGE_COLUMNS) - 2))
            continue
        agree = {True: "yes", False: "**no**", None: "—"}[p.figures_agree]
        rows.append(
            [
                f"{p.name}" + (f" {p.title}" if p.title else ""),
                _s(p.cold),
                _s(p.warm),
                _s(p.sql),
                _s(p.execute),
                _x(p.over_sql),
                _s(p.naive_time),
                _x(p.faster),
                _x(p.faster_data),
                _mb(p.memory),
                _mb(p.naive_memory),
                _x(p.less_memory),
                _kb(p.largest),
                _kb(p.messages_total),
                _mb(p.peak),
                agree,
            ]
        )
    return rows


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header, rows) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def console(run: BackendRun) -> str:
    short = [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 15]
    header = [PAGE_COLUMNS[i] for i in short]
    rows = [[r[i] for i in short] for r in page_rows(run)]
    lines = [
        f"\n{run.backend} · {run.scale} · medians of {run.runs} runs",
        text_table(header, rows),
    ]
    lines += [f"  {c.verdict:>14}  {c.target}: {c.measured}" for c in checks(run)]
    return "\n".join(lines)


def _why(p: PageResult, counts: dict[str, int]) -> list[str]:
    """What the pages are, where that explains a missed target (only then)."""
    out = []
    slow = p.faster is not None and p.faster < FASTER_MIN
    big = p.less_memory is not None and p.less_memory < LESS_MEMORY_MIN
    if p.name == "maps" and (slow or big):
        out.append(
            f"`maps`: the map's own data are the {counts.get('facilities', 80):,} Love Huts and "
            "day-care centers, their status history and their allocations, a few hundred rows at "
            f"any scale. Read whole into pandas they take {_s(p.naive_time)} s and "
            f"{_mb(p.naive_memory)} MB, less than drawing the map itself: no query can be ten "
            "times faster or five times smaller than that. The page's SQL takes "
            f"{_s(p.sql)} s; its time goes to drawing the deck, the tables and the chart."
        )
    does = {
        "ct_tab_list": "ranks every pairing behind or at risk by what is missing and lists up "
        "to 3,000 of them",
        "ct_tab_coverage": "checks every eligible person and serving cadre for an active "
        "pairing twice (the counts by area; the two lists of up to 3,000)",
    }
    for key, text in does.items():
        if p.name == f"contacts · {t(key, 'zh')}" and slow:
            out.append(
                f"`{p.name}`: the view judges all {counts.get('pairings', 0):,} pairings for the "
                f"counts above the tabs, then {text}; its SQL ({_s(p.sql)} s) is "
                f"{_x(p.faster_data)} faster than the baseline, the whole view {_x(p.faster)}."
            )
    return out


def _ms(x: float | None) -> str:
    return "—" if x is None else f"{x * 1000:.0f} ms"


def _over_sql(p: PageResult) -> str:
    """What a page over the page-time ratio spends besides its SQL (in ms: these are small)."""
    return (
        f"`{p.name}` spends {_ms(p.sql)} of its {_ms(p.cold)} cold run in SQL; the other "
        f"{_ms(p.cold - p.sql)} are Python, pandas and Streamlit drawing the page. Within "
        f"{PAGE_OVER_SQL_MAX}× its SQL it would have {_ms((PAGE_OVER_SQL_MAX - 1) * p.sql)} to "
        f"draw what takes {_ms(p.warm)} with every query cached (its warm run)."
    )


def _notes(run: BackendRun) -> list[str]:
    """Facts next to each missed target, so the table explains itself."""
    notes = list(run.notes)
    for p in run.pages:
        if p.failed:
            notes.append(f"`{p.name}` failed to run: {p.failed.strip().splitlines()[-1]}")
        for problem in p.problems:
            notes.append(f"`{p.name}`: {problem}")
        if p.over_sql is not None and p.over_sql > PAGE_OVER_SQL_MAX:
            notes.append(_over_sql(p))
        notes += _why(p, run.counts)
        if p.figures_agree is False:
            notes.append(f"`{p.name}`: the baseline's figures differ: {p.figures_note}")
    return notes


def markdown(runs: list[BackendRun], machine: dict, command: str, started: dt.datetime) -> str:
    out = [
        "# 性能基准 / Benchmarks",
        "",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} (local time). "
        "Run it again to refresh this file; see README.md, section 性能基准 / Benchmarks.",
        "",
        "## Machine",
        "",
        markdown_table(["", ""], list(machine.items())),
    ]
    for run in runs:
        facts = [
            ("backend", run.backend),
            ("database", f"`{run.url}`" + (" (reused)" if run.reused else "")),
            ("scale", run.scale),
            *[(k, f"{v:,}") for k, v in run.counts.items()],
            ("built in", "—" if run.build_seconds is None else f"{run.build_seconds:.0f} s"),
            ("runs per measurement (medians)", str(run.runs)),
        ]
        out += [
            "",
            f"## {run.backend} · {run.scale}",
            "",
            markdown_table(["", ""], facts),
            "",
            "### Targets",
            "",
            markdown_table(
                ["target", "measured", "result"],
                [[c.target, c.measured, c.verdict] for c in checks(run)],
            ),
            "",
            "### Pages",
            "",
            markdown_table(PAGE_COLUMNS, page_rows(run)),
        ]
        b = run.boundaries
        if b:
            out += [
                "",
                f"Map deck (compact JSON as sent to the browser): province view "
                f"{_kb(b.get('province'))} kB, boundaries alone {_kb(b.get('province_boundaries'))}"
                f" kB; largest prefecture view {_kb(b.get('prefecture'))} kB "
                f"({b.get('prefecture_name')}), boundaries alone {_kb(b.get('largest'))} kB.",
            ]
        s = run.sessions or {}
        if s.get("peak"):
            out += [
                "",
                f"{s['sessions']} sessions: server resident set {_mb(s.get('idle'))} MB before, "
                f"{_mb(s.get('rss'))} MB with all open, peak {_mb(s['peak'])} MB; "
                f"all sessions finished their first run within {s['seconds']:.0f} s.",
            ]
        notes = _notes(run)
        if notes:
            out += ["", "### Notes", ""] + [f"- {n}" for n in notes]
    out += ["", METHOD]
    return "\n".join(out) + "\n"


METHOD = """## How it is measured

- **views**: every page of the navigation; a page whose tabs run only when open (联系帮扶)
  is measured once per tab, opened by its link (`contacts?ct_tab=应结尽结`), each tab a row.
- **cold**: `st.cache_data.clear()`, then one run of the whole app (navigation, sidebar, the
  page) for the whole province through `streamlit.testing.v1.AppTest`; the server-side time of
  the run. The process is warm otherwise (connection pool, compiled scripts), as a server that
  has been up for a while. **warm**: prefecture 兰州市, then 天水市, then 兰州市 again; the
  last run is timed (every query hits the cache).
- **SQL**: time inside the data layer's query functions during the cold run (executing the
  statements and reading their rows). *of which execute*: the part inside `cursor.execute`,
  from SQLAlchemy's `before_cursor_execute` / `after_cursor_execute` events (SQLite returns from
  execute at the first row and computes the rest while rows are fetched). *cold ÷ SQL* is the
  page-time target's ratio; what the page adds to its SQL is about its warm time.
- **memory**: each page is measured in a fresh process. *memory* is how much the resident set
  rose during the page's first run above what the process held before it (Python, Streamlit,
  pandas, plotly already imported); *process peak* is the whole process's high-water mark
  (VmHWM, including Streamlit itself, about 200 MB). The naive baseline's memory is measured
  the same way in its own fresh process. The ×-less-memory target compares the two rises:
  both would run inside the same Streamlit process, so the interpreter and libraries are the
  same for both and only the work differs.
- **naive baseline**: the view's headline figures computed by reading the tables into pandas
  with `pd.read_sql_table` (contacts, pairings, recipients, cadres, disbursements, budget
  lines and allocations, facilities and their status history, indicator targets and values)
  and filtering and grouping there (*faster*: its time ÷ the page's cold time; *naive ÷ SQL*:
  its time ÷ the page's SQL, data work against data work); *same figures* says that its
  figures equal the
  dashboard's queries' (planned and disbursed money, pairings meeting the rule, facilities
  operating, compliant / on track / at risk, the list of who is behind, contacts by month and
  channel, unpaired recipients and cadres). On every tab of the contacts page the baseline
  also computes the counts shown above the tabs. The data and admin pages read only import
  batches and users, and a cadre's record one cadre's contacts: they have no baseline.
- **messages**: every element of the run's element tree serialised as the protobuf sent to
  the browser; the largest over the cold and warm views and the sum for the province view.
- **map boundaries**: the deck of the maps page (`dashboard.maps.facility_deck`) as compact
  JSON, for the province and for every prefecture (its counties drawn on top); *boundaries
  alone* is the deck without facility points.
- **sessions**: `python -m dashboard` on a free port, then that many headless Chromium sessions
  opened at once (each page of the navigation for the province, then with prefectures in the
  URL); the server's VmHWM once every session has finished its run.
- **database**: the demo data of the scale, generated by `data_access.demo` (derived tables
  included); on PostgreSQL the benchmark then runs `VACUUM ANALYZE`, as autovacuum does within
  minutes of a bulk load.
- Timings are wall-clock medians on a shared machine: the load average above says how busy it
  was. AppTest shares one compiled-script cache between runs, as the server does.
"""
