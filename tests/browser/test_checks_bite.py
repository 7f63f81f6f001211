"""The checks of the browser pass, pointed at a throwaway app whose pages are broken on purpose:
each check must report its problem (and stay quiet on a good page), or the pass proves nothing."""

import textwrap

import pytest

from .conftest import watched_context
from .harness import DECK, METRIC, PLOTLY, AppServer, check_page, go_to, load

pytestmark = pytest.mark.browser

BROKEN_APP = """
import pandas as pd
import plotly.express as px
import pydeck as pdk
import streamlit as st

from dashboard.i18n import t

FRAME = pd.DataFrame({"月份": [1, 2, 3], "支出": [3, 1, 2]})
VIEW = pdk.ViewState(latitude=36, longitude=103, zoom=4)
GANSU = [[[97, 39], [104, 35], [106, 33], [107, 36], [100, 40], [97, 39]]]


def good():
    st.title("正常页面")
    st.metric("计划资金（万元）", "20,088.69")
    st.plotly_chart(px.bar(FRAME, x="月份", y="支出"))
    polygon = {"type": "Polygon", "coordinates": GANSU}
    layer = pdk.Layer("GeoJsonLayer", {"type": "Feature", "properties": {}, "geometry": polygon},
                      get_fill_color=[192, 57, 43], get_line_color=[0, 0, 0], stroked=True)
    st.pydeck_chart(pdk.Deck(layers=[layer], initial_view_state=VIEW, map_provider=None))


def raises():
    st.title("出错的页面")
    raise RuntimeError("broken on purpose")


def handled_error():
    # What the dashboard's app.py shows when a page fails: its own message, not a traceback.
    st.title("已处理的错误")
    st.error(t("error_page", "zh"))


def no_chart():
    st.title("没有图表")
    st.write("只有文字。")


def outside():
    st.title("外部图片")
    st.plotly_chart(px.bar(FRAME, x="月份", y="支出"))
    st.markdown("![logo](http://example.com/x.png)")


def console_error():
    st.title("控制台错误")
    st.plotly_chart(px.bar(FRAME, x="月份", y="支出"))
    st.html("<script>console.error('broken on purpose')</script>", unsafe_allow_javascript=True)


def blank_map():
    st.title("空白地图")
    st.pydeck_chart(pdk.Deck(layers=[], initial_view_state=VIEW, map_provider=None))


pages = [good, raises, handled_error, no_chart, outside, console_error, blank_map]
st.navigation([st.Page(p, url_path=p.__name__, default=p is good) for p in pages]).run()
"""


@pytest.fixture(scope="module")
def broken_app(tmp_path_factory, browser):
    folder = tmp_path_factory.mktemp("broken")
    script = folder / "broken_app.py"
    script.write_text(textwrap.dedent(BROKEN_APP))
    server = AppServer.streamlit(script, log=folder / "app.log")
    try:
        yield server.wait_healthy()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def visit(broken_app, browser):
    """Open one page of the throwaway app from its navigation (one browser tab for the module,
    as a person clicks through); returns (check_page problems, Watch problems)."""
    context, watch = watched_context(browser, broken_app)
    page = context.new_page()
    assert load(page, broken_app.url) == [], watch.problems()

    def run(path: str, expected=(PLOTLY,), **kwargs) -> tuple[list[str], list[str]]:
        watch.clear()
        problems = go_to(page, path)
        assert problems == [], problems  # the page opens; what is on it is the question
        return check_page(page, expected, **kwargs), watch.problems()

    yield run
    context.close()


def test_a_good_page_passes_every_check(visit):
    assert visit("", expected=(METRIC, PLOTLY, DECK)) == ([], [])


def test_a_page_that_raises_is_reported(visit):
    problems, _ = visit("raises", expected=())
    assert any(p.startswith("exception shown") for p in problems), problems


def test_the_apps_own_error_message_is_reported(visit):
    problems, _ = visit("handled_error", expected=())
    assert any(p.startswith("error message shown") and "页面出错了" in p for p in problems)


def test_a_page_without_its_chart_is_reported(visit):
    problems, _ = visit("no_chart", grace=1)
    assert problems == [f"main element missing: {PLOTLY[0]} ({PLOTLY[1]})"]


def test_an_outside_request_is_blocked_and_reported(visit):
    problems, network = visit("outside")
    assert problems == []
    assert "outside request: GET http://example.com/x.png" in network


def test_a_console_error_is_reported(visit):
    _, network = visit("console_error")
    assert any(p.startswith("console error: broken on purpose") for p in network), network


def test_a_blank_map_is_reported(visit):
    problems, _ = visit("blank_map", expected=(DECK,), map_timeout=2)
    assert len(problems) == 1 and problems[0].startswith("map canvas is blank"), problems
