//! Columnar samples: the in-memory form of `samples.parquet`. Strings are stored once
//! in small dictionaries (`stacks`, `scenarios`) and referenced by index per row, so
//! 3 million samples take tens of megabytes rather than hundreds.

use crate::schema::{ErrorKind, SampleRecord};

/// The logical sample columns, in the order of [`SampleRecord`]'s fields: what
/// [`SampleColumns`] holds and what schema v1 files (`samples.parquet`) store.
pub const SAMPLE_COLUMNS: [&str; 15] = [
    "stack",
    "repetition",
    "scenario",
    "vu",
    "iteration",
    "scheduled_ns",
    "start_ns",
    "end_ns",
    "latency_ns",
    "ttfb_ns",
    "connect_ns",
    "status",
    "bytes_in",
    "bytes_out",
    "error",
];

/// Stored instead of `scheduled_ns` from schema v2 on: `start_ns − scheduled_ns`
/// (0 in the closed-model executors, where the request starts when it is due).
pub const SCHEDULE_LAG_NS: &str = "schedule_lag_ns";
/// Stored instead of `end_ns` from schema v2 on: `end_ns − (start_ns + connect_ns +
/// latency_ns)` (0 for the native generator, which measures all four on one clock).
pub const END_EXTRA_NS: &str = "end_extra_ns";
/// Stored instead of `ttfb_ns` from schema v2 on: `latency_ns − ttfb_ns` (sending
/// plus receiving: small values, 2.5 instead of 3.1 bytes per sample).
pub const TRANSFER_NS: &str = "transfer_ns";

/// The columns schema v2 files (`samples/<stack>.parquet`) store, in file order:
/// [`SAMPLE_COLUMNS`] with `scheduled_ns`, `end_ns` and `ttfb_ns` replaced by
/// their offsets ([`SCHEDULE_LAG_NS`], [`END_EXTRA_NS`], [`TRANSFER_NS`]).
pub const STORED_COLUMNS: [&str; 15] = [
    "stack",
    "repetition",
    "scenario",
    "vu",
    "iteration",
    SCHEDULE_LAG_NS,
    "start_ns",
    END_EXTRA_NS,
    "latency_ns",
    TRANSFER_NS,
    "connect_ns",
    "status",
    "bytes_in",
    "bytes_out",
    "error",
];

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

/// All samples of a run, column by column. Row `i` of every non-empty column is
/// the same request. Columns not needed by the analysis may be left empty by
/// [`crate::read_samples_for_analysis`]; [`SampleColumns::is_complete`] tells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleColumns {
    /// The run id stored in the file's metadata (`pywebbench.run_id`), if any.
    pub run_id: Option<String>,
    /// Dictionary of stack names; `stack[i]` indexes it.
    pub stacks: Vec<String>,
    /// Dictionary of scenario names; `scenario[i]` indexes it.
    pub scenarios: Vec<String>,
    pub stack: Vec<u16>,
    pub repetition: Vec<u32>,
    pub scenario: Vec<u16>,
    pub vu: Vec<u32>,
    pub iteration: Vec<u64>,
    pub scheduled_ns: Vec<i64>,
    pub start_ns: Vec<i64>,
    pub end_ns: Vec<i64>,
    pub latency_ns: Vec<i64>,
    pub ttfb_ns: Vec<i64>,
    pub connect_ns: Vec<i64>,
    pub status: Vec<u16>,
    pub bytes_in: Vec<u64>,
    pub bytes_out: Vec<u64>,
    pub error: Vec<Option<ErrorKind>>,
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
        [
            self.vu.len(),
            self.iteration.len(),
            self.scheduled_ns.len(),
            self.start_ns.len(),
            self.end_ns.len(),
            self.connect_ns.len(),
            self.status.len(),
            self.bytes_in.len(),
            self.bytes_out.len(),
        ]
        .iter()
        .all(|&l| l == n)
            && self.repetition.len() == n
            && self.scenario.len() == n
            && self.latency_ns.len() == n
            && self.ttfb_ns.len() == n
            && self.error.len() == n
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
        let n = records.len();
        c.reserve(n);
        for r in records {
            let s = Self::intern(&mut c.stacks, &r.stack);
            let sc = Self::intern(&mut c.scenarios, &r.scenario);
            c.stack.push(s);
            c.repetition.push(r.repetition);
            c.scenario.push(sc);
            c.vu.push(r.vu);
            c.iteration.push(r.iteration);
            c.scheduled_ns.push(r.scheduled_ns);
            c.start_ns.push(r.start_ns);
            c.end_ns.push(r.end_ns);
            c.latency_ns.push(r.latency_ns);
            c.ttfb_ns.push(r.ttfb_ns);
            c.connect_ns.push(r.connect_ns);
            c.status.push(r.status);
            c.bytes_in.push(r.bytes_in);
            c.bytes_out.push(r.bytes_out);
            c.error.push(r.error);
        }
        c
    }

    fn reserve(&mut self, n: usize) {
        self.stack.reserve(n);
        self.repetition.reserve(n);
        self.scenario.reserve(n);
        self.vu.reserve(n);
        self.iteration.reserve(n);
        self.scheduled_ns.reserve(n);
        self.start_ns.reserve(n);
        self.end_ns.reserve(n);
        self.latency_ns.reserve(n);
        self.ttfb_ns.reserve(n);
        self.connect_ns.reserve(n);
        self.status.reserve(n);
        self.bytes_in.reserve(n);
        self.bytes_out.reserve(n);
        self.error.reserve(n);
    }

    /// Row `i` as a record. Panics if `i` is out of range or a column was not read.
    pub fn record(&self, i: usize) -> SampleRecord {
        SampleRecord {
            stack: self.stacks[self.stack[i] as usize].clone(),
            repetition: self.repetition[i],
            scenario: self.scenarios[self.scenario[i] as usize].clone(),
            vu: self.vu[i],
            iteration: self.iteration[i],
            scheduled_ns: self.scheduled_ns[i],
            start_ns: self.start_ns[i],
            end_ns: self.end_ns[i],
            latency_ns: self.latency_ns[i],
            ttfb_ns: self.ttfb_ns[i],
            connect_ns: self.connect_ns[i],
            status: self.status[i],
            bytes_in: self.bytes_in[i],
            bytes_out: self.bytes_out[i],
            error: self.error[i],
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
        let stacks: Vec<u16> = src
            .stacks
            .iter()
            .map(|s| Self::intern(&mut self.stacks, s))
            .collect();
        let scenarios: Vec<u16> = src
            .scenarios
            .iter()
            .map(|s| Self::intern(&mut self.scenarios, s))
            .collect();
        if self.run_id.is_none() {
            self.run_id.clone_from(&src.run_id);
        }
        self.stack
            .extend(src.stack.iter().map(|&i| stacks[i as usize]));
        self.scenario
            .extend(src.scenario.iter().map(|&i| scenarios[i as usize]));
        self.repetition.extend_from_slice(&src.repetition);
        self.vu.extend_from_slice(&src.vu);
        self.iteration.extend_from_slice(&src.iteration);
        self.scheduled_ns.extend_from_slice(&src.scheduled_ns);
        self.start_ns.extend_from_slice(&src.start_ns);
        self.end_ns.extend_from_slice(&src.end_ns);
        self.latency_ns.extend_from_slice(&src.latency_ns);
        self.ttfb_ns.extend_from_slice(&src.ttfb_ns);
        self.connect_ns.extend_from_slice(&src.connect_ns);
        self.status.extend_from_slice(&src.status);
        self.bytes_in.extend_from_slice(&src.bytes_in);
        self.bytes_out.extend_from_slice(&src.bytes_out);
        self.error.extend_from_slice(&src.error);
    }

    /// The rows of one stack (by dictionary index), in their current order, with a
    /// one-entry stack dictionary. Requires a complete read.
    pub fn stack_rows(&self, stack: u16) -> SampleColumns {
        let rows: Vec<usize> = (0..self.len())
            .filter(|&i| self.stack[i] == stack)
            .collect();
        let mut c = SampleColumns {
            run_id: self.run_id.clone(),
            stacks: vec![self.stacks[stack as usize].clone()],
            scenarios: self.scenarios.clone(),
            ..SampleColumns::default()
        };
        c.reserve(rows.len());
        for &i in &rows {
            c.stack.push(0);
            c.repetition.push(self.repetition[i]);
            c.scenario.push(self.scenario[i]);
            c.vu.push(self.vu[i]);
            c.iteration.push(self.iteration[i]);
            c.scheduled_ns.push(self.scheduled_ns[i]);
            c.start_ns.push(self.start_ns[i]);
            c.end_ns.push(self.end_ns[i]);
            c.latency_ns.push(self.latency_ns[i]);
            c.ttfb_ns.push(self.ttfb_ns[i]);
            c.connect_ns.push(self.connect_ns[i]);
            c.status.push(self.status[i]);
            c.bytes_in.push(self.bytes_in[i]);
            c.bytes_out.push(self.bytes_out[i]);
            c.error.push(self.error[i]);
        }
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
        (0..self.len()).find(|&k| {
            let (i, j) = (a[k], b[k]);
            self.stacks[self.stack[i] as usize] != other.stacks[other.stack[j] as usize]
                || self.scenarios[self.scenario[i] as usize]
                    != other.scenarios[other.scenario[j] as usize]
                || self.repetition[i] != other.repetition[j]
                || self.vu[i] != other.vu[j]
                || self.iteration[i] != other.iteration[j]
                || self.scheduled_ns[i] != other.scheduled_ns[j]
                || self.start_ns[i] != other.start_ns[j]
                || self.end_ns[i] != other.end_ns[j]
                || self.latency_ns[i] != other.latency_ns[j]
                || self.ttfb_ns[i] != other.ttfb_ns[j]
                || self.connect_ns[i] != other.connect_ns[j]
                || self.status[i] != other.status[j]
                || self.bytes_in[i] != other.bytes_in[j]
                || self.bytes_out[i] != other.bytes_out[j]
                || self.error[i] != other.error[j]
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
