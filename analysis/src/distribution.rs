//! The shape of a latency cell beyond its mean: the share of the total latency carried
//! by the slowest 1 % of requests, and the empirical CDF downsampled for drawing
//! (exact points of the ECDF at chosen ranks; quantiles stay exact in
//! [`crate::summary::LatencySummary`], computed from all requests).

use serde::{Deserialize, Serialize};

/// [`slowest_share`] counts the slowest ⌈n / SLOWEST_DIVISOR⌉ requests: 1 %.
pub const SLOWEST_DIVISOR: usize = 100;

/// Points kept of the pooled ECDF of a cell (all requests of its included repetitions).
pub const POOLED_POINTS: usize = 200;
/// Points kept of each repetition's ECDF.
pub const REPETITION_POINTS: usize = 50;

/// Share (0..=1) of the summed latency carried by the slowest ⌈n·1 %⌉ requests, from
/// ascending-sorted values; `None` when empty or the sum is not positive.
pub fn slowest_share(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let k = n.div_ceil(SLOWEST_DIVISOR);
    let total: f64 = sorted.iter().sum();
    let tail: f64 = sorted[n - k..].iter().sum();
    (total > 0.0).then(|| tail / total)
}

/// A share in 0..=1 as the reports print it; see [`crate::format::share`].
pub use crate::format::share as share_text;

/// An empirical CDF reduced to at most a few hundred of its exact points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ecdf {
    /// Requests behind it.
    pub n: u64,
    /// The points' values in ms, ascending: point i is the k-th smallest value and
    /// `f[i]` = k/n. The first and last values (min, max) are always kept, and the upper
    /// tail (F ≥ 0.99) more densely than the body. Two flat lists keep summary.json small.
    pub ms: Vec<f64>,
    pub f: Vec<f64>,
}

impl Ecdf {
    /// From ascending-sorted values, keeping about `max_points` points (plus up to 18
    /// tail points); `None` when empty.
    pub fn of_sorted(sorted: &[f64], max_points: usize) -> Option<Ecdf> {
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let m = max_points.max(2);
        // 0-based ranks: evenly spaced, then the tail at F = 0.991..0.999, 0.9991..0.9999.
        let mut ranks: Vec<usize> = (0..m)
            .map(|j| ((j as f64) * (n - 1) as f64 / (m - 1) as f64).round() as usize)
            .collect();
        for p in (1..10).flat_map(|j| [0.99 + j as f64 * 1e-3, 0.999 + j as f64 * 1e-4]) {
            ranks.push(((p * n as f64).ceil() as usize).clamp(1, n) - 1);
        }
        ranks.sort_unstable();
        ranks.dedup();
        // Rounded for the file's size (0.1 µs and 1e-6 are far below what a figure shows).
        let round = |v: f64, scale: f64| (v * scale).round() / scale;
        Some(Ecdf {
            n: n as u64,
            ms: ranks.iter().map(|&r| round(sorted[r], 1e4)).collect(),
            f: ranks
                .iter()
                .map(|&r| round((r + 1) as f64 / n as f64, 1e6))
                .collect(),
        })
    }

    /// The points as `[ms, F]`.
    pub fn points(&self) -> impl Iterator<Item = [f64; 2]> + '_ {
        self.ms.iter().zip(&self.f).map(|(&x, &f)| [x, f])
    }
}

/// One repetition's ECDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepetitionEcdf {
    pub repetition: u32,
    pub ecdf: Ecdf,
}

/// A latency cell's distribution: all requests of its included repetitions pooled, and
/// each included repetition alone (the spread between repetitions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDistribution {
    pub pooled: Ecdf,
    pub repetitions: Vec<RepetitionEcdf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowest_share_counts_the_top_ceil_one_percent() {
        // 99 requests of 1 ms and one of 99 ms: the slowest 1 % (one request) carries half.
        let mut v = vec![1.0; 99];
        v.push(99.0);
        assert_eq!(slowest_share(&v), Some(0.5));
        // 101 requests: ⌈1.01⌉ = 2 slowest.
        let mut w = vec![1.0; 99];
        w.extend([50.0, 50.0]);
        assert_eq!(slowest_share(&w), Some(100.0 / 199.0));
        // Equal values: exactly the slowest fraction's share of the requests.
        assert_eq!(slowest_share(&[2.0; 200]), Some(0.01));
        assert_eq!(slowest_share(&[]), None);
        assert_eq!(slowest_share(&[0.0, 0.0]), None);
    }

    #[test]
    fn ecdf_keeps_exact_points_with_min_max_and_the_tail() {
        let v: Vec<f64> = (1..=10_000).map(f64::from).collect();
        let e = Ecdf::of_sorted(&v, 50).expect("non-empty");
        assert_eq!(e.ms.len(), e.f.len());
        let points: Vec<[f64; 2]> = e.points().collect();
        assert_eq!(e.n, 10_000);
        assert!(points.len() <= 50 + 18, "{}", points.len());
        assert_eq!(points.first(), Some(&[1.0, 1e-4]));
        assert_eq!(points.last(), Some(&[10_000.0, 1.0]));
        // Every point lies on the ECDF: the k-th smallest value at F = k/n.
        for [x, f] in &points {
            assert_eq!(*f, x / 10_000.0);
        }
        // The tail is denser than the body: F = 0.999 and 0.9999 are points.
        assert!(points.iter().any(|p| p[1] == 0.999));
        assert!(points.iter().any(|p| p[1] == 0.9999));
        assert!(
            points
                .windows(2)
                .all(|w| w[0][0] < w[1][0] && w[0][1] < w[1][1])
        );
        // One value: one point at F = 1.
        assert_eq!(
            Ecdf::of_sorted(&[3.0], 50)
                .expect("one")
                .points()
                .collect::<Vec<_>>(),
            vec![[3.0, 1.0]]
        );
        assert_eq!(Ecdf::of_sorted(&[], 50), None);
    }
}
