//! A synthetic run written with the crate's Parquet writer, read back, summarised.

use analysis::schema::{ErrorKind, RepetitionStatus};
use analysis::summary::{CiMethod, Source};
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{
    AnalysisError, Paper, Settings, Summary, parse_manifest, read_resources, read_samples,
    read_samples_for_analysis, summarize, summarize_paper, summarize_with, write_resources,
    write_sample_columns,
};

/// Equal texts, reporting the first differing line (not the whole document).
fn same_lines(a: &str, b: &str) {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        assert_eq!(x, y, "line {}", i + 1);
    }
    assert_eq!(a.lines().count(), b.lines().count());
}

/// Fewer bootstrap resamples: the tests run unoptimised.
fn light() -> Settings {
    Settings {
        bootstrap_resamples: 200,
        ..Settings::default()
    }
}

fn spec() -> SyntheticSpec {
    SyntheticSpec {
        run_id: "2026-01-01T00-00-00Z-test".into(),
        scale: 0.02,
        failed: Some(("django-drf".into(), 3)),
        ..SyntheticSpec::default()
    }
}

#[test]
fn write_read_roundtrip_is_lossless_and_sorted() {
    let paper = Paper::builtin().unwrap();
    let (manifest, cols, resources) = synthetic_run(&spec(), &paper);
    let bytes = write_sample_columns(&cols, None).unwrap();
    let back = read_samples(&bytes).unwrap();
    assert_eq!(back.len(), cols.len());
    assert_eq!(back.run_id.as_deref(), Some("2026-01-01T00-00-00Z-test"));
    // Same multiset of records, file order = sorted order.
    let mut want = cols.to_records();
    want.sort_by(|a, b| {
        (&a.stack, a.repetition, &a.scenario, a.start_ns).cmp(&(
            &b.stack,
            b.repetition,
            &b.scenario,
            b.start_ns,
        ))
    });
    let got = back.to_records();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            (
                g.stack.as_str(),
                g.repetition,
                g.scenario.as_str(),
                g.start_ns
            ),
            (
                w.stack.as_str(),
                w.repetition,
                w.scenario.as_str(),
                w.start_ns
            )
        );
    }
    let mut got_sorted = got.clone();
    got_sorted.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let mut want_sorted = want.clone();
    want_sorted.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(got_sorted, want_sorted);
    assert!(got.iter().any(|r| r.error == Some(ErrorKind::Timeout)));
    // The analysis read gets the same analysis columns and leaves the rest empty.
    let lean = read_samples_for_analysis(&bytes).unwrap();
    assert_eq!(lean.latency_ns, back.latency_ns);
    assert_eq!(lean.error, back.error);
    assert!(lean.start_ns.is_empty() && !lean.is_complete() && back.is_complete());
    // Resources and manifest too.
    let rb = write_resources(&resources).unwrap();
    let rback = read_resources(&rb).unwrap();
    assert_eq!(rback.len(), resources.len());
    let m = parse_manifest(serde_json::to_string(&manifest).unwrap().as_bytes()).unwrap();
    assert_eq!(m, manifest);
}

#[test]
fn summary_of_a_synthetic_run() {
    let paper = Paper::builtin().unwrap();
    let (manifest, cols, resources) = synthetic_run(&spec(), &paper);
    let bytes = write_sample_columns(&cols, None).unwrap();
    let samples = read_samples_for_analysis(&bytes).unwrap();
    let s = summarize_with(&manifest, &samples, &resources, &paper, 42, light()).unwrap();
    assert_eq!(s.source, Source::Run);
    assert_eq!(s.stacks.len(), 5);
    assert_eq!(
        s.scenarios,
        [
            "hello", "echo", "get_all", "get_one", "create", "update", "delete"
        ]
    );
    assert_eq!(s.cells.len(), 35);
    assert!(s.samples.warmup > 0 && s.samples.excluded > 0);
    assert_eq!(s.samples.total, cols.len() as u64);
    assert_eq!(
        s.samples.measured + s.samples.warmup + s.samples.excluded,
        s.samples.total
    );
    // The failed repetition is shown and not averaged.
    let dj = s.cell("django-drf", "get_one").unwrap();
    let d = dj.detail.as_ref().unwrap();
    assert_eq!(d.excluded_repetitions, vec![3]);
    assert_eq!(d.included_repetitions, 4);
    assert_eq!(d.repetitions.len(), 5);
    assert!(
        s.repetitions
            .iter()
            .any(|r| r.status == RepetitionStatus::Failed && !r.included)
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("django-drf repetition 3"))
    );
    // The bars are near the paper's numbers the data was generated from.
    for c in &s.cells {
        let ratio = c.ratio_to_published.unwrap();
        assert!(
            (0.8..1.25).contains(&ratio),
            "{}/{}: ratio {ratio}",
            c.stack,
            c.scenario
        );
        assert_eq!(c.ci_method, CiMethod::StudentT);
        let ci = c.estimate.ci.unwrap();
        assert!(ci.low <= c.estimate.value && c.estimate.value <= ci.high);
        // Error rate near the generated 0.2%, excluded from latency.
        let pooled = c.detail.as_ref().unwrap().pooled_latency.unwrap();
        assert_eq!(pooled.n, c.requests - c.errors);
    }
    // hello req/s = requests / active time, exactly, per repetition.
    let h = s
        .cell("fastapi-sqlite3", "hello")
        .unwrap()
        .detail
        .as_ref()
        .unwrap();
    let r1 = &h.repetitions[0];
    assert!((r1.req_per_s.unwrap() - r1.requests as f64 / r1.active_s.unwrap()).abs() < 1e-9);
    // ORM overhead for both frameworks in all scenarios, pairwise for all 10 pairs x 7.
    assert_eq!(s.orm_overhead.len(), 14);
    assert!(
        s.orm_overhead
            .iter()
            .all(|o| o.basis == "repetitions" && o.p.is_some())
    );
    assert_eq!(s.pairwise.len(), 70);
    assert!(
        s.pairwise
            .iter()
            .all(|p| p.mann_whitney.is_some() && p.welch.is_some())
    );
    // get_all: FastAPI+SQLAlchemy (168.8 ms) vs Flask+sqlite3 (28.2 ms) is significant.
    let p = s
        .pairwise
        .iter()
        .find(|p| p.scenario == "get_all" && p.a == "fastapi-sqlalchemy" && p.b == "flask-sqlite3")
        .unwrap();
    assert_eq!(p.verdict, "flask-sqlite3");
    // Resources per stack x phase.
    assert!(s.resources.iter().any(|r| r.stack == "flask-sqlite3"
        && r.phase == "hello"
        && r.cpu_peak_percent >= r.cpu_mean_percent));
    // Claims judged against both.
    assert_eq!(s.claims.len(), paper.claims.len());
    assert!(s.claims.iter().all(|c| c.run_verdict.is_some()));
    // JSON round trip and determinism.
    let json = s.to_json();
    let back = Summary::from_json(json.as_bytes()).unwrap();
    same_lines(&back.to_json(), &json);
    let again = summarize_with(&manifest, &samples, &resources, &paper, 42, light()).unwrap();
    same_lines(&again.to_json(), &json);
    // Repetitions give every cell its interval: no pooled-request bootstrap, nor its column.
    assert!(
        s.cells
            .iter()
            .all(|c| c.detail.as_ref().unwrap().bootstrap_mean_ms.is_none())
    );
    assert!(!analysis::report::markdown(&s).contains("| Bootstrap CI of mean ms |"));
}

#[test]
fn one_repetition_uses_the_bootstrap_for_latency_and_no_ci_for_throughput() {
    let paper = Paper::builtin().unwrap();
    let spec = SyntheticSpec {
        repetitions: 1,
        stacks: vec!["fastapi-sqlite3".into(), "flask-sqlite3".into()],
        ..spec()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    let s = summarize(&manifest, &cols, &resources, &paper, 1).unwrap();
    let hello = s.cell("fastapi-sqlite3", "hello").unwrap();
    assert_eq!(hello.ci_method, CiMethod::None);
    assert!(hello.estimate.ci.is_none());
    let get_one = s.cell("fastapi-sqlite3", "get_one").unwrap();
    assert_eq!(get_one.ci_method, CiMethod::Bootstrap);
    let boot = |s: &Summary| {
        s.cell("fastapi-sqlite3", "get_one")
            .unwrap()
            .detail
            .as_ref()
            .unwrap()
            .bootstrap_mean_ms
            .expect("one repetition: the bootstrap is the interval")
    };
    assert_eq!(get_one.estimate.ci, Some(boot(&s).ci));
    // Seeded: the same seed repeats it, another seed draws other resamples.
    let again = summarize(&manifest, &cols, &resources, &paper, 1).unwrap();
    assert_eq!(boot(&again), boot(&s));
    let other_seed = summarize(&manifest, &cols, &resources, &paper, 2).unwrap();
    assert_ne!(boot(&other_seed), boot(&s));
    assert!(analysis::report::markdown(&s).contains("| Bootstrap CI of mean ms |"));
    // ORM pairs need both variants: none here.
    assert!(s.orm_overhead.is_empty());
    // One repetition: no repetition-level test, so no mark; the pooled Mann–Whitney
    // (requests as if independent) is computed but marks nothing.
    let p = s.pairwise.iter().find(|p| p.scenario == "get_all").unwrap();
    assert!(p.welch.is_none() && p.mann_whitney.is_some());
    assert_eq!((p.test.as_str(), p.p, p.significant), ("none", None, None));
    assert_eq!(p.verdict, "?");
    // Claims about missing stacks are not tested.
    let c = s
        .claims
        .iter()
        .find(|c| c.id == "delete-worst-django")
        .unwrap();
    assert_eq!(c.run_verdict, Some(analysis::Verdict::NotTested));
    Summary::from_json(s.to_json().as_bytes()).unwrap();
}

#[test]
fn paper_only_summary() {
    let paper = Paper::builtin().unwrap();
    let s = summarize_paper(&paper);
    assert_eq!(s.source, Source::Paper);
    assert_eq!(s.cells.len(), 35);
    assert!(s.claims.iter().all(|c| c.run_verdict.is_none()));
    let fa = s
        .orm_overhead
        .iter()
        .find(|o| o.framework == "fastapi" && o.scenario == "hello")
        .unwrap();
    assert!((fa.overhead_percent - (4783.0 / 4417.0 - 1.0) * 100.0).abs() < 1e-9);
    assert!(fa.p.is_none());
    Summary::from_json(s.to_json().as_bytes()).unwrap();
}

#[test]
fn mismatched_manifest_is_refused() {
    let paper = Paper::builtin().unwrap();
    let (mut manifest, cols, resources) = synthetic_run(&spec(), &paper);
    manifest.run_id = "another-run".into();
    let e = summarize(&manifest, &cols, &resources, &paper, 1).unwrap_err();
    assert!(
        matches!(e, AnalysisError::ManifestFromAnotherRun { .. }),
        "{e}"
    );
    let (mut manifest, mut cols, _) = synthetic_run(&spec(), &paper);
    cols.run_id = None;
    manifest.repetitions.retain(|r| r.stack != "flask-sqlite3");
    let e = summarize(&manifest, &cols, &resources, &paper, 1).unwrap_err();
    assert!(
        e.to_string().contains("flask-sqlite3") && e.to_string().contains("another run"),
        "{e}"
    );
    let (mut manifest, cols, _) = synthetic_run(&spec(), &paper);
    manifest.schema_version = 99;
    let e = summarize(&manifest, &cols, &resources, &paper, 1).unwrap_err();
    assert!(
        matches!(e, AnalysisError::FutureSchema { found: 99, .. }),
        "{e}"
    );
}

#[test]
fn compare_two_runs_and_a_run_with_the_paper() {
    let paper = Paper::builtin().unwrap();
    let (m1, c1, r1) = synthetic_run(&SyntheticSpec { seed: 1, ..spec() }, &paper);
    let (m2, c2, r2) = synthetic_run(&SyntheticSpec { seed: 2, ..spec() }, &paper);
    let a = summarize_with(&m1, &c1, &r1, &paper, 1, light()).unwrap();
    let b = summarize_with(&m2, &c2, &r2, &paper, 1, light()).unwrap();
    let cmp = analysis::compare(&a, &b);
    assert_eq!(cmp.rows.len(), 35);
    assert!(cmp.rows.iter().all(|r| r.test == "welch" && r.p.is_some()));
    // Same generator, different seeds: mostly no significant change.
    let sig = cmp
        .rows
        .iter()
        .filter(|r| r.significant == Some(true))
        .count();
    assert!(
        sig <= 8,
        "{sig} of 35 significant between two draws of the same model"
    );
    let table = cmp.table();
    assert!(
        table.contains("~") && table.contains("FastAPI+sqlite3"),
        "{table}"
    );
    // A run against the paper alone: one-sample t against the published value, or
    // against the nearest edge of the band of an approximate one ("around 2,700").
    let p = summarize_paper(&paper);
    let cmp = analysis::compare(&p, &a);
    for r in &cmp.rows {
        let approximate = paper.value(&r.stack, &r.scenario).unwrap().approximate;
        assert_eq!(
            r.test,
            if approximate { "band" } else { "one_sample" },
            "{r:?}"
        );
    }
    let self_cmp = analysis::compare(&a, &a);
    assert!(
        self_cmp
            .rows
            .iter()
            .all(|r| r.delta_percent == Some(0.0) && r.significant == Some(false))
    );
    let json = serde_json::to_string(&cmp).unwrap();
    let back: analysis::Comparison = serde_json::from_str(&json).unwrap();
    assert_eq!(back.rows.len(), 35);
}

#[test]
fn compare_runs_holding_different_stacks_compares_the_shared_and_lists_the_rest() {
    let paper = Paper::builtin().unwrap();
    let stacks = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let run = |seed, names: &[&str]| {
        let s = SyntheticSpec {
            seed,
            stacks: stacks(names),
            failed: None,
            ..spec()
        };
        let (m, c, r) = synthetic_run(&s, &paper);
        summarize_with(&m, &c, &r, &paper, 1, light()).unwrap()
    };
    let a = run(1, &["fastapi-sqlite3", "flask-sqlite3", "django-drf"]);
    let b = run(2, &["flask-sqlalchemy", "django-drf", "fastapi-sqlite3"]);
    let cmp = analysis::compare(&a, &b);
    assert_eq!(cmp.shared, stacks(&["fastapi-sqlite3", "django-drf"]));
    assert_eq!(cmp.only_in_a, stacks(&["flask-sqlite3"]));
    assert_eq!(cmp.only_in_b, stacks(&["flask-sqlalchemy"]));
    // Every cell of the shared stacks, each tested; nothing of the others.
    assert_eq!(cmp.rows.len(), 2 * 7);
    assert!(
        cmp.rows
            .iter()
            .all(|r| cmp.shared.contains(&r.stack) && r.test == "welch")
    );
    let table = cmp.table();
    assert!(
        table.contains("Only in A (not compared): Flask+sqlite3")
            && table.contains("Only in B (not compared): Flask+SQLAlchemy"),
        "{table}"
    );
    // The paper's five against a run of two: the run's two compared, three listed.
    let p = summarize_paper(&paper);
    let two = run(3, &["fastapi-sqlite3", "flask-sqlite3"]);
    let cmp = analysis::compare(&p, &two);
    assert_eq!(cmp.shared.len(), 2);
    assert_eq!(cmp.only_in_a.len(), 3);
    assert!(cmp.only_in_b.is_empty());
    // No stack in common: no rows, said so, no failure.
    let c = analysis::compare(&run(4, &["django-drf"]), &run(5, &["flask-sqlite3"]));
    assert!(c.rows.is_empty() && c.shared.is_empty());
    assert!(
        c.table().contains("No stack is in both A and B"),
        "{}",
        c.table()
    );
    // Additive: a comparison written before these fields still reads.
    let mut old = serde_json::to_value(&cmp).unwrap();
    for k in ["shared", "only_in_a", "only_in_b"] {
        old.as_object_mut().unwrap().remove(k);
    }
    let back: analysis::Comparison = serde_json::from_value(old).unwrap();
    assert_eq!(back.rows.len(), cmp.rows.len());
}

#[test]
fn runs_made_in_rounds_get_within_round_ratios() {
    let paper = Paper::builtin().unwrap();
    let (mut manifest, cols, resources) = synthetic_run(&spec(), &paper);
    let bytes = write_sample_columns(&cols, None).unwrap();
    let samples = read_samples_for_analysis(&bytes).unwrap();
    // Without rounds (a run made stack by stack): no pairing.
    let s = summarize_with(&manifest, &samples, &resources, &paper, 42, light()).unwrap();
    assert!(s.pairwise.iter().all(|p| p.paired.is_none()));
    assert!(!s.to_json().contains("\"paired\""));
    // In rounds: every pair has a within-round ratio over the rounds both completed.
    let stacks = s.stacks.clone();
    let reps = manifest
        .repetitions
        .iter()
        .map(|r| r.repetition)
        .max()
        .unwrap();
    manifest.rounds = (0..reps).map(|_| stacks.clone()).collect();
    let s = summarize_with(&manifest, &samples, &resources, &paper, 42, light()).unwrap();
    for p in &s.pairwise {
        let paired = p
            .paired
            .unwrap_or_else(|| panic!("{} {} {}", p.scenario, p.a, p.b));
        // django-drf r3 failed: pairs with it have one round less.
        let expect = if p.a == "django-drf" || p.b == "django-drf" {
            reps - 1
        } else {
            reps
        };
        assert_eq!(paired.rounds, expect, "{} {} {}", p.scenario, p.a, p.b);
        assert!(paired.ci.low <= paired.ratio && paired.ratio <= paired.ci.high);
        // The geometric mean ratio lies near the ratio of the means.
        let plain = p.a_value / p.b_value;
        assert!(
            (paired.ratio / plain - 1.0).abs() < 0.5,
            "{paired:?} vs {plain}"
        );
    }
    let back = Summary::from_json(s.to_json().as_bytes()).unwrap();
    assert_eq!(back.pairwise, s.pairwise);
}
