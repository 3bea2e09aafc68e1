#!/usr/bin/env python3
"""`just bench-path`: the published port (through docker-proxy) against the netns path.

One stack container (FastAPI+sqlite3 by default, Gunicorn 2 workers x 2 threads as
the campaign runs it), its port 8000 published on 127.0.0.1 and labelled
`pywebbench=1`. In R interleaved rounds, `pywebbench load` (native generator)
sends GET /hello for S seconds with C connections, once through the published
port (so through Docker's userland proxy) and once from inside the container's
network namespace (`--netns-pid`: 127.0.0.1:8000 there, no proxy). Per path and
round it measures req/s, mean and p99 latency, and the CPU time per request of

* the server: the container's cgroup (cgroup v2 `cpu.stat` usage_usec, or v1
  `cpuacct.usage`), found from /proc/<container pid>/cgroup;
* the generator: the child's own user + system time (os.wait4's rusage);
* docker-proxy: the docker-proxy process(es) serving the published port,
  utime + stime from /proc/<pid>/stat (0 on the netns path, which it does not serve).

Prints one table, per path the median over the rounds and the min-max. Linux, root
(setns and the cgroup files), Docker and the stack image (`bash scripts/build-images.sh`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def fail(msg: str) -> None:
    sys.exit(f"bench-path: {msg}")


def docker(*args: str) -> str:
    out = subprocess.run(["docker", *args], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"docker {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def cgroup_reader(pid: int):
    """A function returning the container's CPU time in microseconds."""
    lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2
            stat = Path("/sys/fs/cgroup") / path.lstrip("/") / "cpu.stat"
            if stat.is_file():
                def read_v2(stat=stat) -> float:
                    for row in stat.read_text().splitlines():
                        key, value = row.split()
                        if key == "usage_usec":
                            return float(value)
                    fail(f"no usage_usec in {stat}")
                return read_v2
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):
            for mount in (controllers, "cpuacct", "cpu,cpuacct"):
                usage = Path("/sys/fs/cgroup") / mount / path.lstrip("/") / "cpuacct.usage"
                if usage.is_file():
                    return lambda usage=usage: float(usage.read_text()) / 1e3
    fail(f"cannot find the cgroup CPU counter of process {pid} (/proc/{pid}/cgroup: {lines})")


def proxies_for(port: int) -> list[int]:
    """PIDs of the docker-proxy processes publishing host port `port`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"docker-proxy") and b"-host-port" in args:
            i = args.index(b"-host-port")
            if i + 1 < len(args) and args[i + 1] == str(port).encode():
                found.append(int(entry.name))
    return found


def proc_cpu_us(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After "pid (comm)": state is fields[0]; utime, stime are stat fields 14, 15.
        total += (int(fields[11]) + int(fields[12])) / TICK * 1e6
    return total


def wait_hello(port: int, container: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    fail(f"GET /hello never answered 200 within 60 s; see `docker logs {container}`")


def load(binary: Path, url: str, extra: list[str], conns: int, secs: int) -> dict:
    cmd = [str(binary), "load", url, "--vus", str(conns), "--duration", f"{secs}s", "--json", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        fail(f"{' '.join(cmd)} failed:\n{out}")
    s = json.loads(out[out.index("{"):])
    if s["errors"]:
        fail(f"{' '.join(cmd)} saw {s['errors']} errors: {s['errors_by_kind']}")
    s["generator_cpu_us"] = (usage.ru_utime + usage.ru_stime) * 1e6
    return s


def measure(binary, url, extra, conns, secs, server_cpu, proxies) -> dict:
    server0, proxy0 = server_cpu(), proc_cpu_us(proxies)
    s = load(binary, url, extra, conns, secs)
    server1, proxy1 = server_cpu(), proc_cpu_us(proxies)
    n = s["requests"]
    return {
        "rps": s["rps"],
        "mean": s["latency"]["mean_ms"],
        "p99": s["latency"]["p99_ms"],
        "server": (server1 - server0) / n,
        "generator": s["generator_cpu_us"] / n,
        "proxy": (proxy1 - proxy0) / n,
    }


def cell(values: list[float], digits: int) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pywebbench", type=Path, default=ROOT / "target" / "release" / "pywebbench")
    ap.add_argument("--stack", default="fastapi-sqlite3")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if sys.platform != "linux":
        fail("the netns path needs Linux")
    if os.geteuid() != 0:
        fail("run as root: entering the container's network namespace needs CAP_SYS_ADMIN")
    if not args.pywebbench.is_file():
        fail(f"{args.pywebbench} missing: cargo build --release -p runner")
    if os.environ.get("DOCKER_HOST", "unix://").split("://")[0] != "unix":
        fail("DOCKER_HOST names a remote engine; its containers' namespaces are not on this machine (unset it)")

    name = f"pywebbench-bench-path-{os.getpid()}"
    docker(
        "run", "-d", "--name", name, "--label", "pywebbench=1",
        "-e", "WORKERS=2", "-e", "THREADS=2",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--memory", "2g", "--memory-swap", "2g", "--pids-limit", "512",
        "-p", "127.0.0.1::8000", f"pywebbench/{args.stack}:latest",
    )
    try:
        port = int(docker("port", name, "8000/tcp").splitlines()[0].rsplit(":", 1)[1])
        pid = int(docker("inspect", "-f", "{{.State.Pid}}", name))
        wait_hello(port, name)
        server_cpu = cgroup_reader(pid)
        proxies = proxies_for(port)
        if not proxies:
            print(f"bench-path: note: no docker-proxy serves port {port} (userland proxy off?)", file=sys.stderr)
        paths = {
            "published-port": (f"http://127.0.0.1:{port}/hello", []),
            "netns": ("http://127.0.0.1:8000/hello", ["--netns-pid", str(pid)]),
        }
        results: dict[str, list[dict]] = {p: [] for p in paths}
        for r in range(args.rounds):
            for path, (url, extra) in paths.items():
                m = measure(args.pywebbench, url, extra, args.connections, args.seconds, server_cpu, proxies)
                results[path].append(m)
                print(
                    f"round {r + 1}/{args.rounds} {path:<15} {m['rps']:9.1f} req/s  mean {m['mean']:.3f} ms  "
                    f"CPU us/req: server {m['server']:.1f} generator {m['generator']:.1f} docker-proxy {m['proxy']:.1f}",
                    file=sys.stderr,
                )
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)

    print(
        f"\n{args.stack} GET /hello, native generator, {args.connections} connections x {args.seconds} s, "
        f"{args.rounds} interleaved round(s); median [min-max]; CPU in microseconds per request"
    )
    cols = [("req/s", "rps", 0), ("mean ms", "mean", 3), ("p99 ms", "p99", 3),
            ("server CPU", "server", 1), ("generator CPU", "generator", 1), ("docker-proxy CPU", "proxy", 1)]
    width = 15 if args.rounds == 1 else 25
    print(f"{'path':<15}" + "".join(f" {c[0]:>{width}}" for c in cols))
    print("-" * (15 + (width + 1) * len(cols)))
    for path, rows in results.items():
        line = f"{path:<15}"
        for _, key, digits in cols:
            line += f" {cell([row[key] for row in rows], digits):>{width}}"
        print(line)
    pub, ns = results["published-port"], results["netns"]
    ratio = statistics.median(x["rps"] for x in ns) / statistics.median(x["rps"] for x in pub)
    print(f"netns / published-port req/s (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
