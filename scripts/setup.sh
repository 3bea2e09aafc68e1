#!/usr/bin/env bash
# Idempotent set-up; filled in by issue 2.
set -euo pipefail
echo "setup: nothing to do yet"
bash "$(dirname "$0")/../web/setup.sh"  # web viewer tools (issue 5)
