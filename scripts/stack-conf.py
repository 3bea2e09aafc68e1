#!/usr/bin/env python3
"""Print values of a stack's stacks/<stack>/stack.toml for the shell scripts, one a line.

    scripts/stack-conf.py STACK KEY...    e.g. flask-sqlite3 image.base server.command

A dotted KEY names a key of a section; a missing optional key prints an empty line.
The full checks of the file are analysis/src/registry.rs's (run by every cargo build);
this repeats the two the image build depends on, with the same one-line messages.
"""

import re
import sys
import tomllib
from pathlib import Path

OPTIONAL = {"raw_twin", "image.locked_at", "image.app_from"}


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    stack, keys = sys.argv[1], sys.argv[2:]
    rel = f"stacks/{stack}/stack.toml"
    path = Path(__file__).resolve().parent.parent / rel
    try:
        with path.open("rb") as f:
            conf = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        print(f"{rel}: {e}; fix it (see docs/adding-a-stack.md)", file=sys.stderr)
        return 1
    base = conf.get("image", {}).get("base", "")
    if not re.fullmatch(r"[a-z]+-py3[0-9]{1,2}", base):
        print(f'{rel}: [image] base = "{base}" is not `<debian suite>-py3<N>`; write e.g. base = "bookworm-py311"', file=sys.stderr)
        return 1
    command = conf.get("server", {}).get("command", "").strip()
    if not command or "\n" in command:
        print(f"{rel}: [server] command is empty or not one line; give the server's command line", file=sys.stderr)
        return 1
    for key in keys:
        value = conf
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None and key not in OPTIONAL:
            print(f"{rel}: no {key}; add it (see docs/adding-a-stack.md)", file=sys.stderr)
            return 1
        print("" if value is None else str(value).strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
