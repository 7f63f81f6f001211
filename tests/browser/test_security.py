"""What the browser gets from the served dashboard: the open-mode banner on a phone, and the
proxy in front (deploy/haproxy.cfg) closing what Streamlit cannot: its public metrics endpoint
and the missing security headers."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request

import pytest

from .conftest import unavailable
from .harness import ROOT, AppServer, app_env, check_page, free_port, load, main_elements

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def proxy(dashboard, tmp_path_factory):
    """HAProxy with the shipped configuration in front of the open dashboard."""
    haproxy = shutil.which("haproxy", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin")
    if not haproxy:
        unavailable("haproxy is not installed (apt-get install haproxy)")
    port = free_port()
    env = app_env(
        DASHBOARD_PROXY_BIND=f"127.0.0.1:{port}", DASHBOARD_APP1=f"127.0.0.1:{dashboard.port}"
    )
    log = tmp_path_factory.mktemp("proxy") / "haproxy.log"
    command = [haproxy, "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")]
    server = AppServer(command, port=port, cwd=ROOT, env=env, log=log)
    try:
        yield server.wait_healthy(30)
    finally:
        server.stop()


def get(url: str) -> tuple[int, dict[str, str]]:
    """Status and headers (names in lower case: HAProxy sends them so)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}


def test_the_metrics_endpoint_is_closed_at_the_proxy(dashboard, proxy):
    assert get(dashboard.url + "_stcore/metrics")[0] == 200  # Streamlit serves it to anyone
    assert get(proxy.url + "_stcore/metrics")[0] == 404
    assert get(proxy.url + "_stcore/health")[0] == 200


def test_pages_through_the_proxy_cannot_be_framed_and_still_work(proxy, open_context):
    status, headers = get(proxy.url)
    assert status == 200
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert "server" not in headers

    context, watch = open_context(proxy)
    page = context.new_page()
    assert load(page, proxy.url) == []
    assert check_page(page, main_elements("")) == []
    assert watch.problems() == []


def test_the_open_mode_banner_shows_on_a_phone(dashboard, open_context):
    context, watch = open_context(dashboard, viewport={"width": 390, "height": 844})
    page = context.new_page()
    assert load(page, dashboard.url) == []
    # The sidebar (and its copy of the banner) starts collapsed on a screen this narrow.
    banner = page.locator("[data-testid='stMain'] [data-testid='stAlertContentWarning']")
    banner = banner.filter(has_text="开放演示模式")
    assert banner.count() == 1 and banner.is_visible()
    box = banner.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert watch.problems() == []
