#!/usr/bin/env python3
"""`just bench-pairing RUN...`: does comparing stacks within a round narrow the intervals?

For every scenario and every pair of stacks (a, b) of a finished run, the log-ratio
ln(a / b) of their headline values (req/s for hello/echo, mean latency of the
successful requests for the rest: the analysis's per-repetition values) is
estimated two ways, both at 95 %, both over repetitions (the unit of replication):

* unpaired — Welch's t interval of mean(ln a) - mean(ln b), every ok repetition of
  each stack, as if the rounds did not exist;
* paired — the t interval of the mean of d_r = ln a_r - ln b_r over the rounds r
  in which both stacks have an ok repetition (the analysis's `pairwise[].paired`).

Printed per scenario: pairs, the median width ratio paired / unpaired (< 1: pairing
narrows), how many pairs each way decides (the interval excludes 0: one stack is
faster), and the median correlation across rounds of two stacks' log values (the
shared noise that pairing removes). A run made before rounds were interleaved
(no `rounds` in its manifest: each stack's repetitions ran back to back) has no
blocks; pairing its repetitions by number is a placebo and is labelled so.

Reads manifest.json and the samples with DuckDB (samples.parquet, or the per-stack
files under samples/), independently of the Rust analysis: a cross-check of it.
With --json the rows are also written as JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
from pathlib import Path

import duckdb
from scipy import stats

THROUGHPUT = {"hello", "echo"}


def samples_glob(run: Path) -> str:
    split = run / "samples"
    if split.is_dir():
        return str(split / "*.parquet")
    single = run / "samples.parquet"
    if single.exists():
        return str(single)
    sys.exit(f"error: {run} has no samples.parquet or samples/: pass a finished run folder")


def headline_values(run: Path) -> tuple[dict, list[list[str]]]:
    """{(stack, scenario): {repetition: value}} over ok repetitions, and the rounds."""
    try:
        manifest = json.loads((run / "manifest.json").read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"error: {run}/manifest.json is unreadable ({e}): pass a finished run folder")
    ok = {(r["stack"], r["repetition"]) for r in manifest["repetitions"] if r["status"] == "ok"}
    values: dict = {}
    for r in manifest["repetitions"]:
        if (r["stack"], r["repetition"]) not in ok:
            continue
        for s in r["scenarios"]:
            if s["scenario"] in THROUGHPUT and s["active_ns"] > 0:
                values.setdefault((r["stack"], s["scenario"]), {})[r["repetition"]] = (
                    s["requests"] / (s["active_ns"] / 1e9)
                )
    rows = duckdb.sql(
        f"""select stack, repetition, scenario, avg(latency_ns) / 1e6
            from read_parquet('{samples_glob(run)}')
            where error is null and scenario not like 'warmup%'
              and scenario not in ('hello', 'echo')
            group by all"""
    ).fetchall()
    for stack, rep, scenario, mean_ms in rows:
        if (stack, rep) in ok:
            values.setdefault((stack, scenario), {})[rep] = mean_ms
    return values, manifest.get("rounds") or []


def t_halfwidth(x: list[float]) -> float | None:
    if len(x) < 2:
        return None
    return stats.t.ppf(0.975, len(x) - 1) * statistics.stdev(x) / math.sqrt(len(x))


def welch_halfwidth(a: list[float], b: list[float]) -> float | None:
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return 0.0
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return stats.t.ppf(0.975, df) * se


def compare(values: dict) -> list[dict]:
    out = []
    scenarios = sorted({sc for _, sc in values})
    for scenario in scenarios:
        stacks = sorted(st for st, sc in values if sc == scenario)
        for a, b in itertools.combinations(stacks, 2):
            va, vb = values[(a, scenario)], values[(b, scenario)]
            la = [math.log(v) for v in va.values()]
            lb = [math.log(v) for v in vb.values()]
            diff = statistics.fmean(la) - statistics.fmean(lb)
            unpaired = welch_halfwidth(la, lb)
            common = sorted(set(va) & set(vb))
            d = [math.log(va[r]) - math.log(vb[r]) for r in common]
            paired = t_halfwidth(d)
            corr = (
                stats.pearsonr([math.log(va[r]) for r in common], [math.log(vb[r]) for r in common])[0]
                if len(common) >= 3
                else float("nan")
            )
            out.append(
                {
                    "scenario": scenario,
                    "a": a,
                    "b": b,
                    "rounds": len(common),
                    "log_ratio": diff,
                    "unpaired_halfwidth": unpaired,
                    "paired_halfwidth": paired,
                    "paired_log_ratio": statistics.fmean(d) if d else None,
                    "correlation": corr,
                    "unpaired_decides": unpaired is not None and abs(diff) > unpaired,
                    "paired_decides": paired is not None and abs(statistics.fmean(d)) > paired,
                }
            )
    return out


def report(run: Path, rows: list[dict], blocked: bool) -> None:
    kind = "interleaved rounds" if blocked else "NO rounds (stack by stack): pairing by repetition number is a placebo"
    print(f"\n{run.name}: {kind}")
    print(
        f"{'scenario':<9} {'pairs':>5} {'width paired/unpaired':>22} {'decided unpaired':>17} {'decided paired':>15} {'corr':>6}"
    )
    by = {}
    for r in rows:
        by.setdefault(r["scenario"], []).append(r)
    every = []
    for scenario, rs in by.items():
        ratios = [
            r["paired_halfwidth"] / r["unpaired_halfwidth"]
            for r in rs
            if r["paired_halfwidth"] is not None and r["unpaired_halfwidth"]
        ]
        every += ratios
        corr = [r["correlation"] for r in rs if not math.isnan(r["correlation"])]
        print(
            f"{scenario:<9} {len(rs):>5} {statistics.median(ratios) if ratios else float('nan'):>22.2f} "
            f"{sum(r['unpaired_decides'] for r in rs):>17} {sum(r['paired_decides'] for r in rs):>15} "
            f"{statistics.median(corr) if corr else float('nan'):>6.2f}"
        )
    print(
        f"{'all':<9} {len(rows):>5} {statistics.median(every) if every else float('nan'):>22.2f} "
        f"{sum(r['unpaired_decides'] for r in rows):>17} {sum(r['paired_decides'] for r in rows):>15}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="finished run folders")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args()
    everything = {}
    for run in args.runs:
        values, rounds = headline_values(run)
        rows = compare(values)
        report(run, rows, bool(rounds))
        everything[run.name] = {"rounds": bool(rounds), "pairs": rows}
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
