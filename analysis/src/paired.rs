//! Two stacks compared within rounds: the round as a block.
//!
//! A run made in interleaved rounds (`Manifest::rounds`) holds repetition `r` of
//! every stack in round `r`, run back to back. Whatever slow drift the host has
//! (a neighbour VM, thermal state, page cache) is shared by the stacks of one
//! round, so the ratio of two stacks *within* a round can be steadier than the
//! ratio of their means. For each round where both stacks have an included
//! repetition, `d_r = ln(a_r / b_r)`; the estimate is the geometric mean ratio
//! `exp(mean d)` with the Student-t interval of `mean d` mapped through `exp`
//! (a paired t test on the log scale; the log makes the ratio symmetric:
//! a/b and b/a give reciprocal intervals). This is the analysis of a randomised
//! complete block design with one observation per cell (Montgomery, *Design and
//! Analysis of Experiments*, ch. 4) on the log scale.
//!
//! Which of the two intervals is tighter is a property of the data, not of the
//! method: `pairwise[]` gives both (Welch on the repetition values, `paired` on
//! the within-round ratios) and the README reports which was narrower.

use serde::{Deserialize, Serialize};

use crate::stats::{Interval, mean, one_sample_t};

/// The within-round ratio a/b of a metric over the rounds both stacks completed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedRatio {
    /// Rounds where both stacks have an included repetition.
    pub rounds: u32,
    /// Geometric mean of a_r / b_r.
    pub ratio: f64,
    /// Interval of the ratio at the summary's confidence level.
    pub ci: Interval,
    /// Two-sided p of the paired t test of mean ln(a_r / b_r) = 0.
    pub p: f64,
}

/// `a` and `b` are (round, value) of the included repetitions. `None` with fewer
/// than 2 common rounds or a non-positive value (a ratio of rates or times needs
/// both positive).
pub fn paired_ratio(a: &[(u32, f64)], b: &[(u32, f64)], confidence: f64) -> Option<PairedRatio> {
    let logs: Vec<f64> = a
        .iter()
        .filter_map(|&(r, av)| {
            let bv = b.iter().find(|&&(rb, _)| rb == r)?.1;
            (av > 0.0 && bv > 0.0 && av.is_finite() && bv.is_finite()).then(|| (av / bv).ln())
        })
        .collect();
    let t = one_sample_t(&logs, 0.0, confidence)?;
    Some(PairedRatio {
        rounds: logs.len() as u32,
        ratio: mean(&logs).exp(),
        ci: Interval {
            low: t.ci.low.exp(),
            high: t.ci.high.exp(),
        },
        p: t.p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_drift_cancels_within_rounds() {
        // Both stacks drift together by ±20 % from round to round; a is always 2× b.
        let drift = [1.0, 1.2, 0.8, 1.1, 0.9];
        let a: Vec<(u32, f64)> = drift.iter().zip(1..).map(|(d, r)| (r, 200.0 * d)).collect();
        let b: Vec<(u32, f64)> = drift.iter().zip(1..).map(|(d, r)| (r, 100.0 * d)).collect();
        let p = paired_ratio(&a, &b, 0.95).unwrap();
        assert_eq!(p.rounds, 5);
        assert!((p.ratio - 2.0).abs() < 1e-12);
        assert!((p.ci.low - 2.0).abs() < 1e-12 && (p.ci.high - 2.0).abs() < 1e-12);
        assert_eq!(p.p, 0.0);
    }

    #[test]
    fn matches_a_paired_t_test_on_the_logs() {
        // scipy 1.x: ttest_1samp(np.log([1.1, 0.9, 1.3, 1.05]), 0).pvalue = 0.3932300484907714
        let a = [(1, 1.1), (2, 0.9), (3, 1.3), (4, 1.05)];
        let b = [(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0)];
        let p = paired_ratio(&a, &b, 0.95).unwrap();
        let logs = [1.1f64.ln(), 0.9f64.ln(), 1.3f64.ln(), 1.05f64.ln()];
        assert!((p.ratio - mean(&logs).exp()).abs() < 1e-12);
        assert!(p.ci.low < p.ratio && p.ratio < p.ci.high);
        assert!((p.p - 0.393_230_048_490_771_4).abs() < 1e-9, "{}", p.p);
        // Reversed: the reciprocal ratio and interval.
        let q = paired_ratio(&b, &a, 0.95).unwrap();
        assert!((q.ratio * p.ratio - 1.0).abs() < 1e-12);
        assert!((q.ci.low * p.ci.high - 1.0).abs() < 1e-12);
    }

    #[test]
    fn only_common_rounds_count() {
        let a = [(1, 2.0), (2, 2.0), (4, 9.0)];
        let b = [(1, 1.0), (2, 1.0), (3, 5.0)];
        assert_eq!(paired_ratio(&a, &b, 0.95).unwrap().rounds, 2);
        assert!(paired_ratio(&a[..1], &b, 0.95).is_none());
        assert!(paired_ratio(&[(1, 0.0), (2, 1.0)], &b, 0.95).is_none());
    }
}
