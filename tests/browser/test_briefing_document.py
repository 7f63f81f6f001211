"""The 季通报 as printed: the Word file rendered by LibreOffice to PDF and to PNG (saved in
artifacts/briefing/ to be looked at), then measured on the rendered pages the way a clerk
holds a ruler to a print: page numbers on every page, every word inside the text block (no
table runs over the margin), 22 body lines to the page, the mark 35 mm below the block's top."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dashboard import briefing as br
from dashboard import docx_export
from data_access import db, queries
from data_access.scope import PROVINCE, Filters

from .conftest import unavailable
from .harness import REPORT, ROOT

ARTIFACTS = ROOT / "artifacts" / "briefing"
MM = 72 / 25.4  # points per millimetre
TOP, BOTTOM = 37 * MM, (297 - 35) * MM  # the text block, in points from the page's top
LEFT, RIGHT = 28 * MM, (210 - 26) * MM
SLACK = 1.0  # points: glyph boxes round to the renderer's grid
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def rendered(demo_db_template, tmp_path_factory) -> dict[str, Path]:
    """The province's and Tianshui's fourth-quarter documents, as PDF (one LibreOffice run)."""
    soffice = shutil.which("soffice")
    if not soffice or not shutil.which("pdftoppm"):
        unavailable("LibreOffice (soffice) or poppler-utils (pdftoppm) is not installed")
    engine = db.make_engine(f"sqlite:///{demo_db_template}")
    work = tmp_path_factory.mktemp("briefing-render")
    docs = []
    for code in (None, "620500"):
        flt = Filters(2024, "Q4", code)
        run = lambda fn, *a: fn(engine, *a)  # noqa: E731
        b = br.collect(
            run, PROVINCE, flt, "zh", br.named_area(run, flt, "zh"), queries.facts(engine)
        )
        path = work / b.file_name("docx")
        path.write_bytes(docx_export.document_bytes(b, issued=dt.date(2025, 1, 10)))
        docs.append(path)
    engine.dispose()
    profile = work / "lo-profile"  # its own profile: parallel runs do not share a lock
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(work), *map(str, docs)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*"):
        old.unlink()
    out = {}
    for doc in docs:
        pdf = doc.with_suffix(".pdf")
        shutil.copy(pdf, ARTIFACTS / pdf.name)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / pdf.stem)], check=True
        )
        out[doc.stem.rsplit("_", 1)[-1]] = pdf
    REPORT.append(f"briefing documents rendered: {ARTIFACTS}")
    return out


def words(pdf: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page, every word with its box (text, x0, y0, x1, y1) in points from the top left."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    root = ET.fromstring(xml)
    return [
        [
            (w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
            for w in page.iter(f"{XHTML}word")
        ]
        for page in root.iter(f"{XHTML}page")
    ]


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


PUNCTUATION = "，。；：、）》”’！？"


def hanging(word) -> bool:
    """A body-size word whose last character is a punctuation mark hanging past the margin."""
    text, x0, y0, x1, y1 = word
    body = y1 - y0 > 18  # 3号 type; table cells are 12 pt or smaller
    return body and text[-1] in PUNCTUATION and x1 - 16 <= RIGHT + SLACK


def footer(page) -> list:
    return [w for w in page if w[2] > BOTTOM]


@pytest.mark.parametrize("area, most_pages", [("全省", 8), ("天水市", 7)])
def test_rendered_pages_are_numbered_and_nothing_leaves_the_text_block(rendered, area, most_pages):
    pdf = rendered[area]
    pages = words(pdf)
    assert len(pages) == page_count(pdf)
    assert 3 <= len(pages) <= most_pages
    assert sorted(ARTIFACTS.glob(f"{pdf.stem}-*.png"))  # pictures to look at
    for n, page in enumerate(pages, start=1):
        # — n —, odd pages one 4号 character in from the right, even pages from the left.
        number = footer(page)
        assert [w[0] for w in number] == ["—", str(n), "—"], (n, number)
        if n % 2:
            assert abs(number[-1][3] - (RIGHT - 14)) < 3, n
        else:
            assert abs(number[0][1] - (LEFT + 14)) < 3, n
        # Its lower edge 7 mm under the text block (the box's bottom includes the descent).
        assert 5 * MM < number[0][4] - BOTTOM < 10 * MM, n
        # Every other word inside the text block: table cells wholly, a line of body text but
        # for a full-width punctuation mark at its end (LibreOffice hangs it, as Chinese
        # typesetting allows).
        outside = [
            w
            for w in page
            if w not in number
            and not (w[1] >= LEFT - SLACK and w[3] <= RIGHT + SLACK and w[2] >= TOP - SLACK)
            and not hanging(w)
        ]
        assert not outside, (n, outside[:5])


def test_mark_and_body_lines_sit_where_the_standard_puts_them(rendered):
    pages = words(rendered["全省"])
    mark = next(w for w in pages[0] if w[0] == "甘肃省残疾人联合会文件")
    assert abs(mark[2] - (TOP + 35 * MM)) < 3 * MM  # its top 35 mm below the block's top
    # Body lines 28.95 pt apart (22 to the 225 mm block): the text of page 2 starts on the
    # first line and its lines follow at that pitch.
    lines = sorted({round(w[2], 1) for w in pages[1] if w[4] - w[2] > 18 and w[2] < BOTTOM})
    steps = [b - a for a, b in zip(lines, lines[1:], strict=False) if b - a < 35]
    assert len(steps) >= 5
    assert all(abs(s - 225 * MM / 22) < 0.5 for s in steps), steps
    assert lines[0] - TOP < 29
