"""Who is looking, and which area they may see. Without sign-in configured the dashboard runs in
open demo mode: every viewer sees the whole province."""

from __future__ import annotations

from data_access.scope import PROVINCE, Scope


def scope() -> Scope:
    return PROVINCE
