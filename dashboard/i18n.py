"""Every label of the dashboard, in Chinese (default) and English."""

from __future__ import annotations

LANGS = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    "app_title": (
        "结对关爱困难重度残疾人行动 · 十大提升措施监测看板",
        "Pairing cadres with severely disabled people: ten measures dashboard",
    ),
    "app_short": ("结对关爱监测看板", "Pairing action dashboard"),
    "federation": ("甘肃省残疾人联合会", "Gansu Disabled Persons' Federation"),
    "page_overview": ("总览", "Overview"),
    "page_budget": ("预算执行", "Budget execution"),
    "page_maps": ("设施地图", "Facility maps"),
    "page_contacts": ("联系帮扶", "Cadre contacts"),
    "page_data": ("数据管理", "Data management"),
    "page_briefing": ("季通报", "Quarterly briefing"),
    "filters": ("筛选", "Filters"),
    "year": ("年度", "Year"),
    "period": ("期间", "Period"),
    "prefecture": ("市州", "Prefecture"),
    "county": ("县区", "County"),
    "all_province": ("全省", "Whole province"),
    "all_prefecture": ("全市州", "Whole prefecture"),
    "language": ("语言 / Language", "语言 / Language"),
    "Y": ("全年", "Whole year"),
    "Q1": ("第一季度", "Q1"),
    "Q2": ("第二季度", "Q2"),
    "Q3": ("第三季度", "Q3"),
    "Q4": ("第四季度", "Q4"),
    "month_n": ("{n}月", "Month {n}"),
    "as_of": ("截至 {date}", "As of {date}"),
    "planned": ("计划资金（万元）", "Planned (10k yuan)"),
    "disbursed": ("累计支出（万元）", "Disbursed (10k yuan)"),
    "period_disbursed": ("本期支出（万元）", "In period (10k yuan)"),
    "execution_rate": ("预算执行率", "Execution rate"),
    "time_progress": ("时序进度", "Time progress"),
    "gap_pp": ("与时序进度差（百分点）", "Gap to time progress (pp)"),
    "gap_money": ("差额（万元）", "Shortfall (10k yuan)"),
    "status": ("状态", "Status"),
    "on_track": ("正常", "On track"),
    "behind": ("滞后", "Behind"),
    "no_money": ("无资金安排", "No money"),
    "measure": ("措施", "Measure"),
    "measures_table": ("十大提升措施", "The ten measures"),
    "indicators": ("主要指标", "Indicators"),
    "indicator": ("指标", "Indicator"),
    "target": ("目标", "Target"),
    "achieved": ("完成", "Achieved"),
    "progress": ("完成率", "Progress"),
    "no_target": ("无量化目标", "No numeric target"),
    "no_data": ("暂无数据", "No data"),
    "love_huts": ("“爱心屋”运营", "Love Huts operating"),
    "day_care": ("日间照料中心运营", "Day-care centers operating"),
    "love_hut": ("爱心屋", "Love Hut"),
    "day_care_center": ("日间照料中心", "Day-care center"),
    "of_target": ("目标 {target}", "target {target}"),
    "compliance_rate": ("干部联系达标率", "Cadre contact compliance"),
    "compliance_help": (
        "截至期末，远程联系和入户探视次数均达到应有进度的结对占比（全年标准：联系≥4次、入户≥2次）",
        "Share of pairings whose remote contacts and home visits are on pace at the period's end (year: ≥ 4 contacts, ≥ 2 visits)",
    ),
    "pairings_meeting": (
        "{meeting:,} / {pairings:,} 个结对",
        "{meeting:,} of {pairings:,} pairings",
    ),
    "trend_title": ("累计支出进度与时序进度", "Cumulative execution against time progress"),
    "month": ("月份", "Month"),
    "cumulative_rate": ("累计执行率", "Cumulative execution"),
    "demo_notice": (
        "演示数据：预算额度和省级目标取自2024年2月20日省残联通知；各地分配、支出、设施、干部、联系记录等均为示意数据。",
        "Demo data: budget amounts and province targets are those of the notice of 20 Feb 2024; the split over areas, disbursements, facilities, cadres and contacts are illustrative.",
    ),
    "illustrative": ("示意", "illustrative"),
    "db_unavailable": ("数据库不可用", "Database unavailable"),
    "db_empty": (
        "数据库中还没有数据。请在命令行运行 `python -m dashboard demo` 生成演示数据，或在“数据管理”页导入台账。",
        "The database holds no data yet. Run `python -m dashboard demo` for demo data, or import ledgers.",
    ),
    "error_page": (
        "页面出错了，已记录日志。请稍后重试或联系管理员。",
        "Something went wrong; it has been logged. Please retry or contact the administrator.",
    ),
    "scope_clamped": (
        "所选地区超出您的权限范围，已显示您有权查看的地区。",
        "The chosen area is outside your jurisdiction; showing your own area.",
    ),
    "headline": ("{area}{period}", "{area} · {period}"),
    "money_unit": ("万元", "10k yuan"),
    # --- sign-in, jurisdiction and administration ---
    "page_admin": ("用户与审计", "Users and audit"),
    "open_mode": (
        "开放演示模式：未配置登录，任何访问者都可查看全省数据。正式使用前请配置 [auth]。",
        "Open demo mode: sign-in is not configured and every visitor sees the whole province.",
    ),
    "login_not_configured": (
        "本看板要求登录，但尚未配置登录（.streamlit/secrets.toml 的 [auth]）。请联系管理员。",
        "Sign-in is required but [auth] is not configured. Contact the administrator.",
    ),
    "please_sign_in": (
        "请使用单位统一身份账号登录后查看。",
        "Please sign in with your organisation account.",
    ),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出登录", "Sign out"),
    "signed_in_as": ("当前用户：{identity}", "Signed in as {identity}"),
    "no_access_title": ("无访问权限", "No access"),
    "no_access": (
        "账号 {identity} 尚未开通本看板的访问权限。请联系省残联管理员开通。",
        "The account {identity} has no access to this dashboard. Ask the provincial administrator.",
    ),
    "users": ("用户", "Users"),
    "identity": ("账号（邮箱或标识）", "Account (e-mail or subject)"),
    "display_name": ("姓名", "Name"),
    "role": ("角色", "Role"),
    "jurisdiction": ("管辖地区", "Jurisdiction"),
    "save_user": ("保存用户", "Save user"),
    "deactivate_user": ("停用用户", "Deactivate user"),
    "user_saved": ("已保存：{identity}", "Saved: {identity}"),
    "user_deactivated": ("已停用：{identity}", "Deactivated: {identity}"),
    "audit_log": ("审计日志", "Audit log"),
    "action": ("操作", "Action"),
    "admin_only": (
        "仅省级管理员可访问此页。",
        "Only provincial administrators may open this page.",
    ),
}


def t(key: str, lang: str = "zh", **values) -> str:
    zh, en = LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def period_label(period: str, lang: str = "zh") -> str:
    if period.startswith("M"):
        return t("month_n", lang, n=int(period[1:]))
    return t(period, lang)
