"""What runs only when asked, in a real browser: a tab of the contacts page draws when it is
clicked (and the URL then names it), and a file is made when its download button is clicked:
it arrives whole and the audit log names it."""

import io
from pathlib import Path

import pytest
from pptx import Presentation

from dashboard.i18n import t
from data_access import db, users

from .harness import load, wait_settled

pytestmark = pytest.mark.browser


def test_a_tab_runs_when_clicked_and_the_link_names_it(dashboard, open_context):
    context, watch = open_context(dashboard)
    page = context.new_page()
    assert load(page, dashboard.url + "contacts") == []
    coverage = t("ct_tab_coverage", "zh")
    unpaired = page.locator("[data-testid='stMetricLabel']", has_text="未结对对象")
    assert unpaired.count() == 0  # the tab has not run
    page.get_by_role("tab", name=coverage).click()
    wait_settled(page)
    unpaired.first.wait_for()
    assert "ct_tab=" in page.url
    other = context.new_page()
    assert load(other, page.url) == []
    other.locator("[data-testid='stMetricLabel']", has_text="未结对对象").first.wait_for()
    assert watch.problems() == []


def test_a_file_is_made_when_its_button_is_clicked(dashboard, open_context):
    context, watch = open_context(dashboard, accept_downloads=True)
    page = context.new_page()
    assert load(page, dashboard.url + "briefing") == []
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=t("br_download_pptx", "zh")).click()
    download = info.value
    assert download.suggested_filename.startswith("季通报")
    assert download.suggested_filename.endswith(".pptx")
    slides = Presentation(io.BytesIO(Path(download.path()).read_bytes())).slides
    assert len(slides) >= 5
    wait_settled(page)
    engine = db.engine_for(f"sqlite:///{dashboard.log_path.parent / 'program.db'}")
    exported = users.audit_log(engine, action="export")["detail"].tolist()
    assert download.suggested_filename in exported
    assert watch.problems() == []
