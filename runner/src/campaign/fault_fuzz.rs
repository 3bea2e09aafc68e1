//! The campaign parser on mutated and random text (proptest, seeded ChaCha): it never
//! panics, an accepted campaign round-trips through the manifest, and every refusal is
//! one line naming the file (and, for `file:line:` errors, a line that exists).
//!
//! `cargo test -p runner --lib fault_fuzz` runs a few hundred cases per strategy.
//! For a long run: `FAULT_FUZZ_SECS=600 cargo test --release -p runner --lib fault_fuzz
//! -- --nocapture` (prints the number of inputs tried; see docs/reliability.md).

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::*;

const QUICK: &str = include_str!("../../../paper/campaign-quick.toml");
const FULL: &str = include_str!("../../../paper/campaign.toml");

/// Values a hand-edited campaign might contain in the wrong place.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "18446744073709551616",
    "1.5",
    "-0.0",
    "nan",
    "inf",
    "true",
    "\"\"",
    "\"10\"",
    "\"10x\"",
    "\"-1s\"",
    "\"0s\"",
    "\"1s\"",
    "\"500ms\"",
    "\"99999999h\"",
    "\"1 s\"",
    "\"1e3s\"",
    "[]",
    "{}",
    "[1, 2]",
    "\"hello\"",
    "\"rails\"",
    "\"ramping-vus\"",
    "\"constant-arrival-rate\"",
    "\"shared-iterations\"",
    "\"constant-vus\"",
    "\"0-1\"",
    "\"1-0\"",
    "\"0,0\"",
    "\"2GiB\"",
    "\"0B\"",
    "\"-5MiB\"",
    "'''",
    "\"\"\"",
    "=",
    "[[scenario]]",
    "[server]",
    "[[warmup]]",
    "\u{0}",
    "é",
    "\"\\u0000\"",
];

/// Keys, known and unknown, to insert.
const KEYS: &[&str] = &[
    "name",
    "seed",
    "repetitions",
    "stacks",
    "settle",
    "idle",
    "pause",
    "request_timeout",
    "health_timeout",
    "records",
    "workers",
    "threads",
    "memory_limit",
    "pids_limit",
    "cpuset",
    "request",
    "executor",
    "vus",
    "duration",
    "iterations",
    "max_duration",
    "rate",
    "time_unit",
    "pre_allocated_vus",
    "max_vus",
    "cpus",
    "typo",
    "echo",
];

#[derive(Clone, Debug)]
enum Edit {
    /// Replace the value after `=` on a line with a token.
    Value(usize, usize),
    /// Delete a line.
    Delete(usize),
    /// Duplicate a line.
    Duplicate(usize),
    /// Insert `key = token` before a line.
    Insert(usize, usize, usize),
    /// Cut the text at a byte (char boundary at or before it).
    Truncate(usize),
    /// Swap two lines.
    Swap(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = 10_000usize;
    prop_oneof![
        4 => (0..n, 0..TOKENS.len()).prop_map(|(l, t)| Edit::Value(l, t)),
        1 => (0..n).prop_map(Edit::Delete),
        1 => (0..n).prop_map(Edit::Duplicate),
        2 => (0..n, 0..KEYS.len(), 0..TOKENS.len()).prop_map(|(l, k, t)| Edit::Insert(l, k, t)),
        1 => (0..100_000usize).prop_map(Edit::Truncate),
        1 => (0..n, 0..n).prop_map(|(a, b)| Edit::Swap(a, b)),
    ]
}

fn apply(base: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = base.lines().map(str::to_string).collect();
    for e in edits {
        let len = lines.len().max(1);
        match *e {
            Edit::Value(l, t) => {
                if let Some(line) = lines.get_mut(l % len)
                    && let Some(eq) = line.find('=')
                {
                    *line = format!("{} {}", &line[..=eq], TOKENS[t]);
                }
            }
            Edit::Delete(l) => {
                if !lines.is_empty() {
                    lines.remove(l % len);
                }
            }
            Edit::Duplicate(l) => {
                if let Some(line) = lines.get(l % len).cloned() {
                    lines.insert(l % len, line);
                }
            }
            Edit::Insert(l, k, t) => lines.insert(l % len, format!("{} = {}", KEYS[k], TOKENS[t])),
            Edit::Truncate(at) => {
                let text = lines.join("\n");
                let mut cut = at % (text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = text[..cut].lines().map(str::to_string).collect();
            }
            Edit::Swap(a, b) => {
                if !lines.is_empty() {
                    lines.swap(a % len, b % len);
                }
            }
        }
    }
    lines.join("\n")
}

/// The properties every input must have; `Err` describes a violation.
fn check(text: &str) -> Result<(), TestCaseError> {
    match Campaign::parse("c.toml", text) {
        Ok(c) => {
            let back = Campaign::from_json(&c.to_json())
                .map_err(|e| TestCaseError::fail(format!("accepted but not round-tripped: {e}")))?;
            prop_assert_eq!(&back, &c, "the manifest round trip changed the campaign");
            prop_assert!(c.repetitions > 0);
            prop_assert!(!c.stacks.is_empty() && !c.scenarios.is_empty());
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(!msg.contains('\n'), "not one line: {msg:?}");
            prop_assert!(msg.starts_with("c.toml"), "does not name the file: {msg:?}");
            if let CampaignError::Invalid { line, .. } = e {
                let lines = text.lines().count().max(1);
                prop_assert!(
                    (1..=lines + 1).contains(&line),
                    "line {line} of a {lines}-line file: {msg:?}"
                );
            }
        }
    }
    Ok(())
}

fn mutated() -> impl Strategy<Value = String> {
    (prop::bool::ANY, prop::collection::vec(edit(), 1..6))
        .prop_map(|(full, edits)| apply(if full { FULL } else { QUICK }, &edits))
}

fn random_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z_\\[\\]=\"' 0-9.\n-]{0,200}",]
}

/// Run `strategy` for `cases` cases (or, with FAULT_FUZZ_SECS set, for that many
/// seconds in batches), seeded; returns the number of inputs tried.
fn fuzz<S: Strategy<Value = String>>(label: &str, strategy: S, cases: u32, seed: u8) -> u64 {
    let budget = std::env::var("FAULT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let start = Instant::now();
    let mut tried = 0u64;
    let mut batch = 0u64;
    loop {
        let mut seed_bytes = [seed; 32];
        seed_bytes[..8].copy_from_slice(&batch.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, rng);
        if let Err(e) = runner.run(&strategy, |text| check(&text)) {
            panic!("{label}: {e}");
        }
        tried += u64::from(cases);
        batch += 1;
        match budget {
            Some(b) if start.elapsed() < b => {}
            _ => break,
        }
    }
    eprintln!("{label}: {tried} inputs in {:.0?}", start.elapsed());
    tried
}

#[test]
fn fault_fuzz_mutated_campaigns_never_panic_and_errors_are_one_line() {
    assert!(fuzz("mutated campaigns", mutated(), 512, 7) >= 512);
}

#[test]
fn fault_fuzz_random_text_never_panics() {
    assert!(fuzz("random text", random_text(), 512, 11) >= 512);
}

#[test]
fn the_mutator_does_change_the_campaign() {
    // The fuzz tests are only worth something if edits reach the parser's checks.
    let text = apply(QUICK, &[Edit::Value(6, 0)]);
    assert_ne!(text, QUICK.trim_end());
    assert!(Campaign::parse("c.toml", &text).is_err(), "{text}");
}
