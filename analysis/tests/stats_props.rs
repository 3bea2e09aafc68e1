//! Property tests for the statistics' edge cases: one sample, all equal, n = 2, and
//! invariants that must hold for any input.

use analysis::stats::{
    bootstrap_ci, hedges_g, mann_whitney_sorted, mean, percentile_sorted, t_interval,
    tukey_outliers, welch,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn value() -> impl Strategy<Value = f64> {
    -1.0e6..1.0e6f64
}

proptest! {
    #[test]
    fn one_sample(x in value(), p in 0.0..=1.0f64, seed in any::<u64>()) {
        let v = [x];
        prop_assert_eq!(percentile_sorted(&v, p), x);
        prop_assert_eq!(mean(&v), x);
        prop_assert!(t_interval(&v, 0.95).is_none());
        prop_assert!(welch(&v, &[1.0, 2.0], 0.95).is_none());
        prop_assert!(hedges_g(&v, &[1.0, 2.0]).is_none());
        let o = tukey_outliers(&v);
        prop_assert_eq!(o.beyond_1_5_iqr, 0);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let b = bootstrap_ci(&v, mean, 50, 0.95, 1000, &mut rng).unwrap();
        prop_assert_eq!(b.ci.low, x);
        prop_assert_eq!(b.ci.high, x);
        let m = mann_whitney_sorted(&v, &v).unwrap();
        prop_assert_eq!(m.cliffs_delta, 0.0);
        prop_assert_eq!(m.p, 1.0);
    }

    #[test]
    fn all_equal(x in value(), n in 2usize..50, k in 2usize..50, p in 0.0..=1.0f64) {
        let a = vec![x; n];
        let b = vec![x; k];
        prop_assert_eq!(percentile_sorted(&a, p), x);
        let ci = t_interval(&a, 0.95).unwrap();
        prop_assert_eq!(ci.low, ci.high);
        prop_assert!((ci.low - x).abs() <= 1e-9 * x.abs().max(1.0));
        let w = welch(&a, &b, 0.95).unwrap();
        prop_assert_eq!(w.p, 1.0);
        prop_assert_eq!(w.t, 0.0);
        let other = vec![x + 1.0; k];
        let w = welch(&a, &other, 0.95).unwrap();
        prop_assert_eq!(w.p, 0.0);
        prop_assert!(w.t.is_infinite() && w.t < 0.0);
        prop_assert!(hedges_g(&a, &b).is_none());
        let o = tukey_outliers(&a);
        prop_assert_eq!(o.beyond_1_5_iqr, 0);
        prop_assert_eq!(o.beyond_3_iqr, 0);
        let m = mann_whitney_sorted(&a, &b).unwrap();
        prop_assert_eq!(m.p, 1.0);
        prop_assert_eq!(m.cliffs_delta, 0.0);
    }

    #[test]
    fn two_samples(x in value(), y in value(), p in 0.0..=1.0f64) {
        prop_assume!(x != y);
        let v = sorted(vec![x, y]);
        let q = percentile_sorted(&v, p);
        prop_assert!(v[0] <= q && q <= v[1]);
        let ci = t_interval(&v, 0.95).unwrap();
        let m = mean(&v);
        prop_assert!(ci.low < m && m < ci.high);
        // symmetric around the mean; with df = 1 the 95% t quantile is 12.706
        prop_assert!(((m - ci.low) - (ci.high - m)).abs() <= 1e-6 * (ci.high - ci.low));
        let half = (v[1] - v[0]).abs() / 2.0 * 12.706_204_736_174_7;
        prop_assert!((ci.half_width() - half).abs() <= 1e-6 * half);
        let mw = mann_whitney_sorted(&v[..1], &v[1..]).unwrap();
        prop_assert_eq!(mw.u, 0.0);
        prop_assert_eq!(mw.cliffs_delta, -1.0);
    }

    #[test]
    fn invariants(a in prop::collection::vec(value(), 2..60), b in prop::collection::vec(value(), 2..60),
                  p1 in 0.0..=1.0f64, p2 in 0.0..=1.0f64) {
        let sa = sorted(a.clone());
        let sb = sorted(b.clone());
        let (lo, hi) = if p1 <= p2 { (p1, p2) } else { (p2, p1) };
        prop_assert!(percentile_sorted(&sa, lo) <= percentile_sorted(&sa, hi));
        let c95 = t_interval(&a, 0.95).unwrap();
        let c99 = t_interval(&a, 0.99).unwrap();
        let m = mean(&a);
        prop_assert!(c95.low <= m && m <= c95.high);
        prop_assert!(c99.low <= c95.low && c95.high <= c99.high);
        let ab = welch(&a, &b, 0.95).unwrap();
        let ba = welch(&b, &a, 0.95).unwrap();
        prop_assert!((ab.t + ba.t).abs() <= 1e-9 * ab.t.abs().max(1.0));
        prop_assert!((0.0..=1.0).contains(&ab.p));
        prop_assert!(ab.ci.contains(ab.diff));
        let m1 = mann_whitney_sorted(&sa, &sb).unwrap();
        let m2 = mann_whitney_sorted(&sb, &sa).unwrap();
        prop_assert!((m1.u + m2.u - (a.len() * b.len()) as f64).abs() < 1e-6);
        prop_assert!((m1.p - m2.p).abs() < 1e-12);
        prop_assert!((-1.0..=1.0).contains(&m1.cliffs_delta));
        let o = tukey_outliers(&sa);
        prop_assert!(o.beyond_3_iqr <= o.beyond_1_5_iqr);
    }
}
