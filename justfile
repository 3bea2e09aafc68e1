# pywebbench — every entry point. `just --list` shows them.
# Recipes are grouped by the issue that owns them; keep each group together.

set shell := ["bash", "-euo", "pipefail", "-c"]

root := justfile_directory()
venv := root / ".venv"

default:
    @just --list

# Install whatever is missing (Docker engine, Rust targets/tools, Python tooling). Idempotent.
setup:
    bash scripts/setup.sh

# The tests: Rust unit/integration tests and the contract suite against the five real containers.
test: setup
    cargo test --workspace

# The main job: reproduce the paper end to end.
reproduce: setup
    @echo "just reproduce is filled in by issue 6" && exit 1
