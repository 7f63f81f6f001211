"""Domain rules that are not SQL: time progress (时序进度), behind or not, and what a pairing
must have by a given day under measure 9. One place, so every page applies the same rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


CONTACT_RULE = ContactRule()
