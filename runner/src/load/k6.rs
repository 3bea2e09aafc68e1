//! `--loadgen k6`: the same [`ScenarioPlan`] run by the real k6 binary.
//!
//! [`script`] writes a k6 script whose `options.scenarios` entry maps the plan's
//! executor 1:1 (vus, duration, iterations, maxDuration, rate, timeUnit,
//! preAllocatedVUs, maxVUs; gracefulStop 30 s as k6's default) and carries the
//! requests as data, indexed by `exec.scenario.iterationInTest` (the same global
//! iteration index the native generator passes to [`RequestSource::request`]).
//! k6 runs it with `--out json=FILE`; [`import`] turns k6's per-request metric
//! points into [`RequestRecord`]s:
//!
//! | record field | k6 metric point (`vu`, `iter` join the points of one request) |
//! |---|---|
//! | `latency_ns` | `http_req_duration` |
//! | `ttfb_ns` | `http_req_waiting` |
//! | `connect_ns` | `http_req_connecting` |
//! | `end_ns` | the points' `time` (k6 stamps them with the request's end) |
//! | `start_ns` | end − `http_req_duration` − `http_req_blocked` (blocked includes the connect) |
//! | `status`, `error` | tags `status`, `error_code` (k6 `lib/netext/httpext/error_codes.go`) |
//! | `bytes_out` / `bytes_in` | `data_sent` / `data_received` of the iteration (one request each) |
//! | `iteration` | the request's `it` tag (= `iterationInTest`) |
//! | `vu` | `vu` − 1 (k6 numbers VUs from 1; k6 1.x puts `vu` and `iter` in the points' metadata) |
//!
//! k6 does not report when its scenario began, so the time zero of the imported
//! records is the start of the first request. `scheduled_ns` = `start_ns` (k6
//! does not expose the arrival-rate schedule per request). The import happens
//! after k6 exits, so records reach `tx` at the end, not live.
//! For a `constant-vus` or arrival-rate plan whose requests vary per iteration,
//! the script carries the first [`MAX_SCRIPT_REQUESTS`] requests and cycles
//! through them (the campaign's constant-vus scenarios send a constant request).
//! On `stop` the k6 process is killed and what it wrote so far is imported.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{mpsc, watch};

use super::{
    BATCH, ErrorKind, Executor, GRACEFUL_STOP, LoadError, RequestRecord, ScenarioOutcome,
    ScenarioPlan, Target,
};

/// Cap on the requests embedded in a script for executors without a fixed count.
pub const MAX_SCRIPT_REQUESTS: u64 = 100_000;

/// Where k6 is: `$PYWEBBENCH_K6`, else `.venv/bin/k6` (`.venv/Scripts/k6.exe` on Windows)
/// under `root`, else `k6` on `PATH`.
pub fn find_k6(root: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("PYWEBBENCH_K6") {
        return PathBuf::from(p);
    }
    let exe = format!("k6{}", std::env::consts::EXE_SUFFIX);
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let venv = root.join(".venv").join(bin).join(&exe);
    if venv.is_file() {
        return venv;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(&exe);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    venv
}

/// k6 duration literal: whole milliseconds when exact, else nanoseconds.
fn k6_duration(d: Duration) -> String {
    if d.as_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}ns", d.as_nanos())
    }
}

fn js(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// How many requests the script must carry for this plan.
fn script_request_count(plan: &ScenarioPlan) -> u64 {
    if plan.requests.constant().is_some() {
        return 1;
    }
    match plan.executor {
        Executor::SharedIterations { iterations, .. } => iterations,
        Executor::ConstantArrivalRate {
            rate,
            time_unit,
            duration,
            ..
        } => {
            let n = (u128::from(rate) * duration.as_nanos()).div_ceil(time_unit.as_nanos());
            (n as u64).clamp(1, MAX_SCRIPT_REQUESTS)
        }
        Executor::ConstantVus { .. } => MAX_SCRIPT_REQUESTS,
    }
    .max(1)
}

/// The k6 script (ES module) for `plan` against `target`.
pub fn script(target: &Target, plan: &ScenarioPlan) -> Result<String, LoadError> {
    plan.executor.validate()?;
    let scenario = match plan.executor {
        Executor::ConstantVus { vus, duration } => format!(
            r#"executor: "{}", vus: {vus}, duration: {}"#,
            plan.executor.k6_name(),
            js(&k6_duration(duration))
        ),
        Executor::SharedIterations {
            vus,
            iterations,
            max_duration,
        } => format!(
            r#"executor: "{}", vus: {vus}, iterations: {iterations}, maxDuration: {}"#,
            plan.executor.k6_name(),
            js(&k6_duration(max_duration))
        ),
        Executor::ConstantArrivalRate {
            rate,
            time_unit,
            duration,
            pre_allocated_vus,
            max_vus,
        } => format!(
            r#"executor: "{}", rate: {rate}, timeUnit: {}, duration: {}, preAllocatedVUs: {pre_allocated_vus}, maxVUs: {max_vus}"#,
            plan.executor.k6_name(),
            js(&k6_duration(time_unit)),
            js(&k6_duration(duration))
        ),
    };
    let mut requests = String::from("[\n");
    for i in 0..script_request_count(plan) {
        let spec = plan.requests.request(i);
        let body = match &spec.body {
            Some(b) => {
                let text = std::str::from_utf8(b).map_err(|_| {
                    LoadError::Plan(format!(
                        "iteration {i}: a k6 request body must be UTF-8 text"
                    ))
                })?;
                js(&text)
            }
            None => "null".into(),
        };
        let _ = writeln!(
            requests,
            "  [{}, {}, {body}],",
            js(&spec.method.as_str()),
            js(&spec.path)
        );
    }
    requests.push(']');
    Ok(format!(
        r#"// Generated by pywebbench from scenario {name}: do not edit.
import http from "k6/http";
import exec from "k6/execution";

const BASE = {base};
const TIMEOUT = {timeout};
const JSON_HEADERS = {{ "Content-Type": "application/json" }};
// [method, path, body or null], iteration i sends REQUESTS[i % REQUESTS.length]
const REQUESTS = {requests};

export const options = {{
  discardResponseBodies: true,
  systemTags: ["status", "method", "error_code", "scenario", "vu", "iter"],
  scenarios: {{
    {name}: {{ {scenario}, gracefulStop: {graceful} }},
  }},
}};

export default function () {{
  const i = exec.scenario.iterationInTest;
  const r = REQUESTS[i % REQUESTS.length];
  const params = {{ timeout: TIMEOUT, tags: {{ it: String(i) }} }};
  if (r[2] !== null) params.headers = JSON_HEADERS;
  http.request(r[0], BASE + r[1], r[2], params);
}}
"#,
        name = js(&plan.name),
        base = js(&target.base_url()),
        timeout = js(&k6_duration(plan.request_timeout)),
        graceful = js(&k6_duration(GRACEFUL_STOP)),
    ))
}

/// The k6 process: `k6`, or for a target inside a network namespace
/// `nsenter --net=/proc/<pid>/ns/net -- k6` (only the network namespace changes:
/// the script and the output file stay on the host's filesystem).
fn k6_command(k6: &Path, target: &Target) -> tokio::process::Command {
    match &target.netns {
        None => tokio::process::Command::new(k6),
        Some(ns) => {
            let mut cmd = tokio::process::Command::new("nsenter");
            cmd.args(ns.nsenter_args()).arg(k6);
            cmd
        }
    }
}

/// Run `plan` with the k6 binary at `k6`, send its requests as records to `tx`.
pub async fn run_scenario_k6(
    k6: &Path,
    target: &Target,
    plan: &ScenarioPlan,
    tx: mpsc::Sender<Vec<RequestRecord>>,
    mut stop: watch::Receiver<bool>,
) -> Result<ScenarioOutcome, LoadError> {
    if !k6.is_file() {
        return Err(LoadError::K6Missing(k6.to_path_buf()));
    }
    let text = script(target, plan)?;
    let io = |what: &str| {
        let what = what.to_string();
        move |source| LoadError::K6Io { what, source }
    };
    let dir = tempfile::tempdir().map_err(io("temporary directory"))?;
    let script_path = dir.path().join("scenario.js");
    let out_path = dir.path().join("points.json");
    std::fs::write(&script_path, text).map_err(io("script write"))?;
    let mut child = k6_command(k6, target)
        .arg("run")
        .arg("--quiet")
        .arg("--no-summary")
        .arg("--no-usage-report")
        .arg("--no-thresholds")
        // no REST API server: parallel k6 runs would fight over its port
        .arg("--address")
        .arg("")
        .arg("--out")
        .arg(format!("json={}", out_path.display()))
        .arg(&script_path)
        .env("K6_NO_USAGE_REPORT", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(io(&match &target.netns {
            None => format!("start ({})", k6.display()),
            Some(_) => format!(
                "start (nsenter from util-linux, then {}; install util-linux or use --path published-port)",
                k6.display()
            ),
        }))?;
    let mut stderr = child.stderr.take();
    let stderr_text = tokio::spawn(async move {
        let mut buf = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = tokio::io::AsyncReadExt::read_to_string(s, &mut buf).await;
        }
        buf
    });
    let mut stopped = false;
    let status = tokio::select! {
        status = child.wait() => status.map_err(io("wait"))?,
        () = super::stopped(&mut stop) => {
            stopped = true;
            let _ = child.start_kill();
            child.wait().await.map_err(io("wait"))?
        }
    };
    let stderr_text = stderr_text.await.unwrap_or_default();
    if !status.success() && !stopped {
        let last = stderr_text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(LoadError::K6Failed(format!("{status}: {last}")));
    }
    let file = std::fs::File::open(&out_path).map_err(io("output open"))?;
    let imported = import(BufReader::new(file), &out_path, stopped)?;
    let mut outcome = imported.outcome;
    if let Executor::SharedIterations { iterations, .. } = plan.executor {
        outcome.timed_out = outcome.requests < iterations && !stopped;
    }
    for chunk in imported.records.chunks(BATCH) {
        tx.send(chunk.to_vec())
            .await
            .map_err(|_| LoadError::CollectorGone)?;
    }
    Ok(outcome)
}

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    metric: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    time: Option<String>,
    value: Option<f64>,
    #[serde(default)]
    tags: Tags,
    /// k6 ≥ 0.41 moves the high-cardinality `vu` and `iter` here.
    #[serde(default)]
    metadata: Tags,
}

#[derive(Deserialize, Default)]
struct Tags {
    vu: Option<String>,
    iter: Option<String>,
    it: Option<String>,
    status: Option<String>,
    error_code: Option<String>,
}

#[derive(Default)]
struct Partial {
    request: bool,
    iteration: Option<u64>,
    end_unix_ns: i64,
    duration_ns: i64,
    waiting_ns: i64,
    connecting_ns: i64,
    blocked_ns: i64,
    status: u16,
    error_code: u32,
    bytes_in: u64,
    bytes_out: u64,
}

/// k6's `error_code` tag → the schema's error kind.
pub fn error_kind(status: u16, error_code: u32) -> Option<ErrorKind> {
    if status >= 400 {
        return Some(ErrorKind::HttpStatus);
    }
    match error_code {
        0 if status == 0 => Some(ErrorKind::Io),
        0 => None,
        1050 => Some(ErrorKind::Timeout),
        // DNS (11xx) and dial errors (1210 dial, 1211 dial timeout, 1212 refused, 1213)
        1100..=1199 | 1210..=1213 => Some(ErrorKind::Connect),
        // generic, non-TCP, TCP (1200 generic, 1201 broken pipe, 1202 errno, 1220 reset)
        1000..=1049 | 1051..=1099 | 1200..=1209 | 1214..=1299 => Some(ErrorKind::Io),
        // TLS, HTTP/2, content errors
        _ => Some(ErrorKind::Protocol),
    }
}

/// Records imported from a k6 `--out json` file.
pub struct Imported {
    pub records: Vec<RequestRecord>,
    pub outcome: ScenarioOutcome,
}

fn parse_time(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos() as i64)
}

/// Read k6's JSON lines. `truncated` tolerates a cut last line (k6 was killed).
pub fn import(reader: impl BufRead, file: &Path, truncated: bool) -> Result<Imported, LoadError> {
    let mut partial: HashMap<(u32, u64), Partial> = HashMap::new();
    let mut dropped = 0u64;
    let mut lines = reader.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let bad = |why: String| LoadError::K6Output {
            file: file.to_path_buf(),
            line: n + 1,
            why,
        };
        let line = line.map_err(|e| bad(e.to_string()))?;
        let parsed: Line = match serde_json::from_str(&line) {
            Ok(p) => p,
            Err(_) if truncated && lines.peek().is_none() => break,
            Err(e) => return Err(bad(e.to_string())),
        };
        if parsed.kind != "Point" {
            continue;
        }
        if parsed.metric == "dropped_iterations" {
            dropped += parsed.data.value.unwrap_or(0.0) as u64;
            continue;
        }
        let field: fn(&mut Partial, f64) = match parsed.metric.as_str() {
            "http_req_duration" => |p, v| p.duration_ns = ms_to_ns(v),
            "http_req_waiting" => |p, v| p.waiting_ns = ms_to_ns(v),
            "http_req_connecting" => |p, v| p.connecting_ns = ms_to_ns(v),
            "http_req_blocked" => |p, v| p.blocked_ns = ms_to_ns(v),
            "data_sent" => |p, v| p.bytes_out = v as u64,
            "data_received" => |p, v| p.bytes_in = v as u64,
            "http_reqs" => |_, _| {},
            _ => continue,
        };
        let tags = &parsed.data.tags;
        let meta = &parsed.data.metadata;
        let (Some(vu), Some(iter)) = (
            meta.vu
                .as_deref()
                .or(tags.vu.as_deref())
                .and_then(|v| v.parse::<u32>().ok()),
            meta.iter
                .as_deref()
                .or(tags.iter.as_deref())
                .and_then(|v| v.parse::<u64>().ok()),
        ) else {
            return Err(bad(format!(
                "point of {} without vu/iter tags (the script's systemTags must include them)",
                parsed.metric
            )));
        };
        let p = partial.entry((vu, iter)).or_default();
        field(p, parsed.data.value.unwrap_or(0.0));
        if parsed.metric.starts_with("http_req") {
            p.request = true;
            if let Some(it) = tags.it.as_deref().and_then(|v| v.parse().ok()) {
                p.iteration = Some(it);
            }
            p.status = tags
                .status
                .as_deref()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            p.error_code = tags
                .error_code
                .as_deref()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if let Some(t) = parsed.data.time.as_deref().and_then(parse_time) {
                p.end_unix_ns = t;
            }
        }
    }
    let t0 = partial
        .values()
        .filter(|p| p.request)
        .map(|p| p.end_unix_ns - p.duration_ns - p.blocked_ns)
        .min()
        .unwrap_or(0);
    let mut records: Vec<RequestRecord> = partial
        .into_iter()
        .filter(|(_, p)| p.request)
        .map(|((vu, iter), p)| {
            let end_ns = p.end_unix_ns - t0;
            let start_ns = end_ns - p.duration_ns - p.blocked_ns;
            RequestRecord {
                vu: vu.saturating_sub(1),
                iteration: p.iteration.unwrap_or(iter),
                scheduled_ns: start_ns,
                start_ns,
                end_ns,
                latency_ns: p.duration_ns,
                ttfb_ns: p.waiting_ns,
                connect_ns: p.connecting_ns,
                status: p.status,
                bytes_in: p.bytes_in,
                bytes_out: p.bytes_out,
                error: error_kind(p.status, p.error_code),
            }
        })
        .collect();
    records.sort_by_key(|r| (r.start_ns, r.iteration));
    let outcome = ScenarioOutcome {
        started_at_unix_ns: t0,
        active_ns: records.iter().map(|r| r.end_ns).max().unwrap_or(0),
        requests: records.len() as u64,
        errors: records.iter().filter(|r| r.error.is_some()).count() as u64,
        timed_out: false,
        dropped_iterations: dropped,
    };
    Ok(Imported { records, outcome })
}

fn ms_to_ns(ms: f64) -> i64 {
    (ms * 1e6).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{ConstantRequest, RequestList, RequestSource, RequestSpec};
    use hyper::Method;
    use std::sync::Arc;

    fn plan(executor: Executor, requests: Arc<dyn RequestSource>) -> ScenarioPlan {
        ScenarioPlan {
            name: "get_one".into(),
            executor,
            requests,
            request_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn script_maps_executor_options_one_to_one() {
        let list = RequestList(
            (0..3)
                .map(|i| RequestSpec {
                    method: Method::PUT,
                    path: format!("/items/{i}"),
                    body: Some(bytes::Bytes::from(format!("{{\"n\":{i}}}"))),
                })
                .collect(),
        );
        let p = plan(
            Executor::SharedIterations {
                vus: 10,
                iterations: 3,
                max_duration: Duration::from_secs(600),
            },
            Arc::new(list),
        );
        let s = script(&Target::new("127.0.0.1", 8000), &p).unwrap();
        assert!(
            s.contains(
                r#"executor: "shared-iterations", vus: 10, iterations: 3, maxDuration: "600000ms""#
            ),
            "{s}"
        );
        assert!(s.contains(r#"["PUT", "/items/2", "{\"n\":2}"]"#), "{s}");
        assert!(s.contains(r#"const BASE = "http://127.0.0.1:8000";"#));
        assert!(s.contains(r#"const TIMEOUT = "10000ms";"#));

        let rate = plan(
            Executor::ConstantArrivalRate {
                rate: 50,
                time_unit: Duration::from_secs(1),
                duration: Duration::from_millis(2500),
                pre_allocated_vus: 5,
                max_vus: 20,
            },
            Arc::new(ConstantRequest(RequestSpec {
                method: Method::GET,
                path: "/hello".into(),
                body: None,
            })),
        );
        let s = script(&Target::new("localhost", 1), &rate).unwrap();
        assert!(s.contains(r#"executor: "constant-arrival-rate", rate: 50, timeUnit: "1000ms", duration: "2500ms", preAllocatedVUs: 5, maxVUs: 20"#), "{s}");
        assert!(s.contains(r#"["GET", "/hello", null],"#));
    }

    #[test]
    fn k6_error_codes_map_to_error_kinds() {
        assert_eq!(error_kind(200, 0), None);
        assert_eq!(error_kind(500, 1500), Some(ErrorKind::HttpStatus));
        assert_eq!(error_kind(0, 1050), Some(ErrorKind::Timeout));
        assert_eq!(error_kind(0, 1212), Some(ErrorKind::Connect));
        assert_eq!(error_kind(0, 1220), Some(ErrorKind::Io));
        assert_eq!(error_kind(0, 0), Some(ErrorKind::Io));
    }

    #[test]
    fn import_joins_points_of_one_request() {
        let lines = r#"{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}
{"type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":1,"tags":{"vu":"1","iter":"0","it":"7","status":"200","method":"GET"}},"metric":"http_reqs"}
{"type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":2.5,"tags":{"vu":"1","iter":"0","it":"7","status":"200","method":"GET"}},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":2.0,"tags":{"vu":"1","iter":"0","it":"7","status":"200","method":"GET"}},"metric":"http_req_waiting"}
{"type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0.5,"tags":{"vu":"1","iter":"0","it":"7","status":"200","method":"GET"}},"metric":"http_req_blocked"}
{"type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0.25,"tags":{"vu":"1","iter":"0","it":"7","status":"200","method":"GET"}},"metric":"http_req_connecting"}
{"type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":90,"tags":{"scenario":"x"},"metadata":{"vu":"1","iter":"0"}},"metric":"data_sent"}
{"type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":210,"tags":{"vu":"1","iter":"0"}},"metric":"data_received"}
{"type":"Point","data":{"time":"2025-01-01T00:00:02.000000000Z","value":1,"tags":{"vu":"2","iter":"0","it":"8","status":"0","error_code":"1050"}},"metric":"http_req_duration"}
{"type":"Point","data":{"time":"2025-01-01T00:00:02.000000000Z","value":1,"tags":{"scenario":"x"}},"metric":"dropped_iterations"}
{"type":"Point","data":{"time":"2025-01-01T00:00:02.0"#;
        let imp = import(lines.as_bytes(), Path::new("x.json"), true).unwrap();
        assert_eq!(imp.records.len(), 2);
        let r = imp.records[0];
        assert_eq!((r.vu, r.iteration, r.status, r.error), (0, 7, 200, None));
        assert_eq!(r.latency_ns, 2_500_000);
        assert_eq!(r.ttfb_ns, 2_000_000);
        assert_eq!(r.connect_ns, 250_000);
        assert_eq!((r.start_ns, r.end_ns), (0, 3_000_000));
        assert_eq!((r.bytes_out, r.bytes_in), (90, 210));
        let t = imp.records[1];
        assert_eq!(
            (t.vu, t.iteration, t.error),
            (1, 8, Some(ErrorKind::Timeout))
        );
        assert_eq!(imp.outcome.dropped_iterations, 1);
        assert_eq!(imp.outcome.errors, 1);
        // A cut line is an error unless k6 was killed.
        assert!(import(lines.as_bytes(), Path::new("x.json"), false).is_err());
    }
}
