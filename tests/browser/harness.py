"""The browser pass as plain functions: find Chromium, run an app server, watch a browser context
for outside requests and console errors, wait until Streamlit has finished a run, and check a
page. Every check returns a list of problems (empty = fine), so the tests that break a page on
purpose can assert that the check reports it."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from benchmarks.sessions import CHROMIUM, SETTLED_JS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
SIZES = ((1440, 900), (1920, 1080))

CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
NOT_RUNNING = "[data-testid='stApp'][data-test-script-state='notRunning']"
NAV_LINKS = '[data-testid="stSidebarNav"] a'

# What each page must show: (what a person would call it, CSS selector of the drawn element).
METRIC = ("metrics", "[data-testid='stMetricValue']")
PLOTLY = ("plotly chart", "[data-testid='stPlotlyChart'] .main-svg")
DECK = ("deck.gl map", "[data-testid='stDeckGlJsonChart'] canvas")
DATAFRAME = (
    "table",
    "[data-testid='stDataFrame'] [data-testid='data-grid-canvas'], [data-testid='stTable'] table",
)
VEGA = ("chart", "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
ANY_FIGURE = (
    "table or chart",
    ", ".join(sel for _name, sel in (DATAFRAME, PLOTLY, DECK, VEGA)),
)
# Keyed by the page's URL path as the navigation links it ("" is the default page, served at /).
MAIN_ELEMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "": (METRIC, PLOTLY),  # the overview is the default page
    "overview": (METRIC, PLOTLY),
    "maps": (DECK,),
    "data": (("file uploader", "[data-testid='stFileUploader']"),),  # the import page
}
DEFAULT_MAIN_ELEMENTS = (ANY_FIGURE,)


def main_elements(url_path: str) -> tuple[tuple[str, str], ...]:
    return MAIN_ELEMENTS.get(url_path.strip("/"), DEFAULT_MAIN_ELEMENTS)


# Lines for the end of the pytest run (screenshot paths, timings), printed whatever -s says.
REPORT: list[str] = []


def find_chromium() -> str | None:
    """Debian's Chromium, never a downloaded one. DASHBOARD_CHROMIUM names another binary; a
    named binary that is not there counts as no browser (rather than quietly using another)."""
    named = os.environ.get("DASHBOARD_CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    for candidate in CHROMIUM:  # Debian's binaries (benchmarks/sessions.py)
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """A Streamlit server in a subprocess on 127.0.0.1, ready when /_stcore/health says ok."""

    def __init__(self, command: list[str], *, port: int, cwd: Path, env: dict, log: Path):
        self.port, self.log_path = port, log
        self.url = f"http://127.0.0.1:{port}/"
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @classmethod
    def dashboard(cls, *, cwd: Path, db_url: str, log: Path, port: int = 0) -> AppServer:
        port = port or free_port()
        cmd = [sys.executable, "-m", "dashboard", "--port", str(port), "--address", "127.0.0.1"]
        # A local demo: the open dashboard may import (the import page shows its uploader).
        env = app_env(DASHBOARD_DB_URL=db_url, DASHBOARD_OPEN_WRITES="1")
        return cls(cmd, port=port, cwd=cwd, env=env, log=log)

    @classmethod
    def streamlit(cls, script: Path, *, log: Path) -> AppServer:
        port = free_port()
        cmd = [sys.executable, "-m", "streamlit", "run", str(script)]
        cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
        return cls(cmd, port=port, cwd=script.parent, env=app_env(), log=log)

    def wait_healthy(self, timeout: float = 90) -> AppServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"app not healthy after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


def app_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "DASHBOARD_"))}
    env.update(
        STREAMLIT_SERVER_HEADLESS="true",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        STREAMLIT_SERVER_RUN_ON_SAVE="false",
        STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
        **extra,
    )
    return env


def _benign_console(text: str, url: str) -> bool:
    """Console errors that say nothing about the dashboard. Keep this list short."""
    # Opening a page by its own path (/maps): Streamlit's frontend first looks for the server's
    # base path under that path (/maps/_stcore/health, /maps/_stcore/host-config), gets a 404
    # and then uses the root. Only that probe, only a 404, only on the app's own origin.
    path = urlparse(url).path
    return "status of 404" in text and path.endswith(("/_stcore/health", "/_stcore/host-config"))


@dataclass
class Watch:
    """Routes every request of a browser context: requests to an allowed origin go through,
    anything else is recorded and aborted. Console errors and uncaught page errors are recorded.
    `tolerated` names outside URL prefixes that are blocked but not counted (with a reason at
    the place that passes them)."""

    origins: set[str]
    tolerated: tuple[str, ...] = ()
    outside: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def attach(self, context) -> Watch:
        # Every request is matched against this pattern inside the browser driver: the app's
        # own requests pass untouched, everything else comes to _route to be recorded and
        # aborted. (A catch-all pattern would send each of the ~100 requests of a page load
        # through Python and back, which makes ten sessions at once crawl.)
        ports = "|".join(sorted(origin.split(":")[1] for origin in self.origins))
        context.route(re.compile(rf"^(?!https?://127\.0\.0\.1:(?:{ports})/)"), self._route)
        context.on("console", self._on_console)
        context.on("weberror", lambda err: self.console.append(f"page error: {err.error}"))
        context.on("page", lambda page: page.on("websocket", self._on_websocket))
        return self

    def allowed(self, url: str) -> bool:
        u = urlparse(url)
        if u.scheme in ("data", "blob", "about"):
            return True
        return f"{u.hostname}:{u.port}" in self.origins

    def _route(self, route) -> None:
        request = route.request
        if self.allowed(request.url):
            route.continue_()
            return
        if not request.url.startswith(self.tolerated):
            self.outside.append(f"{request.method} {request.url}")
        route.abort()

    def _on_websocket(self, ws) -> None:
        if not self.allowed(ws.url):
            self.outside.append(f"WEBSOCKET {ws.url}")

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if url.startswith(self.tolerated) or (self.allowed(url) and _benign_console(msg.text, url)):
            return
        self.console.append(f"console error: {msg.text[:300]} (at {url or '?'})")

    def problems(self) -> list[str]:
        return [f"outside request: {u}" for u in self.outside] + list(self.console)

    def clear(self) -> None:
        self.outside.clear()
        self.console.clear()


def wait_settled(page, timeout: float = 60) -> None:
    """Until the app is connected, its script has finished and nothing is stale or still a
    skeleton, twice in a row a moment apart (a rerun may start just after a click)."""
    page.wait_for_selector(CONNECTED, timeout=timeout * 1000)
    page.wait_for_selector(NOT_RUNNING, timeout=timeout * 1000)
    for _ in range(2):
        page.wait_for_timeout(250)
        page.wait_for_function(SETTLED_JS, timeout=timeout * 1000)


def load(page, url: str, timeout: float = 60) -> list[str]:
    """Open url and wait for the app to settle; a page that never settles is a problem."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.goto(url)
        wait_settled(page, timeout)
    except PlaywrightError as exc:
        return [f"page did not finish loading: {str(exc).splitlines()[0]}"]
    return []


def canvas_drawn(png: bytes, min_share: float = 0.01) -> tuple[bool, float]:
    """Whether a screenshot of a canvas shows something: the share of pixels that differ from
    the most common (background) colour."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    total = image.width * image.height
    if total == 0:
        return False, 0.0
    colors = image.getcolors(maxcolors=total) or []
    background = max(count for count, _color in colors)
    share = 1 - background / total
    return share >= min_share, share


def check_map_canvas(canvas, timeout: float = 15) -> list[str]:
    """A deck.gl canvas with a size and, within timeout, something drawn on it."""
    size = canvas.evaluate("c => [c.width, c.height]")
    if not size[0] or not size[1]:
        return [f"map canvas has no size ({size[0]}×{size[1]})"]
    deadline = time.monotonic() + timeout
    while True:
        drawn, share = canvas_drawn(canvas.screenshot())
        if drawn:
            return []
        if time.monotonic() > deadline:
            return [f"map canvas is blank ({share:.2%} of pixels differ from the background)"]
        canvas.page.wait_for_timeout(500)  # not time.sleep: routing runs only inside calls


def check_page(
    page, expected: Iterable[tuple[str, str]], *, grace: float = 5, map_timeout: float = 15
) -> list[str]:
    """What a person would notice on a settled page: an exception, an error message, a missing
    main figure, a blank map."""
    problems = []
    for box in page.locator("[data-testid='stException']").all():
        problems.append(f"exception shown: {box.inner_text()[:300]!r}")
    # st.error boxes; an exception box draws one inside itself, already reported above.
    errors = "[data-testid='stAlertContentError']:not([data-testid='stException'] *)"
    for box in page.locator(errors).all():
        problems.append(f"error message shown: {box.inner_text()[:300]!r}")
    for name, selector in expected:
        try:
            page.locator(selector).first.wait_for(state="visible", timeout=grace * 1000)
        except Exception:
            problems.append(f"main element missing: {name} ({selector})")
    for canvas in page.locator(DECK[1]).all():
        problems += check_map_canvas(canvas, map_timeout)
    return problems


def nav_paths(page) -> list[str]:
    """The pages the app's sidebar navigation offers, as URL paths, in order."""
    hrefs = [a.get_attribute("href") or "" for a in page.locator(NAV_LINKS).all()]
    return [urlparse(h).path.strip("/") for h in hrefs]


def go_to(page, path: str, timeout: float = 60) -> list[str]:
    """Switch pages the way a person does: click the page's link in the sidebar navigation."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.locator(NAV_LINKS).nth(nav_paths(page).index(path)).click()
        page.wait_for_function("p => location.pathname.replace(/^\\/|\\/$/g, '') === p", arg=path)
        wait_settled(page, timeout)
    except (PlaywrightError, ValueError) as exc:
        return [f"page /{path} did not open from the navigation: {str(exc).splitlines()[0]}"]
    return []


def area_caption(page) -> str:
    """The line under a page's title: area · year period · as-of date."""
    return page.locator(
        "[data-testid='stMain'] [data-testid='stCaptionContainer']"
    ).first.inner_text()


def sidebar_select(page, label: str):
    return page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(
        has=page.get_by_text(label, exact=True)
    )


def selected(page, label: str) -> str:
    """The option a sidebar selectbox shows."""
    return sidebar_select(page, label).locator("input").input_value()


def options(page, label: str) -> list[str]:
    """Open a sidebar selectbox, read its options, close it again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = sidebar_select(page, label)
    for _ in range(3):  # a box redrawn by the rerun a choice started may drop the first click
        box.click()
        try:
            page.get_by_role("option").first.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_settled(page)
    found = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return found


def choose(page, label: str, option: str) -> None:
    """Pick an option of a sidebar selectbox the way a person does: click, type, click."""
    box = sidebar_select(page, label)
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    wait_settled(page)


def screenshot(page, name: str, width: int, height: int) -> Path:
    """The whole page at this window size. Streamlit scrolls its main block, not the document,
    so the window is made as tall as the content for the picture and restored afterwards.
    Resizing reruns no script; charts and the map only redraw, which takes a moment."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(300)
    tall = page.evaluate(
        "() => document.querySelector(\"[data-testid='stMain']\")?.scrollHeight || 0"
    )
    if tall > height:
        page.set_viewport_size({"width": width, "height": min(tall, 12000)})
    page.wait_for_timeout(600)  # plotly and deck.gl redraw at the new size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width}x{height}.png"
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size({"width": width, "height": height})
    REPORT.append(f"screenshot: {path.relative_to(ROOT)}")
    return path
