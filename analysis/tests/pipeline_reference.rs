//! The whole pipeline (read the Parquet, drop warm-up and the failed repetition, group,
//! percentiles, req/s, t intervals, Welch, Mann–Whitney, Tukey) against the same
//! statistics computed independently by polars + scipy on the same committed run
//! folder (tests/fixtures/small_run, expected.json from
//! `python3 analysis/bench/python_stats.py analysis/tests/fixtures/small_run --emit …`).

use analysis::{Paper, parse_manifest, read_resources, read_samples_for_analysis, summarize};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    repetitions: Vec<Rep>,
    cells: Vec<Cell>,
    pairs: Vec<Pair>,
    orm: Vec<Orm>,
}

#[derive(Deserialize)]
struct Rep {
    stack: String,
    scenario: String,
    repetition: u32,
    requests: u64,
    errors: u64,
    req_per_s: Option<f64>,
    mean_ms: f64,
    median_ms: f64,
    p90_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    ttfb_ms: f64,
    included: bool,
}

#[derive(Deserialize)]
struct Cell {
    stack: String,
    scenario: String,
    mean: f64,
    ci: Option<[f64; 2]>,
    outliers: [u64; 2],
}

#[derive(Deserialize)]
struct Pair {
    scenario: String,
    a: String,
    b: String,
    welch_p: Option<f64>,
    mwu_p: f64,
}

#[derive(Deserialize)]
struct Orm {
    orm_stack: String,
    scenario: String,
    p: f64,
    ci: [f64; 2],
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: pywebbench {got:.15e}, polars/scipy {want:.15e}"
    );
}

#[test]
fn summary_matches_polars_and_scipy_on_the_same_run() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small_run/");
    let read = |f: &str| std::fs::read(format!("{dir}{f}")).expect("fixture file");
    let manifest = parse_manifest(&read("manifest.json")).unwrap();
    let samples = read_samples_for_analysis(&read("samples.parquet")).unwrap();
    let resources = read_resources(&read("resources.parquet")).unwrap();
    let s = summarize(
        &manifest,
        &samples,
        &resources,
        &Paper::builtin().unwrap(),
        1,
    )
    .unwrap();
    let want: Expected = serde_json::from_slice(&read("expected.json")).unwrap();

    assert_eq!(want.repetitions.len(), 5 * 7 * 3);
    for r in &want.repetitions {
        let cell = s.cell(&r.stack, &r.scenario).unwrap();
        let got = cell
            .detail
            .as_ref()
            .unwrap()
            .repetitions
            .iter()
            .find(|x| x.repetition == r.repetition)
            .unwrap();
        let what = format!("{}/{}/{}", r.stack, r.scenario, r.repetition);
        assert_eq!(
            (got.requests, got.errors, got.included),
            (r.requests, r.errors, r.included),
            "{what}"
        );
        match (got.req_per_s, r.req_per_s) {
            (Some(g), Some(w)) => close(&format!("{what} req/s"), g, w),
            (g, w) => assert_eq!(g.is_some(), w.is_some(), "{what} req/s"),
        }
        let l = got.latency.unwrap();
        close(&format!("{what} mean"), l.mean_ms, r.mean_ms);
        close(&format!("{what} median"), l.median_ms, r.median_ms);
        close(&format!("{what} p90"), l.p90_ms, r.p90_ms);
        close(&format!("{what} p95"), l.p95_ms, r.p95_ms);
        close(&format!("{what} p99"), l.p99_ms, r.p99_ms);
        close(&format!("{what} max"), l.max_ms, r.max_ms);
        close(
            &format!("{what} ttfb"),
            got.ttfb.unwrap().mean_ms,
            r.ttfb_ms,
        );
    }
    assert_eq!(want.cells.len(), 35);
    for c in &want.cells {
        let got = s.cell(&c.stack, &c.scenario).unwrap();
        let what = format!("{}/{}", c.stack, c.scenario);
        close(&format!("{what} bar"), got.estimate.value, c.mean);
        let ci = got.estimate.ci.unwrap();
        let w = c.ci.unwrap();
        close(&format!("{what} ci low"), ci.low, w[0]);
        close(&format!("{what} ci high"), ci.high, w[1]);
        let o = got.detail.as_ref().unwrap().outliers.unwrap();
        assert_eq!(
            [o.beyond_1_5_iqr, o.beyond_3_iqr],
            c.outliers,
            "{what} outliers"
        );
    }
    assert_eq!(want.pairs.len(), 70);
    for p in &want.pairs {
        let got = s
            .pairwise
            .iter()
            .find(|x| x.scenario == p.scenario && x.a == p.a && x.b == p.b)
            .unwrap();
        let what = format!("{} {} vs {}", p.scenario, p.a, p.b);
        close(
            &format!("{what} welch p"),
            got.welch.unwrap().p,
            p.welch_p.unwrap(),
        );
        close(
            &format!("{what} mwu p"),
            got.mann_whitney.unwrap().p,
            p.mwu_p,
        );
    }
    assert_eq!(want.orm.len(), 14);
    for o in &want.orm {
        let got = s
            .orm_overhead
            .iter()
            .find(|x| x.orm_stack == o.orm_stack && x.scenario == o.scenario)
            .unwrap();
        close(
            &format!("orm {} {} p", o.orm_stack, o.scenario),
            got.p.unwrap(),
            o.p,
        );
        let ci = got.diff_ci.unwrap();
        close("orm ci low", ci.low, o.ci[0]);
        close("orm ci high", ci.high, o.ci[1]);
    }
}
