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

# Other issues: add your test steps to the body of `test` (the contract suite may stay last).

# The tests: Rust unit/integration tests and the contract suite against the five real containers.
test: setup images
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test --workspace
    cargo test -p runner --test run_quick -- --ignored
    cargo check -p runner --target x86_64-pc-windows-gnu
    just test-web
    {{venv}}/bin/pytest stacks/contract

# --- stacks, images, contract (issue 2) ---

# Build the base image (once) and the five stack images (Docker layer cache). Optional: STACK names.
images *stacks: setup
    bash scripts/build-images.sh {{stacks}}

# The API contract suite (stacks/CONTRACT.md) against every stack's real container, or only the STACKs named (`just test-contract flask-sqlite3`).
test-contract *stacks: setup (images stacks)
    PYWEBBENCH_STACKS="{{stacks}}" PYTHONDONTWRITEBYTECODE=1 {{venv}}/bin/pytest stacks/contract

# --- runner (issue 3) ---

# Run the campaign (default paper/campaign.toml; e.g. `just run --quick --stacks fastapi-sqlite3`).
run *args: setup images
    cargo run --release -p runner -- run {{args}}

# --- capacity curves (issue 15) ---

# Capacity sweep (open model): each stack at a rising constant arrival rate until p99 or errors pass the SLO; the knee, sweep.json and report/capacity.svg (`just sweep --quick`: 2 stacks, hello, 3 s steps; `--plan-only` prints the plan and its time).
sweep *args: setup images
    cargo run --release -p runner -- sweep {{args}}

# Peak configuration: each stack over a grid of worker class x workers x threads (paper/campaign-peak.toml), its best beside the paper's fixed 2 x 2; peak.json, tuned Figures 1-2 and report/peak.md (`just peak --plan-only` prints the grid, time per point and total; `just peak --quick`: 2 points of one stack, about a minute).
peak *args: setup images
    cargo run --release -p runner -- peak {{args}}

# Remove every container labelled pywebbench (leftovers of a crash); `just clean --images` also the images.
clean *args:
    cargo run --release -p runner -- clean {{args}}

# Native generator and k6 agree within 15 % (mean, p50, p99) on a real stack at 150 req/s: a timing check, so run on a quiet host, apart from `just test` (its p99 varies ~20 % run to run).
test-agreement: setup images
    cargo test --release -p runner --test load_agreement -- --nocapture

# The native load generator vs wrk, hey and k6 (plain; summary only as the paper ran it; as `run --loadgen k6` runs it) against nginx on core 0, each on core 1 (best of ROUNDS interleaved): req/s, CPU µs/request, p50/p99.
bench-loadgen seconds="10" connections="50" rounds="3": setup
    cargo build --release -p runner
    python3 runner/bench/loadgen.py --seconds {{seconds}} --connections {{connections}} --rounds {{rounds}}

# Repetition-to-repetition noise (CV of req/s and mean latency) of one FastAPI and one Flask stack under each isolation profile, profiles interleaved by round: `just bench-noise --reps 5 --profiles none,split,loadgen-pinned`.
bench-noise *args: setup images
    cargo build --release -p runner
    {{venv}}/bin/python runner/bench/noise.py {{args}}

# get_all's bimodality: the paper's get_all (10 VUs, 100 GET /items/) LOADS times per stack, with the keep-alive connections counted per Gunicorn worker (ss in the container's network namespace).
bench-getall-workers *args: setup images
    cargo build --release -p runner
    {{venv}}/bin/python runner/bench/getall_workers.py {{args}}

# The load path (issue 11): one FastAPI+sqlite3 container's GET /hello through its published port (docker-proxy) and from inside its network namespace, R interleaved rounds: req/s, latency, CPU µs/request of server, generator, docker-proxy.
bench-path seconds="10" connections="50" rounds="3": setup
    cargo build --release -p runner
    python3 runner/bench/path.py --seconds {{seconds}} --connections {{connections}} --rounds {{rounds}}

# How far the native generator, k6 as the campaign runs it and k6 summary-only diverge at the paper's closed-model loads (hello 50 VUs, get_one 10 VUs shared-iterations) on one stack's container: req/s, mean/p50/p99 ms, CPU µs/request.
bench-agreement stack="fastapi-sqlite3" rounds="3" seconds="10" iterations="1000": setup
    cargo build --release -p runner
    python3 runner/bench/agreement.py --stack {{stack}} --rounds {{rounds}} --seconds {{seconds}} --iterations {{iterations}}

# Does comparing stacks within a round narrow the intervals? Per scenario, paired (within-round log-ratio) vs unpaired (Welch) 95 % half-widths over all stack pairs of finished runs, and how many pairs each decides. E.g. `just bench-pairing data/published/*/`.
bench-pairing +runs: setup
    {{venv}}/bin/python runner/bench/pairing.py {{runs}}

# --- profiles (issue 14) ---

# What py-spy costs the repetition it samples: one stack's hello and get_all, req/s and mean latency of the profiled repetition beside the measured ones (`just bench-profile --stack flask-sqlite3 --reps 5 --rate 100`). Needs root.
bench-profile *args: setup images
    cargo build --release -p runner
    {{venv}}/bin/python runner/bench/profile.py {{args}}

# --- reproduce and publish (issue 6) ---

# The paper end to end: setup, images, run (resumes an unfinished run of the same campaign), analyze, publish to data/published/, viewer. E.g. `just reproduce --quick`, `just reproduce --loadgen k6`, `--fresh`.
reproduce *args:
    cargo run --release -p runner -- reproduce {{args}}

# README's results section from published runs: `just readme-results data/published/<native run> [data/published/<k6 run> [data/published/<modern run> [data/published/<peak run>]]] [--sweep data/published/<sweep> ...]` (sweeps oldest first, as data/published/index.json lists them).
readme-results run k6="" modern="" peak="" *sweeps:
    cargo run --release -p runner -- readme {{run}} {{ if k6 == "" { "" } else { "--k6 " + k6 } }} {{ if modern == "" { "" } else { "--modern " + modern } }} {{ if peak == "" { "" } else { "--peak " + peak } }} {{sweeps}}

# The evidence tables of docs/findings.md from run folders (get_all per repetition with the server's CPU, the write scenarios' tails, slow writes against SQLite's busy-handler sleeps, writes vs the paper): `just findings data/published/<run id>`.
findings +runs: setup
    {{venv}}/bin/python scripts/findings.py {{runs}}

# Bytes per sample of a run's samples (samples/*.parquet or samples.parquet), per column and under other layouts/codecs (data/README.md#size): `just samples-size data/published/<run id>`.
samples-size run *args: setup
    {{venv}}/bin/python scripts/samples-size.py {{run}} {{args}}

# --- analysis (issue 4) ---

# ~3 million synthetic samples analysed by `pywebbench analyze` vs the same statistics in Python (polars + scipy): times and ratio.
bench-analysis scale="1.15": setup
    cargo build --release -p runner
    cargo build --release -p analysis --features write --example gen_samples --example bench_summarize
    {{venv}}/bin/python analysis/bench/bench.py --scale {{scale}}

# --- web viewer (issue 5) ---

# Build the static viewer into web/dist/ (wasm + page + paper/*.toml + published runs).
web: setup
    bash web/build.sh

# Serve web/dist/ (or DIR) on http://127.0.0.1:PORT (default 8000; static, offline; Ctrl-C stops it).
serve port="8000" dir="web/dist":
    @test -f "{{dir}}/index.html" || (echo "serve: {{dir}} has no index.html; run \`just web\` first" >&2; exit 1)
    python3 -m http.server --bind 127.0.0.1 --directory "{{dir}}" {{port}}

# The viewer's performance goals: first view with a full-campaign-sized run (< 2 s), page vs native analysis.
bench-web scale="1.0" reps="5": web
    cd web/e2e && node bench.mjs {{scale}} {{reps}}

# End-to-end test of the viewer in headless Chromium (screenshots in web/e2e/screenshots/).
test-web: web
    cd web/e2e && node --test e2e.test.mjs pages.test.mjs

# --- faults and bad input (issue 7) ---

# The fault tests (docs/reliability.md): environment, signals at every phase, a misbehaving stack, container confinement, bad data, fuzz regressions. Also part of `cargo test --workspace` in `just test`; one at a time here so timings are stable.
test-faults: setup images
    cargo test -p analysis --all-features --test fault_fuzz_regressions --test fault_analysis --test read_errors
    cargo test -p runner --lib fault_fuzz
    cargo test -p runner --test fault_env --test fault_signal --test fault_misbehave --test fault_image_missing --test fault_bad_data --test fault_security --test run_signal --test run_failures --test analyze_cli -- --test-threads=1

# Fuzz the sample reader, the resources/manifest reader (cargo fuzz) and the campaign parser (proptest) for SECONDS each. Not in CI: CI replays analysis/fuzz/regressions.
fuzz seconds="600": setup
    cargo install cargo-fuzz --locked --quiet
    cd analysis && mkdir -p fuzz/corpus/read_samples fuzz/corpus/read_resources_manifest && RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz read_samples fuzz/corpus/read_samples fuzz/seeds/read_samples -- -max_total_time={{seconds}} -max_len=65536 -rss_limit_mb=3072 -print_final_stats=1
    cd analysis && RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz read_resources_manifest fuzz/corpus/read_resources_manifest fuzz/seeds/read_resources_manifest -- -max_total_time={{seconds}} -max_len=65536 -rss_limit_mb=3072 -print_final_stats=1
    FAULT_FUZZ_SECS={{seconds}} cargo test -p runner --lib fault_fuzz -- --nocapture
