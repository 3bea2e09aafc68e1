//! The viewer's overview: the run in one line and the claims scoreboard (how many of
//! the paper's claims hold, do not hold, are inconclusive on this run). Text only,
//! every number written by [`crate::format`].

use serde::Serialize;

use crate::format;
use crate::paper::Verdict;
use crate::summary::{Source, Summary};

/// One verdict's count on the scoreboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerdictCount {
    /// `holds`, `does-not-hold`, `inconclusive`, `not-tested` (a CSS class and test hook).
    pub key: &'static str,
    /// `✓`, `✗`, `?`, `–` (the tables' symbols).
    pub symbol: &'static str,
    pub label: &'static str,
    pub count: String,
}

/// The overview of one summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    /// The run in one line.
    pub line: String,
    /// What the verdicts are judged on: `this run (native load generator)`, `the paper's numbers`.
    pub judged_on: String,
    /// Holds, does not hold, inconclusive, not tested (in that order; zeros kept).
    pub scoreboard: Vec<VerdictCount>,
}

const VERDICTS: [(Verdict, &str, &str); 4] = [
    (Verdict::Holds, "holds", "✓"),
    (Verdict::DoesNotHold, "does-not-hold", "✗"),
    (Verdict::Inconclusive, "inconclusive", "?"),
    (Verdict::NotTested, "not-tested", "–"),
];

/// The overview of `summary`: a run's verdicts are the run's, the paper alone's are
/// the paper's own numbers'.
pub fn overview(summary: &Summary) -> Overview {
    let stacks = format::count(summary.stacks.len() as u64);
    let scenarios = format::count(summary.scenarios.len() as u64);
    let run = summary
        .manifest
        .as_ref()
        .filter(|_| summary.source == Source::Run);
    let (line, judged_on) = match run {
        Some(m) => {
            let reps = m
                .repetitions
                .iter()
                .map(|r| r.repetition)
                .max()
                .unwrap_or(0);
            let date = m.started_at.split('T').next().unwrap_or(&m.started_at);
            (
                format!(
                    "Run {}: {stacks} stacks × {scenarios} scenarios, {} repetition(s), {} load generator, {} ({} cores), {date}.",
                    m.run_id,
                    format::count(u64::from(reps)),
                    m.loadgen,
                    m.host.cpu_model,
                    format::count(u64::from(m.host.cores)),
                ),
                format!("this run ({} load generator)", m.loadgen),
            )
        }
        None => (
            format!(
                "The paper's published numbers ({} {}): {stacks} stacks × {scenarios} scenarios; no run loaded.",
                summary.paper.authors, summary.paper.year
            ),
            "the paper's own numbers".to_string(),
        ),
    };
    let verdict_of = |c: &crate::summary::ClaimSummary| match run {
        Some(_) => c.run_verdict.unwrap_or(Verdict::NotTested),
        None => c.paper_verdict,
    };
    let scoreboard = VERDICTS
        .iter()
        .map(|&(v, key, symbol)| VerdictCount {
            key,
            symbol,
            label: v.label(),
            count: format::count(
                summary.claims.iter().filter(|c| verdict_of(c) == v).count() as u64
            ),
        })
        .collect();
    Overview {
        line,
        judged_on,
        scoreboard,
    }
}
