"""The benchmark command keeps working: at the small demo scale, one run, no browser sessions,
it writes a table with a measured row for every page of the navigation. (The numbers are not
judged here: the benchmark is not a timed test; docs/benchmarks.md holds the province run.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks import env
from dashboard.i18n import t

ROOT = Path(__file__).resolve().parent.parent


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under a heading."""
    part = markdown.split(heading, 1)[1]
    rows = []
    for line in part.splitlines()[1:]:
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows and not line.startswith("|"):
            break
    return rows[1:]  # without the header


def test_benchmark_writes_a_row_per_page(tmp_path):
    out = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "demo", "--runs", "1"]
        + ["--sessions", "0", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text("utf-8")
    assert "## sqlite · demo" in text and "Streamlit" in text
    # A row per view, named as "page" or "page · tab", then the page's title.
    rows = {row[0].rsplit(" ", 1)[0]: row for row in table_rows(text, "### Pages")}
    pages = [p.removesuffix(".py") for p in env.pages()]
    tabs = [f"contacts · {t(key, 'zh')}" for key in ("ct_tab_list", "ct_tab_coverage")]
    assert set(rows) >= {*pages, *tabs}
    assert all(view in pages or view.startswith("contacts · ") for view in rows)
    for page, row in rows.items():
        cold, warm = row[1], row[2]
        assert re.fullmatch(r"\d+\.\d\d", cold) and re.fullmatch(r"\d+\.\d\d", warm), (page, row)
    for view in ("overview", "contacts", *tabs):  # views with a naive baseline: it agrees
        assert rows[view][-1] == "yes", rows[view]
    targets = table_rows(text, "### Targets")
    assert any(t[0].startswith("warm rerun") for t in targets)
