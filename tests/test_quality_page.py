"""数据质量 page on the demo database, as each role: rule counts, areas worst first, the
records behind a rule (masked), and marking a finding as checked (staff of the area only)."""

from __future__ import annotations

from sqlalchemy import select

from data_access import users
from data_access.models import QualityReview
from data_access.quality import RULE_IDS
from tests.conftest import ROOT
from tests.test_access import all_text, signed_in  # noqa: F401 (fixture)
from tests.test_reporting_page import frame_with

PAGE = str(ROOT / "pages" / "quality.py")


def on_page(make, *args, **query):
    at = make(*args, **query)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_province_sees_every_rule_and_the_worst_prefectures_first(signed_in):  # noqa: F811
    at = on_page(signed_in, "boss@example.com", "province_viewer")
    rules = frame_with(at, "规则编号")
    assert list(rules["规则编号"]) == list(RULE_IDS)
    assert (rules["未核实"] > 0).all()  # the demo has something for every rule
    assert "干部一天入户探视超过 4 次" in set(rules["规则"])
    areas = frame_with(at, "市州")
    assert len(areas) == 14
    assert list(areas["未核实"]) == sorted(areas["未核实"], reverse=True)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["发现"].replace(",", "")) == rules["未核实"].sum() + rules["已核实"].sum()
    at.selectbox(key="dq_rule").select("contact_before_pairing").run()
    records = frame_with(at, "对象")
    assert len(records) == rules.set_index("规则编号").loc["contact_before_pairing", "未核实"]
    assert records["对象"].str.contains(r"→ .\*", regex=True).all()  # recipients masked
    assert not [b for b in at.button if b.label == "标记为已核实"]  # viewers cannot mark


def test_county_staff_mark_a_finding_of_their_county(signed_in):  # noqa: F811
    at = on_page(signed_in, "boss@example.com", "province_viewer")
    at.selectbox(key="dq_rule").select("contact_repeated").run()
    county = frame_with(at, "对象")["县区"].iloc[0]
    from data_access.reference import COUNTIES

    code, prefecture = next((c, p) for c, p, n, _s in COUNTIES if n == county)
    staff = f"dq-{code}@example.gov.cn"
    at = on_page(signed_in, staff, "county_staff", code)
    text = all_text(at)
    assert set(frame_with(at, "县区")["县区"]) == {county}
    at.selectbox(key="dq_rule").select("contact_repeated").run()
    before = frame_with(at, "对象")
    assert set(before["县区"]) == {county}
    [t for t in at.text_input if t.label == "核实说明"][0].input("系统重复提交，已删除一条")
    [b for b in at.button if b.label == "标记为已核实"][0].click().run()
    assert not at.exception
    assert "已标记为已核实。" in [s.value for s in at.success]
    after = frame_with(at, "对象")
    assert "系统重复提交，已删除一条" in set(after["核实说明"].dropna())
    with signed_in.engine.connect() as conn:
        review = conn.execute(select(QualityReview).where(QualityReview.reviewed_by == staff)).one()
    assert (review.rule, review.county_code) == ("contact_repeated", code)
    assert staff in set(users.audit_log(signed_in.engine, action="quality_check")["identity"])
    assert "兰州市" not in text or prefecture == "620100"
