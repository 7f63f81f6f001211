"""Notes on figures (解读) as each role uses them: county and prefecture staff note their own
area's figures, the province notes anything, a provincial viewer reads; authors and
administrators change and remove; out-of-scope writes are refused; personal data is caught
before it is written; every change is audited. Then the notes where people read them: beside
the figure on the briefing page, in its list, the slides' speaker notes and the Word document."""

from __future__ import annotations

import io
import shutil

import pytest
from docx import Document
from pptx import Presentation
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboard import briefing as br
from dashboard import docx_export, pptx_export
from data_access import db, notes, users
from data_access.models import County, Recipient
from data_access.scope import PROVINCE, Filters, Scope
from tests.conftest import APP, ROOT, token_claims
from tests.test_access import AUTH
from tests.test_briefing import make

PAGE = str(ROOT / "pages" / "briefing.py")
QINZHOU, MAIJI, GANZHOU = "620502", "620503", "620702"  # 秦州区, 麦积区 (天水市); 甘州区 (张掖市)
COUNTY_STAFF = notes.Writer("qz@tianshui.example", "county_staff", Scope(county=QINZHOU))
PREFECTURE_STAFF = notes.Writer("staff@tianshui.example", "prefecture_staff", Scope("620500"))
OTHER_PREFECTURE = notes.Writer("staff@zhangye.example", "prefecture_staff", Scope("620700"))
ADMIN = notes.Writer("admin@gansu.example", "admin", PROVINCE)
VIEWER = notes.Writer("leader@gansu.example", "province_viewer", PROVINCE)


def refused(key: str, fn, *args):
    with pytest.raises(notes.NoteRefused) as caught:
        fn(*args)
    assert caught.value.key == key
    return caught.value


def texts(engine, scope, prefecture=None, county=None) -> list[str]:
    return list(notes.for_quarter(engine, scope, 2024, "Q4", prefecture, county)["text"])


def test_staff_note_their_own_area_and_nothing_else(empty_engine):
    add = notes.add
    add(
        empty_engine,
        COUNTY_STAFF,
        2024,
        "Q4",
        None,
        QINZHOU,
        "execution_rate",
        "秦州：12月集中拨付",
    )
    add(
        empty_engine,
        PREFECTURE_STAFF,
        2024,
        "Q4",
        "620500",
        None,
        "compliance_rate",
        "天水：入户集中在四季度",
    )
    add(
        empty_engine,
        PREFECTURE_STAFF,
        2024,
        "Q4",
        "620500",
        MAIJI,
        "love_huts",
        "麦积：两处选址调整",
    )
    add(empty_engine, ADMIN, 2024, "Q4", None, None, "execution_rate", "全省：年底集中支付")
    add(empty_engine, ADMIN, 2024, "Q4", "620700", GANZHOU, "day_care", "甘州：省里核实")
    # Out of scope: another county, the county's prefecture, another prefecture, the province.
    refused(
        "note_out_of_scope",
        add,
        empty_engine,
        COUNTY_STAFF,
        2024,
        "Q4",
        None,
        MAIJI,
        "disbursed",
        "x",
    )
    refused(
        "note_out_of_scope",
        add,
        empty_engine,
        COUNTY_STAFF,
        2024,
        "Q4",
        "620500",
        None,
        "disbursed",
        "x",
    )
    refused(
        "note_out_of_scope",
        add,
        empty_engine,
        PREFECTURE_STAFF,
        2024,
        "Q4",
        "620700",
        None,
        "disbursed",
        "x",
    )
    refused(
        "note_out_of_scope",
        add,
        empty_engine,
        PREFECTURE_STAFF,
        2024,
        "Q4",
        None,
        None,
        "disbursed",
        "x",
    )
    refused("note_read_only", add, empty_engine, VIEWER, 2024, "Q4", None, None, "disbursed", "x")
    # Each sees the notes of their area and the areas within it, scoped like the data.
    assert texts(empty_engine, COUNTY_STAFF.scope) == ["秦州：12月集中拨付"]
    assert texts(empty_engine, PREFECTURE_STAFF.scope) == [
        "天水：入户集中在四季度", "秦州：12月集中拨付", "麦积：两处选址调整",
    ]  # fmt: skip
    assert texts(empty_engine, OTHER_PREFECTURE.scope) == ["甘州：省里核实"]
    assert texts(empty_engine, VIEWER.scope) == [
        "全省：年底集中支付", "天水：入户集中在四季度", "秦州：12月集中拨付",
        "麦积：两处选址调整", "甘州：省里核实",
    ]  # fmt: skip
    assert texts(empty_engine, VIEWER.scope, "620500", MAIJI) == ["麦积：两处选址调整"]
    # A link to another area shows nothing of it: the scope wins over the area asked for.
    assert texts(empty_engine, COUNTY_STAFF.scope, "620700") == []
    assert notes.for_quarter(empty_engine, VIEWER.scope, 2024, "Q3").empty  # another quarter


def test_author_or_admin_change_and_remove_and_every_change_is_audited(empty_engine):
    note = notes.add(empty_engine, COUNTY_STAFF, 2024, "Q4", None, QINZHOU, "disbursed", "初稿")
    version = db.data_version(empty_engine)
    notes.edit(empty_engine, COUNTY_STAFF, note, "12月集中拨付，执行率将在一季度补齐")
    assert db.data_version(empty_engine) != version  # every page and replica shows it
    # The prefecture's staff may read it but not change it; another prefecture not even see it.
    refused("note_not_yours", notes.edit, empty_engine, PREFECTURE_STAFF, note, "改")
    refused("note_not_yours", notes.remove, empty_engine, PREFECTURE_STAFF, note)
    refused("note_out_of_scope", notes.edit, empty_engine, OTHER_PREFECTURE, note, "改")
    refused("note_not_yours", notes.remove, empty_engine, VIEWER, note)
    notes.edit(empty_engine, ADMIN, note, "省残联核实：12月集中拨付")
    assert texts(empty_engine, PROVINCE) == ["省残联核实：12月集中拨付"]
    notes.remove(empty_engine, COUNTY_STAFF, note)
    assert texts(empty_engine, PROVINCE) == []
    refused("note_missing", notes.remove, empty_engine, ADMIN, note)
    log = users.audit_log(empty_engine, action="note")
    assert list(log["identity"])[::-1] == [COUNTY_STAFF.identity, COUNTY_STAFF.identity,
                                           ADMIN.identity, COUNTY_STAFF.identity]  # fmt: skip
    details = list(log["detail"])[::-1]
    assert details[0] == f"新增 #{note} 2024Q4 {QINZHOU} disbursed：初稿"
    assert details[1] == f"修改 #{note}：初稿 → 12月集中拨付，执行率将在一季度补齐"
    assert details[2].endswith("→ 省残联核实：12月集中拨付")
    assert details[3] == f"删除 #{note}：省残联核实：12月集中拨付"


def test_personal_data_is_caught_before_it_is_written(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(
            Recipient.__table__.insert().values(
                code="R1", name="张桂兰", county_code=QINZHOU, category="肢体", grade=1
            )
        )
    add = notes.add
    found = refused("note_personal", add, empty_engine, ADMIN, 2024, "Q4", None, None, "ct_behind",
                    "张桂兰家因住院未能入户")  # fmt: skip
    assert found.values == {"found": "张*兰"}  # named masked, never in full
    found = refused("note_personal", add, empty_engine, ADMIN, 2024, "Q4", None, None, "ct_behind",
                    "身份证62050219800101123X已核实")  # fmt: skip
    assert found.values == {"found": "620***********123X"}
    refused("note_empty", add, empty_engine, ADMIN, 2024, "Q4", None, None, "ct_behind", "  ")
    refused(
        "note_too_long", add, empty_engine, ADMIN, 2024, "Q4", None, None, "ct_behind", "长" * 201
    )
    note = add(empty_engine, ADMIN, 2024, "Q4", None, None, "ct_behind", "张*兰家因住院未能入户")
    refused("note_personal", notes.edit, empty_engine, ADMIN, note, "张桂兰家")
    assert texts(empty_engine, PROVINCE) == ["张*兰家因住院未能入户"]  # masked is fine
    assert users.audit_log(empty_engine, action="note")["detail"].str.contains("张桂兰").sum() == 0


# --- where notes are read: the briefing's files ---------------------------------------------------


@pytest.fixture
def noted_db(demo_sqlite_url, tmp_path):
    """A copy of the demo database with notes of Tianshui, Qinzhou and the province."""
    path = tmp_path / "program.db"
    shutil.copyfile(db.make_engine(demo_sqlite_url).url.database, path)
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    notes.add(engine, PREFECTURE_STAFF, 2024, "Q4", "620500", None, "execution_rate",
              "12月集中拨付，执行率将在一季度补齐")  # fmt: skip
    notes.add(
        engine, COUNTY_STAFF, 2024, "Q4", None, QINZHOU, "ct_behind", "两名干部调岗，已重新结对"
    )
    notes.add(engine, ADMIN, 2024, "Q4", None, None, "love_huts", "陇南两处选址调整")
    yield url, engine
    engine.dispose()


def test_notes_in_the_slides_speaker_notes_and_the_document(noted_db):
    _, engine = noted_db
    b = make(engine, Scope("620500"), Filters(2024, "Q4"))
    assert [n.text for n in b.notes] == [
        "12月集中拨付，执行率将在一季度补齐",
        "两名干部调岗，已重新结对",
    ]
    deck = Presentation(io.BytesIO(pptx_export.deck_bytes(b)))
    speaker = {s: slide.notes_slide.notes_text_frame.text
               for s, slide in zip(br.SECTIONS, list(deck.slides)[1:], strict=True)}  # fmt: skip
    assert speaker["budget"].endswith(
        "解读 · 天水市 · 预算执行率：12月集中拨付，执行率将在一季度补齐"
    )
    assert speaker["compliance"].endswith("解读 · 秦州区 · 进度滞后：两名干部调岗，已重新结对")
    assert (
        speaker["facilities"] == br.summary(b)["facilities"]
    )  # the province's note is not Tianshui's
    document = Document(io.BytesIO(docx_export.document_bytes(b)))
    lines = [p.text for p in document.paragraphs]
    budget = lines.index("二、十大提升措施预算执行")
    at = lines.index("（二）解读", budget)
    assert lines[at + 1 : at + 3] == [
        "1.预算执行率",
        "（1）天水市：12月集中拨付，执行率将在一季度补齐",
    ]
    compliance = lines.index("四、干部直接联系帮扶")
    at = lines.index("（二）解读", compliance)
    assert lines[at + 1 : at + 3] == ["1.进度滞后", "（1）秦州区：两名干部调岗，已重新结对"]
    assert "陇南两处选址调整" not in "\n".join(lines)


# --- where notes are read and written: the briefing page, as each role ---------------------------


def page_as(url: str, monkeypatch, identity: str) -> AppTest:
    monkeypatch.setenv(db.ENV_VAR, url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = token_claims(identity)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def shown(at) -> list[str]:
    return [m.value.replace("\\", "") for m in at.markdown]


def listed(at) -> list[str]:
    frames = [
        d.value for d in at.dataframe if list(d.value.columns[:3]) == ["地区", "指标", "解读"]
    ]
    return list(frames[0]["解读"]) if frames else []


@pytest.fixture
def accounts(noted_db):
    url, engine = noted_db
    for identity, role, area in (
        ("staff@tianshui.example", "prefecture_staff", "天水市"),
        ("qz@tianshui.example", "county_staff", "秦州区"),
        ("staff@zhangye.example", "prefecture_staff", "张掖市"),
        ("admin@gansu.example", "admin", None),
        ("leader@gansu.example", "province_viewer", None),
    ):
        users.save_account(engine, identity, role, area, by="test")
    with engine.connect() as conn:
        assert conn.execute(select(County.name).where(County.code == QINZHOU)).scalar() == "秦州区"
    return url, engine


def test_county_staff_add_see_edit_and_remove_on_the_page(accounts, monkeypatch):
    url, engine = accounts
    at = page_as(url, monkeypatch, "qz@tianshui.example")
    # Beside the figure: the county's note under the section of its figure; not Tianshui's.
    assert "解读 · 秦州区 · 进度滞后：两名干部调岗，已重新结对" in [
        x.replace("**", "").replace(":material/comment: ", "") for x in shown(at)
    ]
    assert listed(at) == ["两名干部调岗，已重新结对"]
    # Add: the note is on the county (the viewer's area) and this quarter.
    at.selectbox(key="note_figure").select("execution_rate")
    at.text_area(key="note_text").input("秦州区12月集中拨付")
    at.button(key="note_save").click().run()
    assert not at.exception and at.success[0].value == "解读已保存。"
    assert listed(at) == ["两名干部调岗，已重新结对", "秦州区12月集中拨付"]
    added = notes.for_quarter(engine, PROVINCE, 2024, "Q4", None, QINZHOU).iloc[-1]
    assert (added["county_code"], added["figure"], added["author"]) == (
        QINZHOU, "execution_rate", "qz@tianshui.example",
    )  # fmt: skip
    # A name from the recipients table: warned, not saved.
    with engine.connect() as conn:
        name = conn.execute(
            select(Recipient.name).where(Recipient.county_code == QINZHOU).limit(1)
        ).scalar()
    at.text_area(key="note_text").input(f"{name}已入户").run()
    at.button(key="note_save").click().run()
    assert (
        at.warning and "似乎有个人信息" in at.warning[-1].value and name not in at.warning[-1].value
    )
    assert len(listed(at)) == 2
    # Edit and remove their own note.
    at.selectbox(key="note_chosen").select(int(added["id"])).run()
    at.text_area(key=f"note_edit_{int(added['id'])}").input("秦州区12月集中拨付，一季度补齐")
    at.button(key="note_update").click().run()
    assert at.success[0].value == "解读已修改。"
    assert "秦州区12月集中拨付，一季度补齐" in listed(at)
    at.selectbox(key="note_chosen").select(int(added["id"])).run()
    at.button(key="note_delete").click().run()
    assert at.success[0].value == "解读已删除。"
    assert listed(at) == ["两名干部调岗，已重新结对"]


def test_prefecture_staff_see_their_counties_notes_but_change_only_their_own(accounts, monkeypatch):
    url, _ = accounts
    at = page_as(url, monkeypatch, "staff@tianshui.example")
    assert listed(at) == ["12月集中拨付，执行率将在一季度补齐", "两名干部调岗，已重新结对"]
    chooser = at.selectbox(key="note_chosen")
    assert len(chooser.options) == 1  # the county's note is not theirs to change
    other = page_as(url, monkeypatch, "staff@zhangye.example")
    assert listed(other) == []  # Tianshui's notes stay in Tianshui


def test_the_province_sees_every_note_and_a_viewer_only_reads(accounts, monkeypatch):
    url, _ = accounts
    admin = page_as(url, monkeypatch, "admin@gansu.example")
    assert listed(admin) == ["陇南两处选址调整", "12月集中拨付，执行率将在一季度补齐",
                             "两名干部调岗，已重新结对"]  # fmt: skip
    assert len(admin.selectbox(key="note_chosen").options) == 3  # an administrator: any note
    viewer = page_as(url, monkeypatch, "leader@gansu.example")
    assert len(listed(viewer)) == 3
    assert not [b for b in viewer.button if b.key in ("note_save", "note_update", "note_delete")]


def page_notes(at) -> list[str]:
    """The notes drawn beside a page's figures, as a reader sees them."""
    return [
        x.replace("**", "").replace(":material/comment: ", "")
        for x in shown(at)
        if x.startswith(":material/comment:")
    ]


def test_notes_beside_the_figures_of_the_budget_contacts_and_maps_pages(accounts, monkeypatch):
    url, _ = accounts
    staff = page_as(url, monkeypatch, "staff@tianshui.example")
    staff.switch_page(str(ROOT / "pages" / "budget.py")).run()
    assert not staff.exception
    assert page_notes(staff) == [
        "解读（2024 第四季度） · 天水市 · 预算执行率：12月集中拨付，执行率将在一季度补齐"
    ]
    staff.switch_page(str(ROOT / "pages" / "contacts.py")).run()
    assert page_notes(staff) == [
        "解读（2024 第四季度） · 秦州区 · 进度滞后：两名干部调岗，已重新结对"
    ]
    staff.switch_page(str(ROOT / "pages" / "maps.py")).run()
    assert page_notes(staff) == []  # the province's note on the Love Huts is not Tianshui's
    admin = page_as(url, monkeypatch, "admin@gansu.example")
    admin.switch_page(str(ROOT / "pages" / "maps.py")).run()
    assert page_notes(admin) == ["解读（2024 第四季度） · 全省 · “爱心屋”运营：陇南两处选址调整"]
