//! The two generators agree on a real stack: a `pywebbench/fastapi-sqlite3`
//! container (2 workers × 2 threads, as the campaign runs it; port published on
//! 127.0.0.1), the paper's get_one request (`GET /items/{id}`, ids in 1..=1500) at a
//! fixed arrival rate well below saturation (`constant-arrival-rate`; the stack
//! serves a few thousand get_one req/s here), the native generator and
//! `--loadgen k6` on the same path. Mean, p50 and p99 latency of the successful
//! requests, pooled over two rounds of 10 s, agree within 15 %.
//!
//! Both generators run **at the same time**, 150 req/s each (300 req/s on the
//! server), because this 2-core host is shared: a burst of other work stalls the
//! server for tens to hundreds of ms, and with one generator after the other such
//! stalls land in one generator's run and decide its mean and p99 (measured here
//! with 300 req/s, native and k6 interleaved: p50 1.78 vs 1.79 ms, but p99 22 vs
//! 72 ms and, in the next run, 120 vs 75 ms). At once, both see the same stalls.
//! k6 starts its scenario about a second after it is spawned, so the two overlap
//! for ~9 of the 10 s.
//!
//! Few pre-allocated VUs (20): k6 hands arrival-rate iterations to its VUs in turn,
//! the native generator to the VU freed last. With 150 pre-allocated VUs k6 spread
//! the requests over 150 keep-alive connections idle for ~1 s each, the native one
//! over a few warm ones, and k6's p50 came out 13–19 % higher in 3 of 3 runs (3.64
//! vs 3.05 ms); with 20 VUs the sign of the difference changed from run to run.
//! On the shared 2-core development host (load average 5–9 from other builds) the
//! test still failed 1 of 2 runs with 20 VUs (p50 native 3.95 vs k6 3.12 ms, p99
//! 108 vs 149 ms: one round had stalls of 150+ ms): on a busy host it measures the
//! host as much as the generators. Run it on a quiet one.
//!
//! At a fixed rate both send the same requests at the same pace, so the server does
//! the same work for both; what differs is each generator's own time between the
//! socket and its clock (Go's net/http vs hyper). Under the campaign's closed-model
//! loads a generator that needs more CPU sends fewer requests, so the two are not
//! expected to agree there: `just bench-agreement` prints by how much they differ.
//!
//! The comparison is of the generators as the campaign runs them: run it with
//! `--release` (`just test-agreement` does; it is a timing check, kept out of `just test`). In a debug build the native generator is
//! unoptimised Rust and adds its own time to every latency, so the test is ignored
//! there.
//!
//! The container carries `pywebbench=1` and `pywebbench.test=load-agreement` and is
//! removed at the end, also when the test fails.

#![cfg(unix)]

mod common;
mod load_support;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{docker, output_text};
use load_support::{LoadRun, load};

const IMAGE: &str = "pywebbench/fastapi-sqlite3";
const NAME: &str = "pywebbench-load-agreement";
const LABEL: &str = "pywebbench.test=load-agreement";

/// Removes the container, also when the test fails.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", NAME]);
    }
}

fn k6() -> PathBuf {
    if let Some(p) = std::env::var_os("PYWEBBENCH_K6") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/k6");
    assert!(
        venv.is_file(),
        "k6 not found at {} (run `just setup`, or set PYWEBBENCH_K6)",
        venv.display()
    );
    venv
}

/// `GET /hello` on 127.0.0.1:port answers 200.
fn healthy(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

/// Start the stack's container; its port on 127.0.0.1.
fn start_stack() -> u16 {
    let _ = docker(&["rm", "-f", NAME]);
    let run = docker(&[
        "run",
        "-d",
        "--name",
        NAME,
        "--label",
        "pywebbench=1",
        "--label",
        LABEL,
        "-e",
        "WORKERS=2",
        "-e",
        "THREADS=2",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--memory",
        "2g",
        "--pids-limit",
        "512",
        "-p",
        "127.0.0.1::8000",
        IMAGE,
    ]);
    assert!(
        run.status.success(),
        "cannot start {IMAGE} (build it with `just images`): {}",
        output_text(&run)
    );
    let port = docker(&["port", NAME, "8000/tcp"]);
    let port = String::from_utf8_lossy(&port.stdout)
        .lines()
        .find(|l| l.starts_with("127.0.0.1:"))
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.trim().parse::<u16>().ok())
        .expect("the port published on 127.0.0.1");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !healthy(port) {
        assert!(
            Instant::now() < deadline,
            "{IMAGE} did not answer GET /hello with 200 within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    port
}

/// k6's percentile rule (linear between the closest ranks, rank = p·(n−1)).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// Mean, p50, p99 (ms) of the successful requests of `runs`, pooled.
fn stats(runs: &[LoadRun]) -> [f64; 3] {
    let mut ms: Vec<f64> = runs
        .iter()
        .flat_map(|r| &r.records)
        .filter(|r| r.error.is_none())
        .map(|r| r.latency_ns as f64 / 1e6)
        .collect();
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    [mean, percentile(&ms, 0.5), percentile(&ms, 0.99)]
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "compares the generators as the campaign runs them: cargo test --release -p runner --test load_agreement"
)]
fn native_and_k6_agree_on_get_one_latency_at_a_fixed_rate_below_saturation() {
    let _cleanup = Cleanup;
    let port = start_stack();
    let base = format!("http://127.0.0.1:{port}");
    let get_one = format!("{base}/items/{{id}}");
    // Warm the workers up (imports, first queries, SQLite's page cache).
    load(
        &format!("{base}/hello"),
        &["--vus", "10", "--duration", "2s"],
    );
    load(
        &get_one,
        &["--ids", "1-1500", "--vus", "10", "--iterations", "500"],
    );

    let k6 = k6();
    let k6 = k6.to_str().expect("k6 path is UTF-8");
    let rate = [
        "--ids",
        "1-1500",
        "--rate",
        "150",
        "--duration",
        "10s",
        // Few pre-allocated VUs: k6 hands iterations to its VUs in turn, the native
        // generator to the VU freed last, so with many VUs k6 spreads the requests
        // over many idle keep-alive connections and the native one over a few warm
        // ones. More VUs are added during a stall (an iteration is dropped then).
        "--vus",
        "20",
        "--max-vus",
        "300",
        "--timeout",
        "10s",
    ];
    let with_k6: Vec<&str> = ["--loadgen", "k6", "--k6", k6]
        .into_iter()
        .chain(rate)
        .collect();
    // Both generators at once (see the module doc): the host's stalls hit both alike.
    let (mut native, mut k6_runs) = (Vec::new(), Vec::new());
    for _round in 0..2 {
        let (a, b) = std::thread::scope(|s| {
            let k = s.spawn(|| load(&get_one, &with_k6));
            let n = s.spawn(|| load(&get_one, &rate));
            (n.join().expect("native load"), k.join().expect("k6 load"))
        });
        native.push(a);
        k6_runs.push(b);
    }
    for run in native.iter().chain(&k6_runs) {
        assert_eq!(run.f("/errors"), 0.0, "{}", run.summary);
        let n = run.records.len() as f64;
        let dropped = run.f("/dropped_iterations");
        assert!(
            // k6 may start one more, at the 10 s boundary itself
            (1500.0..=1501.0).contains(&(n + dropped)),
            "150/s × 10 s: {n} + {dropped} dropped"
        );
        assert!(dropped <= 15.0, "at most 1 % dropped: {}", run.summary);
        assert!(
            run.records
                .iter()
                .all(|r| r.status == 200 && r.bytes_in > 100),
            "real get_one answers"
        );
    }
    eprintln!("get_one, 150 req/s each   mean ms   p50 ms   p99 ms");
    for (round, (a, b)) in native.iter().zip(&k6_runs).enumerate() {
        for (name, run) in [("native", a), ("k6", b)] {
            let s = stats(std::slice::from_ref(run));
            eprintln!(
                "  round {} {name:<13} {:>9.3} {:>8.3} {:>8.3}   (process {:.2} s for {:.2} s of load)",
                round + 1,
                s[0],
                s[1],
                s[2],
                run.wall.as_secs_f64(),
                run.f("/active_s")
            );
        }
    }
    let (n, k) = (stats(&native), stats(&k6_runs));
    eprintln!(
        "native                 {:>9.3} {:>8.3} {:>8.3}",
        n[0], n[1], n[2]
    );
    eprintln!(
        "k6                     {:>9.3} {:>8.3} {:>8.3}",
        k[0], k[1], k[2]
    );
    for (i, what) in ["mean", "p50", "p99"].iter().enumerate() {
        let (a, b) = (n[i], k[i]);
        assert!(
            (a - b).abs() <= 0.15 * a.max(b),
            "{what} latency: native {a:.3} ms vs k6 {b:.3} ms differ by more than 15 %"
        );
    }
}
