"""Every page, as each of the 14 prefectures' staff, with a link tampered to name another
prefecture: nothing of another prefecture reaches the screen or a download, and no paired
person's full name or identifier appears anywhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data_access import db, importer, users
from data_access.ledgers import LEDGERS
from data_access.models import (
    Cadre,
    Contact,
    Facility,
    ImportBatch,
    Indicator,
    Pairing,
    Recipient,
)
from data_access.reference import BUDGET_YEAR, COUNTIES, PREFECTURES
from data_access.scope import Scope
from tests.conftest import APP, ROOT, token_claims
from tests.pagewalk import download_text, every_tab_text

COUNTY_NAMES = {code: name for code, _p, name, _s in COUNTIES}
# Every page a prefecture's staff can open (the administrators' page is not one of them).
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "admin.py")


def area_names(prefecture: str) -> list[str]:
    names = [PREFECTURES[prefecture][0]]
    return names + [name for _c, pref, name, _s in COUNTIES if pref == prefecture]


def outside_names(prefecture: str, text: str) -> list[str]:
    """Names of other prefectures and their counties found in the text. The viewer's own names
    are blanked first, so 宁县 (庆阳市) is not found inside 静宁县 (平凉市)."""
    for own in sorted(area_names(prefecture), key=len, reverse=True):
        text = text.replace(own, "□")
    return [
        name
        for other in PREFECTURES
        if other != prefecture
        for name in area_names(other)
        if name in text
    ]


def walk(url: str, identity: str, tamper: dict[str, str]) -> tuple[str, list]:
    """Open every page (and each of its tabs) with the tampered link; return all text shown
    and any exceptions."""
    seen, problems = [], []
    for page in PAGES:
        at = AppTest.from_file(APP, default_timeout=120)
        at.secrets["auth"] = {
            "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
            "cookie_secret": "x",
            "client_id": "x",
            "client_secret": "x",
            "server_metadata_url": "http://127.0.0.1:9/.well-known/x",
        }
        at.user = token_claims(identity)
        for key, value in tamper.items():
            at.query_params[key] = value
        at.switch_page(str(Path(ROOT / "pages" / page)))
        at.run()
        problems += [(page, e.value) for e in at.exception]
        seen += [text for text in every_tab_text(at) if not is_documentation(text)]
    return "\n".join(seen), problems


def is_documentation(text: str) -> bool:
    """The ledger templates' column notes name example areas (城关区, 嘉峪关市): reference
    text for filling in a form, not program data."""
    return text.startswith(",列名,必填")


@pytest.mark.parametrize("prefecture", list(PREFECTURES))
def test_prefecture_staff_see_nothing_outside_their_prefecture(
    prefecture, demo_sqlite_url, monkeypatch, downloads
):
    monkeypatch.setenv(db.ENV_VAR, demo_sqlite_url)
    engine = db.engine_for(demo_sqlite_url)
    identity = f"staff-{prefecture}@example.gov.cn"
    users.save_account(engine, identity, "prefecture_staff", prefecture, by="test")
    other = "620100" if prefecture != "620100" else "620500"
    other_county = next(name for _c, p, name, _s in COUNTIES if p == other)
    text, problems = walk(
        demo_sqlite_url, identity, {"prefecture": PREFECTURES[other][0], "county": other_county}
    )
    assert not problems, problems
    assert PREFECTURES[prefecture][0] in text  # the viewer's own area is what is shown
    assert "超出您的权限范围" in text  # and the page says the link was not followed
    files = [data for name, data in downloads if "模板" not in (name or "")]  # blank forms
    everything = text + "\n".join(download_text(data) for data in files)
    assert downloads, "the pages offer downloads; they must be checked too"
    assert not outside_names(prefecture, everything)


def test_no_recipient_full_name_or_identifier_anywhere(app, demo_sqlite_url, downloads):
    engine = db.engine_for(demo_sqlite_url)
    with engine.connect() as conn:
        people = conn.execute(select(Recipient.name, Recipient.code, Recipient.id_hash)).all()
        cadres = set(conn.execute(select(Cadre.name)).scalars())
    # A cadre may share a name with a paired person, and a one-character given name can sit
    # inside other words; only names that cannot be confused are meaningful here.
    names = {p.name for p in people if len(p.name) >= 3 and p.name not in cadres}
    assert len(names) > 100
    seen = []
    for page in PAGES:
        at = app(page=page)
        seen += every_tab_text(at)
        assert not at.exception, page
    text = "\n".join(seen) + "\n".join(download_text(data) for _n, data in downloads)
    assert "*" in text  # masked names are shown
    assert not [n for n in names if n in text]
    assert not [p.code for p in people if p.code in text]
    assert not [p.id_hash for p in people if p.id_hash and p.id_hash in text]


# --- writes -----------------------------------------------------------------------------------
# Every ledger imported as each prefecture's staff and as a county's staff, with rows that point
# at records of other areas: each row is refused, by its row number, in words that say nothing
# of the other record, and nothing is written. One copy of the demo database serves them all.

WRITE_SCOPES = [Scope(prefecture=p) for p in PREFECTURES] + [Scope(county="620502")]
TODAY = dt.date(BUDGET_YEAR, 12, 31)


@pytest.fixture(scope="module")
def write_engine(demo_sqlite_url, tmp_path_factory):
    source = demo_sqlite_url.removeprefix("sqlite:///")
    target = tmp_path_factory.mktemp("writes") / "program.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    engine = db.make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


def counties_of(scope: Scope) -> list[str]:
    if scope.county:
        return [scope.county]
    return [code for code, pref, _n, _s in COUNTIES if pref == scope.prefecture]


def elsewhere(scope: Scope) -> list[str]:
    """Counties outside the scope: for a county, its neighbours in the same prefecture (the
    nearest boundary); for a prefecture, the next prefecture's counties."""
    if scope.county:
        return [c for c in counties_of(Scope(prefecture=scope.prefecture)) if c != scope.county]
    codes = list(PREFECTURES)
    other = codes[(codes.index(scope.prefecture) + 1) % len(codes)]
    return counties_of(Scope(prefecture=other))


def one(conn, model, counties: list[str], *where):
    return conn.execute(
        select(model).where(model.county_code.in_(counties), *where).order_by(model.id).limit(1)
    ).one()


def hostile_files(conn, scope: Scope) -> tuple[dict[str, bytes], list[str]]:
    """Per ledger, a CSV (the required columns) whose every row reaches outside the scope; and
    what the outside records hold, which no answer may repeat."""
    home, away = counties_of(scope)[0], elsewhere(scope)
    facility = one(conn, Facility, away)
    cadre = one(conn, Cadre, away, Cadre.level == "county")
    own_cadre = one(conn, Cadre, counties_of(scope), Cadre.level == "county")
    recipient = one(conn, Recipient, away)
    own_recipient = one(conn, Recipient, counties_of(scope))
    theirs = conn.execute(
        select(Cadre.code, Recipient.code, Pairing.started_on)
        .join(Cadre, Cadre.id == Pairing.cadre_id)
        .join(Recipient, Recipient.id == Pairing.recipient_id)
        .where(Recipient.county_code.in_(away), Cadre.county_code.in_(away))
        .order_by(Pairing.id)
        .limit(1)
    ).one()
    indicator = (
        conn.execute(
            select(Indicator.code).where(Indicator.source == "values").order_by(Indicator.id)
        )
        .scalars()
        .first()
    )
    day = dt.date(BUDGET_YEAR, 6, 1).isoformat()
    rows = {
        "disbursements": [["6.1", away[0], day, 100]],
        "facilities": [
            # another area's facility, moved into the viewer's county and renamed
            [facility.code, "爱心屋", "新名称", home, facility.lon, facility.lat, "暂停", day],
            ["NEW-HUT-1", "爱心屋", "新屋", away[0], facility.lon, facility.lat, "运营", day],
        ],
        "cadres": [[cadre.code, "新名字", "县级", "新单位", home]],
        "recipients": [[recipient.code, "新名字", home, "视力", "一级"]],
        "pairings": [
            [cadre.code, own_recipient.code, day],
            [own_cadre.code, recipient.code, day],
        ],
        "contacts": [
            [theirs[0], theirs[1], max(theirs[2], dt.date(BUDGET_YEAR, 1, 1)).isoformat(), "电话"],
            [own_cadre.code, recipient.code, day, "电话"],
        ],
        "indicator_values": [[indicator, away[0], f"{BUDGET_YEAR}-06", 1]],
    }
    files = {}
    for name, ledger_rows in rows.items():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.template_header for c in LEDGERS[name].columns if c.required])
        writer.writerows(ledger_rows)
        files[name] = out.getvalue().encode("utf-8")
    secrets = [facility.name, cadre.name, cadre.unit, recipient.name, recipient.category]
    secrets += [COUNTY_NAMES[c] for c in away]
    return files, secrets


@pytest.mark.parametrize("scope", WRITE_SCOPES, ids=lambda s: s.county or s.prefecture)
def test_imports_cannot_reach_records_of_other_areas(scope, write_engine):
    with write_engine.connect() as conn:
        files, secrets = hostile_files(conn, scope)
    before = tables(write_engine)
    for name, data in files.items():
        for dry_run in (True, False):
            outcome = importer.run(
                write_engine,
                name,
                data,
                f"{name}.csv",
                dry_run=dry_run,
                valid_only=True,
                user="staff@example.gov.cn",
                scope=scope,
                today=TODAY,
            )
            where = (scope, name, dry_run)
            assert outcome.refusal is None, (where, outcome.refusal)
            assert (outcome.added, outcome.changed, outcome.unchanged) == (0, 0, 0), where
            assert outcome.rejected == outcome.rows_total > 0 and not outcome.written, where
            assert {p.row for p in outcome.errors} == {a.row for a in outcome.actions}, where
            said = [outcome.message()] + [p.reason for p in outcome.problems]
            said += [a.detail for a in outcome.actions]
            leaked = [s for s in secrets if s and any(s in text for text in said)]
            assert not leaked, (where, leaked, said)
    assert tables(write_engine) == before


def tables(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Facility, Cadre, Recipient, Pairing, Contact, ImportBatch)
        }
