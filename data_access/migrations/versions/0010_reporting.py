"""报送情况: the county-months each import batch covers, and nil returns (零报告)

A ledger counts as received for a county and month when an import batch covers that
county-month; a county with nothing to report declares a nil return instead.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_coverage",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_batch_coverage_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["county_code"],
            ["counties.code"],
            name=op.f("fk_batch_coverage_county_code_counties"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "county_code", "month", name=op.f("pk_batch_coverage")),
    )
    op.create_index("ix_batch_coverage_county_month", "batch_coverage", ["county_code", "month"])
    op.create_table(
        "nil_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("ledger", sa.String(length=30), nullable=False),
        sa.Column("declared_by", sa.String(length=120), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_nil_returns_county_code_counties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nil_returns")),
        sa.UniqueConstraint(
            "county_code", "month", "ledger", name=op.f("uq_nil_returns_county_code")
        ),
    )


def downgrade() -> None:
    op.drop_table("nil_returns")
    op.drop_index("ix_batch_coverage_county_month", table_name="batch_coverage")
    op.drop_table("batch_coverage")
