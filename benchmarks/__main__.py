"""python -m benchmarks: build the demo database, measure every page against the targets of
issue 10, print the table and write it to docs/benchmarks.md.

    python -m benchmarks [--scale demo|province] [--url URL ...] [--reuse] [--runs N]
                         [--sessions N] [--pages a.py,b.py] [--no-naive] [--output FILE]

--url names a database (any SQLAlchemy URL; a PostgreSQL database that does not exist yet is
created). `--url sqlite` (the default) is a new SQLite file in a temporary folder. Give --url
twice to measure SQLite and PostgreSQL in one run. The demo data of the chosen scale is
generated into it, replacing what is there, unless --reuse is given and it already holds demo
data of that scale (the generator refuses a database that holds imported ledgers).

Run it from the project root. The benchmark is a tool, like the tests: it reads the database
with SQLAlchemy and pandas directly for the naive baseline; the dashboard itself never does."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import env, naive, report, sessions
from benchmarks.report import BackendRun, PageResult

DEFAULT_OUTPUT = env.ROOT / "docs" / "benchmarks.md"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _progress(fraction: float, message: str) -> None:
    sys.stderr.write(f"\r  {fraction:4.0%} {message:<50}")
    if fraction >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


# --- the database -----------------------------------------------------------------------------


def _ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database the URL names if it does not exist yet."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def prepare(url: str, scale: str, reuse: bool, tmp: Path) -> tuple[str, bool, float | None]:
    """(URL, reused, seconds to build): a migrated database holding demo data of the scale."""
    from data_access import db, demo

    if url == "sqlite":
        url = f"sqlite:///{tmp / f'program-{scale}.db'}"
    if url.startswith("postgresql"):
        _ensure_postgres_database(url)
    engine = db.make_engine(url)
    try:
        db.migrate(engine)
        reused = (
            reuse
            and db.get_meta(engine, "contents") == "demo"
            and db.get_meta(engine, "demo_scale") == scale
        )
        built = None
        if reused:
            _say(f"reusing the {scale} demo data in {db.describe(url)}")
        else:
            _say(f"generating {scale} demo data into {db.describe(url)} …")
            start = time.perf_counter()
            demo.generate(engine, scale, progress=_progress)
            built = time.perf_counter() - start
        if engine.dialect.name == "postgresql":
            # What autovacuum does within minutes of a bulk load: statistics for the planner
            # and a visibility map for index-only scans.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        return url, reused, built
    finally:
        engine.dispose()


def counts(url: str) -> tuple[dict[str, int], int]:
    """Row counts of the big tables, and the newest year (what the pages open on)."""
    from sqlalchemy import func, select

    from data_access import db, models, queries

    engine = db.make_engine(url)
    try:
        out = {}
        with engine.connect() as conn:
            for name, model in (
                ("cadres", models.Cadre),
                ("recipients", models.Recipient),
                ("pairings", models.Pairing),
                ("contacts", models.Contact),
                ("disbursements", models.Disbursement),
                ("facilities", models.Facility),
            ):
                out[name] = conn.execute(select(func.count()).select_from(model)).scalar_one()
        year = queries.years(engine)[0]
        return out, year
    finally:
        engine.dispose()


# --- measurements -----------------------------------------------------------------------------


def probe(kind: str, url: str, page: str, runs: int, year: int, tmp: Path) -> dict:
    out = tmp / f"{kind}-{page}.json"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.probe",
        kind,
        url,
        page,
        str(runs),
        str(out),
        str(year),
    ]
    done = subprocess.run(cmd, cwd=env.ROOT, capture_output=True, text=True)
    if not out.is_file():
        return {"page": page, "failed": (done.stderr or done.stdout or "no output")[-2000:]}
    return json.loads(out.read_text("utf-8"))


def compare(url: str, page: str, year: int, baseline: dict | None) -> tuple[bool | None, str]:
    if not baseline or not baseline.get("naive") or "figures" not in baseline:
        return None, ""
    from data_access import db

    engine = db.make_engine(url)
    try:
        ours = naive.figures(engine, env.view_name(page), year)
    finally:
        engine.dispose()
    if ours is None:
        return None, ""
    theirs = baseline["figures"]
    differ = {k: (ours[k], theirs.get(k)) for k in ours if ours[k] != theirs.get(k)}
    return not differ, ", ".join(
        f"{k}: dashboard {a}, baseline {b}" for k, (a, b) in differ.items()
    )


def boundaries(url: str, year: int) -> dict:
    """Compact JSON size of the maps page's deck: province, and each prefecture's view."""
    from dashboard import maps
    from data_access import db, facilities, geography
    from data_access.scope import PROVINCE, Filters

    engine = db.make_engine(url)
    try:
        flt = Filters(year)
        found = facilities.facilities(engine, PROVINCE, flt)
        none = found.iloc[0:0]
        values = maps.area_values(
            facilities.progress_by_area(engine, PROVINCE, flt), None, "love_hut", "zh"
        )
        out = {
            "province": maps.deck_json_size(maps.facility_deck(found, values, "love_hut", "zh")),
            "province_boundaries": maps.deck_json_size(
                maps.facility_deck(none, values, "love_hut", "zh")
            ),
            "prefecture": 0,
            "largest": 0,
        }
        out["largest"], out["view"] = out["province_boundaries"], "province"
        for feature in geography.features("prefecture"):
            code = feature["properties"]["adcode"]
            inside = Filters(year, prefecture=code)
            county_values = maps.area_values(
                facilities.progress_by_area(engine, PROVINCE, inside, "county"),
                None,
                "love_hut",
                "zh",
            )
            size = maps.deck_json_size(
                maps.facility_deck(found, values, "love_hut", "zh", code, None, county_values)
            )
            bare = maps.deck_json_size(
                maps.facility_deck(none, values, "love_hut", "zh", code, None, county_values)
            )
            if size > out["prefecture"]:
                out["prefecture"], out["prefecture_name"] = size, feature["properties"]["name"]
            if bare > out["largest"]:
                out["largest"], out["view"] = bare, feature["properties"]["name"]
        return out
    finally:
        engine.dispose()


def measure(url: str, args, tmp: Path) -> BackendRun:
    from sqlalchemy.engine import make_url

    from data_access import db

    url, reused, built = prepare(url, args.scale, args.reuse, tmp)
    rows, year = counts(url)
    backend = make_url(url).get_backend_name()
    pages = env.pages()
    if args.pages:
        pages = [p for p in pages if p in args.pages.split(",")]
    results = []
    views = list(pages)
    while views:
        view = views.pop(0)
        _say(f"{backend}: {view} …")
        result = PageResult(view, probe("page", url, view, args.runs, year, tmp))
        if "?" not in view:  # a page whose tabs run only when open: each tab is a view too
            for key, labels in result.probe.get("tabs", []):
                views[0:0] = [f"{view}?{key}={label}" for label in labels[1:]]
        if args.naive:
            result.naive = probe("naive", url, view, args.runs, year, tmp)
            result.figures_agree, result.figures_note = compare(url, view, year, result.naive)
        results.append(result)
    _say(f"{backend}: map boundaries …")
    deck = boundaries(url, year)
    found = None
    if args.sessions:
        _say(f"{backend}: {args.sessions} sessions …")
        found = sessions.measure(url, pages, args.sessions)
    temporary = url.startswith("sqlite") and str(tmp) in url
    return BackendRun(
        backend=backend,
        url="a new SQLite file in a temporary folder" if temporary else db.describe(url),
        scale=args.scale,
        counts=rows,
        pages=results,
        boundaries=deck,
        sessions=found,
        runs=args.runs,
        reused=reused,
        build_seconds=built,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scale", choices=("demo", "province"), default="province")
    parser.add_argument(
        "--url",
        action="append",
        help="database URL; 'sqlite' = a new SQLite file in a temporary folder (default); "
        "give it twice to measure two backends",
    )
    parser.add_argument("--reuse", action="store_true", help="keep demo data already there")
    parser.add_argument("--runs", type=int, default=3, help="repeats per measurement (medians)")
    parser.add_argument("--sessions", type=int, default=report.SESSIONS, help="0 to skip")
    parser.add_argument("--pages", help="only these page files, comma-separated")
    parser.add_argument("--no-naive", dest="naive", action="store_false")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started = dt.datetime.now()
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)
    machine = env.machine()
    tmp = Path(tempfile.mkdtemp(prefix="jiedui-bench-"))
    try:
        runs = [measure(url, args, tmp) for url in args.url or ["sqlite"]]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for run in runs:
        print(report.console(run))
    machine["load average"] += " (start) → " + env.machine()["load average"] + " (end)"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report.markdown(runs, machine, command, started), "utf-8")
    print(f"\nwritten to {args.output}")
    return 1 if any(p.failed for r in runs for p in r.pages) else 0


if __name__ == "__main__":
    raise SystemExit(main())
