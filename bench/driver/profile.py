"""Instruction counts per request under callgrind: the machine-independent view of the hot paths.

The server runs under `valgrind --tool=callgrind`; after a warm-up the counters are zeroed, wrk sends
load for a fixed time, and the counters are dumped. Instructions per request are the dump's total
divided by wrk's request count, so start-up, the warm-up and the JWKS fetch are not counted, while
everything a request costs in steady state is: TLS, HTTP, the handler, logging and the audit writer.
"""

import os
import re
import subprocess
from pathlib import Path

import loadgen
import procs
import setup

# Inclusive costs worth naming in the report, by function-name prefix.
FUNCTIONS = [
    ("exchange handler", "akless_server::handlers::sts::exchange::{{closure}}"),
    ("token signature check (verify)", "akless_core::token::verify"),
    ("JWS parse", "akless_core::jose::jws::parse_compact"),
    ("credential minting (mint)", "akless_core::mint::mint"),
    ("trust policy", "akless_core::trust::evaluate_oidc_trust"),
    ("RPC parameter parse", "akless_server::rpc::params::RpcRequest::parse"),
    ("response rendering", "akless_server::rpc::response::success"),
    ("token endpoint handler", "akless_server::issuer::token::issue::{{closure}}"),
    ("client authentication", "akless_server::issuer::client_auth::authenticate::{{closure}}"),
    ("access token signing", "akless_core::issuer::access_token::issue_access_token"),
    ("audit writer (SQLite)", "<akless_store::sqlite::SqliteStore as akless_store::Store>::insert_audit::{{closure}}"),
    ("logging (tracing events)", "tracing_core::event::Event::dispatch"),
    ("registry cache lookups", "akless_server::registry::Registry::role::{{closure}}"),
    ("JWKS cache lookup", "akless_server::jwks::JwksCache::keys::{{closure}}"),
]


def annotate(path: Path) -> tuple:
    """Returns (total Ir, {function: inclusive Ir}) of a callgrind dump."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(path)],
                         capture_output=True, text=True, check=True).stdout
    total = None
    functions = {}
    for line in out.splitlines():
        match = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line)
        if not match:
            continue
        ir = int(match.group(1).replace(",", ""))
        rest = match.group(2)
        if "PROGRAM TOTALS" in rest:
            total = ir
            continue
        name = rest.split(":", 1)[1] if rest.startswith("???:") or ":" in rest.split(" ")[0] else rest
        name = re.sub(r" \[[^\]]*\]$", "", name).strip()
        functions[name] = max(functions.get(name, 0), ir)
    return total, functions


def measure(label: str, start, path: str, script_args: list, work: Path, duration: float = 15.0,
            conns: int = 4, log=print) -> dict:
    """Starts a server under callgrind with `start(wrapper)` (which returns an object with `pid`, `url` and
    `stop()`), sends load to `url + path`, stops it, and returns per-request counts."""
    out = work / f"callgrind-{label}.out"
    wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    server = start(wrapper)
    url = server.url + path
    try:
        loadgen.wrk(url, "post.lua", script_args, 1, 3.0, server.pid)
        procs.run(["callgrind_control", "-z", server.pid])
        point = loadgen.wrk(url, "post.lua", script_args, conns, duration, server.pid)
        procs.run(["callgrind_control", "-d", server.pid])
    finally:
        server.stop()
    dumps = sorted(work.glob(f"callgrind-{label}.out.*"))
    if not dumps or point["requests"] == 0:
        raise RuntimeError(f"callgrind produced no dump for {label}")
    total, functions = annotate(dumps[-1])
    requests = point["requests"]
    named = {}
    for title, prefix in FUNCTIONS:
        value = functions.get(prefix)
        if value:
            named[title] = round(value / requests)
    result = {
        "requests": requests,
        "errors": point["error_total"],
        "instructions_per_request": round(total / requests),
        "functions_per_request": named,
    }
    log(f"  callgrind {label:20} {result['instructions_per_request']:>9,} instructions/request "
        f"({requests} requests, {point['error_total']} errors)")
    if not os.environ.get("BENCH_KEEP_CALLGRIND"):
        for path in [out, *dumps]:
            path.unlink(missing_ok=True)
    return result


def hello_server(work: Path, data_dir: Path, transport: str):
    """Returns a start function for the hello server, for `measure`."""
    def start(wrapper):
        port = procs.free_port()
        argv = [*wrapper, setup.HELPER, "hello", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}"]
        if transport == "http":
            argv.append("--http")
        service = procs.Service(f"hello {transport}", argv, work / f"hello-callgrind-{transport}.log")
        service.wait_ready(port, timeout=120)
        service.url = f"{transport}://127.0.0.1:{port}"
        return service
    return start
