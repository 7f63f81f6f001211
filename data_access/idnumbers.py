"""Resident ID numbers are never stored. Each recipient keeps the last four characters and a keyed
hash of the number, so that the next import recognises the same person (one number, one record)
while a copy of the database alone does not give the number back.

An unkeyed SHA-256 would: with the county and the last four characters stored beside it, only
the birth date is unknown, a few tens of thousands of guesses per person. The stored value is

    HMAC-SHA256(k_n, … HMAC-SHA256(k_1, SHA-256(number)) …)

with the keys of `settings.id_keys()` (kept outside the database: the environment or
.streamlit/secrets.toml), oldest first. Rotating the key wraps every stored value once more with
the new key (`python -m dashboard rekey`), so neither the numbers nor the old key are needed;
the old keys stay configured as `id_key_previous` to compute the chain for new numbers, but
without the newest key they recover nothing from the database. Building the chain on the plain
SHA-256 is also how the databases that held only that were migrated (migration 0009).

The meta row `id_key_check` holds a fingerprint of the chain the stored values were made with;
a different key is refused instead of silently letting duplicates through.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import partial

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.exc import DBAPIError

from data_access import settings
from data_access.db import fault_message, set_meta
from data_access.models import Meta, Recipient

# Public on purpose, and labelled so: open demo mode hashes with it. A database holding real ID
# numbers must use a key of its own (DASHBOARD_ID_KEY), which sign-in mode insists on.
DEMO_KEY = "DEMO-KEY 演示密钥：公开，仅用于演示，不得用于真实身份证号"
META_KEY = "id_key_check"
_PROBE = hashlib.sha256(b"jiedui id key check").hexdigest()


class KeyProblem(RuntimeError):
    """No usable key, or not the key the stored values were made with; the message is for the
    operator and names the remedy."""


def chain() -> list[str]:
    """The configured keys, oldest first; the labelled demo key when none is configured and
    sign-in is not required. Raises KeyProblem in production without a key."""
    keys = settings.id_keys()
    if keys:
        return keys
    if settings.require_login():
        raise KeyProblem(
            "未配置身份证号密钥（环境变量 DASHBOARD_ID_KEY 或 secrets.toml 的 [dashboard] id_key）。"
            "正式使用（要求登录）时不写入任何数据，请配置密钥后重试。"
        )
    return [DEMO_KEY]


def wrap(value: str, keys: list[str]) -> str:
    for key in keys:
        value = hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
    return value


def digest(number: str, keys: list[str]) -> str:
    """The stored form of a checked ID number."""
    return wrap(hashlib.sha256(number.encode()).hexdigest(), keys)


def fingerprint(keys: list[str]) -> str:
    return wrap(_PROBE, keys)[:16]


def _mismatch(conn: Connection, keys: list[str]) -> str | None:
    stored = conn.execute(select(Meta.value).where(Meta.key == META_KEY)).scalar_one_or_none()
    if stored is None or stored == fingerprint(keys):
        return None
    if not conn.execute(
        select(Recipient.id).where(Recipient.id_hash.is_not(None)).limit(1)
    ).first():
        return None  # nothing hashed yet: any key may start
    if len(keys) > 1 and stored == fingerprint(keys[:-1]):
        return (
            "身份证号密钥已更换，但库中的身份证号哈希仍是用旧密钥生成的。"
            "请先运行 `python -m dashboard rekey`，之后才能导入。"
        )
    if stored == fingerprint([DEMO_KEY]):
        return (
            "库中的身份证号哈希是用公开的演示密钥生成的。请把演示密钥列为 id_key_previous（见 README"
            "“身份证号密钥”一节），再运行 `python -m dashboard rekey`，之后才能导入。"
        )
    return (
        "所配置的身份证号密钥与库中身份证号哈希所用的密钥不一致，无法识别重复的身份证号，未导入。"
        "请核对 DASHBOARD_ID_KEY 和 DASHBOARD_ID_KEY_PREVIOUS（或 secrets.toml 的 id_key、"
        "id_key_previous）。"
    )


def key_problem(engine: Engine) -> str | None:
    """Why ID numbers cannot be hashed for this database now, or None."""
    try:
        keys = chain()
    except (KeyProblem, settings.SettingError) as exc:
        return str(exc)
    try:
        with engine.connect() as conn:
            return _mismatch(conn, keys)
    except DBAPIError as exc:  # the database itself is the problem: say which
        return f"{fault_message(exc)}，未写入任何数据。"


def hasher(conn: Connection) -> Callable[[str], str]:
    """The hash for new ID numbers, inside the caller's transaction; records the key's
    fingerprint the first time the database stores one."""
    keys = chain()
    problem = _mismatch(conn, keys)
    if problem:
        raise KeyProblem(problem)
    set_meta(conn, META_KEY, fingerprint(keys))
    return partial(digest, keys=keys)


def rekey(engine: Engine) -> int:
    """After a new key was added (the old one moved to id_key_previous): wrap every stored hash
    with the new key. Returns the number of records re-keyed."""
    keys = chain()
    with engine.begin() as conn:
        stored = conn.execute(select(Meta.value).where(Meta.key == META_KEY)).scalar_one_or_none()
        if stored in (None, fingerprint(keys)):
            return 0
        if stored != fingerprint(keys[:-1]):
            raise KeyProblem(_mismatch(conn, keys) or "")
        rows = conn.execute(
            select(Recipient.id, Recipient.id_hash).where(Recipient.id_hash.is_not(None))
        ).all()
        if rows:
            conn.execute(
                update(Recipient)
                .where(Recipient.id == bindparam("rid"))
                .values(id_hash=bindparam("new_hash")),
                [{"rid": rid, "new_hash": wrap(value, keys[-1:])} for rid, value in rows],
            )
        set_meta(conn, META_KEY, fingerprint(keys))
    return len(rows)
