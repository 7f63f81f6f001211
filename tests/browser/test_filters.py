"""The sidebar filters in a real browser: chosen by clicking and typing, they follow the viewer
from page to page, live in the URL, and that URL opens the same view in another browser."""

import pytest

from data_access.reference import COUNTIES, PREFECTURES

from .harness import area_caption, choose, go_to, load, nav_paths, options, selected

pytestmark = pytest.mark.browser

PREFECTURE = PREFECTURES["620500"][0]  # 天水市
COUNTY = next(name for _code, pref, name, _short in COUNTIES if pref == "620500" and "区" in name)


def headline(page) -> str:
    """The first figure a person reads: the first metric on the page."""
    return page.locator("[data-testid='stMetricValue']").first.inner_text()


def test_filters_follow_pages_and_a_shared_link_opens_the_same_view(dashboard, open_context):
    context, watch = open_context(dashboard)
    page = context.new_page()
    assert load(page, dashboard.url) == []
    province = headline(page)

    choose(page, "市州", PREFECTURE)
    assert selected(page, "市州") == PREFECTURE
    # The county list is the chosen prefecture's own.
    counties = [name for _c, pref, name, _s in COUNTIES if pref == "620500"]
    assert options(page, "县区") == ["全市州", *counties]
    choose(page, "县区", COUNTY)
    assert area_caption(page).startswith(f"{PREFECTURE} · {COUNTY}")
    chosen = headline(page)
    assert chosen != province

    home = page.url
    elsewhere = next(p for p in nav_paths(page) if p not in ("", "admin"))
    for path in (elsewhere, ""):
        assert go_to(page, path) == []
        assert selected(page, "市州") == PREFECTURE, path
        assert selected(page, "县区") == COUNTY, path
        assert area_caption(page).startswith(f"{PREFECTURE} · {COUNTY}"), path
    assert page.url == home
    assert headline(page) == chosen

    # A colleague opens the link: a new browser context shares no cookies or session.
    other, other_watch = open_context(dashboard)
    shared = other.new_page()
    assert load(shared, home) == []
    assert selected(shared, "市州") == PREFECTURE
    assert selected(shared, "县区") == COUNTY
    assert headline(shared) == chosen
    assert watch.problems() + other_watch.problems() == []
