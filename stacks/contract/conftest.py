"""Run every contract test once per stack, against the stack's real container.

For each stack the `api` fixture starts `pywebbench/<stack>:latest` with the docker
CLI on a free 127.0.0.1 port, waits until GET /hello answers, and removes the
container afterwards, also when a test fails. Select stacks with
PYWEBBENCH_STACKS="flask-sqlite3 django-drf" (default: every stack registered by a
stacks/<stack>/stack.toml, in its `order`).

With PYWEBBENCH_CONTRACT_REPORT=FILE the outcome of every check is also written to FILE
as JSON (`{"exitstatus": int, "results": [{"stack", "test", "outcome", "reason"}]}`):
`pywebbench run` reads it to refuse a stack that fails the contract
(runner/src/engine/contract.rs). PYWEBBENCH_IMAGE_TAG picks the images' tag (default
`latest`), as it does for the runner.
"""

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

STACKS_DIR = Path(__file__).resolve().parent.parent
# No bytecode under stacks/: analysis/build.rs watches the folder for new stacks, and
# cargo scans it recursively (pytest.ini likewise turns pytest's cache off).
sys.dont_write_bytecode = True
sys.path.insert(0, str(STACKS_DIR / "common"))



def registered_stacks() -> list[str]:
    """The stacks of stacks/*/stack.toml (the registry), in their `order`."""
    entries = []
    for path in STACKS_DIR.glob("*/stack.toml"):
        with path.open("rb") as f:
            entries.append((tomllib.load(f)["order"], path.parent.name))
    return [name for _, name in sorted(entries)]


ALL_STACKS = registered_stacks()
STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0


def selected_stacks() -> list[str]:
    raw = os.environ.get("PYWEBBENCH_STACKS", "").split()
    unknown = [s for s in raw if s not in ALL_STACKS]
    if unknown:
        raise pytest.UsageError(
            f"PYWEBBENCH_STACKS names unknown stack(s) {unknown}; choose from {ALL_STACKS}"
        )
    return raw or ALL_STACKS


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StackContainer:
    """One running container of a stack, reachable at `url` on the loopback."""

    stack: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, self.url + path, timeout=REQUEST_TIMEOUT_S, allow_redirects=False, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.url + path, timeout=REQUEST_TIMEOUT_S, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return requests.post(self.url + path, timeout=REQUEST_TIMEOUT_S, **kw)

    def put(self, path: str, **kw) -> requests.Response:
        return requests.put(self.url + path, timeout=REQUEST_TIMEOUT_S, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return requests.delete(self.url + path, timeout=REQUEST_TIMEOUT_S, **kw)

    def logs(self) -> str:
        out = docker("logs", "--tail", "40", self.name, check=False)
        return out.stdout + out.stderr

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if self.get("/hello").status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            state = docker("inspect", "--format", "{{.State.Running}}", self.name, check=False)
            if state.stdout.strip() != "true":
                pytest.fail(f"{self.stack}: container exited during start-up:\n{self.logs()}")
            time.sleep(0.2)
        pytest.fail(f"{self.stack}: GET /hello did not answer within {STARTUP_TIMEOUT_S:.0f} s:\n{self.logs()}")

    def restart(self) -> None:
        docker("restart", "--time", "5", self.name)
        self.wait_ready()


@pytest.fixture(scope="session", params=selected_stacks())
def api(request):
    stack = request.param
    image = f"pywebbench/{stack}:{os.environ.get('PYWEBBENCH_IMAGE_TAG') or 'latest'}"
    if docker("image", "inspect", image, check=False).returncode != 0:
        pytest.fail(f"image {image} is missing: build it with `just images`")
    container = StackContainer(stack, f"pywebbench-contract-{stack}-{uuid.uuid4().hex[:8]}", free_port())
    docker(
        "run", "--detach",
        "--name", container.name,
        "--label", "pywebbench=1",
        "--label", "pywebbench.role=contract-test",
        "--publish", f"127.0.0.1:{container.port}:8000",
        image,
    )
    try:
        container.wait_ready()
        yield container
    finally:
        docker("rm", "--force", container.name, check=False)


# ---- per-stack tally printed at the end ("5 stacks x N checks") ----

_tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


def _stack_of(nodeid: str) -> str | None:
    # The longest name first: "[flask-sqlite3-granian-..." also starts with "[flask-sqlite3".
    for stack in sorted(ALL_STACKS, key=len, reverse=True):
        if f"[{stack}" in nodeid:
            return stack
    return None


def pytest_runtest_logreport(report):
    stack = _stack_of(report.nodeid)
    if stack is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = "passed" if report.passed else "skipped" if report.skipped else "failed"
        _tally[stack][outcome] += 1
        _results.append({
            "stack": stack,
            "test": report.nodeid.rsplit("::", 1)[-1],
            "outcome": "error" if report.when == "setup" and report.failed else outcome,
            "reason": _one_line(report) if report.failed else "",
        })


_results: list[dict] = []


def _one_line(report) -> str:
    """The first line of why a check failed (pytest's crash message)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "failed"


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("PYWEBBENCH_CONTRACT_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"exitstatus": int(exitstatus), "results": _results}, f)


def pytest_terminal_summary(terminalreporter):
    if not _tally:
        return
    tr = terminalreporter
    tr.section("contract suite: stacks x checks")
    checks = set()
    for stack in ALL_STACKS:
        if stack in _tally:
            t = _tally[stack]
            total = t["passed"] + t["failed"] + t["skipped"]
            checks.add(total)
            tr.write_line(f"{stack:<26} {t['passed']:>3} passed {t['failed']:>3} failed  of {total} checks")
    per_stack = "/".join(str(c) for c in sorted(checks))
    tr.write_line(f"{len(_tally)} stacks x {per_stack} checks")
