"""The contact tallies (data_access.tallies, migrations 0003 and 0004) always agree with the
contacts, whoever writes them and however, on SQLite and PostgreSQL: the running totals per
pairing and the counts per month, area and channel are what counting the contacts by hand
gives."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import delete, insert, select, update

from data_access import tallies
from data_access.models import (
    REMOTE_CHANNELS,
    Cadre,
    Contact,
    ContactCount,
    Meta,
    Pairing,
    PairingFact,
    PairingTally,
    Recipient,
)

D = dt.date
QINZHOU = "620502"


def counted(conn) -> dict[tuple[int, int, int], tuple[int, int, dt.date]]:
    """(year, month, pairing) → (remote, visits, last contact), counted from the contacts:
    from the month of the pairing's first contact of the year to December."""
    months: dict[tuple[int, int], dict[int, list]] = defaultdict(dict)
    for pairing, day, channel in conn.execute(
        select(Contact.pairing_id, Contact.contacted_on, Contact.channel)
    ):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        tally = months[(pairing, day.year)].setdefault(day.month, [0, 0, None])
        tally[0] += channel in REMOTE_CHANNELS
        tally[1] += channel == "visit"
        tally[2] = max(tally[2] or day, day)
    out = {}
    for (pairing, year), by_month in months.items():
        remote = visits = 0
        last = None
        for month in range(min(by_month), 13):
            if month in by_month:
                remote += by_month[month][0]
                visits += by_month[month][1]
                last = by_month[month][2]
            out[(year, month, pairing)] = (remote, visits, last)
    return out


def stored(conn) -> dict[tuple[int, int, int], tuple[int, int, dt.date]]:
    return {
        (year, month, pairing): (remote, visits, last)
        for year, month, pairing, remote, visits, last in conn.execute(
            select(
                PairingTally.year,
                PairingTally.month,
                PairingTally.pairing_id,
                PairingTally.remote,
                PairingTally.visits,
                PairingTally.last_contact,
            )
        )
    }


def channels_counted(conn) -> dict[tuple[int, int, str, str], int]:
    out: dict[tuple[int, int, str, str], int] = defaultdict(int)
    for day, county, channel in conn.execute(
        select(Contact.contacted_on, Contact.county_code, Contact.channel)
    ):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        out[(day.year, day.month, county, channel)] += 1
    return dict(out)


def channels_stored(conn) -> dict[tuple[int, int, str, str], int]:
    """The stored counts (a count that went down to 0 is the same as no row)."""
    rows = conn.execute(
        select(
            ContactCount.year,
            ContactCount.month,
            ContactCount.county_code,
            ContactCount.channel,
            ContactCount.contacts,
        )
    )
    return {(y, m, county, channel): n for y, m, county, channel, n in rows if n}


def facts_expected(conn) -> dict[int, tuple]:
    rows = conn.execute(
        select(
            Pairing.id,
            Pairing.cadre_id,
            Pairing.recipient_id,
            Recipient.county_code,
            Cadre.level,
            Pairing.started_on,
            Pairing.ended_on,
        )
        .join(Recipient, Recipient.id == Pairing.recipient_id)
        .join(Cadre, Cadre.id == Pairing.cadre_id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def facts_stored(conn) -> dict[int, tuple]:
    rows = conn.execute(
        select(
            PairingFact.pairing_id,
            PairingFact.cadre_id,
            PairingFact.recipient_id,
            PairingFact.county_code,
            PairingFact.level,
            PairingFact.started_on,
            PairingFact.ended_on,
        )
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def agree(conn) -> dict:
    """Every derived table matches what it is derived from; the pairing tallies, for closer
    looks."""
    assert facts_stored(conn) == facts_expected(conn)
    assert channels_stored(conn) == channels_counted(conn)
    tally = stored(conn)
    assert tally == counted(conn)
    return tally


def people(engine, pairings: int = 3) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Cadre).values(
                id=1, code="C1", name="甲", level="county", unit="秦州区残联", county_code=QINZHOU
            )
        )
        conn.execute(
            insert(Recipient),
            [
                {
                    "id": i,
                    "code": f"R{i}",
                    "name": "乙",
                    "county_code": QINZHOU,
                    "category": "肢体",
                    "grade": 1,
                }
                for i in range(1, pairings + 1)
            ],
        )
        conn.execute(
            insert(Pairing),
            [
                {"id": i, "cadre_id": 1, "recipient_id": i, "started_on": D(2023, 6, 1)}
                for i in range(1, pairings + 1)
            ],
        )


def contact(pairing: int, day: dt.date, channel: str) -> dict:
    return {"pairing_id": pairing, "contacted_on": day, "channel": channel, "county_code": QINZHOU}


def test_inserts_one_by_one_and_many_at_once_are_tallied(empty_engine):
    people(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(insert(Contact).values(**contact(1, D(2024, 3, 5), "phone")))
        conn.execute(insert(Contact).values(**contact(1, D(2024, 1, 20), "visit")))
        conn.execute(
            insert(Contact),
            [
                contact(1, D(2024, 3, 30), "wechat"),
                contact(1, D(2024, 11, 2), "sms"),
                contact(2, D(2024, 12, 31), "other"),
                contact(2, D(2023, 12, 1), "visit"),  # the year before: its own year
                contact(3, D(2024, 6, 30), "visit"),
                contact(3, D(2024, 6, 30), "visit"),  # the same day twice counts twice
            ],
        )
    with empty_engine.connect() as conn:
        tally = agree(conn)
    assert tally[(2024, 2, 1)] == (0, 1, D(2024, 1, 20))
    assert tally[(2024, 3, 1)] == (2, 1, D(2024, 3, 30))
    assert tally[(2024, 12, 1)] == (3, 1, D(2024, 11, 2))
    assert tally[(2024, 12, 2)] == (1, 0, D(2024, 12, 31))
    assert (2024, 11, 2) not in tally  # no contact yet that year: no row
    assert tally[(2023, 12, 2)] == (0, 1, D(2023, 12, 1))
    assert tally[(2024, 6, 3)] == (0, 2, D(2024, 6, 30))


def test_updates_and_deletes_recount(empty_engine):
    people(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            insert(Contact),
            [
                contact(1, D(2024, 2, 1), "phone"),
                contact(1, D(2024, 5, 1), "visit"),
                contact(1, D(2024, 9, 1), "sms"),
                contact(2, D(2024, 4, 1), "phone"),
            ],
        )
    with empty_engine.begin() as conn:
        # A later date, another channel, another pairing; then deletes.
        conn.execute(
            update(Contact).where(Contact.contacted_on == D(2024, 9, 1)).values(channel="visit")
        )
        conn.execute(
            update(Contact)
            .where(Contact.contacted_on == D(2024, 2, 1))
            .values(contacted_on=D(2024, 10, 15))
        )
        conn.execute(update(Contact).where(Contact.pairing_id == 2).values(pairing_id=3))
        conn.execute(update(Contact).where(Contact.pairing_id == 3).values(county_code="620503"))
        conn.execute(delete(Contact).where(Contact.contacted_on == D(2024, 5, 1)))
    with empty_engine.connect() as conn:
        tally = agree(conn)
    assert (2024, 5, 1) not in tally  # its first contact now is in September
    assert tally[(2024, 9, 1)] == (0, 1, D(2024, 9, 1))
    assert tally[(2024, 12, 1)] == (1, 1, D(2024, 10, 15))
    assert not any(p == 2 for _y, _m, p in tally)
    assert tally[(2024, 4, 3)] == (1, 0, D(2024, 4, 1))
    with empty_engine.begin() as conn:
        conn.execute(delete(Contact).where(Contact.pairing_id == 1))
        conn.execute(delete(Pairing).where(Pairing.id == 2))
    with empty_engine.connect() as conn:
        assert agree(conn) == {(2024, m, 3): (1, 0, D(2024, 4, 1)) for m in range(4, 13)}


def test_a_deferred_bulk_load_is_tallied_once_at_the_end(empty_engine):
    people(empty_engine)
    with empty_engine.begin() as conn:
        tallies.defer(conn)
        conn.execute(insert(Contact), [contact(1, D(2024, 1, d), "phone") for d in range(1, 29)])
        assert stored(conn) == {} and channels_stored(conn) == {}  # the triggers stood aside
        tallies.rebuild(conn)
        assert conn.execute(select(Meta).where(Meta.key == tallies.DEFERRED)).first() is None
    with empty_engine.begin() as conn:
        conn.execute(insert(Contact).values(**contact(1, D(2024, 2, 1), "visit")))
    with empty_engine.connect() as conn:
        tally = agree(conn)
    assert tally[(2024, 12, 1)] == (28, 1, D(2024, 2, 1))


def test_rebuild_of_some_pairings_leaves_the_others(empty_engine):
    people(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(insert(Contact), [contact(p, D(2024, 7, 1), "phone") for p in (1, 2, 3)])
        conn.execute(update(PairingTally).where(PairingTally.pairing_id == 3).values(remote=99))
        tallies.rebuild(conn, [1, 2])
        assert stored(conn)[(2024, 12, 3)][0] == 99
        tallies.rebuild(conn, [3])
        agree(conn)


def test_pairing_facts_follow_pairings_recipients_and_cadres(empty_engine):
    people(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            insert(Cadre).values(
                id=2,
                code="C2",
                name="丙",
                level="prefecture",
                unit="天水市残联",
                county_code=QINZHOU,
            )
        )
        conn.execute(update(Recipient).where(Recipient.id == 1).values(county_code="620503"))
        conn.execute(update(Cadre).where(Cadre.id == 1).values(level="province"))
        conn.execute(update(Pairing).where(Pairing.id == 2).values(ended_on=D(2024, 3, 31)))
        conn.execute(update(Pairing).where(Pairing.id == 3).values(cadre_id=2))
        conn.execute(
            insert(Pairing).values(id=4, cadre_id=2, recipient_id=2, started_on=D(2024, 4, 1))
        )
        conn.execute(delete(Pairing).where(Pairing.id == 1))
    with empty_engine.connect() as conn:
        agree(conn)
        facts = facts_stored(conn)
    assert sorted(facts) == [2, 3, 4]
    assert facts[2] == (1, 2, QINZHOU, "province", D(2023, 6, 1), D(2024, 3, 31))
    assert facts[3][0] == 2 and facts[3][3] == "prefecture"
    assert facts[4] == (2, 2, QINZHOU, "prefecture", D(2024, 4, 1), None)


def test_demo_data_is_tallied(demo_engine):
    with demo_engine.connect() as conn:
        assert conn.execute(select(Meta).where(Meta.key == tallies.DEFERRED)).first() is None
        agree(conn)
