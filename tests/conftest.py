"""Shared fixtures: a demo database on SQLite and on the local PostgreSQL, and AppTest runs.

The PostgreSQL half skips with a reason when no server answers on 127.0.0.1:5432, unless
DASHBOARD_REQUIRE_POSTGRES=1 (set by .ci/run), where a missing server is a failure."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from data_access import db, demo

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PG_ADMIN_URL = os.environ.get(
    "DASHBOARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _admin_execute(*statements: str) -> None:
    admin = db.make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        if os.environ.get("DASHBOARD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unavailable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"no PostgreSQL server answers at 127.0.0.1:5432 ({type(exc).__name__})")
    finally:
        admin.dispose()


def _pg_url(name: str) -> str:
    return db.make_engine(PG_ADMIN_URL).url.set(database=name).render_as_string(hide_password=False)


def fresh_postgres(name: str, template: str | None = None) -> str:
    """Create (or recreate) a PostgreSQL database, empty or copied from a template."""
    copy = f' TEMPLATE "{template}"' if template else ""
    _admin_execute(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{copy}'
    )
    return _pg_url(name)


def drop_if_postgres(url: str) -> None:
    """Leave no test database behind on the shared server."""
    name = db.make_engine(url).url
    if name.get_backend_name() == "postgresql":
        _admin_execute(f'DROP DATABASE IF EXISTS "{name.database}" WITH (FORCE)')


def empty_database(backend: str, tmp_path: Path, name: str) -> str:
    """URL of a new, empty database of the given backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    return fresh_postgres(f"dash_{name}_{os.getpid()}")


@pytest.fixture(scope="session")
def reference_template(tmp_path_factory):
    """Per backend, a migrated database with reference data, built once and copied per test
    (migrating a fresh PostgreSQL database for each of hundreds of tests is slow)."""
    built: dict[str, str] = {}

    def get(backend: str) -> str:
        if backend not in built:
            url = empty_database(backend, tmp_path_factory.mktemp("template"), "template")
            engine = db.make_engine(url)
            db.migrate(engine)
            with engine.begin() as conn:
                demo.load_reference(conn)
            engine.dispose()
            built[backend] = url
        return built[backend]

    yield get
    for url in built.values():
        drop_if_postgres(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_engine(request, tmp_path_factory):
    """A migrated database with demo-scale demo data, on each backend (shared, read-only)."""
    url = empty_database(request.param, tmp_path_factory.mktemp("demo"), "demo")
    engine = db.make_engine(url)
    db.migrate(engine)
    demo.generate(engine, "demo")
    yield engine
    engine.dispose()
    drop_if_postgres(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path, reference_template):
    """A migrated database with reference data only, on each backend (per test, writable)."""
    template = reference_template(request.param)
    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        shutil.copyfile(db.make_engine(template).url.database, path)
        url = f"sqlite:///{path}"
    else:
        name = f"dash_{request.node.name.split('[')[0][-30:]}_{os.getpid()}"
        url = fresh_postgres(name, template=db.make_engine(template).url.database)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()
    drop_if_postgres(url)


@pytest.fixture(scope="session")
def demo_sqlite_url(tmp_path_factory) -> str:
    """A demo SQLite database for AppTest runs of the pages."""
    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'program.db'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    demo.generate(engine, "demo")
    engine.dispose()
    return url


@pytest.fixture
def app(demo_sqlite_url, monkeypatch):
    """An AppTest of the whole app (navigation and sidebar) on the demo database."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB_URL", demo_sqlite_url)

    def make(page: str | None = None, **query_params) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        for key, value in query_params.items():
            at.query_params[key] = value
        at.run()
        if page:
            at.switch_page(str(ROOT / "pages" / page)).run()
        return at

    return make


@pytest.fixture
def downloads(monkeypatch):
    """Every file a page hands to a download button during the test: (file name, bytes).
    A file made only when its button is clicked (a callable as `data`) is made here at once,
    as the click would make it."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    saved: list[tuple[str | None, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id
    original_deferred = MediaFileManager.add_deferred

    def record(self, data, mimetype, kind, filename=None):
        saved.append((filename, data))
        return original(self, data, mimetype, kind, filename)

    def record_deferred(self, make, mimetype, coordinates, file_name=None, **kwargs):
        data = make()
        saved.append((file_name, data.encode("utf-8") if isinstance(data, str) else data))
        return original_deferred(self, make, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return saved


def token_claims(email: str, **claims) -> dict:
    """What Streamlit keeps of a sign-in (`st.user`): the ID token's claims, with the e-mail
    verified by the provider and the token issued now."""
    return {
        "is_logged_in": True,
        "sub": f"sub-{email}",
        "email": email,
        "email_verified": True,
        "iat": int(time.time()),
        **claims,
    }


@pytest.fixture
def deferred(monkeypatch):
    """The files the page offers, as Streamlit registers them: (file name, the callable that
    makes the file when the browser fetches it). Nothing is made here."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    offered: list[tuple[str, object]] = []
    original = MediaFileManager.add_deferred

    def register(self, make, mimetype, coordinates, file_name=None, **kwargs):
        offered.append((file_name, make))
        return original(self, make, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", register)
    return offered


def fetch(make) -> tuple[bytes | None, BaseException | None]:
    """What the server does when the browser asks for the file: call it in a worker thread,
    outside the page's run (and without any click message)."""
    result: dict = {}

    def worker():
        try:
            result["data"] = make()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(60)
    return result.get("data"), result.get("error")
