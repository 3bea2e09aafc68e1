//! A run with interleaved rounds: the claims and the pairwise table compare stacks
//! within rounds, which removes a drift the stacks of a round share — so a claim the
//! unpaired (Welch) interval cannot decide is decided, on the same values.

use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{Paper, Settings, Verdict, summarize_with};

fn light() -> Settings {
    Settings {
        bootstrap_resamples: 200,
        ..Settings::default()
    }
}

#[test]
fn rounds_pair_the_comparisons_and_decide_what_welch_cannot() {
    let paper = Paper::builtin().expect("paper");
    // 6 rounds, ±15 % drift shared within a round, ±3 % of each repetition's own.
    let spec = SyntheticSpec {
        run_id: "rounds".into(),
        repetitions: 6,
        scale: 0.01,
        round_drift: Some(0.15),
        ..SyntheticSpec::default()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    assert_eq!(manifest.rounds.len(), 6);
    let paired = summarize_with(&manifest, &cols, &resources, &paper, 7, light()).expect("sum");
    let mut unpaired_manifest = manifest.clone();
    unpaired_manifest.rounds.clear();
    let unpaired =
        summarize_with(&unpaired_manifest, &cols, &resources, &paper, 7, light()).expect("sum");

    // The pairwise table: every pair with 6 common rounds is a paired test.
    assert!(
        paired
            .pairwise
            .iter()
            .all(|p| p.test == "paired" && p.paired.as_ref().is_some_and(|r| r.rounds == 6)),
        "{:?}",
        paired.pairwise.iter().map(|p| &p.test).collect::<Vec<_>>()
    );
    assert!(unpaired.pairwise.iter().all(|p| p.test == "welch"));

    // FastAPI+sqlite3 beats FastAPI+SQLAlchemy on hello by 8 % in the paper's numbers
    // (the synthetic run's expectation); the shared drift (sd ≈ 0.15 on the log scale)
    // hides that from Welch (half-width ≈ 2.2·0.15·√(2/6) ≈ 0.19), not from the pairs
    // (sd of a round's log-ratio ≈ 0.03·√2: half-width ≈ 0.045).
    let claim = |s: &analysis::Summary, id: &str| {
        s.claims
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("claim {id}"))
            .clone()
    };
    let id = "hello-best-fastapi-sqlite3";
    let p = claim(&paired, id);
    let u = claim(&unpaired, id);
    assert!(
        p.run_basis.as_deref().is_some_and(|b| b.contains("paired")),
        "{:?}",
        p.run_basis
    );
    assert_eq!(p.run_verdict, Some(Verdict::Holds), "{:?}", p.run_detail);
    assert_eq!(
        u.run_verdict,
        Some(Verdict::Inconclusive),
        "{:?}",
        u.run_detail
    );
    assert!(
        u.run_power.is_some(),
        "an inconclusive claim says what it would need"
    );
    let decided = |s: &analysis::Summary| {
        s.claims
            .iter()
            .filter(|c| matches!(c.run_verdict, Some(Verdict::Holds | Verdict::DoesNotHold)))
            .count()
    };
    assert!(
        decided(&paired) > decided(&unpaired),
        "pairing decides more claims: {} vs {}",
        decided(&paired),
        decided(&unpaired)
    );
}
