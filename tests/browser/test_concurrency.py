"""Ten people open the overview at the same moment: every one of them gets the whole page,
without an exception or a console error. The slowest time is reported at the end of the run."""

import json

import pytest

from .harness import REPORT, SETTLED_JS, check_page, main_elements

pytestmark = pytest.mark.browser

SESSIONS = 10

# Each page notes for itself when it is drawn (milliseconds since its navigation started), so
# the times are right however long the test takes to come round and ask.
STOPWATCH = """(() => {
    const settled = %s;
    const drawn = () => settled() && %s.every(s => document.querySelector(s));
    const timer = setInterval(() => {
        if (drawn()) { window.__drawnAfter = performance.now(); clearInterval(timer); }
    }, 50);
})();"""


def test_ten_sessions_open_the_overview_at_once(dashboard, open_context):
    expected = main_elements("")
    script = STOPWATCH % (SETTLED_JS, json.dumps([selector for _name, selector in expected]))
    pages, watches = [], []
    for _ in range(SESSIONS):
        context, watch = open_context(dashboard)
        context.add_init_script(script)
        pages.append(context.new_page())
        watches.append(watch)

    # All ten navigations start before any is waited for: the browser loads them side by side.
    for page in pages:
        page.goto(dashboard.url, wait_until="commit")
    took = []
    for page in pages:
        page.wait_for_function("() => window.__drawnAfter", timeout=180_000)
        took.append(page.evaluate("() => window.__drawnAfter") / 1000)

    problems = [p for page in pages for p in check_page(page, expected, grace=1)]
    problems += [p for watch in watches for p in watch.problems()]
    assert problems == []
    took.sort()
    REPORT.append(
        f"concurrency: {SESSIONS} sessions opened the overview at once; fastest "
        f"{took[0]:.1f} s, median {took[SESSIONS // 2]:.1f} s, slowest {took[-1]:.1f} s"
    )
