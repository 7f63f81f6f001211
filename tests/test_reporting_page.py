"""报送情况 page on the demo database, as each role: the still-missing list, the rates, the
calendar, and declaring a nil return (county and prefecture staff only, in their own area)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from data_access import users
from data_access.models import BatchCoverage, County, ImportBatch, NilReturn
from tests.conftest import ROOT
from tests.test_access import all_text, signed_in  # noqa: F401 (fixture)

PAGE = str(ROOT / "pages" / "reporting.py")
DECEMBER = dt.date(2024, 12, 1)


def on_page(make, *args, **query):
    at = make(*args, **query)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def frame_with(at, column: str):
    """The table on screen that has the given column."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def not_sent_in_december(engine, ledger: str) -> set[str]:
    """Counties with no batch covering December 2024 for the ledger, straight from the tables."""
    with engine.connect() as conn:
        sent = set(
            conn.execute(
                select(BatchCoverage.county_code)
                .join(ImportBatch, ImportBatch.id == BatchCoverage.batch_id)
                .where(BatchCoverage.month == DECEMBER, ImportBatch.ledger == ledger)
            ).scalars()
        )
        nil = set(
            conn.execute(
                select(NilReturn.county_code).where(
                    NilReturn.month == DECEMBER, NilReturn.ledger == ledger
                )
            ).scalars()
        )
        names = dict(conn.execute(select(County.code, County.name)).all())
    return {names[c] for c in names if c not in sent | nil}


def test_province_sees_who_has_not_sent_december(signed_in):  # noqa: F811
    at = on_page(signed_in, "boss@example.com", "province_viewer")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["数据完整度"].startswith("数据完整度 ") and metrics["数据完整度"].endswith(
        "/14 市州"
    )
    assert "%" in metrics["报送及时率"]
    assert [s.value for s in at.header][0] == "仍未报送（2024-12）"
    missing = frame_with(at, "截止日")
    expected = not_sent_in_december(signed_in.engine, "contacts")
    assert expected  # the demo has counties that never sent December
    shown = set(missing.loc[missing["台账"] == "联系记录", "县区"])
    assert shown == expected
    assert set(missing["状态"]) <= {"未报", "未报（零报告）"}
    rates = frame_with(at, "报送及时率（全年至今）")
    assert len(rates) == 14 and "报送及时率（全年至今）" in rates.columns
    # A province viewer may not declare nil returns.
    assert not [b for b in at.button if b.label == "申报零报告"]


def test_county_staff_see_their_county_and_declare_a_nil_return(signed_in):  # noqa: F811
    at = on_page(signed_in, "staff@qinzhou.example", "county_staff", "秦州区")
    calendar = frame_with(at, "2024-06")
    assert set(calendar["县区"]) == {"秦州区"}
    text = all_text(at)
    assert "城关区" not in text and "兰州市" not in text
    county = [s for s in at.selectbox if s.label == "县区"][0]
    assert county.options == ["秦州区"]
    [s for s in at.selectbox if s.label == "月份"][0].select(dt.date(2024, 1, 1))
    [s for s in at.selectbox if s.label == "台账"][0].select("indicator_values")
    [t for t in at.text_input if t.label == "说明"][0].input("一月无新增完成值")
    [b for b in at.button if b.label == "申报零报告"][0].click().run()
    assert not at.exception
    assert "零报告已记录。" in [s.value for s in at.success]
    with signed_in.engine.connect() as conn:
        row = conn.execute(
            select(NilReturn).where(NilReturn.declared_by == "staff@qinzhou.example")
        ).one()
    assert (row.county_code, row.month, row.ledger) == (
        "620502",
        dt.date(2024, 1, 1),
        "indicator_values",
    )
    log = users.audit_log(signed_in.engine, action="nil_return")
    assert "staff@qinzhou.example" in set(log["identity"])
    listed = frame_with(at, "申报时间")
    assert "一月无新增完成值" in set(listed["说明"])


def test_prefecture_staff_see_their_counties_ranked(signed_in):  # noqa: F811
    at = on_page(signed_in, "staff@tianshui.example", "prefecture_staff", "天水市")
    assert [s.value for s in at.header][1] == "各县区逐月报送及时率"
    rates = frame_with(at, "报送及时率（全年至今）")
    assert len(rates) == 7 and "秦州区" in set(rates["县区"])
    assert at.metric[-1].value.endswith("/7 县区")
