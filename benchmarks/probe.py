"""One measurement in a fresh process, so that its peak memory is its own:

    python -m benchmarks.probe page  URL VIEW RUNS OUT.json
    python -m benchmarks.probe naive URL VIEW RUNS OUT.json

A VIEW is a page file, or a page file and the tab it opens on as in a link
(`contacts.py?ct_tab=应结尽结`): a page whose tabs run only when open is measured once per tab.

`page` runs the whole app (navigation, sidebar, the page) through Streamlit's AppTest, as the
server would run it for one viewer:

- first: the first run of the page in the process (empty caches, nothing compiled yet); the
  memory figures come from it: `work` is the rise of the resident set during that run above
  what the process held before it (Python, Streamlit, pandas … already imported), `peak` the
  process's whole resident high-water mark;
- cold (×RUNS): `st.cache_data.clear()`, then a run of the page for the whole province;
- warm (×RUNS): prefecture A, then B, then A again; the last run is timed (every query hits the
  cache);
- SQL: the time spent inside the data layer's query functions (data_access functions whose
  first parameter is the engine: executing statements and reading their rows) during the cold
  run, and, from SQLAlchemy's before/after_cursor_execute events, the part spent in
  cursor.execute alone (SQLite steps a statement to its first row there; the rest is fetched
  later, so `execute` alone undercounts);
- messages: every element of the run's tree serialised (`element.proto.SerializeToString()`),
  the largest and the sum;
- tabs: the page's tabs that run only when open (bound to the URL), to be measured as views.

`naive` computes the same page's headline figures with benchmarks.naive (whole tables into
pandas): the first run gives the memory figures, then RUNS timed runs.

The result is written as JSON to OUT.json.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import inspect
import json
import os
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

from benchmarks.env import APP, PAGES, peak_rss, reset_peak, rss, split_view, view_name

TIMEOUT = 900  # seconds an AppTest run may take (a loaded machine at province scale)
WARM_PREFECTURES = ("620100", "620500")  # 兰州市, 天水市
DATA_LAYER = (
    "data_access.db",
    "data_access.queries",
    "data_access.budget",
    "data_access.contacts",
    "data_access.facilities",
    "data_access.importer",
    "data_access.users",
)


class DataLayerClock:
    """Times every call of a data-layer query function (outermost calls only)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._local = threading.local()

    def install(self) -> None:
        for name in DATA_LAYER:
            module = importlib.import_module(name)
            for attr, fn in list(vars(module).items()):
                if attr.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
                    continue
                params = list(inspect.signature(fn).parameters)
                if params and params[0] == "engine":
                    setattr(module, attr, self._wrap(fn))

    def _wrap(self, fn):
        import functools

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            depth = getattr(self._local, "depth", 0)
            self._local.depth = depth + 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._local.depth = depth
                if depth == 0:
                    self.seconds += time.perf_counter() - start
                    self.calls += 1

        return timed

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0


class CursorClock:
    """Sums the time of cursor.execute over the engine's statements."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.seconds = 0.0
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:
        self.seconds += time.perf_counter() - conn.info["bench_started"].pop()
        self.statements += 1

    def reset(self) -> None:
        self.seconds, self.statements = 0.0, 0


def _preload() -> None:
    """Import what any page imports, so that a page's memory is what its run adds."""
    import pkgutil

    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import pyarrow  # noqa: F401
    import pydeck  # noqa: F401
    from streamlit.testing.v1 import AppTest  # noqa: F401

    for package in ("dashboard", "data_access"):
        path = importlib.import_module(package).__path__
        for module in pkgutil.iter_modules(path):
            if module.ispkg or module.name in ("app", "__main__"):
                continue
            # A module that does not import yet (being written) must not stop the run.
            with contextlib.suppress(Exception):
                importlib.import_module(f"{package}.{module.name}")


def _share_script_cache() -> None:
    """The server compiles each page once and keeps the bytecode (one ScriptCache per
    runtime); AppTest makes a new cache for every run. Share one, as the server does."""
    from streamlit.testing.v1 import app_test

    shared = app_test.ScriptCache()
    app_test.ScriptCache = lambda: shared


def messages(at) -> dict:
    """Sizes of what the run sends to the browser: every element's protobuf."""
    from streamlit.testing.v1 import element_tree

    largest, kind, total, count = 0, "", 0, 0
    for node in at._tree:
        if isinstance(node, element_tree.Block):
            continue
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        size = len(proto.SerializeToString())
        total += size
        count += 1
        if size > largest:
            largest, kind = size, proto.DESCRIPTOR.name
    return {"largest": largest, "largest_kind": kind, "total": total, "elements": count}


def lazy_tabs(tree) -> list[tuple[str, list[str]]]:
    """(query parameter, labels) of each st.tabs in an AppTest's element tree that runs only
    its open tab (bound to the URL). The tests' page walks open each tab with it too."""
    found = []
    for node in tree:
        proto = getattr(node, "proto", None)
        if type(proto).__name__ != "Block" or proto.WhichOneof("type") != "tab_container":
            continue
        if proto.tab_container.query_param_key:
            labels = [tab.label for tab in node.children.values()]
            found.append((proto.tab_container.query_param_key, labels))
    return found


def _problems(at) -> list[str]:
    found = [f"exception: {e.value}" for e in at.exception]
    found += [f"error: {e.value}" for e in at.error]
    return found


def _timed_run(at) -> float:
    start = time.perf_counter()
    at.run()
    return time.perf_counter() - start


def page_probe(url: str, view: str, runs: int) -> dict:
    os.environ["DASHBOARD_DB_URL"] = url
    _preload()
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from data_access import db

    _share_script_cache()
    layer = DataLayerClock()
    layer.install()
    cursor = CursorClock(db.engine_for(url))
    out: dict = {"page": view, "problems": []}
    page, params = split_view(view)

    gc.collect()
    before = rss()
    reset_peak()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(str(PAGES / page))
    out["first"] = _timed_run(at)
    peak = peak_rss()
    out["rss_before"], out["peak_first"] = before, peak
    out["work_memory"] = peak - before if peak and before else None
    out["problems"] += _problems(at)
    out["title"] = at.title[0].value if len(at.title) else None
    out["tabs"] = lazy_tabs(at._tree)

    cold, warm, sql, execute, statements, calls, warm_sql = [], [], [], [], [], [], []
    largest = {"largest": 0, "largest_kind": "", "total": 0, "elements": 0}
    total = []
    for _ in range(runs):
        st.cache_data.clear()
        layer.reset()
        cursor.reset()
        cold.append(_timed_run(at))
        sql.append(layer.seconds)
        calls.append(layer.calls)
        execute.append(cursor.seconds)
        statements.append(cursor.statements)
        out["problems"] += _problems(at)
        sizes = messages(at)
        total.append(sizes["total"])
        if sizes["largest"] > largest["largest"]:
            largest = sizes
        try:
            choose = at.sidebar.selectbox(key="prefecture")
        except KeyError:
            out["problems"].append("no prefecture filter in the sidebar: warm run not measured")
            continue
        a, b = WARM_PREFECTURES
        choose.select(a).run()
        at.sidebar.selectbox(key="prefecture").select(b).run()
        at.sidebar.selectbox(key="prefecture").select(a)
        layer.reset()
        warm.append(_timed_run(at))
        warm_sql.append(layer.seconds)
        out["problems"] += _problems(at)
        sizes = messages(at)
        if sizes["largest"] > largest["largest"]:
            largest = sizes
        at.sidebar.selectbox(key="prefecture").select("all").run()

    out.update(
        cold=cold,
        warm=warm,
        sql=sql,
        execute=execute,
        statements=statements,
        query_calls=calls,
        warm_sql=warm_sql,
        messages=largest,
        messages_total=statistics.median(total) if total else None,
        peak_process=peak_rss(),
    )
    out["problems"] = sorted(set(out["problems"]))
    return out


def naive_probe(url: str, view: str, runs: int, year: int) -> dict:
    from sqlalchemy import create_engine

    from benchmarks import naive

    baseline = naive.BASELINES.get(view_name(view))
    if baseline is None:
        return {"page": view, "naive": False}
    engine = create_engine(url)
    gc.collect()
    before = rss()
    reset_peak()
    start = time.perf_counter()
    figures = baseline(engine, year)
    first = time.perf_counter() - start
    peak = peak_rss()
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        baseline(engine, year)
        times.append(time.perf_counter() - start)
    engine.dispose()
    return {
        "page": view,
        "naive": True,
        "first": first,
        "times": times,
        "rss_before": before,
        "peak_first": peak,
        "work_memory": peak - before if peak and before else None,
        "figures": figures,
    }


def main(argv: list[str]) -> int:
    kind, url, page, runs, out_path = argv[:5]
    year = int(argv[5]) if len(argv) > 5 else 2024
    try:
        if kind == "page":
            result = page_probe(url, page, int(runs))
        else:
            result = naive_probe(url, page, int(runs), year)
    except Exception:
        result = {"page": page, "failed": traceback.format_exc()}
    Path(out_path).write_text(json.dumps(result, ensure_ascii=False, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
