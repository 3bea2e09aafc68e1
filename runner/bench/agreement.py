#!/usr/bin/env python3
"""`just bench-agreement`: how far the native generator and k6 diverge at the paper's loads.

One stack's real container (default fastapi-sqlite3; 2 workers x 2 threads, port
published on 127.0.0.1, labelled pywebbench=1 and removed at the end), loaded with
the paper's closed-model scenarios through `pywebbench load`, by default from inside
the container's network namespace (`--netns-of`, the path `pywebbench run` takes on
Linux; `--path published-port` for the published port and docker-proxy):

  hello    GET /hello, constant-vus, 50 VUs for --seconds (paper: 10 s)
  get_one  GET /items/{id}, ids uniform in 1..1500, shared-iterations, 10 VUs,
           --iterations (paper: 1,000)

each with three generators, interleaved (every round runs every scenario with every
generator, the generators' order rotating per round):

  native      pywebbench's own generator
  k6          `--loadgen k6`: k6 as `pywebbench run --loadgen k6` runs it (--out json)
  k6-summary  `--loadgen k6-summary`: k6 with its end-of-test summary only, as the
              paper's users ran it

Prints per scenario and generator the mean over the rounds of req/s, mean, p50 and
p99 latency of the successful requests (k6-summary: k6's own figures) and the
generator's CPU per request (the `pywebbench load` process with its k6 child, from
os.wait4), and each figure's ratio to the native generator's. These are closed-model
loads: a generator that needs more CPU on a shared host sends fewer requests, so the
two are not expected to agree here (the agreement test, runner/tests/load_agreement.rs,
compares them at a fixed arrival rate); the table says by how much they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from k6path import find_k6  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NAME = "pywebbench-bench-agreement"
GENERATORS = ("native", "k6", "k6-summary")


def docker(*args: str, check: bool = True) -> str:
    p = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"bench-agreement: docker {' '.join(args)} failed: {p.stderr.strip()}")
    return p.stdout


def healthy(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            return s.recv(12).endswith(b"200")
    except OSError:
        return False


def start(stack: str) -> int:
    docker("rm", "-f", NAME, check=False)
    docker(
        "run", "-d", "--name", NAME, "--label", "pywebbench=1",
        "--label", "pywebbench.bench=agreement", "-e", "WORKERS=2", "-e", "THREADS=2",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--memory", "2g",
        "--pids-limit", "512", "-p", "127.0.0.1::8000", f"pywebbench/{stack}",
    )
    port = next(
        int(line.rsplit(":", 1)[1])
        for line in docker("port", NAME, "8000/tcp").splitlines()
        if line.startswith("127.0.0.1:")
    )
    deadline = time.monotonic() + 60
    while not healthy(port):
        if time.monotonic() > deadline:
            sys.exit(f"bench-agreement: pywebbench/{stack} did not answer GET /hello within 60 s")
        time.sleep(0.2)
    return port


def measured(binary: Path, k6: Path, url: str, generator: str, args: list[str]) -> dict:
    """`pywebbench load` as a child of its own, so os.wait4 gives its CPU (k6 included)."""
    cmd = [str(binary), "load", url, *args, "--json", "--loadgen", generator, "--k6", str(k6)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        sys.exit(f"bench-agreement: {' '.join(cmd)} failed ({code}):\n{err}")
    s = json.loads(out)
    if s["errors"]:
        print(f"bench-agreement: {generator} saw {s['errors']} failed requests", file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "rps": s["rps"],
        "mean": s["latency"]["mean_ms"],
        "p50": s["latency"]["p50_ms"],
        "p99": s["latency"]["p99_ms"],
        "cpu_us": cpu / max(s["requests"], 1) * 1e6,
        "requests": s["requests"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stack", default="fastapi-sqlite3")
    ap.add_argument("--seconds", type=int, default=10, help="hello's duration (paper: 10)")
    ap.add_argument("--iterations", type=int, default=1000, help="get_one's iterations (paper: 1000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--path", choices=["netns", "published-port"], default="netns")
    ap.add_argument("--pywebbench", type=Path, default=ROOT / "target" / "release" / "pywebbench")
    args = ap.parse_args()
    if not args.pywebbench.is_file():
        sys.exit(f"bench-agreement: {args.pywebbench} missing: cargo build --release -p runner")
    k6 = find_k6("bench-agreement")
    port = start(args.stack)
    if args.path == "netns":
        base, inside = "http://127.0.0.1:8000", ["--netns-of", NAME]
    else:
        base, inside = f"http://127.0.0.1:{port}", []
    scenarios = {
        "hello": (f"{base}/hello", ["--vus", "50", "--duration", f"{args.seconds}s", *inside]),
        "get_one": (
            f"{base}/items/{{id}}",
            ["--vus", "10", "--iterations", str(args.iterations), "--ids", "1-1500", *inside],
        ),
    }
    results: dict[tuple[str, str], list[dict]] = {}
    try:
        # Warm the workers up (imports, first queries), as the campaign's warm-up does.
        measured(args.pywebbench, k6, f"{base}/hello", "native", ["--vus", "20", "--duration", "3s", *inside])
        for rnd in range(args.rounds):
            order = GENERATORS[rnd % 3 :] + GENERATORS[: rnd % 3]
            for scenario, (url, sargs) in scenarios.items():
                for gen in order:
                    print(f"bench-agreement: round {rnd + 1}/{args.rounds}: {scenario} with {gen} ...", file=sys.stderr)
                    r = measured(args.pywebbench, k6, url, gen, sargs)
                    print(
                        f"bench-agreement:   {r['rps']:.0f} req/s, mean {r['mean']:.3f} ms, {r['cpu_us']:.1f} CPU µs/request",
                        file=sys.stderr,
                    )
                    results.setdefault((scenario, gen), []).append(r)
                    time.sleep(1)
    finally:
        docker("rm", "-f", NAME, check=False)

    def avg(rows: list[dict], key: str) -> float:
        return sum(r[key] for r in rows) / len(rows)

    print(
        f"\n{args.stack}, {'inside its network namespace' if args.path == 'netns' else 'published port on 127.0.0.1'}; hello 50 VUs x {args.seconds} s, get_one 10 VUs x "
        f"{args.iterations} iterations; mean of {args.rounds} interleaved rounds; ÷native = ratio to the native generator."
    )
    header = (
        f"{'scenario':<8} {'generator':<11} {'req/s':>8} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU µs/req':>10} {'req/s÷native':>12} {'mean÷native':>11}"
    )
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        native = results[(scenario, "native")]
        for gen in GENERATORS:
            rows = results[(scenario, gen)]
            print(
                f"{scenario:<8} {gen:<11} {avg(rows, 'rps'):>8.0f} {avg(rows, 'mean'):>8.3f} "
                f"{avg(rows, 'p50'):>8.3f} {avg(rows, 'p99'):>8.3f} {avg(rows, 'cpu_us'):>10.1f} "
                f"{avg(rows, 'rps') / avg(native, 'rps'):>12.2f} {avg(rows, 'mean') / avg(native, 'mean'):>11.2f}"
            )


if __name__ == "__main__":
    main()
