//! A claim's statistic as a ratio on the log scale: from intervals, paired rounds or
//! Welch on the repetitions; its confidence interval, one- and two-sided tests, power.

use super::{Estimate, Estimates, Evidence, Metric, Power, Repetitions};
use crate::stats::Interval;

pub(super) fn fmt_num(v: f64) -> String {
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

pub(super) fn fmt_est(e: &Estimate) -> String {
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

pub(super) fn mean_of(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The denominator of a speed ratio.
#[derive(Debug, Clone, Copy)]
pub(super) enum Den<'a> {
    Group(&'a [String]),
    /// The median of every stack present in the scenario.
    Median,
}

/// A speed ratio: how many times better `num` is than `den` (req/s: num/den; ms:
/// den/num), each group its stacks' mean, averaged over `scenarios`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec<'a> {
    pub(super) num: &'a [String],
    pub(super) den: Den<'a>,
    pub(super) scenarios: &'a [String],
}

/// The statistic a decision is about: a speed ratio, or the quotient of two.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stat<'a> {
    Ratio(Spec<'a>),
    Quotient(Spec<'a>, Spec<'a>),
}

impl Spec<'_> {
    /// The ratio from one value per (stack, scenario); `present(sc)` lists the
    /// stacks with a value (for the median).
    pub(super) fn eval(
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
    pub(super) fn interval(&self, est: &Estimates) -> Option<(f64, Interval)> {
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

    pub(super) fn label(&self) -> String {
        let den = match self.den {
            Den::Group(g) => g.join("+"),
            Den::Median => "median".into(),
        };
        format!("{}:{den} {}", self.num.join("+"), self.scenarios.join("+"))
    }
}

impl Stat<'_> {
    pub(super) fn eval(
        &self,
        v: &dyn Fn(&str, &str) -> Option<f64>,
        present: &dyn Fn(&str) -> Vec<String>,
    ) -> Option<f64> {
        match self {
            Stat::Ratio(s) => s.eval(v, present),
            Stat::Quotient(a, b) => Some(a.eval(v, present)? / b.eval(v, present)?),
        }
    }

    pub(super) fn interval(&self, est: &Estimates) -> Option<(f64, Interval)> {
        match self {
            Stat::Ratio(s) => s.interval(est),
            Stat::Quotient(a, b) => {
                let ((av, ai), (bv, bi)) = (a.interval(est)?, b.interval(est)?);
                Some((av / bv, div(ai, bi)))
            }
        }
    }

    pub(super) fn label(&self) -> String {
        match self {
            Stat::Ratio(s) => s.label(),
            Stat::Quotient(a, b) => format!("({}) / ({})", a.label(), b.label()),
        }
    }
}

/// Which interval a decision used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Basis {
    Paired { rounds: u32 },
    Welch { n: u32 },
    Intervals,
}

impl Basis {
    pub(super) fn describe(self) -> String {
        match self {
            Basis::Paired { .. } => "paired t on the within-round log-ratios".into(),
            Basis::Welch { .. } => "Welch's t on the log repetition values".into(),
            Basis::Intervals => "interval arithmetic on the per-value intervals".into(),
        }
    }

    pub(super) fn tag(self) -> String {
        match self {
            Basis::Paired { rounds } => format!("paired, {rounds} rounds"),
            Basis::Welch { n } => format!("Welch, n={n}"),
            Basis::Intervals => "intervals".into(),
        }
    }
}

/// A natural-log speed ratio with its uncertainty.
#[derive(Debug, Clone, Copy)]
pub(super) struct LogRatio {
    pub(super) est: f64,
    /// Standard error and degrees of freedom (t bases).
    pub(super) se: f64,
    pub(super) df: f64,
    /// SD of the log values behind it (t bases), for the power statement.
    pub(super) sd: f64,
    pub(super) basis: Basis,
    /// The interval (interval-arithmetic basis), log scale.
    pub(super) bounds: Interval,
}

pub(super) fn ln_or_neg_inf(x: f64) -> f64 {
    if x > 0.0 { x.ln() } else { f64::NEG_INFINITY }
}

impl LogRatio {
    pub(super) fn from_interval(point: f64, iv: Interval) -> LogRatio {
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

    pub(super) fn t(&self, level: f64) -> f64 {
        crate::stats::t_quantile(self.df, 0.5 + level / 2.0)
    }

    /// Two-sided interval at `level` (log scale).
    pub(super) fn ci(&self, level: f64) -> Interval {
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
    pub(super) fn p_above(&self, b: f64) -> Option<f64> {
        match self.basis {
            Basis::Intervals => None,
            _ if self.se == 0.0 => Some(if self.est > b { 0.0 } else { 1.0 }),
            _ => Some(crate::stats::t_sf(self.df, (self.est - b) / self.se)),
        }
    }

    pub(super) fn p_two_sided(&self, b: f64) -> Option<f64> {
        self.p_above(b).map(|p| (2.0 * p.min(1.0 - p)).min(1.0))
    }

    pub(super) fn power(&self, needed: f64, level: f64, comparison: &str) -> Option<Power> {
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

    pub(super) fn show(&self, level: f64) -> String {
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
pub(super) fn present_in(est: &Estimates, scenario: &str) -> Vec<String> {
    est.keys()
        .filter(|(_, sc)| sc == scenario)
        .map(|(st, _)| st.clone())
        .collect()
}

/// The log ratio of a statistic: paired within rounds when the run has rounds,
/// Welch on log repetition values for one stack against one in one scenario,
/// interval arithmetic otherwise. `None` when an estimate it needs is missing.
pub(super) fn log_ratio(ev: &Evidence, stat: &Stat) -> Option<LogRatio> {
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
pub(super) fn paired_log_ratio(
    reps: &Repetitions,
    stat: &Stat,
    confidence: f64,
) -> Option<LogRatio> {
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
pub(super) fn welch_log_ratio(
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

/// Mean of a group's estimates as an interval (interval arithmetic).
pub(super) fn group_value(
    est: &Estimates,
    group: &[String],
    scenario: &str,
) -> Option<(f64, Interval)> {
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
pub(super) fn median_value(est: &Estimates, scenario: &str) -> Option<(f64, Interval)> {
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
pub(super) fn div(a: Interval, b: Interval) -> Interval {
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
