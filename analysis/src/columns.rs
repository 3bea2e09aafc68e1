//! Columnar samples: the in-memory form of `samples.parquet`. Strings are stored once
//! in small dictionaries (`stacks`, `scenarios`) and referenced by index per row, so
//! 3 million samples take tens of megabytes rather than hundreds.

use crate::schema::{ErrorKind, SampleRecord};

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
