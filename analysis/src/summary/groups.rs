//! Sample rows accumulated per (stack, repetition, scenario).

use std::collections::HashMap;

use crate::columns::{SampleColumns, is_warmup};
use crate::schema::ErrorKind;

/// Per (stack, repetition, scenario) accumulation.
pub(super) struct Group {
    pub(super) stack: u16,
    pub(super) repetition: u32,
    pub(super) scenario: u16,
    pub(super) requests: u64,
    pub(super) errors: u64,
    pub(super) error_kinds: [u64; 5],
    pub(super) latency_ns: Vec<i64>,
    pub(super) ttfb_ns: Vec<i64>,
}

fn key(stack: u16, rep: u32, scenario: u16) -> u64 {
    ((stack as u64) << 48) | ((scenario as u64) << 32) | rep as u64
}

pub(super) fn group_rows(samples: &SampleColumns) -> Vec<Group> {
    let mut grouping = Grouping {
        warm: samples.scenarios.iter().map(|s| is_warmup(s)).collect(),
        index: HashMap::new(),
        groups: Vec::new(),
        last: (u64::MAX, 0),
    };
    let n = samples.len();
    for start in (0..n).step_by(BATCH) {
        grouping.rows(samples, start..n.min(start + BATCH));
    }
    grouping.groups
}

/// Rows per call of [`Grouping::rows`].
const BATCH: usize = 65_536;

struct Grouping {
    /// Per scenario code: a warm-up scenario's latencies are not kept.
    warm: Vec<bool>,
    index: HashMap<u64, usize>,
    groups: Vec<Group>,
    /// The previous row's key and group: rows come in long runs of one group.
    last: (u64, usize),
}

impl Grouping {
    /// Add a range of rows. Called per batch rather than once over every row: V8 runs
    /// a wasm function's first call as baseline code and uses its optimised code only
    /// from the next call on (web/README.md, "What changed it").
    #[inline(never)]
    fn rows(&mut self, samples: &SampleColumns, range: std::ops::Range<usize>) {
        for i in range {
            let (st, rep, sc) = (samples.stack[i], samples.repetition[i], samples.scenario[i]);
            let k = key(st, rep, sc);
            let g = if self.last.0 == k {
                self.last.1
            } else {
                let groups = &mut self.groups;
                let g = *self.index.entry(k).or_insert_with(|| {
                    groups.push(Group {
                        stack: st,
                        repetition: rep,
                        scenario: sc,
                        requests: 0,
                        errors: 0,
                        error_kinds: [0; 5],
                        latency_ns: Vec::new(),
                        ttfb_ns: Vec::new(),
                    });
                    groups.len() - 1
                });
                self.last = (k, g);
                g
            };
            let group = &mut self.groups[g];
            group.requests += 1;
            match samples.error[i] {
                Some(kind) => {
                    group.errors += 1;
                    let pos = ErrorKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
                    group.error_kinds[pos] += 1;
                }
                None if !self.warm[sc as usize] => {
                    group.latency_ns.push(samples.latency_ns[i]);
                    group.ttfb_ns.push(samples.ttfb_ns[i]);
                }
                None => {}
            }
        }
    }
}

pub(super) fn sorted_ms(mut ns: Vec<i64>) -> Vec<f64> {
    ns.sort_unstable();
    ns.into_iter().map(|v| v as f64 / 1e6).collect()
}
