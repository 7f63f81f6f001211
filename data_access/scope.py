"""What a query may see (the viewer's scope) and what it is asked for (the filters)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

PERIODS = ("Y", "Q1", "Q2", "Q3", "Q4") + tuple(f"M{m:02d}" for m in range(1, 13))


def prefecture_of(county: str) -> str:
    """GB/T 2260: a county's first four digits are its prefecture's (嘉峪关市 is both)."""
    return county[:4] + "00"


@dataclass(frozen=True)
class Scope:
    """The area a viewer is allowed to see; both None means the whole province."""

    prefecture: str | None = None
    county: str | None = None

    def __post_init__(self):
        if self.county and not self.prefecture:
            object.__setattr__(self, "prefecture", prefecture_of(self.county))

    def allows(self, prefecture: str | None, county: str | None) -> bool:
        if self.county:
            return county == self.county
        if self.prefecture:
            return prefecture == self.prefecture and (
                county is None or prefecture_of(county) == self.prefecture
            )
        return county is None or prefecture is None or prefecture_of(county) == prefecture


PROVINCE = Scope()


@dataclass(frozen=True)
class Filters:
    """Year, period (Y, Q1…Q4, M01…M12) and area chosen in the sidebar. Money and contacts are
    counted from 1 January to the end of the period (year to date), as budget reports do."""

    year: int
    period: str = "Y"
    prefecture: str | None = None
    county: str | None = None

    def __post_init__(self):
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r}")

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        if self.period == "Y":
            return dt.date(self.year, 12, 31)
        month = int(self.period[1:]) * 3 if self.period[0] == "Q" else int(self.period[1:])
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def period_start(self) -> dt.date:
        """First day of the period itself (for what happened within it)."""
        if self.period == "Y":
            return self.start
        month = int(self.period[1:]) * 3 - 2 if self.period[0] == "Q" else int(self.period[1:])
        return dt.date(self.year, month, 1)

    def previous_year(self) -> Filters:
        return Filters(self.year - 1, self.period, self.prefecture, self.county)


@dataclass(frozen=True)
class Area:
    """The area a query actually covers: the filters, clamped to the viewer's scope."""

    prefecture: str | None
    county: str | None
    clamped: bool  # True when the filters asked for something outside the scope


def effective_area(scope: Scope, filters: Filters) -> Area:
    prefecture, county = filters.prefecture, filters.county
    if county and prefecture and prefecture_of(county) != prefecture:
        county = None
    if county and not prefecture:
        prefecture = prefecture_of(county)
    if scope.allows(prefecture, county):
        return Area(prefecture, county, clamped=False)
    if scope.county:
        return Area(scope.prefecture, scope.county, clamped=True)
    return Area(scope.prefecture, None, clamped=True)
