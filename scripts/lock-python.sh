#!/usr/bin/env bash
# Re-resolve the project's Python locks (every transitive dependency pinned, with hashes):
#   requirements-dev.txt          -> requirements-dev.lock          (the .venv tooling)
#   stacks/<stack>/requirements.in -> stacks/<stack>/requirements.lock (every registered stack's image)
# Not part of any build: the locks are committed. A stack resolves for the Python of its
# stack.toml's [image] base (<suite>-py3<N>: 3.N) and, with [image] locked_at, only releases
# before that day (the five: 2025-05-12, the paper's reference date, so their transitive
# versions are the ones a developer would have got in May 2025); without it, today's.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION="0.9.5"
tooldir=".cache/lock-tools"
if [[ ! -x "$tooldir/bin/uv" ]] || [[ "$("$tooldir/bin/uv" --version)" != "uv $UV_VERSION" ]]; then
  python3 -m venv "$tooldir"
  "$tooldir/bin/pip" install --quiet "uv==$UV_VERSION"
fi
compile() {
  "$tooldir/bin/uv" pip compile --quiet --generate-hashes \
    --python-platform x86_64-unknown-linux-gnu \
    --index-url https://pypi.org/simple --custom-compile-command "scripts/lock-python.sh" "$@"
}
echo "lock: requirements-dev.lock"
compile --python-version 3.11 --output-file requirements-dev.lock requirements-dev.txt
for stack in $(scripts/stacks.sh); do
  conf=$(scripts/stack-conf.py "$stack" image.base image.locked_at)
  { IFS= read -r base; IFS= read -r locked_at; } <<<"$conf"
  opts=(--python-version "3.${base##*-py3}")
  [[ -z "$locked_at" ]] || opts+=(--exclude-newer "${locked_at}T00:00:00Z")
  echo "lock: stacks/$stack/requirements.lock (Python 3.${base##*-py3}, releases before ${locked_at:-today})"
  compile "${opts[@]}" \
    --output-file "stacks/$stack/requirements.lock" "stacks/$stack/requirements.in"
done
