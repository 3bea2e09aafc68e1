//! The statistics against independently computed numpy/scipy values
//! (tests/fixtures/reference.json, from tests/fixtures/gen_reference.py), to 1e-9.

use std::collections::BTreeMap;

use analysis::stats::{
    hedges_g, mann_whitney_sorted, mean, one_sample_t, percentile_sorted, t_interval,
    tukey_outliers, variance, welch,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    datasets: BTreeMap<String, Vec<f64>>,
    describe: BTreeMap<String, Describe>,
    welch: Vec<WelchRef>,
    mann_whitney: Vec<MwuRef>,
    one_sample: Vec<OneSampleRef>,
}

#[derive(Deserialize)]
struct OneSampleRef {
    x: String,
    mu: f64,
    t: f64,
    p: f64,
    df: f64,
    ci_low: f64,
    ci_high: f64,
}

#[derive(Deserialize)]
struct Describe {
    n: usize,
    mean: f64,
    variance: f64,
    percentiles: BTreeMap<String, f64>,
    t_interval_95: [f64; 2],
    t_interval_99: [f64; 2],
    tukey_q1: f64,
    tukey_q3: f64,
    beyond_1_5_iqr: u64,
    beyond_3_iqr: u64,
}

#[derive(Deserialize)]
struct WelchRef {
    a: String,
    b: String,
    t: f64,
    p: f64,
    df: f64,
    ci_low: f64,
    ci_high: f64,
    hedges_g: f64,
}

#[derive(Deserialize)]
struct MwuRef {
    a: String,
    b: String,
    u: f64,
    p: f64,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("fixtures/reference.json")).expect("fixture parses")
}

/// |got − want| ≤ 1e-9 · max(1, |want|)
fn close(what: &str, got: f64, want: f64) {
    let tol = 1e-9 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol || (got.is_nan() && want.is_nan()),
        "{what}: got {got:.15e}, scipy {want:.15e}, diff {:.3e}",
        (got - want).abs()
    );
}

fn sorted(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

#[test]
fn describe_matches_numpy_and_scipy() {
    let r = reference();
    assert!(r.describe.len() >= 9);
    for (name, d) in &r.describe {
        let x = &r.datasets[name];
        assert_eq!(x.len(), d.n);
        close(&format!("{name} mean"), mean(x), d.mean);
        close(&format!("{name} variance"), variance(x), d.variance);
        let s = sorted(x);
        for (p, want) in &d.percentiles {
            let p: f64 = p.parse().unwrap();
            close(&format!("{name} p{p}"), percentile_sorted(&s, p), *want);
        }
        let ci = t_interval(x, 0.95).unwrap();
        close(&format!("{name} t95 low"), ci.low, d.t_interval_95[0]);
        close(&format!("{name} t95 high"), ci.high, d.t_interval_95[1]);
        let ci = t_interval(x, 0.99).unwrap();
        close(&format!("{name} t99 low"), ci.low, d.t_interval_99[0]);
        close(&format!("{name} t99 high"), ci.high, d.t_interval_99[1]);
        let o = tukey_outliers(&s);
        close(&format!("{name} q1"), o.q1, d.tukey_q1);
        close(&format!("{name} q3"), o.q3, d.tukey_q3);
        assert_eq!(o.beyond_1_5_iqr, d.beyond_1_5_iqr, "{name} 1.5 IQR");
        assert_eq!(o.beyond_3_iqr, d.beyond_3_iqr, "{name} 3 IQR");
    }
}

#[test]
fn welch_matches_scipy() {
    let r = reference();
    assert!(r.welch.len() >= 5);
    for w in &r.welch {
        let (a, b) = (&r.datasets[&w.a], &r.datasets[&w.b]);
        let got = welch(a, b, 0.95).unwrap();
        let what = format!("welch {} vs {}", w.a, w.b);
        close(&format!("{what} t"), got.t, w.t);
        close(&format!("{what} p"), got.p, w.p);
        close(&format!("{what} df"), got.df, w.df);
        close(&format!("{what} ci low"), got.ci.low, w.ci_low);
        close(&format!("{what} ci high"), got.ci.high, w.ci_high);
        close(&format!("{what} g"), hedges_g(a, b).unwrap(), w.hedges_g);
    }
}

#[test]
fn mann_whitney_matches_scipy() {
    let r = reference();
    assert!(r.mann_whitney.len() >= 5);
    for m in &r.mann_whitney {
        let (a, b) = (sorted(&r.datasets[&m.a]), sorted(&r.datasets[&m.b]));
        let got = mann_whitney_sorted(&a, &b).unwrap();
        let what = format!("mwu {} vs {}", m.a, m.b);
        close(&format!("{what} U"), got.u, m.u);
        close(&format!("{what} p"), got.p, m.p);
    }
}

#[test]
fn one_sample_t_matches_scipy() {
    let r = reference();
    assert_eq!(r.one_sample.len(), 3);
    for o in &r.one_sample {
        let got = one_sample_t(&r.datasets[&o.x], o.mu, 0.95).unwrap();
        let what = format!("1-sample {} vs {}", o.x, o.mu);
        close(&format!("{what} t"), got.t, o.t);
        close(&format!("{what} p"), got.p, o.p);
        close(&format!("{what} df"), got.df, o.df);
        close(&format!("{what} ci low"), got.ci.low, o.ci_low);
        close(&format!("{what} ci high"), got.ci.high, o.ci_high);
    }
}
