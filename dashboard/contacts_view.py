"""Pure builders of the contacts page (联系帮扶, measure 9): query results in, the tables and
figures a person reads out. No Streamlit here.

`compliance_counts` comes per county and cadre level; `rollup` sums it to the province, the
prefectures, the counties or the levels, so every view of the same period adds up."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import FONT
from dashboard.i18n import t
from data_access.contacts import COUNT_COLUMNS
from data_access.models import CADRE_LEVELS, CHANNELS, REMOTE_CHANNELS

CHANNEL_COLORS = {
    "phone": "#0072B2",
    "wechat": "#56B4E9",
    "sms": "#E69F00",
    "other": "#9AA5B1",
    "visit": "#C0392B",
}
RATE_COLORS = {"good": "#5B8DB8", "poor": "#C0392B"}
LINE_COLOR = "#1B5FA8"  # the overall rate's line and its words: 6.4 : 1 on white


def channel_name(channel: str, lang: str) -> str:
    return t(f"ct_ch_{channel}", lang)


def level_name(level: str, lang: str) -> str:
    return t(f"ct_level_{level}", lang)


def rate(on_track: int, pairings: int) -> float | None:
    """On track ÷ pairings; None without pairings (never a misleading 0 %)."""
    return on_track / pairings if pairings else None


# --- compliance -------------------------------------------------------------------------------


def totals(counts: pd.DataFrame) -> dict[str, int]:
    """The whole chosen area: every count summed."""
    return {c: int(counts[c].sum()) for c in COUNT_COLUMNS}


def rollup(counts: pd.DataFrame, by: str, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts summed by 'prefecture', 'county' or 'level', with a `name` and a `rate` column.
    Areas (or levels) without pairings are kept, with zeros and no rate."""
    if by == "level":
        keys = pd.DataFrame({"key": list(CADRE_LEVELS)})
        grouped = counts.groupby("level")[list(COUNT_COLUMNS)].sum()
    elif by in ("prefecture", "county"):
        code, name = f"{by}_code", f"{by}_name"
        source = areas if areas is not None else counts
        keys = (
            source[[code, name]].drop_duplicates(code).rename(columns={code: "key", name: "name"})
        )
        grouped = counts.groupby(code)[list(COUNT_COLUMNS)].sum()
    else:
        raise ValueError(f"by must be prefecture, county or level, not {by!r}")
    frame = keys.merge(grouped, left_on="key", right_index=True, how="left")
    frame[list(COUNT_COLUMNS)] = frame[list(COUNT_COLUMNS)].fillna(0).astype(int)
    frame["rate"] = [rate(o, p) for o, p in zip(frame["on_track"], frame["pairings"], strict=True)]
    return frame.reset_index(drop=True)


def _count_labels(lang: str) -> dict[str, str]:
    return {
        "pairings": t("ct_pairings", lang),
        "rate": t("compliance_rate", lang),
        "compliant": t("ct_compliant", lang),
        "on_track": t("ct_on_track", lang),
        "behind": t("ct_behind", lang),
        "at_risk": t("ct_at_risk", lang),
        "never_contacted": t("ct_never_contacted", lang),
        "never_visited": t("ct_never_visited", lang),
    }


def compliance_table(rolled: pd.DataFrame, by: str, lang: str, total: bool = True) -> pd.DataFrame:
    """The table of a roll-up: area (or level), pairings, rate (0…1), the counts; a total row
    last when asked."""
    frame = rolled.copy()
    if by == "level":
        frame["name"] = [level_name(k, lang) for k in frame["key"]]
    if total and len(frame) > 1:
        sums = {c: int(frame[c].sum()) for c in COUNT_COLUMNS}
        sums["rate"] = rate(sums["on_track"], sums["pairings"])
        sums["name"] = t("ct_total", lang)
        frame = pd.concat([frame, pd.DataFrame([sums])], ignore_index=True)
    first = t("ct_level", lang) if by == "level" else t("ct_area", lang)
    labels = {"name": first, **_count_labels(lang)}
    out = frame[list(labels)].rename(columns=labels)
    out[labels["rate"]] = out[labels["rate"]].astype(float)
    return out


def ranking_figure(rolled: pd.DataFrame, lang: str, overall: float | None) -> go.Figure:
    """Areas ranked by compliance rate (best on top); those below the chosen area's rate (the
    dashed line) in red. Areas without pairings are left out of the ranking."""
    ranked = rolled[rolled["pairings"] > 0].sort_values(["rate", "key"], ascending=[True, False])
    colors = [
        RATE_COLORS["poor"] if overall is not None and r < overall else RATE_COLORS["good"]
        for r in ranked["rate"]
    ]
    fig = go.Figure(
        go.Bar(
            x=ranked["rate"],
            y=ranked["name"],
            orientation="h",
            marker_color=colors,
            # Below the line in words too, not only in red.
            text=[
                f"{r:.1%} · {t('ct_below', lang)}"
                if overall is not None and r < overall
                else f"{r:.1%}"
                for r in ranked["rate"]
            ],
            textposition="outside",
            customdata=ranked[["on_track", "pairings"]],
            hovertemplate="%{y}: %{x:.1%}（%{customdata[0]:,} / %{customdata[1]:,}）<extra></extra>",
        )
    )
    if overall is not None:
        fig.add_vline(x=overall, line_dash="dash", line_color=LINE_COLOR)
        fig.add_annotation(
            x=overall,
            y=1,
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            text=f"{t('ct_overall', lang)} {overall:.1%}",
            font={"color": LINE_COLOR},
        )
    fig.update_layout(
        font={"family": FONT},
        height=max(260, 28 * len(ranked) + 100),
        margin={"l": 10, "r": 40, "t": 40, "b": 10},
        xaxis={"tickformat": ".0%", "range": [0, 1.12], "title": t("compliance_rate", lang)},
        yaxis={"title": None},
        showlegend=False,
    )
    return fig


# --- behind or at risk ------------------------------------------------------------------------


def missing_text(row, lang: str, quiet_days: int) -> str:
    """What a pairing lacks, in words: '联系差1次；入户差1次；90天无联系'."""
    parts = []
    if row["remote_missing"]:
        parts.append(t("ct_missing_remote_n", lang, n=int(row["remote_missing"])))
    if row["visits_missing"]:
        parts.append(t("ct_missing_visits_n", lang, n=int(row["visits_missing"])))
    if row["at_risk"] and row["quiet"]:
        parts.append(t("ct_missing_quiet", lang, days=quiet_days))
    if row["at_risk"] and row["pace_short"]:
        parts.append(t("ct_missing_pace", lang))
    return t("ct_sep", lang).join(parts)


def behind_table(frame: pd.DataFrame, lang: str, quiet_days: int) -> pd.DataFrame:
    """The list a person reads (and downloads): cadre, unit, level, area, masked recipient,
    contacts and visits so far, last contact, at risk or not, what is missing."""
    columns = {
        "cadre_name": t("ct_cadre", lang),
        "cadre_code": t("ct_cadre_code", lang),
        "unit": t("ct_unit", lang),
        "level": t("ct_level", lang),
        "area": t("ct_area", lang),
        "recipient": t("ct_recipient", lang),
        "remote": t("ct_remote", lang),
        "visits": t("ct_visits", lang),
        "last_contact": t("ct_last_contact", lang),
        "status": t("status", lang),
        "missing": t("ct_missing", lang),
    }
    if frame.empty:
        return pd.DataFrame(columns=list(columns.values()))
    out = frame.copy()
    # Thousands of rows share a handful of levels, statuses and shortfalls: word each kind once.
    out["level"] = out["level"].map({v: level_name(v, lang) for v in out["level"].unique()})
    out["area"] = out["prefecture_name"] + " · " + out["county_name"]
    behind, risk = t("ct_behind", lang), t("ct_at_risk", lang)
    status = {
        (on, at_risk): (behind + (t("ct_and", lang) + risk if at_risk else "")) if not on else risk
        for on in (False, True)
        for at_risk in (False, True)
    }
    out["status"] = [
        status[bool(on), bool(at_risk)]
        for on, at_risk in zip(out["on_track"], out["at_risk"], strict=True)
    ]
    keys = ["remote_missing", "visits_missing", "at_risk", "quiet", "pace_short"]
    worded: dict[tuple, str] = {}
    missing = []
    for flags in out[keys].itertuples(index=False, name=None):
        if flags not in worded:
            worded[flags] = missing_text(dict(zip(keys, flags, strict=True)), lang, quiet_days)
        missing.append(worded[flags])
    out["missing"] = missing
    return out[list(columns)].rename(columns=columns)


def cadre_options(frame: pd.DataFrame, lang: str) -> dict[int, str]:
    """Cadres on the list, in the list's order: id → '张三 · 兰州市残疾人联合会（C000123）'."""
    if frame.empty:
        return {}
    # Each cadre's first row, as plain lists (row by row through pandas was slow at 3,000).
    first = frame.drop_duplicates("cadre_id")
    return {
        int(cadre): t("ct_cadre_option", lang, name=name, unit=unit, code=code)
        for cadre, name, unit, code in zip(
            first["cadre_id"].tolist(),
            first["cadre_name"].tolist(),
            first["unit"].tolist(),
            first["cadre_code"].tolist(),
            strict=True,
        )
    }


# --- a cadre's record -------------------------------------------------------------------------


def cadre_pairings_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    columns = {
        "recipient": t("ct_recipient", lang),
        "county_name": t("ct_area", lang),
        "remote": t("ct_remote", lang),
        "visits": t("ct_visits", lang),
        "last_contact": t("ct_last_contact", lang),
        "status": t("status", lang),
    }
    out = frame.copy()
    out["status"] = [
        t("ct_compliant", lang)
        if c
        else (t("ct_on_track", lang) if o else t("ct_behind", lang))
        + (t("ct_and", lang) + t("ct_at_risk", lang) if r else "")
        for c, o, r in zip(out["compliant"], out["on_track"], out["at_risk"], strict=True)
    ]
    return out[list(columns)].rename(columns=columns)


def timeline_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every contact of the cadre, oldest first: date, channel, recipient (masked), area."""
    out = pd.DataFrame(
        {
            t("ct_date", lang): frame["contacted_on"],
            t("ct_channel", lang): [channel_name(c, lang) for c in frame["channel"]],
            t("ct_recipient", lang): frame["recipient"],
            t("ct_area", lang): frame["county_name"],
        }
    )
    return out


def timeline_figure(frame: pd.DataFrame, lang: str) -> go.Figure:
    """The cadre's contacts on a time line, one row per pairing, coloured by channel. Two
    people whose masked names look alike (王*, 王*) get a number each, not one shared row."""
    lines = frame.drop_duplicates("pairing_id")[["pairing_id", "recipient"]]
    repeated = lines["recipient"].duplicated(keep=False)
    number = lines.groupby("recipient").cumcount() + 1
    shown = lines["recipient"].where(
        ~repeated, lines["recipient"] + "（" + number.astype(str) + "）"
    )
    label = dict(zip(lines["pairing_id"], shown, strict=True))
    fig = go.Figure()
    for channel in CHANNELS:
        part = frame[frame["channel"] == channel]
        if part.empty:
            continue
        fig.add_scatter(
            x=pd.to_datetime(part["contacted_on"]),
            y=[label[p] for p in part["pairing_id"]],
            mode="markers",
            name=channel_name(channel, lang),
            marker={
                "color": CHANNEL_COLORS[channel],
                "size": 13,
                "symbol": "diamond" if channel == "visit" else "circle",
            },
            hovertemplate="%{x|%Y-%m-%d} %{y}<extra>" + channel_name(channel, lang) + "</extra>",
        )
    fig.update_layout(
        font={"family": FONT},
        height=max(200, 50 * len(label) + 120),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.25},
        xaxis={"title": None, "tickformat": "%m-%d"},
        yaxis={"title": None, "type": "category"},
    )
    return fig


# --- channels and months ----------------------------------------------------------------------


def channel_mix(by_month: pd.DataFrame) -> pd.DataFrame:
    """Contacts per channel (every channel, in CHANNELS order) and its share."""
    sums = by_month.groupby("channel")["contacts"].sum().reindex(list(CHANNELS), fill_value=0)
    total = int(sums.sum())
    return pd.DataFrame(
        {
            "channel": list(CHANNELS),
            "contacts": [int(v) for v in sums],
            "share": [v / total if total else None for v in sums],
        }
    )


def monthly(by_month: pd.DataFrame) -> pd.DataFrame:
    """Remote contacts and home visits per month."""
    remote = by_month[by_month["channel"].isin(REMOTE_CHANNELS)].groupby("month")["contacts"].sum()
    visits = by_month[by_month["channel"] == "visit"].groupby("month")["contacts"].sum()
    months = sorted(by_month["month"].unique())
    return pd.DataFrame(
        {
            "month": months,
            "remote": [int(remote.get(m, 0)) for m in months],
            "visits": [int(visits.get(m, 0)) for m in months],
        }
    )


def channel_mix_figure(by_month: pd.DataFrame, lang: str) -> go.Figure:
    mix = channel_mix(by_month)
    fig = go.Figure(
        go.Pie(
            labels=[channel_name(c, lang) for c in mix["channel"]],
            values=mix["contacts"],
            marker={"colors": [CHANNEL_COLORS[c] for c in mix["channel"]]},
            hole=0.45,
            sort=False,
            textinfo="label+percent",
            hovertemplate="%{label}: %{value:,}（%{percent}）<extra></extra>",
        )
    )
    fig.update_layout(
        title=t("ct_channel_mix", lang),
        font={"family": FONT},
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        showlegend=False,
    )
    return fig


def monthly_trend_figure(by_month: pd.DataFrame, lang: str) -> go.Figure:
    """Remote contacts and home visits per month, side by side."""
    frame = monthly(by_month)
    labels = [t("month_n", lang, n=int(m)) for m in frame["month"]]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=frame["remote"],
        name=t("ct_remote", lang),
        marker_color=CHANNEL_COLORS["phone"],
        hovertemplate="%{x}: %{y:,}<extra></extra>",
    )
    fig.add_bar(
        x=labels,
        y=frame["visits"],
        name=t("ct_visits", lang),
        marker_color=CHANNEL_COLORS["visit"],
        hovertemplate="%{x}: %{y:,}<extra></extra>",
    )
    fig.update_layout(
        title=t("ct_monthly", lang),
        font={"family": FONT},
        barmode="group",
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        yaxis={"title": t("ct_times", lang), "rangemode": "tozero"},
    )
    return fig


# --- 应结尽结 ----------------------------------------------------------------------------------


def coverage_rollup(coverage: pd.DataFrame, by: str) -> pd.DataFrame:
    """Coverage summed by 'prefecture' or 'county', with the share of eligible recipients paired."""
    code, name = f"{by}_code", f"{by}_name"
    counts = ["eligible", "recipients_unpaired", "cadres", "cadres_unpaired"]
    frame = coverage.groupby([code, name], sort=False)[counts].sum().reset_index()
    frame = frame.rename(columns={code: "key", name: "name"})
    frame["paired_share"] = [
        (e - u) / e if e else None
        for e, u in zip(frame["eligible"], frame["recipients_unpaired"], strict=True)
    ]
    return frame


def coverage_table(rolled: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = rolled.copy()
    if len(frame) > 1:
        sums = {
            c: int(frame[c].sum())
            for c in ("eligible", "recipients_unpaired", "cadres", "cadres_unpaired")
        }
        sums["paired_share"] = (
            (sums["eligible"] - sums["recipients_unpaired"]) / sums["eligible"]
            if sums["eligible"]
            else None
        )
        sums["name"] = t("ct_total", lang)
        frame = pd.concat([frame, pd.DataFrame([sums])], ignore_index=True)
    labels = {
        "name": t("ct_area", lang),
        "eligible": t("ct_eligible", lang),
        "recipients_unpaired": t("ct_unpaired_recipients", lang),
        "paired_share": t("ct_paired_share", lang),
        "cadres": t("ct_cadres", lang),
        "cadres_unpaired": t("ct_unpaired_cadres", lang),
    }
    out = frame[list(labels)].rename(columns=labels)
    out[labels["paired_share"]] = out[labels["paired_share"]].astype(float)
    return out


def unpaired_recipients_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("ct_area", lang): frame["prefecture_name"] + " · " + frame["county_name"],
            t("ct_recipient", lang): frame["recipient"],
            t("ct_category", lang): frame["category"],
            t("ct_grade", lang): [t("ct_grade_n", lang, n=int(g)) for g in frame["grade"]],
        }
    )


def unpaired_cadres_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("ct_area", lang): frame["prefecture_name"] + " · " + frame["county_name"],
            t("ct_cadre", lang): frame["cadre_name"],
            t("ct_cadre_code", lang): frame["cadre_code"],
            t("ct_level", lang): [level_name(v, lang) for v in frame["level"]],
            t("ct_unit", lang): frame["unit"],
        }
    )
