"""The budget page's queries on SQLite and PostgreSQL: exact source money, figures that add up
from county to prefecture to province, periods, the year before, and the viewer's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from dashboard.fmt import wan
from data_access import budget, queries
from data_access.models import BudgetAllocation, BudgetLine, Disbursement
from data_access.reference import BUDGET_LINES
from data_access.scope import PROVINCE, Filters, Scope

MONEY = ["planned_fen", "disbursed_fen", "period_fen"]
TIANSHUI, LANZHOU = "620500", "620100"


def totals(frame) -> list[int]:
    return [int(frame[c].sum()) for c in MONEY]


def test_lines_carry_the_source_money(demo_engine):
    lines = budget.by_line(demo_engine, PROVINCE, Filters(2024))
    assert dict(zip(lines["code"], lines["planned_fen"], strict=True)) == {
        line.code: line.planned_fen for line in BUDGET_LINES
    }
    m4 = lines[lines["measure_id"] == 4]
    assert [wan(v) for v in m4["planned_fen"]] == [8559.00, 1635.29]
    m7 = lines[lines["measure_id"] == 7]
    assert list(m7["code"]) == ["7.1", "7.2", "7.3", "7.4", "7.5"]
    assert [wan(v) for v in m7["planned_fen"]] == [271.60, 500.00, 1310.00, 500.00, 600.00]
    assert not lines["illustrative"].any()  # the source's figures, not made up


def test_one_measure_and_its_lines_agree_with_the_measure_totals(demo_engine):
    flt = Filters(2024, "Q3", TIANSHUI)
    measures = queries.budget_by_measure(demo_engine, PROVINCE, flt).set_index("measure_id")
    seven = budget.by_line(demo_engine, PROVINCE, flt, 7)
    assert set(seven["measure_id"]) == {7}
    assert totals(seven) == [int(measures.loc[7, c]) for c in MONEY]


@pytest.mark.parametrize(
    ("measure_id", "line_code"), [(None, None), (7, None), (4, "4.2"), (7, "7.3")]
)
@pytest.mark.parametrize("period", ["Y", "Q2", "M05"])
def test_prefectures_add_up_to_the_province(demo_engine, measure_id, line_code, period):
    flt = Filters(2024, period)
    prefectures = budget.by_prefecture(demo_engine, PROVINCE, flt, measure_id, line_code)
    assert len(prefectures) == 14
    lines = budget.by_line(demo_engine, PROVINCE, flt, measure_id)
    if line_code:
        lines = lines[lines["code"] == line_code]
    assert totals(prefectures) == totals(lines)
    assert totals(prefectures)[1] > 0


@pytest.mark.parametrize(("measure_id", "line_code"), [(None, None), (7, "7.3")])
def test_counties_add_up_to_their_prefecture(demo_engine, measure_id, line_code):
    flt = Filters(2024, "Q3")
    prefectures = budget.by_prefecture(demo_engine, PROVINCE, flt, measure_id, line_code)
    for row in prefectures.itertuples(index=False):
        inside = Filters(2024, "Q3", row.prefecture_code)
        counties = budget.by_county(demo_engine, PROVINCE, inside, measure_id, line_code)
        assert set(counties["prefecture_code"]) == {row.prefecture_code}
        assert totals(counties) == [row.planned_fen, row.disbursed_fen, row.period_fen], row.name
    every = budget.by_county(demo_engine, PROVINCE, flt, measure_id, line_code)
    assert len(every) == 87
    assert totals(every) == totals(prefectures)


def test_one_county_is_a_row_of_its_prefecture(demo_engine):
    county = "620502"  # 秦州区
    in_prefecture = budget.by_county(demo_engine, PROVINCE, Filters(2024, "Q2", TIANSHUI), 4)
    own = budget.by_county(demo_engine, PROVINCE, Filters(2024, "Q2", TIANSHUI, county), 4)
    assert list(own["county_code"]) == [county]
    row = in_prefecture.set_index("county_code").loc[county]
    assert totals(own) == [int(row[c]) for c in MONEY]
    lines = budget.by_line(demo_engine, PROVINCE, Filters(2024, "Q2", TIANSHUI, county), 4)
    assert totals(lines) == totals(own)


def test_quarter_and_month_are_year_to_date_and_consistent(demo_engine):
    def paid(period):
        return totals(budget.by_line(demo_engine, PROVINCE, Filters(2024, period), 2))

    q1, q2, m4, m5, m6, year = (paid(p) for p in ("Q1", "Q2", "M04", "M05", "M06", "Y"))
    assert q2[1] == m6[1]  # both run to 30 June
    assert q1[1] < m4[1] < m5[1] < q2[1] < year[1]
    assert q2[2] == m4[2] + m5[2] + m6[2]  # within Q2: April, May and June
    assert q2[2] == q2[1] - q1[1]
    assert q2[0] == m5[0] == year[0]  # the plan is the year's, whatever the period


def test_monthly_runs_to_the_end_of_the_period(demo_engine):
    flt = Filters(2024, "Q2", LANZHOU)
    months = budget.monthly(demo_engine, PROVINCE, flt, 7, "7.3")
    assert list(months["month"]) == [1, 2, 3, 4, 5, 6]
    county_total = budget.by_county(demo_engine, PROVINCE, flt, 7, "7.3")["disbursed_fen"].sum()
    assert months["amount_fen"].sum() == county_total
    measure = budget.monthly(demo_engine, PROVINCE, Filters(2024, "Y"), 4)
    assert (
        measure["amount_fen"].sum()
        == totals(budget.by_line(demo_engine, PROVINCE, Filters(2024), 4))[1]
    )


def test_demo_has_no_previous_year(demo_engine):
    assert budget.previous_year(demo_engine, PROVINCE, Filters(2024, "Q2"), 4).empty


def _line(conn, year: int, code: str, measure: int, planned: int) -> int:
    return conn.execute(
        insert(BudgetLine).values(
            year=year,
            code=code,
            measure_id=measure,
            name_zh=f"测试{code}",
            name_en=f"test {code}",
            planned_fen=planned,
        )
    ).inserted_primary_key[0]


def _pay(conn, line: int, county: str, day: dt.date, fen: int) -> None:
    conn.execute(
        insert(Disbursement).values(line_id=line, county_code=county, paid_on=day, amount_fen=fen)
    )


def test_previous_year_same_line_code_and_months(empty_engine):
    with empty_engine.begin() as conn:
        old = _line(conn, 2023, "2.1", 2, 1_000_000)
        new = _line(conn, 2024, "2.1", 2, 2_000_000)
        other = _line(conn, 2023, "2.2", 2, 500_000)
        conn.execute(
            insert(BudgetAllocation),
            [
                {"line_id": old, "county_code": "620502", "planned_fen": 600_000},
                {"line_id": old, "county_code": "620102", "planned_fen": 400_000},
                {"line_id": new, "county_code": "620502", "planned_fen": 2_000_000},
                {"line_id": other, "county_code": "620502", "planned_fen": 500_000},
            ],
        )
        _pay(conn, old, "620502", dt.date(2023, 2, 10), 100_000)
        _pay(conn, old, "620502", dt.date(2023, 5, 3), 50_000)
        _pay(conn, old, "620102", dt.date(2023, 5, 4), 7_000)  # Lanzhou: outside Tianshui
        _pay(conn, old, "620502", dt.date(2023, 8, 1), 999_999)  # after the period
        _pay(conn, other, "620502", dt.date(2023, 3, 1), 30_000)  # another line
        _pay(conn, new, "620502", dt.date(2024, 1, 15), 200_000)
    flt = Filters(2024, "Q2", TIANSHUI)
    last = budget.previous_year(empty_engine, PROVINCE, flt, 2, "2.1")
    assert list(last["month"]) == [2, 5]
    assert list(last["amount_fen"]) == [100_000, 50_000]
    assert set(last["planned_fen"]) == {600_000}
    whole_measure = budget.previous_year(empty_engine, PROVINCE, flt, 2)
    assert list(whole_measure["amount_fen"]) == [100_000, 30_000, 50_000]
    assert set(whole_measure["planned_fen"]) == {1_100_000}
    this_year = budget.monthly(empty_engine, PROVINCE, flt, 2, "2.1")
    assert list(this_year["month"]) == [1] and list(this_year["amount_fen"]) == [200_000]


def test_line_without_money_in_the_area_is_listed_with_zero(empty_engine):
    with empty_engine.begin() as conn:
        for code in ("9.10", "9.9", "9.2"):
            line = _line(conn, 2024, code, 9, 1_000)
            conn.execute(
                insert(BudgetAllocation).values(
                    line_id=line, county_code="620102", planned_fen=1_000
                )
            )
    lines = budget.by_line(empty_engine, PROVINCE, Filters(2024, "Y", TIANSHUI))
    assert list(lines["code"]) == ["9.2", "9.9", "9.10"]
    assert totals(lines) == [0, 0, 0]
    assert totals(budget.by_line(empty_engine, PROVINCE, Filters(2024))) == [3_000, 0, 0]


def test_scope_wins_over_the_filters(demo_engine):
    """A Tianshui viewer asking for Lanzhou gets Tianshui's prefectures and counties."""
    tianshui = Scope(prefecture=TIANSHUI)
    asked = Filters(2024, "Y", LANZHOU)
    own = Filters(2024, "Y", TIANSHUI)
    assert list(budget.by_prefecture(demo_engine, tianshui, asked)["prefecture_code"]) == [TIANSHUI]
    assert budget.by_county(demo_engine, tianshui, asked).equals(
        budget.by_county(demo_engine, PROVINCE, own)
    )
    assert budget.by_line(demo_engine, tianshui, asked).equals(
        budget.by_line(demo_engine, PROVINCE, own)
    )
    county_viewer = Scope(county="620502")
    assert list(budget.by_county(demo_engine, county_viewer, Filters(2024))["county_code"]) == [
        "620502"
    ]
