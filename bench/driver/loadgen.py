"""The load generator: wrk (Debian's package) with the Lua scripts in bench/wrk/.

Each point runs wrk with one thread, a fixed number of keep-alive connections and a fixed duration,
and records wrk's own summary (requests, latency percentiles from its HdrHistogram, errors) plus
the server's CPU time and memory from /proc and wrk's CPU time from the kernel's child accounting.
"""

import json
import resource
import subprocess
import time
from pathlib import Path

import procs

WRK_DIR = Path(__file__).resolve().parents[1] / "wrk"


def wrk(url: str, script: str, script_args: list, conns: int, duration: float, server_pid: int,
        threads: int = 1) -> dict:
    """Runs wrk once and returns the point's figures."""
    seconds = max(1, int(round(duration)))
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(WRK_DIR / script), url, "--", *[str(a) for a in script_args]]
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = procs.cpu_seconds(server_pid)
    switches_before = procs.context_switches(server_pid)
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    wall = time.monotonic() - started
    cpu_after = procs.cpu_seconds(server_pid)
    switches = procs.context_switches(server_pid) - switches_before
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((l for l in done.stdout.splitlines() if l.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    summary = json.loads(line[len("WRKJSON "):])
    seconds = summary["duration_us"] / 1e6
    requests = summary["requests"]
    latency = summary["latency_us"]
    errors = summary["errors"]
    server_cores = (cpu_after - cpu_before) / wall
    loadgen_cores = ((after_children.ru_utime - before_children.ru_utime)
                     + (after_children.ru_stime - before_children.ru_stime)) / wall
    rps = requests / seconds if seconds > 0 else 0.0
    memory = procs.memory_kb(server_pid)
    return {
        "conns": conns,
        "threads": threads,
        "duration_s": round(seconds, 3),
        "requests": requests,
        "rps": round(rps, 1),
        "mean_ms": round(latency["mean"] / 1000, 3),
        "p50_ms": round(latency["p50"] / 1000, 3),
        "p90_ms": round(latency["p90"] / 1000, 3),
        "p99_ms": round(latency["p99"] / 1000, 3),
        "p999_ms": round(latency["p999"] / 1000, 3),
        "max_ms": round(latency["max"] / 1000, 3),
        "errors": errors,
        "error_total": sum(errors.values()),
        "server_cpu_cores": round(server_cores, 3),
        "server_cpu_us_per_req": round(server_cores * 1e6 / rps, 1) if rps else None,
        "loadgen_cpu_cores": round(loadgen_cores, 3),
        # Threads that ended during the run take their counts with them, so a negative total means unknown.
        "server_context_switches_per_req": round(switches / requests, 3) if requests and switches >= 0 else None,
        "rss_kb": memory["rss_kb"],
        "hwm_kb": memory["hwm_kb"],
    }


def series(label: str, url: str, script: str, script_args: list, concurrencies: list, duration: float,
           server_pid: int, warmup: float = 1.0, log=print) -> list:
    """Warms up once, then measures one point per concurrency."""
    if warmup > 0:
        wrk(url, script, script_args, max(concurrencies), warmup, server_pid)
    points = []
    for conns in concurrencies:
        point = wrk(url, script, script_args, conns, duration, server_pid)
        log(f"  {label:28} c={conns:<4} {point['rps']:>10.0f} req/s  p50 {point['p50_ms']:.2f} ms  "
            f"p99 {point['p99_ms']:.2f} ms  server {point['server_cpu_cores']:.2f} cores  "
            f"wrk {point['loadgen_cpu_cores']:.2f} cores  errors {point['error_total']}")
        points.append(point)
    return points


def peak(points: list) -> dict:
    """Returns the point with the highest throughput among those without errors, or among all when every point had errors."""
    clean = [p for p in points if p["error_total"] == 0] or points
    return max(clean, key=lambda p: p["rps"])
