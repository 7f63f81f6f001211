"""python -m benchmarks.imports: ledger import throughput and memory, and the cost of hostile
uploads that stay under the size limit.

    python -m benchmarks.imports [--url sqlite] [--url postgresql+psycopg://…/bench_import]
                                 [--rows 200000] [--hostile] [--output FILE]

For each database it imports 2,000 cadres, 2,000 recipients and 2,000 pairings, then
`--rows` contacts as CSV and as XLSX (a check, then the import, then the same file again,
which changes nothing). Each import runs in its own process, so the peak memory printed is
that import's (the process's resident peak, Python and libraries included). --hostile also
measures uploads built to exhaust memory or CPU: a workbook with a huge shared-strings part, one
enormous cell, and millions of rows written without cell references; each must be refused in
seconds and a few hundred MB at most.

Targets (issue: ledger import): ≥ 10,000 rows/s for CSV and XLSX on both backends, peak
memory ≤ 300 MB for 200,000 rows. The figures are printed and, with --output, written as a
Markdown table."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from benchmarks import env

TARGET_ROWS_PER_S = 10_000
TARGET_PEAK_MB = 300
PEOPLE = 2_000
CHANNELS = ("电话", "微信", "短信", "其他远程", "入户探视")

_CHILD = r"""
import json, resource, sys, time
from data_access import db, importer
engine = db.make_engine(sys.argv[1])
data = open(sys.argv[3], "rb").read()
start = time.perf_counter()
outcome = importer.run(engine, sys.argv[2], data, sys.argv[3], dry_run=sys.argv[4] == "dry",
                       today=__import__("datetime").date(2024, 12, 31))
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "status": outcome.status, "rows": outcome.rows_total, "added": outcome.added,
    "unchanged": outcome.unchanged, "refusal": outcome.refusal,
}))
"""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(url: str, ledger: str, path: Path, mode: str = "write") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, url, ledger, str(path), mode],
        capture_output=True,
        text=True,
        cwd=env.ROOT,
        timeout=1800,
        check=False,
    )
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _csv(headers: list[str], rows) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _xlsx(headers: list[str], rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("联系记录")
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _people() -> dict[str, tuple[list[str], list[list]]]:
    counties = ["城关区", "七里河区", "西固区", "安宁区", "红古区"]
    cadres = [
        [f"C{i:05d}", f"干部{i}", "县级", "县残联", counties[i % 5], f"{i % 10000:04d}", "是"]
        for i in range(PEOPLE)
    ]
    recipients = [
        [f"R{i:05d}", f"对象{i}", "", counties[i % 5], "肢体", "一级", "是"] for i in range(PEOPLE)
    ]
    pairings = [[f"C{i:05d}", f"R{i:05d}", "2024-01-01"] for i in range(PEOPLE)]
    return {
        "cadres": (
            ["干部编码", "姓名", "层级", "单位", "所在县区", "手机号后四位", "在岗"],
            cadres,
        ),
        "recipients": (
            ["对象编码", "姓名", "身份证号", "县区", "残疾类别", "残疾等级", "纳入结对"],
            recipients,
        ),
        "pairings": (["干部编码", "对象编码", "结对日期"], pairings),
    }


def _contacts(n: int) -> tuple[list[str], list[list]]:
    rows = []
    start = dt.date(2024, 1, 2)
    per = -(-n // PEOPLE)
    for i in range(n):
        person, j = i % PEOPLE, i // PEOPLE
        day = start + dt.timedelta(days=j // len(CHANNELS))
        rows.append([f"C{person:05d}", f"R{person:05d}", day.isoformat(), CHANNELS[j % 5]])
    assert per // len(CHANNELS) < 360
    return ["干部编码", "对象编码", "联系日期", "联系方式"], rows


def _database(url: str, tmp: Path) -> str:
    from data_access import db, demo

    if url == "sqlite":
        url = f"sqlite:///{tmp / 'import-bench.db'}"
    if url.startswith("postgresql"):
        from benchmarks.__main__ import _ensure_postgres_database

        _ensure_postgres_database(url)
    engine = db.make_engine(url)
    db.migrate(engine)
    with engine.begin() as conn:
        demo.clear_program_data(conn)
        demo.load_reference(conn)
        from sqlalchemy import text

        conn.execute(text("DELETE FROM import_errors"))
        conn.execute(text("DELETE FROM import_batches"))
    engine.dispose()
    return url


def throughput(url: str, rows: int, tmp: Path) -> list[dict]:
    results = []
    for ledger, (headers, body) in _people().items():
        path = tmp / f"{ledger}.csv"
        path.write_bytes(_csv(headers, body))
        result = measure(url, ledger, path)
        _say(f"  {ledger}: {result}")
    headers, body = _contacts(rows)
    files = {"CSV": tmp / "contacts.csv", "XLSX": tmp / "contacts.xlsx"}
    files["CSV"].write_bytes(_csv(headers, body))
    files["XLSX"].write_bytes(_xlsx(headers, body))
    del body
    for kind, path in files.items():
        if kind == "XLSX":  # the CSV's rows are in the database now: start the contacts afresh
            from data_access import db
            from data_access.models import Contact

            engine = db.make_engine(url)
            with engine.begin() as conn:
                conn.execute(Contact.__table__.delete())
            engine.dispose()
        for mode, label in (("dry", "检查"), ("write", "导入"), ("write", "再次导入（不变）")):
            result = measure(url, "contacts", path, mode)
            result.update(kind=kind, step=label, size_mb=path.stat().st_size / 2**20)
            _say(f"  {kind} {label}: {result}")
            results.append(result)
    return results


# --- hostile uploads --------------------------------------------------------------------------

_WB = (
    b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_RELS = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    b'2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/>'
    b"</Relationships>"
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return out.getvalue()


def _random_text(n: int, seed: int) -> str:
    """Text that does not compress well (CJK characters from a generator)."""
    import random

    rng = random.Random(seed)
    return "".join(chr(0x4E00 + rng.randrange(20_000)) for _ in range(n))


def hostile_files(tmp: Path) -> dict[str, Path]:
    files = {}
    header = "".join(
        f'<c t="inlineStr"><is><t>{h}</t></is></c>'
        for h in ("干部编码", "对象编码", "联系日期", "联系方式")
    )
    # Many shared strings: as much as fits under the size and ratio limits.
    strings = "".join(f"<si><t>{_random_text(40, i)}</t></si>" for i in range(150_000))
    shared = f'<?xml version="1.0"?><sst {_NS}>{strings}</sst>'.encode()
    sheet = f'<worksheet {_NS}><sheetData><row r="1">{header}</row></sheetData></worksheet>'
    files["共享字符串 150,000 条"] = _zip(
        {
            "xl/workbook.xml": _WB,
            "xl/_rels/workbook.xml.rels": _RELS,
            "xl/worksheets/sheet1.xml": sheet.encode(),
            "xl/sharedStrings.xml": shared,
        }
    )
    # Shared strings that compress well: hundreds of MB of XML inside a few MB.
    strings = "".join(f"<si><t>备注{i:08d}说明文字说明文字</t></si>" for i in range(3_000_000))
    files["共享字符串 300 万条（高压缩）"] = _zip(
        {
            "xl/workbook.xml": _WB,
            "xl/_rels/workbook.xml.rels": _RELS,
            "xl/worksheets/sheet1.xml": sheet.encode(),
            "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst {_NS}>{strings}</sst>'.encode(),
        }
    )
    del strings
    # One cell of 10 million characters.
    big = "长" * 10_000_000
    sheet = (
        f'<worksheet {_NS}><sheetData><row r="1">{header}</row><row r="2">'
        f'<c r="A2" t="inlineStr"><is><t>{big}</t></is></c></row></sheetData></worksheet>'
    )
    files["一个单元格 1,000 万字"] = _zip(
        {
            "xl/workbook.xml": _WB,
            "xl/_rels/workbook.xml.rels": _RELS,
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )
    # Rows without cell references, far past the row limit.
    row = "<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>"
    sheet = (
        f"<worksheet {_NS}><sheetData><row>{header}</row>{row * 1_900_000}</sheetData></worksheet>"
    )
    files["190 万行（无单元格地址）"] = _zip(
        {
            "xl/workbook.xml": _WB,
            "xl/_rels/workbook.xml.rels": _RELS,
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )
    out = {}
    for i, (name, data) in enumerate(files.items()):
        path = tmp / f"hostile{i}.xlsx"
        path.write_bytes(data)
        out[name] = path
    return out


def hostile(url: str, tmp: Path) -> list[dict]:
    results = []
    for name, path in hostile_files(tmp).items():
        result = measure(url, "contacts", path, "dry")
        result.update(kind=name, size_mb=path.stat().st_size / 2**20)
        _say(f"  {name}: {result}")
        results.append(result)
    return results


def table(backend: str, rows: list[dict], n: int) -> str:
    lines = [
        f"### {backend}",
        "",
        "| 文件 | 步骤 | 大小 | 行数 | 用时 | 行/秒 | 内存峰值 | 结果 |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r.get('kind', '')} | {r.get('step', '')} | | | | | | {r['error']} |")
            continue
        rate = (r["rows"] or n) / r["seconds"] if r["seconds"] else 0
        lines.append(
            f"| {r['kind']} | {r.get('step', '检查')} | {r['size_mb']:.1f} MB | {r['rows']:,} | "
            f"{r['seconds']:.1f} s | {rate:,.0f} | {r['peak_mb']:.0f} MB | "
            f"{r['status']}{'：' + r['refusal'][:40] if r.get('refusal') else ''} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.imports")
    parser.add_argument("--url", action="append", help="sqlite（默认）或 PostgreSQL 地址")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--hostile", action="store_true", help="也测恶意构造的上传文件")
    parser.add_argument("--output", help="把结果表写入此 Markdown 文件")
    args = parser.parse_args(argv)
    sections = [
        f"# 台账导入基准（{dt.datetime.now():%Y-%m-%d %H:%M}）",
        "",
        "机器：" + "；".join(f"{k} {v}" for k, v in env.machine().items()),
        "",
        f"目标：CSV 与 XLSX 每秒 ≥ {TARGET_ROWS_PER_S:,} 行；{args.rows:,} 行内存峰值 ≤ "
        f"{TARGET_PEAK_MB} MB（整个进程的常驻内存峰值，含 Python 和库）。",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for url in args.url or ["sqlite"]:
            backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
            _say(f"{backend}: {url}")
            real = _database(url, tmp)
            results = throughput(real, args.rows, tmp)
            if args.hostile:
                results += hostile(real, tmp)
            sections.append(table(backend, results, args.rows))
            sections.append("")
    text = "\n".join(sections)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
