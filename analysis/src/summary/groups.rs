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
    let warm: Vec<bool> = samples.scenarios.iter().map(|s| is_warmup(s)).collect();
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut last = (u64::MAX, 0usize);
    for i in 0..samples.len() {
        let (st, rep, sc) = (samples.stack[i], samples.repetition[i], samples.scenario[i]);
        let k = key(st, rep, sc);
        let g = if last.0 == k {
            last.1
        } else {
            let g = *index.entry(k).or_insert_with(|| {
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
            last = (k, g);
            g
        };
        let group = &mut groups[g];
        group.requests += 1;
        match samples.error[i] {
            Some(kind) => {
                group.errors += 1;
                let pos = ErrorKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
                group.error_kinds[pos] += 1;
            }
            None if !warm[sc as usize] => {
                group.latency_ns.push(samples.latency_ns[i]);
                group.ttfb_ns.push(samples.ttfb_ns[i]);
            }
            None => {}
        }
    }
    groups
}

pub(super) fn sorted_ms(mut ns: Vec<i64>) -> Vec<f64> {
    ns.sort_unstable();
    ns.into_iter().map(|v| v as f64 / 1e6).collect()
}
