"""Settings that decide how safely the dashboard runs, read the same way by the app, the command
line and the migrations: whether sign-in is required, whether an open demo may write, how long a
sign-in lasts, and the keys that make stored ID-number hashes irreversible.

Each is taken from its environment variable first, else from `[dashboard]` in
.streamlit/secrets.toml (relative to the working directory). A value that cannot be read raises
SettingError instead of falling back to something more open: a mistyped
DASHBOARD_REQUIRE_LOGIN must not run an open dashboard with the whole province's data.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
# A sign-in lasts a working day unless configured (Streamlit's own cookie lasts 30 days).
DEFAULT_SESSION_HOURS = 10.0
MIN_KEY_CHARS = 16


class SettingError(ValueError):
    """A setting with a value the dashboard cannot read; the message is for the operator."""


def secrets(cwd: Path | None = None) -> dict:
    """The parsed .streamlit/secrets.toml, or {} when there is none."""
    path = (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(f".streamlit/secrets.toml 格式不正确：{exc}") from exc


def _raw(
    env: str, key: str, cwd: Path | None, section: dict | None = None
) -> tuple[str, object] | None:
    """(where it was found, value), or None when the setting is not given at all. An empty
    environment variable counts as not given. `section`: the [dashboard] table when the caller
    already has the secrets (the app reads them through st.secrets)."""
    value = os.environ.get(env)
    if value is not None and value.strip():
        return env, value
    if section is None:
        section = secrets(cwd).get("dashboard", {})
    if key in section:
        return f"[dashboard] {key}", section[key]
    return None


def flag(env: str, key: str, cwd: Path | None = None, section: dict | None = None) -> bool:
    """A yes/no setting: true/yes/1/on or false/no/0/off (any case, surrounding spaces ignored,
    TOML booleans too); absent means no; anything else raises SettingError."""
    found = _raw(env, key, cwd, section)
    if found is None:
        return False
    where, value = found
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise SettingError(
        f"无法识别的设置 {where} = {value!r}：请填写 true/yes/1/on 或 false/no/0/off。"
        "为安全起见，看板不会启动。"
    )


def require_login(cwd: Path | None = None, section: dict | None = None) -> bool:
    """Production: show nothing unless sign-in ([auth]) is configured."""
    return flag("DASHBOARD_REQUIRE_LOGIN", "require_login", cwd, section)


def open_writes(cwd: Path | None = None, section: dict | None = None) -> bool:
    """Whether an open demo (no sign-in) may import ledgers and change users: only for a local
    demo on one's own machine, never on a shared server."""
    return flag("DASHBOARD_OPEN_WRITES", "open_writes", cwd, section)


def session_hours(cwd: Path | None = None, section: dict | None = None) -> float:
    """How long a sign-in is honoured after the provider issued it."""
    found = _raw("DASHBOARD_SESSION_HOURS", "session_hours", cwd, section)
    if found is None:
        return DEFAULT_SESSION_HOURS
    where, value = found
    try:
        hours = float(str(value).strip())
    except ValueError:
        hours = 0.0
    if not 0 < hours <= 24 * 30:
        raise SettingError(f"无法识别的设置 {where} = {value!r}：应为 0 到 720 之间的小时数。")
    return hours


def check_all(cwd: Path | None = None) -> None:
    """Read every setting once, so that a bad value stops the program at start."""
    require_login(cwd)
    open_writes(cwd)
    session_hours(cwd)
    id_keys(cwd)


def id_keys(cwd: Path | None = None) -> list[str]:
    """The ID-number hash keys, oldest first, newest last: DASHBOARD_ID_KEY (or `id_key`) is the
    current key; DASHBOARD_ID_KEY_PREVIOUS (space-separated) or `id_key_previous` (a list) holds
    the keys it replaced, in the order they were used. Empty when no key is configured."""
    current = _raw("DASHBOARD_ID_KEY", "id_key", cwd)
    if current is None:
        return []
    previous = _raw("DASHBOARD_ID_KEY_PREVIOUS", "id_key_previous", cwd)
    older: list[str] = []
    if previous is not None:
        where, value = previous
        older = value.split() if isinstance(value, str) else [str(v) for v in value]
    keys = [*older, str(current[1]).strip()]
    if any(len(k) < MIN_KEY_CHARS for k in keys):
        raise SettingError(
            f"身份证号密钥太短：每个密钥至少 {MIN_KEY_CHARS} 个字符"
            '（可用 python -c "import secrets; print(secrets.token_urlsafe(32))" 生成）。'
        )
    return keys
