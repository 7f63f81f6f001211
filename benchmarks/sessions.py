"""Peak memory of the app process with several sessions open at once.

Starts `python -m dashboard` on a free port (its own process: the PID is the server), opens N
browser sessions in headless Chromium (Debian's, offline, as the browser tests run it), all at
once, each on a page of the navigation (pages in turn; after the first round, with a prefecture
chosen through the URL), waits until every one has finished its run, and reads the server's
VmHWM (peak resident set) from /proc."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from benchmarks.env import ROOT, peak_rss, rss

# Debian's headless shell makes no requests of its own; the full browser does (to Google hosts,
# unseen by Playwright's routing), which the host-resolver rule below sends nowhere. The browser
# tests (tests/browser) use the same binaries and switches.
CHROMIUM = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/lib/chromium/chromium",  # the binary behind Debian's /usr/bin/chromium wrapper script
    "/usr/bin/chromium",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SETTLED_JS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return !!app
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector("[data-testid='stSkeleton']")
        && !document.querySelector("[data-stale='true']");
}"""
PREFECTURES = ("兰州市", "天水市", "酒泉市", "庆阳市", "陇南市", "定西市", "武威市")


def _chromium() -> str | None:
    named = os.environ.get("DASHBOARD_CHROMIUM")
    for candidate in ([named] if named else []) + list(CHROMIUM):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "DASHBOARD_"))}
    env.update(
        DASHBOARD_DB_URL=url,
        STREAMLIT_SERVER_HEADLESS="true",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        STREAMLIT_SERVER_RUN_ON_SAVE="false",
        STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
    )
    return env


def _wait_healthy(base: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the dashboard did not answer within {timeout:.0f} s")


def targets(pages: list[str], n: int) -> list[str]:
    """The URL paths the sessions open: every page for the province, then with prefectures."""
    paths = []
    for i in range(n):
        page = pages[i % len(pages)].removesuffix(".py")
        round_ = i // len(pages)
        query = (
            f"?prefecture={quote(PREFECTURES[(round_ - 1) % len(PREFECTURES)])}" if round_ else ""
        )
        paths.append(page + query)
    return paths


def measure(url: str, pages: list[str], n: int = 10, timeout: float = 900) -> dict:
    """{'sessions', 'settled', 'peak', 'rss', 'seconds'} or {'skipped': reason}."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "Playwright is not installed"}
    chromium = _chromium()
    if chromium is None:
        return {"skipped": "no Chromium found (set DASHBOARD_CHROMIUM)"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    log = Path(tempfile.mkstemp(prefix="bench-server-", suffix=".log")[1])
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "--port", str(port), "--address", "127.0.0.1"],
            cwd=ROOT,
            env=_env(url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(base, server, 120)
        idle = rss(server.pid)
        start = time.monotonic()
        settled = 0
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            sessions = []
            for path in targets(pages, n):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                page.goto(base + path, wait_until="commit", timeout=timeout * 1000)
                sessions.append(page)
            for page in sessions:
                try:
                    page.wait_for_function(SETTLED_JS, timeout=timeout * 1000, polling=500)
                    settled += 1
                except Exception:  # a session that never settles is reported, not fatal
                    pass
            seconds = time.monotonic() - start
            time.sleep(2)  # let the server finish sending and settle its memory
            result = {
                "sessions": n,
                "settled": settled,
                "idle": idle,
                "rss": rss(server.pid),
                "peak": peak_rss(server.pid),
                "seconds": seconds,
            }
            browser.close()
        return result
    except Exception as exc:
        return {"skipped": f"{type(exc).__name__}: {exc}"}
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
        log.unlink(missing_ok=True)
