"""Every chart in words: a one-sentence summary and the chart's data as a table, both read from
the plotly figure a builder returns, so they say what the chart draws and cannot drift from it.
For people who cannot see the chart (screen reader, low vision) or cannot hover it (keyboard).
Pure: Figure in, text and DataFrame out. No Streamlit here."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.i18n import t


@dataclass(frozen=True)
class Series:
    """One trace as a person reads it: its name, categories and values, formatted."""

    name: str
    kind: str  # "line", "bar", "pie", or "points" (events in time: values are their labels)
    at: list[str]  # categories (months, areas, channels), in the chart's order
    values: list[float | None]
    shown: list[str]  # the values as text: "41.2%", "1,234.56"
    labels: list[str] | None  # what the chart writes on the marks ("41.2% · 滞后"), if anything


def title(fig: go.Figure, fallback: str = "") -> str:
    text = fig.layout.title.text if fig.layout.title else None
    return text or fallback


def _axis_format(fig: go.Figure, ref: str | None, letter: str) -> str:
    """The tick format of the axis a trace is drawn against ('y2' → layout.yaxis2)."""
    name = f"{letter}axis{(ref or letter)[1:]}"
    return fig.layout[name].tickformat or ""


def _format(value: float | None, tickformat: str) -> str:
    if value is None:
        return "—"
    if "%" in tickformat:
        return f"{value:.1%}"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _category(value) -> str:
    if isinstance(value, (dt.date, np.datetime64, pd.Timestamp)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


def _panel_titles(fig: go.Figure) -> dict[str, str]:
    """Subplot titles by x axis ('x', 'x2'), for figures made with make_subplots."""
    panels = [a.text for a in fig.layout.annotations if a.xref == "paper" and a.yref == "paper"]
    return {("x" if i == 0 else f"x{i + 1}"): text for i, text in enumerate(panels)}


def series(fig: go.Figure, lang: str) -> list[Series]:
    """The figure's traces with names, categories and values (bars, lines, pies)."""
    out = []
    names = [trace.name for trace in fig.data]
    panels = _panel_titles(fig)
    for trace in fig.data:
        name = trace.name or title(fig) or t("chart_value", lang)
        if names.count(trace.name) > 1 and panels.get(trace.xaxis or "x"):
            name = f"{panels[trace.xaxis or 'x']} · {name}"
        if trace.type == "pie":
            at = [str(v) for v in trace.labels]
            values = [_number(v) for v in trace.values]
            total = sum(v for v in values if v is not None) or None
            shown = [_format(v, ",") for v in values]
            out.append(
                Series(
                    name,
                    "pie",
                    at,
                    values,
                    shown,
                    [_format(v / total if total and v is not None else None, "%") for v in values],
                )
            )
            continue
        horizontal = getattr(trace, "orientation", None) == "h"
        cats, vals = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
        if cats is None or vals is None:
            continue
        tickformat = (
            _axis_format(fig, trace.xaxis, "x")
            if horizontal
            else _axis_format(fig, trace.yaxis, "y")
        )
        values = [_number(v) for v in vals]
        if len(values) and all(v is None for v in values):  # markers placed on a time line
            at = [_category(c) for c in cats]
            out.append(Series(name, "points", at, values, [str(v) for v in vals], None))
            continue
        kind = (
            "bar"
            if trace.type == "bar"
            else ("line" if "lines" in (trace.mode or "lines") else "bar")
        )
        text = trace.text if isinstance(trace.text, (list, tuple)) else None
        out.append(
            Series(
                name,
                kind,
                [_category(c) for c in cats],
                values,
                [_format(v, tickformat) for v in values],
                [str(x) for x in text] if text is not None else None,
            )
        )
    return out


def reference_lines(fig: go.Figure) -> list[str]:
    """The words of lines drawn across the chart (time progress, the whole area's rate)."""
    return [
        a.text
        for a in fig.layout.annotations
        if a.text and not (a.xref == "paper" and a.yref == "paper")
    ]


def _part(s: Series, lang: str) -> str | None:
    if s.kind == "points":
        return t("chart_points", lang, name=s.name, n=len(s.at)) if s.at else None
    known = [
        (at, v, shown)
        for at, v, shown in zip(s.at, s.values, s.shown, strict=True)
        if v is not None
    ]
    if not known:
        return None
    if s.kind == "pie":
        total = sum(v for _at, v, _s in known)
        at, v, _s = max(known, key=lambda k: k[1])
        share = f"{v / total:.1%}" if total else "—"
        return t("chart_largest", lang, name=s.name, at=at, share=share)
    if len(known) == 1:
        at, _v, shown = known[0]
        return t("chart_one", lang, name=s.name, value=shown, at=at)
    if s.kind == "line":
        (first_at, _f, first), (last_at, _l, last) = known[0], known[-1]
        return t(
            "chart_from_to",
            lang,
            name=s.name,
            first_at=first_at,
            first=first,
            last_at=last_at,
            last=last,
        )
    high = max(known, key=lambda k: k[1])
    low = min(known, key=lambda k: k[1])
    return t(
        "chart_high_low",
        lang,
        name=s.name,
        high_at=high[0],
        high=high[2],
        low_at=low[0],
        low=low[2],
    )


def summary(fig: go.Figure, lang: str, fallback_title: str = "") -> str:
    """One sentence: per series its highest and lowest (bars), where it starts and ends (lines)
    or its largest share (pies), then the reference lines."""
    name = title(fig, fallback_title)
    parts = [p for p in (_part(s, lang) for s in series(fig, lang)) if p]
    if not parts:
        return t("chart_empty", lang, title=name)
    lines = reference_lines(fig)
    if lines:
        parts.append(
            t("chart_lines", lang, lines="、".join(lines) if lang == "zh" else ", ".join(lines))
        )
    return t("chart_sentence", lang, title=name, parts=t("chart_joiner", lang).join(parts))


def table(fig: go.Figure, lang: str) -> pd.DataFrame:
    """The chart's data: one row per category, one column per series (values as the chart
    shows them), plus the marks' labels where the chart writes them. Events on a time line, or
    series whose categories repeat, come as one row per point instead."""
    all_series = series(fig, lang)
    category = t("chart_category", lang)
    if any(s.kind == "points" or len(set(s.at)) < len(s.at) for s in all_series):
        rows = [
            {t("chart_series", lang): s.name, category: at, t("chart_value", lang): shown}
            for s in all_series
            for at, shown in zip(s.at, s.shown, strict=True)
        ]
        return pd.DataFrame(
            rows, columns=[t("chart_series", lang), category, t("chart_value", lang)]
        )
    order: list[str] = []
    for s in all_series:
        order += [at for at in s.at if at not in order]
    frame = pd.DataFrame({category: order})
    for s in all_series:
        cells = dict(zip(s.at, s.shown, strict=True))
        frame[s.name] = [cells.get(at, "") for at in order]
        if s.labels is not None and s.labels != s.shown:
            heading = t("chart_share", lang) if s.kind == "pie" else t("chart_label", lang)
            if len(all_series) > 1:
                heading = f"{s.name} · {heading}"
            labels = dict(zip(s.at, s.labels, strict=True))
            frame[heading] = [labels.get(at, "") for at in order]
    # Horizontal bars are drawn bottom-up: read the table top-down as the chart looks.
    if (
        all_series
        and all(getattr(tr, "orientation", None) == "h" for tr in fig.data if tr.type == "bar")
        and any(tr.type == "bar" for tr in fig.data)
    ):
        frame = frame.iloc[::-1].reset_index(drop=True)
    return frame
