"""Contact compliance queries (data_access/contacts.py) on SQLite and PostgreSQL.

A small database built by hand, whose every answer is worked out below, and the demo data,
where the rolled-up counts must add up and agree with the rule applied in Python."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import insert, select

from dashboard import contacts_view as view
from dashboard.rules import CONTACT_RULE, ContactRule, as_of
from data_access import contacts, queries
from data_access.models import Cadre, Contact, Pairing, Recipient
from data_access.scope import PROVINCE, Filters, Scope

D = dt.date
QINZHOU, MAIJI, CHENGGUAN = "620502", "620503", "620102"  # 天水市 ×2, 兰州市
TIANSHUI, LANZHOU = "620500", "620100"

# cadre id: (name, level, unit, county, active)
CADRES = {
    1: ("甲干部", "county", "秦州区残疾人联合会", QINZHOU, True),
    2: ("乙干部", "county", "秦州区残疾人联合会", QINZHOU, True),
    3: ("丙干部", "prefecture", "天水市残疾人联合会", QINZHOU, True),
    4: ("丁干部", "province", "甘肃省残疾人联合会", CHENGGUAN, True),
    5: ("戊干部", "county", "麦积区残疾人联合会", MAIJI, True),
    6: ("己干部", "county", "麦积区残疾人联合会", MAIJI, True),  # no pairing
    7: ("庚干部", "county", "麦积区残疾人联合会", MAIJI, False),  # left: not counted
}
# recipient id: (name, county, eligible)
RECIPIENTS = {
    1: ("张三丰", QINZHOU, True),
    2: ("李四", QINZHOU, True),
    3: ("王", QINZHOU, True),
    4: ("欧阳明华", CHENGGUAN, True),
    5: ("赵小燕", MAIJI, True),
    6: ("钱多多", MAIJI, True),
    7: ("孙悟空", MAIJI, True),  # never paired
    8: ("周不通", MAIJI, False),  # not eligible: not counted as unpaired
    9: ("吴用", MAIJI, True),  # paired until 15 March only
}
# pairing id: (cadre, recipient, started, ended, contacts)
PAIRINGS = {
    # A: 4 remote contacts and 1 visit in the first half
    1: (
        1,
        1,
        D(2024, 1, 1),
        None,
        [
            (D(2024, 1, 15), "phone"),
            (D(2024, 3, 10), "wechat"),
            (D(2024, 4, 10), "visit"),
            (D(2024, 5, 5), "phone"),
            (D(2024, 6, 20), "sms"),
        ],
    ),
    # B: 4 phone calls, never visited
    2: (
        2,
        2,
        D(2024, 1, 1),
        None,
        [(D(2024, m, d), "phone") for m, d in ((1, 15), (3, 10), (5, 5), (6, 20))],
    ),
    # C: never contacted
    3: (3, 3, D(2024, 1, 1), None, []),
    # D: the year's rule met by 20 May
    4: (
        4,
        4,
        D(2024, 1, 1),
        None,
        [
            (D(2024, 1, 10), "phone"),
            (D(2024, 2, 10), "phone"),
            (D(2024, 2, 20), "visit"),
            (D(2024, 3, 10), "wechat"),
            (D(2024, 4, 10), "phone"),
            (D(2024, 5, 20), "visit"),
        ],
    ),
    # E1: one call on the last day of Q1
    5: (5, 5, D(2024, 1, 1), None, [(D(2024, 3, 31), "phone")]),
    # E2: a call on the leap day, a call and a visit on the last day of H1
    6: (
        5,
        6,
        D(2024, 1, 1),
        None,
        [(D(2024, 2, 29), "phone"), (D(2024, 6, 30), "phone"), (D(2024, 6, 30), "visit")],
    ),
    # E3: ended on 15 March after one call
    7: (5, 9, D(2024, 1, 1), D(2024, 3, 15), [(D(2024, 2, 1), "phone")]),
}
NAMES = {1: "A", 2: "B", 3: "C", 4: "D", 5: "E1", 6: "E2", 7: "E3"}


def build(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Cadre),
            [
                {
                    "id": i,
                    "code": f"T{i:03d}",
                    "name": name,
                    "level": level,
                    "unit": unit,
                    "county_code": county,
                    "active": active,
                }
                for i, (name, level, unit, county, active) in CADRES.items()
            ],
        )
        conn.execute(
            insert(Recipient),
            [
                {
                    "id": i,
                    "code": f"R{i:03d}",
                    "name": name,
                    "county_code": county,
                    "category": "肢体",
                    "grade": 1,
                    "eligible": eligible,
                }
                for i, (name, county, eligible) in RECIPIENTS.items()
            ],
        )
        conn.execute(
            insert(Pairing),
            [
                {"id": i, "cadre_id": c, "recipient_id": r, "started_on": s, "ended_on": e}
                for i, (c, r, s, e, _) in PAIRINGS.items()
            ],
        )
        conn.execute(
            insert(Contact),
            [
                {
                    "pairing_id": i,
                    "contacted_on": day,
                    "channel": channel,
                    "county_code": RECIPIENTS[r][1],
                }
                for i, (_, r, _s, _e, made) in PAIRINGS.items()
                for day, channel in made
            ],
        )


@pytest.fixture
def hand(empty_engine):
    build(empty_engine)
    return empty_engine


def standard(flt: Filters, rule: ContactRule = CONTACT_RULE):
    return rule.standard(as_of(flt))


def counts(engine, flt: Filters, scope: Scope = PROVINCE) -> dict[str, int]:
    return view.totals(contacts.compliance_counts(engine, scope, flt, standard(flt)))


def verdicts(engine, flt: Filters) -> dict[str, dict]:
    """Per pairing (by its letter): counts and verdicts as the queries give them."""
    out = {}
    for cadre in sorted({c for c, *_ in PAIRINGS.values()}):
        frame = contacts.cadre_pairings(engine, PROVINCE, flt, standard(flt), cadre)
        for row in frame.to_dict("records"):
            out[NAMES[row["pairing_id"]]] = row
    return out


def on_track(engine, flt: Filters) -> set[str]:
    return {name for name, row in verdicts(engine, flt).items() if row["on_track"]}


# --- the small database: answers known by hand ------------------------------------------------


def test_year_end_four_calls_and_one_visit_is_not_compliant(hand):
    got = verdicts(hand, Filters(2024))
    assert (got["A"]["remote"], got["A"]["visits"]) == (4, 1)
    assert not got["A"]["compliant"] and not got["A"]["on_track"] and got["A"]["at_risk"]
    assert got["D"]["compliant"] and got["D"]["on_track"] and not got["D"]["at_risk"]
    assert counts(hand, Filters(2024)) == {
        "pairings": 7,
        "compliant": 1,
        "on_track": 1,
        "behind": 6,
        "at_risk": 6,
        "never_contacted": 1,  # C
        "never_visited": 4,  # B, C, E1, E3
    }


def test_end_of_q2_on_track_only_with_a_visit(hand):
    got = verdicts(hand, Filters(2024, "Q2"))
    assert got["A"]["on_track"] and not got["A"]["at_risk"]  # 4 calls and 1 visit
    assert not got["B"]["on_track"] and got["B"]["at_risk"]  # 4 calls, no visit
    assert counts(hand, Filters(2024, "Q2")) == {
        "pairings": 7,
        "compliant": 1,
        "on_track": 3,  # A, D, E2
        "behind": 4,
        "at_risk": 4,  # B, C, E1 (quiet since 31 March too), E3
        "never_contacted": 1,
        "never_visited": 4,
    }


def test_earlier_periods_change_who_is_on_track(hand):
    assert on_track(hand, Filters(2024, "Y")) == {"D"}
    # 30 June: 2 contacts and 1 visit due; E2's call and visit on 30 June count.
    assert on_track(hand, Filters(2024, "Q2")) == {"A", "D", "E2"}
    # 31 March: 1 contact due; E1's call on 31 March counts, E3 (ended 15 March) had one.
    assert on_track(hand, Filters(2024, "Q1")) == {"A", "B", "D", "E1", "E2", "E3"}
    # 29 February (leap day): nothing due yet; E2's call that day is counted.
    leap = verdicts(hand, Filters(2024, "M02"))
    assert {n for n, r in leap.items() if r["on_track"]} == set(NAMES.values())
    assert leap["E2"]["remote"] == 1 and not any(r["at_risk"] for r in leap.values())
    # 31 May: still 1 contact due, E2's 30 June call and visit not yet made.
    may = verdicts(hand, Filters(2024, "M05"))
    assert (may["E2"]["remote"], may["E2"]["visits"]) == (1, 0) and may["E2"]["on_track"]


@pytest.mark.parametrize("period", ["M02", "Q1", "M04", "Q2", "M08", "Q3", "M11", "Y"])
def test_every_verdict_is_the_rule_applied_to_the_contacts(hand, period):
    """The SQL's verdicts equal ContactRule.assess on the contacts listed above."""
    flt = Filters(2024, period)
    day = as_of(flt)
    got = verdicts(hand, flt)
    for pid, (_c, _r, started, ended, made) in PAIRINGS.items():
        if ended and ended < flt.start:
            continue
        seen = [(d, ch) for d, ch in made if d <= flt.end]
        remote = sum(ch != "visit" for _, ch in seen)
        visits = sum(ch == "visit" for _, ch in seen)
        last = max((d for d, _ in seen), default=None)
        want = CONTACT_RULE.assess(day, remote, visits, last, started)
        row = got[NAMES[pid]]
        assert (row["remote"], row["visits"]) == (remote, visits), (period, pid)
        assert bool(row["compliant"]) == want.compliant, (period, pid)
        assert bool(row["on_track"]) == want.on_track, (period, pid)
        assert bool(row["at_risk"]) == want.at_risk, (period, pid)


def test_by_prefecture_county_and_level(hand):
    flt = Filters(2024)
    rows = contacts.compliance_counts(hand, PROVINCE, flt, standard(flt))
    areas = contacts.areas(hand, PROVINCE, flt)
    pref = view.rollup(rows, "prefecture", areas).set_index("key")
    assert len(pref) == 14  # every prefecture, with zeros where nobody is paired
    assert pref.loc[TIANSHUI, ["pairings", "on_track", "never_contacted"]].tolist() == [6, 0, 1]
    assert pref.loc[LANZHOU, ["pairings", "on_track", "compliant"]].tolist() == [1, 1, 1]
    assert pref.loc[LANZHOU, "rate"] == 1.0 and pd.isna(pref.loc["620200", "rate"])
    county = view.rollup(rows, "county", areas).set_index("key")
    assert county.loc[QINZHOU, "pairings"] == 3 and county.loc[MAIJI, "pairings"] == 3
    level = view.rollup(rows, "level").set_index("key")
    assert level["pairings"].to_dict() == {"province": 1, "prefecture": 1, "county": 5}
    assert level["on_track"].to_dict() == {"province": 1, "prefecture": 0, "county": 0}
    # The prefecture's own view gives the same numbers as its row in the province's.
    tianshui = counts(hand, Filters(2024, prefecture=TIANSHUI))
    assert tianshui == {k: int(pref.loc[TIANSHUI, k]) for k in contacts.COUNT_COLUMNS}


def test_scope_clamps_the_area(hand):
    lanzhou_viewer = Scope(prefecture=LANZHOU)
    # Asking for Tianshui, a Lanzhou viewer gets Lanzhou.
    assert counts(hand, Filters(2024, prefecture=TIANSHUI), lanzhou_viewer)["pairings"] == 1
    assert counts(hand, Filters(2024), Scope(county=MAIJI))["pairings"] == 3
    got = contacts.cadre_timeline(hand, lanzhou_viewer, Filters(2024), 1)
    assert got.empty  # cadre 1's pairing is in Tianshui


def test_behind_or_at_risk_list(hand):
    flt = Filters(2024)
    got = contacts.behind_or_at_risk(hand, PROVINCE, flt, standard(flt))
    # most missing first: C (4+2), E3 and E1 (3+2, the longer quiet first), E2, B, A
    assert [NAMES[p] for p in got["pairing_id"]] == ["C", "E3", "E1", "E2", "B", "A"]
    assert set(got["total"]) == {6}
    a = got.set_index("pairing_id").loc[1]
    assert (a["cadre_name"], a["unit"], a["county_name"]) == (
        "甲干部",
        "秦州区残疾人联合会",
        "秦州区",
    )
    assert (a["remote"], a["visits"], a["remote_missing"], a["visits_missing"]) == (4, 1, 0, 1)
    assert a["last_contact"] == D(2024, 6, 20)
    assert contacts.behind_or_at_risk(hand, PROVINCE, flt, standard(flt), "province").empty
    prefecture = contacts.behind_or_at_risk(hand, PROVINCE, flt, standard(flt), "prefecture")
    assert prefecture["cadre_name"].tolist() == ["丙干部"]
    limited = contacts.behind_or_at_risk(hand, PROVINCE, flt, standard(flt), limit=2)
    assert len(limited) == 2 and set(limited["total"]) == {6}


def test_behind_list_by_what_is_missing(hand):
    flt = Filters(2024, "Q2")
    std = standard(flt)

    def listed(missing):
        got = contacts.behind_or_at_risk(hand, PROVINCE, flt, std, None, missing)
        return {NAMES[p] for p in got["pairing_id"]}

    assert listed(None) == {"B", "C", "E1", "E3"}
    assert listed("remote") == {"C", "E1", "E3"}
    assert listed("visits") == {"B", "C", "E1", "E3"}
    assert listed("quiet") == {"C", "E1", "E3"}  # nothing since 1 April
    assert listed("pace") == {"B", "C", "E1", "E3"}
    with pytest.raises(ValueError):
        listed("everything")


def test_recipient_names_are_masked(hand):
    flt = Filters(2024)
    got = contacts.behind_or_at_risk(hand, PROVINCE, flt, standard(flt))
    masked = dict(zip([NAMES[p] for p in got["pairing_id"]], got["recipient"], strict=True))
    assert masked == {"A": "张*丰", "B": "李*", "C": "*", "E1": "赵*燕", "E2": "钱*多", "E3": "吴*"}
    d = contacts.cadre_pairings(hand, PROVINCE, flt, standard(flt), 4)
    assert d["recipient"].tolist() == ["欧*华"]
    full = {name for name, _c, _e in RECIPIENTS.values()} - {"王"}  # one character is all masked
    frames = [
        got,
        d,
        contacts.cadre_timeline(hand, PROVINCE, flt, 1),
        contacts.unpaired_recipients(hand, PROVINCE, flt, flt.end),
    ]
    text = "\n".join(f.to_csv() for f in frames)
    assert not [name for name in full if name in text]
    for frame in frames:
        assert not {"code", "id_hash", "id_last4", "name", "recipient_id"} & set(frame.columns)


def test_cadre_timeline(hand):
    got = contacts.cadre_timeline(hand, PROVINCE, Filters(2024), 1)
    assert list(zip(got["contacted_on"], got["channel"], strict=True)) == [
        (D(2024, 1, 15), "phone"),
        (D(2024, 3, 10), "wechat"),
        (D(2024, 4, 10), "visit"),
        (D(2024, 5, 5), "phone"),
        (D(2024, 6, 20), "sms"),
    ]
    assert set(got["recipient"]) == {"张*丰"} and set(got["county_name"]) == {"秦州区"}
    assert len(contacts.cadre_timeline(hand, PROVINCE, Filters(2024, "Q1"), 1)) == 2
    assert contacts.cadre_timeline(hand, PROVINCE, Filters(2024), 3).empty


def test_contacts_by_month_and_channel(hand):
    got = contacts.contacts_by_month(hand, PROVINCE, Filters(2024))
    assert len(got) == 12 * 5 and got["contacts"].sum() == 20
    cell = got.set_index(["month", "channel"])["contacts"]
    assert (cell[2, "phone"], cell[2, "visit"]) == (3, 1)  # 1, 10 and 29 Feb; 20 Feb
    assert (cell[6, "phone"], cell[6, "sms"], cell[6, "visit"]) == (2, 1, 1)
    assert view.channel_mix(got).set_index("channel")["contacts"].to_dict() == {
        "phone": 13,
        "wechat": 2,
        "sms": 1,
        "other": 0,
        "visit": 4,
    }
    q1 = contacts.contacts_by_month(hand, PROVINCE, Filters(2024, "Q1"))
    assert sorted(q1["month"].unique()) == [1, 2, 3] and q1["contacts"].sum() == 11
    trend = view.monthly(q1)
    assert trend["remote"].tolist() == [3, 3, 4] and trend["visits"].tolist() == [0, 1, 0]
    tianshui = contacts.contacts_by_month(hand, PROVINCE, Filters(2024, prefecture=TIANSHUI))
    assert tianshui["contacts"].sum() == 20 - 6  # all but D's, in Lanzhou


def test_everyone_paired_coverage(hand):
    flt = Filters(2024)
    got = contacts.pairing_coverage(hand, PROVINCE, flt, D(2024, 12, 31)).set_index("county_code")
    assert len(got) == 87
    assert got.loc[MAIJI, ["eligible", "recipients_unpaired"]].tolist() == [4, 2]  # 孙悟空, 吴用
    assert got.loc[MAIJI, ["cadres", "cadres_unpaired"]].tolist() == [2, 1]  # 己干部
    assert got.loc[QINZHOU, ["eligible", "recipients_unpaired", "cadres"]].tolist() == [3, 0, 3]
    assert got[["recipients_unpaired", "cadres_unpaired"]].sum().tolist() == [2, 1]
    # On the leap day 吴用 was still paired.
    leap = contacts.pairing_coverage(hand, PROVINCE, flt, D(2024, 2, 29))
    assert leap["recipients_unpaired"].sum() == 1
    people = contacts.unpaired_recipients(hand, PROVINCE, flt, D(2024, 12, 31))
    assert people["recipient"].tolist() == ["孙*空", "吴*"]
    assert set(people["county_name"]) == {"麦积区"} and set(people["total"]) == {2}
    cadres = contacts.unpaired_cadres(hand, PROVINCE, flt, D(2024, 12, 31))
    assert cadres[["cadre_name", "level", "unit"]].values.tolist() == [
        ["己干部", "county", "麦积区残疾人联合会"]
    ]
    lanzhou = Filters(2024, prefecture=LANZHOU)
    assert contacts.unpaired_recipients(hand, PROVINCE, lanzhou, D(2024, 12, 31)).empty


def test_visit_counting_as_contact(hand):
    flt = Filters(2024)
    rule = dataclasses.replace(CONTACT_RULE, visit_counts_as_contact=True)
    a = contacts.cadre_pairings(hand, PROVINCE, flt, standard(flt, rule), 1).iloc[0]
    assert (a["remote"], a["visits"]) == (5, 1) and not a["compliant"]
    # E2 at the end of Q2: 2 calls and 1 visit either way.
    e = contacts.cadre_pairings(hand, PROVINCE, Filters(2024, "Q2"), standard(flt, rule), 5)
    assert e.set_index("pairing_id").loc[6, "remote"] == 3


# --- demo data: everything adds up, and agrees with the rule in Python ------------------------


@pytest.mark.parametrize("period", ["Q2", "Y"])
def test_demo_prefectures_add_up_to_the_province(demo_engine, period):
    flt = Filters(2024, period)
    std = standard(flt)
    rows = contacts.compliance_counts(demo_engine, PROVINCE, flt, std)
    areas = contacts.areas(demo_engine, PROVINCE, flt)
    province = view.totals(rows)
    by_pref = view.rollup(rows, "prefecture", areas)
    by_level = view.rollup(rows, "level")
    for column in contacts.COUNT_COLUMNS:
        assert by_pref[column].sum() == province[column], column
        assert by_level[column].sum() == province[column], column
    assert province["pairings"] > 1000 and 0 < province["on_track"] < province["pairings"]
    assert province["behind"] == province["pairings"] - province["on_track"]
    # The overview's summary (queries.compliance_summary) counts the same pairings.
    summary = queries.compliance_summary(demo_engine, PROVINCE, flt, std.due)
    assert summary["pairings"] == province["pairings"]
    assert summary["meeting"] == province["on_track"]
    assert summary["never_contacted"] == province["never_contacted"]
    assert summary["never_visited"] == province["never_visited"]
    # Each prefecture's own view equals its row in the province's.
    for row in by_pref.itertuples(index=False):
        own = counts(demo_engine, Filters(2024, period, prefecture=row.key))
        assert own == {c: getattr(row, c) for c in contacts.COUNT_COLUMNS}, row.name


def test_demo_counts_are_the_rule_applied_in_python(demo_engine):
    """Read the pairings and contacts as they are and judge each with ContactRule.assess."""
    flt = Filters(2024, "Q3")
    day = as_of(flt)
    with demo_engine.connect() as conn:
        pairs = pd.DataFrame(
            conn.execute(
                select(Pairing.id, Pairing.started_on, Pairing.ended_on).where(
                    Pairing.started_on <= flt.end
                )
            ).all(),
            columns=["id", "started_on", "ended_on"],
        )
        made = pd.DataFrame(
            conn.execute(
                select(Contact.pairing_id, Contact.contacted_on, Contact.channel).where(
                    Contact.contacted_on.between(flt.start, flt.end)
                )
            ).all(),
            columns=["pairing_id", "contacted_on", "channel"],
        )
    pairs = pairs[pairs["ended_on"].isna() | (pairs["ended_on"] >= flt.start)]
    made["visit"] = made["channel"] == "visit"
    per = made.groupby("pairing_id").agg(
        visits=("visit", "sum"), total=("visit", "size"), last=("contacted_on", "max")
    )
    want = dict.fromkeys(("pairings", "compliant", "on_track", "at_risk"), 0)
    for p in pairs.itertuples(index=False):
        visits = int(per["visits"].get(p.id, 0))
        remote = int(per["total"].get(p.id, 0)) - visits
        last = per["last"].get(p.id)
        verdict = CONTACT_RULE.assess(day, remote, visits, last, p.started_on)
        want["pairings"] += 1
        want["compliant"] += verdict.compliant
        want["on_track"] += verdict.on_track
        want["at_risk"] += verdict.at_risk
    got = counts(demo_engine, flt)
    assert {k: got[k] for k in want} == want
    assert 0 < want["at_risk"] < want["pairings"]


def test_demo_lists_agree_with_the_counts(demo_engine):
    flt = Filters(2024, "Q2")
    std = standard(flt)
    got = contacts.behind_or_at_risk(demo_engine, PROVINCE, flt, std)
    rows = contacts.compliance_counts(demo_engine, PROVINCE, flt, std)
    total = view.totals(rows)
    listed = int(got["total"].iloc[0])
    # Behind, plus those on track but at risk.
    assert listed >= total["behind"] and listed >= total["at_risk"]
    assert listed <= total["behind"] + total["at_risk"]
    assert (~got["on_track"] | got["at_risk"]).all()
    missing = got["remote_missing"] + got["visits_missing"]
    assert missing.is_monotonic_decreasing
    assert got["recipient"].str.contains(r"^\*$|^.\*.?$").all()
    coverage = contacts.pairing_coverage(demo_engine, PROVINCE, flt, flt.end)
    unpaired = contacts.unpaired_recipients(demo_engine, PROVINCE, flt, flt.end)
    assert coverage["recipients_unpaired"].sum() == unpaired["total"].iloc[0] > 0
    cadres = contacts.unpaired_cadres(demo_engine, PROVINCE, flt, flt.end)
    assert coverage["cadres_unpaired"].sum() == cadres["total"].iloc[0] > 0


# --- builders (pure, no database) -------------------------------------------------------------


def _listed(**overrides) -> dict:
    row = {
        "pairing_id": 1,
        "cadre_id": 1,
        "cadre_code": "C1",
        "cadre_name": "甲干部",
        "level": "county",
        "unit": "秦州区残疾人联合会",
        "prefecture_name": "天水市",
        "county_name": "秦州区",
        "recipient": "张*丰",
        "remote": 1,
        "visits": 0,
        "last_contact": D(2024, 3, 1),
        "remote_missing": 1,
        "visits_missing": 1,
        "on_track": False,
        "quiet": True,
        "pace_short": True,
        "at_risk": True,
        "total": 1,
    }
    return row | overrides


def test_what_is_missing_in_words():
    assert (
        view.missing_text(_listed(), "zh", 90)
        == "联系差1次；入户差1次；90天无联系；按目前进度年底难达标"
    )
    on_pace = _listed(remote_missing=0, visits_missing=0, on_track=True, quiet=False)
    assert view.missing_text(on_pace, "zh", 90) == "按目前进度年底难达标"
    assert view.missing_text(on_pace, "en", 90) == "pace too slow for the year"


def test_behind_table_reads_as_a_list():
    frame = pd.DataFrame([_listed(), _listed(pairing_id=2, on_track=True, remote_missing=0)])
    got = view.behind_table(frame, "zh", 90)
    assert got.columns[:3].tolist() == ["干部", "干部编号", "单位"]
    assert got["地区"].tolist() == ["天水市 · 秦州区"] * 2
    assert got["干部层级"].tolist() == ["县区残联"] * 2
    assert got["状态"].tolist() == ["进度滞后、有风险", "有风险"]
    assert view.behind_table(frame.iloc[0:0], "zh", 90).empty


def test_compliance_table_has_a_total_row():
    rolled = pd.DataFrame(
        {
            "key": ["a", "b"],
            "name": ["甲市", "乙市"],
            **{c: [3, 1] for c in contacts.COUNT_COLUMNS},
        }
    )
    rolled["pairings"] = [4, 0]
    rolled["on_track"] = [3, 0]
    rolled["rate"] = [0.75, None]
    got = view.compliance_table(rolled, "prefecture", "zh")
    assert got["地区"].tolist() == ["甲市", "乙市", "合计"]
    assert got["结对数"].tolist() == [4, 0, 4]
    assert got["干部联系达标率"].iloc[-1] == 0.75 and pd.isna(got["干部联系达标率"].iloc[1])


def test_ranking_puts_the_best_on_top_and_marks_those_below():
    rolled = pd.DataFrame(
        {"key": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "pairings": [10, 10, 0]}
    )
    rolled["on_track"] = [9, 5, 0]
    rolled["rate"] = [0.9, 0.5, None]
    fig = view.ranking_figure(rolled, "zh", overall=0.7)
    bar = fig.data[0]
    assert list(bar.y) == ["乙", "甲"]  # plotly draws the last on top; 丙 has no pairings
    assert list(bar.marker.color) == [view.RATE_COLORS["poor"], view.RATE_COLORS["good"]]
    assert "70.0%" in fig.layout.annotations[0].text


def test_timeline_keeps_look_alike_names_apart():
    frame = pd.DataFrame(
        {
            "contacted_on": [D(2024, 1, 5), D(2024, 2, 5), D(2024, 3, 5)],
            "channel": ["phone", "visit", "phone"],
            "pairing_id": [1, 1, 2],
            "recipient": ["王*", "王*", "王*"],
            "county_name": ["秦州区"] * 3,
        }
    )
    fig = view.timeline_figure(frame, "zh")
    assert {y for trace in fig.data for y in trace.y} == {"王*（1）", "王*（2）"}
    table = view.timeline_table(frame, "zh")
    assert table["方式"].tolist() == ["电话", "入户探视", "电话"]


def test_coverage_table():
    coverage = pd.DataFrame(
        {
            "prefecture_code": ["620500", "620500"],
            "prefecture_name": ["天水市", "天水市"],
            "county_code": [QINZHOU, MAIJI],
            "county_name": ["秦州区", "麦积区"],
            "eligible": [3, 4],
            "recipients_unpaired": [0, 2],
            "cadres": [3, 2],
            "cadres_unpaired": [0, 1],
        }
    )
    by_pref = view.coverage_rollup(coverage, "prefecture")
    assert by_pref[["eligible", "recipients_unpaired"]].values.tolist() == [[7, 2]]
    got = view.coverage_table(view.coverage_rollup(coverage, "county"), "zh")
    assert got["地区"].tolist() == ["秦州区", "麦积区", "合计"]
    assert got["结对覆盖率"].tolist() == [1.0, 0.5, 5 / 7]
