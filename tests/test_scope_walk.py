"""Every page, as each of the 14 prefectures' staff, with a link tampered to name another
prefecture: nothing of another prefecture reaches the screen or a download, and no paired
person's full name or identifier appears anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db, users
from data_access.models import Cadre, Recipient
from data_access.reference import COUNTIES, PREFECTURES
from tests.conftest import APP, ROOT
from tests.pagewalk import download_text, every_tab_text

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
        at.user = {"is_logged_in": True, "email": identity}
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
