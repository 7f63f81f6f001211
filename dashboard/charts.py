"""Pure figure builders: DataFrame in, plotly Figure out. No Streamlit here."""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from dashboard.fmt import wan
from dashboard.i18n import t

COLORS = {"plan": "#9AA5B1", "paid": "#C0392B", "progress": "#2F80ED", "prev": "#F2994A"}
FONT = "Noto Sans CJK SC, WenQuanYi Zen Hei, Microsoft YaHei, sans-serif"


def month_progress(year: int, month: int) -> float:
    """Time progress at the end of a month (share of the year's days)."""
    days = 366 if calendar.isleap(year) else 365
    return (
        dt.date(year, month, calendar.monthrange(year, month)[1]) - dt.date(year, 1, 1)
    ).days / days + 1 / days


def cumulative_trend(
    monthly: pd.DataFrame,
    planned_fen: int,
    year: int,
    last_month: int,
    lang: str,
    previous: pd.DataFrame | None = None,
    previous_planned_fen: int | None = None,
) -> go.Figure:
    """Monthly disbursement (bars, 万元) and cumulative execution rate against the time-progress
    line, January to the period's last month. The previous year's rate is dotted where known,
    against previous_planned_fen (that year's own plan) when given, else this year's plan."""
    months = list(range(1, last_month + 1))
    paid = monthly.set_index("month")["amount_fen"].reindex(months, fill_value=0)
    cumulative = paid.cumsum()
    labels = [t("month_n", lang, n=m) for m in months]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=[wan(v) for v in paid],
        name=t("period_disbursed", lang),
        marker_color=COLORS["plan"],
        yaxis="y2",
        opacity=0.6,
        hovertemplate="%{x}: %{y:,.2f} " + t("money_unit", lang) + "<extra></extra>",
    )
    if planned_fen:
        fig.add_scatter(
            x=labels,
            y=[v / planned_fen for v in cumulative],
            mode="lines+markers",
            name=t("cumulative_rate", lang),
            line={"color": COLORS["paid"], "width": 3},
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
        if previous is not None and not previous.empty:
            prev = previous.set_index("month")["amount_fen"].reindex(months, fill_value=0).cumsum()
            fig.add_scatter(
                x=labels,
                y=[v / (previous_planned_fen or planned_fen) for v in prev],
                mode="lines",
                name=f"{year - 1}",
                line={"color": COLORS["prev"], "dash": "dot"},
            )
    fig.add_scatter(
        x=labels,
        y=[month_progress(year, m) for m in months],
        mode="lines",
        name=t("time_progress", lang),
        line={"color": COLORS["progress"], "dash": "dash"},
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    )
    fig.update_layout(
        title=t("trend_title", lang),
        font={"family": FONT},
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        yaxis={"tickformat": ".0%", "rangemode": "tozero", "title": t("cumulative_rate", lang)},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "title": t("money_unit", lang),
        },
    )
    return fig
