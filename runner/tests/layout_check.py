"""Compare a schema v2 run folder's samples, read with pyarrow AND DuckDB, with the Rust reader's.

Usage: python layout_check.py RUN_DIR EXPECTED.parquet

RUN_DIR holds samples/<stack>.parquet (schema v2: offsets); EXPECTED.parquet is what
the Rust reader (`analysis::read_samples_files`) reconstructed from them, written with
every logical column (schema v1). Both Python readers must rebuild `scheduled_ns`,
`end_ns` and `ttfb_ns` (and every other column) equal to it in every row. Prints
`{"rows": N, "files": F}`; exits non-zero with the reason on stderr otherwise.
"""

import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from samples_layout import LOGICAL, arrow_samples, duckdb_samples_sql, is_split, sample_files  # noqa: E402

KEYS = [("stack", "ascending"), ("repetition", "ascending"), ("scenario", "ascending"),
        ("start_ns", "ascending"), ("vu", "ascending"), ("iteration", "ascending")]


def fail(msg):
    print(f"layout_check: {msg}", file=sys.stderr)
    sys.exit(1)


def rows(table):
    return table.select(LOGICAL).sort_by(KEYS).to_pylist()


def main():
    run, expected_path = Path(sys.argv[1]), Path(sys.argv[2])
    if not is_split(run):
        fail(f"{run} has no samples/ folder (not the schema v2 layout)")
    files = sample_files(run)
    for f in files:
        names = pq.ParquetFile(f).schema_arrow.names
        for gone in ("scheduled_ns", "end_ns", "ttfb_ns"):
            if gone in names:
                fail(f"{f.name} stores {gone}; schema v2 stores its offset")
        version = pq.ParquetFile(f).metadata.metadata.get(b"pywebbench.schema_version")
        if version != b"2":
            fail(f"{f.name}: pywebbench.schema_version is {version!r}, expected b'2'")
    expected = rows(pq.read_table(expected_path))
    arrow = rows(arrow_samples(run))
    con = duckdb.connect()
    cur = con.execute(duckdb_samples_sql(run))
    names = [d[0] for d in cur.description]
    duck = rows(pa.Table.from_pylist([dict(zip(names, r)) for r in cur.fetchall()]))
    if not expected:
        fail("the Rust reader's output has no rows")
    for name, got in (("pyarrow", arrow), ("DuckDB", duck)):
        if len(got) != len(expected):
            fail(f"{name} reads {len(got)} rows, the Rust reader {len(expected)}")
        for i, (a, b) in enumerate(zip(got, expected)):
            if a != b:
                fail(f"{name} row {i} differs from the Rust reader's:\n{a}\n{b}")
    print(json.dumps({"rows": len(expected), "files": len(files)}))


if __name__ == "__main__":
    main()
