#!/usr/bin/env python3
"""Where the bytes of a run's samples go (samples/*.parquet or samples.parquet), and what other layouts would cost.

Usage: samples-size.py RUN_DIR_OR_PARQUET [--no-codecs]

Prints bytes per sample for each column of the file as written, then rewrites the same
rows with pyarrow in two layouts (dictionary/PLAIN everywhere; DELTA_BINARY_PACKED for the
integer time columns, as pywebbench writes them) under four codecs, in memory, and prints
bytes per sample for each. The numbers in data/README.md#size come from this script.
"""

import argparse
import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TIME_COLUMNS = ["iteration", "scheduled_ns", "start_ns", "end_ns", "latency_ns", "ttfb_ns", "connect_ns"]
CODECS = ["snappy", "lz4", "zstd", "brotli"]


def column_sizes(path: Path) -> tuple[int, dict[str, int]]:
    meta = pq.ParquetFile(path).metadata
    sizes: dict[str, int] = {}
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            col = group.column(c)
            sizes[col.path_in_schema] = sizes.get(col.path_in_schema, 0) + col.total_compressed_size
    return meta.num_rows, sizes


def rewritten_size(table: pa.Table, codec: str, delta: bool) -> int:
    buf = io.BytesIO()
    kwargs = {}
    if delta:
        cols = [c for c in TIME_COLUMNS if c in table.column_names]
        kwargs["use_dictionary"] = [c for c in table.column_names if c not in cols]
        kwargs["column_encoding"] = {c: "DELTA_BINARY_PACKED" for c in cols}
    pq.write_table(table, buf, compression=codec, row_group_size=1 << 20, **kwargs)
    return buf.tell()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder, its samples/ folder or its samples.parquet")
    ap.add_argument("--no-codecs", action="store_true", help="only the file as written")
    args = ap.parse_args()
    # Schema v2: samples/<stack>.parquet (data/README.md#layout); v1: samples.parquet.
    if args.run.is_dir() and (args.run / "samples").is_dir():
        args.run = args.run / "samples"
    if args.run.is_dir() and args.run.name == "samples":
        paths = sorted(p for p in args.run.glob("*.parquet") if not p.name.startswith("."))
        path = args.run
    else:
        path = args.run / "samples.parquet" if args.run.is_dir() else args.run
        paths = [path]
    if not paths or not all(p.is_file() for p in paths):
        print(f"samples-size: {path} does not exist or holds no .parquet file: pass a run folder (data/published/<run id>) or its samples.parquet", file=sys.stderr)
        return 2
    rows, sizes, total = 0, {}, 0
    for p in paths:
        r, s = column_sizes(p)
        rows += r
        total += p.stat().st_size
        for name, size in s.items():
            sizes[name] = sizes.get(name, 0) + size
    largest = max(p.stat().st_size for p in paths)
    print(f"{path}: {rows:,} samples, {len(paths)} file(s), {total:,} bytes ({total / 2**20:.1f} MiB, largest file {largest / 2**20:.1f} MiB), {total / rows:.1f} bytes per sample")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<14} {size / rows:6.2f} bytes per sample")
    if args.no_codecs:
        return 0
    table = pq.read_table(path)
    print(f"\nthe same rows rewritten by pyarrow {pa.__version__}, bytes per sample:")
    print("| layout | " + " | ".join(CODECS) + " |")
    print("|---|" + "---:|" * len(CODECS))
    for label, delta in [("dictionary / PLAIN for every column", False), ("`DELTA_BINARY_PACKED` for the times and durations", True)]:
        cells = [f"{rewritten_size(table, codec, delta) / rows:.1f}" for codec in CODECS]
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
