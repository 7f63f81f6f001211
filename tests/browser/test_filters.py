"""The sidebar filters in a real browser: chosen by clicking and typing, they follow the viewer
from page to page, live in the URL, and that URL opens the same view in another browser."""

import pytest

from data_access.reference import COUNTIES, PREFECTURES

from .harness import area_caption, choose, go_to, load, nav_paths, options, selected

pytestmark = pytest.mark.browser

PREFECTURE = PREFECTURES["620500"][0]  # 天水市
TIANSHUI = [name for _code, pref, name, _short in COUNTIES if pref == "620500"]
COUNTY = TIANSHUI[1]


def headline(page) -> str | None:
    """The first figure a person reads: the first metric on the page, if it has one."""
    metrics = page.locator("[data-testid='stMetricValue']")
    return metrics.first.inner_text() if metrics.count() else None


def view(page) -> tuple:
    """What identifies the view on screen: the area chosen, the heading line, the headline."""
    return selected(page, "市州"), selected(page, "县区"), area_caption(page), headline(page)


def test_filters_follow_pages_and_a_shared_link_opens_the_same_view(dashboard, open_context):
    context, watch = open_context(dashboard)
    page = context.new_page()
    assert load(page, dashboard.url) == []
    province = headline(page)

    choose(page, "市州", PREFECTURE)
    assert selected(page, "市州") == PREFECTURE
    assert options(page, "县区") == ["全市州", *TIANSHUI]  # the chosen prefecture's own
    choose(page, "县区", COUNTY)
    assert area_caption(page).startswith(f"{PREFECTURE} · {COUNTY}")
    overview = view(page)
    assert overview[3] != province

    # To another page and back through the navigation: the filters come along.
    elsewhere = next(p for p in nav_paths(page) if p not in ("", "admin"))
    assert go_to(page, elsewhere) == []
    there = view(page)
    assert there[:2] == (PREFECTURE, COUNTY)
    assert there[2].startswith(f"{PREFECTURE} · {COUNTY}")
    link = page.url
    assert go_to(page, "") == []
    assert view(page) == overview

    # A colleague opens the link: a new browser context shares no cookies or session.
    other, other_watch = open_context(dashboard)
    shared = other.new_page()
    assert load(shared, link) == []
    assert view(shared) == there
    assert watch.problems() + other_watch.problems() == []
