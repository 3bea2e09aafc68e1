//! The parts of a judgement: a directional or band comparison, rankings, best/worst
//! of a group, and their conjunction into one verdict.

use super::ratio::{Basis, Den, Spec, Stat, fmt_est, fmt_num, log_ratio, present_in};
use super::{Estimate, Estimates, Evidence, Metric, Power, Verdict};

/// One decided (or undecided) comparison.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub(super) verdict: Verdict,
    pub(super) p: Option<f64>,
    pub(super) power: Option<Power>,
    pub(super) bases: Vec<Basis>,
    pub(super) text: String,
}

impl Part {
    pub(super) fn not_tested(text: String) -> Part {
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
pub(super) fn directional(ev: &Evidence, stat: &Stat, bound: f64, above: bool) -> Part {
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
pub(super) fn band(ev: &Evidence, stat: &Stat, lo: f64, hi: f64) -> Part {
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
pub(super) fn and(parts: Vec<Part>, sep: &str) -> Part {
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
pub(super) fn goodness(e: &Estimate, metric: Metric) -> f64 {
    if metric.higher_is_better() {
        e.value
    } else {
        -e.value
    }
}

pub(super) fn ranking(est: &Estimates, scenario: &str) -> String {
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
pub(super) fn beats(ev: &Evidence, winner: &String, loser: &String, sc: &String) -> Part {
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
pub(super) fn split(est: &Estimates, sc: &str, group: &[String]) -> Option<Vec<String>> {
    let present = present_in(est, sc);
    let others: Vec<String> = present
        .iter()
        .filter(|s| !group.contains(s))
        .cloned()
        .collect();
    (group.iter().all(|g| present.contains(g)) && !others.is_empty()).then_some(others)
}

/// Best (worst): every named stack beats (loses to) every other stack present.
pub(super) fn judge_extreme(
    ev: &Evidence,
    scenario: &String,
    group: &[String],
    worst: bool,
) -> Part {
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
pub(super) fn judge_not_best(ev: &Evidence, scenario: &String, group: &[String]) -> Part {
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

/// A ratio against an optional lower and upper bound: a band (both) by TOST, one
/// bound directionally.
pub(super) fn bounded(ev: &Evidence, stat: &Stat, min: Option<f64>, max: Option<f64>) -> Part {
    match (min, max) {
        (Some(lo), Some(hi)) => band(ev, stat, lo, hi),
        (Some(lo), None) => directional(ev, stat, lo, true),
        (None, Some(hi)) => directional(ev, stat, hi, false),
        (None, None) => Part::not_tested("no bound".into()),
    }
}
