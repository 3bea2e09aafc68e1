#!/usr/bin/env bash
# Build the project's Docker images with no registry:
#   pywebbench/base:bookworm-py311  minbase Debian bookworm + python3.11 (mmdebstrap/debootstrap, docker import)
#   pywebbench/<stack>:latest       one per stack, FROM the base (stacks/Dockerfile + stacks/<stack>/image.conf)
# Usage: scripts/build-images.sh [STACK...]   (default: every stack of stacks/*/stack.toml)
# Env:   PYWEBBENCH_REBUILD_BASE=1 rebuilds the base image even when it exists.
# Idempotent: the base is skipped when present, the stack builds reuse Docker's layer cache.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The registered stacks: every stacks/<stack>/stack.toml, in its `order`.
mapfile -t ALL_STACKS < <(scripts/stacks.sh)
BASE_IMAGE="pywebbench/base:bookworm-py311"
BASE_PACKAGES="python3,python3-venv,ca-certificates"
LOG_DIR="$root/.cache/build-logs"
# The legacy builder: Debian's docker.io ships no buildx, and its cache is all we need.
export DOCKER_BUILDKIT=0

die() { echo "images: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

stacks=("$@")
[[ ${#stacks[@]} -gt 0 ]] || stacks=("${ALL_STACKS[@]}")
for s in "${stacks[@]}"; do
  [[ -f "stacks/$s/stack.toml" ]] || die "unknown stack '$s'; choose from: ${ALL_STACKS[*]} (a new stack needs stacks/$s/stack.toml)"
done

docker info >/dev/null 2>&1 || die "Docker does not answer on its socket; run 'just setup' (it starts dockerd)"
mkdir -p "$LOG_DIR"

build_base() {
  local tmp start
  start=$(now)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  if command -v mmdebstrap >/dev/null 2>&1; then
    echo "images: building $BASE_IMAGE with mmdebstrap (minbase bookworm + $BASE_PACKAGES)"
    mmdebstrap --variant=minbase --include="$BASE_PACKAGES" \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      bookworm "$tmp/rootfs.tar" >"$LOG_DIR/base.log" 2>&1 ||
      { tail -n 30 "$LOG_DIR/base.log" >&2; die "mmdebstrap failed (full log: $LOG_DIR/base.log)"; }
  elif command -v debootstrap >/dev/null 2>&1; then
    echo "images: building $BASE_IMAGE with debootstrap (minbase bookworm + $BASE_PACKAGES)"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$tmp/rootfs" >"$LOG_DIR/base.log" 2>&1 ||
      { tail -n 30 "$LOG_DIR/base.log" >&2; die "debootstrap failed (full log: $LOG_DIR/base.log)"; }
    rm -rf "$tmp/rootfs/var/lib/apt/lists/"* "$tmp/rootfs/var/cache/apt/archives/"*.deb
    tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
  else
    die "neither mmdebstrap nor debootstrap is installed; run 'just setup'"
  fi
  docker import \
    --change 'LABEL pywebbench=1' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    "$tmp/rootfs.tar" "$BASE_IMAGE" >/dev/null
  echo "images: $BASE_IMAGE built in $(elapsed "$start") s"
}

if [[ "${PYWEBBENCH_REBUILD_BASE:-0}" != "1" ]] && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "images: $BASE_IMAGE present, not rebuilt (PYWEBBENCH_REBUILD_BASE=1 forces it)"
else
  build_base
fi

# pip inside the build must trust the same CA bundle as the host's pip (TLS-intercepting proxies).
ca="${PIP_CERT:-}"
if [[ -z "$ca" ]]; then
  ca=$(python3 -m pip config get global.cert 2>/dev/null || true)
fi
[[ -n "$ca" && -f "$ca" ]] || ca=/etc/ssl/certs/ca-certificates.crt
[[ -f "$ca" ]] || die "no CA bundle found (PIP_CERT, pip's global.cert, /etc/ssl/certs/ca-certificates.crt)"
mkdir -p stacks/.build
cmp -s "$ca" stacks/.build/pip-ca.crt || cp "$ca" stacks/.build/pip-ca.crt
echo "images: pip inside the builds trusts $ca"

declare -A took
for s in "${stacks[@]}"; do
  start=$(now)
  args=(--build-arg "STACK=$s")
  while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] || args+=(--build-arg "$line")
  done <"stacks/$s/image.conf"
  if ! docker build --tag "pywebbench/$s:latest" "${args[@]}" --file stacks/Dockerfile stacks >"$LOG_DIR/$s.log" 2>&1; then
    tail -n 40 "$LOG_DIR/$s.log" >&2
    die "building pywebbench/$s:latest failed (full log: $LOG_DIR/$s.log)"
  fi
  took[$s]=$(elapsed "$start")
  cached=$(grep -c 'Using cache' "$LOG_DIR/$s.log" || true)
  steps=$(($(grep -c '^Step ' "$LOG_DIR/$s.log" || true) - 1)) # the FROM step is never "cached"
  echo "images: pywebbench/$s:latest built in ${took[$s]} s ($cached of $steps steps from cache)"
done

# Replaced images of earlier builds are left dangling; drop ours.
docker image prune --force --filter label=pywebbench=1 >/dev/null

printf '%-36s %10s\n' IMAGE SIZE
for image in "$BASE_IMAGE" "${stacks[@]/#/pywebbench/}"; do
  [[ "$image" == *:* ]] || image="$image:latest"
  size=$(docker image inspect --format '{{.Size}}' "$image")
  printf '%-36s %7d MB\n' "$image" $((size / 1000000))
done
