"""Connecting to the program database, creating and upgrading its schema, and its data version."""

from __future__ import annotations

import os
import tomllib
import uuid
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from data_access.models import Meta

ENV_VAR = "DASHBOARD_DB_URL"
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or used; the message is for the viewer."""


def database_url(cwd: Path | None = None) -> str:
    """DASHBOARD_DB_URL, else [connections.program] url in .streamlit/secrets.toml, else the
    embedded SQLite file var/program.db (all relative to the working directory)."""
    cwd = cwd or Path.cwd()
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    secrets = cwd / ".streamlit" / "secrets.toml"
    if secrets.is_file():
        with secrets.open("rb") as fh:
            url = tomllib.load(fh).get("connections", {}).get("program", {}).get("url")
        if url:
            return url
    return f"sqlite:///{cwd / 'var' / 'program.db'}"


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(无法解析的数据库地址)"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 16 MB of page cache per connection instead of 2 MB: the contact questions visit the
    # same index pages again and again; measured at province scale about a fifth faster.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"数据库地址格式不正确：{url!r}") from exc
    kwargs: dict = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailable(f"不支持的数据库类型：{parsed.drivername}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and pool) per URL for the life of the process."""
    return make_engine(url)


def check(engine: Engine) -> None:
    """Raise DatabaseUnavailable with a message a viewer can act on if the database is down."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise DatabaseUnavailable(
            f"无法连接数据库 {describe(str(engine.url))}。请检查数据库服务是否运行、地址和账号是否正确。"
            f"（{type(exc.orig).__name__}）"
        ) from exc


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    check(engine)
    command.upgrade(_alembic_config(engine), "head")


def schema_is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() == head


def is_empty(engine: Engine) -> bool:
    """True when the database has no schema or no reference data yet."""
    if not inspect(engine).has_table("prefectures"):
        return True
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM prefectures")).scalar_one() == 0


def get_meta(engine: Engine, key: str, default: str | None = None) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()
    return default if value is None else value


def set_meta(conn, key: str, value: str) -> None:
    """Upsert one meta value inside the caller's transaction."""
    updated = conn.execute(Meta.__table__.update().where(Meta.key == key).values(value=value))
    if updated.rowcount == 0:
        conn.execute(Meta.__table__.insert().values(key=key, value=value))


# Tables whose ids come from a sequence and that the demo data or an import write.
ID_TABLES = (
    "budget_lines",
    "budget_allocations",
    "disbursements",
    "indicators",
    "indicator_targets",
    "indicator_values",
    "facilities",
    "facility_status_changes",
    "cadres",
    "recipients",
    "pairings",
    "contacts",
    "import_batches",
    "import_errors",
)


def sync_id_sequences(conn, tables=ID_TABLES) -> None:
    """On PostgreSQL, move each table's id sequence past the largest id stored: rows written
    with explicit ids (the demo data, a restored copy) leave the sequence behind, and the next
    insert without an id would collide."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1), "
                f"(SELECT MAX(id) IS NOT NULL FROM {table}))"
            ),
            {"t": table},
        )


def bump_data_version(conn) -> str:
    """Mark that what pages show has changed, so cached results are dropped."""
    token = uuid.uuid4().hex
    set_meta(conn, "data_version", token)
    return token


def data_version(engine: Engine) -> str:
    return get_meta(engine, "data_version", "0") or "0"
