"""Facility queries of the maps page, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import insert, select

from dashboard.rules import CONTACT_RULE, as_of
from data_access import facilities as fq
from data_access import queries
from data_access.models import County, Facility, FacilityStatusChange
from data_access.scope import PROVINCE, Filters, Scope

Y = Filters(2024)
LANZHOU = "620100"
TIANSHUI = "620500"
CHENGGUAN = "620102"  # 兰州市城关区


def test_whole_province_has_every_facility(demo_engine):
    frame = fq.facilities(demo_engine, PROVINCE, Y)
    assert frame["kind"].value_counts().to_dict() == {"love_hut": 60, "day_care": 20}
    huts = frame[frame["kind"] == "love_hut"]
    assert huts["prefecture_code"].nunique() == 14
    assert frame["id"].is_unique
    assert frame["lon"].between(92, 109).all() and frame["lat"].between(32, 43).all()
    # Love Huts count jobs, day-care centers places; never the other way round.
    assert huts["disabled_jobs"].notna().all() and huts["places"].isna().all()
    care = frame[frame["kind"] == "day_care"]
    assert care["places"].notna().all() and care["disabled_jobs"].isna().all()


def test_prefecture_filter_keeps_only_its_facilities(demo_engine):
    frame = fq.facilities(demo_engine, PROVINCE, Filters(2024, prefecture=LANZHOU))
    with demo_engine.connect() as conn:
        lanzhou = set(
            conn.execute(select(County.code).where(County.prefecture_code == LANZHOU)).scalars()
        )
    assert len(frame) > 0
    assert set(frame["county_code"]) <= lanzhou
    assert set(frame["prefecture"]) == {"兰州市"}
    whole = fq.facilities(demo_engine, PROVINCE, Y)
    assert len(frame) == (whole["prefecture_code"] == LANZHOU).sum()


def test_type_and_status_selectors(demo_engine):
    care = fq.facilities(demo_engine, PROVINCE, Y, kinds=("day_care",))
    assert len(care) == 20 and set(care["kind"]) == {"day_care"}
    operating = fq.facilities(demo_engine, PROVINCE, Y, statuses=("operating",))
    assert set(operating["status"]) == {"operating"}
    progress = queries.facility_progress(demo_engine, PROVINCE, Y)
    assert len(operating) == progress["operating"].sum()
    assert fq.facilities(demo_engine, PROVINCE, Y, kinds=()).empty
    assert fq.facilities(demo_engine, PROVINCE, Y, statuses=()).empty


def test_scope_wins_over_the_filters(demo_engine):
    frame = fq.facilities(demo_engine, Scope(prefecture=TIANSHUI), Y)
    assert len(frame) > 0 and set(frame["prefecture_code"]) == {TIANSHUI}
    lanzhou_one = fq.facilities(demo_engine, PROVINCE, Filters(2024, prefecture=LANZHOU))
    facility_id = int(lanzhou_one["id"].iloc[0])
    assert fq.facility_profile(demo_engine, PROVINCE, Y, facility_id) is not None
    assert fq.facility_profile(demo_engine, Scope(prefecture=TIANSHUI), Y, facility_id) is None


def test_progress_per_prefecture_adds_up_to_the_province(demo_engine):
    per = fq.progress_by_area(demo_engine, PROVINCE, Y)
    assert len(per) == 14 * 2
    assert per["code"].nunique() == 14
    totals = per.groupby("kind")[["target", "planned", "building", "operating", "suspended"]].sum()
    province = queries.facility_progress(demo_engine, PROVINCE, Y).set_index("kind")
    assert totals.loc["love_hut", "target"] == 60 and totals.loc["day_care", "target"] == 20
    for kind in ("love_hut", "day_care"):
        assert totals.loc[kind].to_dict() == province.loc[kind].to_dict()
    huts = per[per["kind"] == "love_hut"].set_index("name")
    assert (huts["target"] >= 1).all()  # every prefecture has a Love Hut allocation


def test_progress_per_county_adds_up_to_its_prefecture(demo_engine):
    lanzhou = Filters(2024, prefecture=LANZHOU)
    counties = fq.progress_by_area(demo_engine, PROVINCE, lanzhou, level="county")
    assert counties["code"].nunique() == 8
    assert set(counties["code"].str[:4]) == {"6201"}
    prefecture = fq.progress_by_area(demo_engine, PROVINCE, lanzhou)
    assert list(prefecture["code"].unique()) == [LANZHOU]
    columns = ["target", "planned", "building", "operating", "suspended"]
    assert (
        counties.groupby("kind")[columns].sum().to_dict()
        == prefecture.set_index("kind")[columns].to_dict()
    )
    with pytest.raises(ValueError):
        fq.progress_by_area(demo_engine, PROVINCE, lanzhou, level="village")


def test_compliance_per_prefecture_adds_up_to_the_summary(demo_engine):
    requirement = CONTACT_RULE.requirement(as_of(Y))
    per = fq.compliance_by_area(demo_engine, PROVINCE, Y, requirement)
    summary = queries.compliance_summary(demo_engine, PROVINCE, Y, requirement)
    assert per["code"].nunique() == 14
    assert per["pairings"].sum() == summary["pairings"]
    assert per["meeting"].sum() == summary["meeting"]
    assert (per["meeting"] <= per["pairings"]).all()
    lanzhou = Filters(2024, prefecture=LANZHOU)
    counties = fq.compliance_by_area(demo_engine, PROVINCE, lanzhou, requirement, level="county")
    row = per.set_index("code").loc[LANZHOU]
    assert counties["pairings"].sum() == row["pairings"]
    assert counties["meeting"].sum() == row["meeting"]


def _facility_with_history(engine) -> int:
    """A Love Hut in 城关区: planned 1 Mar, building 10 May, operating 20 Aug 2024."""
    with engine.begin() as conn:
        facility_id = conn.execute(
            insert(Facility).values(
                code="AXW-TEST-01",
                kind="love_hut",
                name="城关区测试“爱心屋”",
                county_code=CHENGGUAN,
                lon=Decimal("103.83"),
                lat=Decimal("36.06"),
                status="operating",
                status_since=dt.date(2024, 8, 20),
                opened_on=dt.date(2024, 8, 20),
                disabled_jobs=3,
                operator="县残联",
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(FacilityStatusChange),
            [
                {"facility_id": facility_id, "status": s, "changed_on": d, "note": n}
                for s, d, n in (
                    ("operating", dt.date(2024, 8, 20), "开业"),
                    ("planned", dt.date(2024, 3, 1), None),
                    ("building", dt.date(2024, 5, 10), None),
                )
            ],
        )
    return facility_id


def test_status_is_the_one_at_the_period_end(empty_engine):
    facility_id = _facility_with_history(empty_engine)

    def shown(period):
        frame = fq.facilities(empty_engine, PROVINCE, Filters(2024, period))
        return frame.set_index("id").loc[facility_id] if facility_id in set(frame["id"]) else None

    assert shown("M02") is None  # not yet planned at the end of February
    q1, q2, year = shown("Q1"), shown("Q2"), shown("Y")
    assert (q1["status"], q1["status_since"]) == ("planned", dt.date(2024, 3, 1))
    assert (q2["status"], q2["status_since"]) == ("building", dt.date(2024, 5, 10))
    assert pd.isna(q2["opened_on"])  # it opened later than June
    assert (year["status"], year["opened_on"]) == ("operating", dt.date(2024, 8, 20))
    progress = fq.progress_by_area(empty_engine, PROVINCE, Filters(2024, "Q2"), level="county")
    row = progress.set_index(["code", "kind"]).loc[(CHENGGUAN, "love_hut")]
    assert (row["building"], row["operating"]) == (1, 0)


def test_profile_has_the_history_up_to_the_period_end(empty_engine):
    facility_id = _facility_with_history(empty_engine)
    profile = fq.facility_profile(empty_engine, PROVINCE, Y, facility_id)
    assert profile["name"] == "城关区测试“爱心屋”"
    assert (profile["prefecture"], profile["county"]) == ("兰州市", "城关区")
    assert profile["status"] == "operating" and profile["disabled_jobs"] == 3
    history = profile["history"]
    assert list(history["status"]) == ["planned", "building", "operating"]
    assert list(history["note"])[-1] == "开业"
    q2 = fq.facility_profile(empty_engine, PROVINCE, Filters(2024, "Q2"), facility_id)
    assert q2["status"] == "building" and list(q2["history"]["status"]) == ["planned", "building"]
    tianshui = Filters(2024, prefecture=TIANSHUI)
    assert fq.facility_profile(empty_engine, PROVINCE, tianshui, facility_id) is None
    assert fq.facility_profile(empty_engine, PROVINCE, Y, facility_id + 1000) is None
