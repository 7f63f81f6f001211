"""报送情况: what each county has sent for each month and ledger. A ledger is received for a
county-month when an import batch covers that county-month (batch_coverage, written with the
batch, from the page or the command line), or the county declared a nil return (零报告) for
it. Whether that was on time is a domain rule of the dashboard (dashboard.reporting_view)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, String, and_, func, insert, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from data_access.db import bump_data_version
from data_access.ledgers import LEDGERS
from data_access.models import BatchCoverage, ImportBatch, NilReturn
from data_access.queries import _frame, _in_area
from data_access.scope import Filters, Scope, effective_area, prefecture_of
from data_access.users import _audit


def receipts(
    engine: Engine, scope: Scope, filters: Filters, ledgers: tuple[str, ...]
) -> pd.DataFrame:
    """Per county, month (its first day) and ledger of the chosen area and year up to the end of
    the period, the first thing received: kind (import or nil), ref (the batch or nil-return
    id), sender, at (when), and how many things were received for it (events). Cells with
    nothing received have no row."""
    area = effective_area(scope, filters)
    start, end = filters.start, filters.end
    imports = (
        select(
            BatchCoverage.county_code,
            BatchCoverage.month,
            ImportBatch.ledger,
            literal("import", String).label("kind"),
            ImportBatch.id.label("ref"),
            ImportBatch.imported_by.label("sender"),
            ImportBatch.imported_at.label("at"),
        )
        .join(ImportBatch, ImportBatch.id == BatchCoverage.batch_id)
        .where(
            BatchCoverage.month.between(start, end),
            ImportBatch.ledger.in_(ledgers),
            _in_area(BatchCoverage.county_code, area),
        )
    )
    nils = select(
        NilReturn.county_code,
        NilReturn.month,
        NilReturn.ledger,
        literal("nil", String).label("kind"),
        NilReturn.id.label("ref"),
        NilReturn.declared_by.label("sender"),
        NilReturn.declared_at.label("at"),
    ).where(
        NilReturn.month.between(start, end),
        NilReturn.ledger.in_(ledgers),
        _in_area(NilReturn.county_code, area),
    )
    events = union_all(imports, nils).subquery()
    cell = (events.c.county_code, events.c.month, events.c.ledger)
    ranked = select(
        *events.c,
        func.row_number()
        .over(partition_by=cell, order_by=(events.c.at, events.c.kind, events.c.ref))
        .label("rank"),
        func.count().over(partition_by=cell).label("events"),
    ).subquery()
    stmt = (
        select(*[ranked.c[c] for c in ("county_code", "month", "ledger", "kind", "ref")])
        .add_columns(ranked.c.sender, ranked.c.at, ranked.c.events)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.county_code, ranked.c.month, ranked.c.ledger)
    )
    frame = _frame(engine, stmt)
    if not frame.empty:
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame


def declare_nil(
    engine: Engine,
    scope: Scope,
    county: str,
    month: dt.date,
    ledger: str,
    who: str,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> str:
    """Record a county's nil return for a month and ledger, audited. Returns a message key:
    rep_nil_saved, rep_nil_exists, rep_nil_out_of_scope or rep_nil_bad_ledger."""
    if ledger not in LEDGERS or not LEDGERS[ledger].dated:
        return "rep_nil_bad_ledger"
    if not scope.allows(prefecture_of(county), county):
        return "rep_nil_out_of_scope"
    month = month.replace(day=1)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(NilReturn).values(
                    county_code=county,
                    month=month,
                    ledger=ledger,
                    declared_by=(who or "")[:120],
                    declared_at=at or dt.datetime.now(dt.UTC),
                    note=(note or "").strip()[:200] or None,
                )
            )
            _audit(conn, who, "nil_return", f"{county} {month:%Y-%m} {ledger}")
            bump_data_version(conn)
    except IntegrityError:
        return "rep_nil_exists"
    return "rep_nil_saved"


def nil_returns(engine: Engine, scope: Scope, filters: Filters) -> pd.DataFrame:
    """The nil returns of the chosen area and year, newest first (who declared, when, note)."""
    area = effective_area(scope, filters)
    stmt = (
        select(
            NilReturn.county_code,
            NilReturn.month,
            NilReturn.ledger,
            NilReturn.declared_by,
            NilReturn.declared_at,
            NilReturn.note,
        )
        .where(
            and_(
                NilReturn.month.between(filters.start, filters.end),
                _in_area(NilReturn.county_code, area),
            )
        )
        .order_by(NilReturn.declared_at.desc(), NilReturn.id.desc())
    )
    return _frame(engine, stmt)
