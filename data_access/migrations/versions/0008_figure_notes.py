"""figure notes (解读)

Short notes that prefecture and county staff (and the province) attach to a figure of their
area and quarter, shown beside the figure on the briefing page and in its files.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=2), nullable=False),
        sa.Column("prefecture_code", sa.String(length=6), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("figure", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "quarter IN ('Q1', 'Q2', 'Q3', 'Q4')", name=op.f("ck_figure_notes_known_quarter")
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["counties.code"], name=op.f("fk_figure_notes_county_code_counties")
        ),
        sa.ForeignKeyConstraint(
            ["prefecture_code"],
            ["prefectures.code"],
            name=op.f("fk_figure_notes_prefecture_code_prefectures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_notes")),
    )
    with op.batch_alter_table("figure_notes", schema=None) as batch_op:
        batch_op.create_index("ix_figure_notes_period", ["year", "quarter"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("figure_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_figure_notes_period")
    op.drop_table("figure_notes")
