#!/usr/bin/env bash
# Set-up for the web viewer (issue 5), called from scripts/setup.sh. Idempotent:
# installs only what is missing — the wasm32 target, wasm-bindgen-cli at exactly
# the wasm-bindgen crate's version in Cargo.lock, npm binaryen (wasm-opt) and
# playwright-core, and Debian's chromium + chromium-driver for the e2e test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup(web): adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

want="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$root/Cargo.lock")"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ -n "$want" ] && [ "$want" != "$have" ]; then
  echo "setup(web): installing wasm-bindgen-cli $want (have: ${have:-none}); this compiles for several minutes"
  # Not --locked: its lock file pins a webpki-roots version that is no longer on crates.io.
  cargo install wasm-bindgen-cli --version "$want" --quiet
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup(web): installing node and npm (Debian)"
  apt_install nodejs npm
fi
if [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null; then
  echo "setup(web): installing chromium and chromium-driver (Debian)"
  apt_install chromium chromium-driver
fi

# npm ci only when node_modules is missing or older than the lock file.
for dir in web/tools web/e2e; do
  if [ ! -d "$root/$dir/node_modules" ] || [ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
    echo "setup(web): npm ci in $dir"
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
