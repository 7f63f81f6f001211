"""Budget execution questions of the 预算执行 page: money by budget line, by prefecture, by
county and by month, for one measure or one line or all of them.

Every function takes the viewer's scope and the filters, aggregates in the database and returns
a small DataFrame in fen. Planned money is the sum of the county allocations inside the area;
disbursed money runs from 1 January to the end of the period (year to date), and period_fen is
the part paid within the period itself, as in `queries.budget_by_measure`."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from sqlalchemy import Engine, Integer, case, cast, func, select
from sqlalchemy.sql import ColumnElement, Select, Subquery

from data_access.models import (
    BudgetAllocation,
    BudgetLine,
    County,
    Disbursement,
    Measure,
    Prefecture,
)
from data_access.queries import _frame, _in_area, _sum
from data_access.scope import Filters, Scope, effective_area

Group = Literal["line", "county", "prefecture"]
MONEY = ["planned_fen", "disbursed_fen", "period_fen"]


def _which_lines(filters: Filters, measure_id: int | None, line_code: str | None) -> list:
    """The budget lines asked for: of the year, of one measure, or one line (codes are unique
    within a year, so a code names the same line item from year to year)."""
    conditions: list[ColumnElement] = [BudgetLine.year == filters.year]
    if measure_id is not None:
        conditions.append(BudgetLine.measure_id == int(measure_id))
    if line_code is not None:
        conditions.append(BudgetLine.code == line_code)
    return conditions


def _key(group: Group, county_column) -> ColumnElement:
    if group == "line":
        return BudgetLine.id.label("key")
    if group == "county":
        return county_column.label("key")
    return County.prefecture_code.label("key")


def _planned(
    scope: Scope, filters: Filters, group: Group, measure_id: int | None, line_code: str | None
) -> Subquery:
    area = effective_area(scope, filters)
    key = _key(group, BudgetAllocation.county_code)
    stmt = (
        select(key, _sum(BudgetAllocation.planned_fen).label("planned_fen"))
        .select_from(BudgetAllocation)
        .join(BudgetLine, BudgetLine.id == BudgetAllocation.line_id)
        .where(
            *_which_lines(filters, measure_id, line_code),
            _in_area(BudgetAllocation.county_code, area),
        )
    )
    if group == "prefecture":
        stmt = stmt.join(County, County.code == BudgetAllocation.county_code)
    return stmt.group_by(key).subquery()


def _paid(
    scope: Scope, filters: Filters, group: Group, measure_id: int | None, line_code: str | None
) -> Subquery:
    area = effective_area(scope, filters)
    key = _key(group, Disbursement.county_code)
    in_period = Disbursement.paid_on >= filters.period_start
    stmt = (
        select(
            key,
            _sum(Disbursement.amount_fen).label("disbursed_fen"),
            _sum(case((in_period, Disbursement.amount_fen), else_=0)).label("period_fen"),
        )
        .select_from(Disbursement)
        .join(BudgetLine, BudgetLine.id == Disbursement.line_id)
        .where(
            *_which_lines(filters, measure_id, line_code),
            Disbursement.paid_on.between(filters.start, filters.end),
            _in_area(Disbursement.county_code, area),
        )
    )
    if group == "prefecture":
        stmt = stmt.join(County, County.code == Disbursement.county_code)
    return stmt.group_by(key).subquery()


def _with_money(
    stmt: Select,
    key_column,
    scope: Scope,
    filters: Filters,
    group: Group,
    measure_id: int | None,
    line_code: str | None,
) -> Select:
    """Add planned, disbursed and period money (0 where there is none) to rows keyed by
    key_column."""
    planned = _planned(scope, filters, group, measure_id, line_code)
    paid = _paid(scope, filters, group, measure_id, line_code)
    return (
        stmt.add_columns(
            func.coalesce(planned.c.planned_fen, 0).label("planned_fen"),
            func.coalesce(paid.c.disbursed_fen, 0).label("disbursed_fen"),
            func.coalesce(paid.c.period_fen, 0).label("period_fen"),
        )
        .outerjoin(planned, planned.c.key == key_column)
        .outerjoin(paid, paid.c.key == key_column)
    )


def _integers(frame: pd.DataFrame) -> pd.DataFrame:
    for column in MONEY:
        frame[column] = frame[column].astype("int64")
    return frame


def by_line(
    engine: Engine, scope: Scope, filters: Filters, measure_id: int | None = None
) -> pd.DataFrame:
    """Every budget line of the year (or of one measure) with its money in the area. A line
    with no allocation in the area is still listed, with 0 planned."""
    stmt = (
        select(
            BudgetLine.measure_id,
            Measure.name_zh.label("measure_zh"),
            Measure.name_en.label("measure_en"),
            BudgetLine.id.label("line_id"),
            BudgetLine.code,
            BudgetLine.name_zh,
            BudgetLine.name_en,
            BudgetLine.illustrative,
        )
        .join(Measure, Measure.id == BudgetLine.measure_id)
        .where(*_which_lines(filters, measure_id, None))
        # "7.10" after "7.9": shorter codes first, then by text.
        .order_by(BudgetLine.measure_id, func.length(BudgetLine.code), BudgetLine.code)
    )
    stmt = _with_money(stmt, BudgetLine.id, scope, filters, "line", measure_id, None)
    frame = _frame(engine, stmt)
    frame["illustrative"] = frame["illustrative"].astype(bool)
    return _integers(frame)


def by_prefecture(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    measure_id: int | None = None,
    line_code: str | None = None,
) -> pd.DataFrame:
    """Each prefecture in the area (all 14 for the province) with the money of the chosen
    measure or line, in official order; a prefecture without money has zeros."""
    area = effective_area(scope, filters)
    stmt = select(
        Prefecture.code.label("prefecture_code"), Prefecture.name, Prefecture.short_name
    ).order_by(Prefecture.sort)
    if area.prefecture:
        stmt = stmt.where(Prefecture.code == area.prefecture)
    stmt = _with_money(stmt, Prefecture.code, scope, filters, "prefecture", measure_id, line_code)
    return _integers(_frame(engine, stmt))


def by_county(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    measure_id: int | None = None,
    line_code: str | None = None,
) -> pd.DataFrame:
    """Each county-level area in the area with the money of the chosen measure or line, in
    official order (prefecture by prefecture)."""
    area = effective_area(scope, filters)
    stmt = (
        select(
            County.prefecture_code,
            County.code.label("county_code"),
            County.name,
            County.short_name,
        )
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .where(_in_area(County.code, area))
        .order_by(Prefecture.sort, County.sort)
    )
    stmt = _with_money(stmt, County.code, scope, filters, "county", measure_id, line_code)
    return _integers(_frame(engine, stmt))


def _month() -> ColumnElement:
    return cast(func.extract("month", Disbursement.paid_on), Integer).label("month")


def monthly(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    measure_id: int | None = None,
    line_code: str | None = None,
) -> pd.DataFrame:
    """Money paid per month (month, amount_fen) from January to the end of the period, for
    the chosen measure or line; months without payments are absent."""
    area = effective_area(scope, filters)
    month = _month()
    stmt = (
        select(month, _sum(Disbursement.amount_fen).label("amount_fen"))
        .join(BudgetLine, BudgetLine.id == Disbursement.line_id)
        .where(
            *_which_lines(filters, measure_id, line_code),
            Disbursement.paid_on.between(filters.start, filters.end),
            _in_area(Disbursement.county_code, area),
        )
        .group_by(month)
        .order_by(month)
    )
    return _frame(engine, stmt)


def previous_year(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    measure_id: int | None = None,
    line_code: str | None = None,
) -> pd.DataFrame:
    """The same months of the year before, for the same measure or line code: month,
    amount_fen and that year's planned_fen in the area (the same on every row, so the chart
    can draw last year's own execution rate). Empty when the year before has no payments."""
    last = filters.previous_year()
    area = effective_area(scope, last)
    planned = (
        select(_sum(BudgetAllocation.planned_fen))
        .join(BudgetLine, BudgetLine.id == BudgetAllocation.line_id)
        .where(
            *_which_lines(last, measure_id, line_code),
            _in_area(BudgetAllocation.county_code, area),
        )
        .scalar_subquery()
    )
    month = _month()
    stmt = (
        select(
            month,
            _sum(Disbursement.amount_fen).label("amount_fen"),
            planned.label("planned_fen"),
        )
        .join(BudgetLine, BudgetLine.id == Disbursement.line_id)
        .where(
            *_which_lines(last, measure_id, line_code),
            Disbursement.paid_on.between(last.start, last.end),
            _in_area(Disbursement.county_code, area),
        )
        .group_by(month)
        .order_by(month)
    )
    frame = _frame(engine, stmt)
    frame["planned_fen"] = frame["planned_fen"].astype("int64")
    return frame
