"""Random cells and random bytes thrown at the importer (hypothesis), on SQLite and PostgreSQL:
it never raises, and a batch is written whole or not at all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError
from sqlalchemy import func, select

from data_access import importer, ledgers
from data_access.models import (
    Cadre,
    Contact,
    Disbursement,
    Facility,
    FacilityStatusChange,
    ImportBatch,
    ImportError_,
    IndicatorValue,
    Pairing,
    Recipient,
)
from tests.test_importer import add_budget, prepare

MODELS = {
    "disbursements": Disbursement,
    "facilities": Facility,
    "cadres": Cadre,
    "recipients": Recipient,
    "pairings": Pairing,
    "contacts": Contact,
    "indicator_values": IndicatorValue,
}
COUNTED = [*MODELS.values(), FacilityStatusChange, ImportBatch, ImportError_]
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Cells that look like what ledgers hold, and what breaks parsers.
plausible = st.sampled_from(
    [
        "城关区",
        "620102",
        "兰州",
        "秦州区",
        "6.1",
        "9.9",
        "2024-03-05",
        "2024年13月1日",
        "45356",
        "-1",
        "1e400",
        "NaN",
        "Infinity",
        "１２３",
        "GS-C-0001",
        "GS-R-0001",
        "入户探视",
        "电话",
        "爱心屋",
        "运营",
        "一级",
        "肢体",
        "是",
        "620102198001010025",
        "=1+1",
        "103.83417",
        "36.05704",
        "m4_child_rehab",
        "2024-03",
        " ",
        "",
    ]
)
cells = st.one_of(
    plausible,
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, max_value=10**9, min_value=-(10**9)
    ),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.booleans(),
)


def headers_of(ledger: str) -> st.SearchStrategy[list[str]]:
    """The template's headers, sometimes with one dropped, renamed or repeated."""
    names = [c.template_header for c in ledgers.LEDGERS[ledger].columns]
    return st.one_of(
        st.just(names),
        st.lists(st.sampled_from([*names, "金额（万元）", "金额", "备注", "县区"]), max_size=8),
    )


def to_xlsx(headers: list, rows: list[list]) -> bytes | None:
    wb = Workbook()
    ws = wb.active
    try:
        ws.append(headers)
        for row in rows:
            ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
        out = io.BytesIO()
        wb.save(out)
    except (ValueError, TypeError, IllegalCharacterError):  # what a worksheet cannot hold
        return None
    return out.getvalue()


def to_csv(headers: list, rows: list[list], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    return out.getvalue().encode(encoding, errors="replace")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar_one()
            for m in COUNTED
        }


def assert_whole_or_nothing(engine, ledger: str, before: dict, outcome) -> None:
    assert isinstance(outcome, importer.Outcome)
    after = counts(engine)
    table = MODELS[ledger].__tablename__
    if outcome.written:
        assert after["import_batches"] == before["import_batches"] + 1
        assert after[table] == before[table] + outcome.added
        assert outcome.added + outcome.changed > 0
        assert outcome.added + outcome.changed + outcome.unchanged + outcome.rejected == (
            outcome.rows_total
        )
    else:
        assert after == before
        assert outcome.refusal or outcome.rejected or not (outcome.added or outcome.changed)


@pytest.fixture
def ready(empty_engine):
    """References every ledger can point at: budget lines, a cadre, a recipient, a pairing."""
    add_budget(empty_engine)
    prepare(empty_engine, "contacts")
    return empty_engine


@FUZZ
@given(
    data=st.data(),
    ledger=st.sampled_from(list(ledgers.LEDGERS)),
    kind=st.sampled_from(["xlsx", "utf-8", "utf-8-sig", "gbk", "gb18030"]),
    valid_only=st.booleans(),
)
def test_random_cells_never_crash_or_half_write(ready, data, ledger, kind, valid_only):
    headers = data.draw(headers_of(ledger), label="headers")
    width = max(1, len(headers))
    examples = [c.example for c in ledgers.LEDGERS[ledger].columns]
    # Rows near the template's example reach the writing code; random rows the parsers.
    near = st.tuples(st.integers(-3, len(examples) - 1), cells).map(
        lambda change: [change[1] if i == change[0] else ex for i, ex in enumerate(examples)]
    )
    rows = data.draw(
        st.lists(st.one_of(near, st.lists(cells, max_size=width + 1)), max_size=6), label="rows"
    )
    if kind == "xlsx":
        content = to_xlsx(headers, rows)
        if content is None:
            return
        name = "fuzz.xlsx"
    else:
        content, name = to_csv(headers, rows, kind), "fuzz.csv"
    before = counts(ready)
    outcome = importer.run(
        ready, ledger, content, name, dry_run=False, valid_only=valid_only, year=2024
    )
    assert_whole_or_nothing(ready, ledger, before, outcome)
    event(f"{ledger}: {outcome.status}")  # see pytest --hypothesis-show-statistics


def mutated_template(raw: bytes, position: int, byte: int) -> bytes:
    out = bytearray(raw)
    out[position % len(out)] = byte
    return bytes(out)


@FUZZ
@given(
    ledger=st.sampled_from(list(ledgers.LEDGERS)),
    blob=st.one_of(
        st.binary(max_size=3000),
        st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
        st.tuples(st.integers(min_value=0), st.integers(0, 255)),
    ),
    name=st.sampled_from(["x.xlsx", "x.csv", "x", "x.txt", "x.xls", "x.pdf"]),
)
def test_random_bytes_are_refused_not_raised(ready, ledger, blob, name):
    if isinstance(blob, tuple):  # one byte changed somewhere in a real workbook
        blob = mutated_template(ledgers.template(ledger), *blob)
    before = counts(ready)
    outcome = importer.run(ready, ledger, blob, name, dry_run=False)
    assert_whole_or_nothing(ready, ledger, before, outcome)


def test_zip_entries_lying_about_their_size_are_refused(ready):
    """A part whose declared size is small but whose data is not (the zip's own check)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(ledgers.template("cadres"))) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info, src.read(info))
    raw = bytearray(out.getvalue())
    # Corrupt the declared uncompressed size of every central-directory entry.
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        raw[at + 24 : at + 28] = (10).to_bytes(4, "little")
        at = raw.find(b"PK\x01\x02", at + 4)
    before = counts(ready)
    outcome = importer.run(ready, "cadres", bytes(raw), "x.xlsx", dry_run=False)
    assert outcome.status == "refused"
    assert counts(ready) == before
