"""The dashboard without a mouse, on a phone and at 200 % zoom, in a real browser: a keyboard-only
walk does what a mouse user does (focus always visible), and every page reads without sideways
scrolling at 390 × 844 (photographed) and at 200 % zoom. One server and browser; each test loops
over the pages inside itself."""

import re

import pytest

from .a11y import focus_problem, lang_problems
from .harness import REPORT, area_caption, load, nav_paths, screenshot, wait_settled

pytestmark = pytest.mark.browser

TABS = "[data-testid='stMain'] [data-testid='stTabs'] [role='tab']"
GRID = "data-grid-canvas"

# --- keyboard only ------------------------------------------------------------------------------


class Keyboard:
    """Drives the page with the keyboard alone and notes every stop where focus was not
    visible. `to` presses Tab (or Shift+Tab) until the focused element passes a test."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        self.stops = 0

    def to(self, what: str, predicate: str, limit: int = 150, back: bool = False) -> bool:
        for _ in range(limit):
            # Inside a table (a canvas grid) Tab moves from cell to cell: Esc, then Tab, leaves it
            # (as the statement page tells people).
            if self.page.evaluate("document.activeElement?.dataset?.testid") == GRID:
                self.page.keyboard.press("Escape")
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            self.stops += 1
            problem = focus_problem(self.page)
            if problem:
                self.problems.append(f"{what}: {problem}")
            if self.page.evaluate(f"(el => {predicate})(document.activeElement)"):
                return True
        self.problems.append(f"{what}: not reached with {limit} presses of Tab")
        return False

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        wait_settled(self.page)


def text_has(text: str) -> str:
    return f"el && (el.innerText || '').includes({text!r})"


def select_labelled(label: str) -> str:
    """The input of the select box whose visible label is `label`."""
    return (
        "el && el.tagName === 'INPUT' && (el.closest('[data-testid=\"stSelectbox\"]')"
        f"?.querySelector('label')?.innerText || '').trim().startsWith({label!r})"
    )


def nav_link(path: str) -> str:
    return f"el && el.matches(\"[data-testid='stSidebarNav'] a\") && el.pathname === '/{path}'"


def test_keyboard_only_walk(dashboard, open_context):
    """Navigation, language, filters, the budget drill-down, tabs, choosing a facility without
    the map, a chart's data table, a download and presentation mode, without the mouse."""
    context, watch = open_context(dashboard, accept_downloads=True)
    page = context.new_page()
    assert load(page, dashboard.url) == []
    keys = Keyboard(page)
    done = []

    # Navigation: to 预算执行 by its link.
    if keys.to("navigation link 预算执行", nav_link("budget")):
        keys.press("Enter")
        if page.url.split("?")[0].rstrip("/").endswith("/budget"):
            done.append("navigation")

    # Language: a radio group; arrows move between 中文 and English, Space chooses.
    if keys.to("language", "el && el.getAttribute('role') === 'radio'", back=True):
        page.keyboard.press("ArrowRight")
        keys.press("Space")
        if not lang_problems(page, "en"):
            done.append("language en")
        page.keyboard.press("ArrowLeft")
        keys.press("Space")
        if not lang_problems(page, "zh"):
            done.append("language zh")

    # Sidebar filters: type into the select box, Enter takes the first match.
    if keys.to("filter 期间", select_labelled("期间")):
        page.keyboard.type("第二季度")
        keys.press("Enter")
        if "第二季度" in area_caption(page):
            done.append("filter period")
    if keys.to("filter 市州", select_labelled("市州")):
        page.keyboard.type("天水")
        keys.press("Enter")
        if area_caption(page).startswith("天水市"):
            done.append("filter prefecture")

    # The budget drill-down: a measure, back by its breadcrumb, then into a county.
    if keys.to("measure selector", select_labelled("措施")):
        page.keyboard.type("拓岗")
        keys.press("Enter")
        if page.get_by_role("button", name="全部措施").count():
            done.append("drill into a measure")
    if keys.to(
        "breadcrumb 全部措施", "el && el.tagName === 'BUTTON' && " + text_has("全部措施"), back=True
    ):
        keys.press("Enter")
        if not page.get_by_role("button", name="全部措施").count():
            done.append("breadcrumb back")
    if keys.to("county drill-down", select_labelled("下钻到县区")):
        page.keyboard.press("ArrowDown")
        keys.press("Enter")
        if area_caption(page).startswith("天水市 · "):
            done.append("drill into a county")

    # Tabs on 联系帮扶: arrow keys move between them.
    keys.to("navigation link 联系帮扶", nav_link("contacts"), back=True)
    keys.press("Enter")
    if keys.to("the open tab", "el && el.getAttribute('role') === 'tab'"):
        keys.press("ArrowRight")
        keys.press("Enter")
        chosen = page.locator(f"{TABS}[aria-selected='true']").inner_text().strip()
        if chosen == "滞后与风险名单":
            done.append("tabs")

    # 设施地图: a facility chosen without the map, a chart's data table opened, a download.
    keys.to("navigation link 设施地图", nav_link("maps"), back=True)
    keys.press("Enter")
    if keys.to("facility selector", select_labelled("查看设施档案")):
        page.keyboard.press("ArrowDown")
        keys.press("Enter")
        if page.get_by_role("heading", name="设施档案").count():
            done.append("facility chosen")
    if keys.to("a chart's data table", text_has("图表数据")):
        keys.press("Enter")
        if page.locator("details[open] [data-testid='stTable'] table").count():
            done.append("chart data table")
    if keys.to("facility list download", text_has("下载设施清单（CSV）")):
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        if download.value.suggested_filename.endswith(".csv"):
            done.append("download")
        wait_settled(page)

    # 季通报: into presentation mode, step with PageDown / PageUp, out with Esc.
    keys.to("navigation link 季通报", nav_link("briefing"), back=True)
    keys.press("Enter")
    # The button itself: the open-mode banner's text also says 演示模式.
    if keys.to("presentation mode", "el && el.tagName === 'BUTTON' && " + text_has("演示模式")):
        keys.press("Enter")
        pages = []
        for key in ("PageDown", "PageDown", "PageUp"):
            page.keyboard.press(key)
            wait_settled(page)
            step = page.locator(
                "[data-testid='stMain'] p", has_text=re.compile(r"^第 \d+ / \d+ 页$")
            )
            pages.append(step.inner_text())
        keys.press("Escape")
        if [p.split(" / ")[0] for p in pages] == ["第 2", "第 3", "第 2"] and page.locator(
            "[data-testid='stSidebar']"
        ).is_visible():
            done.append("presentation steps")

    REPORT.append(f"keyboard walk: {keys.stops} Tab stops, focus visible at every one")
    assert keys.problems == [], "\n".join(keys.problems)
    assert done == [
        "navigation",
        "language en",
        "language zh",
        "filter period",
        "filter prefecture",
        "drill into a measure",
        "breadcrumb back",
        "drill into a county",
        "tabs",
        "facility chosen",
        "chart data table",
        "download",
        "presentation steps",
    ]
    assert watch.problems() == []


# --- phone and zoom -----------------------------------------------------------------------------

# Whether the page can be read without scrolling sideways: neither the document nor Streamlit's
# main scrolling area is wider than the window, and the page's title fits in it.
REFLOW_JS = """
() => {
  const main = document.querySelector("[data-testid='stMain']");
  const h1 = main && main.querySelector('h1');
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    out.push(`page ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px window`);
  if (main && main.scrollWidth > main.clientWidth + 1)
    out.push(`main area ${main.scrollWidth}px wide in ${main.clientWidth}px`);
  if (!h1) out.push('no page title');
  else if (h1.getBoundingClientRect().right > window.innerWidth + 1) out.push('title cut off');
  return out;
}
"""
NAV_REACHABLE = "[data-testid='stExpandSidebarButton'], [data-testid='stSidebarNav']"


def test_phone_and_200_percent_zoom(dashboard, open_context):
    """Every page on a phone (390 × 844, photographed) and at 200 % zoom of a 1440 × 900
    window (a 720 × 450 CSS-pixel viewport at twice the pixel density): readable without
    sideways scrolling, with its title, and the navigation one tap away."""
    problems = []
    for name, size, scale in (("phone", (390, 844), 3), ("zoom 200%", (720, 450), 2)):
        context, watch = open_context(
            dashboard,
            viewport={"width": size[0], "height": size[1]},
            device_scale_factor=scale,
            is_mobile=name == "phone",
            has_touch=name == "phone",
        )
        page = context.new_page()
        assert load(page, dashboard.url) == []
        paths = [p for p in nav_paths(page) if p != "admin"] or [""]
        for number, path in enumerate(paths, start=1):
            problems += [f"{name} /{path}: {p}" for p in load(page, dashboard.url + path)]
            problems += [f"{name} /{path}: {p}" for p in page.evaluate(REFLOW_JS)]
            if not any(opener.is_visible() for opener in page.locator(NAV_REACHABLE).all()):
                problems.append(f"{name} /{path}: no way to open the navigation")
            if name == "phone":
                screenshot(page, f"{number:02d}-{path or 'home'}", *size)
        problems += watch.problems()
    assert problems == [], "\n".join(problems)
