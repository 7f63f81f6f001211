"""Fixtures of the browser pass: Debian's Chromium driven by Playwright, and the dashboard served
on a free loopback port against a fresh demo database.

Without Chromium (or Playwright) these tests skip with the reason, unless
DASHBOARD_REQUIRE_BROWSER=1 (set by .ci/run), where that is a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from benchmarks.sessions import CHROMIUM_ARGS
from data_access import db, demo

from .harness import (
    REPORT,
    ROOT,
    SCREENSHOTS,
    AppServer,
    Watch,
    find_chromium,
)


def unavailable(reason: str):
    if os.environ.get("DASHBOARD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser required (DASHBOARD_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        unavailable(
            "no Chromium found (/usr/lib/chromium/chromium-headless-shell, /usr/lib/chromium/"
            "chromium, chromium on PATH, or DASHBOARD_CHROMIUM); install Debian's `chromium`"
        )
    return path


@pytest.fixture(scope="session")
def playwright_driver():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver, chromium_path):
    """One headless Chromium for the session. Playwright gives every launch a fresh temporary
    user-data directory (and removes it afterwards), so no profile carries over."""
    instance = playwright_driver.chromium.launch(
        executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
    )
    yield instance
    instance.close()


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots():
    """Screenshots of this run only: a page that left the navigation leaves no stale picture."""
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory) -> Path:
    """A demo SQLite database, made once; apps get their own copies."""
    path = tmp_path_factory.mktemp("browser-db") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.migrate(engine)
    demo.generate(engine, "demo")
    engine.dispose()
    return path


def app_workdir(tmp: Path, template: Path) -> tuple[Path, str]:
    """A working directory holding only the project's .streamlit/config.toml (no local secrets
    that would switch sign-in on) and a copy of the demo database; returns it and the DB URL."""
    (tmp / ".streamlit").mkdir(parents=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", tmp / ".streamlit" / "config.toml")
    shutil.copy(template, tmp / "program.db")
    return tmp, f"sqlite:///{tmp / 'program.db'}"


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory, demo_db_template, browser):
    """The dashboard in open demo mode, served by `python -m dashboard` on a free port."""
    workdir, url = app_workdir(tmp_path_factory.mktemp("dashboard"), demo_db_template)
    server = AppServer.dashboard(cwd=workdir, db_url=url, log=workdir / "app.log")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def watched_context(browser, *servers: AppServer, tolerated: tuple[str, ...] = (), **options):
    """A new browser context whose requests may reach only these servers; returns it and its
    Watch (outside requests, console errors)."""
    options.setdefault("viewport", {"width": 1440, "height": 900})
    options.setdefault("locale", "zh-CN")
    context = browser.new_context(**options)
    context.set_default_timeout(60_000)
    watch = Watch({f"127.0.0.1:{s.port}" for s in servers}, tolerated).attach(context)
    return context, watch


@pytest.fixture
def open_context(browser):
    """Watched browser contexts, closed after the test."""
    opened = []

    def make(*servers: AppServer, **options):
        context, watch = watched_context(browser, *servers, **options)
        opened.append(context)
        return context, watch

    yield make
    for context in opened:
        context.close()


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("browser pass")
        for line in REPORT:
            terminalreporter.write_line(line)
