"""Build the deterministic seed database shared by all five stacks (stdlib only).

Usage: python3 seed.py OUT.db [--count N]

The schema and the value formulas are stated in stacks/CONTRACT.md; the contract
suite checks a few exact values, so change them only together with that file.
Values are derived from the id alone (no RNG), so every build yields the same rows.
"""

import argparse
import os
import sqlite3
import sys

SEED_COUNT = 1500

SCHEMA = """
CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    price REAL NOT NULL,
    quantity INTEGER NOT NULL
)
"""


def seed_row(item_id: int) -> tuple[int, str, str, float, int]:
    """The seeded item with this id: (id, name, description, price, quantity)."""
    name = f"Item {item_id}"
    description = f"Seeded item number {item_id} of the pywebbench database"
    price = round(((item_id * 7919) % 100000) / 100 + 0.5, 2)
    quantity = (item_id * 31) % 500 + 1
    return item_id, name, description, price, quantity


def build(path: str, count: int) -> None:
    if os.path.exists(path):
        os.remove(path)
    conn = sqlite3.connect(path)
    try:
        conn.execute(SCHEMA)
        conn.executemany(
            "INSERT INTO items (id, name, description, price, quantity) VALUES (?, ?, ?, ?, ?)",
            (seed_row(i) for i in range(1, count + 1)),
        )
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="path of the SQLite file to (re)create")
    parser.add_argument("--count", type=int, default=SEED_COUNT, help="number of items (default 1500)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    build(args.out, args.count)
    print(f"seed: wrote {args.count} items to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
