"""Runs every akless benchmark scenario on loopback and writes BENCHMARKS.md and bench/results/latest.json.

Started by bench/run after the release build and the peer installs; `--help` lists the knobs.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import environment  # noqa: E402
import loadgen  # noqa: E402
import peers  # noqa: E402
import procs  # noqa: E402
import profile  # noqa: E402
import report  # noqa: E402
import setup  # noqa: E402

BENCH = Path(__file__).resolve().parents[1]
ROOT = BENCH.parent


class Log:
    """Prints progress and keeps it in the work folder."""

    def __init__(self, path: Path):
        self.file = open(path, "w")
        self.started = time.monotonic()

    def __call__(self, text: str) -> None:
        line = f"[{time.monotonic() - self.started:6.1f}s] {text}"
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured point (default 5)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64],
                        help="keep-alive connections per point (default 1 16 64)")
    parser.add_argument("--peer-concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--roles", type=int, default=100_000, help="roles seeded for the scale scenario")
    parser.add_argument("--policies", type=int, default=100_000, help="policies seeded for the scale scenario")
    parser.add_argument("--cold-concurrency", type=int, default=256)
    parser.add_argument("--quick", action="store_true", help="2 s points at 16 connections, 5,000 roles: a smoke test")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--no-profile", action="store_true", help="skip the callgrind instruction counts")
    parser.add_argument("--profile-only", action="store_true",
                        help="only the callgrind instruction counts, written to bench/work/profile.json")
    parser.add_argument("--akless-binary", type=Path, help="serve with this akless binary (for before/after runs)")
    parser.add_argument("--markdown", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--results", type=Path, default=BENCH / "results" / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.duration = 2.0
        args.concurrency = [16]
        args.peer_concurrency = [16]
        args.roles = args.policies = 5_000
        args.cold_concurrency = 64
    return args


def transport_scenarios(args, work, data, issuer, config, transport, log) -> dict:
    """Scenarios 1-4 and the hello bound over one transport."""
    files = config["files"]
    out = {}
    server = setup.Akless(work, data, transport, issuer, f"main-{transport}")
    try:
        hello_port = procs.free_port()
        hello_argv = [setup.HELPER, "hello", "--data-dir", data, "--listen", f"127.0.0.1:{hello_port}"]
        if transport == "http":
            hello_argv.append("--http")
        hello = procs.Service(f"hello {transport}", hello_argv, work / f"hello-{transport}.log")
        try:
            hello.wait_ready(hello_port)
            out["hello"] = {"points": loadgen.series(
                f"hello {transport}", f"{transport}://127.0.0.1:{hello_port}/", "post.lua",
                [files["token"], "text/plain"], args.concurrency, args.duration, hello.pid, log=log)}
            out["hello"]["hwm_kb"] = procs.memory_kb(hello.pid)["hwm_kb"]
        finally:
            hello.stop()

        exchange_url = server.url + setup.EXCHANGE_QUERY
        for alg in ["RS256", "ES256", "EdDSA"]:
            out[f"exchange_{alg}"] = {"points": loadgen.series(
                f"exchange {alg} {transport}", exchange_url, "post.lua", [files[alg], setup.FORM],
                args.concurrency, args.duration, server.pid, log=log)}

        out["exchange_RS256"]["half_load"] = half_load(
            exchange_url, [files["RS256"], setup.FORM, "-"], loadgen.peak(out["exchange_RS256"]["points"])["rps"],
            args.duration, server.pid)
        half = out["exchange_RS256"]["half_load"]
        log(f"  half load RS256 {transport}: target {half['target_rps']}/s, got {half['rps']:.0f}/s, "
            f"p99 {half['p99_ms']:.2f} ms")

        out["token"] = {"points": loadgen.series(
            f"token endpoint {transport}", server.url + setup.TOKEN_PATH, "post.lua",
            [files["token"], setup.FORM, config["basic"]], args.concurrency, args.duration, server.pid, log=log)}

        ca_files = ["--ca-file", issuer.ca, "--ca-file", data / "tls" / "ca.pem"]
        cold = json.loads(procs.run([
            setup.HELPER, "cold", "--url", server.url, "--body-file", files[f"cold-{transport}"],
            "--concurrency", args.cold_concurrency, *ca_files, "--issuer-base", issuer.base,
            "--tenant-path", f"/t/cold-{transport}"]))
        out["cold"] = cold
        log(f"  cold issuer {transport}: {cold['successes']}/{cold['concurrency']} succeeded, first after "
            f"{cold['first_success_ms']:.1f} ms, last after {cold['last_success_ms']:.1f} ms, "
            f"{cold['discovery_fetches']} discovery + {cold['jwks_fetches']} JWKS fetches")
        out["server_memory_kb"] = procs.memory_kb(server.pid)
    finally:
        server.stop()
    return out


def half_load(url: str, script_args: list, peak_rps: float, duration: float, server_pid: int,
              conns: int = 16) -> dict:
    """Offers half the peak rate: each of `conns` connections waits a random gap between requests. A 2 s
    calibration run measures the time a request adds to each gap, and the measured run subtracts it."""
    target = max(1.0, peak_rps / 2)
    gap_ms = conns * 1000.0 / target
    calibration = loadgen.wrk(url, "paced.lua", [*script_args, f"{gap_ms:.3f}"], conns, 2, server_pid)
    busy_ms = max(0.0, conns * 1000.0 / max(calibration["rps"], 1.0) - gap_ms)
    gap_ms = max(0.0, gap_ms - busy_ms)
    point = loadgen.wrk(url, "paced.lua", [*script_args, f"{gap_ms:.3f}"], conns, duration, server_pid)
    point["target_rps"] = round(target)
    point["mean_gap_ms"] = round(gap_ms, 3)
    return point


def scale(args, work, issuer, log) -> dict:
    """Scenario 5: the exchange against a store with 100 providers and many roles and policies."""
    shm = Path("/dev/shm")
    # Seeding on tmpfs skips an fsync per row; the server then runs from a copy on the work disk.
    seed_parent = Path(tempfile.mkdtemp(prefix="akless-seed-", dir=shm if shm.is_dir() else work))
    try:
        started = time.monotonic()
        seeded = json.loads(procs.run([
            setup.HELPER, "seed", "--data-dir", seed_parent / "data", "--providers", 100,
            "--roles", args.roles, "--policies", args.policies, "--issuer-base", issuer.base,
            "--fingerprint", issuer.fingerprint, "--client-id", setup.CLIENT_ID, "--subject", setup.SUBJECT,
        ], timeout=1200))
        data = work / "scale-data"
        shutil.copytree(seed_parent / "data", data)
        seeded["seconds_total"] = round(time.monotonic() - started, 1)
    finally:
        shutil.rmtree(seed_parent, ignore_errors=True)
    db_bytes = sum(f.stat().st_size for f in data.glob("akless.db*"))
    log(f"  seeded {seeded['providers']} providers, {seeded['roles']} roles, {seeded['policies']} policies "
        f"in {seeded['seconds_total']} s; database {db_bytes / 1e6:.0f} MB")
    account = seeded["account_id"]
    tokens = procs.run([setup.HELPER, "mint", "--dir", issuer.dir, "--alg", "RS256", "--iss", issuer.url("scale-{i}"),
                        "--count", 100, "--aud", setup.CLIENT_ID, "--sub", setup.SUBJECT, "--ttl", 7200]).split()
    tokens_file = work / "scale-tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    same_body = work / "body-scale.txt"
    same_body.write_text(setup.exchange_body(account, "scale-000", "scale-role-000000", tokens[0]))

    out = {"seed": seeded, "database_bytes": db_bytes}
    for transport in ["https", "http"]:
        server = setup.Akless(work, data, transport, issuer, f"scale-{transport}")
        try:
            out[transport] = {"paired": paired_rounds(args, work, issuer, server, same_body, transport, log)}
            url = server.url + setup.EXCHANGE_QUERY
            hot = loadgen.series(f"scale one role {transport}", url, "post.lua", [same_body, setup.FORM],
                                 args.concurrency, args.duration, server.pid, log=log)
            spread = loadgen.series(f"scale random roles {transport}", url, "random_role.lua",
                                    [account, args.roles, 100, tokens_file], args.concurrency, args.duration,
                                    server.pid, warmup=3.0, log=log)
            out[transport].update({"one_role": {"points": hot}, "random_roles": {"points": spread},
                                   "server_memory_kb": procs.memory_kb(server.pid)})
            log(f"  scale {transport}: peak RSS {out[transport]['server_memory_kb']['hwm_kb'] / 1024:.0f} MiB")
        finally:
            server.stop()
    return out


def paired_rounds(args, work, issuer, scale_server, scale_body, transport, log, rounds: int = 3) -> dict:
    """Measures the one-role exchange against the scenario 1 store and the scale store in alternating
    points, so that a slow spell of the shared machine hits both sides. Run-to-run drift between two
    separate series is several percent here, as large as the margin that goal 5 tests."""
    small = setup.Akless(work, work / "data", transport, issuer, f"paired-{transport}")
    conns = max(args.concurrency)
    small_body = work / "body-RS256.txt"
    sides = {"scenario1": [], "scale": []}
    try:
        for _ in range(rounds):
            for side, server, body in [("scenario1", small, small_body), ("scale", scale_server, scale_body)]:
                url = server.url + setup.EXCHANGE_QUERY
                loadgen.wrk(url, "post.lua", [body, setup.FORM], conns, 1, server.pid)
                point = loadgen.wrk(url, "post.lua", [body, setup.FORM], conns, args.duration, server.pid)
                sides[side].append(point["rps"])
    finally:
        small.stop()
    medians = {side: statistics.median(values) for side, values in sides.items()}
    log(f"  paired {transport}: scale store {medians['scale']:.0f}/s vs scenario 1 store "
        f"{medians['scenario1']:.0f}/s (medians of {rounds} alternating points)")
    return {"conns": conns, "rounds": rounds, "rps": sides, "median_rps": medians}


def profiles(args, work, data, issuer, config, log) -> dict:
    files = config["files"]
    out = {}

    def akless_start(transport):
        return lambda wrapper: setup.Akless(work, data, transport, issuer, f"callgrind-{transport}", wrapper=wrapper)

    out["hello_https"] = profile.measure("hello-https", profile.hello_server(work, data, "https"), "/",
                                         [files["token"], "text/plain"], work, log=log)
    out["exchange_RS256_https"] = profile.measure("exchange-https", akless_start("https"), setup.EXCHANGE_QUERY,
                                                  [files["RS256"], setup.FORM], work, log=log)
    out["token_https"] = profile.measure("token-https", akless_start("https"), setup.TOKEN_PATH,
                                         [files["token"], setup.FORM, config["basic"]], work, log=log)
    return out


def main() -> int:
    args = parse_args()
    work = BENCH / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = Log(work / "run.log")
    started = time.monotonic()
    results = {
        "started_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join(["bench/run", *sys.argv[1:]]),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": environment.machine(),
        "versions": {**environment.versions(), **peers.versions()},
    }
    log(f"machine: {results['machine']['cpu_model']}, {results['machine']['cores']} cores; "
        f"load average {results['machine']['load_before']}")

    if args.akless_binary:
        setup.AKLESS_SERVE = args.akless_binary.resolve()
    if not args.profile_only:
        log("bare-crypto bounds (aws-lc-rs)")
        results["bounds"] = json.loads(procs.run([setup.HELPER, "bounds", "--seconds", 1.0 if args.quick else 2.0]))

    issuer = setup.Issuer(work)
    data = work / "data"
    try:
        first = setup.Akless(work, data, "https", issuer, "configure")
        try:
            config = setup.configure(first, issuer, work)
        finally:
            first.stop()
        if args.profile_only:
            profile_results = profiles(args, work, data, issuer, config, log)
            (work / "profile.json").write_text(json.dumps(profile_results, indent=2) + "\n")
            return 0
        results["transports"] = {}
        for transport in ["https", "http"]:
            log(f"scenarios 1-4 and the hello bound over {transport}")
            results["transports"][transport] = transport_scenarios(args, work, data, issuer, config, transport, log)
        if not args.no_scale:
            log("scenario 5: scale")
            results["scale"] = scale(args, work, issuer, log)
        if not args.no_peers:
            log("peers")
            token = issuer.mint("RS256", "bench")
            results["peers"] = {
                "moto": peers.moto(work, token, args.peer_concurrency, args.duration, log),
                "oidc_provider": [
                    peers.oidc_provider(work, issuer, transport, workers, args.peer_concurrency, args.duration, log)
                    for transport, workers in [("http", 1), ("https", 1), ("http", 2), ("https", 2)]
                ],
            }
        if not args.no_profile:
            log("callgrind instruction counts")
            results["profile"] = profiles(args, work, data, issuer, config, log)
    finally:
        issuer.service.stop()

    results["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.monotonic() - started, 1)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    args.markdown.write_text(report.render(results))
    log(f"wrote {args.results} and {args.markdown} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
