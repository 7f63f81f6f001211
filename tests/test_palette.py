"""Colour is never the only sign and never unreadable: every palette whose colours must be told
apart stays apart for people with the common colour-vision deficiencies (simulated), status bars
say their status in words, and coloured chart text reaches 4.5 : 1 on white."""

import itertools
import re
import tomllib

import numpy as np
import pandas as pd
import pytest

from dashboard import a11y, budget_view, charts, contacts_view, maps
from tests.conftest import ROOT

THEME = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
CAPTION = re.search(r'stCaptionContainer"\] \{ color: (#\w+)', a11y.PAGE_CSS).group(1)

# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color
# vision deficiency", severity 1.0, applied to linear RGB.
DEFICIENCIES = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}
# CIELAB distance below which two small marks (bars, points, map areas) are easily confused.
MIN_DELTA_E = 20


def rgb(color) -> tuple[int, int, int]:
    if isinstance(color, str):
        h = color.lstrip("#")
        return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))
    return tuple(color[:3])


def linear(color) -> np.ndarray:
    c = np.array(rgb(color)) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(lin: np.ndarray) -> np.ndarray:
    to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = to_xyz @ np.clip(lin, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_as(color, deficiency: str | None) -> np.ndarray:
    lin = linear(color)
    if deficiency:
        lin = np.array(DEFICIENCIES[deficiency]) @ lin
    return lab(lin)


def delta_e(a, b, deficiency: str | None = None) -> float:
    return float(np.linalg.norm(seen_as(a, deficiency) - seen_as(b, deficiency)))


def contrast(a, b) -> float:
    def luminance(color):
        return float(np.dot([0.2126, 0.7152, 0.0722], linear(color)))

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# Colours drawn side by side in one chart or map, which a reader must tell apart.
PALETTES = {
    "trend lines (budget)": list(charts.COLORS.values()),
    "behind / on track / no money": list(budget_view.COLORS.values()),
    "contact channels": list(contacts_view.CHANNEL_COLORS.values()),
    "compliance below / above overall": list(contacts_view.RATE_COLORS.values()),
    "facility types on the map": list(maps.KIND_COLORS.values()),
    **{
        f"map classes ({measure})": [*scale.colors, maps.NO_DATA]
        for measure, scale in maps.SCALES.items()
    },
}


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
@pytest.mark.parametrize("palette", list(PALETTES))
def test_palette_stays_distinguishable(palette, deficiency):
    too_close = [
        (rgb(a), rgb(b), round(delta_e(a, b, deficiency), 1))
        for a, b in itertools.combinations(PALETTES[palette], 2)
        if delta_e(a, b, deficiency) < MIN_DELTA_E
    ]
    assert too_close == [], f"{palette} under {deficiency or 'normal vision'}"


def test_the_simulation_merges_what_red_green_blind_people_confuse():
    """The check can fail: the orange and green of a red-yellow-green map scale (this map's
    scale until it failed here) are far apart for normal vision and merge under protanopia."""
    orange, green = (252, 141, 89), (26, 152, 80)
    assert delta_e(orange, green) > 60
    assert delta_e(orange, green, "protanopia") < MIN_DELTA_E / 2


def test_ranking_bars_say_behind_in_words_and_hatch_it():
    areas = pd.DataFrame(
        {
            "name": ["兰州市", "天水市"],
            "planned_fen": [10_000_00, 10_000_00],
            "disbursed_fen": [2_000_00, 9_000_00],
        }
    )
    bar = budget_view.ranking_chart(areas, 0.5, "zh", "排名").data[0]
    # Drawn bottom-up: 兰州市 (20 %, behind) is the second bar from the top, i.e. the first.
    assert list(bar.y) == ["兰州市", "天水市"]
    assert list(bar.text) == ["20.0% · 滞后", "90.0% · 正常"]
    assert list(bar.marker.pattern.shape) == ["/", ""]


def test_compliance_bars_below_the_line_say_so():
    rolled = pd.DataFrame(
        {
            "key": ["a", "b"],
            "name": ["兰州市", "天水市"],
            "rate": [0.4, 0.9],
            "on_track": [4, 9],
            "pairings": [10, 10],
        }
    )
    bar = contacts_view.ranking_figure(rolled, "zh", 0.65).data[0]
    assert list(bar.text) == ["40.0% · 低于整体", "90.0%"]


@pytest.mark.parametrize(
    "name,color",
    [
        ("overall-rate annotation", contacts_view.LINE_COLOR),
        ("theme primary (buttons, chosen options)", THEME["primaryColor"]),
        ("theme text", THEME["textColor"]),
        ("captions", CAPTION),
    ],
)
def test_coloured_text_reaches_4_5_to_1_on_white(name, color):
    assert contrast(color, "#FFFFFF") >= 4.5, name
