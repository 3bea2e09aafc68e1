#!/usr/bin/env bash
# Build the static viewer into web/dist/: the analysis crate compiled to wasm32
# through the `web` wrapper crate, wasm-bindgen'd for ES modules, shrunk with
# wasm-opt -O3 (npm binaryen: Debian's binaryen 108 breaks wasm-bindgen output),
# then the page, the paper's TOML files and the published run(s) under data/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dist="$root/web/dist"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

for tool in wasm-bindgen; do
  command -v "$tool" >/dev/null || { echo "web: $tool is missing; run \`just setup\`" >&2; exit 1; }
done
wasm_opt="$root/web/tools/node_modules/.bin/wasm-opt"
[ -x "$wasm_opt" ] || { echo "web: npm binaryen is missing ($wasm_opt); run \`just setup\`" >&2; exit 1; }

lock_version="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)"
cli_version="$(wasm-bindgen --version | awk '{print $2}')"
if [ "$lock_version" != "$cli_version" ]; then
  echo "web: wasm-bindgen CLI is $cli_version but Cargo.lock pins the crate at $lock_version; run \`just setup\`" >&2
  exit 1
fi

# opt-level s + wasm-opt -O3: measured side by side (web/README.md, "Where the page's
# re-analysis goes"), z/-Oz made the page's re-analysis ~20 % slower and 2 and 3 were
# no faster than s but larger. Only this target's build is affected.
# --one-caller-inline-max-function-size=0: wasm-opt's default inlines every function
# that has one caller into it, which folds the whole analysis into a few giant
# functions that are each called once per re-analysis. V8 runs a function's first
# call as baseline (Liftoff) code and switches to optimised code only at its next call,
# so those giants ran unoptimised from start to end: kept apart, the read and summary
# loops are called per column and per cell and move to optimised code early
# (measured side by side in web/README.md, "What changed it").
# WEB_OPT_LEVEL / WEB_WASM_OPT / WEB_WASM_OCIMFS (-1: wasm-opt's default) override
# these, to build a variant for `web/e2e/compare.mjs`.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${WEB_OPT_LEVEL:-s}"
wasm_opt_level="${WEB_WASM_OPT:--O3}"
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_DEBUG=false
export CARGO_PROFILE_RELEASE_PANIC=abort
cargo build -p web --lib --target wasm32-unknown-unknown --release

rm -rf "$dist"
mkdir -p "$dist/pkg" "$dist/js" "$dist/paper" "$dist/data"
wasm-bindgen --target web --no-typescript --out-dir "$dist/pkg" \
  "$target_dir/wasm32-unknown-unknown/release/web.wasm"
raw_size=$(stat -c %s "$dist/pkg/web_bg.wasm")
# The features rustc enables by default for wasm32-unknown-unknown (wasm-opt must accept them).
"$wasm_opt" "$wasm_opt_level" "--one-caller-inline-max-function-size=${WEB_WASM_OCIMFS:-0}" --strip-debug --strip-producers \
  --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$dist/pkg/web_bg.wasm" -o "$dist/pkg/web_bg.opt.wasm"
mv "$dist/pkg/web_bg.opt.wasm" "$dist/pkg/web_bg.wasm"
opt_size=$(stat -c %s "$dist/pkg/web_bg.wasm")

cp web/index.html web/style.css "$dist/"
cp web/js/*.js "$dist/js/"
cp paper/*.toml "$dist/paper/" 2>/dev/null || true

# Published runs: those in data/published/index.json (written by `pywebbench reproduce`;
# its default run first, so the page opens on it), then every other tracked run folder
# under data/ (one with a manifest.json).
python3 - "$root" "$dist" <<'PY'
import json, os, re, shutil, subprocess, sys
root, dist = sys.argv[1], sys.argv[2]
tracked = subprocess.run(["git", "-C", root, "ls-files", "data"], check=True,
                         capture_output=True, text=True).stdout.split()
index_path = os.path.join(root, "data", "published", "index.json")
published = json.load(open(index_path))["runs"] if os.path.exists(index_path) else []
published.sort(key=lambda r: not r.get("default", False))
listed = [os.path.relpath(os.path.join(root, r["path"], "manifest.json"), root) for r in published]
defaults = {l for l, r in zip(listed, published) if r.get("default")}
candidates = listed + sorted(p for p in tracked if p.endswith("/manifest.json") and p not in listed)
runs = []
for manifest in candidates:
    src = os.path.join(root, os.path.dirname(manifest))
    # Samples: samples/<stack>.parquet (schema v2) or one samples.parquet (v1).
    split = os.path.join(src, "samples")
    if os.path.isdir(split):
        sample_names = sorted("samples/" + f for f in os.listdir(split)
                              if f.endswith(".parquet") and not f.startswith("."))
    elif os.path.exists(os.path.join(src, "samples.parquet")):
        sample_names = ["samples.parquet"]
    else:
        continue
    run_id = re.sub(r"[^A-Za-z0-9._-]", "_", json.load(open(os.path.join(src, "manifest.json")))["run_id"])
    dst_rel = "data/" + run_id
    dst = os.path.join(dist, dst_rel)
    os.makedirs(dst, exist_ok=True)
    if not os.path.exists(os.path.join(src, "report", "summary.json")):
        # The first view reads summary.json (fast); make it natively if the run has none.
        out = os.path.join(dist, ".analyze", run_id)
        print(f"web: {manifest} has no report/summary.json; running pywebbench analyze", flush=True)
        subprocess.run(["cargo", "run", "-q", "-p", "runner", "--bin", "pywebbench", "--",
                        "analyze", src, "--out", out], check=True, cwd=root)
        os.makedirs(os.path.join(dst, "report"), exist_ok=True)
        shutil.copy(os.path.join(out, "summary.json"), os.path.join(dst, "report", "summary.json"))
        shutil.rmtree(os.path.join(dist, ".analyze"))
    files = {"samples": []}
    for name in sample_names:
        os.makedirs(os.path.dirname(os.path.join(dst, name)), exist_ok=True)
        shutil.copy(os.path.join(src, name), os.path.join(dst, name))
        files["samples"].append(dst_rel + "/" + name)
    # peak.json: a peak-configuration run's grid (the viewer draws its tuned figures);
    # sweep.json: a capacity sweep's points and knees (the viewer draws its curves).
    for name in ["resources.parquet", "manifest.json", "report/summary.json", "peak.json", "sweep.json"]:
        if os.path.exists(os.path.join(src, name)):
            os.makedirs(os.path.dirname(os.path.join(dst, name)), exist_ok=True)
            shutil.copy(os.path.join(src, name), os.path.join(dst, name))
        if os.path.exists(os.path.join(dst, name)):
            files[name.split("/")[-1].split(".")[0]] = dst_rel + "/" + name
    # A profiled run's (`run --profile`) collapsed stacks, for the Profiles section.
    prof = os.path.join(src, "profiles")
    if os.path.isdir(prof):
        files["profiles"] = []
        for stack in sorted(os.listdir(prof)):
            for f in sorted(os.listdir(os.path.join(prof, stack))):
                if f.endswith(".txt"):
                    rel = f"profiles/{stack}/{f}"
                    os.makedirs(os.path.join(dst, "profiles", stack), exist_ok=True)
                    shutil.copy(os.path.join(src, rel), os.path.join(dst, rel))
                    files["profiles"].append({"stack": stack, "scenario": f[:-4], "path": dst_rel + "/" + rel})
    entry = next((r for l, r in zip(listed, published) if l == manifest), {})
    runs.append({"id": run_id, "source": os.path.dirname(manifest), "files": files,
                 "default": manifest in defaults,
                 # The overview shows a published k6 run's claims beside the native one's.
                 "loadgen": entry.get("loadgen"), "campaign": entry.get("campaign")})
papers = sorted(f for f in os.listdir(os.path.join(root, "paper")) if f.endswith(".toml"))
json.dump({"runs": runs, "paper": ["paper/" + f for f in papers]},
          open(os.path.join(dist, "data", "index.json"), "w"), indent=1)
print(f"web: {len(runs)} published run(s): {', '.join(r['id'] for r in runs) or 'none'}")
PY

echo "web: wasm $raw_size bytes after wasm-bindgen, $opt_size bytes after wasm-opt $wasm_opt_level (opt-level $CARGO_PROFILE_RELEASE_OPT_LEVEL)"
echo "web: built $dist (serve it with \`just serve\`)"
