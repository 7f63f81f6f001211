"""数据质量 rules on small hand-made databases (SQLite and PostgreSQL): each rule finds what it
must, and nothing on the other side of its threshold. Records are written as a legacy system or
a hand edit would leave them (the importer refuses most of these), with the pairings' facts
kept by the database's own triggers."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from sqlalchemy import delete, insert, select

from data_access import geography, quality, users
from data_access.models import (
    BudgetLine,
    Cadre,
    Contact,
    Disbursement,
    Facility,
    ImportBatch,
    Pairing,
    Recipient,
)
from data_access.scope import PROVINCE, Filters, Scope
from tests.test_importer import add_budget

TH = quality.QualityThresholds()
YEAR = Filters(2024)
TODAY = dt.date(2024, 12, 31)
CHENGGUAN, QILIHE, SUZHOU = "620102", "620103", "620902"  # 兰州 ×2, 酒泉 (≈ 650 km away)


class World:
    """Cadres, recipients and pairings to hang contacts on."""

    def __init__(self, engine):
        self.engine = engine
        self.n = 0

    def _insert(self, model, **values) -> int:
        with self.engine.begin() as conn:
            return conn.execute(insert(model).values(**values)).inserted_primary_key[0]

    def cadre(self, county=CHENGGUAN, level="county", name="王建国") -> int:
        self.n += 1
        return self._insert(
            Cadre, code=f"C{self.n:03d}", name=name, level=level, unit="县残联", county_code=county
        )

    def recipient(self, county=CHENGGUAN, name="张三丰") -> int:
        self.n += 1
        return self._insert(
            Recipient,
            code=f"R{self.n:03d}",
            name=name,
            county_code=county,
            category="肢体",
            grade=1,
        )

    def pairing(self, cadre, county=CHENGGUAN, start=dt.date(2024, 1, 1), end=None) -> int:
        recipient = self.recipient(county)
        return self._insert(
            Pairing, cadre_id=cadre, recipient_id=recipient, started_on=start, ended_on=end
        )

    def contact(self, pairing, day, channel="phone", note=None, batch=None) -> int:
        with self.engine.begin() as conn:
            county = conn.execute(
                select(Recipient.county_code)
                .join(Pairing, Pairing.recipient_id == Recipient.id)
                .where(Pairing.id == pairing)
            ).scalar_one()
            return conn.execute(
                insert(Contact).values(
                    pairing_id=pairing,
                    contacted_on=day,
                    channel=channel,
                    county_code=county,
                    note=note,
                    batch_id=batch,
                )
            ).inserted_primary_key[0]


@pytest.fixture
def world(empty_engine):
    return World(empty_engine)


def found(engine, rule, scope=PROVINCE, filters=YEAR, th=TH, today=TODAY):
    return quality.findings(engine, scope, filters, th, today, (rule,))


def test_contact_before_and_after_the_pairing(world):
    late_start = world.pairing(world.cadre(), start=dt.date(2024, 3, 1), end=dt.date(2024, 6, 30))
    world.contact(late_start, dt.date(2024, 2, 29))  # the day before it started
    world.contact(late_start, dt.date(2024, 3, 1))  # its first day
    world.contact(late_start, dt.date(2024, 6, 30))  # its last day
    world.contact(late_start, dt.date(2024, 7, 1))  # the day after it ended
    before = found(world.engine, "contact_before_pairing")
    assert list(before["day"]) == [dt.date(2024, 2, 29)] and list(before["value"]) == [1]
    assert list(before["subject"]) == ["王建国（县残联） → 张*丰"]  # the recipient masked
    after = found(world.engine, "contact_after_pairing")
    assert list(after["day"]) == [dt.date(2024, 7, 1)] and list(after["value"]) == [1]


def test_contact_dated_after_its_import_or_today(world):
    pairing = world.pairing(world.cadre())
    china = dt.timezone(dt.timedelta(hours=8))
    with world.engine.begin() as conn:
        batch = conn.execute(
            insert(ImportBatch).values(
                ledger="contacts",
                file_name="五月联系记录.xlsx",
                sha256="0" * 64,
                imported_by="chengguan@lz.gov.cn",
                imported_at=dt.datetime(2024, 5, 10, 10, 0, tzinfo=china).astimezone(dt.UTC),
                status="committed",
            )
        ).inserted_primary_key[0]
    world.contact(pairing, dt.date(2024, 5, 10), batch=batch)  # the day of the import
    world.contact(pairing, dt.date(2024, 5, 11), "wechat", batch=batch)  # the day after
    world.contact(pairing, dt.date(2024, 8, 1), "sms")  # today
    world.contact(pairing, dt.date(2024, 8, 2), "visit")  # tomorrow
    rows = found(world.engine, "contact_future", today=dt.date(2024, 8, 1))
    assert sorted(rows["day"]) == [dt.date(2024, 5, 11), dt.date(2024, 8, 2)]
    assert sorted(rows["value"]) == [1, 1]


def test_contact_entered_twice(world):
    pairing = world.pairing(world.cadre())
    world.contact(pairing, dt.date(2024, 4, 2), "phone")
    world.contact(pairing, dt.date(2024, 4, 2), "phone")
    world.contact(pairing, dt.date(2024, 4, 3), "phone")
    world.contact(pairing, dt.date(2024, 4, 3), "wechat")  # two ways on one day: plausible
    rows = found(world.engine, "contact_repeated")
    assert list(rows["day"]) == [dt.date(2024, 4, 2)] and list(rows["value"]) == [2]


def bunch(world, in_window: int, outside: int, first_window_day=dt.date(2024, 3, 22)) -> None:
    cadre = world.cadre(name=f"干部{in_window}{outside}")
    pairing = world.pairing(cadre)
    for i in range(in_window):
        world.contact(
            pairing, first_window_day, ("phone", "wechat", "sms", "other", "visit")[i % 5]
        )
        if i % 5 == 4:
            first_window_day += dt.timedelta(days=1)
    for i in range(outside):
        world.contact(pairing, dt.date(2024, 5, 1) + dt.timedelta(days=7 * i))


def test_contacts_bunched_before_quarter_ends(world):
    bunch(world, 6, 4)  # 60 % in the last ten days of March: found
    bunch(world, 5, 5)  # 50 %: not
    bunch(world, 5, 0)  # all of them, but five contacts are too few to judge
    bunch(world, 6, 4, first_window_day=dt.date(2024, 3, 21))  # Mar 21 is outside the window
    rows = found(world.engine, "contacts_bunched")
    assert list(rows["subject"]) == ["干部64（县残联）"]
    assert list(rows["value"]) == [60]


def test_home_visits_too_many_or_far_apart_in_one_day(world):
    busy, steady, traveller, neighbour = (world.cadre(name=n) for n in ("甲", "乙", "丙", "丁"))
    day = dt.date(2024, 6, 12)
    for cadre, visits in ((busy, 5), (steady, 4)):
        for _ in range(visits):
            world.contact(world.pairing(cadre), day, "visit")
    world.contact(world.pairing(traveller), day, "visit")
    world.contact(world.pairing(traveller, SUZHOU), day, "visit")
    world.contact(world.pairing(neighbour), day, "visit")
    world.contact(world.pairing(neighbour, QILIHE), day, "visit")
    many = found(world.engine, "visits_too_many")
    assert list(many["subject"]) == ["甲（县残联）"] and list(many["value"]) == [5]
    far = found(world.engine, "visits_far_apart")
    assert list(far["subject"]) == ["丙（县残联）"]
    assert far["value"].iloc[0] > 500


def test_the_same_note_copied(world):
    cadre = world.cadre()
    text = "电话询问近况良好"  # eight characters
    for i in range(10):
        world.contact(world.pairing(cadre), dt.date(2024, 2, 1 + i), note=text)
    for i in range(9):
        world.contact(world.pairing(cadre, QILIHE), dt.date(2024, 2, 1 + i), note=text)
    for i in range(12):
        world.contact(world.pairing(cadre), dt.date(2024, 3, 1 + i), note="电话询问近况")
    rows = found(world.engine, "notes_copied")
    assert list(rows["county_code"]) == [CHENGGUAN] and list(rows["value"]) == [10]
    assert text not in " ".join(map(str, rows.to_numpy().ravel()))  # the text is never shown


def test_payments_above_plan(empty_engine):
    add_budget(empty_engine, {CHENGGUAN: 100_000, QILIHE: 100_000})  # 1,000 yuan each
    with empty_engine.begin() as conn:
        line = conn.execute(select(BudgetLine.id).where(BudgetLine.code == "6.1")).scalar_one()
        conn.execute(
            insert(Disbursement),
            [
                {
                    "line_id": line,
                    "county_code": CHENGGUAN,
                    "paid_on": dt.date(2024, 3, 1),
                    "amount_fen": 60_000,
                },
                {
                    "line_id": line,
                    "county_code": CHENGGUAN,
                    "paid_on": dt.date(2024, 9, 1),
                    "amount_fen": 40_100,
                },
                {
                    "line_id": line,
                    "county_code": QILIHE,
                    "paid_on": dt.date(2024, 9, 1),
                    "amount_fen": 100_000,
                },
            ],
        )
    rows = found(empty_engine, "paid_over_plan")
    assert list(rows["county_code"]) == [CHENGGUAN]
    assert list(rows["value"]) == [1]  # one yuan over
    assert list(rows["day"]) == [dt.date(2024, 9, 1)]


def test_month_total_far_from_the_countys_own_months(empty_engine):
    add_budget(empty_engine, {})
    usual = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99]  # hundreds of yuan
    with empty_engine.begin() as conn:
        line = conn.execute(select(BudgetLine.id).where(BudgetLine.code == "6.1")).scalar_one()
        rows = [
            {
                "line_id": line,
                "county_code": county,
                "paid_on": dt.date(2024, m, 15),
                "amount_fen": v * 10_000,
            }
            for county, last in ((CHENGGUAN, 300), (QILIHE, 103))
            for m, v in enumerate([*usual, last], start=1)
        ]
        conn.execute(insert(Disbursement), rows)
    rows = found(empty_engine, "month_outlier")
    assert list(rows["county_code"]) == [CHENGGUAN]
    assert list(rows["day"]) == [dt.date(2024, 12, 1)]
    # 0.6745 × (300 − 100) ÷ 1 (the median distance from 100 is 1)
    assert rows["value"].iloc[0] == pytest.approx(134.9)
    fewer = quality.QualityThresholds(outlier_months=13)  # twelve months are not enough
    assert found(empty_engine, "month_outlier", th=fewer).empty


def facility(engine, code, status, opened, county=CHENGGUAN, point=None):
    lon, lat = point or geography.random_point(county, random.Random(code))
    with engine.begin() as conn:
        conn.execute(
            insert(Facility).values(
                code=code,
                kind="love_hut",
                name=f"{code}爱心屋",
                county_code=county,
                lon=round(lon, 5),
                lat=round(lat, 5),
                status=status,
                status_since=dt.date(2024, 5, 1),
                opened_on=opened,
            )
        )


def test_facilities_without_opening_date_or_outside_their_county(empty_engine):
    facility(empty_engine, "A", "operating", None)
    facility(empty_engine, "B", "building", None)
    facility(empty_engine, "C", "operating", dt.date(2024, 5, 1))
    facility(
        empty_engine,
        "D",
        "operating",
        dt.date(2024, 5, 1),
        point=geography.center(QILIHE, "county"),
    )
    assert list(found(empty_engine, "facility_no_opening")["key"]) == ["A"]
    assert list(found(empty_engine, "facility_outside_county")["key"]) == ["D"]


def test_pairings_far_from_the_cadre_or_too_many(world):
    county_cadre = world.cadre(name="县干部")
    world.pairing(county_cadre, SUZHOU)
    world.pairing(county_cadre, QILIHE)
    world.pairing(world.cadre(level="province", name="省干部"), SUZHOU)
    far = found(world.engine, "pairing_far")
    assert list(far["subject"]) == ["县干部（县残联） → 张*丰"]
    assert list(far["county_code"]) == [SUZHOU]
    busy, full = world.cadre(name="九对"), world.cadre(name="八对")
    for _ in range(9):
        world.pairing(busy)
    for _ in range(8):
        world.pairing(full)
    world.pairing(full, end=dt.date(2023, 12, 31), start=dt.date(2023, 1, 1))  # ended last year
    over = found(world.engine, "cadre_overloaded")
    assert list(over["subject"]) == ["九对（县残联）"] and list(over["value"]) == [9]


def test_scope_and_a_check_kept_across_a_reimport(world):
    cadre = world.cadre()
    for county in (CHENGGUAN, QILIHE):
        pairing = world.pairing(cadre, county, start=dt.date(2024, 3, 1))
        world.contact(pairing, dt.date(2024, 2, 20))
    own = found(world.engine, "contact_before_pairing", scope=Scope(county=QILIHE))
    assert list(own["county_code"]) == [QILIHE]
    row = own.iloc[0]
    engine = world.engine
    assert (
        quality.mark_checked(
            engine, Scope(county=CHENGGUAN), row["rule"], row["key"], QILIHE, "x@cg", "补录"
        )
        == "dq_mark_out_of_scope"
    )
    assert (
        quality.mark_checked(
            engine, Scope(county=QILIHE), row["rule"], row["key"], QILIHE, "y", " "
        )
        == "dq_mark_needs_note"
    )
    assert (
        quality.mark_checked(
            engine,
            Scope(county=QILIHE),
            row["rule"],
            row["key"],
            QILIHE,
            "li@qlh",
            "结对协议签订前的首次走访",
        )
        == "dq_mark_saved"
    )
    # The county re-imports its contacts: the row is deleted and written again with a new id.
    with engine.begin() as conn:
        old = conn.execute(select(Contact).where(Contact.county_code == QILIHE)).one()
        conn.execute(delete(Contact).where(Contact.id == old.id))
    world.contact(old.pairing_id, old.contacted_on)
    again = found(engine, "contact_before_pairing")
    checked = again.set_index("county_code")
    assert checked.loc[QILIHE, "reviewed_by"] == "li@qlh"
    assert checked.loc[QILIHE, "review_note"] == "结对协议签订前的首次走访"
    assert pd.isna(checked.loc[CHENGGUAN, "reviewed_by"])
    log = users.audit_log(engine, action="quality_check")
    assert list(log["identity"]) == ["li@qlh"]
    assert log["detail"][0].startswith(f"contact_before_pairing {QILIHE} ")
    with engine.connect() as conn:
        codes = set(conn.execute(select(Recipient.code)).scalars())
    assert not [c for c in codes if c in log["detail"][0]]  # no recipient's code in the log


def test_the_demo_has_something_for_every_rule(demo_engine):
    rows = quality.findings(demo_engine, PROVINCE, YEAR, TH, dt.date(2026, 12, 2))
    assert set(rows["rule"]) == set(quality.RULE_IDS)
    # No name in full: every recipient in a subject is masked.
    with demo_engine.connect() as conn:
        names = set(conn.execute(select(Recipient.name)).scalars()) - set(
            conn.execute(select(Cadre.name)).scalars()
        )
    text = " ".join(rows["subject"].astype(str))
    assert not [n for n in names if len(n) >= 3 and n in text]
