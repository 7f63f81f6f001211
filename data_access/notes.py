"""Notes on figures (解读): who may write, change and read them, and the check for personal data.

A note belongs to one figure of one area (a county, a prefecture, or the province when both
codes are empty) and one quarter. Prefecture and county staff note figures of their own area;
the province's administrators note anything; a provincial viewer only reads. A note is changed
or removed by its author or an administrator, and only within the writer's jurisdiction.
Every write is in the audit log with the old and the new text, and bumps the data version so
every page and replica shows it.

Refusals are `NoteRefused(key, **values)`: an i18n key the dashboard renders in the viewer's
language. Before anything is written the text is checked for what looks like an identity
number or a recipient's full name; what was found is named only masked."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, String, and_, delete, func, literal, select, update

from data_access import db
from data_access.models import County, FigureNote, Prefecture, Recipient
from data_access.scope import Scope, prefecture_of
from data_access.users import _audit

MAX_CHARS = 200
WRITERS = ("admin", "prefecture_staff", "county_staff")
# 18-digit resident identity numbers (the last may be X) and the old 15-digit ones, not part
# of a longer run of digits.
ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


class NoteRefused(ValueError):
    """A note that cannot be written: `key` names the message, `values` fill it."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class Writer:
    """Who writes: identity, role and jurisdiction (data_access.users.Account has all three)."""

    identity: str
    role: str
    scope: Scope

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def mask_name(name: str) -> str:
    """张*明, 李*: the first and last characters (one character: itself followed by *)."""
    if len(name) <= 2:
        return name[:1] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def personal_data(engine: Engine, text: str) -> list[str]:
    """What in the text looks like personal data, masked: identity numbers, and full names of
    recipients (two characters or more) that occur in it."""
    found = [mask_id(m) for m in ID_NUMBER.findall(text)]
    with engine.connect() as conn:
        names = conn.execute(
            select(Recipient.name)
            .where(func.length(Recipient.name) >= 2, literal(text, String).contains(Recipient.name))
            .distinct()
            .order_by(Recipient.name)
            .limit(5)
        ).scalars()
        found += [mask_name(n) for n in names]
    return found


def _checked_text(engine: Engine, text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise NoteRefused("note_empty")
    if len(text) > MAX_CHARS:
        raise NoteRefused("note_too_long", n=MAX_CHARS)
    found = personal_data(engine, text)
    if found:
        raise NoteRefused("note_personal", found="、".join(found))
    return text


def _area(prefecture: str | None, county: str | None) -> tuple[str | None, str | None]:
    if county:
        return prefecture_of(county), county
    return prefecture, None


def _where(prefecture: str | None, county: str | None) -> str:
    return county or prefecture or "全省"


def add(
    engine: Engine,
    writer: Writer,
    year: int,
    quarter: str,
    prefecture: str | None,
    county: str | None,
    figure: str,
    text: str,
) -> int:
    """Write a new note; returns its id."""
    if writer.role not in WRITERS:
        raise NoteRefused("note_read_only")
    prefecture, county = _area(prefecture, county)
    if not writer.scope.allows(prefecture, county) or (
        not writer.is_admin and writer.scope.prefecture is None
    ):
        raise NoteRefused("note_out_of_scope")
    text = _checked_text(engine, text)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        note_id = conn.execute(
            FigureNote.__table__.insert()
            .values(
                year=year,
                quarter=quarter,
                prefecture_code=prefecture,
                county_code=county,
                figure=figure,
                text=text,
                author=writer.identity,
                created_at=now,
                updated_at=now,
            )
            .returning(FigureNote.id)
        ).scalar_one()
        detail = f"新增 #{note_id} {year}{quarter} {_where(prefecture, county)} {figure}：{text}"
        _audit(conn, writer.identity, "note", detail)
        db.bump_data_version(conn)
    return note_id


def _own(conn, writer: Writer, note_id: int):
    """The note if the writer may change it: author or administrator, within jurisdiction."""
    row = conn.execute(select(FigureNote.__table__).where(FigureNote.id == note_id)).one_or_none()
    if row is None:
        raise NoteRefused("note_missing")
    if not writer.scope.allows(row.prefecture_code, row.county_code):
        raise NoteRefused("note_out_of_scope")
    if writer.role not in WRITERS or not (writer.is_admin or row.author == writer.identity):
        raise NoteRefused("note_not_yours")
    return row


def edit(engine: Engine, writer: Writer, note_id: int, text: str) -> None:
    text = _checked_text(engine, text)
    with engine.begin() as conn:
        row = _own(conn, writer, note_id)
        if row.text == text:
            return
        conn.execute(
            update(FigureNote)
            .where(FigureNote.id == note_id)
            .values(text=text, updated_at=dt.datetime.now(dt.UTC))
        )
        _audit(conn, writer.identity, "note", f"修改 #{note_id}：{row.text} → {text}")
        db.bump_data_version(conn)


def remove(engine: Engine, writer: Writer, note_id: int) -> None:
    with engine.begin() as conn:
        row = _own(conn, writer, note_id)
        conn.execute(delete(FigureNote).where(FigureNote.id == note_id))
        _audit(conn, writer.identity, "note", f"删除 #{note_id}：{row.text}")
        db.bump_data_version(conn)


def for_quarter(
    engine: Engine, scope: Scope, year: int, quarter: str, prefecture=None, county=None
) -> pd.DataFrame:
    """The notes of a quarter on the chosen area and the areas within it, that the viewer may
    see; with the area's name (province, prefecture, county), oldest first."""
    area = [FigureNote.year == year, FigureNote.quarter == quarter]
    if county:
        area.append(FigureNote.county_code == county)
    elif prefecture:
        area.append(FigureNote.prefecture_code == prefecture)
    if scope.county:
        area.append(FigureNote.county_code == scope.county)
    elif scope.prefecture:
        area.append(FigureNote.prefecture_code == scope.prefecture)
    stmt = (
        select(
            FigureNote.id,
            FigureNote.prefecture_code,
            FigureNote.county_code,
            Prefecture.name.label("prefecture"),
            County.name.label("county"),
            FigureNote.figure,
            FigureNote.text,
            FigureNote.author,
            FigureNote.created_at,
            FigureNote.updated_at,
        )
        .outerjoin(Prefecture, Prefecture.code == FigureNote.prefecture_code)
        .outerjoin(County, County.code == FigureNote.county_code)
        .where(and_(*area))
        .order_by(
            Prefecture.sort.asc().nulls_first(),  # the province's notes first, then in
            County.sort.asc().nulls_first(),  # official order, a prefecture before its counties
            FigureNote.created_at,
            FigureNote.id,
        )
    )
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
