"""Renders BENCHMARKS.md from the results of one run.

Every figure comes from the run's results. The only hand-written part is bench/analysis.md (why
goals are missed, what the profile showed and what changed), which is copied in verbatim.
"""

from pathlib import Path

import loadgen

BENCH = Path(__file__).resolve().parents[1]


def _f(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _bound(results, op) -> float:
    """Operations per second of `op` on all cores, computed as cores x the one-core rate."""
    ops = results["bounds"]["ops"][op]
    return ops["per_core"] * results["bounds"]["cores"]


def _point_rows(points, bound, hello_points, crypto_us):
    hello_by_conns = {p["conns"]: p["rps"] for p in hello_points or []}
    rows = []
    for p in points:
        hello = hello_by_conns.get(p["conns"])
        server_us = p["server_cpu_us_per_req"]
        rows.append("| {conns} | {rps} | {p50} | {p99} | {mx} | {cpu} | {us} | {cs} | {wrk} | {rss} | {rb} | {rh} | {share} |{err}".format(
            conns=p["conns"], rps=_f(p["rps"]), p50=_f(p["p50_ms"], 2), p99=_f(p["p99_ms"], 2),
            mx=_f(p["max_ms"], 1), cpu=_f(p["server_cpu_cores"], 2), us=_f(server_us, 1),
            cs=_f(p.get("server_context_switches_per_req"), 2) if (p.get("server_context_switches_per_req") or 0) >= 0 else "n/a",
            wrk=_f(p["loadgen_cpu_cores"], 2), rss=_f(p["rss_kb"] / 1024, 0),
            rb=_f(p["rps"] / bound, 3) if bound else "",
            rh=_f(p["rps"] / hello, 3) if hello else "",
            share=f"{100 * crypto_us / server_us:.0f} %" if crypto_us and server_us else "",
            err=f" {p['error_total']} errors" if p["error_total"] else ""))
    return rows


HEADER = ("| conns | req/s | p50 ms | p99 ms | max ms | server CPU (cores) | server CPU µs/req | context switches/req "
          "| wrk CPU (cores) | RSS MiB | ÷ crypto bound | ÷ hello | crypto share of server CPU |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def _table(title, points, bound, hello_points, note="", crypto_us=None):
    lines = [f"#### {title}", ""]
    if note:
        lines += [note, ""]
    lines += [HEADER, *_point_rows(points, bound, hello_points, crypto_us), ""]
    return lines


def args_duration(results) -> str:
    """Returns the seconds per measured point of the run."""
    return _f(results["config"]["duration"], 0)


def _point(points: list, conns: int, field: str):
    """Returns `field` of the point measured at `conns` connections, or None."""
    return next((p[field] for p in points if p["conns"] == conns), None)


def _limits(results, us) -> list:
    """Lists what limits each number, computed from this run's figures."""
    t = results["transports"]
    cores = results["bounds"]["cores"]
    lines = ["## What limits each number", ""]
    for transport in ["https", "http"]:
        hello = loadgen.peak(t[transport]["hello"]["points"])
        lines.append(
            f"- Hello ({transport}): {_f(hello['rps'])}/s with the server at {_f(hello['server_cpu_cores'], 2)} cores and "
            f"wrk at {_f(hello['loadgen_cpu_cores'], 2)}; wrk's single thread saturates one core first, so this bound is "
            f"the load generator's as much as the stack's. The stack itself costs {_f(hello['server_cpu_us_per_req'], 1)} "
            "µs of server CPU per request, kernel networking included. With one connection wrk sleeps between "
            "responses and each response must wake it: there the same stack costs "
            f"{_f(_point(t[transport]['hello']['points'], 1, 'server_cpu_us_per_req'), 1)} µs per request.")
        for key, op, label in [("exchange_RS256", "rs256_verify", "RS256 exchange"),
                               ("exchange_ES256", "es256_verify", "ES256 exchange"),
                               ("exchange_EdDSA", "eddsa_verify", "EdDSA exchange"),
                               ("token", "es256_sign", "token endpoint")]:
            p = loadgen.peak(t[transport][key]["points"])
            server_us = p["server_cpu_us_per_req"]
            rest = server_us - us[op] - hello["server_cpu_us_per_req"]
            lines.append(
                f"- {label} ({transport}): {_f(p['rps'])}/s at {p['conns']} connections, server "
                f"{_f(p['server_cpu_cores'], 2)} cores + wrk {_f(p['loadgen_cpu_cores'], 2)} of {cores}. Each request "
                f"costs {_f(server_us, 1)} µs of server CPU: {_f(us[op], 1)} µs of bare crypto "
                f"({100 * us[op] / server_us:.0f} %), about {_f(hello['server_cpu_us_per_req'], 1)} µs of HTTP stack as "
                f"in hello, and {_f(rest, 1)} µs for the rest (request parsing, JWS and JSON, sealing the session or "
                "client authentication, the audit record and its SQLite write, waking wrk when it sleeps between "
                f"responses, and the scheduling of {_f(p.get('server_context_switches_per_req'), 2)} context switches "
                "per request).")
    if "scale" in results:
        for transport in ["https", "http"]:
            one = loadgen.peak(results["scale"][transport]["one_role"]["points"])
            spread = loadgen.peak(results["scale"][transport]["random_roles"]["points"])
            lines.append(
                f"- Scale, random roles ({transport}): {_f(spread['rps'])}/s against {_f(one['rps'])}/s for one role. "
                f"At their peaks a request costs about {_f(spread['server_cpu_us_per_req'] - one['server_cpu_us_per_req'], 0)} µs "
                f"more server CPU than with one cached role, and makes {_f(spread.get('server_context_switches_per_req'), 1)} "
                f"context switches against {_f(one.get('server_context_switches_per_req'), 1)}. A registry-cache miss makes "
                "one store call, a read transaction of three statements with each statement a round trip to the "
                "SQLite connection's worker thread, then compiling the trust policy and the attached policy.")
    if "peers" in results:
        moto = loadgen.peak(results["peers"]["moto"]["points"])
        lines.append(
            f"- moto: {_f(moto['rps'])}/s at {_f(moto['server_cpu_cores'], 2)} cores: the Werkzeug development server "
            "and Python's interpreter lock keep it on about one core.")
        for peer in results["peers"]["oidc_provider"]:
            p = loadgen.peak(peer["points"])
            lines.append(
                f"- oidc-provider, {peer['workers']} process{'es' if peer['workers'] > 1 else ''} ({peer['transport']}): "
                f"{_f(p['rps'])}/s at {_f(p['server_cpu_cores'], 2)} cores, {_f(p['server_cpu_us_per_req'], 1)} µs of CPU "
                f"per token against {_f(us['es256_sign'], 1)} µs for the bare signature.")
    lines += ["", "Client and server share the machine's cores, so every figure above is lower than a server with "
              "the cores to itself would reach; the ratios to the bounds are the conservative reading.", ""]
    return lines


def render(results: dict) -> str:
    out = []
    m = results["machine"]
    v = results["versions"]
    b = results["bounds"]
    cores = b["cores"]
    t = results["transports"]
    rs_bound = _bound(results, "rs256_verify")
    es_verify_bound = _bound(results, "es256_verify")
    ed_bound = _bound(results, "eddsa_verify")
    sign_bound = _bound(results, "es256_sign")
    us = {op: 1e6 / results["bounds"]["ops"][op]["per_core"] for op in results["bounds"]["ops"]}

    out += ["# akless benchmarks", "",
            "Generated by `bench/run` (do not edit by hand; `bench/analysis.md` holds the hand-written part). "
            f"Run started {results['started_utc']}, took {results['seconds']:.0f} s. "
            "Machine-readable results: `bench/results/latest.json`.", ""]

    # Goals.
    out += ["## Goals", "", "| goal | figure | result |", "|---|---|---|"]
    for transport in ["https", "http"]:
        s1 = loadgen.peak(t[transport]["exchange_RS256"]["points"])
        out.append(f"| 1. RS256 exchange ≥ 0.5 × {cores} cores × bare RS256 verify (target {_f(0.5 * rs_bound)}/s), {transport} "
                   f"| {_f(s1['rps'])}/s = {_f(s1['rps'] / rs_bound, 3)} × bound | {_yes(s1['rps'] >= 0.5 * rs_bound)} |")
        half = t[transport]["exchange_RS256"]["half_load"]
        out.append(f"| 1. p99 < 5 ms at half of peak ({_f(half['target_rps'])}/s offered), {transport} "
                   f"| p99 {_f(half['p99_ms'], 2)} ms at {_f(half['rps'])}/s | {_yes(half['p99_ms'] < 5)} |")
    for alg, bound, op in [("ES256", es_verify_bound, "ES256 verify"), ("EdDSA", ed_bound, "Ed25519 verify")]:
        for transport in ["https", "http"]:
            s2 = loadgen.peak(t[transport][f"exchange_{alg}"]["points"])
            out.append(f"| 2. {alg} exchange ≥ 0.5 × {cores} cores × bare {op} (target {_f(0.5 * bound)}/s), {transport} "
                       f"| {_f(s2['rps'])}/s = {_f(s2['rps'] / bound, 3)} × bound | {_yes(s2['rps'] >= 0.5 * bound)} |")
    for transport in ["https", "http"]:
        s3 = loadgen.peak(t[transport]["token"]["points"])
        out.append(f"| 3. token endpoint ≥ 0.6 × {cores} cores × bare ES256 signing (target {_f(0.6 * sign_bound)}/s), {transport} "
                   f"| {_f(s3['rps'])}/s = {_f(s3['rps'] / sign_bound, 3)} × bound | {_yes(s3['rps'] >= 0.6 * sign_bound)} |")
    for transport in ["https", "http"]:
        cold = t[transport]["cold"]
        ok = cold["discovery_fetches"] == 1 and cold["jwks_fetches"] == 1 and cold["successes"] == cold["concurrency"]
        out.append(f"| 4. cold issuer, {cold['concurrency']} concurrent exchanges: exactly 1 discovery + 1 JWKS fetch, {transport} "
                   f"| {cold['discovery_fetches']} + {cold['jwks_fetches']} fetches, {cold['successes']} successes, "
                   f"first after {_f(cold['first_success_ms'], 1)} ms | {_yes(ok)} |")
    if "scale" in results:
        for transport in ["https", "http"]:
            sc = results["scale"][transport]
            paired = sc["paired"]
            one = paired["median_rps"]["scale"]
            s1 = paired["median_rps"]["scenario1"]
            out.append(f"| 5. scale: throughput within 10 % of scenario 1 (medians of {paired['rounds']} alternating "
                       f"points at {paired['conns']} connections), {transport} | {_f(one)}/s vs {_f(s1)}/s "
                       f"({_f(100 * (one - s1) / s1, 1)} %) | {_yes(one >= 0.9 * s1)} |")
            hwm = sc["server_memory_kb"]["hwm_kb"] / 1024
            out.append(f"| 5. scale: peak RSS < 256 MB, {transport} | {_f(hwm)} MiB | {_yes(hwm * 1.048576 < 256)} |")
    if "peers" in results:
        moto = loadgen.peak(results["peers"]["moto"]["points"])["rps"]
        ak = loadgen.peak(t["http"]["exchange_RS256"]["points"])["rps"]
        out.append(f"| peers: akless exchange ≥ 20 × moto (both plain HTTP) | {_f(ak)}/s vs {_f(moto)}/s = "
                   f"{_f(ak / moto, 1)} × | {_yes(ak >= 20 * moto)} |")
        for peer in results["peers"]["oidc_provider"]:
            op = loadgen.peak(peer["points"])["rps"]
            ak = loadgen.peak(t[peer["transport"]]["token"]["points"])["rps"]
            out.append(f"| peers: akless token endpoint ≥ 5 × oidc-provider ({peer['workers']} process"
                       f"{'es' if peer['workers'] > 1 else ''}, {peer['transport']}) | {_f(ak)}/s vs {_f(op)}/s = "
                       f"{_f(ak / op, 1)} × | {_yes(ak >= 5 * op)} |")
    out.append("")

    # Machine and method.
    out += ["## Machine, versions, commands", "",
            f"- CPU: {m['cpu_model']}, {m['cores']} cores; {m['memory_gib']} GiB; {m['os']}, kernel {m['kernel']}.",
            f"- Load average (1, 5, 15 min) before the run: {m['load_before']}; after: {m.get('load_after')}. "
            "Busiest processes at the start: " + "; ".join(f"`{p}`" for p in m["busiest_processes_before"]) + ".",
            f"- akless {v['akless_commit']}, {v['rustc']}, aws-lc-rs {v['aws-lc-rs']}, rustls {v['rustls']}, "
            f"hyper {v['hyper']}, axum {v['axum']}, tokio {v['tokio']}.",
            f"- Load generator: {v['wrk']} (Debian package), one thread, keep-alive connections, Lua scripts in `bench/wrk/`.",
            f"- Peers: moto {v.get('moto')} (`moto[server]`, Werkzeug development server), "
            f"oidc-provider {v.get('oidc-provider')} on node {v.get('node')}; {v['valgrind']}; Python {v['python']}.",
            f"- Command: `{results['command']}`, which first builds akless in release mode (a few minutes on a cold "
            "target folder, not counted in the run time above) and installs the peers. "
            f"Each point lasts {results['config']['duration']} s after a 1 s warm-up, at "
            f"{results['config']['concurrency']} connections. Server CPU is the utime + stime delta of the "
            "server's processes from /proc over the point's wall time, peak RSS is VmHWM, context switches are the "
            "voluntary and involuntary switches of the server's live threads, and wrk's CPU comes from the "
            "kernel's accounting of the finished child.", ""]

    out += ["## Bounds (same run)", "",
            "Bare operations with aws-lc-rs, the library the server uses, on one thread and on all threads "
            "(`akless-bench bounds`); the signing input is a 500-byte JWT. Verifications use keys parsed once; "
            "`unparsed` rows parse the key on every call.", "",
            "| operation | per core (/s) | all cores (/s) | µs per operation |", "|---|---:|---:|---:|"]
    for name, op in b["ops"].items():
        out.append(f"| {name} | {_f(op['per_core'])} | {_f(op['all_cores'])} | {_f(1e6 / op['per_core'], 1)} |")
    out += ["", f"Bounds used below: cores × per-core rate, so RS256 verify {_f(rs_bound)}/s, ES256 verify "
            f"{_f(es_verify_bound)}/s, Ed25519 verify {_f(ed_bound)}/s, ES256 sign {_f(sign_bound)}/s. "
            "The HTTP bound is `akless-bench hello`: the server's own listener (`akless_server::serve::Listener`, "
            "same TLS settings from the data directory's local CA, hyper, axum, tokio) answering `hello` to a POST.", ""]

    for transport in ["https", "http"]:
        tr = t[transport]
        hello = tr["hello"]["points"]
        out += [f"## Over {transport.upper()}", ""]
        out += _table(f"Hello bound ({transport})", hello, None, None)
        out += _table(f"Scenario 1: AssumeRoleWithOIDC, RS256 token, warm JWKS cache ({transport})",
                      tr["exchange_RS256"]["points"], rs_bound, hello, crypto_us=us["rs256_verify"])
        half = tr["exchange_RS256"]["half_load"]
        out += [f"Half of peak: {half['conns']} connections paced to {_f(half['target_rps'])}/s offered gave "
                f"{_f(half['rps'])}/s with p50 {_f(half['p50_ms'], 2)} ms, p99 {_f(half['p99_ms'], 2)} ms, "
                f"max {_f(half['max_ms'], 1)} ms, server CPU {_f(half['server_cpu_cores'], 2)} cores.", ""]
        out += _table(f"Scenario 2: ES256 token ({transport})", tr["exchange_ES256"]["points"], es_verify_bound, hello,
                      crypto_us=us["es256_verify"])
        out += _table(f"Scenario 2: EdDSA (Ed25519) token ({transport})", tr["exchange_EdDSA"]["points"], ed_bound, hello,
                      crypto_us=us["eddsa_verify"])
        out += _table(f"Scenario 3: token endpoint, client_secret_basic, ES256 access tokens ({transport})",
                      tr["token"]["points"], sign_bound, hello, crypto_us=us["es256_sign"])
        cold = tr["cold"]
        out += [f"#### Scenario 4: cold issuer ({transport})", "",
                f"{cold['concurrency']} exchanges sent at once (connections opened beforehand) for a provider whose keys "
                f"were never fetched: {cold['successes']} succeeded (statuses {cold['statuses']}); the issuer saw "
                f"{cold['discovery_fetches']} discovery and {cold['jwks_fetches']} JWKS request(s). First success after "
                f"{_f(cold['first_success_ms'], 1)} ms, last after {_f(cold['last_success_ms'], 1)} ms.", "",
                f"Server memory after the {transport} scenarios: RSS {_f(tr['server_memory_kb']['rss_kb'] / 1024)} MiB, "
                f"peak {_f(tr['server_memory_kb']['hwm_kb'] / 1024)} MiB.", ""]

    if "scale" in results:
        sc = results["scale"]
        seed = sc["seed"]
        out += ["## Scenario 5: scale", "",
                f"The store holds {seed['providers']} OIDC providers, {_f(seed['roles'])} roles and "
                f"{_f(seed['policies'])} policies, each role with its own trust policy and one attached policy. "
                "They were written through the `Store` trait (`akless-bench seed`, on tmpfs to skip an fsync per "
                "row, then copied to the work disk) before the server started, not through 200,000 signed API "
                f"calls; seeding took {seed['seconds_total']} s and the SQLite file is "
                f"{_f(sc['database_bytes'] / 1e6)} MB. The registry cache keeps its default 5 s TTL.", ""]
        for transport in ["https", "http"]:
            hello = t[transport]["hello"]["points"]
            out += _table(f"One role, one provider ({transport})", sc[transport]["one_role"]["points"], rs_bound, hello,
                          crypto_us=us["rs256_verify"])
            out += _table(f"A uniformly random role of {_f(seed['roles'])} per request ({transport})",
                          sc[transport]["random_roles"]["points"], rs_bound, hello, crypto_us=us["rs256_verify"],
                          note="Role j trusts provider j mod 100; almost every request misses the registry cache "
                               "and loads the role, its trust policy and its attached policy from SQLite.")
            paired = sc[transport]["paired"]
            out += [f"Goal 5 compares the two stores in alternating {args_duration(results)} s points at "
                    f"{paired['conns']} connections ({transport}), the one-role exchange against a server on the "
                    f"scenario 1 store and against the scale server: scenario 1 store "
                    f"{', '.join(_f(v) for v in paired['rps']['scenario1'])} req/s, scale store "
                    f"{', '.join(_f(v) for v in paired['rps']['scale'])} req/s.", ""]
            mem = sc[transport]["server_memory_kb"]
            out += [f"Server memory after the {transport} scale runs: RSS {_f(mem['rss_kb'] / 1024)} MiB, "
                    f"peak {_f(mem['hwm_kb'] / 1024)} MiB.", ""]

    if "peers" in results:
        p = results["peers"]
        out += ["## Peers (same run)", "",
                "moto's server answers AWS STS `AssumeRoleWithWebIdentity` and validates nothing: no signature, "
                "issuer, audience, expiry or trust policy check, so it does strictly less work than akless. "
                "oidc-provider is configured like the akless token endpoint: one client, client_secret_basic, "
                "client_credentials, ES256-signed JWT access tokens for one resource server "
                "(`bench/peers/oidc-provider/server.mjs`), once as one node process (its documented setup) and "
                "once as a node:cluster of 2 processes, one per core. moto serves only plain HTTP.", ""]
        out += _table("moto AssumeRoleWithWebIdentity (http)", p["moto"]["points"], None, t["http"]["hello"]["points"])
        for peer in p["oidc_provider"]:
            out += _table(f"oidc-provider client_credentials, {peer['workers']} process"
                          f"{'es' if peer['workers'] > 1 else ''} ({peer['transport']})", peer["points"], sign_bound,
                          t[peer["transport"]]["hello"]["points"], crypto_us=us["es256_sign"])

    out += _limits(results, us)

    if "profile" in results:
        pr = results["profile"]
        out += ["## Instructions per request (callgrind)", "",
                "Each server ran under `valgrind --tool=callgrind`; counters were zeroed after a warm-up and dumped "
                "after 15 s of load at 4 connections over HTTPS, and divided by wrk's request count. They count "
                "user-space instructions of every thread (TLS, HTTP, handler, logging, audit writer), not the kernel. "
                "valgrind's CPU model lacks some instruction-set extensions, so the crypto share is higher than on "
                "the bare CPU.", "",
                "| part (inclusive) | hello | exchange RS256 | token endpoint |", "|---|---:|---:|---:|"]
        keys = ["hello_https", "exchange_RS256_https", "token_https"]
        out.append("| **whole request** | " + " | ".join(_f(pr[k]["instructions_per_request"]) for k in keys) + " |")
        names = []
        for k in keys:
            for name in pr[k]["functions_per_request"]:
                if name not in names:
                    names.append(name)
        for name in names:
            out.append(f"| {name} | " + " | ".join(_f(pr[k]["functions_per_request"].get(name)) if
                                                   pr[k]["functions_per_request"].get(name) else "" for k in keys) + " |")
        out.append("")

    analysis = BENCH / "analysis.md"
    if analysis.exists():
        out += [analysis.read_text().rstrip(), ""]
    return "\n".join(out)
