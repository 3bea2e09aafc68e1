"""The statistics of `pywebbench analyze`, computed independently with polars + scipy on
the same run folder: the Python side of `just bench-analysis`.

    python3 analysis/bench/python_stats.py RUN_DIR [SUMMARY_JSON]
    python3 analysis/bench/python_stats.py RUN_DIR --emit EXPECTED_JSON

Prints one JSON line with the timings; with SUMMARY_JSON (written by pywebbench
analyze) it also checks that both sides agree (per-repetition req/s, mean, median,
p95, p99 latency; across-repetition t intervals; Welch and Mann-Whitney p values).
"""
import json
import os
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

run_dir = sys.argv[1]
emit_path = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--emit" else None
summary_path = sys.argv[2] if len(sys.argv) > 2 and not emit_path else None
CONF, RESAMPLES, MAX_M = 0.95, 1000, 2000

t0 = time.perf_counter()
# Schema v2 (data/README.md#layout): samples/<stack>.parquet, ttfb_ns = latency_ns - transfer_ns.
df = pl.read_parquet(os.path.join(run_dir, "samples", "*.parquet"),
                     columns=["stack", "repetition", "scenario", "latency_ns", "transfer_ns", "error"])
df = df.with_columns((pl.col("latency_ns") - pl.col("transfer_ns")).alias("ttfb_ns")).drop("transfer_ns")
with open(os.path.join(run_dir, "manifest.json")) as f:
    manifest = json.load(f)
t_read = time.perf_counter() - t0

t1 = time.perf_counter()
ok_reps = {(r["stack"], r["repetition"]) for r in manifest["repetitions"] if r["status"] == "ok"}
active = {(r["stack"], r["repetition"], s["scenario"]): s["active_ns"]
          for r in manifest["repetitions"] for s in r["scenarios"]}
measured = df.filter(~pl.col("scenario").cast(pl.Utf8).str.starts_with("warmup"))
ok = pl.col("error").is_null()
lat_ms = pl.col("latency_ns").filter(ok) / 1e6
per = measured.group_by(["stack", "repetition", "scenario"]).agg(
    requests=pl.len(),
    errors=(~ok).sum(),
    mean_ms=lat_ms.mean(),
    median_ms=lat_ms.quantile(0.5, "linear"),
    p90_ms=lat_ms.quantile(0.9, "linear"),
    p95_ms=lat_ms.quantile(0.95, "linear"),
    p99_ms=lat_ms.quantile(0.99, "linear"),
    max_ms=lat_ms.max(),
    ttfb_ms=(pl.col("ttfb_ns").filter(ok) / 1e6).mean(),
).with_columns(pl.col("stack").cast(pl.Utf8), pl.col("scenario").cast(pl.Utf8)).to_dicts()
for r in per:
    a = active.get((r["stack"], r["repetition"], r["scenario"]))
    r["req_per_s"] = r["requests"] / (a / 1e9) if a else None
    r["included"] = (r["stack"], r["repetition"]) in ok_reps

metric_of = lambda sc: "req_per_s" if sc in ("hello", "echo") else "mean_ms"
cells = {}
for r in per:
    if r["included"]:
        cells.setdefault((r["stack"], r["scenario"]), []).append(r)
across = {}
for key, reps in cells.items():
    vals = np.array([r[metric_of(key[1])] for r in sorted(reps, key=lambda r: r["repetition"])])
    n = len(vals)
    m = vals.mean()
    ci = stats.t.interval(CONF, n - 1, loc=m, scale=vals.std(ddof=1) / np.sqrt(n)) if n >= 2 else None
    across[key] = (vals, m, ci)

# Pooled successful latencies per cell: outliers, bootstrap, Mann-Whitney.
inc = measured.with_columns(pl.col("stack").cast(pl.Utf8), pl.col("scenario").cast(pl.Utf8)).filter(ok)
inc = inc.filter(pl.struct(["stack", "repetition"]).map_elements(
    lambda s: (s["stack"], s["repetition"]) in ok_reps, return_dtype=pl.Boolean))
pooled = {}
for (stack, scenario), part in inc.group_by(["stack", "scenario"]):
    pooled[(stack, scenario)] = np.sort(part["latency_ns"].to_numpy() / 1e6)
rng = np.random.default_rng(1)
outliers, boot = {}, {}
for key, x in pooled.items():
    q1, q3 = np.percentile(x, [25, 75])
    iqr = q3 - q1
    outliers[key] = (int(((x < q1 - 1.5 * iqr) | (x > q3 + 1.5 * iqr)).sum()),
                     int(((x < q1 - 3 * iqr) | (x > q3 + 3 * iqr)).sum()))
    m = min(len(x), MAX_M)
    means = x[rng.integers(0, len(x), (RESAMPLES, m))].mean(axis=1)
    est = x.mean()
    lo, hi = np.percentile(means, [2.5, 97.5])
    s = np.sqrt(m / len(x))
    boot[key] = (est + s * (lo - est), est + s * (hi - est))

# The stack registry (stacks/*/stack.toml): the order, and each ORM stack's raw twin.
registry = [tomllib.loads(p.read_text()) for p in (Path(__file__).resolve().parents[2] / "stacks").glob("*/stack.toml")]
registry.sort(key=lambda e: e["order"])
stacks = [e["name"] for e in registry]
orm_pairs = [(e["name"], e["raw_twin"]) for e in registry if e["data_access"] == "orm" and "raw_twin" in e]
scenarios = ["hello", "echo", "get_all", "get_one", "create", "update", "delete"]
pairs = {}
for sc in scenarios:
    present = [s for s in stacks if (s, sc) in across]
    for i, a in enumerate(present):
        for b in present[i + 1:]:
            va, vb = across[(a, sc)][0], across[(b, sc)][0]
            w = stats.ttest_ind(va, vb, equal_var=False) if len(va) >= 2 and len(vb) >= 2 else None
            mw = stats.mannwhitneyu(pooled[(a, sc)], pooled[(b, sc)], alternative="two-sided",
                                    method="asymptotic", use_continuity=True)
            pairs[(sc, a, b)] = (w.pvalue if w is not None else None, mw.pvalue)
orm = {}
for sc in scenarios:
    for orm_stack, raw_stack in orm_pairs:
        if (orm_stack, sc) in across and (raw_stack, sc) in across:
            r = stats.ttest_ind(across[(orm_stack, sc)][0], across[(raw_stack, sc)][0], equal_var=False)
            orm[(orm_stack, sc)] = (r.pvalue, r.confidence_interval(CONF))
t_stats = time.perf_counter() - t1

if emit_path:
    # The reference values for analysis/tests/pipeline_reference.rs.
    expected = {
        "generator": "analysis/bench/python_stats.py --emit (polars + scipy)",
        "repetitions": [{k: r[k] for k in ("stack", "scenario", "repetition", "requests", "errors", "req_per_s",
                                           "mean_ms", "median_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "ttfb_ms",
                                           "included")} for r in per],
        "cells": [{"stack": k[0], "scenario": k[1], "mean": m, "ci": list(ci) if ci is not None else None,
                   "outliers": list(outliers[k])} for k, (v, m, ci) in across.items()],
        "pairs": [{"scenario": k[0], "a": k[1], "b": k[2], "welch_p": v[0], "mwu_p": v[1]} for k, v in pairs.items()],
        "orm": [{"orm_stack": k[0], "scenario": k[1], "p": v[0], "ci": [v[1].low, v[1].high]} for k, v in orm.items()],
    }
    with open(emit_path, "w") as f:
        json.dump(expected, f, indent=1)

result = {"rows": df.height, "read_s": round(t_read, 4), "stats_s": round(t_stats, 4),
          "total_s": round(t_read + t_stats, 4)}

if summary_path:
    with open(summary_path) as f:
        summary = json.load(f)
    worst = 0.0
    checked = 0
    def rel(a, b):
        return abs(a - b) / max(1.0, abs(b))
    for c in summary["cells"]:
        key = (c["stack"], c["scenario"])
        for rep in c["detail"]["repetitions"]:
            py = next(r for r in per if (r["stack"], r["scenario"], r["repetition"]) == (key[0], key[1], rep["repetition"]))
            assert py["requests"] == rep["requests"] and py["errors"] == rep["errors"], (key, rep["repetition"])
            if rep["req_per_s"] is not None:
                worst = max(worst, rel(rep["req_per_s"], py["req_per_s"])); checked += 1
            for k in ("mean_ms", "median_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"):
                worst = max(worst, rel(rep["latency"][k], py[k])); checked += 1
        vals, m, ci = across[key]
        worst = max(worst, rel(c["estimate"]["value"], m)); checked += 1
        if ci is not None:
            worst = max(worst, rel(c["estimate"]["ci"]["low"], ci[0]), rel(c["estimate"]["ci"]["high"], ci[1])); checked += 2
        o = c["detail"]["outliers"]
        assert (o["beyond_1_5_iqr"], o["beyond_3_iqr"]) == outliers[key], key
    for p in summary["pairwise"]:
        wp, mp = pairs[(p["scenario"], p["a"], p["b"])]
        if p["welch"] is not None:
            worst = max(worst, abs(p["welch"]["p"] - wp)); checked += 1
        worst = max(worst, abs(p["mann_whitney"]["p"] - mp)); checked += 1
    for o in summary["orm_overhead"]:
        pp, ci = orm[(o["orm_stack"], o["scenario"])]
        worst = max(worst, abs(o["p"] - pp), rel(o["diff_ci"]["low"], ci.low), rel(o["diff_ci"]["high"], ci.high)); checked += 3
    # The bootstrap is random on both sides: compare the interval widths loosely.
    widths = [(c["detail"]["bootstrap_mean_ms"]["ci"]["high"] - c["detail"]["bootstrap_mean_ms"]["ci"]["low"])
              / (boot[(c["stack"], c["scenario"])][1] - boot[(c["stack"], c["scenario"])][0]) for c in summary["cells"]]
    result.update({"checked_values": checked, "max_rel_diff": worst,
                   "bootstrap_width_ratio_range": [round(min(widths), 3), round(max(widths), 3)]})
    if worst > 1e-9:
        print(json.dumps(result))
        sys.exit(f"python_stats: Rust and Python disagree (max relative difference {worst:.3e})")
print(json.dumps(result))
