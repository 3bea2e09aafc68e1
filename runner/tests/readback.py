"""Read a pywebbench run folder back with pyarrow AND DuckDB; print what both saw as JSON.

Either layout: samples/<stack>.parquet (schema v2, offsets; the logical columns rebuilt
as data/README.md shows, `samples_layout.py`) or samples.parquet (schema v1).

Usage: python readback.py RUN_DIR [--samples-only]

Exits non-zero (with the reason on stderr) when the two readers disagree, a column
is missing or mistyped, or a compression codec other than snappy/lz4/none is used.
The Rust test (runner/tests/run_quick.rs) compares the output with manifest.json.
"""

import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from samples_layout import arrow_samples, duckdb_samples_sql, is_split, sample_files  # noqa: E402

SAMPLE_TYPES = {
    "stack": pa.string(),
    "repetition": pa.uint32(),
    "scenario": pa.string(),
    "vu": pa.uint32(),
    "iteration": pa.uint64(),
    "scheduled_ns": pa.int64(),
    "start_ns": pa.int64(),
    "end_ns": pa.int64(),
    "latency_ns": pa.int64(),
    "ttfb_ns": pa.int64(),
    "connect_ns": pa.int64(),
    "status": pa.uint16(),
    "bytes_in": pa.uint64(),
    "bytes_out": pa.uint64(),
    "error": pa.string(),
}
# Schema v2 stores offsets in place of scheduled_ns, end_ns and ttfb_ns.
STORED_TYPES = {
    {"scheduled_ns": "schedule_lag_ns", "end_ns": "end_extra_ns", "ttfb_ns": "transfer_ns"}.get(k, k): v
    for k, v in SAMPLE_TYPES.items()
}
RESOURCE_TYPES = {
    "stack": pa.string(),
    "repetition": pa.uint32(),
    "phase": pa.string(),
    "t_ns": pa.int64(),
    "cpu_percent": pa.float64(),
    "mem_bytes": pa.uint64(),
    "mem_limit_bytes": pa.uint64(),
    # The sampler's breakdown (nullable; null in Docker stats rows).
    "interval_ns": pa.int64(),
    "server_cpu_ns": pa.int64(),
    "generator_cpu_ns": pa.int64(),
    "proxy_cpu_ns": pa.int64(),
    "host_busy_ns": pa.int64(),
    "host_iowait_ns": pa.int64(),
    "host_steal_ns": pa.int64(),
    "host_idle_ns": pa.int64(),
    "host_cpus": pa.uint32(),
    "generator_cpus": pa.uint32(),
    "generator_cpus_busy_ns": pa.int64(),
    "server_cpus": pa.uint32(),
    "server_cpus_busy_ns": pa.int64(),
}
# Every breakdown column but proxy_cpu_ns is set in a sampler row (interval_ns set).
SAMPLER_REQUIRED = [c for c in list(RESOURCE_TYPES)[8:] if c != "proxy_cpu_ns"]
CODECS = {"SNAPPY", "LZ4", "LZ4_RAW", "UNCOMPRESSED"}


def fail(msg):
    print(f"readback: {msg}", file=sys.stderr)
    sys.exit(1)


def check_file(path, types):
    table = pq.read_table(path)
    got = {f.name: f.type for f in table.schema}
    if list(got) != list(types):
        fail(f"{path.name}: columns {list(got)} != {list(types)}")
    for name, t in types.items():
        if got[name] != t:
            fail(f"{path.name}: column {name} is {got[name]}, expected {t}")
    meta = pq.ParquetFile(path).metadata
    for rg in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            codec = meta.row_group(rg).column(c).compression
            if codec not in CODECS:
                fail(f"{path.name}: codec {codec} is not readable by the wasm viewer")
    return table


def main():
    run = Path(sys.argv[1])
    for f in sample_files(run):
        check_file(f, STORED_TYPES if is_split(run) else SAMPLE_TYPES)
    samples = arrow_samples(run)
    samples_sql = duckdb_samples_sql(run)
    samples_only = "--samples-only" in sys.argv[2:]

    # pyarrow: per (stack, repetition, scenario) counts and errors.
    arrow_counts = {}
    grouped = samples.group_by(["stack", "repetition", "scenario"]).aggregate(
        [("iteration", "count"), ("error", "count")]
    )
    for row in grouped.to_pylist():
        key = f'{row["stack"]}/{row["repetition"]}/{row["scenario"]}'
        arrow_counts[key] = {"requests": row["iteration_count"], "errors": row["error_count"]}

    # DuckDB, straight from the file.
    con = duckdb.connect()
    duck_counts = {}
    query = f"""
        SELECT stack, repetition, scenario, count(*) AS n, count(error) AS errors,
               min(latency_ns) FILTER (WHERE error IS NULL) AS min_latency, min(end_ns - start_ns - latency_ns) AS min_gap
        FROM ({samples_sql})
        GROUP BY ALL
    """
    for stack, rep, scenario, n, errors, min_latency, min_gap in con.execute(query).fetchall():
        duck_counts[f"{stack}/{rep}/{scenario}"] = {"requests": n, "errors": errors}
        if min_latency is not None and min_latency <= 0:
            fail(f"{stack}/{rep}/{scenario}: a successful request with latency_ns <= 0")
        if min_gap < 0:
            fail(f"{stack}/{rep}/{scenario}: latency_ns longer than end_ns - start_ns")
    if arrow_counts != duck_counts:
        fail(f"pyarrow and DuckDB disagree:\n{arrow_counts}\n{duck_counts}")
    if samples_only:
        print(json.dumps({"samples": samples.num_rows, "counts": arrow_counts}))
        return
    resources = check_file(run / "resources.parquet", RESOURCE_TYPES)
    res_rows = con.execute(
        f"SELECT count(*), count(DISTINCT phase), max(mem_bytes) FROM read_parquet('{run / 'resources.parquet'}')"
    ).fetchone()
    if res_rows[0] != resources.num_rows:
        fail("pyarrow and DuckDB disagree on resources.parquet's rows")
    # The sampler's rows: complete, and /proc/stat's four parts add up to the wall
    # time × CPUs over each repetition, to 10 %: clock ticks are 10 ms, and on this
    # project's 2-core VMs, when their host is busy, the kernel's tick accounting ran
    # up to 6.3 % ahead of the wall clock (2026-12-06: 30.45 s of parts in 28.92 s of
    # wall time × 2 CPUs; within 1 % on the same VM with its host quiet).
    arrow_sampler = pc.sum(pc.is_valid(resources["interval_ns"])).as_py() or 0
    duck_sampler = con.execute(
        f"SELECT count(*) FROM read_parquet('{run / 'resources.parquet'}') WHERE interval_ns IS NOT NULL"
    ).fetchone()[0]
    if arrow_sampler != duck_sampler:
        fail(f"pyarrow ({arrow_sampler}) and DuckDB ({duck_sampler}) disagree on the sampler rows")
    incomplete = con.execute(
        f"SELECT count(*) FROM read_parquet('{run / 'resources.parquet'}') WHERE interval_ns IS NOT NULL AND ("
        + " OR ".join(f"{c} IS NULL" for c in SAMPLER_REQUIRED)
        + ")"
    ).fetchone()[0]
    if incomplete:
        fail(f"{incomplete} sampler rows lack a breakdown column")
    for stack, rep, wall, parts in con.execute(
        f"""SELECT stack, repetition, sum(interval_ns * host_cpus),
                   sum(host_busy_ns + host_iowait_ns + host_steal_ns + host_idle_ns)
            FROM read_parquet('{run / 'resources.parquet'}') WHERE interval_ns IS NOT NULL GROUP BY ALL"""
    ).fetchall():
        if abs(parts - wall) > 0.10 * wall:
            fail(f"{stack} r{rep}: /proc/stat parts {parts} ns != wall time x CPUs {wall} ns")
    ok_statuses = con.execute(
        f"SELECT count(*) FROM ({samples_sql}) WHERE error IS NULL AND status NOT BETWEEN 200 AND 399"
    ).fetchone()[0]
    if ok_statuses:
        fail(f"{ok_statuses} samples without error have a status outside 200..=399")
    print(
        json.dumps(
            {
                "samples": samples.num_rows,
                "resources": resources.num_rows,
                "resource_phases": res_rows[1],
                "sampler_rows": arrow_sampler,
                "max_mem_bytes": res_rows[2],
                "counts": arrow_counts,
            }
        )
    )


if __name__ == "__main__":
    main()
