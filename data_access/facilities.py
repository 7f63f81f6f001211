"""Questions the facility maps ask: where the Love Huts and day-care centers are, how far each
area has built them against its allocation, one facility's profile, and contact compliance per
area for colouring the map. A facility's status is the one it had at the period's end, read from
its history, so a past quarter shows the map as it was then."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, and_, case, func, literal, select

from data_access.models import (
    FACILITY_KINDS,
    FACILITY_STATUSES,
    County,
    Facility,
    FacilityStatusChange,
    Indicator,
    IndicatorTarget,
    Prefecture,
)
from data_access.queries import (
    FACILITY_TARGETS,
    Requirement,
    _frame,
    _in_area,
    _pairing_counts,
    _status_on,
    _sum,
)
from data_access.scope import Filters, Scope, effective_area

LEVELS = ("prefecture", "county")


def _level_key(level: str):
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    return County.prefecture_code if level == "prefecture" else County.code


def facilities(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    kinds: tuple[str, ...] = FACILITY_KINDS,
    statuses: tuple[str, ...] = FACILITY_STATUSES,
) -> pd.DataFrame:
    """Facilities in the area of the chosen types and with the chosen status at the period's
    end, with their place, status and size. The opening date is blank if it lies after the
    period's end."""
    area = effective_area(scope, filters)
    status = _status_on(filters.end)
    stmt = (
        select(
            Facility.id,
            Facility.code,
            Facility.kind,
            Facility.name,
            County.prefecture_code,
            Prefecture.name.label("prefecture"),
            Facility.county_code,
            County.name.label("county"),
            Facility.address,
            Facility.lon,
            Facility.lat,
            status.c.status,
            status.c.changed_on.label("status_since"),
            case((Facility.opened_on <= filters.end, Facility.opened_on)).label("opened_on"),
            Facility.disabled_jobs,
            Facility.places,
            Facility.people_served,
            Facility.operator,
            Facility.illustrative,
        )
        .join(status, status.c.facility_id == Facility.id)
        .join(County, County.code == Facility.county_code)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .where(
            _in_area(Facility.county_code, area),
            Facility.kind.in_(kinds) if kinds else literal(False),
            status.c.status.in_(statuses) if statuses else literal(False),
        )
        .order_by(Prefecture.sort, County.sort, Facility.kind, Facility.code)
    )
    frame = _frame(engine, stmt)
    for column in ("lon", "lat"):
        frame[column] = frame[column].astype(float)
    for column in ("disabled_jobs", "places", "people_served"):
        frame[column] = frame[column].astype("Int64")
    frame["illustrative"] = frame["illustrative"].astype(bool)
    return frame


def _areas(scope: Scope, filters: Filters, level: str):
    """The prefectures or county-level areas a per-area question reports on, in order."""
    area = effective_area(scope, filters)
    if level == "prefecture":
        stmt = select(Prefecture.code, Prefecture.name).order_by(Prefecture.sort)
        if area.prefecture:
            stmt = stmt.where(Prefecture.code == area.prefecture)
        return stmt
    return (
        select(County.code, County.name)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .where(_in_area(County.code, area))
        .order_by(Prefecture.sort, County.sort)
    )


def progress_by_area(
    engine: Engine, scope: Scope, filters: Filters, level: str = "prefecture"
) -> pd.DataFrame:
    """Per prefecture (or county-level area) and facility type: the allocation for the year
    (indicator targets m6_love_huts, m8_day_care) and how many facilities were planned, under
    construction, operating and suspended at the period's end. Every area in the filtered area
    has a row for each type, zeros included."""
    area = effective_area(scope, filters)
    key = _level_key(level)
    status = _status_on(filters.end)
    counts = (
        select(
            key.label("code"),
            Facility.kind,
            *[func.count(case((status.c.status == s, 1))).label(s) for s in FACILITY_STATUSES],
        )
        .join(status, status.c.facility_id == Facility.id)
        .join(County, County.code == Facility.county_code)
        .where(_in_area(Facility.county_code, area))
        .group_by(key, Facility.kind)
    )
    kind_of = case(
        *[(Indicator.code == code, literal(kind)) for kind, code in FACILITY_TARGETS.items()]
    )
    targets = (
        select(
            key.label("code"), kind_of.label("kind"), _sum(IndicatorTarget.target).label("target")
        )
        .join(Indicator, Indicator.id == IndicatorTarget.indicator_id)
        .join(County, County.code == IndicatorTarget.county_code)
        .where(
            Indicator.code.in_(FACILITY_TARGETS.values()),
            IndicatorTarget.year == filters.year,
            _in_area(IndicatorTarget.county_code, area),
        )
        .group_by(key, kind_of)
    )
    areas = _frame(engine, _areas(scope, filters, level))
    grid = areas.merge(pd.DataFrame({"kind": list(FACILITY_TARGETS)}), how="cross")
    columns = ["code", "kind", "target", *FACILITY_STATUSES]
    frame = (
        grid.merge(_frame(engine, targets), on=["code", "kind"], how="left")
        .merge(_frame(engine, counts), on=["code", "kind"], how="left")
        .reindex(columns=["code", "name", *columns[1:]])
    )
    frame[columns[2:]] = frame[columns[2:]].fillna(0).astype(int)
    return frame


def compliance_by_area(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    requirement: Requirement,
    level: str = "prefecture",
) -> pd.DataFrame:
    """Per prefecture (or county-level area, by the recipient's home): pairings active in the
    period and how many meet the requirement. Areas without pairings have no row."""
    key = _level_key(level)
    per = _pairing_counts(scope, filters, requirement).subquery()
    meets = and_(per.c.remote >= requirement.remote, per.c.visits >= requirement.visits)
    stmt = (
        select(
            key.label("code"),
            func.count().label("pairings"),
            func.count(case((meets, 1))).label("meeting"),
        )
        .join(County, County.code == per.c.county_code)
        .group_by(key)
        .order_by(key)
    )
    frame = _frame(engine, stmt)
    frame[["pairings", "meeting"]] = frame[["pairings", "meeting"]].astype(int)
    return frame


def facility_profile(
    engine: Engine, scope: Scope, filters: Filters, facility_id: int
) -> dict | None:
    """One facility as it stood at the period's end, with its status changes up to then (in
    order). None if it is outside the area or did not exist yet."""
    area = effective_area(scope, filters)
    status = _status_on(filters.end)
    stmt = (
        select(
            Facility.id,
            Facility.code,
            Facility.kind,
            Facility.name,
            Prefecture.name.label("prefecture"),
            County.name.label("county"),
            Facility.address,
            Facility.lon,
            Facility.lat,
            status.c.status,
            status.c.changed_on.label("status_since"),
            case((Facility.opened_on <= filters.end, Facility.opened_on)).label("opened_on"),
            Facility.disabled_jobs,
            Facility.places,
            Facility.people_served,
            Facility.operator,
            Facility.illustrative,
        )
        .join(status, status.c.facility_id == Facility.id)
        .join(County, County.code == Facility.county_code)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .where(Facility.id == facility_id, _in_area(Facility.county_code, area))
    )
    history = (
        select(
            FacilityStatusChange.changed_on, FacilityStatusChange.status, FacilityStatusChange.note
        )
        .where(
            FacilityStatusChange.facility_id == facility_id,
            FacilityStatusChange.changed_on <= filters.end,
        )
        .order_by(FacilityStatusChange.changed_on, FacilityStatusChange.id)
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).one_or_none()
    if row is None:
        return None
    profile = dict(row._mapping)
    profile["lon"], profile["lat"] = float(profile["lon"]), float(profile["lat"])
    profile["illustrative"] = bool(profile["illustrative"])
    profile["history"] = _frame(engine, history)
    return profile
