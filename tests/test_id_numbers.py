"""ID numbers cannot be recovered from a copy of the database.

The attack: the county code and the last four characters are stored beside the hash, so only
the birth date is unknown; trying every date of a lifetime takes seconds against a plain
SHA-256. The stored value is keyed with a secret kept outside the database; these tests run the
same search against what is stored and fail if it finds any number."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import sqlite3

from sqlalchemy import select, text

from data_access import db, demo, idnumbers, importer
from data_access.models import Recipient

SECRET = "f3Qm8-production-key-kept-outside-the-db"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
HEADERS = ["对象编码", "姓名", "身份证号", "县区", "残疾类别", "残疾等级"]
# (code, county, birth date, sequence): people of three counties, born over five decades
PEOPLE = [
    ("TS-0001", "620502", "19530417", "213"),
    ("TS-0002", "620502", "19671130", "048"),
    ("LZ-0001", "620102", "19800101", "002"),
    ("LZ-0002", "620102", "19991231", "777"),
    ("BY-0001", "620402", "19621009", "135"),
]


def check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def id_number(county: str, born: str, sequence: str) -> str:
    first17 = county + born + sequence
    return first17 + check_digit(first17)


NUMBERS = {code: id_number(county, born, seq) for code, county, born, seq in PEOPLE}


def recipients_csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    county_names = {"620502": "秦州区", "620102": "城关区", "620402": "白银区"}
    for code, number in rows:
        writer.writerow([code, "张三", number, county_names[number[:6]], "肢体", "一级"])
    return out.getvalue().encode("utf-8")


def brute_force(stored: list[tuple[str, str, str]], guesses) -> dict[str, str]:
    """For each (county, last four, stored hash): every birth date from 1930 to 2015 in front of
    the last four, through each way of hashing in `guesses`; returns stored hash → number."""
    found: dict[str, str] = {}
    day, end = dt.date(1930, 1, 1), dt.date(2015, 12, 31)
    dates = []
    while day <= end:
        dates.append(day.strftime("%Y%m%d"))
        day += dt.timedelta(days=1)
    for county, last4, value in stored:
        for born in dates:
            candidate = county + born + last4
            if check_digit(candidate[:17]) != candidate[17]:
                continue
            if any(guess(candidate) == value for guess in guesses):
                found[value] = candidate
                break
    return found


def plain_sha256(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def with_demo_key(number: str) -> str:
    inner = plain_sha256(number).encode()
    return hmac.new(idnumbers.DEMO_KEY.encode(), inner, hashlib.sha256).hexdigest()


GUESSES = (plain_sha256, with_demo_key)  # what an attacker with the source code can compute


def stored_values(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(Recipient.county_code, Recipient.id_last4, Recipient.id_hash).where(
                    Recipient.id_hash.is_not(None)
                )
            )
        ]


def test_the_search_finds_numbers_hashed_without_a_key():
    """The search of these tests works: against plain SHA-256 it recovers every number."""
    values = [(n[:6], n[-4:], plain_sha256(n)) for n in NUMBERS.values()]
    assert sorted(brute_force(values, GUESSES).values()) == sorted(NUMBERS.values())


def test_a_copy_of_the_database_does_not_give_the_numbers_back(empty_engine, monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_ID_KEY", SECRET)
    outcome = importer.run(
        empty_engine, "recipients", recipients_csv(list(NUMBERS.items())), "名册.csv", dry_run=False
    )
    assert outcome.written and outcome.added == len(PEOPLE), outcome.message()
    stolen = stored_values(empty_engine)
    assert len(stolen) == len(PEOPLE)
    assert {last4 for _c, last4, _h in stolen} == {n[-4:] for n in NUMBERS.values()}
    assert brute_force(stolen, GUESSES) == {}

    # and the next import still recognises the same person under another code
    again = importer.run(
        empty_engine, "recipients", recipients_csv([("NEW-1", NUMBERS["LZ-0001"])]), "再次.csv"
    )
    assert [p.reason for p in again.problems] == ["此身份证号已登记在对象“LZ-0001”名下"]


def test_migration_keys_the_hashes_already_stored(tmp_path, monkeypatch):
    """A database of the old kind (plain SHA-256) upgraded with a key configured: the stored
    values no longer give the numbers back, and duplicates are still found."""
    from alembic import command

    sqlite3.connect(tmp_path / "old.db").close()
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(db._alembic_config(engine), "0006")
    with engine.begin() as conn:
        demo.load_reference(conn)
        for i, (code, number) in enumerate(NUMBERS.items(), start=1):
            conn.execute(
                text(
                    "INSERT INTO recipients (id, code, name, id_hash, id_last4, county_code,"
                    " category, grade, eligible, illustrative) VALUES"
                    " (:i, :code, '李四', :h, :last4, :county, '肢体', 1, 1, 0)"
                ),
                dict(i=i, code=code, h=plain_sha256(number), last4=number[-4:], county=number[:6]),
            )
    before = stored_values(engine)
    assert len(brute_force(before, GUESSES)) == len(PEOPLE)  # the old database leaks them all

    monkeypatch.setenv("DASHBOARD_ID_KEY", SECRET)
    db.migrate(engine)
    after = stored_values(engine)
    assert len(after) == len(PEOPLE)
    assert brute_force(after, GUESSES) == {}
    outcome = importer.run(
        engine, "recipients", recipients_csv([("NEW-2", NUMBERS["TS-0002"])]), "名册.csv"
    )
    assert [p.reason for p in outcome.problems] == ["此身份证号已登记在对象“TS-0002”名下"]
    engine.dispose()


def test_sign_in_mode_without_a_key_writes_nothing(empty_engine, monkeypatch):
    monkeypatch.setenv("DASHBOARD_REQUIRE_LOGIN", "yes")
    outcome = importer.run(
        empty_engine, "recipients", recipients_csv(list(NUMBERS.items())), "名册.csv", dry_run=False
    )
    assert not outcome.written
    assert "未配置身份证号密钥" in outcome.message()
    assert stored_values(empty_engine) == []


def test_another_key_is_refused_until_the_hashes_are_rekeyed(empty_engine, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ID_KEY", SECRET)
    first = list(NUMBERS.items())[:3]
    assert importer.run(empty_engine, "recipients", recipients_csv(first), "a.csv", dry_run=False)
    new_key = "second-key-after-rotation-0042"
    monkeypatch.setenv("DASHBOARD_ID_KEY", new_key)
    refused = importer.run(
        empty_engine, "recipients", recipients_csv([("X", NUMBERS["LZ-0002"])]), "b.csv"
    )
    assert "不一致" in refused.message()

    monkeypatch.setenv("DASHBOARD_ID_KEY_PREVIOUS", SECRET)
    assert (
        "rekey"
        in importer.run(empty_engine, "recipients", recipients_csv(first), "c.csv").message()
    )
    assert idnumbers.rekey(empty_engine) == 3
    assert idnumbers.rekey(empty_engine) == 0
    again = importer.run(
        empty_engine, "recipients", recipients_csv([("Y", NUMBERS["TS-0001"])]), "d.csv"
    )
    assert [p.reason for p in again.problems] == ["此身份证号已登记在对象“TS-0001”名下"]
    # the old key alone no longer opens anything: the newest key wraps every stored value
    old_only = [
        lambda n: hmac.new(SECRET.encode(), plain_sha256(n).encode(), hashlib.sha256).hexdigest()
    ]
    assert brute_force(stored_values(empty_engine), [*GUESSES, *old_only]) == {}


def test_a_short_key_is_refused(empty_engine, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ID_KEY", "short")
    outcome = importer.run(
        empty_engine, "recipients", recipients_csv(list(NUMBERS.items())[:1]), "名册.csv"
    )
    assert "密钥太短" in outcome.message()
