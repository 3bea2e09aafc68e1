//! Importing k6's `--out json` metric points as [`RequestRecord`]s (the mapping
//! is in the parent module's documentation; the columns taken straight from a k6
//! metric are named by the column table, `analysis::columns::COLUMNS`).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use analysis::columns::{COLUMNS, CellMut};

use super::START_METRIC;
use crate::load::{ErrorKind, LoadError, RequestRecord, ScenarioOutcome};

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
    /// k6 ≥ 0.41 puts the high-cardinality `vu` and `iter` here, and the script's `it`.
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

/// One request's points so far: the columns k6 gives as a metric of their own
/// (`ColumnSpec::k6`) and the status in `record`, what the others are made from
/// beside it.
#[derive(Default)]
struct Partial {
    request: bool,
    iteration: Option<u64>,
    end_unix_ns: i64,
    blocked_ns: i64,
    error_code: u32,
    record: RequestRecord,
}

/// Not a column: k6's time before the request was sent (the connect included),
/// which `start_ns` takes off the end.
const BLOCKED_METRIC: &str = "http_req_blocked";

/// A metric point's value into its column: a k6 trend (ms) into a time in ns, a
/// counter as the count.
fn set_column(record: &mut RequestRecord, column: &str, value: f64) {
    match record.cell_mut(column) {
        Some(CellMut::I64(x)) => *x = ms_to_ns(value),
        Some(CellMut::U64(x)) => *x = value as u64,
        Some(CellMut::U32(x)) => *x = value as u32,
        Some(CellMut::U16(x)) => *x = value as u16,
        Some(CellMut::Error(_)) | None => {}
    }
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
/// Time zero is the scenario start the script reported ([`START_METRIC`]), else
/// `fallback_t0_unix_ns` (the wall clock when k6 was spawned).
pub fn import(
    reader: impl BufRead,
    file: &Path,
    truncated: bool,
    fallback_t0_unix_ns: i64,
) -> Result<Imported, LoadError> {
    let mut partial: HashMap<(u32, u64), Partial> = HashMap::new();
    let mut dropped = 0u64;
    let mut scenario_start_ms: Option<f64> = None;
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
        if parsed.metric == START_METRIC {
            // Every VU reports the same start; keep the earliest all the same.
            if let Some(v) = parsed.data.value {
                scenario_start_ms = Some(scenario_start_ms.map_or(v, |s: f64| s.min(v)));
            }
            continue;
        }
        let column = COLUMNS
            .iter()
            .find(|c| c.k6 == Some(parsed.metric.as_str()));
        if column.is_none() && parsed.metric != BLOCKED_METRIC && parsed.metric != "http_reqs" {
            continue;
        }
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
                "point of {} without vu/iter (the script's systemTags must include them; was it written by pywebbench?)",
                parsed.metric
            )));
        };
        let p = partial.entry((vu, iter)).or_default();
        if let Some(it) = meta.it.as_deref().or(tags.it.as_deref()) {
            p.iteration = it.parse().ok();
        }
        let value = parsed.data.value.unwrap_or(0.0);
        match column {
            Some(c) => set_column(&mut p.record, c.name, value),
            None if parsed.metric == BLOCKED_METRIC => p.blocked_ns = ms_to_ns(value),
            None => {}
        }
        if parsed.metric.starts_with("http_req") {
            p.request = true;
            p.record.status = tags
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
    // k6 reports the start in whole ms (exact in an f64).
    let t0 = scenario_start_ms.map_or(fallback_t0_unix_ns, |ms| (ms.round() as i64) * 1_000_000);
    let numbered = partial
        .values()
        .filter(|p| p.request)
        .all(|p| p.iteration.is_some());
    let mut records: Vec<RequestRecord> = partial
        .into_iter()
        .filter(|(_, p)| p.request)
        .map(|((vu, iter), p)| {
            let end_ns = p.end_unix_ns - t0;
            let start_ns = end_ns - p.record.latency_ns - p.blocked_ns;
            RequestRecord {
                vu: vu.saturating_sub(1),
                // k6's per-VU `iter` until renumbered below
                iteration: p.iteration.filter(|_| numbered).unwrap_or(iter),
                scheduled_ns: start_ns,
                start_ns,
                end_ns,
                error: error_kind(p.record.status, p.error_code),
                // latency, ttfb, connect, bytes (their k6 metrics) and status
                ..p.record
            }
        })
        .collect();
    if numbered {
        records.sort_by_key(|r| (r.start_ns, r.iteration));
    } else {
        // A constant request: the iteration index is the order k6 began them in.
        records.sort_by_key(|r| (r.start_ns, r.vu, r.iteration));
        for (i, r) in records.iter_mut().enumerate() {
            r.iteration = i as u64;
        }
    }
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
        // k6 v1.1.0's --out json lines as the records script makes them: metadata vu,
        // iter and it, tags status/error_code; the scenario start (ms) from the gauge.
        let lines = r#"{"type":"Metric","data":{"name":"pywebbench_scenario_start","type":"gauge","contains":"default","thresholds":[],"submetrics":null},"metric":"pywebbench_scenario_start"}
{"metric":"pywebbench_scenario_start","type":"Point","data":{"time":"2025-01-01T00:00:00.500000000Z","value":1.735689600499e+12,"tags":{},"metadata":{"it":"8","iter":"0","vu":"2"}}}
{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}
{"metric":"http_reqs","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":1,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":2.5,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_waiting","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":2.0,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_blocked","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0.5,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_connecting","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0.25,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"http_req_failed","type":"Point","data":{"time":"2025-01-01T00:00:01.000000000Z","value":0,"tags":{"status":"200"},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"data_sent","type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":90,"tags":{},"metadata":{"vu":"1","iter":"3","it":"7"}}}
{"metric":"data_received","type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":210,"tags":{},"metadata":{"it":"7","iter":"3","vu":"1"}}}
{"metric":"iterations","type":"Point","data":{"time":"2025-01-01T00:00:01.001000000Z","value":1,"tags":{},"metadata":{"it":"7","iter":"3","vu":"1"}}}
{"metric":"vus","type":"Point","data":{"time":"2025-01-01T00:00:01.5Z","value":2,"tags":{}}}
{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:02.000000000Z","value":1,"tags":{"status":"0","error_code":"1050"},"metadata":{"vu":"2","iter":"0","it":"8"}}}
{"metric":"dropped_iterations","type":"Point","data":{"time":"2025-01-01T00:00:02.000000000Z","value":1,"tags":{}}}
{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:02.0"#;
        let imp = import(lines.as_bytes(), Path::new("x.json"), true, 0).unwrap();
        assert_eq!(imp.records.len(), 2);
        let r = imp.records[0];
        assert_eq!((r.vu, r.iteration, r.status, r.error), (0, 7, 200, None));
        assert_eq!(r.latency_ns, 2_500_000);
        assert_eq!(r.ttfb_ns, 2_000_000);
        assert_eq!(r.connect_ns, 250_000);
        // Time zero = the scenario's start, 00:00:00.499: the request ended 501 ms
        // later and began 3 ms before its end (duration 2.5 + blocked 0.5).
        assert_eq!(imp.outcome.started_at_unix_ns, 1_735_689_600_499_000_000);
        assert_eq!((r.start_ns, r.end_ns), (498_000_000, 501_000_000));
        assert_eq!((r.bytes_out, r.bytes_in), (90, 210));
        let t = imp.records[1];
        assert_eq!(
            (t.vu, t.iteration, t.error),
            (1, 8, Some(ErrorKind::Timeout))
        );
        assert_eq!(imp.outcome.active_ns, 1_501_000_000);
        assert_eq!(imp.outcome.dropped_iterations, 1);
        assert_eq!(imp.outcome.errors, 1);
        // A cut line is an error unless k6 was killed.
        assert!(import(lines.as_bytes(), Path::new("x.json"), false, 0).is_err());
        // Without the start point (k6 killed early), the fallback is time zero.
        let no_start: String = lines.lines().skip(2).collect::<Vec<_>>().join("\n");
        let imp = import(
            no_start.as_bytes(),
            Path::new("x.json"),
            true,
            1_735_689_600_000_000_000,
        )
        .unwrap();
        assert_eq!(imp.records[0].end_ns, 1_000_000_000);
        // A constant request (no `it`): numbered in the order k6 began them.
        let constant: String = lines
            .lines()
            .map(|l| l.replace(r#","it":"7""#, "").replace(r#","it":"8""#, ""))
            .collect::<Vec<_>>()
            .join("\n");
        let imp = import(constant.as_bytes(), Path::new("x.json"), true, 0).unwrap();
        let its: Vec<(u32, u64)> = imp.records.iter().map(|r| (r.vu, r.iteration)).collect();
        assert_eq!(its, [(0, 0), (1, 1)]);
        // A point without vu/iter names the cause.
        let bare = r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2025-01-01T00:00:01Z","value":1,"tags":{"status":"200"}}}"#;
        let Err(err) = import(bare.as_bytes(), Path::new("x.json"), false, 0) else {
            panic!("a point without vu/iter must be refused");
        };
        let err = err.to_string();
        assert!(err.contains("without vu/iter"), "{err}");
    }

    #[test]
    fn the_documented_mapping_is_the_column_tables() {
        // `k6.rs`'s table: | `latency_ns` | `http_req_duration` |, and
        // | `bytes_out` / `bytes_in` | `data_sent` / `data_received` ... |.
        let doc = include_str!("../k6.rs");
        let quoted = |cell: &str| -> Vec<String> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        let rows: Vec<(Vec<String>, Vec<String>)> = doc
            .lines()
            .filter_map(|l| {
                let mut cells = l.strip_prefix("//! |")?.split('|');
                Some((quoted(cells.next()?), quoted(cells.next()?)))
            })
            .collect();
        let mut checked = 0;
        for c in COLUMNS.iter().filter(|c| c.k6.is_some()) {
            let documented = rows.iter().find_map(|(cols, metrics)| {
                let i = cols.iter().position(|n| n == c.name)?;
                metrics.get(i).cloned()
            });
            assert_eq!(documented.as_deref(), c.k6, "{}", c.name);
            let mut r = RequestRecord::default();
            set_column(&mut r, c.name, 1.5);
            assert_ne!(r, RequestRecord::default(), "{} takes a k6 value", c.name);
            checked += 1;
        }
        assert_eq!(checked, 5);
    }
}
