#!/usr/bin/env bash
# Build the project's Docker images with no registry:
#   pywebbench/base:<suite>-py3<N>  minbase Debian <suite> + its python3, which must be 3.N
#                                   (mmdebstrap/debootstrap, docker import); one per [image] base
#   pywebbench/<stack>:latest       one per stack, FROM its base (stacks/Dockerfile, build
#                                   arguments from stacks/<stack>/stack.toml: [image] base, [server] command)
# Usage: scripts/build-images.sh [STACK...]   (default: every stack of stacks/*/stack.toml)
# Env:   PYWEBBENCH_REBUILD_BASE=1 rebuilds the base images even when they exist.
# Idempotent: a base is skipped when present, the stack builds reuse Docker's layer cache.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The registered stacks: every stacks/<stack>/stack.toml, in its `order`.
mapfile -t ALL_STACKS < <(scripts/stacks.sh)
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

# Each stack's build arguments, from its stack.toml (scripts/stack-conf.py checks the two keys).
# The app: stacks/<stack>/app, or with [image] app_from = "<other>" stacks/<other>/app (a
# variant of <other> with another server or Python; analysis/src/registry.rs checks the name).
declare -A base_of command_of app_of
for s in "${stacks[@]}"; do
  # (app_from, maybe empty, not last: $(...) drops trailing empty lines)
  conf=$(scripts/stack-conf.py "$s" image.base image.app_from server.command) || die "fix stacks/$s/stack.toml (above)"
  { IFS= read -r base_of[$s]; IFS= read -r app_of[$s]; IFS= read -r command_of[$s]; } <<<"$conf"
  if [[ -n "${app_of[$s]}" ]]; then
    [[ ! -e "stacks/$s/app" ]] || die "stacks/$s has an app/ and [image] app_from = \"${app_of[$s]}\"; remove one"
    [[ -d "stacks/${app_of[$s]}/app" ]] || die "stacks/$s/stack.toml: [image] app_from = \"${app_of[$s]}\" has no stacks/${app_of[$s]}/app; name a stack with its own app/"
  else
    app_of[$s]=$s
    [[ -d "stacks/$s/app" ]] || die "stacks/$s has no app/; add it, or serve another stack's with [image] app_from = \"<stack>\""
  fi
done
mapfile -t bases < <(printf '%s\n' "${base_of[@]}" | sort -u)

# build_base <suite>-py3<N>: Debian <suite>'s minbase root filesystem with its python3.
build_base() {
  local base=$1 suite=${1%-py3*} tmp start
  local BASE_IMAGE="pywebbench/base:$base" log="$LOG_DIR/base-$base.log"
  start=$(now)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  if command -v mmdebstrap >/dev/null 2>&1; then
    echo "images: building $BASE_IMAGE with mmdebstrap (minbase $suite + $BASE_PACKAGES)"
    mmdebstrap --variant=minbase --include="$BASE_PACKAGES" \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      "$suite" "$tmp/rootfs.tar" >"$log" 2>&1 ||
      { tail -n 30 "$log" >&2; die "mmdebstrap failed (full log: $log)"; }
  elif command -v debootstrap >/dev/null 2>&1; then
    echo "images: building $BASE_IMAGE with debootstrap (minbase $suite + $BASE_PACKAGES)"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$suite" "$tmp/rootfs" >"$log" 2>&1 ||
      { tail -n 30 "$log" >&2; die "debootstrap failed (full log: $log)"; }
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

# check_base <suite>-py3<N>: the base's python3 is 3.N, else the name is wrong.
check_base() {
  local base=$1 want="3.${1##*-py3}" got
  got=$(docker run --rm --label pywebbench=1 --network none "pywebbench/base:$base" \
    python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])') ||
    die "pywebbench/base:$base has no working python3"
  [[ "$got" == "$want" ]] || die "pywebbench/base:$base has Python $got, not $want: Debian ${base%-py3*}'s python3 is $got; write base = \"${base%-py3*}-py3${got#3.}\" in the stack.toml, or choose another suite"
  echo "images: pywebbench/base:$base has Python $got"
}

for base in "${bases[@]}"; do
  if [[ "${PYWEBBENCH_REBUILD_BASE:-0}" != "1" ]] && docker image inspect "pywebbench/base:$base" >/dev/null 2>&1; then
    echo "images: pywebbench/base:$base present, not rebuilt (PYWEBBENCH_REBUILD_BASE=1 forces it)"
  else
    build_base "$base"
  fi
  check_base "$base"
done

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
  args=(--build-arg "STACK=$s" --build-arg "BASE=${base_of[$s]}" --build-arg "APP=${app_of[$s]}" --build-arg "SERVER_COMMAND=${command_of[$s]}")
  if ! docker build --tag "pywebbench/$s:latest" "${args[@]}" --file stacks/Dockerfile stacks >"$LOG_DIR/$s.log" 2>&1; then
    tail -n 40 "$LOG_DIR/$s.log" >&2
    die "building pywebbench/$s:latest failed (full log: $LOG_DIR/$s.log)"
  fi
  took[$s]=$(elapsed "$start")
  cached=$(grep -c 'Using cache' "$LOG_DIR/$s.log" || true)
  # The steps after FROM (FROM and the ARG before it are never "cached").
  steps=$(awk '/^Step /{n++} /^Step [0-9]+\/[0-9]+ : FROM /{n=0} END{print n+0}' "$LOG_DIR/$s.log")
  echo "images: pywebbench/$s:latest built in ${took[$s]} s ($cached of $steps steps from cache)"
done

# Replaced images of earlier builds are left dangling; drop ours.
docker image prune --force --filter label=pywebbench=1 >/dev/null

printf '%-36s %10s\n' IMAGE SIZE
for image in "${bases[@]/#/pywebbench/base:}" "${stacks[@]/#/pywebbench/}"; do
  [[ "$image" == *:* ]] || image="$image:latest"
  size=$(docker image inspect --format '{{.Size}}' "$image")
  printf '%-36s %7d MB\n' "$image" $((size / 1000000))
done
