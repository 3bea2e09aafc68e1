//! The paper's claims judged against the paper's own numbers and against the run.

use serde::{Deserialize, Serialize};

use super::Summary;
use super::compare::rep_values_by_round;
use crate::paper::{Evidence, Paper, Power, Repetitions, Verdict};
use crate::stats;

/// A claim judged against the paper and (if any) the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimSummary {
    pub id: String,
    pub section: String,
    pub text: String,
    pub quote: String,
    pub paper_verdict: Verdict,
    pub paper_detail: String,
    pub run_verdict: Option<Verdict>,
    pub run_detail: Option<String>,
    /// Which interval(s) decided the run verdict (see analysis/README.md, "Claims").
    #[serde(default)]
    pub run_basis: Option<String>,
    /// The p of the run verdict's decision (see [`crate::paper::Judgement::p`]).
    #[serde(default)]
    pub run_p: Option<f64>,
    /// `run_p` Holm-adjusted over the run's decided claims that have a p.
    #[serde(default)]
    pub run_p_holm: Option<f64>,
    /// The run verdict after Holm: a decision whose `run_p_holm` ≥ alpha becomes
    /// inconclusive; decisions without a p (interval arithmetic) are kept.
    #[serde(default)]
    pub run_verdict_holm: Option<Verdict>,
    /// For an inconclusive run verdict: the interval half-width and the rounds
    /// (repetitions) deciding it would need at the observed spread.
    #[serde(default)]
    pub run_power: Option<Power>,
}

pub(super) fn judge_claims(paper: &Paper, run: Option<&Evidence>, alpha: f64) -> Vec<ClaimSummary> {
    let paper_est = paper.estimates();
    let judged: Vec<_> = paper
        .claims
        .iter()
        .map(|c| (c, c.judge(&paper_est), run.map(|e| c.judge_with(e))))
        .collect();
    // Holm over the family of decided run claims that have a p.
    let decided = |v: Verdict| matches!(v, Verdict::Holds | Verdict::DoesNotHold);
    let family: Vec<f64> = judged
        .iter()
        .map(|(_, _, r)| {
            r.as_ref()
                .filter(|j| decided(j.verdict))
                .and_then(|j| j.p)
                .unwrap_or(f64::NAN)
        })
        .collect();
    let adjusted = stats::holm(&family);
    judged
        .into_iter()
        .zip(adjusted)
        .map(|((c, p, r), p_holm)| {
            let p_holm = (!p_holm.is_nan()).then_some(p_holm);
            let holm_verdict = r.as_ref().map(|j| match p_holm {
                Some(q) if q >= alpha => Verdict::Inconclusive,
                _ => j.verdict,
            });
            ClaimSummary {
                id: c.id.clone(),
                section: c.section.clone(),
                text: c.text.clone(),
                quote: c.quote.clone(),
                paper_verdict: p.verdict,
                paper_detail: p.detail,
                run_verdict: r.as_ref().map(|j| j.verdict),
                run_basis: r.as_ref().map(|j| j.basis.clone()),
                run_p: r.as_ref().and_then(|j| j.p),
                run_p_holm: p_holm,
                run_verdict_holm: holm_verdict,
                run_power: r.as_ref().and_then(|j| j.power.clone()),
                run_detail: r.map(|j| j.detail),
            }
        })
        .collect()
}

/// The repetition values of every cell, for the claims' repetition-level tests.
pub(super) fn claim_repetitions(s: &Summary) -> Repetitions {
    Repetitions {
        values: s
            .cells
            .iter()
            .map(|c| {
                (
                    (c.stack.clone(), c.scenario.clone()),
                    rep_values_by_round(c),
                )
            })
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        rounds: s.manifest.as_ref().is_some_and(|m| !m.rounds.is_empty()),
    }
}
