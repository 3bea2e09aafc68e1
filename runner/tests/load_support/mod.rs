//! Shared by the load generator tests: a real HTTP/1.1 server on 127.0.0.1
//! (hyper, on its own thread) with a chosen behaviour, counting requests,
//! connections and bytes on the wire; and a runner for `pywebbench load`.
#![allow(dead_code)] // each test file uses a part

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// What the server does with each request.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// 200 with a small JSON body, after `delay`.
    Ok { delay: Duration },
    /// A server of known capacity: at most `slots` requests are served at once, each
    /// for `service` (a sleep, so it costs no CPU); the others wait in line (FIFO, a
    /// fair semaphore). Capacity = `slots / service`.
    Queue { service: Duration, slots: u32 },
    /// This status, with a small body.
    Status(u16),
    /// Read the request, never answer.
    Hang,
    /// 200 and `Connection: close` (the client must reconnect).
    Close,
    /// One keep-alive response per connection, then the server closes the idle
    /// connection 20 ms later without saying so (a keep-alive timeout).
    IdleClose,
}

#[derive(Default, Debug)]
pub struct Stats {
    pub requests: AtomicU64,
    pub connections: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    /// (content-type, body) of the last request with a body.
    pub last_body: Mutex<Option<(String, String)>>,
    /// `Queue`: the time slots were held, summed (ns), and by how many requests.
    pub held_ns: AtomicU64,
    pub served: AtomicU64,
}

impl Stats {
    /// `Queue`: the mean time a request held its slot (the service time as served,
    /// timer overshoot included), seconds.
    pub fn mean_service_s(&self) -> f64 {
        self.held_ns.load(Relaxed) as f64 / 1e9 / self.served.load(Relaxed).max(1) as f64
    }
}

pub struct Server {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn start(behaviour: Behaviour) -> Server {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind a test server on 127.0.0.1");
        std_listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("listener address");
        let stats = Arc::new(Stats::default());
        let (tx, mut rx) = oneshot::channel::<()>();
        let server_stats = stats.clone();
        let slots = Arc::new(tokio::sync::Semaphore::new(match behaviour {
            Behaviour::Queue { slots, .. } => slots as usize,
            _ => 0,
        }));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("test server runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => return,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let _ = stream.set_nodelay(true);
                            server_stats.connections.fetch_add(1, Relaxed);
                            tokio::spawn(serve(stream, behaviour, server_stats.clone(), slots.clone()));
                        }
                    }
                }
            });
        });
        Server {
            addr,
            stats,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    stream: TcpStream,
    behaviour: Behaviour,
    stats: Arc<Stats>,
    slots: Arc<tokio::sync::Semaphore>,
) {
    if let Behaviour::IdleClose = behaviour {
        return serve_once_then_close(stream, stats).await;
    }
    let io = TokioIo::new(Counting {
        stream,
        stats: stats.clone(),
    });
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let stats = stats.clone();
        let slots = slots.clone();
        async move {
            stats.requests.fetch_add(1, Relaxed);
            let content_type = req
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            if !body.is_empty() {
                *stats.last_body.lock().expect("stats lock") =
                    Some((content_type, String::from_utf8_lossy(&body).into_owned()));
            }
            let json = Full::new(Bytes::from_static(br#"{"message":"Hello, World!"}"#));
            let resp = match behaviour {
                Behaviour::Ok { delay } => {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    Response::new(json)
                }
                Behaviour::Queue { service, .. } => {
                    let _slot = slots
                        .acquire()
                        .await
                        .expect("the semaphore is never closed");
                    let held = Instant::now();
                    tokio::time::sleep_until((held + service).into()).await;
                    stats
                        .held_ns
                        .fetch_add(held.elapsed().as_nanos() as u64, Relaxed);
                    stats.served.fetch_add(1, Relaxed);
                    Response::new(json)
                }
                Behaviour::Status(code) => Response::builder()
                    .status(code)
                    .body(json)
                    .expect("response"),
                Behaviour::Hang | Behaviour::IdleClose => std::future::pending().await,
                Behaviour::Close => Response::builder()
                    .header(hyper::header::CONNECTION, "close")
                    .body(json)
                    .expect("response"),
            };
            Ok::<_, Infallible>(resp)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

async fn serve_once_then_close(mut stream: TcpStream, stats: Arc<Stats>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    stats.requests.fetch_add(1, Relaxed);
    let body = br#"{"message":"Hello, World!"}"#;
    let resp = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
    let _ = stream.write_all(body).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// A server-side socket that counts bytes.
struct Counting {
    stream: TcpStream,
    stats: Arc<Stats>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.stream).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.stats.bytes_in.fetch_add(n as u64, Relaxed);
        r
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.stats.bytes_out.fetch_add(n as u64, Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// One record as `pywebbench load --records` writes it.
#[derive(Clone, Debug, Deserialize)]
pub struct Rec {
    pub vu: u32,
    pub iteration: u64,
    pub scheduled_ns: i64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub latency_ns: i64,
    pub ttfb_ns: i64,
    pub connect_ns: i64,
    pub status: u16,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub error: Option<String>,
}

pub struct LoadRun {
    pub summary: serde_json::Value,
    pub records: Vec<Rec>,
    pub wall: Duration,
}

impl LoadRun {
    pub fn f(&self, pointer: &str) -> f64 {
        self.summary
            .pointer(pointer)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or_else(|| panic!("summary has no number at {pointer}: {}", self.summary))
    }

    pub fn errors_of(&self, kind: &str) -> usize {
        self.records
            .iter()
            .filter(|r| r.error.as_deref() == Some(kind))
            .count()
    }
}

/// Run `pywebbench load URL ARGS --json --records FILE` and read both back.
pub fn load(url: &str, args: &[&str]) -> LoadRun {
    let dir = tempfile::tempdir().expect("temporary directory");
    let records_path = dir.path().join("records.jsonl");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pywebbench"))
        .arg("load")
        .arg(url)
        .args(args)
        .arg("--json")
        .arg("--records")
        .arg(&records_path)
        .output()
        .expect("run pywebbench load");
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "pywebbench load {url} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("pywebbench load --json prints JSON");
    let text = std::fs::read_to_string(&records_path).expect("records file");
    let records = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record per line"))
        .collect();
    LoadRun {
        summary,
        records,
        wall,
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("address").port()
}
