"""program schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 00:24:10.893565
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("identity", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ledger", sa.String(length=30), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_changed", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=120), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_sha256"), ["sha256"], unique=False)

    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name_zh", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.CheckConstraint("id BETWEEN 1 AND 10", name=op.f("ck_measures_known_measure")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "prefectures",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_prefectures")),
        sa.UniqueConstraint("name", name=op.f("uq_prefectures_name")),
    )
    op.create_table(
        "budget_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("planned_fen", sa.BigInteger(), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.CheckConstraint("planned_fen >= 0", name=op.f("ck_budget_lines_planned_not_negative")),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_budget_lines_measure_id_measures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_lines")),
        sa.UniqueConstraint("year", "code", name=op.f("uq_budget_lines_year")),
    )
    with op.batch_alter_table("budget_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budget_lines_measure_id"), ["measure_id"], unique=False
        )

    op.create_table(
        "counties",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("prefecture_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("short_name", sa.String(length=20), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_counties_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_counties")),
        sa.UniqueConstraint("prefecture_code", "name", name=op.f("uq_counties_prefecture_code")),
    )
    with op.batch_alter_table("counties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counties_prefecture_code"), ["prefecture_code"], unique=False
        )

    op.create_table(
        "import_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_import_errors_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
    )
    with op.batch_alter_table("import_errors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_errors_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("unit_zh", sa.String(length=20), nullable=False),
        sa.Column("unit_en", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("rate_target", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("illustrative_target", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('count', 'rate')", name=op.f("ck_indicators_known_kind")),
        sa.CheckConstraint(
            "source IN ('values', 'love_hut', 'day_care', 'contacts')",
            name=op.f("ck_indicators_known_source"),
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_indicators_measure_id_measures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("code", name=op.f("uq_indicators_code")),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicators_measure_id"), ["measure_id"], unique=False)

    op.create_table(
        "budget_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("planned_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "planned_fen >= 0", name=op.f("ck_budget_allocations_planned_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["counties.code"],
            name=op.f("fk_budget_allocations_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["budget_lines.id"],
            name=op.f("fk_budget_allocations_line_id_budget_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_allocations")),
        sa.UniqueConstraint("line_id", "county_code", name=op.f("uq_budget_allocations_line_id")),
    )
    with op.batch_alter_table("budget_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budget_allocations_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "cadres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.String(length=120), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("phone_last4", sa.String(length=4), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "level IN ('province', 'prefecture', 'county')", name=op.f("ck_cadres_known_level")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_cadres_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_cadres_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadres")),
        sa.UniqueConstraint("code", name=op.f("uq_cadres_code")),
    )
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cadres_county_code"), ["county_code"], unique=False)

    op.create_table(
        "disbursements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("voucher", sa.String(length=60), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_fen >= 0", name=op.f("ck_disbursements_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_disbursements_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_disbursements_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["budget_lines.id"],
            name=op.f("fk_disbursements_line_id_budget_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursements")),
    )
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_disbursements_county_date", ["county_code", "paid_on"], unique=False
        )
        batch_op.create_index(
            "ix_disbursements_line_county_date", ["line_id", "county_code", "paid_on"], unique=False
        )

    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("lon", sa.Numeric(precision=9, scale=5), nullable=False),
        sa.Column("lat", sa.Numeric(precision=9, scale=5), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_since", sa.Date(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("disabled_jobs", sa.Integer(), nullable=True),
        sa.Column("places", sa.Integer(), nullable=True),
        sa.Column("people_served", sa.Integer(), nullable=True),
        sa.Column("operator", sa.String(length=120), nullable=True),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('love_hut', 'day_care')", name=op.f("ck_facilities_known_kind")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'building', 'operating', 'suspended')",
            name=op.f("ck_facilities_known_status"),
        ),
        sa.CheckConstraint(
            "coalesce(disabled_jobs, 0) >= 0 AND coalesce(places, 0) >= 0 AND coalesce(people_served, 0) >= 0",
            name=op.f("ck_facilities_counts_not_negative"),
        ),
        sa.CheckConstraint(
            "lon BETWEEN 73 AND 136 AND lat BETWEEN 3 AND 54", name=op.f("ck_facilities_in_china")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_facilities_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_facilities_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        sa.UniqueConstraint("code", name=op.f("uq_facilities_code")),
    )
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facilities_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "indicator_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("target", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("target >= 0", name=op.f("ck_indicator_targets_target_not_negative")),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["counties.code"],
            name=op.f("fk_indicator_targets_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_targets_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_targets")),
        sa.UniqueConstraint(
            "indicator_id", "year", "county_code", name=op.f("uq_indicator_targets_indicator_id")
        ),
    )
    with op.batch_alter_table("indicator_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_targets_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("value >= 0", name=op.f("ck_indicator_values_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_indicator_values_batch_id_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["counties.code"],
            name=op.f("fk_indicator_values_county_code_counties"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_values_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_values")),
        sa.UniqueConstraint(
            "indicator_id", "county_code", "month", name=op.f("uq_indicator_values_indicator_id")
        ),
    )
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_values_county_month", ["county_code", "month"], unique=False
        )

    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=True),
        sa.Column("id_last4", sa.String(length=4), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "category IN ('视力', '听力', '言语', '肢体', '智力', '精神', '多重')",
            name=op.f("ck_recipients_known_category"),
        ),
        sa.CheckConstraint("grade BETWEEN 1 AND 4", name=op.f("ck_recipients_known_grade")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_recipients_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_recipients_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("code", name=op.f("uq_recipients_code")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_recipients_id_hash")),
    )
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recipients_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("prefecture_code", sa.String(length=6), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role <> 'prefecture_staff' OR prefecture_code IS NOT NULL) AND (role <> 'county_staff' OR county_code IS NOT NULL)",
            name=op.f("ck_users_staff_have_jurisdiction"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'province_viewer', 'prefecture_staff', 'county_staff')",
            name=op.f("ck_users_known_role"),
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_users_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_users_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("identity", name=op.f("uq_users_identity")),
    )
    op.create_table(
        "facility_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "status IN ('planned', 'building', 'operating', 'suspended')",
            name=op.f("ck_facility_status_changes_known_status"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_status_changes_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_status_changes")),
        sa.UniqueConstraint(
            "facility_id",
            "changed_on",
            "status",
            name=op.f("uq_facility_status_changes_facility_id"),
        ),
    )
    with op.batch_alter_table("facility_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_facility_status_changes_facility_id"), ["facility_id"], unique=False
        )

    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_pairings_dates_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_pairings_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadres.id"], name=op.f("fk_pairings_cadre_id_cadres")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_pairings_recipient_id_recipients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
        sa.UniqueConstraint(
            "cadre_id", "recipient_id", "started_on", name=op.f("uq_pairings_cadre_id")
        ),
    )
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairings_cadre_id"), ["cadre_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pairings_recipient_id"), ["recipient_id"], unique=False
        )

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('phone', 'wechat', 'sms', 'other', 'visit')",
            name=op.f("ck_contacts_known_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_contacts_batch_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_contacts_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairings.id"],
            name=op.f("fk_contacts_pairing_id_pairings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contacts_county_date", ["county_code", "contacted_on", "channel"], unique=False
        )
        batch_op.create_index(
            "ix_contacts_pairing_date", ["pairing_id", "contacted_on", "channel"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_pairing_date")
        batch_op.drop_index("ix_contacts_county_date")

    op.drop_table("contacts")
    with op.batch_alter_table("pairings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairings_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_pairings_cadre_id"))

    op.drop_table("pairings")
    with op.batch_alter_table("facility_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facility_status_changes_facility_id"))

    op.drop_table("facility_status_changes")
    op.drop_table("users")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipients_county_code"))

    op.drop_table("recipients")
    with op.batch_alter_table("indicator_values", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_values_county_month")

    op.drop_table("indicator_values")
    with op.batch_alter_table("indicator_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_targets_county_code"))

    op.drop_table("indicator_targets")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilities_county_code"))

    op.drop_table("facilities")
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_index("ix_disbursements_line_county_date")
        batch_op.drop_index("ix_disbursements_county_date")

    op.drop_table("disbursements")
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cadres_county_code"))

    op.drop_table("cadres")
    with op.batch_alter_table("budget_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_allocations_county_code"))

    op.drop_table("budget_allocations")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_measure_id"))

    op.drop_table("indicators")
    with op.batch_alter_table("import_errors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_errors_batch_id"))

    op.drop_table("import_errors")
    with op.batch_alter_table("counties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counties_prefecture_code"))

    op.drop_table("counties")
    with op.batch_alter_table("budget_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_lines_measure_id"))

    op.drop_table("budget_lines")
    op.drop_table("prefectures")
    op.drop_table("meta")
    op.drop_table("measures")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_sha256"))

    op.drop_table("import_batches")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
