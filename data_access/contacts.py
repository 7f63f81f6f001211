"""Measure 9 (直接联系帮扶): the questions the contacts page asks.

Every pairing active in the year is judged on the remote contacts and home visits it had from
1 January to the period's end, against a `ContactStandard` that the dashboard's rules
(`dashboard.rules.ContactRule.standard`) derive for the as-of day. The SQL here only compares
counts with the standard's numbers; what the numbers are is decided in one place, the rules.

A pairing's area is its recipient's county (as in `queries._pairing_counts`), so the counts of
the prefectures add up to the province's. A cadre's area (for cadres without a pairing) is
where the cadre's unit sits.

Recipients' names never leave this module in full: `_masked_name` turns them into 张*明 or
李* inside the SQL, and no recipient identifier (code, identity-number hash or last digits) is
selected at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    Engine,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.sql import ColumnElement, Select, Subquery

from data_access.models import (
    CADRE_LEVELS,
    CHANNELS,
    Cadre,
    Contact,
    ContactCount,
    County,
    Pairing,
    PairingFact,
    Prefecture,
)
from data_access.models import Recipient as RecipientRow
from data_access.queries import Requirement, _frame, _in_area, _pairing_counts, _sum
from data_access.scope import Filters, Scope, effective_area

# The most rows a list returns; the page says when there are more and asks to narrow the area.
LIST_LIMIT = 3000
# What a pairing on the behind/at-risk list may be missing (the list's filter).
MISSING = ("remote", "visits", "quiet", "pace")
_EPOCH = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class ContactStandard:
    """The numbers a pairing is judged against on one as-of day (see dashboard.rules).

    - on track: remote ≥ due.remote and visits ≥ due.visits
    - compliant (the year's rule already met): remote ≥ year.remote and visits ≥ year.visits
    - pace short: remote × year_days < year.remote × elapsed_days (judged only when
      judge_remote_pace), or the same for visits (when judge_visit_pace), i.e. at the pace so
      far the year would end short
    - quiet: the last contact (or, without one, the later of the pairing's start and 1 January)
      falls on or before quiet_cutoff
    - at risk: not compliant, and pace short or quiet
    """

    due: Requirement
    year: Requirement
    elapsed_days: int
    year_days: int
    judge_remote_pace: bool
    judge_visit_pace: bool
    quiet_cutoff: dt.date


# --- building blocks --------------------------------------------------------------------------


def _masked_name(name) -> ColumnElement:
    """张三丰 → 张*丰, 欧阳明华 → 欧*华, 李四 → 李*, 王 → *: first and last character only, and
    one star whatever the length, so the length of the name is not told either."""
    length = func.length(name)
    first = func.substr(name, 1, 1)
    last = func.substr(name, length, 1)
    return case(
        (length <= 1, literal("*")),
        (length == 2, first + literal("*")),
        else_=first + literal("*") + last,
    )


def _flag(condition) -> ColumnElement:
    return case((condition, 1), else_=0)


def _assessed(scope: Scope, filters: Filters, std: ContactStandard) -> Subquery:
    """One row per pairing active in the year to the period's end, in the area: its counts,
    last contact, cadre and the rule's verdicts as 0/1 flags."""
    base = (
        _pairing_counts(scope, filters, std.due)
        .add_columns(PairingFact.recipient_id, PairingFact.started_on, PairingFact.level)
        .subquery()
    )
    remote, visits = base.c.remote, base.c.visits
    compliant = and_(remote >= std.year.remote, visits >= std.year.visits)
    on_track = and_(remote >= std.due.remote, visits >= std.due.visits)
    # Integer comparison of (count so far ÷ days elapsed) × days in the year with the year's need.
    pace_checks = []
    if std.judge_remote_pace:
        pace_checks.append(remote * std.year_days < std.year.remote * std.elapsed_days)
    if std.judge_visit_pace:
        pace_checks.append(visits * std.year_days < std.year.visits * std.elapsed_days)
    pace_short = or_(*pace_checks) if pace_checks else false()
    since = case((base.c.started_on > filters.start, base.c.started_on), else_=filters.start)
    last_activity = func.coalesce(base.c.last_contact, since)
    quiet = last_activity <= std.quiet_cutoff
    at_risk = and_(not_(compliant), or_(pace_short, quiet))
    return select(
        base.c.pairing_id,
        base.c.cadre_id,
        base.c.recipient_id,
        base.c.county_code,
        base.c.level,
        base.c.remote,
        base.c.visits,
        base.c.last_contact,
        _flag(compliant).label("compliant"),
        _flag(on_track).label("on_track"),
        _flag(pace_short).label("pace_short"),
        _flag(quiet).label("quiet"),
        _flag(at_risk).label("at_risk"),
        _flag(remote + visits == 0).label("never_contacted"),
        _flag(visits == 0).label("never_visited"),
        _flag(remote < std.due.remote).label("remote_short"),
        _flag(visits < std.due.visits).label("visits_short"),
    ).subquery()


COUNT_COLUMNS = (
    "pairings",
    "compliant",
    "on_track",
    "behind",
    "at_risk",
    "never_contacted",
    "never_visited",
)


def _counts(per: Subquery) -> list[ColumnElement]:
    return [
        func.count().label("pairings"),
        func.sum(per.c.compliant).label("compliant"),
        func.sum(per.c.on_track).label("on_track"),
        func.sum(1 - per.c.on_track).label("behind"),
        func.sum(per.c.at_risk).label("at_risk"),
        func.sum(per.c.never_contacted).label("never_contacted"),
        func.sum(per.c.never_visited).label("never_visited"),
    ]


def _ints(frame: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    return frame


# --- compliance -------------------------------------------------------------------------------


def compliance_counts(
    engine: Engine, scope: Scope, filters: Filters, std: ContactStandard
) -> pd.DataFrame:
    """Pairings by recipient's county and cadre's federation level (at most 87 × 3 rows): how
    many there are, compliant with the year's rule, on track, behind, at risk, never contacted
    and never visited. One pass over the contacts; the page rolls these rows up to the
    province, the prefectures, the counties and the levels, so they always add up."""
    per = _assessed(scope, filters, std)
    grouped = (
        select(per.c.county_code, per.c.level, *_counts(per))
        .group_by(per.c.county_code, per.c.level)
        .subquery()
    )
    stmt = (
        select(
            County.prefecture_code,
            Prefecture.name.label("prefecture_name"),
            grouped.c.county_code,
            County.name.label("county_name"),
            grouped.c.level,
            *[grouped.c[c] for c in COUNT_COLUMNS],
        )
        .join(County, County.code == grouped.c.county_code)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .order_by(Prefecture.sort, County.sort, grouped.c.level)
    )
    return _ints(_frame(engine, stmt), COUNT_COLUMNS)


def areas(engine: Engine, scope: Scope, filters: Filters) -> pd.DataFrame:
    """The county-level areas of the chosen area with their prefecture (to show areas that
    have no pairing at all with zeros, not leave them out)."""
    area = effective_area(scope, filters)
    stmt = (
        select(
            County.prefecture_code,
            Prefecture.name.label("prefecture_name"),
            County.code.label("county_code"),
            County.name.label("county_name"),
        )
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .where(_in_area(County.code, area))
        .order_by(Prefecture.sort, County.sort)
    )
    return _frame(engine, stmt)


def _missing_condition(per: Subquery, missing: str | None):
    if missing is None:
        return literal(True)
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}, not {missing!r}")
    return {
        "remote": per.c.remote_short == 1,
        "visits": per.c.visits_short == 1,
        "quiet": and_(per.c.quiet == 1, per.c.compliant == 0),
        "pace": and_(per.c.pace_short == 1, per.c.compliant == 0),
    }[missing]


def behind_or_at_risk(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    std: ContactStandard,
    level: str | None = None,
    missing: str | None = None,
    limit: int = LIST_LIMIT,
) -> pd.DataFrame:
    """Pairings behind (short of what is due by now) or at risk, most missing first: cadre,
    unit and level, the recipient's area and MASKED name, remote contacts and visits so far,
    last contact, what is due, and the flags saying what is missing. At most `limit` rows;
    `total` on every row is how many there are in all."""
    if level is not None and level not in CADRE_LEVELS:
        raise ValueError(f"level must be one of {CADRE_LEVELS}, not {level!r}")
    per = _assessed(scope, filters, std)
    remote_missing = case(
        (per.c.remote < std.due.remote, std.due.remote - per.c.remote), else_=0
    ).label("remote_missing")
    visits_missing = case(
        (per.c.visits < std.due.visits, std.due.visits - per.c.visits), else_=0
    ).label("visits_missing")
    # First the pairings on the list, ranked and cut to `limit`, from their own numbers; then
    # names and places for those few rows only (not for every pairing behind).
    listed = (
        select(
            per.c.pairing_id,
            per.c.cadre_id,
            per.c.recipient_id,
            per.c.county_code,
            per.c.remote,
            per.c.visits,
            per.c.last_contact,
            remote_missing,
            visits_missing,
            per.c.on_track,
            per.c.quiet,
            per.c.pace_short,
            per.c.at_risk,
            func.count().over().label("total"),
        )
        .where(or_(per.c.on_track == 0, per.c.at_risk == 1), _missing_condition(per, missing))
        .order_by(
            (remote_missing + visits_missing).desc(),
            per.c.at_risk.desc(),
            func.coalesce(per.c.last_contact, _EPOCH),
            per.c.pairing_id,
        )
        .limit(limit)
    )
    if level:
        listed = listed.where(per.c.level == level)
    listed = listed.subquery()
    stmt = (
        select(
            listed.c.pairing_id,
            Cadre.id.label("cadre_id"),
            Cadre.code.label("cadre_code"),
            Cadre.name.label("cadre_name"),
            Cadre.level,
            Cadre.unit,
            Prefecture.name.label("prefecture_name"),
            County.name.label("county_name"),
            _masked_name(RecipientRow.name).label("recipient"),
            listed.c.remote,
            listed.c.visits,
            listed.c.last_contact,
            listed.c.remote_missing,
            listed.c.visits_missing,
            listed.c.on_track,
            listed.c.quiet,
            listed.c.pace_short,
            listed.c.at_risk,
            listed.c.total,
        )
        .select_from(listed)
        .join(Cadre, Cadre.id == listed.c.cadre_id)
        .join(RecipientRow, RecipientRow.id == listed.c.recipient_id)
        .join(County, County.code == listed.c.county_code)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .order_by(
            (listed.c.remote_missing + listed.c.visits_missing).desc(),
            listed.c.at_risk.desc(),
            func.coalesce(listed.c.last_contact, _EPOCH),
            listed.c.pairing_id,
        )
    )
    frame = _frame(engine, stmt)
    frame = _ints(
        frame,
        (
            "remote",
            "visits",
            "remote_missing",
            "visits_missing",
            "on_track",
            "quiet",
            "pace_short",
            "at_risk",
            "total",
        ),
    )
    for column in ("on_track", "quiet", "pace_short", "at_risk"):
        frame[column] = frame[column].astype(bool)
    frame["last_contact"] = pd.to_datetime(frame["last_contact"]).dt.date
    return frame


def cadre_timeline(engine: Engine, scope: Scope, filters: Filters, cadre_id: int) -> pd.DataFrame:
    """Every contact of one cadre's pairings in the area, from 1 January to the period's end,
    oldest first: date, channel, the recipient's masked name and area."""
    area = effective_area(scope, filters)
    stmt = (
        select(
            Contact.contacted_on,
            Contact.channel,
            Pairing.id.label("pairing_id"),
            _masked_name(RecipientRow.name).label("recipient"),
            County.name.label("county_name"),
        )
        .join(Pairing, Pairing.id == Contact.pairing_id)
        .join(RecipientRow, RecipientRow.id == Pairing.recipient_id)
        .join(County, County.code == RecipientRow.county_code)
        .where(
            Pairing.cadre_id == cadre_id,
            Contact.contacted_on.between(filters.start, filters.end),
            _in_area(RecipientRow.county_code, area),
        )
        .order_by(Contact.contacted_on, Contact.id)
    )
    frame = _frame(engine, stmt)
    frame["contacted_on"] = pd.to_datetime(frame["contacted_on"]).dt.date
    return frame


def cadre_pairings(
    engine: Engine, scope: Scope, filters: Filters, std: ContactStandard, cadre_id: int
) -> pd.DataFrame:
    """One cadre's pairings in the area with their counts and verdicts (masked names)."""
    per = _assessed(scope, filters, std)
    stmt = (
        select(
            per.c.pairing_id,
            _masked_name(RecipientRow.name).label("recipient"),
            County.name.label("county_name"),
            per.c.remote,
            per.c.visits,
            per.c.last_contact,
            per.c.compliant,
            per.c.on_track,
            per.c.at_risk,
        )
        .select_from(per)
        .join(RecipientRow, RecipientRow.id == per.c.recipient_id)
        .join(County, County.code == per.c.county_code)
        .where(per.c.cadre_id == cadre_id)
        .order_by(per.c.pairing_id)
    )
    frame = _ints(_frame(engine, stmt), ("remote", "visits", "compliant", "on_track", "at_risk"))
    frame["last_contact"] = pd.to_datetime(frame["last_contact"]).dt.date
    return frame


# --- contacts over time and by channel --------------------------------------------------------


def contacts_by_month(engine: Engine, scope: Scope, filters: Filters) -> pd.DataFrame:
    """Contacts in the area per month (January to the period's last month) and channel: one
    row for every month and channel, zeros too. The channel mix and the monthly trend of
    contacts and visits are both sums of these rows.

    Read from contact_counts (per month, county-level area and channel, kept by triggers on
    contacts): at most 87 × 12 × 5 rows a year instead of a million contacts."""
    area = effective_area(scope, filters)
    stmt = (
        select(
            ContactCount.month,
            ContactCount.channel,
            _sum(ContactCount.contacts).label("contacts"),
        )
        .where(
            ContactCount.year == filters.year,
            ContactCount.month <= filters.end.month,
            _in_area(ContactCount.county_code, area),
        )
        .group_by(ContactCount.month, ContactCount.channel)
    )
    got = _frame(engine, stmt).set_index(["month", "channel"])["contacts"]
    index = pd.MultiIndex.from_product(
        [range(1, filters.end.month + 1), CHANNELS], names=["month", "channel"]
    )
    frame = got.reindex(index, fill_value=0).reset_index()
    return _ints(frame, ("month", "contacts"))


# --- 应结尽结: everyone eligible paired, every cadre pairing ------------------------------------


def _active_pairing_on(day: dt.date) -> ColumnElement:
    return and_(Pairing.started_on <= day, or_(Pairing.ended_on.is_(None), Pairing.ended_on >= day))


def _unpaired_recipients(scope: Scope, filters: Filters, day: dt.date) -> Select:
    area = effective_area(scope, filters)
    paired = exists().where(Pairing.recipient_id == RecipientRow.id, _active_pairing_on(day))
    return select(
        RecipientRow.id,
        RecipientRow.name,
        RecipientRow.county_code,
        RecipientRow.category,
        RecipientRow.grade,
    ).where(RecipientRow.eligible.is_(True), not_(paired), _in_area(RecipientRow.county_code, area))


def _unpaired_cadres(scope: Scope, filters: Filters, day: dt.date) -> Select:
    area = effective_area(scope, filters)
    pairing = exists().where(Pairing.cadre_id == Cadre.id, _active_pairing_on(day))
    return select(
        Cadre.id, Cadre.code, Cadre.name, Cadre.level, Cadre.unit, Cadre.county_code
    ).where(Cadre.active.is_(True), not_(pairing), _in_area(Cadre.county_code, area))


def _count_by_county(rows: Select, label: str) -> Subquery:
    rows = rows.subquery()
    return (
        select(rows.c.county_code, func.count().label(label))
        .group_by(rows.c.county_code)
        .subquery()
    )


def pairing_coverage(engine: Engine, scope: Scope, filters: Filters, day: dt.date) -> pd.DataFrame:
    """Per county-level area of the chosen area, on a day: eligible recipients, those of them
    without an active pairing, active cadres (by their unit's place) and those without one.

    Each count is its own grouped subquery with the "no active pairing" test in its WHERE, so
    PostgreSQL answers it with one hash anti-join instead of a probe per person."""
    area = effective_area(scope, filters)
    eligible = select(RecipientRow.county_code).where(
        RecipientRow.eligible.is_(True), _in_area(RecipientRow.county_code, area)
    )
    serving = select(Cadre.county_code).where(
        Cadre.active.is_(True), _in_area(Cadre.county_code, area)
    )
    counts = [
        _count_by_county(eligible, "eligible"),
        _count_by_county(_unpaired_recipients(scope, filters, day), "recipients_unpaired"),
        _count_by_county(serving, "cadres"),
        _count_by_county(_unpaired_cadres(scope, filters, day), "cadres_unpaired"),
    ]
    stmt = (
        select(
            County.prefecture_code,
            Prefecture.name.label("prefecture_name"),
            County.code.label("county_code"),
            County.name.label("county_name"),
            *[func.coalesce(c.c[c.c.keys()[1]], 0).label(c.c.keys()[1]) for c in counts],
        )
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .where(_in_area(County.code, area))
        .order_by(Prefecture.sort, County.sort)
    )
    for c in counts:
        stmt = stmt.outerjoin(c, c.c.county_code == County.code)
    return _ints(
        _frame(engine, stmt), ("eligible", "recipients_unpaired", "cadres", "cadres_unpaired")
    )


def unpaired_recipients(
    engine: Engine, scope: Scope, filters: Filters, day: dt.date, limit: int = LIST_LIMIT
) -> pd.DataFrame:
    """Eligible recipients without an active pairing on the day, by area: MASKED name,
    disability category and grade. `total` is how many there are in all."""
    rows = _unpaired_recipients(scope, filters, day).subquery()
    stmt = (
        select(
            Prefecture.name.label("prefecture_name"),
            County.name.label("county_name"),
            _masked_name(rows.c.name).label("recipient"),
            rows.c.category,
            rows.c.grade,
            func.count().over().label("total"),
        )
        .join(County, County.code == rows.c.county_code)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .order_by(Prefecture.sort, County.sort, rows.c.id)
        .limit(limit)
    )
    return _ints(_frame(engine, stmt), ("grade", "total"))


def unpaired_cadres(
    engine: Engine, scope: Scope, filters: Filters, day: dt.date, limit: int = LIST_LIMIT
) -> pd.DataFrame:
    """Active cadres without an active pairing on the day, by the place of their unit."""
    rows = _unpaired_cadres(scope, filters, day).subquery()
    stmt = (
        select(
            Prefecture.name.label("prefecture_name"),
            County.name.label("county_name"),
            rows.c.code.label("cadre_code"),
            rows.c.name.label("cadre_name"),
            rows.c.level,
            rows.c.unit,
            func.count().over().label("total"),
        )
        .join(County, County.code == rows.c.county_code)
        .join(Prefecture, Prefecture.code == County.prefecture_code)
        .order_by(Prefecture.sort, County.sort, rows.c.id)
        .limit(limit)
    )
    return _ints(_frame(engine, stmt), ("total",))
