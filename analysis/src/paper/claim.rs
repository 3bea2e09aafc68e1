//! The paper's claim kinds (predicates) and the judging of a claim.

use serde::{Deserialize, Serialize};

use super::judge::{Part, and, band, bounded, directional, judge_extreme, judge_not_best};
use super::ratio::{Den, Spec, Stat, present_in};
use super::{Estimates, Evidence, Judgement};

/// A claim's predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Predicate {
    /// In every scenario the best stack is one of `stacks`.
    Best {
        scenarios: Vec<String>,
        stacks: Vec<String>,
    },
    /// In every scenario the worst stack is one of `stacks`.
    Worst {
        scenarios: Vec<String>,
        stacks: Vec<String>,
    },
    /// In every scenario no stack of `stacks` is the best.
    NotBest {
        scenarios: Vec<String>,
        stacks: Vec<String>,
    },
    /// Speed ratio numerator : denominator (or : median of all stacks) averaged over
    /// the scenarios, within (min, max).
    Ratio {
        scenarios: Vec<String>,
        numerator: Vec<String>,
        #[serde(default)]
        denominator: Vec<String>,
        #[serde(default)]
        vs_median: bool,
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
        /// Each scenario's ratio must lie in the band (instead of their mean).
        #[serde(default)]
        per_scenario: bool,
    },
    /// Every pair of `stacks` (every stack present when empty) is within a speed
    /// ratio of `max_ratio` in every scenario: "equal", "very similar", "a narrow
    /// band". Judged by TOST (see `paper/claims.toml`).
    Equivalent {
        scenarios: Vec<String>,
        #[serde(default)]
        stacks: Vec<String>,
        max_ratio: f64,
    },
    /// The speed ratio numerator : denominator over `scenarios` is smaller than over
    /// `than` ("the gap was smaller than in the previous test").
    RatioCompare {
        scenarios: Vec<String>,
        than: Vec<String>,
        numerator: Vec<String>,
        denominator: Vec<String>,
    },
}

impl Predicate {
    pub(super) fn scenarios(&self) -> Vec<&String> {
        match self {
            Predicate::Best { scenarios, .. }
            | Predicate::Worst { scenarios, .. }
            | Predicate::NotBest { scenarios, .. }
            | Predicate::Equivalent { scenarios, .. }
            | Predicate::Ratio { scenarios, .. } => scenarios.iter().collect(),
            Predicate::RatioCompare {
                scenarios, than, ..
            } => scenarios.iter().chain(than.iter()).collect(),
        }
    }

    pub(super) fn stacks(&self) -> Vec<&String> {
        match self {
            Predicate::Best { stacks, .. }
            | Predicate::Worst { stacks, .. }
            | Predicate::Equivalent { stacks, .. }
            | Predicate::NotBest { stacks, .. } => stacks.iter().collect(),
            Predicate::Ratio {
                numerator,
                denominator,
                ..
            }
            | Predicate::RatioCompare {
                numerator,
                denominator,
                ..
            } => numerator.iter().chain(denominator.iter()).collect(),
        }
    }
}

/// A checkable claim of the paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub section: String,
    pub text: String,
    pub quote: String,
    #[serde(flatten)]
    pub predicate: Predicate,
}

impl Claim {
    /// Judge the claim against estimates alone (the paper's numbers, or a run's
    /// cells without their repetitions): interval arithmetic on the intervals.
    pub fn judge(&self, est: &Estimates) -> Judgement {
        self.judge_with(&Evidence {
            estimates: est,
            repetitions: None,
            confidence: 0.95,
        })
    }

    /// Judge the claim: repetition-level comparisons where the evidence has them.
    pub fn judge_with(&self, ev: &Evidence) -> Judgement {
        let part = match &self.predicate {
            Predicate::Best { scenarios, stacks } | Predicate::Worst { scenarios, stacks } => {
                let worst = matches!(self.predicate, Predicate::Worst { .. });
                and(
                    scenarios
                        .iter()
                        .map(|s| judge_extreme(ev, s, stacks, worst))
                        .collect(),
                    " | ",
                )
            }
            Predicate::NotBest { scenarios, stacks } => and(
                scenarios
                    .iter()
                    .map(|s| judge_not_best(ev, s, stacks))
                    .collect(),
                " | ",
            ),
            Predicate::Ratio {
                scenarios,
                numerator,
                denominator,
                vs_median,
                min,
                max,
                per_scenario,
            } => {
                let den = if *vs_median {
                    Den::Median
                } else {
                    Den::Group(denominator)
                };
                let spec = |scs| {
                    Stat::Ratio(Spec {
                        num: numerator,
                        den,
                        scenarios: scs,
                    })
                };
                if *per_scenario {
                    and(
                        scenarios
                            .iter()
                            .map(|s| bounded(ev, &spec(std::slice::from_ref(s)), *min, *max))
                            .collect(),
                        "; ",
                    )
                } else {
                    bounded(ev, &spec(scenarios), *min, *max)
                }
            }
            Predicate::Equivalent {
                scenarios,
                stacks,
                max_ratio,
            } => {
                let mut parts = Vec::new();
                for sc in scenarios {
                    let named: Vec<String> = if stacks.is_empty() {
                        present_in(ev.estimates, sc)
                    } else {
                        stacks.clone()
                    };
                    if named.len() < 2 {
                        parts.push(Part::not_tested(format!("{sc}: fewer than two stacks")));
                        continue;
                    }
                    for (i, a) in named.iter().enumerate() {
                        for b in &named[i + 1..] {
                            parts.push(band(
                                ev,
                                &Stat::Ratio(Spec {
                                    num: std::slice::from_ref(a),
                                    den: Den::Group(std::slice::from_ref(b)),
                                    scenarios: std::slice::from_ref(sc),
                                }),
                                1.0 / max_ratio,
                                *max_ratio,
                            ));
                        }
                    }
                }
                and(parts, "; ")
            }
            Predicate::RatioCompare {
                scenarios,
                than,
                numerator,
                denominator,
            } => directional(
                ev,
                &Stat::Quotient(
                    Spec {
                        num: numerator,
                        den: Den::Group(denominator),
                        scenarios,
                    },
                    Spec {
                        num: numerator,
                        den: Den::Group(denominator),
                        scenarios: than,
                    },
                ),
                1.0,
                false,
            ),
        };
        let basis = part
            .bases
            .iter()
            .map(|b| b.describe())
            .collect::<Vec<_>>()
            .join(" + ");
        Judgement {
            verdict: part.verdict,
            detail: part.text,
            basis,
            p: part.p,
            power: part.power,
        }
    }
}
