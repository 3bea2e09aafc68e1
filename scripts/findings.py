#!/usr/bin/env python3
"""The evidence tables of docs/findings.md, from a run folder's raw files (DuckDB over Parquet).

Usage: findings.py RUN_DIR [RUN_DIR ...] [--only getall,tails,ladder,writes]

  getall   get_all per repetition: mean latency beside the server's CPU (cores) and the
           host's idle CPU during the scenario (resources.parquet). A repetition whose server
           used ~1 core while a core idled is one where one Gunicorn worker got every
           connection (README, "get_all's bimodality").
  tails    the write scenarios (and get_one as the read-only control): median, mean, p99,
           max, and the share of the scenario's total latency carried by its slowest 1 %,
           per stack, pooled over the repetitions; with the VUs each scenario ran.
  ladder   the slow write requests (latency >= 20 ms) binned against SQLite's default busy
           handler: sqlite3.connect's timeout (5 s) makes a writer that finds the database
           locked sleep 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100, 100, ... ms between
           retries (sqliteDefaultBusyCallback); a request that waited k sleeps takes at least
           the k-th cumulative delay. The table counts slow requests per ladder rung.
  writes   the write scenarios' means here beside the paper's (paper/published.toml).
  profile  a run made with --profile: per stack, get_all's samples per request (py-spy,
           profiles/<stack>/get_all.txt) of threads not waiting, split by where they sit: under the
           endpoint function (the query and the ORM's loading of rows), under FastAPI's
           `serialize_response` (response-model validation and conversion), under the
           JSON rendering, and the rest; samples of threads waiting are left out.

Every number docs/findings.md quotes comes from this script (`just findings RUN_DIR`).
"""

import argparse
import bisect
import json
import sys
import tomllib
from pathlib import Path

import duckdb

WRITES = ["create", "update", "delete"]
# The findings campaigns' extra write scenario: update from one VU (no two writes wait
# for each other); absent from the paper's campaign.
SERIAL = ["update_1vu"]
# sqliteDefaultBusyCallback's delays (ms) and their running totals: the least a request
# that slept k times waited.
DELAYS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100]


def ladder_edges(limit_ms: float) -> list[float]:
    edges, total, k = [], 0.0, 0
    while total <= limit_ms:
        total += DELAYS[k] if k < len(DELAYS) else 100
        edges.append(total)
        k += 1
    return edges


def samples_view(con: duckdb.DuckDBPyConnection, run: Path) -> None:
    files = sorted((run / "samples").glob("*.parquet"))
    if not files and (run / "samples.parquet").exists():
        files = [run / "samples.parquet"]
    if not files:
        sys.exit(f"findings: {run} has no samples/*.parquet or samples.parquet; pass a run folder")
    src = f"read_parquet({[str(f) for f in files]!r})"
    con.sql(f"""
      CREATE OR REPLACE VIEW samples AS
      SELECT stack, repetition, scenario, vu, iteration, start_ns,
             latency_ns, status, error
      FROM {src} WHERE scenario NOT LIKE 'warmup%'""")


def getall(con: duckdb.DuckDBPyConnection, run: Path) -> None:
    print("## get_all per repetition: mean latency, server CPU, idle CPU of the host")
    res = run / "resources.parquet"
    if not res.exists():
        print("(no resources.parquet)")
        return
    rows = con.sql(f"""
      WITH lat AS (
        SELECT stack, repetition, avg(latency_ns) / 1e6 AS mean_ms, count(*) AS n
        FROM samples WHERE scenario = 'get_all' GROUP BY ALL),
      cpu AS (
        SELECT stack, repetition,
               sum(server_cpu_ns) / sum(interval_ns) AS server_cores,
               sum(host_idle_ns) / sum(interval_ns) AS idle_cores,
               sum(host_steal_ns) / sum(interval_ns) AS steal_cores
        FROM read_parquet('{res}') WHERE phase = 'get_all' AND interval_ns IS NOT NULL
        GROUP BY ALL)
      SELECT lat.stack, lat.repetition, n, mean_ms, server_cores, idle_cores, steal_cores
      FROM lat LEFT JOIN cpu USING (stack, repetition) ORDER BY ALL""").fetchall()
    print(f"{'stack':<22} {'rep':>3} {'n':>4} {'mean ms':>8} {'server cores':>12} {'idle cores':>10} {'steal':>6}")
    for s, r, n, m, sc, ic, st in rows:
        f = lambda x: "-" if x is None else f"{x:.2f}"
        print(f"{s:<22} {r:>3} {n:>4} {m:>8.2f} {f(sc):>12} {f(ic):>10} {f(st):>6}")
    print()


def tails(con: duckdb.DuckDBPyConnection, run: Path, vus: dict[str, int]) -> None:
    print("## Write scenarios (get_one as the control): pooled over repetitions")
    rows = con.sql(f"""
      WITH s AS (
        SELECT stack, scenario, latency_ns,
               latency_ns >= quantile_disc(latency_ns, 0.99) OVER (PARTITION BY stack, scenario) AS top1,
               error
        FROM samples WHERE scenario IN ('get_one', {", ".join(repr(w) for w in WRITES + SERIAL)}))
      SELECT stack, scenario, count(*) AS n,
             quantile_cont(latency_ns, 0.5) / 1e6, avg(latency_ns) / 1e6,
             quantile_cont(latency_ns, 0.99) / 1e6, max(latency_ns) / 1e6,
             sum(latency_ns) FILTER (WHERE top1) / sum(latency_ns),
             count(*) FILTER (WHERE latency_ns >= 100e6),
             count(error)
      FROM s GROUP BY ALL ORDER BY scenario, stack""").fetchall()
    print(f"{'scenario':<8} {'VUs':>3} {'stack':<22} {'n':>6} {'median':>7} {'mean':>7} {'p99':>8} {'max':>8} {'top 1 %':>7} {'>=100ms':>7} {'errors':>6}")
    for s, sc, n, med, mean, p99, mx, share, over, errs in rows:
        print(f"{sc:<8} {vus.get(sc, 0):>3} {s:<22} {n:>6} {med:>7.2f} {mean:>7.2f} {p99:>8.1f} {mx:>8.1f} {share:>7.1%} {over:>7} {errs:>6}")
    print("(ms; 'top 1 %' = share of the scenario's summed latency in its slowest 1 % of requests)")
    print()


def ladder(con: duckdb.DuckDBPyConnection) -> None:
    print("## Slow write requests (>= 20 ms) against the busy handler's cumulative sleeps")
    slow = con.sql(f"""
      SELECT scenario, latency_ns / 1e6 FROM samples
      WHERE scenario IN ({", ".join(repr(w) for w in WRITES)}) AND latency_ns >= 20e6""").fetchall()
    if not slow:
        print("(none)\n")
        return
    top = max(ms for _, ms in slow)
    edges = ladder_edges(top)
    # A request that slept k times took between the k-th and the (k+1)-th running total
    # plus its own work; the bins are [edge_k, edge_k+1).
    counts: dict[tuple[str, int], int] = {}
    # Within the rungs: where in its rung a slow request falls (0 = just after the k-th
    # sleep ended, 1 = just before the next). Lock waits pile up near 0 plus the work time.
    pos = []
    for sc, ms in slow:
        k = bisect.bisect_right(edges, ms)  # the edges at or below ms (edges ascend)
        counts[(sc, k)] = counts.get((sc, k), 0) + 1
        if 1 <= k < len(edges):
            lo, hi = edges[k - 1], edges[k]
            pos.append((ms - lo) / (hi - lo))
    print(f"{'sleeps':>6} {'from ms':>8} {'to ms':>8} " + " ".join(f"{w:>7}" for w in WRITES))
    for k in range(1, len(edges)):
        line = [counts.get((w, k), 0) for w in WRITES]
        if any(line):
            print(f"{k:>6} {edges[k - 1]:>8.0f} {edges[k]:>8.0f} " + " ".join(f"{c:>7}" for c in line))
    if pos:
        tenths = [0] * 10
        for p in pos:
            tenths[min(int(p * 10), 9)] += 1
        print("position within the rung, tenths 0..1: " + " ".join(str(t) for t in tenths))
    print()


def writes_vs_paper(con: duckdb.DuckDBPyConnection, repo: Path) -> None:
    print("## Write scenarios: mean latency here (mean of repetition means) vs the paper")
    paper = tomllib.loads((repo / "paper" / "published.toml").read_text())
    published: dict[tuple[str, str], float] = {}
    for v in paper.get("value", []):
        published[(v["scenario"], v["stack"])] = v["value"]
    rows = con.sql(f"""
      WITH reps AS (SELECT stack, scenario, repetition, avg(latency_ns) / 1e6 AS m
                    FROM samples WHERE scenario IN ({", ".join(repr(w) for w in WRITES)}) GROUP BY ALL)
      SELECT scenario, stack, avg(m), min(m), max(m) FROM reps GROUP BY ALL ORDER BY scenario, stack""").fetchall()
    print(f"{'scenario':<8} {'stack':<22} {'here ms':>8} {'(min..max rep)':>16} {'paper ms':>9} {'paper/here':>10}")
    for sc, s, m, lo, hi, in rows:
        p = published.get((sc, s))
        ratio = f"{p / m:.1f}x" if p else "-"
        ps = f"{p:.2f}" if p else "-"
        print(f"{sc:<8} {s:<22} {m:>8.2f} {f'({lo:.1f}..{hi:.1f})':>16} {ps:>9} {ratio:>10}")
    print()


# A sample whose innermost frame is one of these is a thread waiting (the thread pool's
# idle workers, the event loop's select, Gunicorn's arbiter), not work.
IDLE_LEAVES = ("Condition.wait", "Runner.run", "Arbiter.sleep", "Queue.get", "select", "wait")
# Where a busy sample sits, first match from the root: (part, function name prefix).
PARTS = [
    ("JSON rendering", ("JSONResponse.render", "jsonify", "JSONRenderer.render", "dumps", "JSONEncoder")),
    # FastAPI validates a sync endpoint's return value against its response_model in the
    # thread pool (`ModelField.validate` at the bottom of a worker thread's stack).
    ("response validation + conversion", ("serialize_response", "jsonable_encoder", "ModelField.validate")),
    ("endpoint: query + ORM loading", ("read_items", "ItemViewSet.list", "ListModelMixin.list", "list_items", "items")),
]


def profile_split(run: Path, m: dict, scenario: str) -> None:
    rate = (m.get("profile") or {}).get("rate_hz", 100)
    requests = next((s.get("iterations") for s in m["campaign"]["scenarios"] if s["name"] == scenario), None)
    print(f"## {scenario}: where the server's threads are, per request (py-spy at {rate} Hz, {requests} requests)")
    if not requests:
        print(f"(the campaign's {scenario} has no fixed number of iterations, so no samples per request)\n")
        return
    print("(samples of non-waiting threads / requests; a thread waiting for the GIL is sampled where it")
    print(" waits, so this is thread time, not CPU time: compare shares, and totals only between stacks")
    print(" on the same server)")
    head = ["stack", "samples/req"] + [p for p, _ in PARTS] + ["other busy"]
    print(" | ".join(head))
    for f in sorted((run / "profiles").glob(f"*/{scenario}.txt")):
        parts = dict.fromkeys([p for p, _ in PARTS] + ["other busy"], 0)
        busy = 0
        for line in f.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = [fr.split(" (")[0] for fr in stack.split(";") if not fr.startswith("process ")]
            if not frames or frames[-1].startswith(IDLE_LEAVES) or frames[-1].endswith(IDLE_LEAVES):
                continue
            busy += int(n)
            where = "other busy"
            for part, names in PARTS:
                if any(fr.split(".")[-1].startswith(names) or fr.startswith(names) for fr in frames):
                    where = part
                    break
            parts[where] += int(n)
        per = lambda k: k / requests
        row = [f.parent.name, f"{per(busy):.1f}"] + [f"{per(parts[p]):.1f} ({parts[p] / busy:.0%})" if busy else "-" for p in parts]
        print(" | ".join(row))
    print()


def scenario_vus(m: dict) -> dict[str, int]:
    camp = m.get("campaign", {})
    return {s["name"]: s.get("vus", 0) for s in camp.get("scenarios", [])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--only", default="getall,tails,ladder,writes,profile")
    a = ap.parse_args()
    repo = Path(__file__).resolve().parent.parent
    only = set(a.only.split(","))
    for run in a.runs:
        if not (run / "manifest.json").exists():
            sys.exit(f"findings: {run} has no manifest.json; pass a run folder (data/published/<run id>)")
        m = json.loads((run / "manifest.json").read_text())
        print(f"# {run.name}\n")
        con = duckdb.connect()
        con.sql("SET threads = 1")
        samples_view(con, run)
        if "getall" in only:
            getall(con, run)
        if "tails" in only:
            tails(con, run, scenario_vus(m))
        if "ladder" in only:
            ladder(con)
        if "writes" in only:
            writes_vs_paper(con, repo)
        if "profile" in only and (run / "profiles").is_dir():
            profile_split(run, m, "get_all")


if __name__ == "__main__":
    main()
