"""Where things are, which pages the navigation has, what the machine is, and how much memory
a process holds (read from /proc, Linux)."""

from __future__ import annotations

import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
PAGES = ROOT / "pages"
MB = 1_000_000


def pages() -> list[str]:
    """The page files in the order the navigation lists them (dashboard/app.py), then any other
    file in pages/ (a page that is not in the navigation is still measured, and its error
    reported)."""
    listed = re.findall(r"""_page\(\s*["']([\w-]+\.py)["']""", APP.read_text(encoding="utf-8"))
    files = sorted(p.name for p in PAGES.glob("*.py") if not p.name.startswith("_"))
    ordered = [f for f in dict.fromkeys(listed) if f in files]
    return ordered + [f for f in files if f not in ordered]


def split_view(view: str) -> tuple[str, dict[str, str]]:
    """(page file, query parameters) of a view: a page file, or a page file and the tab it
    opens on as in a link (`contacts.py?ct_tab=应结尽结`)."""
    page, _, query = view.partition("?")
    return page, dict(parse_qsl(query))


def view_name(view: str) -> str:
    """How the report names a view: `contacts`, `contacts · 应结尽结`."""
    page, params = split_view(view)
    return " · ".join([page.removesuffix(".py"), *params.values()])


def _status(field: str, pid: int | str = "self") -> int | None:
    """A /proc/PID/status value in bytes (VmRSS, VmHWM), None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def rss(pid: int | str = "self") -> int | None:
    return _status("VmRSS", pid)


def peak_rss(pid: int | str = "self") -> int | None:
    """The resident set's high-water mark since the process started or reset_peak()."""
    return _status("VmHWM", pid)


def reset_peak() -> bool:
    """Start a new high-water mark (Linux ≥ 4.0: writing 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "—"


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    ram = _ram()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "CPU": _cpu(),
        "cores": str(os.cpu_count()),
        "RAM": f"{ram / 2**30:.1f} GiB" if ram else "—",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": sys.version.split()[0],
        "Streamlit": _version("streamlit"),
        "SQLAlchemy": _version("sqlalchemy"),
        "pandas": _version("pandas"),
        "pyarrow": _version("pyarrow"),
        "psycopg": _version("psycopg"),
        "load average": " / ".join(f"{x:.1f}" for x in load) if load else "—",
    }
