"""The data layer on SQLite and PostgreSQL: schema, reference data, demo data, queries."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from data_access import db, demo, queries
from data_access.models import (
    BudgetLine,
    Contact,
    County,
    Disbursement,
    Facility,
    Prefecture,
)
from data_access.reference import BUDGET_LINES
from data_access.scope import PROVINCE, Filters, Scope

Y = Filters(2024)


def test_reference_geography(demo_engine):
    with demo_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Prefecture)).scalar_one() == 14
        assert conn.execute(select(func.count()).select_from(County)).scalar_one() == 87
        per = dict(
            conn.execute(
                select(Prefecture.name, func.count(County.code))
                .join(County, County.prefecture_code == Prefecture.code)
                .group_by(Prefecture.name)
            ).all()
        )
    assert per == {
        "兰州市": 8,
        "嘉峪关市": 1,
        "金昌市": 2,
        "白银市": 5,
        "天水市": 7,
        "武威市": 4,
        "张掖市": 6,
        "平凉市": 7,
        "酒泉市": 7,
        "庆阳市": 8,
        "定西市": 7,
        "陇南市": 9,
        "临夏回族自治州": 8,
        "甘南藏族自治州": 8,
    }


def test_budget_lines_exactly_as_the_source(demo_engine):
    with demo_engine.connect() as conn:
        lines = dict(conn.execute(select(BudgetLine.code, BudgetLine.planned_fen)).all())
    assert lines == {line.code: line.planned_fen for line in BUDGET_LINES}
    assert lines["4.2"] == 1_635_290_000  # 1,635.29 万元 in fen
    assert sum(lines.values()) == 20_088_690_000


def test_measures_planned_money(demo_engine):
    frame = queries.budget_by_measure(demo_engine, PROVINCE, Y).set_index("measure_id")
    assert len(frame) == 10
    assert frame.loc[2, "planned_fen"] == 5_512_800_000
    assert frame.loc[4, "planned_fen"] == 10_194_290_000
    assert frame.loc[7, "planned_fen"] == 3_181_600_000
    for measure in (1, 3, 5, 9, 10):
        assert frame.loc[measure, "lines"] == 0 and frame.loc[measure, "planned_fen"] == 0


def test_prefectures_add_up_to_the_province(demo_engine):
    province = queries.budget_by_measure(demo_engine, PROVINCE, Filters(2024, "Q3"))
    prefectures = queries.prefectures(demo_engine, PROVINCE)["code"]
    total = sum(
        queries.budget_by_measure(demo_engine, PROVINCE, Filters(2024, "Q3", p))[
            ["planned_fen", "disbursed_fen", "period_fen"]
        ]
        for p in prefectures
    )
    assert (total.values == province[["planned_fen", "disbursed_fen", "period_fen"]].values).all()


def test_period_is_year_to_date(demo_engine):
    by = {
        p: queries.budget_by_measure(demo_engine, PROVINCE, Filters(2024, p))
        for p in ("Q1", "Q2", "M06", "Y")
    }
    assert by["Q2"]["disbursed_fen"].sum() == by["M06"]["disbursed_fen"].sum()
    assert by["Q1"]["disbursed_fen"].sum() < by["Q2"]["disbursed_fen"].sum()
    assert by["Q2"]["disbursed_fen"].sum() < by["Y"]["disbursed_fen"].sum()
    # Within the period: Q2 alone is Q2's year-to-date minus Q1's.
    assert (
        by["Q2"]["period_fen"].sum()
        == by["Q2"]["disbursed_fen"].sum() - by["Q1"]["disbursed_fen"].sum()
    )
    monthly = queries.monthly_disbursed(demo_engine, PROVINCE, Filters(2024, "Q2"))
    assert list(monthly["month"]) == [1, 2, 3, 4, 5, 6]
    assert monthly["amount_fen"].sum() == by["Q2"]["disbursed_fen"].sum()


def test_scope_wins_over_filters(demo_engine):
    """A Tianshui viewer asking for Lanzhou gets Tianshui, never Lanzhou."""
    tianshui = Scope(prefecture="620500")
    asked_lanzhou = queries.budget_by_measure(demo_engine, tianshui, Filters(2024, "Y", "620100"))
    own = queries.budget_by_measure(demo_engine, PROVINCE, Filters(2024, "Y", "620500"))
    assert asked_lanzhou.equals(own)
    assert list(queries.prefectures(demo_engine, tianshui)["code"]) == ["620500"]
    assert queries.counties(demo_engine, tianshui, "620100").empty


def test_facilities_and_targets(demo_engine):
    frame = queries.facility_progress(demo_engine, PROVINCE, Y).set_index("kind")
    assert frame.loc["love_hut", "target"] == 60 and frame.loc["day_care", "target"] == 20
    statuses = ["planned", "building", "operating", "suspended"]
    assert frame.loc["love_hut", statuses].sum() == 60
    assert frame.loc["day_care", statuses].sum() == 20
    with demo_engine.connect() as conn:
        prefs = conn.execute(
            select(func.count(func.distinct(func.substr(Facility.county_code, 1, 4)))).where(
                Facility.kind == "love_hut"
            )
        ).scalar_one()
    assert prefs == 14


def test_compliance_summary_counts(demo_engine):
    year_end = queries.compliance_summary(demo_engine, PROVINCE, Y, queries.Requirement(4, 2))
    assert 0 < year_end["meeting"] < year_end["pairings"]
    assert year_end["never_contacted"] <= year_end["never_visited"]
    lenient = queries.compliance_summary(demo_engine, PROVINCE, Y, queries.Requirement(0, 0))
    assert lenient["meeting"] == lenient["pairings"] == year_end["pairings"]


def test_indicator_targets_from_the_source(demo_engine):
    frame = queries.indicator_progress(demo_engine, PROVINCE, Y).set_index("code")
    assert frame.loc["m2_custodial", "target"] == 16000
    assert frame.loc["m4_child_rehab", "target"] == 11103
    assert frame.loc["m8_monitored", "target"] == 41700
    assert frame.loc["m4_rehab_rate", "rate_target"] == 95
    assert pd.isna(frame.loc["m1_assessments", "target"])  # the source sets no number
    assert frame.loc["m1_assessments", "illustrative"]


def test_constraints_refuse_bad_rows(empty_engine):
    with empty_engine.begin() as conn:
        line = conn.execute(
            insert(BudgetLine).values(
                year=2024,
                code="9.9",
                measure_id=9,
                name_zh="测试",
                name_en="t",
                planned_fen=100,
            )
        ).inserted_primary_key[0]
    bad_rows = [
        (
            Disbursement,
            {
                "line_id": line,
                "county_code": "620102",
                "paid_on": dt.date(2024, 1, 1),
                "amount_fen": -1,
            },
        ),
        (
            Disbursement,
            {
                "line_id": line,
                "county_code": "999999",
                "paid_on": dt.date(2024, 1, 1),
                "amount_fen": 1,
            },
        ),
        (
            Facility,
            {
                "code": "x",
                "kind": "kiosk",
                "name": "x",
                "county_code": "620102",
                "lon": 103.8,
                "lat": 36.0,
                "status": "operating",
                "status_since": dt.date(2024, 1, 1),
            },
        ),
    ]
    for table, row in bad_rows:
        with pytest.raises(IntegrityError), empty_engine.begin() as conn:
            conn.execute(insert(table).values(**row))


def test_unknown_contact_channel_refused(demo_engine):
    with pytest.raises(IntegrityError), demo_engine.connect() as conn, conn.begin():
        conn.execute(
            insert(Contact).values(
                pairing_id=1,
                contacted_on=dt.date(2024, 5, 1),
                channel="letter",
                county_code="620102",
            )
        )
        # never committed: the CHECK refuses it first


def test_migrate_is_idempotent_and_current(demo_engine):
    db.migrate(demo_engine)
    assert db.schema_is_current(demo_engine)


def test_models_and_migrations_agree(demo_engine):
    """The migrations create exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from data_access.models import Base

    with demo_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_demo_refuses_to_overwrite_imported_ledgers(empty_engine):
    from data_access.models import ImportBatch

    with empty_engine.begin() as conn:
        conn.execute(
            insert(ImportBatch).values(
                ledger="disbursements",
                file_name="台账.xlsx",
                sha256="0" * 64,
                imported_by="x",
                imported_at=dt.datetime.now(dt.UTC),
                status="committed",
            )
        )
    with pytest.raises(demo.DemoRefused, match="--force"):
        demo.generate(empty_engine, "demo")


def test_demo_is_deterministic(tmp_path):
    snapshots = []
    for name in ("a", "b"):
        engine = db.make_engine(f"sqlite:///{tmp_path / name}.db")
        db.migrate(engine)
        demo.generate(engine, "demo")
        with engine.connect() as conn:
            snapshots.append(
                (
                    conn.execute(select(func.sum(Disbursement.amount_fen))).scalar_one(),
                    conn.execute(select(func.count()).select_from(Contact)).scalar_one(),
                    conn.execute(select(Facility.name, Facility.lon).order_by(Facility.code)).all(),
                )
            )
        engine.dispose()
    assert snapshots[0] == snapshots[1]
