#!/usr/bin/env bash
# Re-resolve the project's Python locks (every transitive dependency pinned, with hashes):
#   requirements-dev.txt          -> requirements-dev.lock          (the .venv tooling)
#   stacks/<stack>/requirements.in -> stacks/<stack>/requirements.lock (every registered stack's image)
# Not part of any build: the locks are committed. The stacks resolve only releases up
# to the paper's reference date, so their transitive versions are the ones a developer
# would have got in May 2025.
set -euo pipefail
cd "$(dirname "$0")/.."
STACKS_EXCLUDE_NEWER="2025-05-12T00:00:00Z"
UV_VERSION="0.9.5"
tooldir=".cache/lock-tools"
if [[ ! -x "$tooldir/bin/uv" ]] || [[ "$("$tooldir/bin/uv" --version)" != "uv $UV_VERSION" ]]; then
  python3 -m venv "$tooldir"
  "$tooldir/bin/pip" install --quiet "uv==$UV_VERSION"
fi
compile() {
  "$tooldir/bin/uv" pip compile --quiet --generate-hashes \
    --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
    --index-url https://pypi.org/simple --custom-compile-command "scripts/lock-python.sh" "$@"
}
echo "lock: requirements-dev.lock"
compile --output-file requirements-dev.lock requirements-dev.txt
for stack in $(scripts/stacks.sh); do
  echo "lock: stacks/$stack/requirements.lock"
  compile --exclude-newer "$STACKS_EXCLUDE_NEWER" \
    --output-file "stacks/$stack/requirements.lock" "stacks/$stack/requirements.in"
done
