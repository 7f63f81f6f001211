"""The briefing's reporting figures and data-quality section: on the hand-made month of
test_reporting (兰州市, first quarter of 2024) and on the page as each role."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from dashboard import briefing as br
from dashboard import pptx_export
from data_access import queries
from data_access.scope import PROVINCE, Filters
from tests.conftest import ROOT
from tests.test_access import signed_in  # noqa: F401 (fixture)
from tests.test_briefing_page import frame
from tests.test_reporting import march  # noqa: F401 (fixture)


@pytest.fixture
def lanzhou(march):  # noqa: F811
    engine, *_ = march
    flt = br.briefing_filters(PROVINCE, Filters(2024, "Q1", prefecture="620100"), "Q1")
    return br.collect(
        lambda fn, *args: fn(engine, *args), PROVINCE, flt, "zh", "兰州市", queries.facts(engine)
    )


def test_on_time_lists_and_completeness_of_the_quarter(lanzhou):
    # Every county owes three ledgers a month: 72 due in the quarter. Only 城关区's March
    # payments (on the due day) and 西固区's nil return (two days early) came on time.
    assert lanzhou.meta()["数据完整度"] == "0/8 县区"
    boards = br.honour_table(lanzhou)
    assert list(boards["报送及时率"][:3]) == [
        "城关区（11.1%）",
        "西固区（11.1%）",
        "七里河区（0.0%）",
    ]
    assert list(boards["报送及时率"][3:]) == ["榆中县（0.0%）", "皋兰县（0.0%）", "永登县（0.0%）"]
    text = br.summary(lanzhou)
    assert "报送及时率红榜：城关区（11.1%）、西固区（11.1%）、七里河区（0.0%）" in text["rankings"]
    assert text["quality"] == (
        "本季度台账报送数据完整度 0/8 县区，报送及时率2.8%。数据质量规则未发现需核实的问题。"
    )


def test_the_section_is_in_every_file(lanzhou):
    deck = pptx_export.Presentation(io.BytesIO(pptx_export.deck_bytes(lanzhou)))
    last = [s.text_frame.text for s in deck.slides[-1].shapes if s.has_text_frame]
    assert last[0] == "七、数据质量" and br.summary(lanzhou)["quality"] in last
    book = load_workbook(io.BytesIO(br.workbook_bytes(lanzhou)))
    assert "数据质量" in book.sheetnames
    summary = {r[0]: r[1] for r in book["通报摘要"].iter_rows(min_row=2, values_only=True)}
    assert summary["数据质量"] == br.summary(lanzhou)["quality"]
    assert "七、数据质量" in br.summary_text(lanzhou)


PAGE = str(ROOT / "pages" / "briefing.py")


def test_the_page_as_prefecture_and_county_staff(signed_in):  # noqa: F811
    at = signed_in("br@tianshui.example", "prefecture_staff", "天水市")
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "数据质量" in [h.value for h in at.header]
    boards = frame(at, "榜单")
    counties = {"秦州区", "麦积区", "清水县", "秦安县", "甘谷县", "武山县", "张家川回族自治县"}
    named = {cell.split("（")[0] for cell in boards["报送及时率"] if cell != "—"}
    assert named and named <= counties
    rules = frame(at, "规则")
    assert (rules["未核实"] + rules["已核实"] > 0).all()
    at = signed_in("br@qinzhou.example", "county_staff", "秦州区")
    at.switch_page(PAGE).run()
    assert not at.exception
    texts = [m.value.replace("\\", "") for m in at.markdown]
    assert any(x.startswith("本季度台账报送数据完整度 ") and "/1 县区" in x for x in texts)
