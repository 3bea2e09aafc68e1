//! The profiled repetition (`run --profile`, `profiled: true` in the manifest) is left
//! out of every statistic exactly as a failed repetition is, without a warning; a
//! manifest without the field (every run made before it) reads and writes as before.

use analysis::schema::{Manifest, RepetitionStatus};
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{Paper, Summary, summarize};

fn spec() -> SyntheticSpec {
    SyntheticSpec {
        repetitions: 3,
        scale: 0.002,
        warmup_requests: 50,
        ..SyntheticSpec::default()
    }
}

fn with(manifest: &Manifest, f: impl Fn(&mut analysis::schema::RepetitionSummary)) -> Manifest {
    let mut m = manifest.clone();
    for r in m.repetitions.iter_mut().filter(|r| r.repetition == 1) {
        f(r);
    }
    m
}

#[test]
fn a_profiled_repetition_counts_as_an_excluded_one() {
    let paper = Paper::builtin().expect("paper");
    let (manifest, cols, resources) = synthetic_run(&spec(), &paper);
    let profiled = with(&manifest, |r| r.profiled = true);
    let failed = with(&manifest, |r| {
        r.status = RepetitionStatus::Failed;
        r.cause = Some("x".into());
    });
    let p: Summary = summarize(&profiled, &cols, &resources, &paper, 7).expect("summary");
    let f: Summary = summarize(&failed, &cols, &resources, &paper, 7).expect("summary");
    let all: Summary = summarize(&manifest, &cols, &resources, &paper, 7).expect("summary");
    assert_eq!(p.cells.len(), f.cells.len());
    for (a, b) in p.cells.iter().zip(&f.cells) {
        assert_eq!(a.estimate, b.estimate, "{} {}", a.stack, a.scenario);
        let (da, db) = (a.detail.as_ref().unwrap(), b.detail.as_ref().unwrap());
        assert_eq!(da.included_repetitions, 2);
        assert_eq!(da.excluded_repetitions, vec![1]);
        assert_eq!(da.req_per_s, db.req_per_s);
        assert_eq!(da.mean_ms, db.mean_ms);
    }
    assert_eq!(p.samples, f.samples);
    assert!(p.samples.excluded > 0);
    assert_eq!(p.resources, f.resources);
    assert_eq!(p.pairwise, f.pairwise);
    assert!(
        p.repetitions
            .iter()
            .all(|r| r.included == (r.repetition != 1))
    );
    // A failed repetition is warned about; the profiled one is there by design.
    assert!(f.warnings.iter().any(|w| w.contains("repetition 1")));
    assert!(
        !p.warnings.iter().any(|w| w.contains("repetition 1")),
        "{:?}",
        p.warnings
    );
    // Unmarked, the same repetition counts.
    assert!(
        all.cells
            .iter()
            .all(|c| c.detail.as_ref().unwrap().included_repetitions == 3)
    );
    assert!(
        analysis::precision::cell_widths(&profiled, 0.95)
            .iter()
            .all(|w| w.n == 2)
    );
}

#[test]
fn a_manifest_without_the_profile_fields_is_unchanged() {
    let paper = Paper::builtin().expect("paper");
    let (manifest, _, _) = synthetic_run(&spec(), &paper);
    let json = serde_json::to_string(&manifest).expect("json");
    assert!(!json.contains("profile"), "{json:.300}");
    let back = analysis::parse_manifest(json.as_bytes()).expect("reads");
    assert_eq!(back, manifest);
    assert!(back.profile.is_none() && back.repetitions.iter().all(|r| !r.profiled));
    let marked = with(&manifest, |r| r.profiled = true);
    let json = serde_json::to_string(&marked).expect("json");
    assert_eq!(json.matches("\"profiled\":true").count(), 5);
}
