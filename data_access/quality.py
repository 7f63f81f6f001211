"""数据质量: rules that find records which do not look real (not badly formatted ones: the
importer refuses those). Each rule is one SQL question over the database that returns its
findings (a few hundred rows at most on real data), never a table loaded into pandas. A few
rules finish in Python on what the SQL found: distances between county seats, a point inside a
county's boundary, and the modified z-score of a county's monthly totals (over ≤ a few hundred
monthly sums that the SQL added up).

A finding has a rule id, the county it belongs to (where a viewer's scope applies), a day (for
the trend), a key made of natural codes (so that a mark "checked" survives a re-import that
gives the rows new ids), a subject in words (recipients masked as 张*明, no identifier) and a
value (how many, how far, how much). What each rule means, in both languages, is in the
dashboard's labels under dq_<rule id>; the thresholds are QualityThresholds, set in
`[quality]` settings.

Negative corrections without a matching payment cannot occur: the schema refuses negative
amounts (disbursements.amount_not_negative), so there is no rule for them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import (
    Connection,
    Date,
    Engine,
    and_,
    cast,
    distinct,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from data_access import geography
from data_access.contacts import _masked_name
from data_access.db import bump_data_version
from data_access.models import (
    BudgetAllocation,
    BudgetLine,
    Cadre,
    Contact,
    Disbursement,
    Facility,
    ImportBatch,
    PairingFact,
    QualityReview,
    Recipient,
)
from data_access.queries import _in_area
from data_access.scope import Area, Filters, Scope, effective_area, prefecture_of
from data_access.users import _audit

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class QualityThresholds:
    bunch_days: int = 10  # the last days of a quarter
    bunch_share: float = 0.6  # share of a cadre's contacts of the year in those days
    bunch_min: int = 6  # a cadre with fewer contacts in the year is not judged
    visits_per_day: int = 4  # more home visits in one day than a person can make
    visits_far_km: int = 150  # same-day home visits in counties this far apart
    copied_min: int = 10  # the same note on this many contacts in a county
    copied_length: int = 8  # shorter notes (已联系, 电话问候) are not compared
    outlier_z: float = 3.5  # modified z-score of a county's month total
    outlier_months: int = 6  # months with payments a county needs before it is judged
    pairing_far_km: int = 200  # a cadre's county seat to the recipient's
    pairings_per_cadre: int = 8  # more pairings than one person can serve


@dataclass(frozen=True)
class Rule:
    id: str
    subject: str  # contacts, money, facilities, pairings
    severity: str


RULES = (
    Rule("contact_before_pairing", "contacts", "high"),
    Rule("contact_after_pairing", "contacts", "high"),
    Rule("contact_future", "contacts", "high"),
    Rule("contact_repeated", "contacts", "medium"),
    Rule("contacts_bunched", "contacts", "medium"),
    Rule("visits_too_many", "contacts", "high"),
    Rule("visits_far_apart", "contacts", "high"),
    Rule("notes_copied", "contacts", "low"),
    Rule("paid_over_plan", "money", "high"),
    Rule("month_outlier", "money", "medium"),
    Rule("facility_no_opening", "facilities", "medium"),
    Rule("facility_outside_county", "facilities", "high"),
    Rule("pairing_far", "pairings", "medium"),
    Rule("cadre_overloaded", "pairings", "medium"),
)
RULE_IDS = tuple(r.id for r in RULES)
FINDING_COLUMNS = ["rule", "county_code", "day", "key", "subject", "value"]
LIMIT = 5_000  # findings per rule at most (a rule finding more says its thresholds are wrong)


def _day(column, conn: Connection):
    """The calendar day of a stored timestamp (SQLite keeps text; CAST there gives a number)."""
    return func.date(column) if conn.dialect.name == "sqlite" else cast(column, Date)


def _km(a: str, b: str) -> float:
    """Great-circle distance between two counties' centres, in km."""
    (lon1, lat1), (lon2, lat2) = geography.center(a, "county"), geography.center(b, "county")
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cos = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0 * math.acos(max(-1.0, min(1.0, cos)))


def _quarter_windows(year: int, days: int) -> list[tuple[dt.date, dt.date]]:
    ends = [dt.date(year, 3, 31), dt.date(year, 6, 30), dt.date(year, 9, 30), dt.date(year, 12, 31)]
    return [(end - dt.timedelta(days=days - 1), end) for end in ends]


def _cadre_text(name, unit) -> str:
    return f"{name}（{unit}）"


# --- the rules ----------------------------------------------------------------------------------


class _Ask:
    """What every rule needs: the connection, the area, the year's days, thresholds, today."""

    def __init__(self, conn, area: Area, filters: Filters, th: QualityThresholds, today):
        self.conn, self.area, self.th, self.today = conn, area, th, today
        self.start, self.end = filters.start, filters.end
        self.year = filters.year

    def frame(self, stmt) -> pd.DataFrame:
        result = self.conn.execute(stmt.limit(LIMIT))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _contact_rows(ask: _Ask, condition, *, joins_batch: bool = False):
    """Single contacts matching `condition`, with the cadre and the masked recipient."""
    person = aliased(Recipient)
    stmt = (
        select(
            Contact.county_code,
            Contact.contacted_on.label("day"),
            Cadre.code.label("cadre_code"),
            Cadre.name.label("cadre_name"),
            Cadre.unit,
            person.code.label("recipient_code"),
            _masked_name(person.name).label("recipient"),
            Contact.channel,
            PairingFact.started_on,
            PairingFact.ended_on,
        )
        .join(PairingFact, PairingFact.pairing_id == Contact.pairing_id)
        .join(Cadre, Cadre.id == PairingFact.cadre_id)
        .join(person, person.id == PairingFact.recipient_id)
        .where(condition, _in_area(Contact.county_code, ask.area))
        .order_by(Contact.county_code, Contact.contacted_on)
    )
    if joins_batch:
        stmt = stmt.join(ImportBatch, ImportBatch.id == Contact.batch_id)
    return stmt


def _contacts_found(rule: str, rows: pd.DataFrame, value) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": rule,
            "county_code": rows["county_code"],
            "day": rows["day"],
            "key": [
                f"{c}/{r}/{d}/{ch}"
                for c, r, d, ch in zip(
                    rows["cadre_code"],
                    rows["recipient_code"],
                    rows["day"],
                    rows["channel"],
                    strict=True,
                )
            ],
            "subject": [
                f"{_cadre_text(n, u)} → {r}"
                for n, u, r in zip(rows["cadre_name"], rows["unit"], rows["recipient"], strict=True)
            ],
            "value": value,
        },
        columns=FINDING_COLUMNS,
    )


def contact_before_pairing(ask: _Ask) -> pd.DataFrame:
    """Contacts dated before their pairing started (value: days before)."""
    rows = ask.frame(
        _contact_rows(
            ask,
            and_(
                Contact.contacted_on.between(ask.start, ask.end),
                Contact.contacted_on < PairingFact.started_on,
            ),
        )
    )
    days = [(s - d).days for s, d in zip(rows["started_on"], rows["day"], strict=True)]
    return _contacts_found("contact_before_pairing", rows, days)


def contact_after_pairing(ask: _Ask) -> pd.DataFrame:
    """Contacts dated after their pairing ended (value: days after)."""
    rows = ask.frame(
        _contact_rows(
            ask,
            and_(
                Contact.contacted_on.between(ask.start, ask.end),
                PairingFact.ended_on.is_not(None),
                Contact.contacted_on > PairingFact.ended_on,
            ),
        )
    )
    days = [(d - e).days for e, d in zip(rows["ended_on"], rows["day"], strict=True)]
    return _contacts_found("contact_after_pairing", rows, days)


def contact_future(ask: _Ask) -> pd.DataFrame:
    """Contacts dated after the day they were imported, or after today (value: days ahead)."""
    recorded = _day(ImportBatch.imported_at, ask.conn)
    ahead = ask.frame(
        _contact_rows(
            ask,
            and_(Contact.contacted_on.between(ask.start, ask.end), Contact.contacted_on > recorded),
            joins_batch=True,
        ).add_columns(recorded.label("recorded"))
    )
    later = ask.frame(_contact_rows(ask, Contact.contacted_on > ask.today))
    ahead["value"] = [
        (d - pd.Timestamp(r).date()).days
        for d, r in zip(ahead["day"], ahead["recorded"], strict=True)
    ]
    later["value"] = [(d - ask.today).days for d in later["day"]]
    rows = pd.concat([ahead, later], ignore_index=True).drop_duplicates(
        ["cadre_code", "recipient_code", "day", "channel"]
    )
    return _contacts_found("contact_future", rows, rows["value"].tolist())


def _pairing_people(ask: _Ask, grouped):
    """Cadre and masked recipient of the pairing_id column of `grouped`."""
    person = aliased(Recipient)
    return (
        select(
            grouped,
            Cadre.code.label("cadre_code"),
            Cadre.name.label("cadre_name"),
            Cadre.unit,
            person.code.label("recipient_code"),
            _masked_name(person.name).label("recipient"),
        )
        .join(PairingFact, PairingFact.pairing_id == grouped.c.pairing_id)
        .join(Cadre, Cadre.id == PairingFact.cadre_id)
        .join(person, person.id == PairingFact.recipient_id)
    )


def contact_repeated(ask: _Ask) -> pd.DataFrame:
    """The same contact entered more than once: one pairing, one day, one channel (value: how
    many times)."""
    grouped = (
        select(
            Contact.pairing_id,
            Contact.contacted_on.label("day"),
            Contact.channel,
            func.min(Contact.county_code).label("county_code"),
            func.count().label("n"),
        )
        .where(
            Contact.contacted_on.between(ask.start, ask.end),
            _in_area(Contact.county_code, ask.area),
        )
        .group_by(Contact.pairing_id, Contact.contacted_on, Contact.channel)
        .having(func.count() > 1)
        .subquery()
    )
    rows = ask.frame(_pairing_people(ask, grouped).order_by(grouped.c.county_code, grouped.c.day))
    return _contacts_found("contact_repeated", rows, rows["n"])


def _cadre_found(rule: str, rows: pd.DataFrame, key_suffix: list, value) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": rule,
            "county_code": rows["county_code"],
            "day": rows["day"],
            "key": [f"{c}/{s}" for c, s in zip(rows["cadre_code"], key_suffix, strict=True)],
            "subject": [
                _cadre_text(n, u) for n, u in zip(rows["cadre_name"], rows["unit"], strict=True)
            ],
            "value": value,
        },
        columns=FINDING_COLUMNS,
    )


def _cadre_columns():
    return (Cadre.code.label("cadre_code"), Cadre.name.label("cadre_name"), Cadre.unit)


def contacts_bunched(ask: _Ask) -> pd.DataFrame:
    """A cadre with most of the year's contacts in the last days of quarters (value: the share,
    in percent). The finding belongs to the county of most of the cadre's contacts."""
    th = ask.th
    windows = or_(
        *[Contact.contacted_on.between(a, b) for a, b in _quarter_windows(ask.year, th.bunch_days)]
    )
    in_windows = func.count(Contact.id).filter(windows)
    per = (
        select(
            PairingFact.cadre_id,
            func.min(Contact.county_code).label("county_code"),
            func.count().label("total"),
            in_windows.label("late"),
            func.max(Contact.contacted_on).label("day"),
        )
        .join(PairingFact, PairingFact.pairing_id == Contact.pairing_id)
        .where(
            Contact.contacted_on.between(ask.start, ask.end),
            _in_area(Contact.county_code, ask.area),
        )
        .group_by(PairingFact.cadre_id)
        .having(
            and_(
                func.count() >= th.bunch_min,
                in_windows * 100 >= func.count() * round(th.bunch_share * 100),
            )
        )
        .subquery()
    )
    rows = ask.frame(
        select(per, *_cadre_columns())
        .join(Cadre, Cadre.id == per.c.cadre_id)
        .order_by(per.c.county_code)
    )
    share = [
        round(100 * late / total) for late, total in zip(rows["late"], rows["total"], strict=True)
    ]
    return _cadre_found("contacts_bunched", rows, [ask.year] * len(rows), share)


def _visit_days(ask: _Ask, having):
    return (
        select(
            PairingFact.cadre_id,
            Contact.contacted_on.label("day"),
            func.min(Contact.county_code).label("county_code"),
            func.count().label("visits"),
            func.count(distinct(Contact.county_code)).label("counties"),
        )
        .join(PairingFact, PairingFact.pairing_id == Contact.pairing_id)
        .where(
            Contact.channel == "visit",
            Contact.contacted_on.between(ask.start, ask.end),
            _in_area(Contact.county_code, ask.area),
        )
        .group_by(PairingFact.cadre_id, Contact.contacted_on)
        .having(having)
        .subquery()
    )


def visits_too_many(ask: _Ask) -> pd.DataFrame:
    """A cadre with more home visits in one day than a person can make (value: visits)."""
    days = _visit_days(ask, func.count() > ask.th.visits_per_day)
    rows = ask.frame(
        select(days, *_cadre_columns())
        .join(Cadre, Cadre.id == days.c.cadre_id)
        .order_by(days.c.county_code, days.c.day)
    )
    return _cadre_found("visits_too_many", rows, list(rows["day"]), rows["visits"])


def visits_far_apart(ask: _Ask) -> pd.DataFrame:
    """A cadre with home visits on one day in counties whose seats are far apart (value: km)."""
    days = _visit_days(ask, func.count(distinct(Contact.county_code)) > 1)
    places = (
        select(days.c.cadre_id, days.c.day, Contact.county_code.label("visited"))
        .join(PairingFact, PairingFact.cadre_id == days.c.cadre_id)
        .join(
            Contact,
            and_(
                Contact.pairing_id == PairingFact.pairing_id,
                Contact.contacted_on == days.c.day,
                Contact.channel == "visit",
            ),
        )
        .distinct()
    )
    visited = ask.frame(places)
    far = []
    for (cadre, day), group in visited.groupby(["cadre_id", "day"], sort=False):
        codes = sorted(set(group["visited"]))
        km = max(_km(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :])
        if km >= ask.th.visits_far_km:
            far.append((cadre, day, codes[0], round(km)))
    if not far:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    found = pd.DataFrame(far, columns=["cadre_id", "day", "county_code", "km"])
    with_cadre = ask.frame(
        select(Cadre.id.label("cadre_id"), *_cadre_columns()).where(
            Cadre.id.in_(found["cadre_id"].tolist())
        )
    )
    rows = found.merge(with_cadre, on="cadre_id")
    return _cadre_found("visits_far_apart", rows, list(rows["day"]), rows["km"])


def notes_copied(ask: _Ask) -> pd.DataFrame:
    """The same note text on many contacts of a county (value: how many). The text itself is
    not shown (it may name people); the key is its hash."""
    th = ask.th
    rows = ask.frame(
        select(
            Contact.county_code,
            Contact.note,
            func.max(Contact.contacted_on).label("day"),
            func.count().label("n"),
            func.count(distinct(PairingFact.cadre_id)).label("cadres"),
        )
        .join(PairingFact, PairingFact.pairing_id == Contact.pairing_id)
        .where(
            Contact.contacted_on.between(ask.start, ask.end),
            Contact.note.is_not(None),
            func.length(Contact.note) >= th.copied_length,
            _in_area(Contact.county_code, ask.area),
        )
        .group_by(Contact.county_code, Contact.note)
        .having(func.count() >= th.copied_min)
        .order_by(Contact.county_code)
    )
    return pd.DataFrame(
        {
            "rule": "notes_copied",
            "county_code": rows["county_code"],
            "day": rows["day"],
            "key": [hashlib.sha256(n.encode()).hexdigest()[:32] for n in rows["note"]],
            "subject": rows["cadres"].astype(str),  # how many cadres wrote it
            "value": rows["n"],
        },
        columns=FINDING_COLUMNS,
    )


def paid_over_plan(ask: _Ask) -> pd.DataFrame:
    """Payments of a budget line in a county above the county's plan for it (value: yuan over)."""
    paid = (
        select(
            Disbursement.line_id,
            Disbursement.county_code,
            func.sum(Disbursement.amount_fen).label("paid_fen"),
            func.max(Disbursement.paid_on).label("day"),
        )
        .join(BudgetLine, BudgetLine.id == Disbursement.line_id)
        .where(
            BudgetLine.year == ask.year,
            Disbursement.paid_on <= ask.end,
            _in_area(Disbursement.county_code, ask.area),
        )
        .group_by(Disbursement.line_id, Disbursement.county_code)
        .subquery()
    )
    rows = ask.frame(
        select(paid, BudgetLine.code, BudgetLine.name_zh, BudgetAllocation.planned_fen)
        .join(BudgetLine, BudgetLine.id == paid.c.line_id)
        .join(
            BudgetAllocation,
            and_(
                BudgetAllocation.line_id == paid.c.line_id,
                BudgetAllocation.county_code == paid.c.county_code,
            ),
        )
        .where(paid.c.paid_fen > BudgetAllocation.planned_fen)
        .order_by(paid.c.county_code, BudgetLine.code)
    )
    return pd.DataFrame(
        {
            "rule": "paid_over_plan",
            "county_code": rows["county_code"],
            "day": rows["day"],
            "key": [f"{ask.year}/{code}" for code in rows["code"]],
            "subject": [f"{c} {n}" for c, n in zip(rows["code"], rows["name_zh"], strict=True)],
            "value": [
                (int(p) - int(q)) // 100
                for p, q in zip(rows["paid_fen"], rows["planned_fen"], strict=True)
            ],
        },
        columns=FINDING_COLUMNS,
    )


def month_outlier(ask: _Ask) -> pd.DataFrame:
    """A county's month total of payments far from its own months (modified z-score:
    0.6745 × (x − median) ÷ MAD, over every month with payments up to the period's end;
    value: the score). Months of the chosen year are judged."""
    year = func.extract("year", Disbursement.paid_on)
    month = func.extract("month", Disbursement.paid_on)
    totals = ask.frame(
        select(
            Disbursement.county_code,
            year.label("y"),
            month.label("m"),
            func.sum(Disbursement.amount_fen).label("fen"),
        )
        .where(Disbursement.paid_on <= ask.end, _in_area(Disbursement.county_code, ask.area))
        .group_by(Disbursement.county_code, year, month)
    )
    found = []
    for county, group in totals.groupby("county_code", sort=True):
        if len(group) < ask.th.outlier_months:
            continue
        values = group["fen"].astype(float)
        median = values.median()
        mad = (values - median).abs().median()
        if not mad:
            continue
        for y, m, x in zip(group["y"], group["m"], values, strict=True):
            score = 0.6745 * (x - median) / mad
            if int(y) == ask.year and abs(score) > ask.th.outlier_z:
                found.append((county, dt.date(int(y), int(m), 1), round(score, 1), int(x) // 100))
    rows = pd.DataFrame(found, columns=["county_code", "day", "score", "yuan"])
    return pd.DataFrame(
        {
            "rule": "month_outlier",
            "county_code": rows["county_code"],
            "day": rows["day"],
            "key": [f"{d:%Y-%m}" for d in rows["day"]],
            "subject": [f"{d:%Y-%m} {y:,}" for d, y in zip(rows["day"], rows["yuan"], strict=True)],
            "value": rows["score"],
        },
        columns=FINDING_COLUMNS,
    )


def _facility_found(rule: str, rows: pd.DataFrame, value) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": rule,
            "county_code": rows["county_code"],
            "day": rows["status_since"],
            "key": rows["code"],
            "subject": [f"{c} {n}" for c, n in zip(rows["code"], rows["name"], strict=True)],
            "value": value,
        },
        columns=FINDING_COLUMNS,
    )


def _facilities(ask: _Ask, condition=None):
    stmt = select(
        Facility.code,
        Facility.name,
        Facility.county_code,
        Facility.status_since,
        Facility.lon,
        Facility.lat,
    ).where(_in_area(Facility.county_code, ask.area))
    if condition is not None:
        stmt = stmt.where(condition)
    return ask.frame(stmt.order_by(Facility.county_code, Facility.code))


def facility_no_opening(ask: _Ask) -> pd.DataFrame:
    """A facility operating without an opening date."""
    rows = _facilities(ask, and_(Facility.status == "operating", Facility.opened_on.is_(None)))
    return _facility_found("facility_no_opening", rows, None)


def facility_outside_county(ask: _Ask) -> pd.DataFrame:
    """A facility whose coordinates lie outside its county's boundary (value: km from the
    county's centre). Reads every facility of the area: a few hundred at most."""
    rows = _facilities(ask)
    outside = [
        not geography.contains(c, "county", float(lon), float(lat))
        for c, lon, lat in zip(rows["county_code"], rows["lon"], rows["lat"], strict=True)
    ]
    rows = rows.loc[pd.Series(outside, index=rows.index, dtype=bool)]
    km = []
    for c, lon, lat in zip(rows["county_code"], rows["lon"], rows["lat"], strict=True):
        (clon, clat) = geography.center(c, "county")
        km.append(
            round(
                111
                * math.hypot((float(lon) - clon) * math.cos(math.radians(clat)), float(lat) - clat)
            )
        )
    return _facility_found("facility_outside_county", rows, km)


def _active_pairings(ask: _Ask):
    return and_(
        PairingFact.started_on <= ask.end,
        or_(PairingFact.ended_on.is_(None), PairingFact.ended_on >= ask.start),
    )


def pairing_far(ask: _Ask) -> pd.DataFrame:
    """A prefecture or county cadre paired with someone far from where the cadre works (county
    seat to county seat, value: km); provincial cadres pair across the province by design."""
    where = Cadre.county_code.label("works")
    pairs = ask.frame(
        select(where, PairingFact.county_code, func.count().label("n"))
        .join(Cadre, Cadre.id == PairingFact.cadre_id)
        .where(
            _active_pairings(ask),
            Cadre.level != "province",
            Cadre.county_code != PairingFact.county_code,
            _in_area(PairingFact.county_code, ask.area),
        )
        .group_by(Cadre.county_code, PairingFact.county_code)
    )
    far = [
        (w, c, round(_km(w, c)))
        for w, c in zip(pairs["works"], pairs["county_code"], strict=True)
        if _km(w, c) >= ask.th.pairing_far_km
    ]
    if not far:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    person = aliased(Recipient)
    conditions = or_(
        *[and_(Cadre.county_code == w, PairingFact.county_code == c) for w, c, _ in far]
    )
    rows = ask.frame(
        select(
            Cadre.county_code.label("works"),
            PairingFact.county_code,
            PairingFact.started_on.label("day"),
            *_cadre_columns(),
            person.code.label("recipient_code"),
            _masked_name(person.name).label("recipient"),
        )
        .join(Cadre, Cadre.id == PairingFact.cadre_id)
        .join(person, person.id == PairingFact.recipient_id)
        .where(_active_pairings(ask), Cadre.level != "province", conditions)
        .order_by(PairingFact.county_code, Cadre.code)
    )
    km = {(w, c): k for w, c, k in far}
    return pd.DataFrame(
        {
            "rule": "pairing_far",
            "county_code": rows["county_code"],
            "day": rows["day"],
            "key": [
                f"{a}/{b}/{d}"
                for a, b, d in zip(
                    rows["cadre_code"], rows["recipient_code"], rows["day"], strict=True
                )
            ],
            "subject": [
                f"{_cadre_text(n, u)} → {r}"
                for n, u, r in zip(rows["cadre_name"], rows["unit"], rows["recipient"], strict=True)
            ],
            "value": [km[(w, c)] for w, c in zip(rows["works"], rows["county_code"], strict=True)],
        },
        columns=FINDING_COLUMNS,
    )


def cadre_overloaded(ask: _Ask) -> pd.DataFrame:
    """A cadre with more pairings in the year than one person can serve (value: pairings). The
    finding belongs to where the cadre works."""
    per = (
        select(
            PairingFact.cadre_id,
            func.count().label("n"),
            func.max(PairingFact.started_on).label("day"),
        )
        .where(_active_pairings(ask))
        .group_by(PairingFact.cadre_id)
        .having(func.count() > ask.th.pairings_per_cadre)
        .subquery()
    )
    rows = ask.frame(
        select(per, Cadre.county_code, *_cadre_columns())
        .join(Cadre, Cadre.id == per.c.cadre_id)
        .where(_in_area(Cadre.county_code, ask.area))
        .order_by(Cadre.county_code, Cadre.code)
    )
    return _cadre_found("cadre_overloaded", rows, [ask.year] * len(rows), rows["n"])


CHECKS = {
    "contact_before_pairing": contact_before_pairing,
    "contact_after_pairing": contact_after_pairing,
    "contact_future": contact_future,
    "contact_repeated": contact_repeated,
    "contacts_bunched": contacts_bunched,
    "visits_too_many": visits_too_many,
    "visits_far_apart": visits_far_apart,
    "notes_copied": notes_copied,
    "paid_over_plan": paid_over_plan,
    "month_outlier": month_outlier,
    "facility_no_opening": facility_no_opening,
    "facility_outside_county": facility_outside_county,
    "pairing_far": pairing_far,
    "cadre_overloaded": cadre_overloaded,
}


# --- what the page asks -------------------------------------------------------------------------


def findings(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    thresholds: QualityThresholds,
    today: dt.date,
    rules: tuple[str, ...] = RULE_IDS,
) -> pd.DataFrame:
    """Every finding of the given rules in the chosen area and year (up to the period's end),
    with whether and how it was checked (reviewed_by, reviewed_at, review_note)."""
    area = effective_area(scope, filters)
    with engine.connect() as conn:
        ask = _Ask(conn, area, filters, thresholds, today)
        parts = [CHECKS[rule](ask) for rule in rules]
        reviews = pd.DataFrame(
            conn.execute(
                select(
                    QualityReview.rule,
                    QualityReview.county_code,
                    QualityReview.key,
                    QualityReview.reviewed_by,
                    QualityReview.reviewed_at,
                    QualityReview.note.label("review_note"),
                ).where(QualityReview.rule.in_(rules), _in_area(QualityReview.county_code, area))
            ).fetchall(),
            columns=["rule", "county_code", "key", "reviewed_by", "reviewed_at", "review_note"],
        )
    found = pd.concat(
        [p for p in parts if not p.empty] or [pd.DataFrame(columns=FINDING_COLUMNS)],
        ignore_index=True,
    )
    found["key"] = found["key"].astype(str)
    return found.merge(reviews, on=["rule", "county_code", "key"], how="left")


def mark_checked(
    engine: Engine,
    scope: Scope,
    rule: str,
    key: str,
    county: str,
    who: str,
    note: str,
    at: dt.datetime | None = None,
) -> str:
    """Mark a finding as checked with a note, audited. Kept by rule and key, so a re-import
    that gives the records new ids keeps the mark. Returns a message key."""
    if rule not in CHECKS:
        return "dq_mark_unknown"
    if not scope.allows(prefecture_of(county), county):
        return "dq_mark_out_of_scope"
    note = (note or "").strip()
    if not note:
        return "dq_mark_needs_note"
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(QualityReview).values(
                    rule=rule,
                    key=key[:200],
                    county_code=county,
                    note=note[:200],
                    reviewed_by=(who or "")[:120],
                    reviewed_at=at or dt.datetime.now(dt.UTC),
                )
            )
            # The key may hold a recipient's code: the log names the finding by its digest.
            digest = hashlib.sha256(key.encode()).hexdigest()[:12]
            _audit(conn, who, "quality_check", f"{rule} {county} {digest}")
            bump_data_version(conn)
    except IntegrityError:
        return "dq_mark_exists"
    return "dq_mark_saved"
