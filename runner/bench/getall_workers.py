#!/usr/bin/env python3
"""`just bench-getall-workers`: why get_all is bimodal across repetitions.

Hypothesis: Gunicorn's workers each accept connections on their own; the
generator's 10 keep-alive connections are opened at once and stay with the
worker that accepted them for the whole scenario. When they split 5/5 both
worker processes serve; when one worker takes (nearly) all of them, one process
— one GIL — serves the whole scenario and the mean latency roughly doubles.

For each stack: one container, loaded from inside its network namespace
(`pywebbench load --netns-of`, the runner's default path), warmed up, then LOADS
times the paper's get_all (10 VUs share 100 GET /items/, fresh connections each
time), while `ss` inside the container's network namespace (nsenter, from the
host; it reads only the socket table) counts the established connections on
port 8000 per worker process. Printed per load: the split (connections per
worker, largest first), mean latency and req/s; then the mean latency per split.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / "target" / "release" / "pywebbench"
PID_RE = re.compile(r"pid=(\d+)")


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def connections_per_worker(pid: str) -> collections.Counter:
    out = subprocess.run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", "ss", "-tnpH", "state", "established", "( sport = :8000 )"],
        capture_output=True,
        text=True,
    ).stdout
    c: collections.Counter = collections.Counter()
    for line in out.splitlines():
        m = PID_RE.search(line)
        if m:
            c[m.group(1)] += 1
    return c


def one_stack(stack: str, loads: int, pin: list[str]) -> list[dict]:
    name = f"pywebbench-getall-workers-{stack}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    sh("docker", "run", "-d", "--name", name, "--label", "pywebbench=1", "-p", "127.0.0.1::8000", f"pywebbench/{stack}")
    try:
        pid = sh("docker", "inspect", "-f", "{{.State.Pid}}", name)
        port = sh("docker", "port", name, "8000/tcp").rsplit(":", 1)[1]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/hello", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"bench-getall-workers: {stack} did not answer /hello within 60 s")
                time.sleep(0.2)
        inside = ["--netns-of", name]
        subprocess.run([str(BIN), "load", "http://127.0.0.1:8000/items/", *inside, "--vus", "10", "--iterations", "20"], capture_output=True, check=True)
        rows = []
        for i in range(loads):
            time.sleep(1)  # the previous load's connections close
            best: collections.Counter = collections.Counter()
            done = threading.Event()

            def poll() -> None:
                nonlocal best
                while not done.is_set():
                    c = connections_per_worker(pid)
                    if sum(c.values()) > sum(best.values()):
                        best = c
                    time.sleep(0.05)

            t = threading.Thread(target=poll)
            t.start()
            r = subprocess.run(
                [*pin, str(BIN), "load", "http://127.0.0.1:8000/items/", *inside, "--vus", "10", "--iterations", "100", "--json"],
                capture_output=True,
                text=True,
            )
            done.set()
            t.join()
            if r.returncode != 0:
                sys.exit(f"bench-getall-workers: load failed: {r.stderr.strip()[-400:]}")
            s = json.loads(r.stdout)
            split = sorted(best.values(), reverse=True)
            rows.append(
                {
                    "stack": stack,
                    "load": i + 1,
                    "split": split,
                    "mean_ms": s["latency"]["mean_ms"],
                    "req_per_s": s["rps"],
                }
            )
            print(f"{stack:<20} pid {pid:>7} load {i + 1:>2}: connections per worker {split!s:<10} mean {s['latency']['mean_ms']:8.2f} ms  {s['rps']:7.1f} req/s", flush=True)
        return rows
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stacks", default="flask-sqlite3,fastapi-sqlalchemy")
    p.add_argument("--loads", type=int, default=10)
    p.add_argument("--loadgen-cpus", help="pin the generator with taskset (e.g. 1), as the campaign's loadgen.cpus")
    p.add_argument("--containers", type=int, default=1, help="fresh containers per stack (LOADS loads each)")
    args = p.parse_args()
    rows = []
    for stack in [s for s in args.stacks.split(",") if s]:
        pin = ["taskset", "-c", args.loadgen_cpus] if args.loadgen_cpus else []
        for c in range(args.containers):
            for r in one_stack(stack, args.loads, pin):
                r["container"] = c + 1
                rows.append(r)
    print("\nmean latency by split (connections per worker, largest first):")
    groups: dict = collections.defaultdict(list)
    for r in rows:
        groups[(r["stack"], tuple(r["split"]))].append(r["mean_ms"])
    for (stack, split), ms in sorted(groups.items()):
        print(f"{stack:<20} {str(list(split)):<10} n={len(ms):>2}  mean {statistics.fmean(ms):8.2f} ms  (min {min(ms):.2f}, max {max(ms):.2f})")


if __name__ == "__main__":
    main()
