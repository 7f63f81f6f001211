"""Pure table builders: query results in, the DataFrame a page shows (or exports) out."""

from __future__ import annotations

import pandas as pd

from dashboard.fmt import pct
from dashboard.i18n import t


def indicators_with_derived(
    indicators: pd.DataFrame, facilities: pd.DataFrame, compliance: dict[str, int]
) -> pd.DataFrame:
    """Fill the indicators whose value is derived, not reported: Love Huts and day-care centers
    operating (from the facility register) and the contact compliance rate (from contacts)."""
    frame = indicators.copy()
    operating = dict(zip(facilities["kind"], facilities["operating"], strict=True))
    for kind in ("love_hut", "day_care"):
        frame.loc[frame["source"] == kind, "achieved"] = float(operating.get(kind, 0))
    if compliance["pairings"]:
        rate = 100 * compliance["meeting"] / compliance["pairings"]
        frame.loc[frame["source"] == "contacts", "achieved"] = rate
    return frame


def indicator_progress_text(row, lang: str) -> str:
    """'3,257 / 8,000 户（40.7%）', '95.5%（目标≥95%）', or '3,638 人次（无量化目标）'."""
    unit = row["unit_zh"] if lang == "zh" else row["unit_en"]
    achieved = row["achieved"]
    if pd.isna(achieved):
        return t("no_data", lang)
    if row["kind"] == "rate":
        return (
            f"{achieved:.1f}%（≥{row['rate_target']:.0f}%）"
            if lang == "zh"
            else (f"{achieved:.1f}% (target ≥ {row['rate_target']:.0f}%)")
        )
    if pd.isna(row["target"]) or not row["target"]:
        return f"{achieved:,.0f} {unit}（{t('no_target', lang)}）"
    share = achieved / row["target"]
    return f"{achieved:,.0f} / {row['target']:,.0f} {unit}（{pct(share)}）"
