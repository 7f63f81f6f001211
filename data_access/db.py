"""Connecting to the program database, creating and upgrading its schema, and its data version."""

from __future__ import annotations

import os
import sqlite3
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
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError

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


def _sqlite_file(engine_or_url) -> Path | None:
    """The file of an embedded SQLite database given by path (not an in-memory or URI one)."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else engine_or_url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") or url.database.startswith("file:"):
        return None
    return Path(url.database)


def _never_create(path: Path):
    """SQLite creates a missing file on connect; a database file that was removed must be
    noticed, not silently replaced by an empty one. Only migrate() creates the file."""

    def open_existing(_dialect, _record, cargs, cparams) -> None:
        cargs[0] = path.absolute().as_uri() + "?mode=rw"
        cparams["uri"] = True

    def still_there(_dbapi_connection, _record, _proxy) -> None:
        # A pooled connection to a removed file keeps writing to the unlinked inode: drop it,
        # so the next connect fails with "unable to open database file".
        if not path.exists():
            raise DisconnectionError(f"SQLite file {path} is gone")

    return open_existing, still_there


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"数据库地址格式不正确：{url!r}") from exc
    kwargs: dict = {"pool_pre_ping": True}
    sqlite_file = _sqlite_file(parsed)
    if sqlite_file is not None:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailable(f"不支持的数据库类型：{parsed.drivername}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if sqlite_file is not None:
        open_existing, still_there = _never_create(sqlite_file)
        event.listen(engine, "do_connect", open_existing)
        event.listen(engine, "checkout", still_there)
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
        path = _sqlite_file(engine)
        if path is not None and not path.exists():
            raise DatabaseUnavailable(
                f"数据库文件 {path} 不存在（可能已被移走或删除）。请恢复该文件，"
                "或运行 `python -m dashboard migrate` 新建一个空库。"
            ) from exc
        # No address here: the page may be seen by anyone, signed in or not (the app logs it,
        # the command line prints it first).
        raise DatabaseUnavailable(
            "无法连接数据库。请检查数据库服务是否运行、地址和账号是否正确"
            f"（地址见服务日志或 `python -m dashboard migrate` 的输出；{type(exc.orig).__name__}）。"
        ) from exc


def is_fault(exc: BaseException) -> bool:
    """Whether an exception is the database failing (down, lost, read-only, busy, gone) rather
    than a defect: callers outside the data layer tell them apart without SQLAlchemy."""
    return isinstance(exc, DatabaseUnavailable | DBAPIError)


def fault_message(exc: BaseException) -> str:
    """What went wrong with the database, in one Chinese phrase a viewer can act on: read-only,
    busy, its file gone, the server lost, or the error's class name. Never the address."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
    if "readonly" in text or "read-only" in text or state == "25006":
        return "数据库为只读，不能写入"
    if "locked" in text or "busy" in text or state in ("55P03", "40P01"):
        return "数据库正忙（可能有其他导入正在进行）"
    if "unable to open database file" in text or "no such table" in text:
        return "数据库文件不存在或已被移走"
    if getattr(exc, "connection_invalidated", False) or any(
        word in text for word in ("connection", "server closed", "terminating", "could not connect")
    ):
        return "与数据库的连接已断开"
    return f"数据库出错（{type(orig).__name__}）"


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create (an embedded SQLite file too) or upgrade the schema to the newest migration."""
    path = _sqlite_file(engine)
    if path is not None and not path.exists():
        sqlite3.connect(path).close()
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
