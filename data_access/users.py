"""Viewers of the dashboard (users table: identity → role and jurisdiction) and the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select, update

from data_access.models import ROLES, AuditEvent, County, Prefecture, User
from data_access.scope import PROVINCE, Scope, prefecture_of

ROLE_NAMES = {
    "admin": "省级管理员",
    "province_viewer": "省级查看",
    "prefecture_staff": "市州工作人员",
    "county_staff": "县区工作人员",
}
AUDIT_ACTIONS = ("sign_in", "sign_out", "denied", "import", "export", "user_change", "note")


class UserError(ValueError):
    """A user row that cannot be saved; the message is for the administrator."""


@dataclass(frozen=True)
class Account:
    identity: str
    role: str
    display_name: str | None
    prefecture_code: str | None
    county_code: str | None
    active: bool

    @property
    def scope(self) -> Scope:
        if self.role == "county_staff":
            return Scope(county=self.county_code)
        if self.role == "prefecture_staff":
            return Scope(prefecture=self.prefecture_code)
        return PROVINCE


def normalise_identity(identity: str) -> str:
    """E-mail addresses match case-insensitively; subjects are kept as given."""
    identity = identity.strip()
    return identity.lower() if "@" in identity else identity


def get_account(engine: Engine, identity: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                User.identity,
                User.role,
                User.display_name,
                User.prefecture_code,
                User.county_code,
                User.active,
            ).where(User.identity == normalise_identity(identity))
        ).one_or_none()
    return Account(*row) if row else None


def list_accounts(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(
            select(
                User.identity,
                User.display_name,
                User.role,
                Prefecture.name.label("prefecture"),
                County.name.label("county"),
                User.active,
                User.created_at,
            )
            .outerjoin(Prefecture, Prefecture.code == User.prefecture_code)
            .outerjoin(County, County.code == User.county_code)
            .order_by(User.role, User.identity)
        )
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def resolve_area(engine: Engine, text: str) -> tuple[str | None, str | None]:
    """An area by code, full name or short name → (prefecture_code, county_code)."""
    text = text.strip()
    with engine.connect() as conn:
        pref = (
            conn.execute(
                select(Prefecture.code).where(
                    (Prefecture.code == text)
                    | (Prefecture.name == text)
                    | (Prefecture.short_name == text)
                )
            )
            .scalars()
            .all()
        )
        if len(pref) == 1:
            return pref[0], None
        county = (
            conn.execute(
                select(County.code).where(
                    (County.code == text) | (County.name == text) | (County.short_name == text)
                )
            )
            .scalars()
            .all()
        )
    if len(county) == 1:
        return prefecture_of(county[0]), county[0]
    if len(county) > 1:
        raise UserError(f"地区“{text}”不唯一，请用 6 位行政区划代码。")
    raise UserError(f"未知地区：“{text}”。")


def save_account(
    engine: Engine,
    identity: str,
    role: str,
    area: str | None = None,
    display_name: str | None = None,
    *,
    by: str,
) -> Account:
    """Create or update a user; staff roles need an area of the matching level."""
    identity = normalise_identity(identity)
    if not identity:
        raise UserError("账号（邮箱或标识）不能为空。")
    if role not in ROLES:
        raise UserError(f"未知角色：{role}（可选：{'、'.join(ROLES)}）。")
    prefecture = county = None
    if role in ("prefecture_staff", "county_staff"):
        if not area:
            raise UserError(f"{ROLE_NAMES[role]}必须指定管辖地区。")
        prefecture, county = resolve_area(engine, area)
        if role == "prefecture_staff" and county and prefecture != county:
            raise UserError("市州工作人员的管辖地区应为市州。")
        if role == "county_staff" and not county:
            raise UserError("县区工作人员的管辖地区应为县区。")
        if role == "prefecture_staff":
            county = None
    values = {
        "role": role,
        "display_name": display_name,
        "prefecture_code": prefecture,
        "county_code": county,
        "active": True,
    }
    with engine.begin() as conn:
        updated = conn.execute(update(User).where(User.identity == identity).values(**values))
        if updated.rowcount == 0:
            conn.execute(
                User.__table__.insert().values(
                    identity=identity, created_at=dt.datetime.now(dt.UTC), **values
                )
            )
        _audit(conn, by, "user_change", f"{identity} → {ROLE_NAMES[role]} {area or ''}".strip())
    return get_account(engine, identity)


def deactivate(engine: Engine, identity: str, *, by: str) -> bool:
    identity = normalise_identity(identity)
    with engine.begin() as conn:
        done = conn.execute(
            update(User).where(User.identity == identity).values(active=False)
        ).rowcount
        if done:
            _audit(conn, by, "user_change", f"{identity} 停用")
    return bool(done)


def _audit(conn, identity: str, action: str, detail: str | None) -> None:
    conn.execute(
        AuditEvent.__table__.insert().values(
            at=dt.datetime.now(dt.UTC), identity=identity, action=action, detail=detail
        )
    )


def audit(engine: Engine, identity: str, action: str, detail: str | None = None) -> None:
    """Record who did what. Details name files, areas and users, never recipients."""
    with engine.begin() as conn:
        _audit(conn, identity, action, detail)


def last_sign_out(engine: Engine, identity: str) -> dt.datetime | None:
    """When this identity last signed out (UTC), or None."""
    with engine.connect() as conn:
        at = conn.execute(
            select(func.max(AuditEvent.at)).where(
                AuditEvent.identity == normalise_identity(identity),
                AuditEvent.action == "sign_out",
            )
        ).scalar_one()
    if at is None:
        return None
    if isinstance(at, str):  # SQLite hands back text when the column was aggregated
        at = dt.datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def audit_log(engine: Engine, limit: int = 500, action: str | None = None) -> pd.DataFrame:
    stmt = select(AuditEvent.at, AuditEvent.identity, AuditEvent.action, AuditEvent.detail)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    with engine.connect() as conn:
        result = conn.execute(
            stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        )
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
