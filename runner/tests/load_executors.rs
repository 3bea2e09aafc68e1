//! The native generator's executors and error records, through `pywebbench load`
//! against real HTTP servers on 127.0.0.1 (short, bounded loads).

mod load_support;

use std::collections::BTreeSet;
use std::time::Duration;

use load_support::{Behaviour, Server, load, refused_port};

const MS: i64 = 1_000_000;

#[test]
fn shared_iterations_issue_exactly_m_requests_with_wire_bytes() {
    let server = Server::start(Behaviour::Ok {
        delay: Duration::ZERO,
    });
    let run = load(
        &server.url("/hello"),
        &["--vus", "5", "--iterations", "200"],
    );
    assert_eq!(run.records.len(), 200);
    assert_eq!(run.f("/requests"), 200.0);
    assert_eq!(run.f("/errors"), 0.0);
    assert_eq!(
        server
            .stats
            .requests
            .load(std::sync::atomic::Ordering::Relaxed),
        200
    );
    let iterations: BTreeSet<u64> = run.records.iter().map(|r| r.iteration).collect();
    assert_eq!(
        iterations,
        (0..200).collect(),
        "each iteration exactly once"
    );
    assert!(run.records.iter().all(|r| r.vu < 5 && r.status == 200));
    // One keep-alive connection per VU, its set-up outside the latency.
    let connects = run.records.iter().filter(|r| r.connect_ns > 0).count();
    assert_eq!(connects, 5);
    assert_eq!(
        server
            .stats
            .connections
            .load(std::sync::atomic::Ordering::Relaxed),
        5
    );
    for r in &run.records {
        assert!(
            r.latency_ns > 0 && r.ttfb_ns > 0 && r.ttfb_ns <= r.latency_ns,
            "{r:?}"
        );
        assert!(
            r.start_ns + r.connect_ns + r.latency_ns <= r.end_ns + 1000,
            "{r:?}"
        );
        assert_eq!(r.scheduled_ns, r.start_ns, "closed model: due = start");
    }
    // Bytes on the wire, as the server counted them.
    let out: u64 = run.records.iter().map(|r| r.bytes_out).sum();
    let inn: u64 = run.records.iter().map(|r| r.bytes_in).sum();
    assert_eq!(
        out,
        server
            .stats
            .bytes_in
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    assert_eq!(
        inn,
        server
            .stats
            .bytes_out
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    assert!(
        run.records.iter().all(|r| r.bytes_in > 27),
        "headers + 27-byte body"
    );
}

#[test]
fn constant_vus_stop_on_time() {
    let server = Server::start(Behaviour::Ok {
        delay: Duration::from_millis(20),
    });
    let run = load(&server.url("/hello"), &["--vus", "4", "--duration", "1s"]);
    let n = run.records.len();
    // 4 VUs × 1 s / ~20 ms ≈ 200; the sleep granularity and a busy CI host lower it.
    assert!((80..=204).contains(&n), "{n} requests");
    let vus: BTreeSet<u32> = run.records.iter().map(|r| r.vu).collect();
    assert_eq!(vus, (0..4).collect());
    assert!(
        run.records.iter().all(|r| r.start_ns < 1000 * MS),
        "no start after the duration"
    );
    let last_end = run.records.iter().map(|r| r.end_ns).max().unwrap_or(0);
    assert!(
        last_end < 1400 * MS,
        "in-flight iterations end soon after: {last_end}"
    );
    assert!((run.f("/active_s") - last_end as f64 / 1e9).abs() < 1e-6);
    assert!(run.wall < Duration::from_secs(5), "{:?}", run.wall);
    assert!(
        run.records.iter().all(|r| r.latency_ns >= 19 * MS),
        "server sleeps 20 ms"
    );
}

#[test]
fn constant_arrival_rate_follows_its_schedule() {
    let server = Server::start(Behaviour::Ok {
        delay: Duration::ZERO,
    });
    let run = load(
        &server.url("/hello"),
        &["--rate", "100", "--duration", "1s", "--vus", "5"],
    );
    assert_eq!(run.f("/dropped_iterations"), 0.0);
    assert_eq!(run.records.len(), 100);
    let mut lateness: Vec<i64> = Vec::new();
    for r in &run.records {
        // Iteration i is due at i × 10 ms exactly.
        assert_eq!(r.scheduled_ns, r.iteration as i64 * 10 * MS, "{r:?}");
        assert!(r.start_ns >= r.scheduled_ns, "{r:?}");
        lateness.push(r.start_ns - r.scheduled_ns);
    }
    lateness.sort_unstable();
    let median = lateness[lateness.len() / 2];
    assert!(median < 5 * MS, "median start lateness {median} ns");
    assert!(lateness[lateness.len() - 1] < 100 * MS, "{lateness:?}");
}

#[test]
fn constant_arrival_rate_drops_iterations_without_a_free_vu() {
    // Each request takes 200 ms; 50/s needs ~10 VUs but at most 3 exist.
    let server = Server::start(Behaviour::Ok {
        delay: Duration::from_millis(200),
    });
    let run = load(
        &server.url("/hello"),
        &[
            "--rate",
            "50",
            "--duration",
            "1s",
            "--vus",
            "1",
            "--max-vus",
            "3",
        ],
    );
    let dropped = run.f("/dropped_iterations") as usize;
    assert!(dropped >= 25, "dropped {dropped}");
    assert_eq!(
        run.records.len() + dropped,
        50,
        "every due iteration ran or was dropped"
    );
    assert!(run.records.iter().all(|r| r.vu < 3));
    // Open model: the latency from the due time includes the wait for a VU.
    assert!(
        run.records
            .iter()
            .all(|r| r.end_ns - r.scheduled_ns >= r.latency_ns)
    );
}

#[test]
fn a_hanging_server_gives_timeout_records() {
    let server = Server::start(Behaviour::Hang);
    let run = load(
        &server.url("/hello"),
        &["--vus", "1", "--iterations", "3", "--timeout", "300ms"],
    );
    assert_eq!(run.records.len(), 3);
    assert_eq!(run.errors_of("timeout"), 3);
    for r in &run.records {
        assert_eq!(r.status, 0);
        let total = r.connect_ns + r.latency_ns;
        assert!((290 * MS..1000 * MS).contains(&total), "{r:?}");
    }
    assert_eq!(run.summary["errors_by_kind"]["timeout"], 3);
    assert!(run.wall < Duration::from_secs(5));
}

#[test]
fn a_refused_connection_gives_connect_records() {
    let url = format!("http://127.0.0.1:{}/hello", refused_port());
    let run = load(&url, &["--vus", "2", "--iterations", "6"]);
    assert_eq!(run.records.len(), 6);
    assert_eq!(run.errors_of("connect"), 6);
    assert!(
        run.records
            .iter()
            .all(|r| r.status == 0 && r.latency_ns == 0)
    );
}

#[test]
fn a_refused_connection_is_retried_with_a_back_off_not_in_a_tight_loop() {
    // One VU for 1 s against a closed port: without a back-off a VU makes tens of
    // thousands of attempts a second. With it (1, 2, 4, … 64 ms, then 100 ms):
    // 7 attempts in the first 127 ms, then about one per 100 ms, so 14–18 in 1 s
    // (a loaded host makes fewer). Every attempt is a `connect` record.
    let url = format!("http://127.0.0.1:{}/hello", refused_port());
    let run = load(&url, &["--vus", "1", "--duration", "1s"]);
    let n = run.records.len();
    assert!((5..=20).contains(&n), "{n} connect attempts in 1 s");
    assert_eq!(run.errors_of("connect"), n);
    let mut starts: Vec<i64> = run.records.iter().map(|r| r.start_ns).collect();
    starts.sort_unstable();
    let gaps: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] < gaps[5], "the pauses grow: {gaps:?}");
    assert!(
        gaps.iter().any(|&g| g >= 60 * MS),
        "they reach ~100 ms: {gaps:?}"
    );
    assert!(
        gaps.iter().all(|&g| g < 150 * MS),
        "no pause above ~100 ms: {gaps:?}"
    );
}

#[test]
fn status_500_is_an_http_status_error_with_its_status() {
    let server = Server::start(Behaviour::Status(500));
    let run = load(&server.url("/boom"), &["--vus", "2", "--iterations", "10"]);
    assert_eq!(run.errors_of("http_status"), 10);
    assert!(
        run.records
            .iter()
            .all(|r| r.status == 500 && r.bytes_in > 0)
    );
    assert_eq!(run.summary["statuses"]["500"], 10);
    // 404 too (k6: http_req_failed for status >= 400); 399 would not be.
    let server = Server::start(Behaviour::Status(404));
    let run = load(
        &server.url("/missing"),
        &["--vus", "1", "--iterations", "2"],
    );
    assert_eq!(run.errors_of("http_status"), 2);
}

#[test]
fn connection_close_makes_the_vu_reconnect() {
    let server = Server::start(Behaviour::Close);
    let run = load(&server.url("/hello"), &["--vus", "2", "--iterations", "20"]);
    assert_eq!(run.f("/errors"), 0.0, "{}", run.summary);
    assert_eq!(run.records.len(), 20);
    assert!(
        run.records.iter().all(|r| r.connect_ns > 0),
        "a new connection each time"
    );
    assert_eq!(
        server
            .stats
            .connections
            .load(std::sync::atomic::Ordering::Relaxed),
        20
    );
}

#[test]
fn json_bodies_are_sent_with_their_content_type() {
    let server = Server::start(Behaviour::Ok {
        delay: Duration::ZERO,
    });
    let run = load(
        &server.url("/echo"),
        &[
            "--method",
            "POST",
            "--body",
            r#"{"a":1}"#,
            "--vus",
            "1",
            "--iterations",
            "3",
        ],
    );
    assert_eq!(run.f("/errors"), 0.0);
    let seen = server.stats.last_body.lock().expect("lock").clone();
    assert_eq!(
        seen,
        Some(("application/json".to_string(), r#"{"a":1}"#.to_string()))
    );
}

#[test]
fn sigint_stops_the_load_promptly_and_keeps_what_was_done() {
    let server = Server::start(Behaviour::Ok {
        delay: Duration::from_millis(5),
    });
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pywebbench"))
        .args([
            "load",
            &server.url("/hello"),
            "--vus",
            "2",
            "--duration",
            "30s",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start pywebbench load");
    std::thread::sleep(Duration::from_millis(800));
    let started = std::time::Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait for pywebbench load");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(out.status.success(), "{}", out.status);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    let requests = summary["requests"].as_u64().unwrap_or(0);
    assert!(requests > 10, "{summary}");
    assert!(
        summary["active_s"].as_f64().unwrap_or(99.0) < 3.0,
        "{summary}"
    );
}

#[test]
fn a_connection_closed_while_idle_is_replaced_not_an_error() {
    let server = Server::start(Behaviour::IdleClose);
    // 10 requests 100 ms apart: each finds the previous connection closed.
    let run = load(
        &server.url("/hello"),
        &["--rate", "10", "--duration", "1s", "--vus", "1"],
    );
    assert_eq!(run.records.len(), 10);
    assert_eq!(run.f("/errors"), 0.0, "{}", run.summary);
    assert!(run.records.iter().all(|r| r.connect_ns > 0));
}
