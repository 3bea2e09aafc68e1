"""The logical sample columns of a run folder, with pyarrow and with DuckDB, for either layout.

Schema v2 (data/README.md#layout) stores `samples/<stack>.parquet` with offsets in place
of `scheduled_ns`, `end_ns` and `ttfb_ns`; schema v1 one `samples.parquet` with every
column. `arrow_samples` and `duckdb_samples_sql` give the 15 logical columns either way,
as data/README.md's examples do.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

LOGICAL = [
    "stack", "repetition", "scenario", "vu", "iteration", "scheduled_ns", "start_ns",
    "end_ns", "latency_ns", "ttfb_ns", "connect_ns", "status", "bytes_in", "bytes_out", "error",
]


def sample_files(run):
    """The run's sample files: samples/*.parquet (v2) or samples.parquet (v1)."""
    run = Path(run)
    split = run / "samples"
    if split.is_dir():
        files = sorted(p for p in split.glob("*.parquet") if not p.name.startswith("."))
        if not files:
            raise SystemExit(f"{split} holds no .parquet file")
        return files
    return [run / "samples.parquet"]


def is_split(run):
    return (Path(run) / "samples").is_dir()


def arrow_samples(run):
    """pyarrow: the logical columns (as data/README.md shows it)."""
    run = Path(run)
    if not is_split(run):
        return pq.read_table(run / "samples.parquet")
    t = pq.read_table(run / "samples")  # a folder: every samples/<stack>.parquet
    cols = {name: t[name] for name in t.column_names}
    cols["scheduled_ns"] = pc.subtract(t["start_ns"], t["schedule_lag_ns"])
    cols["end_ns"] = pc.add(
        pc.add(pc.add(t["start_ns"], t["connect_ns"]), t["latency_ns"]), t["end_extra_ns"]
    )
    cols["ttfb_ns"] = pc.subtract(t["latency_ns"], t["transfer_ns"])
    return pa.table({name: cols[name] for name in LOGICAL})


def duckdb_samples_sql(run):
    """DuckDB: a SELECT giving the logical columns (as data/README.md's view)."""
    run = Path(run)
    if not is_split(run):
        return f"SELECT * FROM read_parquet('{run / 'samples.parquet'}')"
    return f"""
        SELECT stack, repetition, scenario, vu, iteration,
               start_ns - schedule_lag_ns AS scheduled_ns,
               start_ns,
               start_ns + connect_ns + latency_ns + end_extra_ns AS end_ns,
               latency_ns,
               latency_ns - transfer_ns AS ttfb_ns,
               connect_ns, status, bytes_in, bytes_out, error
        FROM read_parquet('{run / 'samples' / '*.parquet'}')
    """
