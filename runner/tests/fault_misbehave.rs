//! A misbehaving stack in a real container: a stdlib-Python HTTP/1.1 server (image
//! built FROM pywebbench/base, non-root) that answers 500 to every 5th request, closes
//! the connection without answering every 7th, and hangs past the request timeout on
//! every 11th. `pywebbench load` (the generator `run` uses) records every request as a
//! sample with its error kind; nothing is lost and nothing hangs. The image and the
//! container carry `pywebbench=1` and `pywebbench.test=fault-misbehave` and are removed.

#![cfg(unix)]

mod common;
mod load_support;

use std::time::Duration;

use common::*;
use load_support::load;

const IMAGE: &str = "pywebbench/fault-misbehave:test";
const NAME: &str = "pywebbench-fault-misbehave";
const LABEL: &str = "pywebbench.test=fault-misbehave";

const SERVER: &str = r#"
import http.server, itertools, threading, time
count = itertools.count(1)
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        with lock:
            n = next(count)
        if n % 11 == 0:
            time.sleep(3)          # past the client's 1 s timeout
        elif n % 7 == 0:
            self.close_connection = True
            return                 # no response at all
        status = 500 if n % 5 == 0 else 200
        body = b'{"n": %d}' % n
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
"#;

/// Removes the container and the image, also when the test fails.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", NAME]);
        let _ = docker(&["rmi", "-f", IMAGE]);
    }
}

#[test]
fn fault_misbehaving_stack_in_a_container_every_request_is_a_sample_with_its_kind() {
    let _cleanup = Cleanup;
    let _ = docker(&["rm", "-f", NAME]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("server.py"), SERVER).expect("write server");
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM pywebbench/base:bookworm-py311\nCOPY server.py /srv/server.py\nUSER 65534\nEXPOSE 8000\nCMD [\"python3\", \"/srv/server.py\"]\n",
    )
    .expect("write Dockerfile");
    let build = docker(&[
        "build",
        "-q",
        "--label",
        "pywebbench=1",
        "--label",
        LABEL,
        "-t",
        IMAGE,
        dir.path().to_str().expect("utf-8"),
    ]);
    assert!(build.status.success(), "{}", output_text(&build));
    let run = docker(&[
        "run",
        "-d",
        "--name",
        NAME,
        "--label",
        "pywebbench=1",
        "--label",
        LABEL,
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--memory",
        "256m",
        "--pids-limit",
        "64",
        "-p",
        "127.0.0.1::8000",
        IMAGE,
    ]);
    assert!(run.status.success(), "{}", output_text(&run));
    let port = docker(&["port", NAME, "8000/tcp"]);
    let port = String::from_utf8_lossy(&port.stdout)
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.trim().parse::<u16>().ok())
        .expect("published port");
    // Wait until it listens (bounded).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));

    let iterations = 231u64; // 21 hangs, 33 closes, 46 x 500 (by the server's counter)
    let url = format!("http://127.0.0.1:{port}/hello");
    let r = load(
        &url,
        &[
            "--vus",
            "8",
            "--iterations",
            &iterations.to_string(),
            "--timeout",
            "1s",
            "--max-duration",
            "2m",
        ],
    );
    // Every iteration is a sample: nothing dropped, nothing lost.
    assert_eq!(r.records.len() as u64, iterations, "{}", r.summary);
    assert_eq!(r.summary["requests"].as_u64(), Some(iterations));
    let ok = r.records.iter().filter(|x| x.error.is_none()).count();
    let status = r.errors_of("http_status");
    let timeout = r.errors_of("timeout");
    let closed = r.errors_of("io") + r.errors_of("protocol");
    let connect = r.errors_of("connect");
    assert_eq!(ok + status + timeout + closed + connect, r.records.len());
    assert!(ok > 0, "some requests succeed");
    assert!(status > 0, "500s are http_status errors: {}", r.summary);
    assert!(timeout > 0, "hangs are timeouts: {}", r.summary);
    assert!(
        closed > 0,
        "closed connections are io/protocol errors: {}",
        r.summary
    );
    // Errors carry their kind and status; timeouts are cut at the timeout.
    for x in &r.records {
        match x.error.as_deref() {
            None => assert_eq!(x.status, 200),
            Some("http_status") => assert_eq!(x.status, 500),
            Some("timeout") => {
                assert_eq!(x.status, 0);
                assert!(
                    (900_000_000..2_000_000_000).contains(&x.latency_ns),
                    "timeout after {} ns",
                    x.latency_ns
                );
            }
            Some(_) => assert_eq!(x.status, 0),
        }
    }
    assert_eq!(
        r.summary["errors"].as_u64(),
        Some((status + timeout + closed + connect) as u64)
    );
    assert_eq!(
        r.summary["errors_by_kind"]["timeout"].as_u64(),
        Some(timeout as u64)
    );
    assert!(r.wall < Duration::from_secs(60), "took {:?}", r.wall);
    eprintln!(
        "misbehaving stack: {iterations} requests → ok {ok}, http_status {status}, timeout {timeout}, io/protocol {closed}, connect {connect}"
    );
    drop(_cleanup);
    assert!(containers_with_label(LABEL).is_empty(), "container left");
    assert!(
        !docker(&["image", "inspect", IMAGE]).status.success(),
        "image left"
    );
}
