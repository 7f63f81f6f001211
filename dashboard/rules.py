"""Domain rules that are not SQL: time progress (时序进度), behind or not, and what a pairing
must have by a given day under measure 9. One place, so every page applies the same rule.

Measure 9 (直接联系帮扶), per pairing and calendar year, counting from 1 January to the day:
- compliant: remote contacts (phone, WeChat, SMS, other) ≥ 4 and home visits ≥ 2;
- on track during the year: remote contacts ≥ quarters completed and home visits ≥ half-years
  completed (31 Mar → 1 contact; 30 Jun → 2 contacts and 1 visit; 31 Dec → 4 and 2);
- behind: not on track;
- at risk: not yet compliant, and either
  - the pace so far falls short: continuing at the rate seen since 1 January (count ÷ days
    elapsed × days in the year) the year would end below 4 contacts or 2 visits. Each count's
    pace is judged once its first step has passed (contacts from 31 March, visits from 30 June),
    so that the first weeks of the year do not flag everyone. On track at the end of Q1 or H1
    is never short of pace that day; on 30 September one visit is on track but short of pace
    (at that pace the year ends with one visit): the warning that a visit is due in Q4;
  - or it has been quiet: nothing in the last 90 days (counting from the pairing's start, or
    1 January, when it has had no contact this year).
  So a pairing can be on track and at risk (an early warning between quarter ends), and at the
  year's end at risk means non-compliant.

The contact rule's numbers can be changed in one place, without code: environment variables
DASHBOARD_RULES_REMOTE_PER_YEAR, DASHBOARD_RULES_VISITS_PER_YEAR,
DASHBOARD_RULES_VISIT_COUNTS_AS_CONTACT (true/false) and DASHBOARD_RULES_QUIET_DAYS, or the
same keys in lower case under `[rules]` in .streamlit/secrets.toml (the environment wins):

    [rules]
    remote_per_year = 4
    visits_per_year = 2
    visit_counts_as_contact = false   # does a home visit also count as a contact?
    quiet_days = 90

They are read once when the dashboard starts (CONTACT_RULE); a value that cannot be used is
ignored, the default kept, and the reason listed in RULE_PROBLEMS for pages to show."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from data_access.contacts import ContactStandard
from data_access.queries import Requirement
from data_access.scope import Filters


def as_of(filters: Filters, today: dt.date | None = None) -> dt.date:
    """The day figures are counted to: the end of the period, or today if that is earlier."""
    today = today or dt.date.today()
    return min(filters.end, today) if filters.start <= today else filters.end


def time_progress(filters: Filters, today: dt.date | None = None) -> float:
    """Share of the year elapsed at the as-of day (31 Dec → 1.0, 30 Jun 2024 → 182/366)."""
    day = as_of(filters, today)
    days_in_year = (dt.date(filters.year, 12, 31) - filters.start).days + 1
    return ((day - filters.start).days + 1) / days_in_year


def execution_rate(planned_fen: int, disbursed_fen: int) -> float | None:
    """Disbursed ÷ planned; None when nothing is planned (never a misleading 0 %)."""
    return disbursed_fen / planned_fen if planned_fen else None


def is_behind(rate: float | None, progress: float) -> bool | None:
    return None if rate is None else rate < progress


def shortfall_fen(planned_fen: int, disbursed_fen: int, progress: float) -> int | None:
    """How far behind in money: what time progress says should have been paid by now and was
    not, planned × time progress − disbursed (0 when on pace; None when nothing is planned)."""
    if not planned_fen:
        return None
    return max(0, round(planned_fen * progress) - int(disbursed_fen))


def quarters_completed(day: dt.date) -> int:
    """Quarters of the calendar year fully elapsed on this day (30 Jun → 2, 29 Jun → 1)."""
    return sum(day >= dt.date(day.year, m, 31 if m in (3, 12) else 30) for m in (3, 6, 9, 12))


def halves_completed(day: dt.date) -> int:
    return sum(day >= d for d in (dt.date(day.year, 6, 30), dt.date(day.year, 12, 31)))


@dataclass(frozen=True)
class ContactRule:
    """Measure 9: per pairing and year, remote contacts (phone, WeChat, SMS, other) ≥ 4 and
    home visits ≥ 2. Whether a home visit also counts as a contact is a setting, off by default."""

    remote_per_year: int = 4
    visits_per_year: int = 2
    visit_counts_as_contact: bool = False
    quiet_days: int = 90  # nothing for this long puts a pairing at risk

    def requirement(self, day: dt.date) -> Requirement:
        """What must be done by this day: remote contacts pro-rated by completed quarters and
        visits by completed half-years; at year's end, the full yearly rule."""
        return Requirement(
            remote=self.remote_per_year * quarters_completed(day) // 4,
            visits=self.visits_per_year * halves_completed(day) // 2,
            visit_counts_as_contact=self.visit_counts_as_contact,
        )

    def year_requirement(self) -> Requirement:
        """The full yearly rule (what compliant means)."""
        return Requirement(
            remote=self.remote_per_year,
            visits=self.visits_per_year,
            visit_counts_as_contact=self.visit_counts_as_contact,
        )

    def standard(self, day: dt.date) -> ContactStandard:
        """Everything a query needs to judge pairings on this day (see the module docstring)."""
        return ContactStandard(
            due=self.requirement(day),
            year=self.year_requirement(),
            elapsed_days=(day - dt.date(day.year, 1, 1)).days + 1,
            year_days=366 if calendar.isleap(day.year) else 365,
            judge_remote_pace=quarters_completed(day) >= 1,
            judge_visit_pace=halves_completed(day) >= 1,
            quiet_cutoff=day - dt.timedelta(days=self.quiet_days),
        )

    def assess(
        self,
        day: dt.date,
        remote: int,
        visits: int,
        last_contact: dt.date | None,
        started_on: dt.date | None = None,
    ) -> PairingVerdict:
        """The verdict on one pairing, in Python: the twin of what data_access.contacts does in
        SQL with `standard(day)`, for explaining and testing the rule."""
        std = self.standard(day)
        compliant = remote >= std.year.remote and visits >= std.year.visits
        on_track = remote >= std.due.remote and visits >= std.due.visits
        pace_short = (
            std.judge_remote_pace and remote * std.year_days < std.year.remote * std.elapsed_days
        ) or (std.judge_visit_pace and visits * std.year_days < std.year.visits * std.elapsed_days)
        since = max(started_on or dt.date(day.year, 1, 1), dt.date(day.year, 1, 1))
        quiet = (last_contact or since) <= std.quiet_cutoff
        return PairingVerdict(
            compliant=compliant,
            on_track=on_track,
            pace_short=pace_short,
            quiet=quiet,
            at_risk=not compliant and (pace_short or quiet),
        )


@dataclass(frozen=True)
class PairingVerdict:
    compliant: bool
    on_track: bool
    pace_short: bool
    quiet: bool
    at_risk: bool


RULE_ENV_PREFIX = "DASHBOARD_RULES_"
_TRUE = ("1", "true", "yes", "on", "是")
_FALSE = ("0", "false", "no", "off", "否")
log = logging.getLogger("dashboard")


def _parse(name: str, kind: type, value: object) -> object:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"{name} 应为 true 或 false，而不是 {value!r}")
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise ValueError(f"{name} 应为不小于 0 的整数，而不是 {value!r}")
    number = int(str(value).strip())
    if name == "quiet_days" and number < 1:
        raise ValueError(f"{name} 应为正整数，而不是 {value!r}")
    return number


def contact_rule_from(settings: Mapping[str, object]) -> tuple[ContactRule, list[str]]:
    """A ContactRule with the given overrides (keys as in [rules]); unknown keys and unusable
    values are reported and left at their defaults."""
    known = {f.name: bool if f.type in ("bool", bool) else int for f in fields(ContactRule)}
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, value in settings.items():
        if name not in known:
            problems.append(f"未知的规则设置 {name}（可用：{'、'.join(known)}）")
            continue
        try:
            values[name] = _parse(name, known[name], value)
        except ValueError as exc:
            problems.append(f"规则设置无效，已用默认值：{exc}")
    return replace(ContactRule(), **values), problems


def settings_table(
    table: str,
    env_prefix: str,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, object]:
    """One `[table]` of .streamlit/secrets.toml, overridden by `env_prefix` + KEY variables
    (DASHBOARD_RULES_QUIET_DAYS → quiet_days): the one way settings are read."""
    environ = os.environ if environ is None else environ
    secrets = (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"
    settings: dict[str, object] = {}
    if secrets.is_file():
        try:
            with secrets.open("rb") as fh:
                settings.update(tomllib.load(fh).get(table, {}))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            log.error("cannot read [%s] from %s: %s", table, secrets, exc)
    for key, value in environ.items():
        if key.startswith(env_prefix) and value != "":
            settings[key.removeprefix(env_prefix).lower()] = value
    return settings


def contact_settings(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> dict[str, object]:
    """The [rules] table of .streamlit/secrets.toml, overridden by DASHBOARD_RULES_* variables."""
    return settings_table("rules", RULE_ENV_PREFIX, environ, cwd)


def load_contact_rule(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[ContactRule, list[str]]:
    rule, problems = contact_rule_from(contact_settings(environ, cwd))
    for problem in problems:
        log.warning(problem)
    return rule, problems


CONTACT_RULE, RULE_PROBLEMS = load_contact_rule()
