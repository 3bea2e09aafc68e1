//! The paper as data: its published numbers (`paper/published.toml`) and its checkable
//! claims (`paper/claims.toml`), and the judging of a claim against any set of
//! per-stack × scenario estimates (the paper's own, or a run's).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{AnalysisError, Result};
use crate::stats::Interval;

/// The seven measured scenarios, in figure order (Figure n = `SCENARIOS[n - 1]`).
pub const SCENARIOS: [&str; 7] = [
    "hello", "echo", "get_all", "get_one", "create", "update", "delete",
];

/// The five stacks in the paper's order.
pub const STACKS: [&str; 5] = [
    "fastapi-sqlalchemy",
    "fastapi-sqlite3",
    "flask-sqlalchemy",
    "flask-sqlite3",
    "django-drf",
];

/// ORM overhead pairs: (framework, ORM stack, raw sqlite3 stack).
pub const ORM_PAIRS: [(&str, &str, &str); 2] = [
    ("fastapi", "fastapi-sqlalchemy", "fastapi-sqlite3"),
    ("flask", "flask-sqlalchemy", "flask-sqlite3"),
];

/// The figure (1..=7) of a measured scenario.
pub fn figure_of(scenario: &str) -> Option<u8> {
    SCENARIOS
        .iter()
        .position(|s| *s == scenario)
        .map(|i| i as u8 + 1)
}

/// What a figure plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Completed requests per second of active time; higher is better.
    ReqPerS,
    /// Mean response time (k6 `http_req_duration`) in ms; lower is better.
    MeanLatencyMs,
}

impl Metric {
    /// The metric of a scenario: req/s for hello and echo (Figures 1–2), mean response
    /// time for everything else (Figures 3–7 and any extra scenario).
    pub fn of_scenario(scenario: &str) -> Metric {
        match scenario {
            "hello" | "echo" => Metric::ReqPerS,
            _ => Metric::MeanLatencyMs,
        }
    }

    pub fn higher_is_better(self) -> bool {
        self == Metric::ReqPerS
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::ReqPerS => "req/s",
            Metric::MeanLatencyMs => "ms",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::ReqPerS => "throughput (req/s)",
            Metric::MeanLatencyMs => "mean response time (ms)",
        }
    }
}

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
    },
}

impl Predicate {
    fn scenarios(&self) -> &[String] {
        match self {
            Predicate::Best { scenarios, .. }
            | Predicate::Worst { scenarios, .. }
            | Predicate::NotBest { scenarios, .. }
            | Predicate::Ratio { scenarios, .. } => scenarios,
        }
    }

    fn stacks(&self) -> Vec<&String> {
        match self {
            Predicate::Best { stacks, .. }
            | Predicate::Worst { stacks, .. }
            | Predicate::NotBest { stacks, .. } => stacks.iter().collect(),
            Predicate::Ratio {
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

/// The outcome of judging a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    DoesNotHold,
    /// The intervals overlap: the data cannot decide.
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

    fn negate(self) -> Verdict {
        match self {
            Verdict::Holds => Verdict::DoesNotHold,
            Verdict::DoesNotHold => Verdict::Holds,
            v => v,
        }
    }

    /// All must hold: any "does not hold" decides; then any missing/inconclusive.
    fn all(vs: impl IntoIterator<Item = Verdict>) -> Verdict {
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
    fn interval(&self) -> Interval {
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
}

/// The paper: its metadata, figures, numbers and claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    pub meta: PaperMeta,
    pub stack_labels: BTreeMap<String, String>,
    pub figures: Vec<FigureSpec>,
    pub published: Vec<PublishedValue>,
    pub claims: Vec<Claim>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishedFile {
    paper: PaperMeta,
    #[serde(default)]
    stack_labels: BTreeMap<String, String>,
    figure: Vec<FigureSpec>,
    value: Vec<PublishedValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsFile {
    claim: Vec<Claim>,
}

const PUBLISHED_TOML: &str = include_str!("../../paper/published.toml");
const CLAIMS_TOML: &str = include_str!("../../paper/claims.toml");

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
            stack_labels: p.stack_labels,
            figures: p.figure,
            published: p.value,
            claims: c.claim,
        };
        paper.validate()?;
        Ok(paper)
    }

    fn validate(&self) -> Result<()> {
        let bad = |file: &'static str, detail: String| AnalysisError::Paper { file, detail };
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

    /// A stack's display label.
    pub fn label<'a>(&'a self, stack: &'a str) -> &'a str {
        self.stack_labels
            .get(stack)
            .map(String::as_str)
            .unwrap_or(stack)
    }
}

/// "Goodness" interval: higher is better in both metrics (latency negated).
fn goodness(e: &Estimate, metric: Metric) -> (f64, Interval) {
    let iv = e.interval();
    if metric.higher_is_better() {
        (e.value, iv)
    } else {
        (
            -e.value,
            Interval {
                low: -iv.high,
                high: -iv.low,
            },
        )
    }
}

fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_est(e: &Estimate) -> String {
    match e.ci {
        Some(ci) if ci.low == ci.high => fmt_num(e.value),
        Some(ci) => format!(
            "{} [{}, {}]",
            fmt_num(e.value),
            fmt_num(ci.low),
            fmt_num(ci.high)
        ),
        None => format!("{} [no CI]", fmt_num(e.value)),
    }
}

/// Judge "the best (or worst) stack in `scenario` is in `group`".
fn judge_extreme(est: &Estimates, scenario: &str, group: &[String], worst: bool) -> Judgement {
    let metric = Metric::of_scenario(scenario);
    let present: Vec<(&String, &Estimate)> = est
        .iter()
        .filter(|((_, sc), _)| sc == scenario)
        .map(|((st, _), e)| (st, e))
        .collect();
    let members: Vec<&(&String, &Estimate)> =
        present.iter().filter(|(s, _)| group.contains(s)).collect();
    let others: Vec<&(&String, &Estimate)> =
        present.iter().filter(|(s, _)| !group.contains(s)).collect();
    if members.len() != group.len() || others.is_empty() {
        return Judgement {
            verdict: Verdict::NotTested,
            detail: format!(
                "{scenario}: needs {} and at least one other stack",
                group.join(", ")
            ),
        };
    }
    // Flip for "worst": the worst by goodness is the best by badness.
    let sign = if worst { -1.0 } else { 1.0 };
    let g = |e: &Estimate| {
        let (v, iv) = goodness(e, metric);
        if worst {
            (
                sign * v,
                Interval {
                    low: sign * iv.high,
                    high: sign * iv.low,
                },
            )
        } else {
            (v, iv)
        }
    };
    // Best member (by point), compared with every other stack.
    let best_member = members
        .iter()
        .max_by(|a, b| g(a.1).0.total_cmp(&g(b.1).0))
        .map(|m| m.1)
        .copied();
    let Some(best_member) = best_member else {
        return Judgement {
            verdict: Verdict::NotTested,
            detail: String::new(),
        };
    };
    let (_, bm) = g(&best_member);
    let beats_all = others.iter().all(|(_, e)| bm.low > g(e).1.high);
    // Some other stack is surely better than every member.
    let beaten = others.iter().any(|(_, e)| {
        let (_, o) = g(e);
        members.iter().all(|(_, m)| o.low > g(m).1.high)
    });
    let verdict = if beats_all {
        Verdict::Holds
    } else if beaten {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    };
    let ranking = {
        let mut all: Vec<&(&String, &Estimate)> = present.iter().collect();
        all.sort_by(|a, b| goodness(b.1, metric).0.total_cmp(&goodness(a.1, metric).0));
        all.iter()
            .map(|(s, e)| format!("{s} {}", fmt_est(e)))
            .collect::<Vec<_>>()
            .join(" > ")
    };
    Judgement {
        verdict,
        detail: format!("{scenario} ({}), best first: {ranking}", metric.unit()),
    }
}

/// Mean of a group's estimates as an interval (interval arithmetic).
fn group_value(est: &Estimates, group: &[String], scenario: &str) -> Option<(f64, Interval)> {
    let mut v = 0.0;
    let mut lo = 0.0;
    let mut hi = 0.0;
    for s in group {
        let e = est.get(&(s.clone(), scenario.to_string()))?;
        let iv = e.interval();
        v += e.value;
        lo += iv.low;
        hi += iv.high;
    }
    let n = group.len() as f64;
    Some((
        v / n,
        Interval {
            low: lo / n,
            high: hi / n,
        },
    ))
}

/// Median of all stacks' values in a scenario (monotone, so bounds map to bounds).
fn median_value(est: &Estimates, scenario: &str) -> Option<(f64, Interval)> {
    let mut vals = Vec::new();
    let mut lows = Vec::new();
    let mut highs = Vec::new();
    for ((_, sc), e) in est {
        if sc == scenario {
            let iv = e.interval();
            vals.push(e.value);
            lows.push(iv.low);
            highs.push(iv.high);
        }
    }
    if vals.len() < 3 {
        return None;
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        crate::stats::percentile_sorted(v, 0.5)
    };
    Some((
        med(&mut vals),
        Interval {
            low: med(&mut lows),
            high: med(&mut highs),
        },
    ))
}

/// Interval of a / b for positive intervals.
fn div(a: Interval, b: Interval) -> Interval {
    if b.low <= 0.0 || a.low < 0.0 {
        return Interval {
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
        };
    }
    Interval {
        low: a.low / b.high,
        high: a.high / b.low,
    }
}

fn judge_ratio(
    est: &Estimates,
    scenarios: &[String],
    numerator: &[String],
    denominator: &[String],
    vs_median: bool,
    min: Option<f64>,
    max: Option<f64>,
) -> Judgement {
    let mut point = 0.0;
    let mut lo = 0.0;
    let mut hi = 0.0;
    let mut parts = Vec::new();
    for sc in scenarios {
        let metric = Metric::of_scenario(sc);
        let num = group_value(est, numerator, sc);
        let den = if vs_median {
            median_value(est, sc)
        } else {
            group_value(est, denominator, sc)
        };
        let (Some((nv, ni)), Some((dv, di))) = (num, den) else {
            return Judgement {
                verdict: Verdict::NotTested,
                detail: format!("{sc}: a stack of the claim is missing"),
            };
        };
        let (r, ri) = if metric.higher_is_better() {
            (nv / dv, div(ni, di))
        } else {
            (dv / nv, div(di, ni))
        };
        parts.push(format!(
            "{sc} {}",
            fmt_est(&Estimate {
                value: r,
                ci: Some(ri)
            })
        ));
        point += r;
        lo += ri.low;
        hi += ri.high;
    }
    let n = scenarios.len() as f64;
    let (point, iv) = (
        point / n,
        Interval {
            low: lo / n,
            high: hi / n,
        },
    );
    let above_min = |x: f64| min.is_none_or(|m| x > m);
    let below_max = |x: f64| max.is_none_or(|m| x < m);
    let verdict = if above_min(iv.low) && below_max(iv.high) {
        Verdict::Holds
    } else if min.is_some_and(|m| iv.high <= m) || max.is_some_and(|m| iv.low >= m) {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    };
    let wanted = match (min, max) {
        (Some(a), Some(b)) => format!("in ({a}, {b})"),
        (Some(a), None) => format!("> {a}"),
        (None, Some(b)) => format!("< {b}"),
        (None, None) => String::new(),
    };
    let mean_part = if scenarios.len() > 1 {
        format!(
            "; mean {}",
            fmt_est(&Estimate {
                value: point,
                ci: Some(iv)
            })
        )
    } else {
        String::new()
    };
    Judgement {
        verdict,
        detail: format!(
            "speed ratio {}{mean_part}; claim needs {wanted}",
            parts.join(", ")
        ),
    }
}

impl Claim {
    /// Judge the claim against estimates (the paper's or a run's).
    pub fn judge(&self, est: &Estimates) -> Judgement {
        match &self.predicate {
            Predicate::Best { scenarios, stacks } | Predicate::Worst { scenarios, stacks } => {
                let worst = matches!(self.predicate, Predicate::Worst { .. });
                let js: Vec<Judgement> = scenarios
                    .iter()
                    .map(|s| judge_extreme(est, s, stacks, worst))
                    .collect();
                combine(js, false)
            }
            Predicate::NotBest { scenarios, stacks } => {
                let js: Vec<Judgement> = scenarios
                    .iter()
                    .map(|s| judge_extreme(est, s, stacks, false))
                    .collect();
                combine(js, true)
            }
            Predicate::Ratio {
                scenarios,
                numerator,
                denominator,
                vs_median,
                min,
                max,
            } => judge_ratio(
                est,
                scenarios,
                numerator,
                denominator,
                *vs_median,
                *min,
                *max,
            ),
        }
    }
}

/// AND of per-scenario judgements (each negated first when `negate`).
fn combine(js: Vec<Judgement>, negate: bool) -> Judgement {
    let verdicts = js.iter().map(|j| {
        if negate {
            j.verdict.negate()
        } else {
            j.verdict
        }
    });
    Judgement {
        verdict: Verdict::all(verdicts),
        detail: js
            .into_iter()
            .map(|j| j.detail)
            .collect::<Vec<_>>()
            .join("; "),
    }
}
