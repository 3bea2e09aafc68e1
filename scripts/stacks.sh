#!/usr/bin/env bash
# Print the registered stacks, one a line, in their `order`: the folders of
# stacks/*/stack.toml (the registry; stacks/README.md, "The registry").
set -euo pipefail
cd "$(dirname "$0")/.."
for f in stacks/*/stack.toml; do
  order=$(sed -n 's/^order[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$f")
  [[ -n "$order" ]] || { echo "stacks: $f has no order = N line" >&2; exit 1; }
  printf '%s %s\n' "$order" "$(basename "$(dirname "$f")")"
done | sort -n | cut -d' ' -f2
