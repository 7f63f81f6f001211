"""pairing facts: each pairing with its recipient's county and its cadre's level

Judging every pairing (compliance counts, the behind/at-risk list, the map's colouring, the
briefing's two quarters) joined pairings to recipients (for the county a pairing belongs to)
and to cadres (for the level): two lookups per pairing, a hundred thousand of each at province
scale. This copy puts both next to the pairing's own dates, so the question reads one table and
the pairing's tally. Measured on SQLite at province scale: compliance counts 0.45 s → 0.25 s.

Derived data, kept by triggers: on pairings (insert, update, delete), on recipients (a new
county) and on cadres (a new level); a bulk load sets the meta key 'tallies_deferred' and
rebuilds (data_access.tallies.rebuild).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 02:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SKIP = "EXISTS (SELECT 1 FROM meta WHERE key = 'tallies_deferred')"
COLUMNS = "(pairing_id, cadre_id, recipient_id, county_code, level, started_on, ended_on)"


def _insert(row: str) -> str:
    return f"""
  INSERT INTO pairing_facts {COLUMNS}
  SELECT {row}.id, {row}.cadre_id, {row}.recipient_id, r.county_code, c.level,
         {row}.started_on, {row}.ended_on
    FROM recipients r, cadres c
   WHERE r.id = {row}.recipient_id AND c.id = {row}.cadre_id;"""


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER pairing_facts_insert AFTER INSERT ON pairings
WHEN NOT {SKIP}
BEGIN{_insert("NEW")}
END""",
    f"""CREATE TRIGGER pairing_facts_update AFTER UPDATE ON pairings
WHEN NOT {SKIP}
BEGIN
  DELETE FROM pairing_facts WHERE pairing_id = OLD.id;{_insert("NEW")}
END""",
    f"""CREATE TRIGGER pairing_facts_delete AFTER DELETE ON pairings
WHEN NOT {SKIP}
BEGIN
  DELETE FROM pairing_facts WHERE pairing_id = OLD.id;
END""",
    f"""CREATE TRIGGER pairing_facts_recipient AFTER UPDATE OF county_code ON recipients
WHEN NOT {SKIP}
BEGIN
  UPDATE pairing_facts SET county_code = NEW.county_code WHERE recipient_id = NEW.id;
END""",
    f"""CREATE TRIGGER pairing_facts_cadre AFTER UPDATE OF level ON cadres
WHEN NOT {SKIP}
BEGIN
  UPDATE pairing_facts SET level = NEW.level WHERE cadre_id = NEW.id;
END""",
]


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
        "pairing_facts_pairing",
        f"""
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM pairing_facts WHERE pairing_id = OLD.id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN{_insert("NEW")}
  END IF;""",
    ),
    _pg_function(
        "pairing_facts_recipient",
        """
  UPDATE pairing_facts SET county_code = NEW.county_code WHERE recipient_id = NEW.id;""",
    ),
    _pg_function(
        "pairing_facts_cadre",
        """
  UPDATE pairing_facts SET level = NEW.level WHERE cadre_id = NEW.id;""",
    ),
    """CREATE TRIGGER pairing_facts_pairing AFTER INSERT OR UPDATE OR DELETE ON pairings
FOR EACH ROW EXECUTE FUNCTION pairing_facts_pairing()""",
    """CREATE TRIGGER pairing_facts_recipient AFTER UPDATE OF county_code ON recipients
FOR EACH ROW WHEN (OLD.county_code IS DISTINCT FROM NEW.county_code)
EXECUTE FUNCTION pairing_facts_recipient()""",
    """CREATE TRIGGER pairing_facts_cadre AFTER UPDATE OF level ON cadres
FOR EACH ROW WHEN (OLD.level IS DISTINCT FROM NEW.level)
EXECUTE FUNCTION pairing_facts_cadre()""",
]


def upgrade() -> None:
    op.create_table(
        "pairing_facts",
        sa.Column("pairing_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["pairings.id"],
            name=op.f("fk_pairing_facts_pairing_id_pairings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pairing_id", name=op.f("pk_pairing_facts")),
    )
    for column in ("cadre_id", "recipient_id", "county_code"):
        op.create_index(f"ix_pairing_facts_{column}", "pairing_facts", [column])
    op.execute(
        f"INSERT INTO pairing_facts {COLUMNS} "
        "SELECT p.id, p.cadre_id, p.recipient_id, r.county_code, c.level, p.started_on, "
        "p.ended_on FROM pairings p JOIN recipients r ON r.id = p.recipient_id "
        "JOIN cadres c ON c.id = p.cadre_id"
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        statements = SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = POSTGRES_TRIGGERS
    else:
        raise NotImplementedError(f"pairing facts have no triggers for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (
            ("pairing_facts_pairing", "pairings"),
            ("pairing_facts_recipient", "recipients"),
            ("pairing_facts_cadre", "cadres"),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    else:
        for trigger in ("insert", "update", "delete", "recipient", "cadre"):
            op.execute(f"DROP TRIGGER IF EXISTS pairing_facts_{trigger}")
    for column in ("cadre_id", "recipient_id", "county_code"):
        op.drop_index(f"ix_pairing_facts_{column}", table_name="pairing_facts")
    op.drop_table("pairing_facts")
