//! What a claim is judged on (estimates, repetition values) and what judging gives
//! (verdict, judgement, power).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::Interval;

/// The outcome of judging a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    DoesNotHold,
    /// The comparison's interval straddles the bound: the data cannot decide
    /// (which is not evidence of no difference).
    Inconclusive,
    /// A stack or scenario the claim needs is missing.
    NotTested,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::DoesNotHold => "does not hold",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotTested => "not tested",
        }
    }

    /// All must hold: any "does not hold" decides; then any missing/inconclusive.
    pub(super) fn all(vs: impl IntoIterator<Item = Verdict>) -> Verdict {
        let vs: Vec<Verdict> = vs.into_iter().collect();
        if vs.contains(&Verdict::DoesNotHold) {
            Verdict::DoesNotHold
        } else if vs.contains(&Verdict::NotTested) {
            Verdict::NotTested
        } else if vs.contains(&Verdict::Inconclusive) {
            Verdict::Inconclusive
        } else {
            Verdict::Holds
        }
    }
}

/// One stack × scenario value with its uncertainty, as the claims see it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    #[serde(with = "crate::jsonf64")]
    pub value: f64,
    /// `None`: no uncertainty known (e.g. one repetition of a throughput scenario):
    /// comparisons involving it are inconclusive.
    pub ci: Option<Interval>,
}

impl Estimate {
    pub(super) fn interval(&self) -> Interval {
        self.ci.unwrap_or(Interval {
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
        })
    }
}

/// Estimates by (stack, scenario).
pub type Estimates = BTreeMap<(String, String), Estimate>;

/// A judged claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub verdict: Verdict,
    /// The numbers behind the verdict, one line.
    pub detail: String,
    /// Which interval(s) decided: the paired within-round log-ratio, Welch on the
    /// log repetition values, or interval arithmetic on the per-value intervals.
    pub basis: String,
    /// The p value of the decision, when it came from a t interval: for "holds" the
    /// largest p of the comparisons that all had to succeed (an intersection–union
    /// test), for "does not hold" the smallest p of the contradicting comparisons;
    /// `None` for inconclusive and interval-arithmetic decisions.
    pub p: Option<f64>,
    /// For an inconclusive claim: what deciding it would take.
    pub power: Option<Power>,
}

/// What an inconclusive comparison would need to be decided (at the observed spread
/// and estimate). Half-widths are of the natural-log speed ratio (0.05 ≈ ±5 %).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Power {
    /// The comparison that binds (the one needing the most rounds).
    pub comparison: String,
    /// Half-width of the deciding interval now.
    pub observed_halfwidth: f64,
    /// Half-width it would need: the distance from the estimate to the decision bound.
    pub needed_halfwidth: f64,
    /// Observed SD of the log values: of the within-round log-ratios (paired), or the
    /// pooled per-stack SD of the log repetition values (unpaired).
    pub sd: f64,
    /// Rounds (paired) or repetitions per stack (unpaired) observed.
    pub n: u32,
    /// `paired` or `unpaired`.
    pub design: String,
    /// ⌈k·(t·sd / needed_halfwidth)²⌉ rounds (k = 1, paired) or repetitions per stack
    /// (k = 2, unpaired), t at the observed degrees of freedom; `None` when the
    /// estimate sits on the bound (no number of rounds decides it).
    pub n_needed: Option<u64>,
}

/// Repetition-level values of a run: what claims compare when a run has them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Repetitions {
    /// (stack, scenario) → (repetition number, value) of the included repetitions.
    pub values: BTreeMap<(String, String), Vec<(u32, f64)>>,
    /// Repetition r of every stack ran in round r, back to back (interleaved
    /// rounds): comparisons pair the stacks within rounds ([`crate::paired`]).
    pub rounds: bool,
}

/// What a claim is judged on: one estimate per (stack, scenario) and, for a run,
/// its repetition values.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    pub estimates: &'a Estimates,
    pub repetitions: Option<&'a Repetitions>,
    /// Two-sided confidence of directional decisions (0.95); equivalence (TOST)
    /// uses the `2·confidence − 1` interval (0.90).
    pub confidence: f64,
}
