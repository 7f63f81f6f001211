"""contacts by date and channel

The contacts page counts a year's contacts per day and channel for its channel mix and
monthly trend. For the whole province (about a million contacts) no existing index starts
with the date, so the database read the whole table and sorted it; with this index it reads
the year's range in order. Measured on SQLite at province scale: about 1.5 s → 0.2 s.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:55:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_date_channel", ["contacted_on", "channel"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_date_channel")
