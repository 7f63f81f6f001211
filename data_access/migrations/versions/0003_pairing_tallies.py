"""pairing tallies: contacts per pairing from 1 January to each month's end

Every contact question (compliance summary and counts, the behind/at-risk list, the map's
colouring, the briefing) judged each pairing on its contacts since 1 January by counting the
contacts table: at province scale (a million contacts) about 1.5 s per question on SQLite.
Periods always end on a month's end, so a running tally per pairing and month answers them
from one row per pairing. Measured on SQLite at province scale: compliance summary about
1.5 s → 0.15 s.

The table is derived data. Triggers on contacts keep it current for every insert, update and
delete, from any writer; a bulk load sets the meta key 'tallies_deferred' inside its
transaction, which the triggers respect, and rebuilds the tallies before it commits
(data_access.tallies). SQLite: row triggers (an insert adds to the running totals; a delete or
an update recounts the pairing's year). PostgreSQL: statement triggers over the transition
tables, set-based.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 01:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REMOTE = "('phone', 'wechat', 'sms', 'other')"
SKIP = "EXISTS (SELECT 1 FROM meta WHERE key = 'tallies_deferred')"
COLUMNS = "(year, month, pairing_id, remote, visits, last_contact)"

# --- SQLite: row triggers ---------------------------------------------------------------------

_MONTHS = " UNION ALL ".join(f"SELECT {m}" + (" AS month" if m == 1 else "") for m in range(1, 13))


def _sqlite_year(row: str) -> str:
    return f"CAST(strftime('%Y', {row}.contacted_on) AS INTEGER)"


def _sqlite_recount(row: str) -> str:
    """Statements that recount one pairing's year (the pairing and year of OLD or NEW)."""
    first = f"strftime('%Y', {row}.contacted_on) || '-01-01'"
    last = f"strftime('%Y', {row}.contacted_on) || '-12-31'"
    return f"""
  DELETE FROM pairing_tallies
   WHERE pairing_id = {row}.pairing_id AND year = {_sqlite_year(row)};
  INSERT INTO pairing_tallies {COLUMNS}
  SELECT c.y, m.month, {row}.pairing_id, sum(c.remote), sum(c.visits), max(c.contacted_on)
    FROM (SELECT CAST(strftime('%Y', contacted_on) AS INTEGER) AS y,
                 CAST(strftime('%m', contacted_on) AS INTEGER) AS mo,
                 channel IN {REMOTE} AS remote, channel = 'visit' AS visits, contacted_on
            FROM contacts
           WHERE pairing_id = {row}.pairing_id AND contacted_on BETWEEN {first} AND {last}) AS c
    JOIN ({_MONTHS}) AS m ON m.month >= c.mo
   WHERE EXISTS (SELECT 1 FROM pairings WHERE id = {row}.pairing_id)
   GROUP BY c.y, m.month;"""


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER pairing_tallies_insert AFTER INSERT ON contacts
WHEN NOT {SKIP}
BEGIN
  INSERT INTO pairing_tallies {COLUMNS}
  SELECT {_sqlite_year("NEW")}, m.month, NEW.pairing_id,
         NEW.channel IN {REMOTE}, NEW.channel = 'visit', NEW.contacted_on
    FROM ({_MONTHS}) AS m
   WHERE m.month >= CAST(strftime('%m', NEW.contacted_on) AS INTEGER)
  ON CONFLICT (year, month, pairing_id) DO UPDATE SET
    remote = remote + excluded.remote,
    visits = visits + excluded.visits,
    last_contact = max(last_contact, excluded.last_contact);
END""",
    f"""CREATE TRIGGER pairing_tallies_delete AFTER DELETE ON contacts
WHEN NOT {SKIP}
BEGIN{_sqlite_recount("OLD")}
END""",
    f"""CREATE TRIGGER pairing_tallies_update AFTER UPDATE OF pairing_id, contacted_on, channel
ON contacts
WHEN NOT {SKIP}
BEGIN{_sqlite_recount("OLD")}{_sqlite_recount("NEW")}
END""",
]

# --- PostgreSQL: statement triggers over transition tables -------------------------------------


def _pg_recount(affected: str) -> str:
    return f"""
  DELETE FROM pairing_tallies t USING ({affected}) a
   WHERE t.pairing_id = a.pairing_id AND t.year = a.y;
  INSERT INTO pairing_tallies {COLUMNS}
  SELECT a.y, g.m, a.pairing_id,
         count(*) FILTER (WHERE c.channel IN {REMOTE}),
         count(*) FILTER (WHERE c.channel = 'visit'),
         max(c.contacted_on)
    FROM ({affected}) a
    JOIN pairings p ON p.id = a.pairing_id
    JOIN contacts c ON c.pairing_id = a.pairing_id
     AND c.contacted_on BETWEEN make_date(a.y, 1, 1) AND make_date(a.y, 12, 31)
   CROSS JOIN LATERAL generate_series(extract(month FROM c.contacted_on)::int, 12) AS g(m)
   GROUP BY a.y, g.m, a.pairing_id;"""


def _pg_affected(*tables: str) -> str:
    return " UNION ".join(
        f"SELECT DISTINCT pairing_id, extract(year FROM contacted_on)::int AS y FROM {t}"
        for t in tables
    )


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
    _pg_function(
        "pairing_tallies_add",
        f"""
  INSERT INTO pairing_tallies {COLUMNS}
  SELECT c.y, g.m, c.pairing_id, sum(c.remote), sum(c.visits), max(c.contacted_on)
    FROM (SELECT extract(year FROM contacted_on)::int AS y,
                 extract(month FROM contacted_on)::int AS mo, pairing_id,
                 (channel IN {REMOTE})::int AS remote, (channel = 'visit')::int AS visits,
                 contacted_on
            FROM added) c
   CROSS JOIN LATERAL generate_series(c.mo, 12) AS g(m)
   GROUP BY c.y, g.m, c.pairing_id
  ON CONFLICT (year, month, pairing_id) DO UPDATE SET
    remote = pairing_tallies.remote + excluded.remote,
    visits = pairing_tallies.visits + excluded.visits,
    last_contact = greatest(pairing_tallies.last_contact, excluded.last_contact);""",
    ),
    _pg_function("pairing_tallies_removed", _pg_recount(_pg_affected("removed"))),
    _pg_function("pairing_tallies_changed", _pg_recount(_pg_affected("removed", "added"))),
    """CREATE TRIGGER pairing_tallies_insert AFTER INSERT ON contacts
REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION pairing_tallies_add()""",
    """CREATE TRIGGER pairing_tallies_delete AFTER DELETE ON contacts
REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION pairing_tallies_removed()""",
    """CREATE TRIGGER pairing_tallies_update AFTER UPDATE ON contacts
REFERENCING OLD TABLE AS removed NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION pairing_tallies_changed()""",
]


def _backfill() -> None:
    """The tallies of the contacts already there (as data_access.tallies.rebuild, frozen here)."""
    contacts = sa.table(
        "contacts",
        sa.column("pairing_id", sa.Integer),
        sa.column("contacted_on", sa.Date),
        sa.column("channel", sa.String),
    )
    tallies = sa.table(
        "pairing_tallies",
        *[sa.column(c) for c in ("year", "month", "pairing_id", "remote", "visits")],
        sa.column("last_contact"),
    )
    year = sa.cast(sa.func.extract("year", contacts.c.contacted_on), sa.Integer)
    month = sa.cast(sa.func.extract("month", contacts.c.contacted_on), sa.Integer)
    monthly = (
        sa.select(
            contacts.c.pairing_id,
            year.label("year"),
            month.label("month"),
            sa.func.count(
                sa.case((contacts.c.channel.in_(("phone", "wechat", "sms", "other")), 1))
            ).label("remote"),
            sa.func.count(sa.case((contacts.c.channel == "visit", 1))).label("visits"),
            sa.func.max(contacts.c.contacted_on).label("last_contact"),
        )
        .group_by(contacts.c.pairing_id, year, month)
        .subquery("monthly")
    )
    months = sa.union_all(
        *[sa.select(sa.literal_column(str(m), sa.Integer).label("m")) for m in range(1, 13)]
    ).subquery("months")
    totals = (
        sa.select(
            monthly.c.year,
            months.c.m,
            monthly.c.pairing_id,
            sa.func.sum(monthly.c.remote),
            sa.func.sum(monthly.c.visits),
            sa.func.max(monthly.c.last_contact),
        )
        .select_from(monthly)
        .join(months, months.c.m >= monthly.c.month)
        .group_by(monthly.c.year, months.c.m, monthly.c.pairing_id)
    )
    op.get_bind().execute(
        tallies.insert().from_select(
            ["year", "month", "pairing_id", "remote", "visits", "last_contact"], totals
        )
    )


def upgrade() -> None:
    op.create_table(
        "pairing_tallies",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("remote", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("last_contact", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairings.id"],
            name=op.f("fk_pairing_tallies_pairing_id_pairings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("year", "month", "pairing_id", name=op.f("pk_pairing_tallies")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_pairing_tallies_pairing", "pairing_tallies", ["pairing_id", "year"])
    _backfill()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = POSTGRES_TRIGGERS
    else:
        raise NotImplementedError(f"pairing tallies have no triggers for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("insert", "delete", "update"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS pairing_tallies_{trigger} ON contacts")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS pairing_tallies_{trigger}")
    if op.get_bind().dialect.name == "postgresql":
        for function in (
            "pairing_tallies_add",
            "pairing_tallies_removed",
            "pairing_tallies_changed",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_index("ix_pairing_tallies_pairing", table_name="pairing_tallies")
    op.drop_table("pairing_tallies")
