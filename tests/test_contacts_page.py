"""The contacts page (联系帮扶) through AppTest on the demo database: what a leader and the
prefecture staff see, that filters change it, and that no paired person's name or identifier
reaches the screen or a download."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import db
from data_access.models import Cadre, Contact, County, Pairing, Prefecture, Recipient
from tests.pagewalk import every_tab_text, rendered_texts


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def number(text: str) -> int:
    return int(text.replace(",", ""))


def table(at, first_column: str) -> pd.DataFrame:
    """The first dataframe on the page whose first column has this header."""
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


# The tabs run only when open; a link opens one (its label in the URL).
LIST, CADRE, TREND, COVERAGE = "滞后与风险名单", "干部联系记录", "联系方式与趋势", "应结尽结"


def behind_list(at) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if "欠缺" in d.value.columns]
    assert len(found) == 1
    return found[0]


@pytest.fixture
def engine(demo_sqlite_url):
    return db.engine_for(demo_sqlite_url)


def test_province_metrics_and_tables_add_up(app):
    at = app(page="contacts.py")
    assert not at.exception and not at.error
    assert at.title[0].value == "联系帮扶"
    shown = metrics(at)
    pairings = number(shown["结对数"])
    assert pairings > 1000
    behind, compliant = number(shown["进度滞后"]), number(shown["全年已达标"])
    # At the year's end on track means compliant: the rate is compliant ÷ pairings.
    assert shown["干部联系达标率"] == f"{compliant / pairings * 100:.1f}%"
    assert compliant + behind == pairings
    # The overview shows the same rate under the same name.
    assert metrics(app())["干部联系达标率"] == shown["干部联系达标率"]
    areas = table(at, "地区")
    prefectures = areas[areas["地区"] != "合计"]
    assert len(prefectures) == 14
    assert prefectures["结对数"].sum() == pairings == areas.iloc[-1]["结对数"]
    assert prefectures["进度滞后"].sum() == behind
    levels = table(at, "干部层级")
    assert levels["干部层级"].tolist() == ["省残联", "市州残联", "县区残联", "合计"]
    assert levels["结对数"].iloc[:3].sum() == pairings
    assert "各市州达标率排名" in [h.value for h in at.header]


def test_choosing_a_prefecture_shows_its_counties(app):
    province = table(app(page="contacts.py"), "地区").set_index("地区")
    at = app(page="contacts.py", prefecture="天水市")
    assert not at.exception
    assert number(metrics(at)["结对数"]) == province.loc["天水市", "结对数"]
    counties = table(at, "地区")
    assert counties["地区"].tolist()[:2] == ["秦州区", "麦积区"] and len(counties) == 7 + 1
    assert "各县区达标率排名" in [h.value for h in at.header]
    at = app(page="contacts.py", prefecture="天水市", ct_tab=LIST)
    assert set(behind_list(at)["地区"].str.split(" · ").str[0]) == {"天水市"}


def test_earlier_quarter_changes_what_is_due(app):
    year = app(page="contacts.py")
    at = app(page="contacts.py", period="第二季度")
    assert not at.exception
    rule = next(c.value for c in at.caption if c.value.startswith("标准"))
    assert "截至 2024-06-30 应有：远程联系≥2次、入户探视≥1次" in rule
    q2, y = metrics(at), metrics(year)
    assert number(q2["全年已达标"]) < number(y["全年已达标"])
    assert q2["干部联系达标率"] != y["干部联系达标率"]


def test_only_the_open_tab_runs_and_a_link_opens_another(app):
    at = app(page="contacts.py")
    assert [tab.label for tab in at.tabs][1:] == [LIST, CADRE, TREND, COVERAGE]
    assert len(table(at, "干部层级")) == 4
    assert not [d for d in at.dataframe if "欠缺" in d.value.columns]  # the list is not made
    at = app(page="contacts.py", ct_tab=LIST)
    assert len(behind_list(at)) > 0
    assert not [d for d in at.dataframe if d.value.columns[0] == "干部层级"]


def test_behind_list_filters(app):
    at = app(page="contacts.py", ct_tab=LIST)
    everyone = behind_list(at)
    assert len(everyone) > 0
    assert f"共 {len(everyone):,} 个结对进度滞后或有风险。" in [m.value for m in at.markdown]
    at.selectbox(key="ct_level").select("prefecture").run()
    prefecture = behind_list(at)
    assert 0 < len(prefecture) < len(everyone)
    assert set(prefecture["干部层级"]) == {"市州残联"}
    at.selectbox(key="ct_level").select(None).run()
    at.selectbox(key="ct_missing").select("visits").run()
    visits = behind_list(at)
    assert 0 < len(visits) < len(everyone)
    assert visits["欠缺"].str.contains("入户差").all()
    # Another tab and back: the list keeps its filter.
    at.query_params["ct_tab"] = TREND
    at.run()
    at.query_params["ct_tab"] = LIST
    at.run()
    assert at.selectbox(key="ct_missing").value == "visits"
    assert len(behind_list(at)) == len(visits)


def test_cadre_timeline_lists_every_contact(app, engine):
    at = app(page="contacts.py", ct_tab=CADRE)
    at.selectbox(key="ct_cadre").select_index(1).run()
    assert not at.exception
    chooser = at.selectbox(key="ct_cadre")
    cadre_id = chooser.value
    with engine.connect() as conn:
        code = conn.execute(select(Cadre.code).where(Cadre.id == int(cadre_id))).scalar_one()
        made = conn.execute(
            select(func.count())
            .select_from(Contact)
            .join(Pairing, Pairing.id == Contact.pairing_id)
            .where(Pairing.cadre_id == int(cadre_id))
        ).scalar_one()
    timeline = table(at, "日期")
    assert len(timeline) == made
    assert timeline["日期"].is_monotonic_increasing
    assert set(timeline["方式"]) <= {"电话", "微信", "短信", "其他远程", "入户探视"}
    assert code in chooser.options[1]
    assert code in behind_list(app(page="contacts.py", ct_tab=LIST))["干部编号"].tolist()


def test_everyone_paired_section(app, engine):
    at = app(page="contacts.py", ct_tab=COVERAGE)
    shown = metrics(at)
    with engine.connect() as conn:
        eligible = conn.execute(
            select(func.count()).select_from(Recipient).where(Recipient.eligible.is_(True))
        ).scalar_one()
    assert number(shown["应结对对象"]) == eligible
    unpaired = number(shown["未结对对象"])
    assert 0 < unpaired < eligible
    lists = [d.value for d in at.dataframe if list(d.value.columns)[:2] == ["地区", "结对对象"]]
    assert len(lists) == 1 and len(lists[0]) == unpaired


def test_english(app):
    at = app(page="contacts.py", lang="English")
    assert not at.exception
    assert at.title[0].value == "Cadre contacts"
    assert {"Pairings", "At risk", "Never visited"} <= set(metrics(at))
    at = app(page="contacts.py", lang="English", ct_tab="Behind or at risk")
    assert "What is missing" in behind_list_en(at).columns


def behind_list_en(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "What is missing" in d.value.columns)


# --- privacy ----------------------------------------------------------------------------------


def test_no_recipient_name_or_identifier_on_the_page_or_in_downloads(app, engine, downloads):
    with engine.connect() as conn:
        people = conn.execute(
            select(Recipient.name, Recipient.code, Recipient.id_hash, Recipient.id_last4)
        ).all()
        public = [
            *conn.execute(select(Cadre.name)).scalars(),
            *conn.execute(select(Cadre.unit)).scalars(),
            *conn.execute(select(County.name)).scalars(),
            *conn.execute(select(Prefecture.name)).scalars(),
        ]
    # A cadre (whose name is shown) may share a name with a paired person, and a short name
    # may be part of a place or unit name; such names cannot tell a leak apart, so they are
    # left out, and the rest must be most of them for the test to mean something.
    public_text = "\n".join(public)
    names = {p.name for p in people if len(p.name) >= 2 and p.name not in public_text}
    assert len(names) > 0.5 * len({p.name for p in people})
    codes = {p.code for p in people} | {p.id_hash for p in people if p.id_hash}

    seen: list[str] = []
    at = app(page="contacts.py")
    seen += every_tab_text(at)
    at.query_params["ct_tab"] = CADRE
    at.run()
    at.selectbox(key="ct_cadre").select_index(2).run()
    seen += rendered_texts(at._tree)
    at = app(page="contacts.py", prefecture="天水市", period="第二季度")
    seen += every_tab_text(at)
    assert not at.exception
    assert len(downloads) >= 6
    seen += [data.decode("utf-8-sig") for _name, data in downloads]
    text = "\n".join(seen)
    assert "*" in text  # the masked names are there
    leaked = sorted(n for n in names if n in text)
    assert not leaked, leaked[:10]
    assert not sorted(c for c in codes if c in text)
