"""The program tables (SQLAlchemy 2, typed). Money is integer fen (1 元 = 100 fen), never float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CHANNELS = ("phone", "wechat", "sms", "other", "visit")
REMOTE_CHANNELS = ("phone", "wechat", "sms", "other")
FACILITY_KINDS = ("love_hut", "day_care")
FACILITY_STATUSES = ("planned", "building", "operating", "suspended")
CADRE_LEVELS = ("province", "prefecture", "county")
INDICATOR_KINDS = ("count", "rate")
ROLES = ("admin", "province_viewer", "prefecture_staff", "county_staff")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Prefecture(Base):
    __tablename__ = "prefectures"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    short_name: Mapped[str] = mapped_column(String(20))
    sort: Mapped[int] = mapped_column(Integer)


class County(Base):
    """A county-level area; 嘉峪关市 (no divisions) is its own single county-level area."""

    __tablename__ = "counties"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefectures.code"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    short_name: Mapped[str] = mapped_column(String(20))
    sort: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("prefecture_code", "name"),)


class Measure(Base):
    __tablename__ = "measures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    summary_zh: Mapped[str] = mapped_column(Text)
    __table_args__ = (CheckConstraint("id BETWEEN 1 AND 10", name="known_measure"),)


class BudgetLine(Base):
    """A line of a measure's budget for one year; planned_fen is the province total."""

    __tablename__ = "budget_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    planned_fen: Mapped[int] = mapped_column(BigInteger)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint("year", "code"),
        CheckConstraint("planned_fen >= 0", name="planned_not_negative"),
    )


class BudgetAllocation(Base):
    """The part of a budget line planned for one county-level area."""

    __tablename__ = "budget_allocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id", ondelete="CASCADE"))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    planned_fen: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (
        UniqueConstraint("line_id", "county_code"),
        CheckConstraint("planned_fen >= 0", name="planned_not_negative"),
    )


class Disbursement(Base):
    __tablename__ = "disbursements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id", ondelete="CASCADE"))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    voucher: Mapped[str | None] = mapped_column(String(60))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        Index("ix_disbursements_line_county_date", "line_id", "county_code", "paid_on"),
        Index("ix_disbursements_county_date", "county_code", "paid_on"),
    )


class Indicator(Base):
    """A measurable target of a measure. Count targets are allocated to counties; a rate
    target (e.g. 基本康复服务率 ≥ 95 %) is one threshold for every area."""

    __tablename__ = "indicators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    unit_zh: Mapped[str] = mapped_column(String(20))
    unit_en: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    rate_target: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    # Where the value comes from: indicator_values, or derived from facilities / contacts.
    source: Mapped[str] = mapped_column(String(20), default="values")
    illustrative_target: Mapped[bool] = mapped_column(Boolean, default=False)
    sort: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        CheckConstraint(_in("kind", INDICATOR_KINDS), name="known_kind"),
        CheckConstraint(
            _in("source", ("values", "love_hut", "day_care", "contacts")), name="known_source"
        ),
    )


class IndicatorTarget(Base):
    __tablename__ = "indicator_targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    __table_args__ = (
        UniqueConstraint("indicator_id", "year", "county_code"),
        CheckConstraint("target >= 0", name="target_not_negative"),
    )


class IndicatorValue(Base):
    """Achievement in one month: for a count, what was added that month; for a rate, the
    rate at the month's end (percent)."""

    __tablename__ = "indicator_values"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    month: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    __table_args__ = (
        UniqueConstraint("indicator_id", "county_code", "month"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        Index("ix_indicator_values_county_month", "county_code", "month"),
    )


class Facility(Base):
    __tablename__ = "facilities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[Decimal] = mapped_column(Numeric(9, 5))
    lat: Mapped[Decimal] = mapped_column(Numeric(9, 5))
    status: Mapped[str] = mapped_column(String(12))
    status_since: Mapped[dt.date] = mapped_column(Date)
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    disabled_jobs: Mapped[int | None] = mapped_column(Integer)
    places: Mapped[int | None] = mapped_column(Integer)
    people_served: Mapped[int | None] = mapped_column(Integer)
    operator: Mapped[str | None] = mapped_column(String(120))
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    __table_args__ = (
        CheckConstraint(_in("kind", FACILITY_KINDS), name="known_kind"),
        CheckConstraint(_in("status", FACILITY_STATUSES), name="known_status"),
        CheckConstraint(
            "coalesce(disabled_jobs, 0) >= 0 AND coalesce(places, 0) >= 0 "
            "AND coalesce(people_served, 0) >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint("lon BETWEEN 73 AND 136 AND lat BETWEEN 3 AND 54", name="in_china"),
    )


class FacilityStatusChange(Base):
    __tablename__ = "facility_status_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        CheckConstraint(_in("status", FACILITY_STATUSES), name="known_status"),
        UniqueConstraint("facility_id", "changed_on", "status"),
    )


class Cadre(Base):
    """A serving cadre of a federation (provincial, prefecture or county level)."""

    __tablename__ = "cadres"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(String(120))
    # Where the cadre's unit sits; a provincial cadre's unit is in Lanzhou.
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    __table_args__ = (
        CheckConstraint(_in("level", CADRE_LEVELS), name="known_level"),
        # Counting serving cadres per area reads only this index (migration 0005).
        Index("ix_cadres_county_active", "county_code", "active"),
    )


class Recipient(Base):
    """A severely disabled person in difficulty. The identity number is never stored in full:
    only a keyed hash (to match ledgers; see data_access.idnumbers) and its last four characters
    (to tell people apart)."""

    __tablename__ = "recipients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_last4: Mapped[str | None] = mapped_column(String(4))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    category: Mapped[str] = mapped_column(String(10))
    grade: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    __table_args__ = (
        CheckConstraint("grade BETWEEN 1 AND 4", name="known_grade"),
        CheckConstraint(
            _in("category", ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")),
            name="known_category",
        ),
        # Counting eligible people per area reads only this index (migration 0005).
        Index("ix_recipients_county_eligible", "county_code", "eligible"),
    )


class Pairing(Base):
    __tablename__ = "pairings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"), index=True)
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    __table_args__ = (
        UniqueConstraint("cadre_id", "recipient_id", "started_on"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
        # "Has an active pairing on this day?" from the index alone (migration 0005).
        Index("ix_pairings_recipient_dates", "recipient_id", "started_on", "ended_on"),
        Index("ix_pairings_cadre_dates", "cadre_id", "started_on", "ended_on"),
    )


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"))
    contacted_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(10))
    # Denormalised from the recipient so that area filters need no join at 1,000,000 rows.
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    note: Mapped[str | None] = mapped_column(String(200))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="known_channel"),
        Index("ix_contacts_pairing_date", "pairing_id", "contacted_on", "channel"),
        Index("ix_contacts_county_date", "county_code", "contacted_on", "channel"),
        Index("ix_contacts_date_channel", "contacted_on", "channel"),
    )


class PairingTally(Base):
    """A pairing's contacts from 1 January of `year` to the end of `month`: remote contacts,
    home visits and the last contact. Derived from contacts, never written by hand: triggers
    on contacts keep it current (migration 0003), data_access.tallies rebuilds it. A pairing
    has rows from the month of its first contact of the year on; no row means no contact.
    A period always runs from 1 January to a month's end, so one row answers it."""

    __tablename__ = "pairing_tallies"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    pairing_id: Mapped[int] = mapped_column(
        ForeignKey("pairings.id", ondelete="CASCADE"), primary_key=True
    )
    remote: Mapped[int] = mapped_column(Integer)
    visits: Mapped[int] = mapped_column(Integer)
    last_contact: Mapped[dt.date] = mapped_column(Date)
    __table_args__ = (
        Index("ix_pairing_tallies_pairing", "pairing_id", "year"),
        {"sqlite_with_rowid": False},
    )


class PairingFact(Base):
    """A pairing with what its contact questions group and filter by: the recipient's county
    (where a pairing belongs) and the cadre's level, next to its own dates. A copy kept by
    triggers on pairings, recipients and cadres (migration 0006), so that judging every
    pairing reads one table instead of three. Never written by hand."""

    __tablename__ = "pairing_facts"
    pairing_id: Mapped[int] = mapped_column(
        ForeignKey("pairings.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    cadre_id: Mapped[int] = mapped_column(Integer, index=True)
    recipient_id: Mapped[int] = mapped_column(Integer, index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    level: Mapped[str] = mapped_column(String(12))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)


class ContactCount(Base):
    """How many contacts were made in a month in a county-level area by one channel (the
    contact's own county_code). Derived like PairingTally: triggers on contacts (migration
    0004), rebuilt by data_access.tallies."""

    __tablename__ = "contact_counts"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    contacts: Mapped[int] = mapped_column(Integer)
    __table_args__ = ({"sqlite_with_rowid": False},)


class ImportBatch(Base):
    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger: Mapped[str] = mapped_column(String(30))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12))
    # The scope of whoever imported (both None: the province): who may list the batch and
    # download its problem list.
    prefecture_code: Mapped[str | None] = mapped_column(String(6))
    county_code: Mapped[str | None] = mapped_column(String(6))


class BatchCoverage(Base):
    """The county-months an import batch brought in (from the dated column of its rows): what
    makes a ledger "received" for the 报送情况 calendar. Written with the batch."""

    __tablename__ = "batch_coverage"
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the month's first day
    rows: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_batch_coverage_county_month", "county_code", "month"),)


class NilReturn(Base):
    """A county's declaration that it has nothing to report in a ledger for a month (零报告)."""

    __tablename__ = "nil_returns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    month: Mapped[dt.date] = mapped_column(Date)  # the month's first day
    ledger: Mapped[str] = mapped_column(String(30))
    declared_by: Mapped[str] = mapped_column(String(120))
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (UniqueConstraint("county_code", "month", "ledger"),)


class QualityReview(Base):
    """A data-quality finding that staff checked, with their note. Found again by its rule,
    county and key (natural codes, not row ids), so the mark survives a re-import."""

    __tablename__ = "quality_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    key: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(200))
    reviewed_by: Mapped[str] = mapped_column(String(120))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("rule", "county_code", "key"),)


class ImportError_(Base):
    __tablename__ = "import_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    prefecture_code: Mapped[str | None] = mapped_column(ForeignKey("prefectures.code"))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("counties.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="known_role"),
        CheckConstraint(
            "(role <> 'prefecture_staff' OR prefecture_code IS NOT NULL) AND "
            "(role <> 'county_staff' OR county_code IS NOT NULL)",
            name="staff_have_jurisdiction",
        ),
    )


class AuditEvent(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    identity: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(Text)


class FigureNote(Base):
    """解读: a short note by the people closest to a figure on why it looks as it does, for one
    area (both codes empty: the province) and quarter. Checked for personal data before it is
    written (data_access.notes); every change is in the audit log."""

    __tablename__ = "figure_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[str] = mapped_column(String(2))
    prefecture_code: Mapped[str | None] = mapped_column(ForeignKey("prefectures.code"))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("counties.code"))
    figure: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        CheckConstraint(_in("quarter", ("Q1", "Q2", "Q3", "Q4")), name="known_quarter"),
        Index("ix_figure_notes_period", "year", "quarter"),
    )


class Meta(Base):
    """Small key/value facts about the database: data version (bumped by every write that
    changes what pages show), whether it holds demo data, the data-as-of date."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
