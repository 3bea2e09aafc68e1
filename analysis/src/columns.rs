//! The sample columns. One table ([`COLUMNS`], written as the `sample_table!` rows
//! below) names every column of a sample, in file order, with its type, how the
//! files store it and where the k6 import takes it from; the structs
//! ([`SampleColumns`], [`SampleRecord`], [`RequestRecord`], [`SampleKey`]), the
//! Parquet schema and writer ([`crate::write`]), the readers of both layouts
//! ([`crate::read`]) and the k6 import follow from it. Adding a column is one row
//! here plus the code that fills it (the generators, the k6 import, the synthetic
//! run); data/README.md's table must list it too (`tests/columns_table.rs` checks).
//!
//! [`SampleColumns`] is the in-memory form of the sample files: strings are stored
//! once in small dictionaries (`stacks`, `scenarios`) and referenced by index per
//! row, so 3 million samples take tens of megabytes rather than hundreds.

use serde::{Deserialize, Serialize};

#[macro_use]
mod table;

pub use table::{CellMut, ColumnMut, ColumnRef, ColumnSpec, ColumnType, Offset};

sample_table! {
    key {
        /// Stack name, e.g. `fastapi-sqlite3`.
        stack: Name(stacks) .analysis(),
        /// 1-based repetition number (0: the profiled repetition of a `run --profile` run).
        repetition: U32 .analysis().range("a repetition number is 1..=4294967295"),
        /// Scenario name from the campaign, e.g. `hello`.
        scenario: Name(scenarios) .analysis(),
    }
    request {
        /// 0-based virtual user index.
        vu: U32 .range("a VU index is 0..=4294967295"),
        /// 0-based iteration index within the scenario (global, not per VU).
        iteration: U64 .delta(),
        /// When the request was due: the schedule in `constant-arrival-rate`,
        /// equal to `start_ns` in closed-model executors.
        scheduled_ns: I64 .delta().offset(SCHEDULE_LAG),
        /// When the generator began this request (before any connection set-up).
        start_ns: I64 .delta(),
        /// When the last byte of the response arrived (or the request failed).
        end_ns: I64 .delta().offset(END_EXTRA),
        /// k6 `http_req_duration`: sending + waiting + receiving; connection set-up excluded.
        latency_ns: I64 .delta().analysis().k6("http_req_duration"),
        /// k6 `http_req_waiting` (time to first byte): from the request fully sent
        /// to the first byte of the response.
        ttfb_ns: I64 .delta().analysis().offset(TRANSFER).k6("http_req_waiting"),
        /// k6 `http_req_connecting`: TCP connect time; 0 when a kept-alive connection was reused.
        connect_ns: I64 .delta().k6("http_req_connecting"),
        /// HTTP status, 0 when no response arrived.
        status: U16 .range("an HTTP status is 0..=65535"),
        /// Response bytes received (headers + body).
        bytes_in: U64 .k6("data_received"),
        /// Request bytes sent (headers + body).
        bytes_out: U64 .k6("data_sent"),
        /// `None` when the request succeeded.
        error: Error .analysis(),
    }
}

/// The columns schema v2 files (`samples/<stack>.parquet`) store, in file order:
/// [`SAMPLE_COLUMNS`] with `scheduled_ns`, `end_ns` and `ttfb_ns` replaced by
/// their offsets ([`SCHEDULE_LAG_NS`], [`END_EXTRA_NS`], [`TRANSFER_NS`]).
pub const STORED_COLUMNS: [&str; COLUMNS.len()] = {
    let mut names = SAMPLE_COLUMNS;
    let mut i = 0;
    while i < COLUMNS.len() {
        names[i] = COLUMNS[i].stored();
        i += 1;
    }
    names
};

impl SampleRecord {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Stored instead of `scheduled_ns` from schema v2 on: `start_ns − scheduled_ns`
/// (0 in the closed-model executors, where the request starts when it is due).
pub const SCHEDULE_LAG_NS: &str = "schedule_lag_ns";
/// Stored instead of `end_ns` from schema v2 on: `end_ns − (start_ns + connect_ns +
/// latency_ns)` (0 for the native generator, which measures all four on one clock).
pub const END_EXTRA_NS: &str = "end_extra_ns";
/// Stored instead of `ttfb_ns` from schema v2 on: `latency_ns − ttfb_ns` (sending
/// plus receiving: small values, 2.5 instead of 3.1 bytes per sample).
pub const TRANSFER_NS: &str = "transfer_ns";

/// `scheduled_ns` as [`SCHEDULE_LAG_NS`].
pub const SCHEDULE_LAG: Offset = Offset {
    stored: SCHEDULE_LAG_NS,
    encode: |c, rows| {
        rows.iter()
            .map(|&i| schedule_lag(c.start_ns[i], c.scheduled_ns[i]))
            .collect()
    },
    decode: |c, lag| {
        c.start_ns
            .iter()
            .zip(lag)
            .map(|(&s, &l)| scheduled_from_lag(s, l))
            .collect()
    },
};

/// `end_ns` as [`END_EXTRA_NS`].
pub const END_EXTRA: Offset = Offset {
    stored: END_EXTRA_NS,
    encode: |c, rows| {
        rows.iter()
            .map(|&i| end_extra(c.end_ns[i], c.start_ns[i], c.connect_ns[i], c.latency_ns[i]))
            .collect()
    },
    decode: |c, extra| {
        (0..extra.len())
            .map(|i| end_from_extra(extra[i], c.start_ns[i], c.connect_ns[i], c.latency_ns[i]))
            .collect()
    },
};

/// `ttfb_ns` as [`TRANSFER_NS`].
pub const TRANSFER: Offset = Offset {
    stored: TRANSFER_NS,
    encode: |c, rows| {
        rows.iter()
            .map(|&i| transfer(c.latency_ns[i], c.ttfb_ns[i]))
            .collect()
    },
    decode: |c, t| {
        c.latency_ns
            .iter()
            .zip(t)
            .map(|(&l, &t)| ttfb_from_transfer(l, t))
            .collect()
    },
};

/// The offsets are two's-complement (wrapping) differences, so every i64 value
/// round-trips exactly, whatever the other columns hold.
pub fn schedule_lag(start_ns: i64, scheduled_ns: i64) -> i64 {
    start_ns.wrapping_sub(scheduled_ns)
}

/// `scheduled_ns` back from `start_ns` and [`schedule_lag`].
pub fn scheduled_from_lag(start_ns: i64, lag_ns: i64) -> i64 {
    start_ns.wrapping_sub(lag_ns)
}

/// `end_ns − (start_ns + connect_ns + latency_ns)`, wrapping.
pub fn end_extra(end_ns: i64, start_ns: i64, connect_ns: i64, latency_ns: i64) -> i64 {
    end_ns.wrapping_sub(start_ns.wrapping_add(connect_ns).wrapping_add(latency_ns))
}

/// `end_ns` back from its parts and [`end_extra`].
pub fn end_from_extra(extra_ns: i64, start_ns: i64, connect_ns: i64, latency_ns: i64) -> i64 {
    extra_ns.wrapping_add(start_ns.wrapping_add(connect_ns).wrapping_add(latency_ns))
}

/// `latency_ns − ttfb_ns`, wrapping.
pub fn transfer(latency_ns: i64, ttfb_ns: i64) -> i64 {
    latency_ns.wrapping_sub(ttfb_ns)
}

/// `ttfb_ns` back from `latency_ns` and [`transfer`].
pub fn ttfb_from_transfer(latency_ns: i64, transfer_ns: i64) -> i64 {
    latency_ns.wrapping_sub(transfer_ns)
}

/// Prefix of the warm-up scenarios recorded in the same file (`warmup_hello`, ...).
pub const WARMUP_PREFIX: &str = "warmup";

/// Is this scenario a warm-up (excluded from the statistics, counted in the summary)?
pub fn is_warmup(scenario: &str) -> bool {
    scenario.starts_with(WARMUP_PREFIX)
}

impl SampleColumns {
    /// Number of samples (rows).
    pub fn len(&self) -> usize {
        self.stack.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    /// True when every column is present (read with [`crate::read_samples`]).
    pub fn is_complete(&self) -> bool {
        let n = self.len();
        self.columns().iter().all(|c| c.len() == n)
    }

    /// Index of `name` in `dict`, adding it when new.
    pub fn intern(dict: &mut Vec<String>, name: &str) -> u16 {
        match dict.iter().position(|s| s == name) {
            Some(i) => i as u16,
            None => {
                dict.push(name.to_string());
                (dict.len() - 1) as u16
            }
        }
    }

    /// Columnar copy of row-oriented records (order kept).
    pub fn from_records(records: &[SampleRecord]) -> SampleColumns {
        let mut c = SampleColumns::default();
        c.reserve(records.len());
        for r in records {
            c.push_record(r);
        }
        c
    }

    fn reserve(&mut self, n: usize) {
        for mut col in self.columns_mut() {
            col.reserve(n);
        }
    }

    /// Row-oriented copy (only for small files and tests: one `String` pair per row).
    /// Requires a complete read ([`SampleColumns::is_complete`]).
    pub fn to_records(&self) -> Vec<SampleRecord> {
        (0..self.len()).map(|i| self.record(i)).collect()
    }

    /// Append `src`'s rows (complete or analysis-only, as `self`), re-indexing the
    /// string dictionaries.
    pub fn append(&mut self, src: &SampleColumns) {
        if self.run_id.is_none() {
            self.run_id.clone_from(&src.run_id);
        }
        for (mut dst, from) in self.columns_mut().into_iter().zip(src.columns()) {
            dst.extend(from, None);
        }
    }

    /// The rows of one stack (by dictionary index), in their current order, with a
    /// one-entry stack dictionary. Requires a complete read.
    pub fn stack_rows(&self, stack: u16) -> SampleColumns {
        let rows: Vec<usize> = (0..self.len())
            .filter(|&i| self.stack[i] == stack)
            .collect();
        // Same dictionaries first (the indices copy as they are), then the stack's alone.
        let mut c = SampleColumns {
            run_id: self.run_id.clone(),
            stacks: self.stacks.clone(),
            scenarios: self.scenarios.clone(),
            ..SampleColumns::default()
        };
        c.reserve(rows.len());
        for (mut dst, from) in c.columns_mut().into_iter().zip(self.columns()) {
            dst.extend(from, Some(&rows));
        }
        c.stacks = vec![self.stacks[stack as usize].clone()];
        c.stack.fill(0);
        c
    }

    /// The stacks present, sorted by name, each with its rows ([`Self::stack_rows`]):
    /// one `samples/<stack>.parquet` each.
    pub fn split_by_stack(&self) -> Vec<(String, SampleColumns)> {
        let mut present: Vec<u16> = self.stack.clone();
        present.sort_unstable();
        present.dedup();
        let mut out: Vec<(String, SampleColumns)> = present
            .into_iter()
            .map(|s| (self.stacks[s as usize].clone(), self.stack_rows(s)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The first row (in [`Self::sorted_order`], the files' order) where two complete
    /// reads differ in any logical value, or `Some(len)` when the row counts differ;
    /// `None` when they hold the same samples.
    pub fn first_difference(&self, other: &SampleColumns) -> Option<usize> {
        if self.len() != other.len() {
            return Some(self.len().min(other.len()));
        }
        let (a, b) = (self.sorted_order(), other.sorted_order());
        let (mine, theirs) = (self.columns(), other.columns());
        (0..self.len()).find(|&k| {
            let (i, j) = (a[k], b[k]);
            mine.iter().zip(&theirs).any(|(x, y)| !x.same(i, y, j))
        })
    }

    /// Permutation that sorts rows by stack, repetition, scenario, start_ns
    /// (strings compared by name, not dictionary index) — the file's row order.
    pub fn sorted_order(&self) -> Vec<usize> {
        let rank = |dict: &[String]| -> Vec<usize> {
            let mut idx: Vec<usize> = (0..dict.len()).collect();
            idx.sort_by(|&a, &b| dict[a].cmp(&dict[b]));
            let mut r = vec![0; dict.len()];
            for (pos, &i) in idx.iter().enumerate() {
                r[i] = pos;
            }
            r
        };
        let stack_rank = rank(&self.stacks);
        let scenario_rank = rank(&self.scenarios);
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| {
            (
                stack_rank[self.stack[i] as usize],
                self.repetition[i],
                scenario_rank[self.scenario[i] as usize],
                self.start_ns[i],
            )
        });
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ErrorKind;

    #[test]
    fn a_request_record_serialises_under_the_column_names() {
        let r = RequestRecord {
            error: Some(ErrorKind::HttpStatus),
            ..RequestRecord::default()
        };
        let v = serde_json::to_value(r).expect("serialises");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut request: Vec<&str> = SAMPLE_COLUMNS
            .into_iter()
            .filter(|c| !["stack", "repetition", "scenario"].contains(c))
            .collect();
        request.sort_unstable();
        assert_eq!(keys, request);
        assert_eq!(v["error"], "http_status");
        assert_eq!(v["latency_ns"], 0);
    }

    #[test]
    fn push_and_record_go_through_every_column() {
        let mut c = SampleColumns::default();
        let key = SampleKey {
            stack: SampleColumns::intern(&mut c.stacks, "s"),
            repetition: 2,
            scenario: SampleColumns::intern(&mut c.scenarios, "hello"),
        };
        let r = RequestRecord {
            vu: 1,
            iteration: 2,
            scheduled_ns: 3,
            start_ns: 4,
            end_ns: 5,
            latency_ns: 6,
            ttfb_ns: 7,
            connect_ns: 8,
            status: 9,
            bytes_in: 10,
            bytes_out: 11,
            error: Some(ErrorKind::Io),
        };
        c.push(key, &r);
        assert!(c.is_complete() && c.len() == 1);
        let back = c.record(0);
        assert_eq!((back.stack.as_str(), back.repetition), ("s", 2));
        assert_eq!((back.vu, back.ttfb_ns, back.bytes_out), (1, 7, 11));
        assert_eq!(SampleColumns::from_records(&[back]), c);
    }
}
