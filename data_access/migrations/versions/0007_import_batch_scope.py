"""the area of each import batch: the scope of whoever imported it

A prefecture's or county's staff list and download only the batches imported within their own
area; the province sees all. Batches imported before this revision carry no area and stay
visible to the province only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.add_column(sa.Column("prefecture_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("county_code", sa.String(length=6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("county_code")
        batch_op.drop_column("prefecture_code")
