//! The paper as data: its published numbers (`paper/published.toml`) and its checkable
//! claims (`paper/claims.toml`), and the judging of a claim against any set of
//! per-stack × scenario estimates (the paper's own, or a run's).
//!
//! Submodules: `metric` (scenarios, figures and what they plot), `claim` (the claim
//! kinds and judging a claim), `verdict` (estimates, evidence, verdicts and power),
//! `ratio` (a claim's statistic as a log ratio, its interval, tests and power),
//! `judge` (the parts a predicate's judgement is made of).

mod claim;
mod judge;
mod metric;
mod ratio;
mod verdict;

use serde::{Deserialize, Serialize};

use crate::error::{AnalysisError, Result};
use crate::stats::Interval;

pub use claim::{Claim, Predicate};
pub use metric::{Metric, SCENARIOS, figure_of, figure_title, numbered};
pub use verdict::{Estimate, Estimates, Evidence, Judgement, Power, Repetitions, Verdict};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperMeta {
    pub title: String,
    pub authors: String,
    #[serde(default)]
    pub affiliation: String,
    pub year: u32,
    #[serde(default)]
    pub licence: String,
    pub repetitions: u32,
    /// The stacks the paper measured (each registered in `stacks/<stack>/stack.toml`,
    /// which also gives their labels and order).
    pub stacks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureSpec {
    pub number: u8,
    pub scenario: String,
    pub metric: Metric,
    pub title: String,
    pub section: String,
}

/// One number the paper reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedValue {
    pub figure: u8,
    pub scenario: String,
    pub stack: String,
    pub metric: Metric,
    pub unit: String,
    pub value: f64,
    /// The paper gives only a rounded value ("around 2,700 req/s").
    #[serde(default)]
    pub approximate: bool,
    /// Half the rounding unit of an approximate value.
    #[serde(default)]
    pub approx_halfwidth: Option<f64>,
    pub quote: String,
}

impl PublishedValue {
    /// The value as an interval: a point, or [value ± halfwidth] when approximate.
    pub fn interval(&self) -> Interval {
        match (self.approximate, self.approx_halfwidth) {
            (true, Some(h)) => Interval {
                low: self.value - h,
                high: self.value + h,
            },
            _ => Interval::point(self.value),
        }
    }
}

/// The paper: its metadata, figures, numbers and claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    pub meta: PaperMeta,
    pub figures: Vec<FigureSpec>,
    pub published: Vec<PublishedValue>,
    pub claims: Vec<Claim>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishedFile {
    paper: PaperMeta,
    figure: Vec<FigureSpec>,
    value: Vec<PublishedValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsFile {
    claim: Vec<Claim>,
}

const PUBLISHED_TOML: &str = include_str!("../../../paper/published.toml");
const CLAIMS_TOML: &str = include_str!("../../../paper/claims.toml");

impl Paper {
    /// The paper data shipped with pywebbench (`paper/*.toml`, compiled in).
    pub fn builtin() -> Result<Paper> {
        Paper::from_toml(PUBLISHED_TOML, CLAIMS_TOML)
    }

    /// Parse and validate `published.toml` and `claims.toml`.
    pub fn from_toml(published: &str, claims: &str) -> Result<Paper> {
        let p: PublishedFile = toml::from_str(published).map_err(|e| AnalysisError::Paper {
            file: "published.toml",
            detail: e.to_string().replace('\n', " "),
        })?;
        let c: ClaimsFile = toml::from_str(claims).map_err(|e| AnalysisError::Paper {
            file: "claims.toml",
            detail: e.to_string().replace('\n', " "),
        })?;
        let paper = Paper {
            meta: p.paper,
            figures: p.figure,
            published: p.value,
            claims: c.claim,
        };
        paper.validate()?;
        Ok(paper)
    }

    fn validate(&self) -> Result<()> {
        let bad = |file: &'static str, detail: String| AnalysisError::Paper { file, detail };
        let registry = crate::registry::Registry::builtin();
        if let Some(s) = self.meta.stacks.iter().find(|s| registry.get(s).is_none()) {
            return Err(bad(
                "published.toml",
                format!(
                    "[paper] stacks names `{s}`, which has no stacks/{s}/stack.toml; register it or use one of {}",
                    registry.names().join(", ")
                ),
            ));
        }
        for f in &self.figures {
            if figure_of(&f.scenario) != Some(f.number)
                || Metric::of_scenario(&f.scenario) != f.metric
            {
                return Err(bad(
                    "published.toml",
                    format!(
                        "figure {} is `{}` with {:?}, expected the scenario order {SCENARIOS:?} (req_per_s for hello/echo)",
                        f.number, f.scenario, f.metric
                    ),
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for v in &self.published {
            if !self.meta.stacks.contains(&v.stack) {
                return Err(bad(
                    "published.toml",
                    format!("value for unknown stack `{}`", v.stack),
                ));
            }
            if figure_of(&v.scenario) != Some(v.figure)
                || Metric::of_scenario(&v.scenario) != v.metric
            {
                return Err(bad(
                    "published.toml",
                    format!(
                        "value {}/{} has figure {} and {:?}, which do not match the scenario",
                        v.stack, v.scenario, v.figure, v.metric
                    ),
                ));
            }
            if v.unit != v.metric.unit() {
                return Err(bad(
                    "published.toml",
                    format!(
                        "value {}/{} has unit `{}`, expected `{}`",
                        v.stack,
                        v.scenario,
                        v.unit,
                        v.metric.unit()
                    ),
                ));
            }
            if !(v.value.is_finite() && v.value > 0.0)
                || (v.approximate && v.approx_halfwidth.is_none())
            {
                return Err(bad(
                    "published.toml",
                    format!(
                        "value {}/{} must be positive, and approximate values need approx_halfwidth",
                        v.stack, v.scenario
                    ),
                ));
            }
            if !seen.insert((v.stack.clone(), v.scenario.clone())) {
                return Err(bad(
                    "published.toml",
                    format!("two values for {}/{}", v.stack, v.scenario),
                ));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for c in &self.claims {
            if !ids.insert(c.id.clone()) {
                return Err(bad(
                    "claims.toml",
                    format!("claim id `{}` appears twice", c.id),
                ));
            }
            if let Predicate::Equivalent { max_ratio, .. } = &c.predicate
                && !(max_ratio.is_finite() && *max_ratio > 1.0)
            {
                return Err(bad(
                    "claims.toml",
                    format!("equivalent claim `{}` needs max_ratio > 1", c.id),
                ));
            }
            if let Predicate::RatioCompare {
                than,
                numerator,
                denominator,
                ..
            } = &c.predicate
                && (than.is_empty() || numerator.is_empty() || denominator.is_empty())
            {
                return Err(bad(
                    "claims.toml",
                    format!(
                        "ratio_compare claim `{}` needs `than`, a numerator and a denominator",
                        c.id
                    ),
                ));
            }
            if c.predicate.scenarios().is_empty() {
                return Err(bad(
                    "claims.toml",
                    format!("claim `{}` lists no scenarios", c.id),
                ));
            }
            for s in c.predicate.scenarios() {
                if figure_of(s).is_none() {
                    return Err(bad(
                        "claims.toml",
                        format!("claim `{}` names unknown scenario `{s}`", c.id),
                    ));
                }
            }
            for s in c.predicate.stacks() {
                if !self.meta.stacks.contains(s) {
                    return Err(bad(
                        "claims.toml",
                        format!("claim `{}` names unknown stack `{s}`", c.id),
                    ));
                }
            }
            if let Predicate::Ratio {
                numerator,
                denominator,
                vs_median,
                min,
                max,
                ..
            } = &c.predicate
                && (numerator.is_empty()
                    || (denominator.is_empty() != *vs_median)
                    || (min.is_none() && max.is_none()))
            {
                return Err(bad(
                    "claims.toml",
                    format!(
                        "ratio claim `{}` needs a numerator, either a denominator or vs_median = true, and min and/or max",
                        c.id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The published value of a stack in a scenario.
    pub fn value(&self, stack: &str, scenario: &str) -> Option<&PublishedValue> {
        self.published
            .iter()
            .find(|v| v.stack == stack && v.scenario == scenario)
    }

    /// The paper's numbers as estimates (points, or rounding intervals).
    pub fn estimates(&self) -> Estimates {
        self.published
            .iter()
            .map(|v| {
                (
                    (v.stack.clone(), v.scenario.clone()),
                    Estimate {
                        value: v.value,
                        ci: Some(v.interval()),
                    },
                )
            })
            .collect()
    }
}
