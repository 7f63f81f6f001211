"""Sign-in, jurisdiction scope and the audit log: who sees what."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from data_access import db, users
from data_access.scope import PROVINCE, Scope
from tests.conftest import APP, token_claims

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "dashboard",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def signed_in(demo_sqlite_url, monkeypatch):
    """An AppTest with [auth] configured and the given identity signed in (or None)."""
    monkeypatch.setenv(db.ENV_VAR, demo_sqlite_url)
    engine = db.make_engine(demo_sqlite_url)

    def make(
        identity: str | None, role: str | None = None, area: str | None = None, **query_params
    ) -> AppTest:
        if role:
            users.save_account(engine, identity, role, area, by="test")
        at = AppTest.from_file(APP, default_timeout=90)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": False} if identity is None else token_claims(identity)
        for key, value in query_params.items():
            at.query_params[key] = value
        return at.run()

    make.engine = engine
    return make


def all_text(at: AppTest) -> str:
    parts = [
        e.value
        for kind in (
            "title",
            "markdown",
            "caption",
            "info",
            "warning",
            "error",
            "success",
            "header",
            "subheader",
        )
        for e in getattr(at, kind)
    ]
    parts += [str(m.label) + str(m.value) for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_signed_out_sees_only_the_sign_in_button(signed_in):
    at = signed_in(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["登录"]
    assert not at.metric and not at.dataframe and not at.sidebar.selectbox


def test_unknown_identity_sees_only_no_access(signed_in):
    at = signed_in("stranger@example.com")
    assert at.title[0].value == "无访问权限"
    assert "stranger@example.com" in at.error[0].value
    assert not at.metric and not at.dataframe and not at.sidebar.selectbox
    log = users.audit_log(signed_in.engine, action="denied")
    assert "stranger@example.com" in set(log["identity"])


def test_deactivated_user_is_denied(signed_in):
    signed_in("gone@example.com", "province_viewer")
    users.deactivate(signed_in.engine, "gone@example.com", by="test")
    at = signed_in("gone@example.com")
    assert at.title[0].value == "无访问权限" and not at.metric


def test_prefecture_staff_see_only_their_prefecture(signed_in, app):
    at = signed_in("staff@tianshui.example", "prefecture_staff", "天水市")
    assert not at.exception
    assert at.sidebar.selectbox(key="prefecture").options == ["天水市"]
    province_view = app()
    province_view.sidebar.selectbox(key="prefecture").select("620500").run()
    assert {m.label: m.value for m in at.metric} == {m.label: m.value for m in province_view.metric}
    assert "sign_in" in set(users.audit_log(signed_in.engine, action="sign_in")["action"])


def test_tampered_url_shows_own_area_and_a_notice(signed_in):
    at = signed_in(
        "staff@tianshui.example", "prefecture_staff", "天水市", prefecture="兰州市", county="城关区"
    )
    assert at.sidebar.selectbox(key="prefecture").value == "620500"
    assert any("超出您的权限范围" in w.value for w in at.warning)
    text = all_text(at)
    assert "兰州" not in text and "城关区" not in text


def test_county_staff_see_only_their_county(signed_in):
    at = signed_in("staff@qinzhou.example", "county_staff", "秦州区")
    assert at.sidebar.selectbox(key="prefecture").options == ["天水市"]
    assert at.sidebar.selectbox(key="county").options == ["秦州区"]
    assert "天水市 · 秦州区" in at.caption[0].value


def test_login_required_without_auth_refuses(demo_sqlite_url, monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, demo_sqlite_url)
    monkeypatch.setenv("DASHBOARD_REQUIRE_LOGIN", "1")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "要求登录" in at.error[0].value
    assert not at.metric and not at.sidebar.selectbox


def test_open_mode_says_so(app):
    at = app()
    assert any("开放演示模式" in w.value for w in at.sidebar.warning)


def test_accounts_and_scopes(empty_engine):
    a = users.save_account(empty_engine, " Li@Example.COM ", "prefecture_staff", "天水", by="admin")
    assert a.identity == "li@example.com" and a.scope == Scope(prefecture="620500")
    c = users.save_account(empty_engine, "wang@example.com", "county_staff", "620502", by="admin")
    assert c.scope == Scope(prefecture="620500", county="620502")
    p = users.save_account(empty_engine, "boss@example.com", "province_viewer", by="admin")
    assert p.scope == PROVINCE
    with pytest.raises(users.UserError, match="必须指定管辖地区"):
        users.save_account(empty_engine, "x@example.com", "county_staff", by="admin")
    with pytest.raises(users.UserError, match="未知地区"):
        users.save_account(empty_engine, "x@example.com", "prefecture_staff", "火星", by="admin")
    with pytest.raises(users.UserError, match="应为县区"):
        users.save_account(empty_engine, "x@example.com", "county_staff", "天水市", by="admin")
    assert users.deactivate(empty_engine, "LI@example.com", by="admin")
    assert not users.get_account(empty_engine, "li@example.com").active
    changes = users.audit_log(empty_engine, action="user_change")
    assert len(changes) == 4 and set(changes["identity"]) == {"admin"}


def signed_in_with(engine_url: str, monkeypatch, claims: dict) -> AppTest:
    """The app as the sign-in with these ID-token claims would see it."""
    monkeypatch.setenv(db.ENV_VAR, engine_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = claims
    return at.run()


def test_an_unverified_email_matching_an_admin_gets_nothing(
    signed_in, demo_sqlite_url, monkeypatch
):
    signed_in("boss@gansu.example", "admin")
    claims = token_claims("boss@gansu.example", sub="attacker-7", email_verified=False)
    at = signed_in_with(demo_sqlite_url, monkeypatch, claims)
    assert at.title[0].value == "无访问权限"
    assert "attacker-7" in at.error[0].value
    assert not at.metric and not at.sidebar.selectbox
    # the same address, verified by the provider, is the administrator
    verified = signed_in_with(demo_sqlite_url, monkeypatch, token_claims("boss@gansu.example"))
    assert verified.sidebar.caption[0].value == "当前用户：boss@gansu.example" and verified.metric


def test_a_user_registered_by_subject_signs_in_without_a_verified_email(
    signed_in, demo_sqlite_url, monkeypatch
):
    users.save_account(signed_in.engine, "oidc|20240017", "province_viewer", by="test")
    claims = token_claims("someone@gansu.example", sub="oidc|20240017", email_verified=False)
    at = signed_in_with(demo_sqlite_url, monkeypatch, claims)
    assert at.metric and "oidc|20240017" in at.sidebar.caption[0].value


def test_a_token_issued_before_signing_out_is_refused(signed_in, demo_sqlite_url, monkeypatch):
    signed_in("staff@tianshui.example", "prefecture_staff", "天水市")
    issued = int(time.time()) - 60
    old = token_claims("staff@tianshui.example", iat=issued)
    assert signed_in_with(demo_sqlite_url, monkeypatch, old).metric  # still signed in

    at = signed_in_with(demo_sqlite_url, monkeypatch, old)
    sign_out = at.sidebar.button[0]
    assert sign_out.label == "退出登录"
    sign_out.click().run()
    assert "sign_out" in set(users.audit_log(signed_in.engine, action="sign_out")["action"])

    replayed = signed_in_with(demo_sqlite_url, monkeypatch, old)  # the cookie saved earlier
    assert not replayed.metric and not replayed.sidebar.selectbox
    assert "退出后失效" in replayed.warning[0].value
    assert [b.label for b in replayed.button] == ["登录"]
    time.sleep(1.1)  # a new sign-in, issued after the sign-out, is let in
    fresh = token_claims("staff@tianshui.example", iat=int(time.time()))
    assert signed_in_with(demo_sqlite_url, monkeypatch, fresh).metric


def test_a_sign_in_lasts_a_working_day_unless_configured(signed_in, demo_sqlite_url, monkeypatch):
    signed_in("viewer@gansu.example", "province_viewer")
    yesterday = token_claims("viewer@gansu.example", iat=int(time.time()) - 11 * 3600)
    at = signed_in_with(demo_sqlite_url, monkeypatch, yesterday)
    assert not at.metric and "有效期" in at.warning[0].value
    assert signed_in_with(demo_sqlite_url, monkeypatch, {**yesterday, "iat": None}).warning
    monkeypatch.setenv("DASHBOARD_SESSION_HOURS", "12")
    assert signed_in_with(demo_sqlite_url, monkeypatch, yesterday).metric


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", " 1", "On ", "Yes"])
def test_every_usual_way_of_saying_yes_requires_login(demo_sqlite_url, monkeypatch, value):
    monkeypatch.setenv(db.ENV_VAR, demo_sqlite_url)
    monkeypatch.setenv("DASHBOARD_REQUIRE_LOGIN", value)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "要求登录" in at.error[0].value
    assert not at.metric and not at.sidebar.selectbox


@pytest.mark.parametrize("value", ["ture", "y", "2", "enabled", "是"])
def test_an_unreadable_require_login_refuses_to_start(demo_sqlite_url, monkeypatch, value):
    monkeypatch.setenv(db.ENV_VAR, demo_sqlite_url)
    monkeypatch.setenv("DASHBOARD_REQUIRE_LOGIN", value)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "配置有误" in at.error[0].value and "DASHBOARD_REQUIRE_LOGIN" in at.error[0].value
    assert not at.metric and not at.sidebar.selectbox


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_the_usual_ways_of_saying_no_run_the_open_demo(demo_sqlite_url, monkeypatch, value):
    monkeypatch.setenv(db.ENV_VAR, demo_sqlite_url)
    monkeypatch.setenv("DASHBOARD_REQUIRE_LOGIN", value)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.metric and any("开放演示模式" in w.value for w in at.sidebar.warning)


def test_open_demo_cannot_import_or_change_users(app, monkeypatch):
    data_page = app(page="data.py")
    assert not data_page.exception
    assert any("不能导入台账或修改用户" in i.value for i in data_page.info)
    assert not data_page.get("file_uploader")
    admin_page = app(page="admin.py")
    assert any("不能导入台账或修改用户" in i.value for i in admin_page.info)
    assert not admin_page.text_input and not admin_page.button
    monkeypatch.setenv("DASHBOARD_OPEN_WRITES", "1")  # a local demo on one's own machine
    assert app(page="data.py").get("file_uploader")
    assert app(page="admin.py").text_input


def test_open_mode_banner_is_in_the_main_area(app):
    at = app()
    assert any("开放演示模式" in w.value for w in at.main.warning)


def test_the_server_refuses_to_start_on_an_unreadable_setting(tmp_path):
    from tests.test_cli_and_config import run_cli

    result = run_cli("--port", "1", cwd=tmp_path, env={"DASHBOARD_REQUIRE_LOGIN": "ture"})
    assert result.returncode == 2
    assert "无法识别的设置 DASHBOARD_REQUIRE_LOGIN = 'ture'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "var").exists()
