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

/// The figure (1..=7) of a measured scenario.
pub fn figure_of(scenario: &str) -> Option<u8> {
    SCENARIOS
        .iter()
        .position(|s| *s == scenario)
        .map(|i| i as u8 + 1)
}

/// A figure's title as the paper words it (`[[figure]] title` in
/// `paper/published.toml`); empty for a number the paper has no figure for.
pub fn figure_title(figure: u8) -> &'static str {
    static TITLES: std::sync::OnceLock<BTreeMap<u8, String>> = std::sync::OnceLock::new();
    TITLES
        .get_or_init(|| {
            // The compiled-in paper is checked by the tests; unreadable, it has no titles.
            Paper::builtin()
                .map(|p| p.figures.into_iter().map(|f| (f.number, f.title)).collect())
                .unwrap_or_default()
        })
        .get(&figure)
        .map_or("", String::as_str)
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
    fn scenarios(&self) -> Vec<&String> {
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

    fn stacks(&self) -> Vec<&String> {
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

fn mean_of(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The denominator of a speed ratio.
#[derive(Debug, Clone, Copy)]
enum Den<'a> {
    Group(&'a [String]),
    /// The median of every stack present in the scenario.
    Median,
}

/// A speed ratio: how many times better `num` is than `den` (req/s: num/den; ms:
/// den/num), each group its stacks' mean, averaged over `scenarios`.
#[derive(Debug, Clone, Copy)]
struct Spec<'a> {
    num: &'a [String],
    den: Den<'a>,
    scenarios: &'a [String],
}

/// The statistic a decision is about: a speed ratio, or the quotient of two.
#[derive(Debug, Clone, Copy)]
enum Stat<'a> {
    Ratio(Spec<'a>),
    Quotient(Spec<'a>, Spec<'a>),
}

impl Spec<'_> {
    /// The ratio from one value per (stack, scenario); `present(sc)` lists the
    /// stacks with a value (for the median).
    fn eval(
        &self,
        v: &dyn Fn(&str, &str) -> Option<f64>,
        present: &dyn Fn(&str) -> Vec<String>,
    ) -> Option<f64> {
        let mut sum = 0.0;
        for sc in self.scenarios {
            let group = |g: &[String]| -> Option<f64> {
                let xs: Option<Vec<f64>> = g.iter().map(|s| v(s, sc)).collect();
                xs.map(|x| mean_of(&x))
            };
            let n = group(self.num)?;
            let d = match self.den {
                Den::Group(g) => group(g)?,
                Den::Median => {
                    let mut xs: Vec<f64> = present(sc).iter().filter_map(|s| v(s, sc)).collect();
                    if xs.len() < 3 {
                        return None;
                    }
                    xs.sort_by(f64::total_cmp);
                    crate::stats::percentile_sorted(&xs, 0.5)
                }
            };
            sum += if Metric::of_scenario(sc).higher_is_better() {
                n / d
            } else {
                d / n
            };
        }
        Some(sum / self.scenarios.len() as f64)
    }

    /// The ratio and its interval by interval arithmetic on the estimates.
    fn interval(&self, est: &Estimates) -> Option<(f64, Interval)> {
        let (mut point, mut lo, mut hi) = (0.0, 0.0, 0.0);
        for sc in self.scenarios {
            let (nv, ni) = group_value(est, self.num, sc)?;
            let (dv, di) = match self.den {
                Den::Group(g) => group_value(est, g, sc)?,
                Den::Median => median_value(est, sc)?,
            };
            let (r, ri) = if Metric::of_scenario(sc).higher_is_better() {
                (nv / dv, div(ni, di))
            } else {
                (dv / nv, div(di, ni))
            };
            point += r;
            lo += ri.low;
            hi += ri.high;
        }
        let n = self.scenarios.len() as f64;
        Some((
            point / n,
            Interval {
                low: lo / n,
                high: hi / n,
            },
        ))
    }

    fn label(&self) -> String {
        let den = match self.den {
            Den::Group(g) => g.join("+"),
            Den::Median => "median".into(),
        };
        format!("{}:{den} {}", self.num.join("+"), self.scenarios.join("+"))
    }
}

impl Stat<'_> {
    fn eval(
        &self,
        v: &dyn Fn(&str, &str) -> Option<f64>,
        present: &dyn Fn(&str) -> Vec<String>,
    ) -> Option<f64> {
        match self {
            Stat::Ratio(s) => s.eval(v, present),
            Stat::Quotient(a, b) => Some(a.eval(v, present)? / b.eval(v, present)?),
        }
    }

    fn interval(&self, est: &Estimates) -> Option<(f64, Interval)> {
        match self {
            Stat::Ratio(s) => s.interval(est),
            Stat::Quotient(a, b) => {
                let ((av, ai), (bv, bi)) = (a.interval(est)?, b.interval(est)?);
                Some((av / bv, div(ai, bi)))
            }
        }
    }

    fn label(&self) -> String {
        match self {
            Stat::Ratio(s) => s.label(),
            Stat::Quotient(a, b) => format!("({}) / ({})", a.label(), b.label()),
        }
    }
}

/// Which interval a decision used.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Basis {
    Paired { rounds: u32 },
    Welch { n: u32 },
    Intervals,
}

impl Basis {
    fn describe(self) -> String {
        match self {
            Basis::Paired { .. } => "paired t on the within-round log-ratios".into(),
            Basis::Welch { .. } => "Welch's t on the log repetition values".into(),
            Basis::Intervals => "interval arithmetic on the per-value intervals".into(),
        }
    }

    fn tag(self) -> String {
        match self {
            Basis::Paired { rounds } => format!("paired, {rounds} rounds"),
            Basis::Welch { n } => format!("Welch, n={n}"),
            Basis::Intervals => "intervals".into(),
        }
    }
}

/// A natural-log speed ratio with its uncertainty.
#[derive(Debug, Clone, Copy)]
struct LogRatio {
    est: f64,
    /// Standard error and degrees of freedom (t bases).
    se: f64,
    df: f64,
    /// SD of the log values behind it (t bases), for the power statement.
    sd: f64,
    basis: Basis,
    /// The interval (interval-arithmetic basis), log scale.
    bounds: Interval,
}

fn ln_or_neg_inf(x: f64) -> f64 {
    if x > 0.0 { x.ln() } else { f64::NEG_INFINITY }
}

impl LogRatio {
    fn from_interval(point: f64, iv: Interval) -> LogRatio {
        LogRatio {
            est: ln_or_neg_inf(point),
            se: f64::NAN,
            df: f64::NAN,
            sd: f64::NAN,
            basis: Basis::Intervals,
            bounds: Interval {
                low: ln_or_neg_inf(iv.low),
                high: if iv.high.is_nan() {
                    f64::INFINITY
                } else {
                    ln_or_neg_inf(iv.high)
                },
            },
        }
    }

    fn t(&self, level: f64) -> f64 {
        crate::stats::t_quantile(self.df, 0.5 + level / 2.0)
    }

    /// Two-sided interval at `level` (log scale).
    fn ci(&self, level: f64) -> Interval {
        match self.basis {
            Basis::Intervals => self.bounds,
            _ if self.se == 0.0 => Interval::point(self.est),
            _ => {
                let h = self.t(level) * self.se;
                Interval {
                    low: self.est - h,
                    high: self.est + h,
                }
            }
        }
    }

    /// One-sided p of H0 "log ratio ≤ b" (small: the ratio is above b).
    fn p_above(&self, b: f64) -> Option<f64> {
        match self.basis {
            Basis::Intervals => None,
            _ if self.se == 0.0 => Some(if self.est > b { 0.0 } else { 1.0 }),
            _ => Some(crate::stats::t_sf(self.df, (self.est - b) / self.se)),
        }
    }

    fn p_two_sided(&self, b: f64) -> Option<f64> {
        self.p_above(b).map(|p| (2.0 * p.min(1.0 - p)).min(1.0))
    }

    fn power(&self, needed: f64, level: f64, comparison: &str) -> Option<Power> {
        let (n, k, design) = match self.basis {
            Basis::Paired { rounds } => (rounds, 1.0, "paired"),
            Basis::Welch { n } => (n, 2.0, "unpaired"),
            Basis::Intervals => return None,
        };
        let t = self.t(level);
        let n_needed = (needed > 0.0 && self.sd.is_finite())
            .then(|| (k * (t * self.sd / needed).powi(2)).ceil().max(2.0) as u64);
        Some(Power {
            comparison: comparison.to_string(),
            observed_halfwidth: t * self.se,
            needed_halfwidth: needed,
            sd: self.sd,
            n,
            design: design.into(),
            n_needed,
        })
    }

    fn show(&self, level: f64) -> String {
        let ci = self.ci(level);
        if ci.low == ci.high {
            fmt_num(self.est.exp())
        } else {
            format!(
                "{} [{}, {}]",
                fmt_num(self.est.exp()),
                fmt_num(ci.low.exp()),
                fmt_num(ci.high.exp())
            )
        }
    }
}

/// The stacks with an estimate in a scenario.
fn present_in(est: &Estimates, scenario: &str) -> Vec<String> {
    est.keys()
        .filter(|(_, sc)| sc == scenario)
        .map(|(st, _)| st.clone())
        .collect()
}

/// The log ratio of a statistic: paired within rounds when the run has rounds,
/// Welch on log repetition values for one stack against one in one scenario,
/// interval arithmetic otherwise. `None` when an estimate it needs is missing.
fn log_ratio(ev: &Evidence, stat: &Stat) -> Option<LogRatio> {
    let (point, iv) = stat.interval(ev.estimates)?;
    if let Some(reps) = ev.repetitions {
        if reps.rounds
            && let Some(lr) = paired_log_ratio(reps, stat, ev.confidence)
        {
            return Some(lr);
        }
        if let Stat::Ratio(Spec {
            num: [a],
            den: Den::Group([b]),
            scenarios: [sc],
        }) = stat
            && let Some(lr) = welch_log_ratio(reps, a, b, sc, ev.confidence)
        {
            return Some(lr);
        }
    }
    Some(LogRatio::from_interval(point, iv))
}

/// The statistic evaluated within each round, as a one-sample t on its logs.
fn paired_log_ratio(reps: &Repetitions, stat: &Stat, confidence: f64) -> Option<LogRatio> {
    let mut rounds: Vec<u32> = reps
        .values
        .values()
        .flat_map(|v| v.iter().map(|&(r, _)| r))
        .collect();
    rounds.sort_unstable();
    rounds.dedup();
    let logs: Vec<f64> = rounds
        .iter()
        .filter_map(|&r| {
            let v = |st: &str, sc: &str| {
                reps.values
                    .get(&(st.to_string(), sc.to_string()))?
                    .iter()
                    .find(|&&(rr, _)| rr == r)
                    .map(|&(_, x)| x)
                    .filter(|x| x.is_finite() && *x > 0.0)
            };
            let present = |sc: &str| {
                reps.values
                    .iter()
                    .filter(|((_, s), vals)| s == sc && vals.iter().any(|&(rr, _)| rr == r))
                    .map(|((st, _), _)| st.clone())
                    .collect()
            };
            stat.eval(&v, &present)
                .filter(|x| x.is_finite() && *x > 0.0)
                .map(f64::ln)
        })
        .collect();
    let t = crate::stats::one_sample_t(&logs, 0.0, confidence)?;
    Some(LogRatio {
        est: t.diff,
        se: t.se,
        df: t.df,
        sd: crate::stats::sd(&logs),
        basis: Basis::Paired {
            rounds: logs.len() as u32,
        },
        bounds: Interval::point(t.diff),
    })
}

/// Welch's t on the log repetition values of two stacks in one scenario.
fn welch_log_ratio(
    reps: &Repetitions,
    a: &str,
    b: &str,
    sc: &str,
    confidence: f64,
) -> Option<LogRatio> {
    let logs = |st: &str| -> Option<Vec<f64>> {
        let v = reps.values.get(&(st.to_string(), sc.to_string()))?;
        v.iter()
            .map(|&(_, x)| (x.is_finite() && x > 0.0).then(|| x.ln()))
            .collect()
    };
    let (la, lb) = (logs(a)?, logs(b)?);
    let w = crate::stats::welch(&la, &lb, confidence)?;
    let sign = if Metric::of_scenario(sc).higher_is_better() {
        1.0
    } else {
        -1.0
    };
    let sd = ((crate::stats::variance(&la) + crate::stats::variance(&lb)) / 2.0).sqrt();
    Some(LogRatio {
        est: sign * w.diff,
        se: w.se,
        df: w.df,
        sd,
        basis: Basis::Welch {
            n: la.len().min(lb.len()) as u32,
        },
        bounds: Interval::point(sign * w.diff),
    })
}

/// One decided (or undecided) comparison.
#[derive(Debug, Clone)]
struct Part {
    verdict: Verdict,
    p: Option<f64>,
    power: Option<Power>,
    bases: Vec<Basis>,
    text: String,
}

impl Part {
    fn not_tested(text: String) -> Part {
        Part {
            verdict: Verdict::NotTested,
            p: None,
            power: None,
            bases: Vec::new(),
            text,
        }
    }
}

/// "The statistic is above `bound`" (or below, `above = false`), by the two-sided
/// interval at `confidence`: holds when it lies wholly on the claimed side, does
/// not hold when it lies on the other side (touching the bound counts there).
fn directional(ev: &Evidence, stat: &Stat, bound: f64, above: bool) -> Part {
    let label = stat.label();
    let Some(lr) = log_ratio(ev, stat) else {
        return Part::not_tested(format!("{label}: a stack of the claim is missing"));
    };
    let b = bound.ln();
    let ci = lr.ci(ev.confidence);
    let (holds, fails) = if above {
        (ci.low > b, ci.high <= b)
    } else {
        (ci.high < b, ci.low >= b)
    };
    let verdict = if holds {
        Verdict::Holds
    } else if fails {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    };
    let p = lr.p_two_sided(b);
    let power = (verdict == Verdict::Inconclusive)
        .then(|| lr.power((lr.est - b).abs(), ev.confidence, &label))
        .flatten();
    Part {
        verdict,
        p,
        power,
        bases: vec![lr.basis],
        text: format!(
            "{label} {} ({}; needs {} {})",
            lr.show(ev.confidence),
            lr.basis.tag(),
            if above { ">" } else { "<" },
            fmt_num(bound)
        ),
    }
}

/// "The statistic lies in (lo, hi)" by two one-sided tests (TOST): holds when the
/// `2·confidence − 1` interval lies inside the band, does not hold when the
/// `confidence` interval lies wholly outside it, inconclusive otherwise.
fn band(ev: &Evidence, stat: &Stat, lo: f64, hi: f64) -> Part {
    let label = stat.label();
    let Some(lr) = log_ratio(ev, stat) else {
        return Part::not_tested(format!("{label}: a stack of the claim is missing"));
    };
    let tost = 2.0 * ev.confidence - 1.0;
    let (l, h) = (lo.ln(), hi.ln());
    let inner = lr.ci(tost);
    let outer = lr.ci(ev.confidence);
    let verdict = if inner.low > l && inner.high < h {
        Verdict::Holds
    } else if outer.high <= l || outer.low >= h {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    };
    let inside = lr.est > l && lr.est < h;
    let p = match verdict {
        Verdict::DoesNotHold => {
            let edge = if lr.est <= l { l } else { h };
            lr.p_two_sided(edge)
        }
        _ => lr
            .p_above(l)
            .zip(lr.p_above(h))
            .map(|(pl, ph)| pl.max(1.0 - ph)),
    };
    let power = (verdict == Verdict::Inconclusive)
        .then(|| {
            if inside {
                lr.power((lr.est - l).min(h - lr.est), tost, &label)
            } else {
                let d = if lr.est <= l { l - lr.est } else { lr.est - h };
                lr.power(d, ev.confidence, &label)
            }
        })
        .flatten();
    Part {
        verdict,
        p,
        power,
        bases: vec![lr.basis],
        text: format!(
            "{label} {} ({}; TOST needs ({}, {}))",
            lr.show(tost),
            lr.basis.tag(),
            fmt_num(lo),
            fmt_num(hi)
        ),
    }
}

/// AND of parts: any "does not hold" decides, then not tested, then inconclusive.
fn and(parts: Vec<Part>, sep: &str) -> Part {
    let verdict = Verdict::all(parts.iter().map(|p| p.verdict));
    let p = match verdict {
        Verdict::Holds => parts
            .iter()
            .map(|p| p.p)
            .collect::<Option<Vec<f64>>>()
            .and_then(|ps| ps.into_iter().reduce(f64::max)),
        Verdict::DoesNotHold => parts
            .iter()
            .filter(|p| p.verdict == Verdict::DoesNotHold)
            .filter_map(|p| p.p)
            .reduce(f64::min),
        _ => None,
    };
    let power = if verdict == Verdict::Inconclusive {
        parts
            .iter()
            .filter(|p| p.verdict == Verdict::Inconclusive)
            .filter_map(|p| p.power.clone())
            .max_by_key(|w| w.n_needed.unwrap_or(u64::MAX))
    } else {
        None
    };
    let mut bases = Vec::new();
    for b in parts.iter().flat_map(|p| p.bases.iter()) {
        if !bases.contains(b) {
            bases.push(*b);
        }
    }
    Part {
        verdict,
        p,
        power,
        bases,
        text: parts
            .into_iter()
            .map(|p| p.text)
            .collect::<Vec<_>>()
            .join(sep),
    }
}

/// The point "goodness" of an estimate: higher is better in both metrics.
fn goodness(e: &Estimate, metric: Metric) -> f64 {
    if metric.higher_is_better() {
        e.value
    } else {
        -e.value
    }
}

fn ranking(est: &Estimates, scenario: &str) -> String {
    let metric = Metric::of_scenario(scenario);
    let mut all: Vec<(&String, &Estimate)> = est
        .iter()
        .filter(|((_, sc), _)| sc == scenario)
        .map(|((st, _), e)| (st, e))
        .collect();
    all.sort_by(|a, b| goodness(b.1, metric).total_cmp(&goodness(a.1, metric)));
    let r = all
        .iter()
        .map(|(s, e)| format!("{s} {}", fmt_est(e)))
        .collect::<Vec<_>>()
        .join(" > ");
    format!("{scenario} ({}), best first: {r}", metric.unit())
}

/// "`winner` beats `loser`" in a scenario: speed ratio winner:loser > 1.
fn beats(ev: &Evidence, winner: &String, loser: &String, sc: &String) -> Part {
    directional(
        ev,
        &Stat::Ratio(Spec {
            num: std::slice::from_ref(winner),
            den: Den::Group(std::slice::from_ref(loser)),
            scenarios: std::slice::from_ref(sc),
        }),
        1.0,
        true,
    )
}

/// The named stacks and the others present in a scenario; `None` when a named stack
/// is missing or no other stack is present.
fn split(est: &Estimates, sc: &str, group: &[String]) -> Option<Vec<String>> {
    let present = present_in(est, sc);
    let others: Vec<String> = present
        .iter()
        .filter(|s| !group.contains(s))
        .cloned()
        .collect();
    (group.iter().all(|g| present.contains(g)) && !others.is_empty()).then_some(others)
}

/// Best (worst): every named stack beats (loses to) every other stack present.
fn judge_extreme(ev: &Evidence, scenario: &String, group: &[String], worst: bool) -> Part {
    let Some(others) = split(ev.estimates, scenario, group) else {
        return Part::not_tested(format!(
            "{scenario}: needs {} and at least one other stack",
            group.join(", ")
        ));
    };
    let mut parts = Vec::new();
    for m in group {
        for o in &others {
            parts.push(if worst {
                beats(ev, o, m, scenario)
            } else {
                beats(ev, m, o, scenario)
            });
        }
    }
    let mut j = and(parts, ", ");
    j.text = format!("{}; {}", ranking(ev.estimates, scenario), j.text);
    j
}

/// Not best: some other stack beats every named stack (holds); some named stack
/// beats every other stack (does not hold); inconclusive otherwise.
fn judge_not_best(ev: &Evidence, scenario: &String, group: &[String]) -> Part {
    let Some(others) = split(ev.estimates, scenario, group) else {
        return Part::not_tested(format!(
            "{scenario}: needs {} and at least one other stack",
            group.join(", ")
        ));
    };
    let metric = Metric::of_scenario(scenario);
    let point = |s: &String| {
        ev.estimates
            .get(&(s.clone(), scenario.clone()))
            .map(|e| goodness(e, metric))
            .unwrap_or(f64::NEG_INFINITY)
    };
    // Each other stack's case for beating every named one.
    let mut challengers: Vec<(f64, Part)> = others
        .iter()
        .map(|o| {
            (
                point(o),
                and(
                    group.iter().map(|m| beats(ev, o, m, scenario)).collect(),
                    ", ",
                ),
            )
        })
        .collect();
    // Each named stack's case for beating every other one.
    let champions: Vec<Part> = group
        .iter()
        .map(|m| {
            and(
                others.iter().map(|o| beats(ev, m, o, scenario)).collect(),
                ", ",
            )
        })
        .collect();
    let text = ranking(ev.estimates, scenario);
    let bases =
        challengers
            .iter()
            .flat_map(|(_, p)| p.bases.clone())
            .fold(Vec::new(), |mut acc, b| {
                if !acc.contains(&b) {
                    acc.push(b);
                }
                acc
            });
    let pick_min_p = |ps: Vec<&Part>| ps.iter().filter_map(|p| p.p).reduce(f64::min);
    let holding: Vec<&Part> = challengers
        .iter()
        .map(|(_, p)| p)
        .filter(|p| p.verdict == Verdict::Holds)
        .collect();
    if !holding.is_empty() {
        return Part {
            verdict: Verdict::Holds,
            p: pick_min_p(holding),
            power: None,
            bases,
            text,
        };
    }
    let winning: Vec<&Part> = champions
        .iter()
        .filter(|p| p.verdict == Verdict::Holds)
        .collect();
    if !winning.is_empty() {
        return Part {
            verdict: Verdict::DoesNotHold,
            p: pick_min_p(winning),
            power: None,
            bases,
            text,
        };
    }
    // Undecided: what the most likely challenger would need.
    challengers.sort_by(|a, b| b.0.total_cmp(&a.0));
    let power = challengers.first().and_then(|(_, p)| p.power.clone());
    Part {
        verdict: Verdict::Inconclusive,
        p: None,
        power,
        bases,
        text,
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

/// A ratio against an optional lower and upper bound: a band (both) by TOST, one
/// bound directionally.
fn bounded(ev: &Evidence, stat: &Stat, min: Option<f64>, max: Option<f64>) -> Part {
    match (min, max) {
        (Some(lo), Some(hi)) => band(ev, stat, lo, hi),
        (Some(lo), None) => directional(ev, stat, lo, true),
        (None, Some(hi)) => directional(ev, stat, hi, false),
        (None, None) => Part::not_tested("no bound".into()),
    }
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
