"""The machine and the versions a run used, for the report."""

import os
import platform
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _text(argv: list) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return (done.stdout or done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text()
    mem = re.search(r"MemTotal:\s*(\d+)", meminfo)
    os_release = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    pretty = re.search(r'PRETTY_NAME="(.*)"', os_release)
    # ps reports CPU time over each process's lifetime. Zombies keep the share of a process that has
    # ended, and this driver has just started, so both are left out.
    rows = [row.split(None, 2) for row in
            _text(["ps", "-eo", "pid,stat,pcpu,comm", "--sort=-pcpu", "--no-headers"]).splitlines()]
    busiest = [row[2] for row in rows
               if len(row) == 3 and row[0] != str(os.getpid()) and not row[1].startswith("Z")][:6]
    return {
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "os": pretty.group(1) if pretty else platform.platform(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "busiest_processes_before": [" ".join(line.split()) for line in busiest],
    }


def _lock_version(package: str) -> str:
    lock = (ROOT / "Cargo.lock").read_text()
    found = re.search(r'name = "' + re.escape(package) + r'"\nversion = "([^"]+)"', lock)
    return found.group(1) if found else None


def versions() -> dict:
    revision = _text(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    # The run's own outputs do not count as changes to what was measured.
    dirty = _text(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", ".",
                   ":!BENCHMARKS.md", ":!bench/results", ":!bench/analysis.md"])
    wrk = _text(["wrk", "--version"]).splitlines()
    return {
        "akless_commit": revision + ("+uncommitted changes" if dirty else ""),
        "rustc": _text(["rustc", "--version"]),
        "aws-lc-rs": _lock_version("aws-lc-rs"),
        "rustls": _lock_version("rustls"),
        "hyper": _lock_version("hyper"),
        "axum": _lock_version("axum"),
        "tokio": _lock_version("tokio"),
        "wrk": wrk[0] if wrk else None,
        "valgrind": _text(["valgrind", "--version"]),
        "python": platform.python_version(),
    }
