"""Formatting: money in 万元 with two decimals, rates as percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def wan(fen: int | float | None) -> float | None:
    """Fen → 万元 rounded half-up to 0.01 (1 万元 = 1,000,000 fen)."""
    if fen is None:
        return None
    return float((Decimal(int(fen)) / Decimal(1_000_000)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def wan_text(fen: int | float | None) -> str:
    value = wan(fen)
    return "—" if value is None else f"{value:,.2f}"


def yuan(fen: int) -> Decimal:
    """Full yuan with fen, for exports."""
    return Decimal(int(fen)) / 100


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def pp(value: float | None) -> str:
    """A difference of rates in percentage points, signed."""
    return "—" if value is None else f"{value * 100:+.1f}"
