"""keyed ID-number hashes: every stored SHA-256 of an ID number wrapped with HMAC-SHA256

The recipients' id_hash held an unkeyed SHA-256 of the 18-digit number; with the county and the
last four characters beside it only the birth date is unknown, and the numbers could be
recovered from a copy of the database in seconds. The stored value becomes HMAC-SHA256 over that
SHA-256 with the key kept outside the database (data_access.idnumbers), so the migration needs
no ID number, and an import computes the same value from the number (duplicates are still
found). The meta row id_key_check records which key was used.

Without a configured key, an open demo database is keyed with the labelled demo key; a database
that requires sign-in refuses to migrate until the key is configured (its hashes would
otherwise stay recoverable).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from data_access import idnumbers

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

recipients = sa.table("recipients", sa.column("id", sa.Integer), sa.column("id_hash", sa.String))
meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(recipients.c.id, recipients.c.id_hash).where(recipients.c.id_hash.is_not(None))
    ).all()
    if not rows:
        return  # nothing to key yet; the first import records its key
    keys = idnumbers.chain()  # production without a key stops here, with the remedy
    conn.execute(
        recipients.update()
        .where(recipients.c.id == sa.bindparam("rid"))
        .values(id_hash=sa.bindparam("new_hash")),
        [{"rid": rid, "new_hash": idnumbers.wrap(value, keys)} for rid, value in rows],
    )
    conn.execute(meta.delete().where(meta.c.key == idnumbers.META_KEY))
    conn.execute(meta.insert().values(key=idnumbers.META_KEY, value=idnumbers.fingerprint(keys)))


def downgrade() -> None:
    raise NotImplementedError("keyed hashes cannot be turned back into plain SHA-256 (by design)")
