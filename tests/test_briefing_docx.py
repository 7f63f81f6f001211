"""The 季通报 as an official document (GB/T 9704-2012), opened with python-docx the way a clerk
would check it: page and margins, fonts, numbered headings, page numbers, the issuing office's
settings; its figures against the briefing page; and the unattended command that writes the
same files as the page, for one area and for every prefecture."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt

from dashboard import briefing as br
from dashboard import cli, docx_export
from data_access import db, users
from data_access.reference import PREFECTURES
from data_access.scope import PROVINCE, Filters
from tests.test_briefing import make
from tests.test_briefing_page import briefing_app

ISSUED = dt.date(2025, 1, 10)
SETTINGS = docx_export.DocumentSettings(
    issuer="甘肃省残疾人联合会",
    mark="甘肃省残疾人联合会文件",
    number="甘残联通〔{year}〕{quarter}号",
    addressees="各市（州）残联：",
    signature="甘肃省残疾人联合会",
    printer="甘肃省残疾人联合会办公室",
)
NUMBER = re.compile(r"\d{4}-\d\d-\d\d|[+-]?\d[\d,]*(?:\.\d+)?%?")  # a date is one token


@pytest.fixture(scope="module")
def engine(demo_sqlite_url):
    engine = db.make_engine(demo_sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def year_end(engine):
    return make(engine, PROVINCE, Filters(2024, "Q4"))


@pytest.fixture(scope="module")
def document(year_end):
    return Document(io.BytesIO(docx_export.document_bytes(year_end, SETTINGS, ISSUED)))


def mm(length) -> float:
    """A length in millimetres to 0.1 mm (Word stores twentieths of a point)."""
    return round(length / Mm(1), 1)


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def east_asian(run) -> str | None:
    fonts = run._element.rPr.find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia"))


def paragraph(document, text: str):
    found = [p for p in document.paragraphs if p.text == text]
    assert len(found) == 1, text
    return found[0]


# --- the layout the standard sets ---------------------------------------------------------------


def test_a4_with_the_standards_margins_and_22_lines_of_28_characters(document):
    section = document.sections[0]
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (37, 35)
    assert (mm(section.left_margin), mm(section.right_margin)) == (28, 26)
    width = section.page_width - section.left_margin - section.right_margin
    height = section.page_height - section.top_margin - section.bottom_margin
    assert (mm(width), mm(height)) == (156, 225)
    # 22 lines: the grid's pitch and every body paragraph's exact line height.
    grid = section._sectPr.find(qn("w:docGrid"))
    pitch_twips = int(grid.get(qn("w:linePitch")))
    assert pitch_twips * 22 <= Emu(height).twips < pitch_twips * 23
    normal = document.styles["Normal"]
    assert normal.paragraph_format.line_spacing.twips == pitch_twips
    # 28 characters of 3号 (16 pt) type, closed up by the body's character spacing.
    assert normal.font.size == Pt(16)
    spacing = int(normal.element.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    assert 28 * (16 + spacing) <= width / Pt(1) < 29 * (16 + spacing)


def test_head_title_and_body_in_the_standard_fonts(document, year_end):
    lines = texts(document)
    mark = paragraph(document, "甘肃省残疾人联合会文件")
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert mm(mark.paragraph_format.space_before) == 35  # 35 mm below the text block's top
    run = mark.runs[0]
    assert str(run.font.color.rgb) == "FF0000" and east_asian(run) == "方正小标宋简体"
    number = paragraph(document, "甘残联通〔2024〕4号")
    assert lines.index(number.text) == lines.index(mark.text) + 3  # two lines under the mark
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000"  # the red rule under the number
    title = paragraph(document, year_end.title())
    assert title.runs[0].font.size == Pt(22) and east_asian(title.runs[0]) == "方正小标宋简体"
    assert lines.index(title.text) == lines.index(number.text) + 3
    assert lines[lines.index(title.text) + 2] == "各市（州）残联："
    body = paragraph(document, br.summary(year_end)["headline"])
    assert body.paragraph_format.first_line_indent == Pt(32)  # two characters
    assert body.runs[0].font.size == Pt(16) and east_asian(body.runs[0]) == "仿宋_GB2312"
    # Every run names its East Asian font, so Word and WPS use the standard fonts.
    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [r for t in document.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs]  # fmt: skip
    assert len(runs) > 300
    assert {east_asian(r) for r in runs} == {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"}


def test_headings_numbered_in_four_levels(document, year_end):
    assert [docx_export.heading_number(level, 3) for level in (1, 2, 3, 4)] == [
        "三、",
        "（三）",
        "3.",
        "（3）",
    ]
    lines = texts(document)
    first = [x for x in lines if re.match(r"^[一二三四五六七八九十]、", x)]
    assert first == [
        f"{n}、{br.section_title(s, 'zh')}"
        for n, s in zip("一二三四五六七", br.SECTIONS, strict=True)
    ]
    for heading in first:
        (run,) = paragraph(document, heading).runs
        assert east_asian(run) == "黑体"
    # Each section's paragraph follows its heading, word for word.
    for heading, section in zip(first, br.SECTIONS, strict=True):
        assert lines[lines.index(heading) + 1] == br.summary(year_end)[section]
    second = [x for x in lines if x.startswith("（一）")]
    assert "（一）各措施执行情况" in second and "（二）市州排名" in lines
    for heading in second:
        assert east_asian(paragraph(document, heading).runs[0]) == "楷体_GB2312"
    assert lines[-1] == "特此通报。" or "特此通报。" in lines


def test_page_numbers_with_dashes_odd_right_even_left(document):
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, align, indent in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right_indent"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left_indent"),
    ):
        (p,) = footer.paragraphs
        assert p.alignment == align and getattr(p.paragraph_format, indent) == Pt(14)
        assert p.text == "— 1 —"  # the PAGE field's placeholder between em dashes
        instr = [n.text for n in p._p.iter(qn("w:instrText"))]
        assert instr == [" PAGE "]
        assert {r.font.size for r in p.runs} == {Pt(14)}
        assert {east_asian(r) for r in p.runs} == {"宋体"}
    # 7 mm under the text block: the footer sits in the bottom margin, below the last line.
    assert mm(section.footer_distance) <= mm(section.bottom_margin) - 7


def test_signature_and_date_of_issue_from_the_settings(year_end):
    settings = docx_export.document_settings(
        {
            "DASHBOARD_BRIEFING_NUMBER": "天残联发〔{year}〕{quarter}号",
            "DASHBOARD_BRIEFING_SIGNATURE": "天水市残疾人联合会",
            "DASHBOARD_BRIEFING_MARK": "天水市残疾人联合会文件",
        },
        cwd=None,
    )
    document = Document(io.BytesIO(docx_export.document_bytes(year_end, settings, ISSUED)))
    lines = texts(document)
    assert "天残联发〔2024〕4号" in lines and "天水市残疾人联合会文件" in lines
    signature = paragraph(document, "天水市残疾人联合会")
    date = paragraph(document, "2025年1月10日")  # Arabic numerals, no leading zeros
    assert lines.index(date.text) == lines.index(signature.text) + 1
    assert signature.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert signature.paragraph_format.right_indent == Pt(32)  # two characters from the right
    # The date starts two characters right of the signature's first character.
    signature_start = 156 / 25.4 * 72 - 32 - 16 * 9  # in points
    assert round(date.paragraph_format.left_indent.pt) == round(signature_start + 32)
    assert "甘肃省残疾人联合会办公室　　2025年1月10日印发" in lines
    assert document.core_properties.author == "甘肃省残疾人联合会"  # issuer left as default


# --- the figures are the page's ------------------------------------------------------------------


def page_numbers(at) -> set[str]:
    shown = [m.value.replace("\\", "") for m in at.markdown]
    shown += [m.label for m in at.metric] + [m.value for m in at.metric]
    shown += [m.delta or "" for m in at.metric] + [c.value for c in at.caption]
    shown += [c.value for c in at.code]  # the full text under the sections
    for frame in at.dataframe:
        shown += [str(c) for c in frame.value.columns]
        shown += [str(v) for row in frame.value.itertuples(index=False) for v in row]
    return {n for text in shown for n in NUMBER.findall(text)}


def test_every_number_in_the_document_is_on_the_page(app, downloads):
    at = briefing_app(app, "Q3")
    name, data = next((n, d) for n, d in reversed(downloads) if n and n.endswith(".docx"))
    assert name == "季通报_2024_第三季度_全省.docx"
    document = Document(io.BytesIO(data))
    lines = texts(document)
    # What the page does not show: the document number, the title's year, the date of issue.
    body = lines[
        lines.index("各市（州）残联，省残联机关各部门、各直属单位：") : lines.index("特此通报。")
    ]
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    numbers = {n for text in body + cells for n in NUMBER.findall(text)}
    assert len(numbers) > 100
    assert not sorted(numbers - page_numbers(at))
    # Each table is the page's table, cell for cell (the facilities: the columns it keeps).
    page = {str(f.value.columns[0]) + "|" + str(f.value.columns[1]): f.value for f in at.dataframe}
    compared = 0
    for table in document.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        key = rows[0][0] + "|" + rows[0][1]
        shown = page[key][rows[0]]
        assert rows[1:] == [["" if v is None or v != v else str(v) for v in r]
                            for r in shown.itertuples(index=False)]  # fmt: skip
        compared += 1
    assert compared == len(document.tables) == 7  # the 数据质量 table too


# --- the unattended command ----------------------------------------------------------------------


@pytest.fixture
def cli_db(demo_sqlite_url, tmp_path, monkeypatch):
    """A copy of the demo database for the command (it writes audit rows)."""
    path = tmp_path / "program.db"
    shutil.copyfile(db.make_engine(demo_sqlite_url).url.database, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DASHBOARD_DB_URL", url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


def test_command_writes_one_areas_files_and_audits_them(cli_db, tmp_path, capsys):
    out = tmp_path / "通报"
    code = cli.main(["briefing", "--year", "2024", "--quarter", "4", "--area", "天水市",
                     "--out", str(out), "--date", "2025-01-10"])  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        f"季通报_2024_第四季度_天水市.{ext}" for ext in ("docx", "pptx", "txt", "xlsx")
    ]
    # Progress, a line per file as a cron log keeps it.
    assert [x for x in printed.err.splitlines() if "%" in x] == [
        " 25% 天水市 docx", " 50% 天水市 pptx", " 75% 天水市 xlsx", "100% 天水市 txt",
    ]  # fmt: skip
    assert "已生成 4 个文件" in printed.out
    document = Document(out / "季通报_2024_第四季度_天水市.docx")
    text = "\n".join(texts(document))
    assert "现将天水市截至第四季度末" in text and "秦州区" in "\n".join(
        c.text for t in document.tables for row in t.rows for c in row.cells
    )
    assert not [
        name for code, (name, _) in PREFECTURES.items() if code != "620500" and name in text
    ]
    log = users.audit_log(cli_db, action="export")
    assert sorted(log["detail"].head(4)) == names
    assert set(log["identity"].head(4)) == {cli._cli_user()}


def test_command_writes_every_prefecture(cli_db, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["briefing", "--year", "2024", "--quarter", "2", "--all-prefectures",
                     "--format", "docx,txt", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    names = {p.name for p in out.iterdir()}
    expected = {f"季通报_2024_第二季度_{name}.{ext}"
                for name, _ in PREFECTURES.values() for ext in ("docx", "txt")}  # fmt: skip
    assert names == expected
    jiuquan = (out / "季通报_2024_第二季度_酒泉市.txt").read_text("utf-8-sig")
    assert "酒泉市" in jiuquan and "天水市" not in jiuquan
    assert len(users.audit_log(cli_db, action="export")) == 28


@pytest.mark.parametrize(
    "args, sentence",
    [
        (["--area", "火星市"], "错误：未知地区：“火星市”。"),
        (["--format", "docx,pdf"], "错误：未知的文件格式“pdf”。可选：docx、pptx、xlsx、txt"),
        (["--date", "2025-13-01"], "错误：成文日期“2025-13-01”不是 YYYY-MM-DD 格式的日期。"),
    ],
)
def test_command_refuses_with_a_sentence(cli_db, tmp_path, capsys, args, sentence):
    out = tmp_path / "out"
    code = cli.main(["briefing", "--year", "2024", "--quarter", "4", "--out", str(out), *args])
    assert code == 2
    assert sentence in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_command_refuses_an_output_that_is_a_file(cli_db, tmp_path, capsys):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    code = cli.main(["briefing", "--year", "2024", "--quarter", "4", "--out", str(blocked)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("错误：无法创建输出目录") and "Traceback" not in err


def zip_parts(data: bytes) -> dict[str, object]:
    """A file's parts, but the time of saving (docProps/core.xml), also of the workbooks that
    a deck's charts embed."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {
            n: zip_parts(z.read(n)) if n.endswith(".xlsx") else z.read(n)
            for n in z.namelist()
            if n != "docProps/core.xml"
        }


def test_command_writes_the_files_the_page_offers(app, downloads, cli_db, tmp_path, capsys):
    briefing_app(app)  # the province, the latest quarter: 2024 Q4
    offered = {n: d for n, d in downloads if n and n.startswith("季通报")}
    assert len(offered) == 4
    out = tmp_path / "out"
    assert cli.main(["briefing", "--year", "2024", "--quarter", "4", "--out", str(out)]) == 0
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(written) == set(offered)
    for name, data in offered.items():
        if name.endswith(".txt"):
            assert written[name] == data
        else:
            assert zip_parts(written[name]) == zip_parts(data), name
    # The document is the same file, to the byte (its date of issue is today in both).
    docx = "季通报_2024_第四季度_全省.docx"
    assert written[docx] == offered[docx]


def test_without_year_and_quarter_the_last_quarter_that_ended():
    assert cli.last_ended_quarter(dt.date(2025, 1, 5)) == (2024, "Q4")
    assert cli.last_ended_quarter(dt.date(2025, 4, 1)) == (2025, "Q1")
    assert cli.last_ended_quarter(dt.date(2025, 12, 31)) == (2025, "Q3")


def test_settings_come_from_the_secrets_file_and_the_environment_wins(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[briefing]\nissuer = "天水市残疾人联合会"\nnumber = "天残联〔{year}〕{quarter}号"\n',
        encoding="utf-8",
    )
    settings = docx_export.document_settings({"DASHBOARD_BRIEFING_NUMBER": "X{quarter}"}, tmp_path)
    assert settings.issuer == "天水市残疾人联合会"
    assert settings.document_number(2024, "Q3") == "X3"
    assert settings.signature == "甘肃省残疾人联合会"  # not set: the default
