"""Sign-in through a real OpenID Connect provider (oidc-provider-mock on loopback), in the
browser: a prefecture's staff member sees only their prefecture; an identity without a user row
sees only the no-access page; signing out passes through the provider's end-session page."""

import json
import secrets
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
import warnings

import pytest

from .conftest import app_workdir, unavailable
from .harness import (
    NAV_LINKS,
    AppServer,
    app_env,
    area_caption,
    check_page,
    free_port,
    load,
    main_elements,
    options,
    selected,
    wait_settled,
)

pytestmark = [
    pytest.mark.browser,
    # Authlib warns about how the mock provider (not the dashboard) configures its tokens.
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]

STAFF = "staff@tianshui.example"
STRANGER = "nobody@elsewhere.example"
# The mock provider's own page template links Pico CSS from jsDelivr. That is the test double's
# page, not the dashboard's: the request is still blocked, just not counted as ours.
PROVIDER_CSS = ("https://cdn.jsdelivr.net/npm/@picocss/",)
DATA_ELEMENTS = (
    "[data-testid='stMetric'], [data-testid='stDataFrame'], [data-testid='stPlotlyChart'], "
    "[data-testid='stDeckGlJsonChart'], [data-testid='stSidebar'] [data-testid='stSelectbox']"
)


@pytest.fixture(scope="module")
def provider():
    """oidc-provider-mock on 127.0.0.1 (the same origin everywhere, or the cookie is lost)."""
    try:
        # The mock imports parts of Authlib that Authlib marks deprecated (not the dashboard's
        # concern). Authlib turns its warnings on when imported, so import it first.
        with warnings.catch_warnings():
            import authlib.deprecate  # noqa: F401

            warnings.simplefilter("ignore", DeprecationWarning)
            from oidc_provider_mock import app as provider_app
        from werkzeug.serving import make_server
    except ImportError:
        unavailable("oidc-provider-mock is not installed (pip install -e '.[test]')")
    server = make_server("127.0.0.1", 0, provider_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    yield server
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory, demo_db_template, provider, browser):
    """The dashboard with [auth] configured, run from a working directory holding its own
    .streamlit/secrets.toml, and one user: prefecture staff of 天水市."""
    workdir, db_url = app_workdir(tmp_path_factory.mktemp("sign-in"), demo_db_template)
    port = free_port()
    (workdir / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "jiedui-dashboard"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider.server_port}'
        '/.well-known/openid-configuration"\n'
    )
    added = subprocess.run(
        [sys.executable, "-m", "dashboard", "users", "add", STAFF]
        + ["--role", "prefecture_staff", "--area", "天水市"],
        cwd=workdir,
        env=app_env(DASHBOARD_DB_URL=db_url),
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    server = AppServer.dashboard(cwd=workdir, db_url=db_url, log=workdir / "app.log", port=port)
    server.workdir, server.db_url = workdir, db_url
    try:
        yield server.wait_healthy()
    finally:
        server.stop()


def sign_in(page, app: AppServer, provider, identity: str) -> None:
    assert load(page, app.url) == []
    assert page.locator(DATA_ELEMENTS).count() == 0  # nothing before signing in
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"http://127.0.0.1:{provider.server_port}/**")
    page.locator("input[name='sub']").fill(identity)  # the mock sets email = sub
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app.url}**")
    wait_settled(page)


def test_prefecture_staff_sees_only_their_prefecture_then_signs_out(
    signed_app, provider, open_context
):
    context, watch = open_context(signed_app, provider, tolerated=PROVIDER_CSS)
    page = context.new_page()
    sign_in(page, signed_app, provider, STAFF)

    sidebar = page.locator("[data-testid='stSidebar']")
    assert f"当前用户：{STAFF}" in sidebar.inner_text()
    assert options(page, "市州") == ["天水市"]
    assert selected(page, "市州") == "天水市"
    assert area_caption(page).startswith("天水市 ·")
    assert check_page(page, main_elements("")) == []

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"http://127.0.0.1:{provider.server_port}/**")
    assert page.get_by_role("heading", name="End Session").is_visible()
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{signed_app.url}**")
    wait_settled(page)
    assert page.get_by_role("button", name="登录").is_visible()
    assert page.locator(DATA_ELEMENTS).count() == 0
    assert STAFF not in page.locator("[data-testid='stApp']").inner_text()
    assert watch.problems() == []


def test_identity_without_a_user_row_sees_only_no_access(signed_app, provider, open_context):
    context, watch = open_context(signed_app, provider, tolerated=PROVIDER_CSS)
    page = context.new_page()
    sign_in(page, signed_app, provider, STRANGER)

    assert page.get_by_role("heading", name="无访问权限").is_visible()
    assert STRANGER in page.locator("[data-testid='stAlertContentError']").inner_text()
    assert page.locator(NAV_LINKS).count() == 0
    assert page.locator(DATA_ELEMENTS).count() == 0
    assert page.get_by_role("button", name="退出登录").is_visible()
    assert watch.problems() == []


ADMIN = "admin@gansu.example"


def provider_user(provider, sub: str, **claims) -> None:
    """Tell the mock provider which claims the ID token of `sub` carries."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{provider.server_port}/users/{urllib.parse.quote(sub)}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


def add_user(app: AppServer, identity: str, *role: str) -> None:
    added = subprocess.run(
        [sys.executable, "-m", "dashboard", "users", "add", identity, "--role", *role],
        cwd=app.workdir,
        env=app_env(DASHBOARD_DB_URL=app.db_url),
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr


def test_an_unverified_email_of_an_administrator_gets_no_access(signed_app, provider, open_context):
    add_user(signed_app, ADMIN, "admin")
    provider_user(provider, "intruder-01", email=ADMIN, email_verified=False)
    context, watch = open_context(signed_app, provider, tolerated=PROVIDER_CSS)
    page = context.new_page()
    sign_in(page, signed_app, provider, "intruder-01")
    assert page.get_by_role("heading", name="无访问权限").is_visible()
    assert "intruder-01" in page.locator("[data-testid='stAlertContentError']").inner_text()
    assert page.locator(NAV_LINKS).count() == 0 and page.locator(DATA_ELEMENTS).count() == 0
    assert watch.problems() == []


def test_a_cookie_saved_before_signing_out_no_longer_signs_in(
    signed_app, provider, open_context, browser
):
    context, watch = open_context(signed_app, provider, tolerated=PROVIDER_CSS)
    page = context.new_page()
    sign_in(page, signed_app, provider, STAFF)
    assert options(page, "市州") == ["天水市"]
    saved = context.storage_state()  # what someone copies off the machine
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"http://127.0.0.1:{provider.server_port}/**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{signed_app.url}**")
    wait_settled(page)

    replay, replay_watch = open_context(
        signed_app, provider, tolerated=PROVIDER_CSS, storage_state=saved
    )
    again = replay.new_page()
    assert load(again, signed_app.url) == []
    assert again.get_by_role("button", name="登录").is_visible()
    assert "退出后失效" in again.locator("[data-testid='stAlertContentWarning']").inner_text()
    assert again.locator(DATA_ELEMENTS).count() == 0
    assert STAFF not in again.locator("[data-testid='stApp']").inner_text()
    assert watch.problems() == [] and replay_watch.problems() == []


def test_signed_in_pages_pass_the_accessibility_audit(signed_app, provider, open_context):
    """The sign-in page, then every page a prefecture's staff member sees once signed in (with
    the account box and their own area): no axe violation beyond the documented Streamlit ones,
    and the page declares Chinese."""
    from .a11y import allowed_violations, axe_problems, lang_problems, open_expanders
    from .harness import go_to, nav_paths

    allowed = allowed_violations()
    context, watch = open_context(signed_app, provider, tolerated=PROVIDER_CSS)
    page = context.new_page()
    assert load(page, signed_app.url) == []
    problems = [f"sign-in page: {p}" for p in axe_problems(page, allowed)]
    sign_in(page, signed_app, provider, STAFF)
    for path in nav_paths(page):
        problems += go_to(page, path)
        open_expanders(page)
        found = lang_problems(page, "zh") + axe_problems(page, allowed)
        problems += [f"/{path}: {p}" for p in found]
    assert problems == [], "\n".join(problems)
    assert watch.problems() == []
