"""contact counts per month, county-level area and channel

The contacts page draws the channel mix and the monthly trend of a year's contacts in an area.
Counting them read every contact of the year (about a million at province scale: 0.2 s on
SQLite, 0.25 s on PostgreSQL) on every cold run. At most 87 areas × 12 months × 5 channels
rows a year answer the same question in milliseconds.

Derived data, kept like pairing_tallies (migration 0003): triggers on contacts for every
insert, update and delete, respecting the meta key 'tallies_deferred' that a bulk load sets
before it rebuilds (data_access.tallies.rebuild).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SKIP = "EXISTS (SELECT 1 FROM meta WHERE key = 'tallies_deferred')"


def _sqlite_key(row: str) -> str:
    return (
        f"year = CAST(strftime('%Y', {row}.contacted_on) AS INTEGER)"
        f" AND month = CAST(strftime('%m', {row}.contacted_on) AS INTEGER)"
        f" AND county_code = {row}.county_code AND channel = {row}.channel"
    )


def _sqlite_add(row: str) -> str:
    return f"""
  INSERT INTO contact_counts (year, month, county_code, channel, contacts)
  VALUES (CAST(strftime('%Y', {row}.contacted_on) AS INTEGER),
          CAST(strftime('%m', {row}.contacted_on) AS INTEGER),
          {row}.county_code, {row}.channel, 1)
  ON CONFLICT (year, month, county_code, channel) DO UPDATE SET contacts = contacts + 1;"""


def _sqlite_remove(row: str) -> str:
    return f"""
  UPDATE contact_counts SET contacts = contacts - 1 WHERE {_sqlite_key(row)};"""


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER contact_counts_insert AFTER INSERT ON contacts
WHEN NOT {SKIP}
BEGIN{_sqlite_add("NEW")}
END""",
    f"""CREATE TRIGGER contact_counts_delete AFTER DELETE ON contacts
WHEN NOT {SKIP}
BEGIN{_sqlite_remove("OLD")}
END""",
    f"""CREATE TRIGGER contact_counts_update AFTER UPDATE OF contacted_on, channel, county_code
ON contacts
WHEN NOT {SKIP}
BEGIN{_sqlite_remove("OLD")}{_sqlite_add("NEW")}
END""",
]


def _pg_grouped(table: str) -> str:
    return f"""SELECT extract(year FROM contacted_on)::int AS y,
                 extract(month FROM contacted_on)::int AS m,
                 county_code, channel, count(*) AS n
            FROM {table} GROUP BY 1, 2, 3, 4"""


_PG_ADD = f"""
  INSERT INTO contact_counts (year, month, county_code, channel, contacts)
  SELECT y, m, county_code, channel, n FROM ({_pg_grouped("added")}) a
  ON CONFLICT (year, month, county_code, channel) DO UPDATE SET
    contacts = contact_counts.contacts + excluded.contacts;"""
_PG_REMOVE = f"""
  UPDATE contact_counts c SET contacts = c.contacts - r.n
    FROM ({_pg_grouped("removed")}) r
   WHERE c.year = r.y AND c.month = r.m AND c.county_code = r.county_code
     AND c.channel = r.channel;"""


def _pg_function(name: str, body: str) -> str:
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {SKIP} THEN
    RETURN NULL;
  END IF;{body}
  RETURN NULL;
END
$$"""


POSTGRES_TRIGGERS = [
    _pg_function("contact_counts_add", _PG_ADD),
    _pg_function("contact_counts_removed", _PG_REMOVE),
    _pg_function("contact_counts_changed", _PG_REMOVE + _PG_ADD),
    """CREATE TRIGGER contact_counts_insert AFTER INSERT ON contacts
REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contact_counts_add()""",
    """CREATE TRIGGER contact_counts_delete AFTER DELETE ON contacts
REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION contact_counts_removed()""",
    """CREATE TRIGGER contact_counts_update AFTER UPDATE ON contacts
REFERENCING OLD TABLE AS removed NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION contact_counts_changed()""",
]


def _backfill() -> None:
    contacts = sa.table(
        "contacts",
        sa.column("contacted_on", sa.Date),
        sa.column("county_code", sa.String),
        sa.column("channel", sa.String),
    )
    counts = sa.table(
        "contact_counts",
        *[sa.column(c) for c in ("year", "month", "county_code", "channel", "contacts")],
    )
    year = sa.cast(sa.func.extract("year", contacts.c.contacted_on), sa.Integer)
    month = sa.cast(sa.func.extract("month", contacts.c.contacted_on), sa.Integer)
    grouped = sa.select(
        year, month, contacts.c.county_code, contacts.c.channel, sa.func.count()
    ).group_by(year, month, contacts.c.county_code, contacts.c.channel)
    op.get_bind().execute(
        counts.insert().from_select(
            ["year", "month", "county_code", "channel", "contacts"], grouped
        )
    )


def upgrade() -> None:
    op.create_table(
        "contact_counts",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "year", "month", "county_code", "channel", name=op.f("pk_contact_counts")
        ),
        sqlite_with_rowid=False,
    )
    _backfill()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = POSTGRES_TRIGGERS
    else:
        raise NotImplementedError(f"contact counts have no triggers for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in ("insert", "delete", "update"):
        on = " ON contacts" if postgres else ""
        op.execute(f"DROP TRIGGER IF EXISTS contact_counts_{trigger}{on}")
    if postgres:
        for function in ("contact_counts_add", "contact_counts_removed", "contact_counts_changed"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("contact_counts")
