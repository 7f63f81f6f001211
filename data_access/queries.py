"""Named questions the pages ask. Each takes the viewer's scope and the filters, aggregates in
the database and returns a small DataFrame (or a few values). Money comes back in fen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Engine,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql import ColumnElement, Select, Subquery

from data_access.models import (
    FACILITY_STATUSES,
    BudgetAllocation,
    BudgetLine,
    Contact,
    County,
    Disbursement,
    Facility,
    FacilityStatusChange,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Measure,
    Meta,
    PairingFact,
    PairingTally,
    Prefecture,
)
from data_access.scope import Area, Filters, Scope, effective_area


def _frame(engine: Engine, stmt: Select) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _sum(column) -> ColumnElement:
    """SUM that is 0 on no rows and an integer on every backend (PostgreSQL sums to numeric)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _in_area(county_column, area: Area) -> ColumnElement:
    if area.county:
        return county_column == area.county
    if area.prefecture:
        return county_column.in_(
            select(County.code).where(County.prefecture_code == area.prefecture)
        )
    return literal(True)


# --- reference and facts ----------------------------------------------------------------------


def prefectures(engine: Engine, scope: Scope) -> pd.DataFrame:
    """The prefectures a viewer may choose (code, name, short_name), in official order."""
    stmt = select(Prefecture.code, Prefecture.name, Prefecture.short_name).order_by(Prefecture.sort)
    if scope.prefecture:
        stmt = stmt.where(Prefecture.code == scope.prefecture)
    return _frame(engine, stmt)


def counties(engine: Engine, scope: Scope, prefecture: str) -> pd.DataFrame:
    """The county-level areas of a prefecture that a viewer may choose."""
    stmt = (
        select(County.code, County.name, County.short_name)
        .where(County.prefecture_code == prefecture)
        .order_by(County.sort)
    )
    if scope.prefecture and scope.prefecture != prefecture:
        stmt = stmt.where(literal(False))
    if scope.county:
        stmt = stmt.where(County.code == scope.county)
    return _frame(engine, stmt)


def years(engine: Engine) -> list[int]:
    """Years that have a budget or contacts, newest first."""
    with engine.connect() as conn:
        budget = set(conn.execute(select(BudgetLine.year).distinct()).scalars())
        # One subquery for each end: SQLite reads min() or max() from the end of the date
        # index only when it stands alone (together, it scanned a million contacts).
        first, last = conn.execute(
            select(
                select(func.min(Contact.contacted_on)).scalar_subquery(),
                select(func.max(Contact.contacted_on)).scalar_subquery(),
            )
        ).one()
    contact_years = set(range(first.year, last.year + 1)) if first and last else set()
    return sorted(budget | contact_years, reverse=True)


def facts(engine: Engine) -> dict[str, str]:
    """The meta facts: contents (demo or ledgers), data_as_of, data_version."""
    with engine.connect() as conn:
        return dict(conn.execute(select(Meta.key, Meta.value)).all())


# --- budget -----------------------------------------------------------------------------------


def _planned_by(scope: Scope, filters: Filters, *keys) -> Select:
    area = effective_area(scope, filters)
    return (
        select(*keys, _sum(BudgetAllocation.planned_fen).label("planned_fen"))
        .join(BudgetLine, BudgetLine.id == BudgetAllocation.line_id)
        .where(BudgetLine.year == filters.year, _in_area(BudgetAllocation.county_code, area))
        .group_by(*keys)
    )


def _disbursed_by(scope: Scope, filters: Filters, *keys) -> Select:
    area = effective_area(scope, filters)
    in_period = Disbursement.paid_on >= filters.period_start
    return (
        select(
            *keys,
            _sum(Disbursement.amount_fen).label("disbursed_fen"),
            _sum(case((in_period, Disbursement.amount_fen), else_=0)).label("period_fen"),
        )
        .join(BudgetLine, BudgetLine.id == Disbursement.line_id)
        .where(
            BudgetLine.year == filters.year,
            Disbursement.paid_on.between(filters.start, filters.end),
            _in_area(Disbursement.county_code, area),
        )
        .group_by(*keys)
    )


def budget_by_measure(engine: Engine, scope: Scope, filters: Filters) -> pd.DataFrame:
    """All ten measures: planned, disbursed to the end of the period and within it (fen), and
    how many budget lines each has (0 for a measure without money in the source)."""
    planned = _planned_by(scope, filters, BudgetLine.measure_id).subquery()
    paid = _disbursed_by(scope, filters, BudgetLine.measure_id).subquery()
    lines = (
        select(BudgetLine.measure_id, func.count().label("lines"))
        .where(BudgetLine.year == filters.year)
        .group_by(BudgetLine.measure_id)
        .subquery()
    )
    stmt = (
        select(
            Measure.id.label("measure_id"),
            Measure.name_zh,
            Measure.name_en,
            func.coalesce(lines.c.lines, 0).label("lines"),
            func.coalesce(planned.c.planned_fen, 0).label("planned_fen"),
            func.coalesce(paid.c.disbursed_fen, 0).label("disbursed_fen"),
            func.coalesce(paid.c.period_fen, 0).label("period_fen"),
        )
        .outerjoin(lines, lines.c.measure_id == Measure.id)
        .outerjoin(planned, planned.c.measure_id == Measure.id)
        .outerjoin(paid, paid.c.measure_id == Measure.id)
        .order_by(Measure.id)
    )
    return _frame(engine, stmt)


def monthly_disbursed(engine: Engine, scope: Scope, filters: Filters) -> pd.DataFrame:
    """Disbursed money per month (1…end of period) of the year, in fen."""
    area = effective_area(scope, filters)
    month = cast(func.extract("month", Disbursement.paid_on), Integer).label("month")
    stmt = (
        select(month, _sum(Disbursement.amount_fen).label("amount_fen"))
        .join(BudgetLine, BudgetLine.id == Disbursement.line_id)
        .where(
            BudgetLine.year == filters.year,
            Disbursement.paid_on.between(filters.start, filters.end),
            _in_area(Disbursement.county_code, area),
        )
        .group_by(month)
        .order_by(month)
    )
    return _frame(engine, stmt)


# --- facilities -------------------------------------------------------------------------------


def _status_on(day: dt.date) -> Subquery:
    """Each facility's status on a day and the date it took that status, from its history (a
    later change wins). Facilities with no change by that day did not exist yet."""
    ranked = (
        select(
            FacilityStatusChange.facility_id,
            FacilityStatusChange.status,
            FacilityStatusChange.changed_on,
            func.row_number()
            .over(
                partition_by=FacilityStatusChange.facility_id,
                order_by=(FacilityStatusChange.changed_on.desc(), FacilityStatusChange.id.desc()),
            )
            .label("rn"),
        )
        .where(FacilityStatusChange.changed_on <= day)
        .subquery()
    )
    return (
        select(ranked.c.facility_id, ranked.c.status, ranked.c.changed_on)
        .where(ranked.c.rn == 1)
        .subquery()
    )


FACILITY_TARGETS = {"love_hut": "m6_love_huts", "day_care": "m8_day_care"}


def facility_progress(engine: Engine, scope: Scope, filters: Filters) -> pd.DataFrame:
    """Per facility type (love_hut, day_care): the target for the area and year, and how many
    facilities were planned, under construction, operating and suspended at the period's end."""
    area = effective_area(scope, filters)
    status = _status_on(filters.end)
    counts = (
        select(
            Facility.kind,
            *[func.count(case((status.c.status == s, 1))).label(s) for s in FACILITY_STATUSES],
        )
        .join(status, status.c.facility_id == Facility.id)
        .where(_in_area(Facility.county_code, area))
        .group_by(Facility.kind)
    )
    targets = (
        select(Indicator.code, _sum(IndicatorTarget.target).label("target"))
        .join(Indicator, Indicator.id == IndicatorTarget.indicator_id)
        .where(
            Indicator.code.in_(FACILITY_TARGETS.values()),
            IndicatorTarget.year == filters.year,
            _in_area(IndicatorTarget.county_code, area),
        )
        .group_by(Indicator.code)
    )
    frame = pd.DataFrame({"kind": list(FACILITY_TARGETS)})
    target = dict(_frame(engine, targets).itertuples(index=False))
    frame["target"] = [int(target.get(code, 0)) for code in FACILITY_TARGETS.values()]
    frame = frame.merge(_frame(engine, counts), on="kind", how="left")
    frame[list(FACILITY_STATUSES)] = frame[list(FACILITY_STATUSES)].fillna(0).astype(int)
    return frame


# --- contacts (measure 9) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """What a pairing must have by the end of the period: remote contacts and home visits.
    The dashboard's rules derive it (year-end 4 and 2; pro-rated during the year)."""

    remote: int
    visits: int
    visit_counts_as_contact: bool = False


def _pairing_counts(scope: Scope, filters: Filters, requirement: Requirement) -> Select:
    """One row per pairing active in the period: its cadre, the recipient's county (where a
    pairing belongs), remote contacts, visits and last contact.

    Read from pairing_facts (each pairing with its recipient's county and cadre's level) and
    the pairing's tally for the period's last month (contacts from 1 January to the period's
    end; see data_access.tallies): one row of each per pairing, not all its contacts and no
    lookups in recipients or cadres. A pairing without a tally row had no contact: zeros."""
    area = effective_area(scope, filters)
    fact, tally = PairingFact, PairingTally
    remote = func.coalesce(tally.remote, 0)
    visits = func.coalesce(tally.visits, 0)
    if requirement.visit_counts_as_contact:
        remote = remote + visits
    return (
        select(
            fact.pairing_id,
            fact.cadre_id,
            fact.county_code,
            remote.label("remote"),
            visits.label("visits"),
            tally.last_contact.label("last_contact"),
        )
        .select_from(fact)
        .outerjoin(
            tally,
            and_(
                tally.pairing_id == fact.pairing_id,
                tally.year == filters.year,
                tally.month == filters.end.month,
            ),
        )
        .where(
            fact.started_on <= filters.end,
            or_(fact.ended_on.is_(None), fact.ended_on >= filters.start),
            _in_area(fact.county_code, area),
        )
    )


def compliance_summary(
    engine: Engine, scope: Scope, filters: Filters, requirement: Requirement
) -> dict[str, int]:
    """Counts over the pairings in the area: total, meeting the requirement, never contacted
    remotely, never visited."""
    per = _pairing_counts(scope, filters, requirement).subquery()
    stmt = select(
        func.count().label("pairings"),
        func.count(
            case((and_(per.c.remote >= requirement.remote, per.c.visits >= requirement.visits), 1))
        ).label("meeting"),
        func.count(case((per.c.remote + per.c.visits == 0, 1))).label("never_contacted"),
        func.count(case((per.c.visits == 0, 1))).label("never_visited"),
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    return {k: int(v) for k, v in row._mapping.items()}


# --- indicators -------------------------------------------------------------------------------


def indicator_progress(engine: Engine, scope: Scope, filters: Filters) -> pd.DataFrame:
    """Every indicator with its target in the area and year and what was achieved by the end
    of the period. Counts add up monthly values; a rate is the mean over the area's counties of
    the latest month's rate. Facility and contact indicators are filled by their own queries."""
    area = effective_area(scope, filters)
    month_start = dt.date(filters.end.year, filters.end.month, 1)
    targets = (
        select(IndicatorTarget.indicator_id, func.sum(IndicatorTarget.target).label("target"))
        .where(IndicatorTarget.year == filters.year, _in_area(IndicatorTarget.county_code, area))
        .group_by(IndicatorTarget.indicator_id)
        .subquery()
    )
    counted = (
        select(
            IndicatorValue.indicator_id,
            func.sum(IndicatorValue.value).label("achieved"),
            func.max(cast(IndicatorValue.illustrative, Integer)).label("illustrative"),
        )
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(
            Indicator.kind == "count",
            IndicatorValue.month.between(filters.start, filters.end),
            _in_area(IndicatorValue.county_code, area),
        )
        .group_by(IndicatorValue.indicator_id)
    )
    latest_rate = (
        select(
            IndicatorValue.indicator_id,
            func.avg(IndicatorValue.value).label("achieved"),
            func.max(cast(IndicatorValue.illustrative, Integer)).label("illustrative"),
        )
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(
            Indicator.kind == "rate",
            IndicatorValue.month == month_start,
            _in_area(IndicatorValue.county_code, area),
        )
        .group_by(IndicatorValue.indicator_id)
    )
    achieved = counted.union_all(latest_rate).subquery()
    stmt = (
        select(
            Indicator.code,
            Indicator.measure_id,
            Indicator.name_zh,
            Indicator.name_en,
            Indicator.unit_zh,
            Indicator.unit_en,
            Indicator.kind,
            Indicator.source,
            cast(Indicator.rate_target, Numeric(6, 2)).label("rate_target"),
            targets.c.target,
            achieved.c.achieved,
            func.coalesce(achieved.c.illustrative, 0).label("illustrative"),
        )
        .outerjoin(targets, targets.c.indicator_id == Indicator.id)
        .outerjoin(achieved, achieved.c.indicator_id == Indicator.id)
        .order_by(Indicator.sort)
    )
    frame = _frame(engine, stmt)
    for column in ("rate_target", "target", "achieved"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["illustrative"] = frame["illustrative"].astype(bool)
    return frame
