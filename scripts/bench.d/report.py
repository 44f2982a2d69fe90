#!/usr/bin/env python3
"""Renders one benchmark run directory (scripts/bench) as a markdown report.

Usage: report.py RUN_DIR > report.md

Reads machine.json, machine-end.json, startup.json, plan_scale.json,
apply_calls.json, list_scale.json, criterion/**/new/*.json and skipped.txt from RUN_DIR. Stdlib only. Medians with min/max; every figure
comes from the raw files next to it.
"""

import datetime
import json
import os
import statistics
import sys

MIB = 1024.0
TARGETS = {
    # issue 14
    "handshake_ms": 2.0,
    "standin_cpu_ms_per_resource": 0.5,
    # issue 6
    "handshake_ms_issue6": 4.0,
    "idle_rss_mib": 8.0,
    "binary_mib": 15.0,
    "cpu_ms_per_resource": 1.0,
}
BACKEND_LABEL = {"standin": "stand-in", "emulator": "emulator"}


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def med(v):
    return statistics.median(v) if v else None


def fmt(x, digits=2):
    if x is None:
        return "–"
    return f"{x:.{digits}f}"


def spread(v, scale=1.0, digits=2):
    """`median (min–max)` of v scaled."""
    if not v:
        return "–"
    v = [x * scale for x in v]
    return f"{fmt(med(v), digits)} ({fmt(min(v), digits)}–{fmt(max(v), digits)})"


def ok(cond):
    if cond is None:
        return "not measured"
    return "**met**" if cond else "**missed**"


def machine_section(m, out, end=None):
    out.append("### Machine\n")
    if not m:
        out.append("(machine.json missing)\n")
        return
    out.append(
        f"- {m.get('nproc')} CPUs ({m.get('cpu_model')}), {m.get('memory_gib')} GiB RAM, "
        f"Linux {m.get('kernel')} ({m.get('os')})"
    )
    out.append(f"- Terraform {m.get('terraform')}, {m.get('rustc')}")
    la = m.get("loadavg_at_start")
    if la:
        out.append(
            f"- Load average at the start: {' '.join(la)} (a shared machine: other jobs ran too; "
            "the CPU-time columns are less sensitive to that than the wall times)"
        )
    la_end = (end or {}).get("loadavg_at_start")
    if la_end:
        out.append(f"- Load average at the end: {' '.join(la_end)}")
    t0, t1 = m.get("utc"), (end or {}).get("utc")
    if t0 and t1:
        d = datetime.datetime.fromisoformat(t1.replace("Z", "+00:00")) - datetime.datetime.fromisoformat(
            t0.replace("Z", "+00:00")
        )
        out.append(f"- Measured from {t0} to {t1} ({d.total_seconds() / 60:.0f} min, builds excluded)")
    if la and la_end:
        busy = max(float(x) for x in la + la_end) > 1.0
        out.append(
            "- "
            + (
                "**The machine was busy during this run** (load above 1 on 2 CPUs): wall times and CPU "
                "times are inflated by contention; the callgrind instruction counts are not."
                if busy
                else "The machine was mostly idle during this run."
            )
        )
    out.append("")


def floor_table(s, out, facts):
    """The spawn floor: programs that do nothing, our --version and our handshakes, one harness."""
    first = s.get("first_line") or []
    if not first:
        return
    eks = next((t for t in s["targets"] if t["name"] == "eks"), None)
    n = len(first[0]["samples"]["wall_us"])
    out.append("")
    out.append(
        f"The floor on this machine ({n} runs each, interleaved, same harness): exec to the first line on stdout "
        "(to exit for a program that prints none). For the first rows, CPU and minor page faults are the whole "
        "process's (getrusage around its wait, exec and exit included); for the handshakes, what the process "
        "had used when its line arrived. Median (min–max).\n"
    )
    out.append("| program | binary MiB | exec to line ms | CPU ms | minor page faults |")
    out.append("| --- | --- | --- | --- | --- |")
    for f in first:
        smp = f["samples"]
        out.append(
            f"| {f['name']} | {f['size_bytes'] / MIB / MIB:.2f} | {spread(smp['wall_us'], 1e-3)} "
            f"| {spread(smp['cpu_us'], 1e-3)} | {spread(smp['minflt'], 1, 0)} |"
        )
        facts.setdefault("floor_ms", {})[f["name"]] = med(smp["wall_us"]) / 1e3
    if eks:
        for mode in ("plain", "tls"):
            smp = eks["modes"][mode]["samples"]
            flt = smp.get("handshake_minflt") or []
            out.append(
                f"| eks handshake, TLS {'on' if mode == 'tls' else 'off'} | {eks['size_bytes'] / MIB / MIB:.2f} "
                f"| {spread(smp['handshake_us'], 1e-3)} | {spread(smp['handshake_cpu_us'], 1e-3)} "
                f"| {spread(flt, 1, 0) if flt else '–'} |"
            )
    out.append("")


def startup_section(s, out, facts):
    out.append("### 1. Start-up to handshake, idle memory, binary size\n")
    if not s:
        out.append("(startup.json missing)\n")
        return
    out.append(
        f"{s['runs']} runs per provider and mode after {s['warmup']} warm-up runs, interleaved; "
        f"idle memory from {s['rss_runs']} process(es) each, {s['idle_ms'] / 1000:g} s after the handshake. "
        "Median (min–max). *Handshake* is exec to the handshake line on stdout; *CPU* is the CPU time "
        "the process had used by then (all threads). TLS on = `PLUGIN_CLIENT_CERT` holds a P-521 "
        "self-signed CA certificate like Terraform's; off = `TF_DISABLE_PLUGIN_TLS=1`.\n"
    )
    out.append("| provider | TLS | handshake ms | CPU to handshake ms | idle peak RSS (VmHWM) MiB | RSS anon / file MiB | threads | binary MiB (stripped) |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in s["targets"]:
        size = t["size_bytes"] / MIB / MIB
        ssize = (t.get("stripped_size_bytes") or t["size_bytes"]) / MIB / MIB
        for mode in ("tls", "plain"):
            m = t["modes"][mode]
            smp = m["samples"]
            hwm = [x.get("VmHWM", 0) for x in smp["status_kib"]]
            anon = [x.get("RssAnon", 0) for x in smp["status_kib"]]
            filek = [x.get("RssFile", 0) for x in smp["status_kib"]]
            thr = [x.get("Threads", 0) for x in smp["status_kib"]]
            out.append(
                f"| {t['name']} (protocol {t['protocol']}) | {'on' if mode == 'tls' else 'off'} "
                f"| {spread(smp['handshake_us'], 1e-3)} | {spread(smp['handshake_cpu_us'], 1e-3)} "
                f"| {spread(hwm, 1 / MIB)} | {fmt(med(anon) / MIB if anon else None)} / {fmt(med(filek) / MIB if filek else None)} "
                f"| {fmt(med(thr), 0)} | {size:.2f} ({ssize:.2f}) |"
            )
            if t["name"] == "eks":
                facts[f"handshake_{mode}_ms"] = med(smp["handshake_us"]) / 1e3 if smp["handshake_us"] else None
                facts[f"rss_{mode}_mib"] = med(hwm) / MIB if hwm else None
                facts["binary_mib"] = ssize
            else:
                facts.setdefault("peer_handshake", {})[(t["name"], mode)] = (
                    med(smp["handshake_us"]) / 1e3 if smp["handshake_us"] else None
                )
                facts.setdefault("peer_rss", {})[(t["name"], mode)] = med(hwm) / MIB if hwm else None
    for t in s["targets"]:
        v = t.get("version_line_samples_us")
        if v:
            facts["version_line_ms"] = med(v) / 1e3
            hs = t["modes"]["tls"]["samples"]["handshake_us"]
            hp = t["modes"]["plain"]["samples"]["handshake_us"]
            out.append("")
            out.append(
                f"Where the {t['name']} handshake time goes (median of {len(v)} runs each, same method): exec to the first "
                f"line of `{os.path.basename(t['path'])} --version` (process spawn, loading and relocating the binary, "
                f"Rust's start-up; no runtime, socket or TLS) **{spread(v, 1e-3)} ms**; + runtime, socket and gRPC server "
                f"(TLS off) {fmt((med(hp) - med(v)) / 1e3)} ms; + TLS (a fresh P-256 key, a self-signed certificate, "
                f"the rustls configuration) {fmt((med(hs) - med(hp)) / 1e3)} ms."
            )
    floor_table(s, out, facts)
    probe = s.get("tls_probe", {}).get("summary") or {}
    if probe:
        out.append("")
        out.append(
            f"Where TLS start-up time can go, timed cold in fresh processes through the library "
            f"({s['tls_probe']['runs']} processes; median (min–max) ms):\n"
        )
        out.append("| step | ms |")
        out.append("| --- | --- |")
        names = {
            "aws_lc_first_random_us": "first random bytes from aws-lc-rs (seeds its generator; CPU jitter entropy is off, .cargo/config.toml; paid by whoever draws first, and nothing in the provider draws from aws-lc: TLS uses ring)",
            "aws_lc_second_random_us": "second random bytes from aws-lc-rs",
            "ring_first_random_us": "first random bytes from ring (getrandom)",
            "ring_second_random_us": "second random bytes from ring",
            "parse_client_cert_us": "parse `PLUGIN_CLIENT_CERT` (PEM)",
            "server_config_cold_us": "build the rustls server config, first call",
            "server_config_warm_us": "build the rustls server config, second call",
            "tokio_multi_thread_runtime_us": "start a tokio multi-thread runtime (for comparison)",
            "tokio_current_thread_runtime_us": "start a tokio current-thread runtime (what main.rs uses)",
        }
        samples = s["tls_probe"]["samples"]
        for k, label in names.items():
            v = [p[k] for p in samples if k in p]
            if v:
                out.append(f"| {label} | {spread(v, 1e-3, 3)} |")
    out.append("")


def runs_of(result, label):
    return [r for r in result["runs"] if r["label"] == label]


def backend_of(result):
    return result.get("backend") or "emulator"


def eks_results(p, backend):
    return [r for r in p["results"] if r["provider"] == "eks" and backend_of(r) == backend]


def plan_table(p, out, facts, backend):
    """One table of plans and applies per N for one back end; returns per-N medians."""
    label = BACKEND_LABEL.get(backend, backend)
    eks = eks_results(p, backend)
    if not eks:
        return {}
    bcpu = "stand-in CPU" if backend == "standin" else "emulator CPU"
    out.append(
        "| N | plan wall s | provider CPU ms / plan | provider CPU ms / resource | provider peak RSS MiB "
        "| DescribeCluster / plan | DescribeKey / plan | other AWS calls / plan | apply wall s | apply provider CPU ms |"
    )
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    per_n = {}
    calls_ok = []
    for r in eks:
        n = r["n"]
        plans = runs_of(r, "plan")
        apply_ = runs_of(r, "apply")
        wall = [x["wall_s"] for x in plans]
        cpu = [x["provider_cpu_s"] * 1e3 for x in plans]
        per_res = [c / n for c in cpu]
        rss = [x["provider_maxrss_kib"] for x in plans]
        dc = [x["api_calls"].get("DescribeCluster", 0) for x in plans]
        dk = [x["api_calls"].get("DescribeKey", 0) for x in plans]
        other = {}
        for x in plans:
            for op, c in x["api_calls"].items():
                if op not in ("DescribeCluster", "DescribeKey"):
                    other.setdefault(op, []).append(c)
        other_s = ", ".join(f"{op} {fmt(med(c), 1).rstrip('0').rstrip('.')}" for op, c in sorted(other.items())) or "none"
        tf_cpu = [x["terraform_cpu_s"] - x["provider_cpu_s"] for x in plans]
        em_cpu = [x["emulator_cpu_s"] for x in plans if x.get("emulator_cpu_s") is not None]
        conns = [x["backend_connections"] for x in plans if x.get("backend_connections") is not None]
        per_n[n] = {
            "wall": med(wall),
            "cpu": med(cpu),
            "cpu_per_res": med(per_res),
            "cpu_per_res_all": per_res,
            "rss": med(rss),
            "tf_cpu": med(tf_cpu),
            "em_cpu": med(em_cpu),
            "conns": med(conns),
            "plans": len(plans),
        }
        for a, b in zip(dc, dk):
            calls_ok.append((n, a, b))
        out.append(
            f"| {n} | {spread(wall)} | {spread(cpu, 1, 1)} | {spread(per_res, 1, 3)} "
            f"| {spread(rss, 1 / MIB, 1)} | {spread(dc, 1, 0)} | {spread(dk, 1, 0)} | {other_s} "
            f"| {fmt(apply_[0]['wall_s']) if apply_ else '–'} "
            f"| {fmt(apply_[0]['provider_cpu_s'] * 1e3, 1) if apply_ else '–'} |"
        )
    out.append("")
    ns = sorted(per_n)
    if len(ns) >= 2:
        out.append(f"Marginal cost per added resource between consecutive N ({label}, median plans):\n")
        out.append(
            "| N → N' | wall ms / resource | provider CPU ms / resource | Terraform CPU ms / resource "
            f"(providers excluded) | {bcpu} ms / resource |"
        )
        out.append("| --- | --- | --- | --- | --- |")

        def d(key, a, b):
            va, vb = per_n[a].get(key), per_n[b].get(key)
            return fmt((vb - va) * 1e3 / (b - a), 3) if va is not None and vb is not None else "–"

        for a, b in zip(ns, ns[1:]):
            dn = b - a
            out.append(
                f"| {a} → {b} | {fmt((per_n[b]['wall'] - per_n[a]['wall']) * 1e3 / dn, 2)} "
                f"| {fmt((per_n[b]['cpu'] - per_n[a]['cpu']) / dn, 3)} | {d('tf_cpu', a, b)} | {d('em_cpu', a, b)} |"
            )
        out.append("")
    if backend == "standin":
        big = max(ns) if ns else None
        if big is not None and per_n[big].get("conns") is not None:
            reqs = med([sum(x["api_calls"].values()) for x in runs_of(next(r for r in eks if r["n"] == big), "plan")])
            out.append(
                f"Connection reuse: the stand-in keeps connections alive, and accepted "
                f"{fmt(per_n[big]['conns'], 0)} TCP connections per plan at N = {big} for {fmt(reqs, 0)} requests "
                "(all provider processes together).\n"
            )
    facts.setdefault("calls", {})[backend] = calls_ok
    if 100 in per_n and 500 in per_n:
        ratio = per_n[500]["wall"] / per_n[100]["wall"]
        facts.setdefault("growth", {})[backend] = ratio
        parts = []
        for key, lab in (("cpu", "provider CPU"), ("tf_cpu", "Terraform CPU (providers excluded)"), ("em_cpu", bcpu)):
            a, b = per_n[100].get(key), per_n[500].get(key)
            if a and b:
                parts.append(f"{lab} × {b / a:.2f}")
        out.append(
            f"Growth N = 100 → 500 ({label}): plan wall time × {ratio:.2f} for × 5 resources "
            f"(linear would be × 5; {'no worse than linear' if ratio <= 5 else 'worse than linear'}); "
            + "; ".join(parts)
            + ".\n"
        )
    at = p.get("parallelism_at")
    for r in eks:
        if r["n"] != at:
            continue
        p1 = runs_of(r, "plan_parallelism_1")
        p10 = runs_of(r, "plan")
        if not p1 or not p10:
            continue
        w10 = med([x["wall_s"] for x in p10])
        w1 = p1[0]["wall_s"]
        s10 = med([x["describe_cluster_span_s"] for x in p10 if x.get("describe_cluster_span_s") is not None])
        s1 = p1[0].get("describe_cluster_span_s")
        facts.setdefault("parallelism", {})[backend] = (at, w10, w1, s10, s1)
        why = (
            "The emulator is a single Python process whose CPU caps the overlap here."
            if backend == "emulator"
            else "With the stand-in, what overlaps is the provider's and Terraform's own work."
        )
        out.append(
            f"`-parallelism` at N = {at} ({label}): plan wall {fmt(w10)} s at 10 vs {fmt(w1)} s at 1 "
            f"(× {fmt(w1 / w10 if w10 else None)}); the {at} DescribeCluster answers span "
            f"{fmt(s10)} s at 10 vs {fmt(s1)} s at 1 (× {fmt(s1 / s10 if s10 and s1 else None)}). {why}"
        )
        l10 = runs_of(r, "plan_latency_p10")
        l1 = runs_of(r, "plan_latency_p1")
        if l10 and l1:
            a, b = l10[0]["wall_s"], l1[0]["wall_s"]
            sa, sb = l10[0].get("describe_cluster_span_s"), l1[0].get("describe_cluster_span_s")
            facts["latency"] = (at, a, b, sa, sb)
            out.append(
                f"With 50 ms of latency injected on every DescribeCluster (a sleep, so the emulator "
                f"overlaps freely): plan wall {fmt(a)} s at `-parallelism=10` vs {fmt(b)} s at 1 "
                f"(× {fmt(b / a if a else None)}; perfect overlap would approach × 10); DescribeCluster "
                f"span {fmt(sa)} s vs {fmt(sb)} s (× {fmt(sb / sa if sa and sb else None)})."
            )
        out.append("")
    return per_n


def plan_section(p, out, facts):
    out.append("### 2. Plan and apply at scale (`eks_encryption_config`)\n")
    if not p:
        out.append("(plan_scale.json missing)\n")
        return
    out.append(
        f"Terraform {p['terraform']['version']}. N clusters sharing 2 keys (`alias/bench-a`, "
        f"`alias/bench-b`); `count = N`. *Plan* is a refreshed `terraform plan` with no changes, "
        "default `-parallelism=10`. Provider CPU and peak RSS are the provider processes' own "
        "(getrusage through a wrapper), summed over the processes Terraform starts per command. "
        "Median (min–max). Two AWS back ends, each in its own table:\n\n"
        "- **stand-in**: `acceptance-tests/benches/support/standin.rs`, a Rust HTTP/1.1 keep-alive "
        "server inside the benchmark process answering from a fixed table (microseconds per call), "
        f"so these rows measure the provider and Terraform; {p['plans']} plans at every N.\n"
        "- **emulator**: the moto-based emulator (one Python process, `Connection: close`), whose "
        "own CPU per resource exceeds the provider's; it keeps the real call counts honest. "
        f"{p['plans']} plans per N, {p['plans_large']} at the largest.\n"
    )
    backends = [b for b in ("standin", "emulator") if eks_results(p, b)]
    facts["per_n"] = {}
    for b in backends:
        out.append(f"#### 2{'ab'[backends.index(b)]}. {BACKEND_LABEL[b]}\n")
        facts["per_n"][b] = plan_table(p, out, facts, b)
    # Instructions.
    for r in eks_results(p, "standin"):
        cg = r.get("callgrind")
        if not cg:
            continue
        procs = cg.get("processes") or []
        per = ", ".join(f"{x['ir'] / 1e6:.1f}" for x in sorted(procs, key=lambda x: -(x.get("ir") or 0)) if x.get("ir"))
        facts["instructions"] = cg
        out.append(
            f"Instructions (deterministic, unlike CPU time): one refreshed plan at N = {cg['n']} with "
            f"every provider process under `valgrind --tool=callgrind`: **{cg['ir_total'] / 1e6:.1f} M "
            f"instructions, {cg['ir_per_resource'] / 1e3:.0f} k per resource** ({len(procs)} processes: "
            f"{per} M).\n"
        )


def peers_section(p, out, facts):
    if not p:
        return
    peers = sorted({r["provider"] for r in p["results"] if r["provider"] != "eks"})
    out.append("### 4. One plan end to end against the peers (same N, same Terraform)\n")
    if not peers:
        out.append("No peer was measured (see *Skipped* below).\n")
        return
    out.append(
        "Refreshed `terraform plan`, median wall s (provider CPU ms). The peers' `null_resource` has "
        "computed-only attributes and no remote API; ours refreshes and guards (DescribeCluster per "
        "resource, DescribeKey per key) against the stand-in or the emulator. `eks-shaped` "
        "(acceptance-tests/benches/support/shaped_peer.rs, built with the tf-provider crate) has our "
        "resource's schema and does nothing: read returns the prior state, plan the proposed one; "
        "its wall times, like tf-provider-null's, are that framework's (it serves calls slowly), so only "
        "its Terraform CPU is compared.\n"
    )
    cols = [("eks", b) for b in ("standin", "emulator") if eks_results(p, b)] + [(x, None) for x in peers]
    names = [f"eks ({BACKEND_LABEL[b]})" if b else n for n, b in cols]
    go = next((x for x in peers if x.startswith("go-null")), None)
    ratio_col = go is not None and ("eks", "standin") in cols
    head = "| N | " + " | ".join(names) + (f" | eks (stand-in) / {go}, wall |" if ratio_col else " |")
    out.append(head)
    out.append("| --- " * (1 + len(cols) + (1 if ratio_col else 0)) + "|")
    by = {}
    for r in p["results"]:
        plans = runs_of(r, "plan")
        if plans:
            key = (r["provider"], backend_of(r) if r["provider"] == "eks" else None)
            by[(key, r["n"])] = (
                med([x["wall_s"] for x in plans]),
                med([x["provider_cpu_s"] * 1e3 for x in plans]),
                med([x["terraform_cpu_s"] - x["provider_cpu_s"] for x in plans]),
            )
    ratios = {}
    for n in p["sizes"]:
        cells = []
        for c in cols:
            v = by.get((c, n))
            cells.append(f"{fmt(v[0])} ({fmt(v[1], 1)})" if v else "–")
        extra = ""
        if ratio_col:
            a, b = by.get((("eks", "standin"), n)), by.get(((go, None), n))
            if a and b and b[0]:
                ratios[n] = a[0] / b[0]
                extra = f" | × {ratios[n]:.2f} |"
            else:
                extra = " | – |"
        out.append(f"| {n} | " + " | ".join(cells) + (extra if ratio_col else " |"))
    out.append("")
    facts["e2e"] = by
    if ratio_col:
        facts["vs_go"] = (go, ratios, by)
    # Where the wall time goes at the largest N: Terraform's own CPU against
    # the providers' (a refreshed plan is CPU-bound on 2 cores when the
    # machine is busy, and latency-bound when it is idle).
    big = max(p["sizes"])
    parts = []
    for c, name in zip(cols, names):
        r = next((r for r in p["results"] if (r["provider"], backend_of(r) if r["provider"] == "eks" else None) == c and r["n"] == big), None)
        plans = runs_of(r, "plan") if r else []
        if not plans:
            continue
        tf = med([x["terraform_cpu_s"] - x["provider_cpu_s"] for x in plans])
        pc = med([x["provider_cpu_s"] for x in plans])
        parts.append(f"{name}: Terraform {fmt(tf * 1e3 / big, 2)} + provider {fmt(pc * 1e3 / big, 2)} ms")
        facts.setdefault("cpu_split", {})[c] = (tf, pc, big)
    if parts:
        out.append(
            f"CPU per resource at N = {big} (median plans; Terraform's own, providers excluded, and the "
            f"provider processes'): " + "; ".join(parts) + ".\n"
        )
    terraform_decomposition(facts, out, big, by, sorted(p["sizes"]))


def terraform_decomposition(facts, out, big, by, sizes):
    """Attributes Terraform's own CPU per resource: expressions, the schema's size, our provider."""
    split = facts.get("cpu_split") or {}
    tf = {c[0] if c[1] is None else f"{c[0]} ({BACKEND_LABEL[c[1]]})": v[0] * 1e3 / v[2] for c, v in split.items()}
    go = next((n for n in tf if n.startswith("go-null") and "+" not in n), None)
    shaped = next((n for n in tf if "shaped" in n), None)
    tfp = "tf-provider-null+expressions" if "tf-provider-null+expressions" in tf else None
    eks = "eks (stand-in)" if "eks (stand-in)" in tf else None
    if not (shaped and tfp and eks):
        return
    rows = []
    if go:
        rows.append((go, "`null_resource`, no arguments", None))
        if f"{go}+expressions" in tf:
            rows.append((f"{go}+expressions", "+ the two expressions our configuration evaluates per instance", go))
    rows.append((tfp, "the same with the tf-provider crate (Rust), like the next row", go and f"{go}+expressions"))
    rows.append((shaped, "tf-provider, `eks_encryption_config`'s schema (14 attributes and a `timeouts` block), "
                 "the same expressions, no behaviour at all: the cost of the schema and state's size", tfp))
    rows.append((eks, "ours: refreshes and guards against the stand-in", shaped))
    # The marginal cost between the two largest N leaves out what Terraform
    # spends once per plan (schemas, provider configuration).
    keys = {c[0] if c[1] is None else f"{c[0]} ({BACKEND_LABEL[c[1]]})": c for c in split}
    small = sizes[-2] if len(sizes) >= 2 else None

    def marginal(name):
        a, b = by.get((keys.get(name), small)), by.get((keys.get(name), big))
        if not (a and b) or small is None:
            return None
        return (b[2] - a[2]) * 1e3 / (big - small)

    out.append(
        f"Where Terraform's own CPU per resource goes (median plans, providers excluded; each difference "
        f"against the row it names){f'; *marginal* is between N = {small} and {big}, without what Terraform spends once per plan' if small else ''}:\n"
    )
    out.append(
        f"| provider | what differs | Terraform CPU ms / resource, N = {big} | difference | marginal ms / resource | difference |"
    )
    out.append("| --- | --- | --- | --- | --- | --- |")
    for name, what, ref in rows:
        if name not in tf:
            continue
        diff = f"{tf[name] - tf[ref]:+.2f} vs {ref}" if ref and ref in tf else ""
        m, mr = marginal(name), marginal(ref) if ref else None
        mdiff = f"{m - mr:+.2f}" if m is not None and mr is not None else ""
        out.append(f"| {name} | {what} | {fmt(tf[name])} | {diff} | {fmt(m)} | {mdiff} |")
    out.append("")
    facts["tf_decomposition"] = {"schema_ms": tf[shaped] - tf[tfp], "provider_ms": tf[eks] - tf[shaped]}


def apply_calls_section(p, ac, out, facts):
    out.append("### 5. AWS calls on the apply path\n")
    lines = []
    for backend in ("emulator", "standin"):
        if not p:
            break
        eks = eks_results(p, backend)
        if not eks:
            continue
        big = max(eks, key=lambda r: r["n"])
        ap = runs_of(big, "apply")
        if ap:
            n = big["n"]
            calls = ", ".join(f"{op} {round(c / n, 3):g}" for op, c in sorted(ap[0]["api_calls"].items()))
            total = round(sum(ap[0]["api_calls"].values()) / n, 3)
            lines.append(
                f"- `terraform apply` creating N = {n} associations against the {BACKEND_LABEL[backend]} "
                f"(request log; plan, Terraform's re-plan and the apply together): **{total:g} calls per "
                f"association**: {calls}."
            )
            facts.setdefault("apply_calls", {})[backend] = (n, total, ap[0]["api_calls"])
    if ac:
        for sc in ac.get("scenarios", []):
            calls = ", ".join(f"{op} {c}" for op, c in sorted(sc["calls"].items()))
            lines.append(
                f"- {sc['description']}: **{sc['total']} calls**: {calls}"
                + (f"; {sc['note']}" if sc.get("note") else "")
                + "."
            )
        lines.append(
            f"\n(The last lines come from `benches/apply_calls.rs`: the provider's own plan and apply "
            f"code against mocked EKS/KMS clients with tokio's paused clock, so a simulated "
            f"{ac.get('update_minutes', 55)}-minute update takes milliseconds; counts, not timings.)"
        )
        facts["apply_flow"] = ac
    if not lines:
        out.append("(no apply measurements)\n")
        return
    out.extend(lines)
    out.append("")


LIST_OPS = ("ListClusters", "DescribeCluster", "DescribeKey", "GetCallerIdentity")


def list_section(ls, out, facts):
    """Section 6: ListResource and the data source over N clusters (list_scale.json)."""
    out.append("### 6. Listing a fleet: ListResource and the data source\n")
    if not ls:
        out.append("(not measured: no list_scale.json)\n")
        return
    n = ls["clusters"]
    out.append(
        f"{n} clusters in the emulator ({ls['cmk_clusters']} with one of 2 CMKs, the rest AWS owned), "
        f"ListClusters answering {ls['page_size']} names a page, list `limit` {ls['limit']}. gRPC rows: "
        "a fresh provider process per run (the release binary, as Terraform starts it, TLS off), "
        "GetProviderSchema and ConfigureProvider untimed, then one timed RPC read to its end; "
        "`terraform` rows: the whole command. AWS calls from the emulator's request log, per run "
        f"(identical in every run); wall time median (min–max) of {ls['runs_per_variant']} runs. "
        "Bound: the goal's \"ListClusters pages plus one DescribeCluster per object requested\" "
        "(for the data source, which describes every cluster, the same formula with N objects).\n"
    )
    variants = []
    for r in ls["runs"]:
        key = (r["via"], r["variant"])
        if key not in variants:
            variants.append(key)
    out.append("| variant | wall time, s | results | objects | " + " | ".join(LIST_OPS) + " | other | total calls | bound | within bound |")
    out.append("| --- | --- | --- | --- | " + " | ".join("---" for _ in LIST_OPS) + " | --- | --- | --- | --- |")
    rows = {}
    for via, variant in variants:
        rs = [r for r in ls["runs"] if r["via"] == via and r["variant"] == variant]
        first = rs[0]
        calls = first["api_calls"]
        other = sum(c for op, c in calls.items() if op not in LIST_OPS)
        same = all(r["api_calls"] == calls for r in rs)
        within = first["total_calls"] <= first["bound"]
        ops = " | ".join(str(calls.get(op, 0)) for op in LIST_OPS)
        label = variant if via == "grpc" else f"{variant} (`terraform`)"
        out.append(
            f"| {label} | {spread([r['wall_s'] for r in rs], digits=3)} | {first['results']} | {first['objects']} "
            f"| {ops} | {other} | {first['total_calls']}{'' if same else ' (varied)'} | {first['bound']} "
            f"| {'yes' if within else 'no, +' + str(first['total_calls'] - first['bound'])} |"
        )
        rows[(via, variant)] = (first, rs)
    q = ls.get("query") or {}
    if q.get("core"):
        out.append(f"\n`terraform` rows: {q['core']}, through `dev_overrides`, no `init`.")
    elif q.get("skipped"):
        out.append(f"\n`terraform query` not measured: {q['skipped']}.")
    out.append(
        "\nGetCallerIdentity without `include_resource_object` is the identities' `account_id`: "
        "without DescribeCluster there is no cluster ARN to take it from, so the provider asks STS "
        "once per process. The data source adds one DescribeKey per distinct key for `key_state`.\n"
    )
    facts["list_scale"] = rows


def criterion_section(run_dir, out):
    base = os.path.join(run_dir, "criterion")
    rows = []
    for root, _dirs, files in os.walk(base):
        if os.path.basename(root) != "new" or "benchmark.json" not in files:
            continue
        b = load(os.path.join(root, "benchmark.json")) or {}
        e = load(os.path.join(root, "estimates.json")) or {}
        smp = load(os.path.join(root, "sample.json")) or {}
        per_iter = [t / i for t, i in zip(smp.get("times", []), smp.get("iters", [])) if i]
        median_ns = e.get("median", {}).get("point_estimate")
        size = (b.get("throughput") or {}).get("Bytes")
        rows.append((b.get("full_id", root), size, median_ns, per_iter))
    out.append("### 3. msgpack codec (Criterion)\n")
    if not rows:
        out.append("(no Criterion results)\n")
        return
    # scripts/bench exports BENCH_BUILD_PROFILE: what it built with (--quick drops LTO).
    profile = os.environ.get("BENCH_BUILD_PROFILE", "release profile: LTO, one codegen unit, stripped")
    out.append(
        "Criterion's median estimate; min/max are the fastest and slowest sample means. Built with the "
        f"{profile}. Throughput is bytes of msgpack per second at the median.\n"
    )
    out.append("| benchmark | msgpack bytes | median | min | max | throughput |")
    out.append("| --- | --- | --- | --- | --- | --- |")

    def t(ns):
        if ns is None:
            return "–"
        if ns >= 1e6:
            return f"{ns / 1e6:.2f} ms"
        if ns >= 1e3:
            return f"{ns / 1e3:.2f} µs"
        return f"{ns:.0f} ns"

    for name, size, m, per in sorted(rows):
        thr = f"{size / (m / 1e9) / MIB / MIB:.0f} MiB/s" if size and m else "–"
        out.append(
            f"| {name} | {size if size else '–'} | {t(m)} | {t(min(per) if per else None)} "
            f"| {t(max(per) if per else None)} | {thr} |"
        )
    out.append("")


def floor_note(facts):
    floors = facts.get("floor_ms") or {}
    if not floors:
        return ""
    return "; floor on this machine, same harness: " + ", ".join(
        f"{name} {fmt(ms)} ms" for name, ms in floors.items() if not name.endswith(" --version")
    )


def decomposition_note(facts):
    d = facts.get("tf_decomposition")
    if not d:
        return ""
    return (
        f"; Terraform's own CPU per resource: {d['schema_ms']:+.2f} ms for our schema's size alone "
        f"(a do-nothing provider with the same schema), {d['provider_ms']:+.2f} ms for what our provider "
        "does on top (section 4)"
    )


def targets_section(facts, out):
    out.append("### Targets\n")
    out.append("| target | measured | |")
    out.append("| --- | --- | --- |")
    h = facts.get("handshake_tls_ms")
    out.append(
        f"| handshake ≤ {TARGETS['handshake_ms']} ms median, TLS on (issue 14; was ≤ 4 ms) | {fmt(h)} ms "
        f"(TLS off: {fmt(facts.get('handshake_plain_ms'))} ms{floor_note(facts)}) "
        f"| {ok(h <= TARGETS['handshake_ms'] if h is not None else None)} |"
    )
    per_all = facts.get("per_n") or {}
    st = per_all.get("standin") or {}
    if st and max(st) >= 100:
        n = max(st)
        cpu = st[n]["cpu_per_res"]
        out.append(
            f"| provider CPU ≤ {TARGETS['standin_cpu_ms_per_resource']} ms per resource per plan, N = 500, "
            f"stand-in, median of the runs (issue 14) | {fmt(cpu, 3)} ms at N = {n} "
            f"({st[n]['plans']} plans: {', '.join(fmt(x, 3) for x in st[n]['cpu_per_res_all'])}) "
            f"| {ok(cpu <= TARGETS['standin_cpu_ms_per_resource'])} |"
        )
    elif st:
        n = max(st)
        out.append(
            f"| provider CPU ≤ {TARGETS['standin_cpu_ms_per_resource']} ms per resource per plan, stand-in "
            f"| {fmt(st[n]['cpu_per_res'], 3)} ms at N = {n}, where the fixed per-plan cost dominates "
            "| not measured (needs N = 500) |"
        )
    vs = facts.get("vs_go")
    if vs:
        go, ratios, by = vs
        n = max(ratios) if ratios else None
        if n is not None and n >= 100:
            a, b = by[(("eks", "standin"), n)][0], by[((go, None), n)][0]
            out.append(
                f"| refreshed plan of N = 500 with the stand-in no slower than {go}'s 500 `null_resource`s "
                f"(issue 14) | {fmt(a)} s vs {fmt(b)} s at N = {n}: × {ratios[n]:.2f}{decomposition_note(facts)} "
                f"| {ok(ratios[n] <= 1.0)} |"
            )
        else:
            out.append(f"| refreshed plan of N = 500 with the stand-in vs {go} | – | not measured (needs N = 500) |")
    else:
        out.append("| refreshed plan of N = 500 with the stand-in vs the Go null provider | – | not measured (no Go null peer) |")
    r = facts.get("rss_tls_mib")
    out.append(
        f"| idle peak RSS ≤ 8 MiB (issue 6) | {fmt(r)} MiB TLS on ({fmt(facts.get('rss_plain_mib'))} MiB off) "
        f"| {ok(r <= TARGETS['idle_rss_mib'] if r is not None else None)} |"
    )
    b = facts.get("binary_mib")
    out.append(f"| stripped release binary ≤ 15 MiB (issue 6) | {fmt(b)} MiB | {ok(b <= TARGETS['binary_mib'] if b is not None else None)} |")
    em = per_all.get("emulator") or {}
    if em and max(em) >= 100:
        n = max(em)
        cpu = em[n]["cpu_per_res"]
        out.append(
            f"| provider CPU ≤ 1 ms per resource per plan, emulator (issue 6) | {fmt(cpu, 3)} ms at N = {n} "
            f"| {ok(cpu <= TARGETS['cpu_ms_per_resource'])} |"
        )
    for backend, calls in sorted((facts.get("calls") or {}).items()):
        if not calls:
            continue
        bad = [(n, dc, dk) for n, dc, dk in calls if dc != n]
        keys_bad = [(n, dc, dk) for n, dc, dk in calls if dk != min(n, 2)]
        desc = "DescribeCluster = N in every plan" if not bad else "; ".join(
            f"N={n}: {dc}" for n, dc, _ in bad[:4]
        )
        desc += "; DescribeKey = distinct keys" if not keys_bad else "; DescribeKey: " + "; ".join(
            f"N={n}: {dk}" for n, _, dk in keys_bad[:4]
        )
        out.append(
            f"| exactly 1 DescribeCluster per resource per plan, {BACKEND_LABEL[backend]} (issue 6) | {desc} | {ok(not bad)} |"
        )
    g = (facts.get("growth") or {}).get("emulator")
    out.append(
        f"| wall time no worse than linear, N = 100 → 500, emulator (issue 6) | × {fmt(g)} for × 5 "
        f"| {ok(g <= 5.0 if g is not None else None)} |"
    )
    cg = facts.get("instructions")
    if cg:
        out.append(
            f"| (figure) provider instructions per resource per refreshed plan, N = {cg['n']}, stand-in, callgrind "
            f"| {cg['ir_per_resource'] / 1e3:.0f} k ({cg['ir_total'] / 1e6:.1f} M per plan) | – |"
        )
    ac = facts.get("apply_calls") or {}
    if "emulator" in ac:
        n, total, _ = ac["emulator"]
        out.append(f"| (figure) AWS calls per association, `terraform apply`, emulator, N = {n} | {total:g} | – |")
    for (via, variant), (first, _) in sorted((facts.get("list_scale") or {}).items()):
        if via != "grpc" or not variant.startswith("ListResource"):
            continue
        out.append(
            f"| ListResource over {first['results']} clusters, {variant.split(', ', 1)[1]}: no more calls than "
            f"ListClusters pages + one DescribeCluster per object requested (issue 19) | {first['total_calls']} calls, "
            f"bound {first['bound']} | {ok(first['total_calls'] <= first['bound'])} |"
        )
    flow = facts.get("apply_flow") or {}
    for sc in flow.get("scenarios", []):
        if sc.get("headline"):
            out.append(f"| (figure) {sc['headline']} | {sc['headline_value']} | – |")
    out.append("")


def main():
    run_dir = sys.argv[1]
    machine = load(os.path.join(run_dir, "machine.json"))
    machine_end = load(os.path.join(run_dir, "machine-end.json"))
    apply_calls = load(os.path.join(run_dir, "apply_calls.json"))
    startup = load(os.path.join(run_dir, "startup.json"))
    plan = load(os.path.join(run_dir, "plan_scale.json"))
    list_scale = load(os.path.join(run_dir, "list_scale.json"))
    out = [f"## Benchmarks ({os.path.basename(os.path.normpath(run_dir))})\n"]
    out.append(
        "Reproduce with `scripts/bench` (raw data: `bench-results/runs/<time>/`; CI runs "
        "`scripts/bench --quick`). Timings are reported, never asserted.\n"
    )
    facts = {}
    machine_section(machine, out, machine_end)
    targets_at = len(out)
    startup_section(startup, out, facts)
    plan_section(plan, out, facts)
    criterion_section(run_dir, out)
    peers_section(plan, out, facts)
    apply_calls_section(plan, apply_calls, out, facts)
    list_section(list_scale, out, facts)
    tgt = []
    targets_section(facts, tgt)
    out[targets_at:targets_at] = tgt
    try:
        with open(os.path.join(run_dir, "skipped.txt"), encoding="utf-8") as f:
            skipped = [l.strip() for l in f if l.strip()]
    except OSError:
        skipped = []
    if skipped:
        out.append("### Skipped\n")
        out.extend(f"- {s}" for s in skipped)
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
