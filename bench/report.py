#!/usr/bin/env python3
"""Turns bench/run's raw outputs (wrk text, meshctl bench JSON or hey CSV, /proc samples) into one table and docs/benchmarks.md.

Kept apart from the bash driver so the parsing and arithmetic (medians, ratios, percentiles, CPU per
1000 requests) are plain code rather than awk; it reads only files bench/run wrote in its temp dir.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import sys

TARGET_RATIO_TO_HAPROXY = 0.6      # mesh-proxy closed loop at 16 conns vs HAProxy (issue 4)
TARGET_RSS_MB = 50.0               # per sidecar
TARGET_CPU_PER_1000 = 0.15         # vCPU per 1000 rps (= CPU seconds per 1000 requests)


def read_kv(path):
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                key, value = line.rstrip("\n").split("=", 1)
                values[key] = value
    return values


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(path):
    """rps, request count, latency percentiles (ms), max, errors from `wrk --latency` output."""
    text = open(path).read()
    result = {"rps": None, "requests": 0, "p50": None, "p75": None, "p90": None, "p99": None,
              "max": None, "non2xx": 0, "socket_errors": 0}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", text):
        result["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in", text):
        result["requests"] = int(m.group(1))
    if m := re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", text):
        result["max"] = to_ms(m.group(1))
    for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M):
        result["p" + pct] = to_ms(value)
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        result["non2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        result["socket_errors"] = sum(int(g) for g in m.groups())
    if result["rps"] is None:
        raise ValueError(f"{path}: no 'Requests/sec' in wrk's output:\n{text[-800:]}")
    return result


def percentile(sorted_values, pct):
    """Nearest rank: the smallest value with at least pct% of the samples at or below it."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(min(rank, len(sorted_values))) - 1]


def parse_hey_csv(path, duration):
    latencies, errors = [], 0
    with open(path) as f:
        header = f.readline()
        if not header.startswith("response-time"):
            raise ValueError(f"{path}: not hey's CSV output")
        for line in f:
            cols = line.strip().split(",")
            if len(cols) < 7:
                continue
            if cols[6] != "200":
                errors += 1
                continue
            latencies.append(float(cols[0]) * 1000.0)
    latencies.sort()
    return {"requests": len(latencies) + errors, "achieved": (len(latencies) + errors) / duration,
            "errors": errors,
            **{f"p{p}".replace(".", "_"): percentile(latencies, p) for p in (50, 90, 99, 99.9)},
            "max": latencies[-1] if latencies else None}


def parse_meshctl_json(path, duration):
    """`meshctl bench --json`: latency from each request's intended send time (HDR histogram, µs resolution)."""
    with open(path) as f:
        try:
            data = json.load(f)
        except ValueError as e:
            raise ValueError(f"{path}: not meshctl bench's JSON output: {e}")
    lat = data["latency_ms"]
    delay = data.get("send_delay_ms") or {}
    warmup_requests = round(data["qps_target"] * data["warmup_s"])
    return {"requests": data["requests"], "achieved": data["qps_achieved"], "errors": data["errors"],
            "p50": lat["p50"], "p90": lat["p90"], "p99": lat["p99"], "p99_9": lat["p99_9"], "max": lat["max"],
            "send_delay_p99": delay.get("p99"),
            # the CPU sample spans the warm-up too (bench/run), so its requests count for the CPU per request
            "cpu_requests": data["requests"] + warmup_requests}


def parse_open(path, duration):
    return parse_meshctl_json(path, duration) if path.endswith(".json") else parse_hey_csv(path, duration)


def summarize(path, duration):
    """One line for bench/run's log."""
    r = parse_open(path, duration)
    text = (f"{r['requests']} requests, {fmt(r['achieved'])} rps achieved, p50 {fmt(r['p50'], 2)} / "
            f"p99 {fmt(r['p99'], 2)} / max {fmt(r['max'], 2)} ms, {r['errors']} errors")
    if r.get("send_delay_p99") is not None:
        text += f", generator send delay p99 {fmt(r['send_delay_p99'], 2)} ms"
    return text


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"nproc": cpus, "cpu": model, "ram": f"{mem_gb:.1f} GiB" if mem_gb else "unknown",
            "kernel": platform.release()}


def runtime_mode(proxy_dll, proxy_mode="jit"):
    """JIT or AOT, and the GC mode, as the mesh-proxy process will see them."""
    if not proxy_dll:
        return "not measured (mesh paths skipped)"
    props = {}
    config = os.path.splitext(proxy_dll)[0] + ".runtimeconfig.json"
    try:
        props = json.load(open(config)).get("runtimeOptions", {}).get("configProperties", {})
    except (OSError, ValueError):
        pass
    server = bool(props.get("System.GC.Server", False))
    source = "runtimeconfig" if "System.GC.Server" in props else "default"
    env_gc = os.environ.get("DOTNET_gcServer") or os.environ.get("COMPlus_gcServer")
    if env_gc is not None:
        server, source = env_gc.strip() in ("1", "true"), "DOTNET_gcServer"
    concurrent = props.get("System.GC.Concurrent", True)
    parts = ["NativeAOT (dotnet publish -p:PublishAot=true)" if proxy_mode == "aot" else f"JIT (dotnet {os.path.basename(proxy_dll)})",
             f"{'server' if server else 'workstation'} GC ({source})",
             f"concurrent GC {'on' if concurrent else 'off'}"]
    if "System.Runtime.TieredPGO" in props:
        parts.append(f"TieredPGO={props['System.Runtime.TieredPGO']}")
    # Runtime knobs that change speed or memory (the CLI's own DOTNET_CLI_* settings do not).
    knobs = re.compile(r"(DOTNET|COMPlus)_(gc|GC|Tiered|TC_|ReadyToRun|OSR|TieredPGO|ThreadPool|Thread_)")
    for name in sorted(os.environ):
        if knobs.match(name) and name not in ("DOTNET_gcServer", "COMPlus_gcServer"):
            parts.append(f"{name}={os.environ[name]}")
    return ", ".join(parts)


def fmt(value, digits=0, suffix=""):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


def cpu_text(runs):
    """CPU s per 1000 requests (median over runs); for two proxies also each one's share (client + server)."""
    total = median([r["cpu_per_1000"] for r in runs])
    if total is None:
        return "—"
    names = list(runs[0]["cpu_split"])
    if len(names) < 2:
        return fmt(total, 3)
    shares = " + ".join(fmt(median([r["cpu_split"].get(n) for r in runs]), 3) for n in names)
    return f"{fmt(total, 3)} ({shares})"


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--summarize":
        sp = argparse.ArgumentParser()
        sp.add_argument("--summarize", required=True)
        sp.add_argument("--duration", type=float, required=True)
        a = sp.parse_args()
        print(summarize(a.summarize, a.duration))
        return 0
    ap = argparse.ArgumentParser()
    for name in ("run", "versions", "paths", "results", "memory", "doc"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--target-memory", help="the memory target's own sidecar: name, VmRSS, VmHWM, RssFile, RssAnon, "
                    "idle VmRSS (KB), c16 rps per cell")
    args = ap.parse_args()

    run = read_kv(args.run)
    versions = read_kv(args.versions)
    duration = float(run["duration"])
    repeat = int(run["repeat"])
    tick = float(run["clk_tck"])

    paths = []
    for line in open(args.paths):
        if line.strip():
            pid, label, hops, url, proxy, procs = line.rstrip("\n").split("|")
            paths.append({"id": pid, "label": label, "hops": int(hops), "procs": procs.split()})
    by_id = {p["id"]: p for p in paths}

    closed, opened, problems, failures = {}, {}, [], []
    for line in open(args.results):
        pid, kind, param, rep, out, ticks = line.rstrip("\n").split("\t")
        per_proc = {kv.split("=")[0]: int(kv.split("=")[1]) / tick for kv in ticks.split()}
        cpu_s = sum(per_proc.values())
        if kind == "closed":
            r = parse_wrk(out)
            r["cpu_split"] = {n: c / r["requests"] * 1000 for n, c in per_proc.items()} if r["requests"] else {}
            r["cpu_per_1000"] = (cpu_s / r["requests"] * 1000) if per_proc and r["requests"] else None
            closed.setdefault((pid, int(param)), []).append(r)
            if r["non2xx"] or r["socket_errors"]:
                problems.append(f"{pid} c{param} round {rep}: {r['non2xx']} non-2xx, {r['socket_errors']} socket errors")
                if r["non2xx"] + r["socket_errors"] > 0.01 * max(r["requests"], 1):
                    failures.append(f"path {pid}, {param} connections, round {rep}: {r['non2xx']} non-2xx responses "
                                    f"and {r['socket_errors']} socket errors in {r['requests']} requests ({out})")
        else:
            r = parse_open(out, duration)
            cpu_requests = r.get("cpu_requests", r["requests"])
            r["cpu_split"] = {n: c / cpu_requests * 1000 for n, c in per_proc.items()} if cpu_requests else {}
            r["cpu_per_1000"] = (cpu_s / cpu_requests * 1000) if per_proc and cpu_requests else None
            opened[(pid, int(param))] = r
            if r["errors"]:
                problems.append(f"{pid} open {param} rps: {r['errors']} failed requests")
                if r["errors"] > 0.01 * max(r["requests"], 1):
                    failures.append(f"path {pid} at {param} rps: {r['errors']} of {r['requests']} requests failed ({out})")

    memory, memory_split = {}, {}
    for line in open(args.memory):
        pid, name, rss, hwm, *split = line.rstrip("\n").split("\t")
        memory.setdefault(pid, []).append((name, int(rss) / 1024, int(hwm) / 1024))
        if len(split) == 2:
            memory_split[name] = (int(split[0]) / 1024, int(split[1]) / 1024)
    target_memory = None
    if args.target_memory and os.path.exists(args.target_memory):
        for line in open(args.target_memory):
            if line.strip():
                name, rss, hwm, file_kb, anon_kb, idle, rps = line.rstrip("\n").split("\t")
                target_memory = {"name": name, "rss": int(rss) / 1024, "hwm": int(hwm) / 1024,
                                 "file": int(file_kb) / 1024, "anon": int(anon_kb) / 1024, "idle": int(idle) / 1024,
                                 "rps": [float(x) for x in rps.split()]}

    conns = sorted({c for (_, c) in closed})
    rates = sorted({r for (_, r) in opened})
    main_rate = 1000 if 1000 in rates else (rates[len(rates) // 2] if rates else None)

    def cell(pid, c, key):
        return median([r[key] for r in closed.get((pid, c), [])])

    def haproxy_peer(path):
        if path["hops"] <= 1:
            return "haproxy"
        return "haproxy2tls" if path["id"].endswith("tls") else "haproxy2"

    # A path that mostly answers errors is not measured: its rps would be the speed of failing.
    if failures:
        for f in failures:
            print(f"bench/run: error: {f}", file=sys.stderr)
        return 1
    for p in paths:
        for c in conns:
            if not cell(p["id"], c, "rps"):
                print(f"bench/run: error: path {p['id']} served no requests at {c} connections", file=sys.stderr)
                return 1

    headers = ["path"]
    for c in conns:
        headers += [f"rps c{c}", "× direct", "× HAProxy"]
    headers += [f"p50 / p99 c{conns[0]} (closed)"]
    if main_rate:
        headers += [f"p50 / p99 @{main_rate} rps (open)", "added p99 vs direct"]
    headers += [f"CPU s per 1000 req (c{conns[0]})"]
    if main_rate:
        headers += [f"CPU s per 1000 req @{main_rate}"]
    headers += ["RSS / HWM MB after run"]

    rows = []
    for p in paths:
        row = [p["label"]]
        for c in conns:
            rps = cell(p["id"], c, "rps")
            row += [fmt(rps), fmt(ratio(rps, cell("direct", c, "rps")), 2),
                    fmt(ratio(rps, cell(haproxy_peer(p), c, "rps")), 2) if haproxy_peer(p) in by_id and p["hops"] else "—"]
        row.append(f"{fmt(cell(p['id'], conns[0], 'p50'), 2)} / {fmt(cell(p['id'], conns[0], 'p99'), 2)} ms")
        if main_rate:
            o, d = opened.get((p["id"], main_rate)), opened.get(("direct", main_rate))
            row.append(f"{fmt(o['p50'], 2)} / {fmt(o['p99'], 2)} ms" if o else "—")
            row.append(fmt(o["p99"] - d["p99"], 2, " ms") if o and d and p["hops"] and o["p99"] is not None and d["p99"] is not None else "—")
        row.append(cpu_text(closed.get((p["id"], conns[0]), [])))
        if main_rate:
            o = opened.get((p["id"], main_rate))
            row.append(cpu_text([o]) if o else "—")
        mem = memory.get(p["id"])
        row.append(" + ".join(f"{rss:.1f} / {hwm:.1f}" for _, rss, hwm in mem) if mem else "—")
        rows.append(row)
    main_table = table(headers, rows)

    detail_rows = []
    for p in paths:
        for c in conns:
            runs = closed.get((p["id"], c), [])
            rps = [r["rps"] for r in runs]
            spread = (max(rps) - min(rps)) / statistics.median(rps) * 100 if len(rps) > 1 else None
            detail_rows.append([p["id"], c, " / ".join(fmt(x) for x in rps), fmt(spread, 1, "%"),
                                fmt(cell(p["id"], c, "p50"), 2), fmt(cell(p["id"], c, "p90"), 2),
                                fmt(cell(p["id"], c, "p99"), 2), fmt(cell(p["id"], c, "max"), 2),
                                cpu_text(runs)])
    detail_table = table(["path", "conns", "rps per round", "spread", "p50 ms", "p90 ms", "p99 ms", "max ms",
                          "CPU s / 1000 req"], detail_rows)

    open_table = None
    generator_late = []
    if rates:
        open_rows = []
        for p in paths:
            for rate in rates:
                o, d = opened.get((p["id"], rate)), opened.get(("direct", rate))
                if not o:
                    continue
                added = (f"{fmt(o['p50'] - d['p50'], 2)} / {fmt(o['p99'] - d['p99'], 2)}"
                         if d and p["hops"] and None not in (o["p50"], d["p50"], o["p99"], d["p99"]) else "—")
                row = [p["id"], rate, fmt(o["achieved"]), fmt(o["p50"], 2), fmt(o["p90"], 2),
                       fmt(o["p99"], 2), fmt(o["p99_9"], 2), fmt(o["max"], 2), added,
                       cpu_text([o]), o["errors"]]
                if run.get("open_tool") == "meshctl":
                    lag, p99 = o.get("send_delay_p99"), o["p99"]
                    late = lag is not None and p99 is not None and lag >= 0.5 * p99
                    row.append(fmt(lag, 2) + (" †" if late else ""))
                    if late:
                        generator_late.append(f"{p['id']} @{rate}")
                open_rows.append(row)
        open_headers = ["path", "target rps", "achieved rps", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
                        "added p50 / p99 vs direct ms", "CPU s / 1000 req", "errors"]
        if run.get("open_tool") == "meshctl":
            open_headers.append("generator send delay p99 ms")
        open_table = table(open_headers, open_rows)

    # Targets (../shared/PERFORMANCE.md and issue 4).
    targets = []
    if "mesh" in by_id:
        c = 16 if 16 in conns else conns[0]
        r = ratio(cell("mesh", c, "rps"), cell("haproxy", c, "rps"))
        # The verdict is the ratio of the two medians; each round's own ratio (the paths ran back to back in it)
        # shows how far one round can move it.
        paired = [ratio(m["rps"], h["rps"]) for m, h in zip(closed.get(("mesh", c), []), closed.get(("haproxy", c), []))]
        per_round = f" (each round: {' / '.join(fmt(x, 2) for x in paired)})" if len(paired) > 1 else ""
        targets.append((f"mesh-proxy closed loop at {c} conns ≥ {TARGET_RATIO_TO_HAPROXY} × HAProxy (one hop)",
                        fmt(r, 2, " ×") + per_round, None if r is None else r >= TARGET_RATIO_TO_HAPROXY))
        if "mesh2" in by_id and "haproxy2" in by_id:
            r2 = ratio(cell("mesh2", c, "rps"), cell("haproxy2", c, "rps"))
            targets.append((f"mesh-proxy two sidecars at {c} conns ≥ {TARGET_RATIO_TO_HAPROXY} × HAProxy → HAProxy",
                            fmt(r2, 2, " ×"), None if r2 is None else r2 >= TARGET_RATIO_TO_HAPROXY))
        sidecars = [(name, rss, hwm) for pid in ("mesh", "mesh2") for (name, rss, hwm) in memory.get(pid, [])]
        seen = {}
        for name, rss, hwm in sidecars:
            seen[name] = (rss, hwm)
        worst = max((hwm for _, hwm in seen.values()), default=None)

        def split(n):
            return f"; file {memory_split[n][0]:.1f} + anon {memory_split[n][1]:.1f}" if n in memory_split else ""
        whole_run = ", ".join(f"{n}: {rss:.1f} MB (HWM {hwm:.1f}{split(n)})" for n, (rss, hwm) in seen.items()) or "—"
        if target_memory:
            t = target_memory
            targets.append((f"mesh-proxy peak RSS ≤ {TARGET_RSS_MB:.0f} MB under the target's load: one hop, c16 only "
                            "(a sidecar started for it; VmHWM when the load ends) — **the verdict uses this**",
                            f"HWM {t['hwm']:.1f} MB (RSS {t['rss']:.1f}: file {t['file']:.1f} + anon {t['anon']:.1f}; "
                            f"idle before the load {t['idle']:.1f}; {median(t['rps']):,.0f} rps)",
                            t["hwm"] <= TARGET_RSS_MB))
            targets.append((f"(for reference) mesh-proxy RSS after the whole run: the same sidecar also served c64, "
                            "the open loop and the two-hop paths", whole_run + f"; worst HWM {fmt(worst, 1, ' MB')}",
                            "reference"))
        else:
            targets.append((f"mesh-proxy RSS ≤ {TARGET_RSS_MB:.0f} MB per sidecar (VmHWM after the whole run)",
                            whole_run, None if worst is None else worst <= TARGET_RSS_MB))
        o = opened.get(("mesh", main_rate)) if main_rate else None
        if o and o["cpu_per_1000"] is not None:
            cpu, where = o["cpu_per_1000"], f"open loop @{main_rate} rps"
        else:
            cpu, where = cell("mesh", c, "cpu_per_1000"), f"closed loop c{c}"
        targets.append((f"mesh-proxy CPU ≤ {TARGET_CPU_PER_1000} vCPU per 1000 rps (one sidecar, {where})",
                        fmt(cpu, 3, " vCPU"), None if cpu is None else cpu <= TARGET_CPU_PER_1000))
    verdict = {True: "met", False: "NOT met", None: "not measured", "reference": "not the verdict"}
    target_lines = [f"| {what} | {got} | {verdict[ok]} |" for what, got, ok in targets]
    if not targets:
        target_lines = ["| mesh-proxy targets | not measured (BENCH_SKIP_MESH=1) | — |"]

    m = machine()
    smoke = duration < 8 or repeat < 3
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    version_text = ", ".join(f"{k} {v}" for k, v in versions.items())
    notes = [
        "Mutual TLS rows: the server hop requires and verifies a client certificate and the client hop verifies the "
        "server's, with keep-alive. nginx and HAProxy use ECDSA P-256 certificates from a bench CA (TLS 1.3); the "
        "mesh-proxy pair holds workload certificates its agents got from meshd's CA (ECDSA P-256, SPIFFE identities) "
        "under a STRICT PeerAuthentication, auto-mTLS choosing Istio mTLS, as Istio's sidecars do. Their × HAProxy "
        "compares with HAProxy's mutual-TLS row; the plaintext rows are unchanged.",
        "Two-hop rows: the client hop gets absolute-form requests (`GET http://backend.bench.svc.cluster.local:8080/`, "
        "Host set to the service), as an app with HTTP_PROXY sends them; the server hop is the one-hop proxy of the "
        "row above. Their CPU is both proxies together, then each one's share in parentheses (client + server); "
        "RSS is listed per proxy (client + server).",
        "CPU is utime+stime of the proxy's processes (all threads; nginx master and worker) from /proc over the "
        "measured cell only, per 1000 requests served = vCPU per 1000 rps. The load generator, the proxies and the "
        f"backend share the machine's {m['nproc']} cores, so closed-loop rps are bounded by all of them together.",
        f"Closed loop: `wrk -t1 -cN -d{run['duration']}s`, {repeat} round(s), median quoted; paths are interleaved "
        f"round by round after a {run['warmup']} s warm-up each, so drift hits every path alike.",
    ]
    if target_memory:
        notes.append("Memory target: issue 5 asks for mesh-proxy's peak RSS under one load (one hop, HTTP/1.1, 1 KB, "
                     "closed loop at 16 connections). The `mesh` sidecar serves every cell of its row and the two-hop "
                     "rows too, so its high-water mark is the whole run's. bench/run therefore starts one more one-hop "
                     f"sidecar before the rounds, gives it only that load ({run['warmup']} s warm-up, then {repeat} × "
                     f"{run['duration']} s of `wrk -t1 -c16`), reads VmRSS, VmHWM, RssFile and RssAnon from "
                     "/proc/PID/status when the load ends, and stops it; the targets table judges that VmHWM and "
                     "lists the whole-run figures beside it. File-backed pages are the binary's and shared "
                     "libraries' (shared with other processes running the same binary); anonymous pages are the "
                     "process's own.")
    if run.get("open_loop") == "ran" and run.get("open_tool") == "meshctl":
        notes.append(f"Open loop: `meshctl bench URL --qps RATE --connections {run['open_conns']} --duration "
                     f"{run['duration']}s --warmup {run['warmup']}s --json` (two-hop paths with `--proxy` to the client "
                     "hop), one run per rate. Each connection sends on its own fixed schedule and latency is taken "
                     "from each request's intended send time into an HDR histogram (µs resolution), so a stall counts "
                     "against every request it delays (no coordinated omission); achieved rps below target means the "
                     "path fell behind. 'generator send delay' is how late meshctl itself sent (its own accuracy on "
                     "this shared machine). CPU per 1000 requests counts the warm-up's requests too (it is inside "
                     "the CPU sample).")
    elif run.get("open_loop") == "ran":
        notes.append(f"Open loop: `hey -c {run['open_conns']} -q RATE/{run['open_conns']}` for {run['duration']} s, one "
                     "run per rate. hey times each request from when it was actually sent and its per-connection "
                     "ticker drops ticks when a response is late, so it does not correct coordinated omission and "
                     "degrades to closed loop above capacity (compare achieved with target rps); resolution 0.1 ms. "
                     "Fallback: `meshctl bench` could not be built here.")
    elif run.get("open_loop") == "skipped-no-rates":
        notes.append("Open loop: skipped (BENCH_RATES empty).")
    else:
        notes.append("Open loop: skipped (neither dotnet for `meshctl bench` nor `hey` on this machine).")
    if generator_late:
        notes.append("† The generator's own send delay p99 was at least half the measured p99 in "
                     + ", ".join(generator_late) + ": the load generator was held up (a busy shared machine), so "
                     "that tail says more about the machine than the path; re-run those cells.")
    if run.get("skip_mesh") == "1":
        notes.append("mesh-proxy paths skipped (BENCH_SKIP_MESH=1).")
    if problems:
        notes.append("Errors seen: " + "; ".join(problems[:10]) + ("; …" if len(problems) > 10 else ""))

    print()
    print(f"{now}; {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; load at start {run.get('load_at_start', '?')}")
    print(f"mesh-proxy runtime: {runtime_mode(run.get('proxy_dll'), run.get('proxy_mode', 'jit'))}")
    print(f"versions: {version_text}")
    print()
    print(main_table)
    print()
    if open_table:
        print(open_table)
        print()
    print("\n".join(["| target | measured | |", "|---|---|---|"] + target_lines))
    if smoke:
        print(f"\nSMOKE RUN ({run['duration']} s cells, {repeat} round(s)): the numbers are not a measurement.")

    if args.doc == "-":
        return 0
    doc = [
        "# Data-plane benchmarks",
        "",
        "Written by `bench/run` (method: ../shared/PERFORMANCE.md). Only ratios taken in one run mean anything:",
        "the machines are shared and noisy. Re-run with `bench/run` (about 10 minutes; `BENCH_DURATION=2 BENCH_REPEAT=1`",
        "for a smoke run, `BENCH_SKIP_MESH=1` without meshd/mesh-proxy).",
        "",
    ]
    if smoke:
        doc += [f"> **Smoke run** ({run['duration']} s cells, {repeat} round(s)): these numbers only show that the "
                "script works; they are not a measurement.", ""]
    doc += [
        f"- Date: {now}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; load average at start "
        f"{run.get('load_at_start', '?')}",
        f"- mesh-proxy runtime: {runtime_mode(run.get('proxy_dll'), run.get('proxy_mode', 'jit'))}",
        f"- Versions: {version_text}",
        f"- Backend: nginx, 1 worker, `return 200` with a {run['body_bytes']}-byte body, keep-alive; every proxy has "
        "one worker/thread and upstream keep-alive (nginx `keepalive 64`, HAProxy `http-reuse always`)",
        "",
        "## Summary",
        "",
        main_table,
        "",
        "× direct: rps over direct's at the same connection count; × HAProxy: over HAProxy with the same number of hops.",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *target_lines,
        "",
        "## Closed loop, every round",
        "",
        detail_table,
        "",
    ]
    if open_table:
        doc += ["## Open loop", "", open_table, ""]
    doc += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    os.makedirs(os.path.dirname(os.path.abspath(args.doc)), exist_ok=True)
    text = "\n".join(doc)
    # The same file holds other top-level sections (bench/controlplane/run's "# Control plane", the
    # before/after records of tuning work): keep them as they are.
    kept = kept_sections(args.doc)
    if kept:
        text = text.rstrip("\n") + "\n\n" + kept
    with open(args.doc, "w") as f:
        f.write(text)
    return 0


def kept_sections(path):
    """Every top-level section of an existing report except this script's own "# Data-plane benchmarks", or ""."""
    try:
        lines = open(path).read().split("\n")
    except OSError:
        return ""
    sections, current = [], None
    for line in lines:
        if line.startswith("# "):
            current = [] if line.rstrip() == "# Data-plane benchmarks" else [line]
            if current:
                sections.append(current)
        elif current:
            current.append(line)
    return "\n\n".join("\n".join(section).rstrip("\n") for section in sections) + "\n" if sections else ""


if __name__ == "__main__":
    sys.exit(main())
