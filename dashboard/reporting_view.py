"""报送情况 (月调度): which ledgers each county owes for each month, by when, and whether it sent
them. One place for the calendar, so that the page, the briefing and the completeness phrase
say the same thing.

Per county-level area × month × ledger (a "cell"):
- due: the due day of the following month (5 → a March ledger is due on 5 April; a due day
  past the month's end means its last day);
- on time: received (an import batch covering the county-month, or a nil return 零报告) on or
  before the due date, as a date in China (UTC+8);
- late: received after it, by so many days;
- missing: nothing received and the due date has passed;
- pending: nothing received and the due date has not passed yet.
Reporting rate = cells received ÷ cells due; on-time rate = cells on time ÷ cells due, where
"due" means the due date has passed (a month still open counts in neither). An area is
complete when every cell due in it was received (数据完整度 13/14 市州).

What each county owes is a setting, `[reporting]` in .streamlit/secrets.toml (or
DASHBOARD_REPORTING_* variables for the two plain keys):

    [reporting]
    ledgers = ["disbursements", "contacts", "indicator_values"]   # sent monthly by every county
    due_day = 5                                                    # of the following month
    [reporting.county_ledgers]     # a county that sends a different set
    620201 = ["contacts"]

Facilities, cadres, recipients and pairings are reported when they change, not monthly, so
they are not in the calendar. A value that cannot be used is ignored, the default kept, and
the reason listed in REPORTING_PROBLEMS."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from dashboard.i18n import t
from dashboard.import_view import ledger_title
from dashboard.rules import settings_table
from data_access.ledgers import LEDGERS

CHINA = dt.timezone(dt.timedelta(hours=8))
STATUSES = ("on_time", "late", "missing", "pending")
REPORTING_ENV_PREFIX = "DASHBOARD_REPORTING_"
MONTHLY = tuple(name for name, ledger in LEDGERS.items() if ledger.dated)
log = logging.getLogger("dashboard")


@dataclass(frozen=True)
class ReportingRule:
    ledgers: tuple[str, ...] = ("disbursements", "contacts", "indicator_values")
    due_day: int = 5
    # county code → the ledgers that county sends instead of `ledgers`
    county_ledgers: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @property
    def all_ledgers(self) -> tuple[str, ...]:
        """Every ledger any county owes, in the order of LEDGERS."""
        owed = set(self.ledgers).union(*(set(v) for _c, v in self.county_ledgers))
        return tuple(name for name in MONTHLY if name in owed)

    def owed(self, county: str) -> tuple[str, ...]:
        return dict(self.county_ledgers).get(county, self.ledgers)

    def due(self, month: dt.date) -> dt.date:
        """The due date of a month's ledgers: the due day of the following month."""
        year, number = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
        return dt.date(year, number, min(self.due_day, calendar.monthrange(year, number)[1]))


def _ledger_list(name: str, value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError(f"{name} 应为台账名称的列表，而不是 {value!r}")
    names = tuple(str(v).strip() for v in items if str(v).strip())
    unknown = [n for n in names if n not in MONTHLY]
    if unknown:
        raise ValueError(f"{name} 中有未知或非按月报送的台账 {'、'.join(unknown)}")
    return names


def reporting_rule_from(settings: Mapping[str, object]) -> tuple[ReportingRule, list[str]]:
    """A ReportingRule with the given overrides (keys as in [reporting])."""
    rule, problems = ReportingRule(), []
    values: dict[str, object] = {}
    for name, value in settings.items():
        try:
            if name == "ledgers":
                values["ledgers"] = _ledger_list(name, value)
            elif name == "due_day":
                text = str(value).strip()
                if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 31:
                    raise ValueError(f"due_day 应为 1–31 的整数，而不是 {value!r}")
                values["due_day"] = int(text)
            elif name == "county_ledgers":
                if not isinstance(value, Mapping):
                    raise ValueError("county_ledgers 应为“县区代码 = [台账…]”的表")
                values["county_ledgers"] = tuple(
                    sorted(
                        (str(c), _ledger_list(f"county_ledgers.{c}", v)) for c, v in value.items()
                    )
                )
            else:
                problems.append(f"未知的报送设置 {name}（可用：ledgers、due_day、county_ledgers）")
        except ValueError as exc:
            problems.append(f"报送设置无效，已用默认值：{exc}")
    return ReportingRule(**{**rule.__dict__, **values}), problems


def load_reporting_rule(
    environ: Mapping[str, str] | None = None, cwd=None
) -> tuple[ReportingRule, list[str]]:
    rule, problems = reporting_rule_from(
        settings_table("reporting", REPORTING_ENV_PREFIX, environ, cwd)
    )
    for problem in problems:
        log.warning(problem)
    return rule, problems


REPORTING_RULE, REPORTING_PROBLEMS = load_reporting_rule()


# --- the calendar -------------------------------------------------------------------------------


def months_of(year: int, last: int, today: dt.date) -> list[dt.date]:
    """The months of the year up to month `last` that have begun by today."""
    return [dt.date(year, m, 1) for m in range(1, last + 1) if dt.date(year, m, 1) <= today]


def received_on(at) -> dt.date:
    """The day in China on which something stored at `at` (UTC; naive means UTC) arrived."""
    stamp = pd.Timestamp(at)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert(CHINA).date()


CALENDAR_COLUMNS = [
    "prefecture_code",
    "prefecture_name",
    "county_code",
    "county_name",
    "month",
    "ledger",
    "due",
    "status",
    "late_days",
    "nil",
    "received_on",
    "sender",
    "ref",
]


def cells(
    rule: ReportingRule,
    areas: pd.DataFrame,
    receipts: pd.DataFrame,
    year: int,
    last_month: int,
    today: dt.date,
) -> pd.DataFrame:
    """Every cell of the calendar with its status as it stood on `today`. `areas` is
    `contacts.areas` (the counties of the chosen area); `receipts` is `reporting.receipts` for
    the same area and year."""
    first = {(r.county_code, r.month, r.ledger): r for r in receipts.itertuples(index=False)}
    rows = []
    for month in months_of(year, last_month, today):
        due = rule.due(month)
        for a in areas.itertuples(index=False):
            for ledger in rule.owed(a.county_code):
                got = first.get((a.county_code, month, ledger))
                day = received_on(got.at) if got is not None else None
                if day is not None and day > today:  # the calendar as it stood on `today`
                    got = day = None
                if day is not None:
                    status = "on_time" if day <= due else "late"
                else:
                    status = "missing" if today > due else "pending"
                rows.append(
                    (
                        a.prefecture_code,
                        a.prefecture_name,
                        a.county_code,
                        a.county_name,
                        month,
                        ledger,
                        due,
                        status,
                        (day - due).days if status == "late" else None,
                        got is not None and got.kind == "nil",
                        day,
                        None if got is None else got.sender,
                        None if got is None else int(got.ref),
                    )
                )
    out = pd.DataFrame(rows, columns=CALENDAR_COLUMNS)
    out["late_days"] = out["late_days"].astype("Int64")
    out["ref"] = out["ref"].astype("Int64")
    return out


def rates(cal: pd.DataFrame, level: str, by_month: bool = True) -> pd.DataFrame:
    """Cells due, received and on time, the reporting rate and the on-time rate, per area of
    `level` (county, prefecture or province) and, unless by_month is False, per month. An area
    with nothing due yet has no rate (None, never 0 %)."""
    keys = {
        "county": ["county_code", "county_name"],
        "prefecture": ["prefecture_code", "prefecture_name"],
    }
    group = list(keys.get(level, [])) + (["month"] if by_month else [])
    frame = cal.assign(
        due_cells=cal["status"] != "pending",
        received=cal["status"].isin(("on_time", "late")),
        on_time=cal["status"] == "on_time",
    )
    columns = ["due_cells", "received", "on_time"]
    if group:
        out = frame.groupby(group, sort=False)[columns].sum().reset_index()
    else:
        out = frame[columns].sum().to_frame().T
    out = out.astype({c: int for c in columns})
    out["reporting_rate"] = [
        r / d if d else None for r, d in zip(out["received"], out["due_cells"], strict=True)
    ]
    out["on_time_rate"] = [
        r / d if d else None for r, d in zip(out["on_time"], out["due_cells"], strict=True)
    ]
    return out.rename(columns={f"{level}_code": "code", f"{level}_name": "name"})


def current_month(year: int, today: dt.date) -> dt.date | None:
    """The month staff chase now: the month before today's (its ledgers fall due early this
    month), or December for a past year; None for a year that has not begun."""
    previous = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if previous.year > year:
        return dt.date(year, 12, 1)
    if previous.year < year:
        return None
    return previous


def still_missing(cal: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """The cells of a month not received yet (missing first, then pending), in area order."""
    out = cal[(cal["month"] == month) & cal["status"].isin(("missing", "pending"))]
    return out.sort_values("status", kind="stable")


def completeness(cal: pd.DataFrame, level: str) -> tuple[int, int]:
    """(areas whose every due cell was received, areas) at `level` (prefecture or county)."""
    if cal.empty:
        return 0, 0
    due = cal[cal["status"] != "pending"]
    areas = cal[f"{level}_code"].nunique()
    incomplete = due.loc[due["status"] == "missing", f"{level}_code"].nunique()
    return areas - incomplete, areas


def completeness_text(cal: pd.DataFrame, level: str, lang: str) -> str:
    """数据完整度 13/14 市州: for any figure that wants to say how complete its data is."""
    complete, total = completeness(cal, level)
    return t(
        "rep_completeness",
        lang,
        complete=complete,
        total=total,
        level=t(f"rep_level_{level}", lang),
    )


# --- what the page shows ------------------------------------------------------------------------


def status_text(status: str, late_days, nil: bool, lang: str) -> str:
    if status == "late":
        text = t("rep_status_late", lang, days=int(late_days))
    else:
        text = t(f"rep_status_{status}", lang)
    return text + (t("rep_nil_suffix", lang) if nil else "")


def _month_text(month: dt.date, lang: str) -> str:
    return f"{month.year}-{month.month:02d}"


def missing_table(cal: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The still-missing list: prefecture, county, ledger, due date, status."""
    return pd.DataFrame(
        {
            t("prefecture", lang): cal["prefecture_name"],
            t("county", lang): cal["county_name"],
            t("rep_ledger", lang): [ledger_title(n, lang) for n in cal["ledger"]],
            t("rep_due", lang): cal["due"],
            t("rep_status", lang): [
                status_text(s, d, n, lang)
                for s, d, n in zip(cal["status"], cal["late_days"], cal["nil"], strict=True)
            ],
        }
    )


def rates_table(cal: pd.DataFrame, level: str, lang: str) -> pd.DataFrame:
    """On-time rate per area (rows) and month (columns), with the year to date and the
    reporting rate; areas in official order."""
    monthly = rates(cal, level)
    total = rates(cal, level, by_month=False)
    wide = monthly.pivot(index="code", columns="month", values="on_time_rate")
    wide.columns = [_month_text(m, lang) for m in wide.columns]
    out = total[["code", "name", "reporting_rate", "on_time_rate"]].set_index("code")
    out = out.join(wide).reset_index(drop=True)
    return out.rename(
        columns={
            "name": t(level, lang),
            "reporting_rate": f"{t('rep_reporting_rate', lang)}（{t('rep_overall', lang)}）",
            "on_time_rate": f"{t('rep_on_time_rate', lang)}（{t('rep_overall', lang)}）",
        }
    )


def calendar_table(cal: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per county and ledger, one column per month, each cell the status in words."""
    if cal.empty:
        return pd.DataFrame()
    frame = cal.assign(
        text=[
            status_text(s, d, n, lang)
            for s, d, n in zip(cal["status"], cal["late_days"], cal["nil"], strict=True)
        ],
        month_text=[_month_text(m, lang) for m in cal["month"]],
    )
    index = ["prefecture_name", "county_name", "ledger"]
    wide = frame.pivot_table(
        index=index, columns="month_text", values="text", aggfunc="first", sort=False
    ).reset_index()
    wide["ledger"] = [ledger_title(n, lang) for n in wide["ledger"]]
    wide.columns.name = None
    return wide.rename(
        columns={
            "prefecture_name": t("prefecture", lang),
            "county_name": t("county", lang),
            "ledger": t("rep_ledger", lang),
        }
    )


def nil_table(nils: pd.DataFrame, names: Mapping[str, str], lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("county", lang): [names.get(c, c) for c in nils["county_code"]],
            t("rep_month", lang): [
                _month_text(pd.Timestamp(m).date(), lang) for m in nils["month"]
            ],
            t("rep_ledger", lang): [ledger_title(n, lang) for n in nils["ledger"]],
            t("rep_sender", lang): nils["declared_by"],
            t("rep_nil_at", lang): [
                received_on(a).isoformat() if a is not None else "" for a in nils["declared_at"]
            ],
            t("rep_note", lang): nils["note"],
        }
    )
