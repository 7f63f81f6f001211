"""Every page the navigation offers, in headless Chromium: it opens offline, finishes without an
exception or error message, shows its main figure (the map drawn where there is one), logs no
console error, and is photographed at two window sizes."""

import pytest

from .harness import NAV_LINKS, SIZES, check_page, go_to, load, main_elements, nav_paths, screenshot

pytestmark = pytest.mark.browser


def test_every_page_in_the_navigation(dashboard, open_context, subtests):
    context, watch = open_context(dashboard)
    page = context.new_page()
    assert load(page, dashboard.url) == [], watch.problems()
    paths = nav_paths(page)
    # The navigation is the app's own list of pages; fewer than two means it did not draw.
    assert len(paths) >= 2, f"navigation links: {page.locator(NAV_LINKS).all_inner_texts()}"
    for number, path in enumerate(paths, start=1):
        with subtests.test(page=path or "/"):
            watch.clear()
            page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
            problems = go_to(page, path)
            if not problems:
                problems += check_page(page, main_elements(path))
                for width, height in SIZES:
                    screenshot(page, f"{number:02d}-{path or 'home'}", width, height)
            problems += watch.problems()
            assert problems == [], f"/{path}:\n" + "\n".join(problems)
