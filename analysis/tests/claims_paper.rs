//! Every claim in paper/claims.toml judged against the paper's own published numbers,
//! with the verdicts its figures give (worked out by hand from §4's numbers; see the
//! comment beside each).

use analysis::Paper;
use analysis::paper::{Estimate, Verdict};
use analysis::stats::Interval;

use Verdict::{DoesNotHold, Holds, Inconclusive};

const EXPECTED: &[(&str, Verdict)] = &[
    ("hello-best-fastapi-sqlite3", Holds), // 4783 > 4417 > ~2700 > 1660
    ("echo-best-fastapi-sqlite3", Holds),  // 4024 > 3627 > 2194 > 2143 > 1551
    ("hello-echo-worst-django", Holds),    // 1660 < 2650..2750; 1551 < 2143
    ("hello-django-35pct-of-fastapi", Holds), // 4783/1660 = 2.881
    ("hello-fastapi-raw-beats-orm-8pct", Holds), // 4783/4417 = 1.0829
    ("hello-flask-raw-beats-orm", Inconclusive), // both "around 2,700"
    ("hello-flask-orm-difference-negligible", Inconclusive), // [0.964, 1.038] vs (0.98, 1.02)
    ("echo-fastapi-raw-beats-orm-11pct", Holds), // 4024/3627 = 1.1095
    ("echo-flask-raw-beats-orm-marginally", Holds), // 2194/2143 = 1.0238
    ("get_all-worst-fastapi-sqlalchemy", Holds), // 168.8 ms
    ("get_all-fastapi-sqlalchemy-over-twice-median", Holds), // 168.8 / 69.2 = 2.44
    ("get_all-best-flask-sqlite3", Holds), // 28.2 ms
    ("get_all-flask-sqlite3-over-twice-fastapi-sqlite3", Holds), // 67.4/28.2 = 2.39
    ("get_one-best-fastapi-sqlite3", Holds), // 2.5 ms
    ("get_one-django-over-5x-fastapi-sqlite3", Holds), // 13.4/2.5 = 5.36
    ("create-best-fastapi-sqlite3", Holds), // 78.6 ms
    ("create-worst-flask", Holds),         // 116.0 and 111.3 ms
    ("update-best-fastapi-sqlite3", Holds), // 78.4 ms
    ("update-flask-orm-beats-raw", Holds), // 109.9/98.6 = 1.115
    ("delete-best-fastapi-sqlite3", Holds), // 9.0 ms
    ("delete-worst-django", Holds),        // 11.2 ms
    // §5 vs the paper's own figures: Flask+sqlite3 is best at get_all (Figure 3) …
    ("conclusion-fastapi-best-except-get_one", DoesNotHold),
    // … and FastAPI+sqlite3 IS the best at get_one (Figure 4: 2.5 ms).
    ("conclusion-fastapi-not-best-get_one", DoesNotHold),
    // framework means: (4600/2700 + 3825.5/2168.5)/2 ≈ 1.73, below 1.75 even at the rounding edge
    (
        "conclusion-fastapi-80pct-over-flask-frameworks",
        DoesNotHold,
    ),
    // sqlite3 variants: (4783/2700 + 4024/2194)/2 ≈ 1.80
    ("conclusion-fastapi-80pct-over-flask-best-variants", Holds),
    // (4600/1660 + 3825.5/1551)/2 = 2.62
    ("conclusion-fastapi-3x-django-frameworks", DoesNotHold),
    // (4783/1660 + 4024/1551)/2 = 2.74
    ("conclusion-fastapi-3x-django-best-variant", Holds),
    // Figure 5: 113.65/78.6 = 1.45, not 2
    ("conclusion-create-fastapi-2x-flask", DoesNotHold),
    // Figure 5: 99.6/78.6 = 1.27, not 5
    ("conclusion-create-fastapi-5x-django", DoesNotHold),
    ("conclusion-orm-costs-without-database", Holds), // hello ≈1.05, echo 1.078
    ("get_one-worst-django", Holds),                  // 13.4 ms > 8.5 > 7.6 > 5.0 > 2.5
    // hello Flask:Django [2650, 2750]/1660 = [1.596, 1.657]; echo 2168.5/1551 = 1.398;
    // quotient [0.844, 0.876] < 1
    ("echo-django-flask-gap-smaller-than-hello", Holds),
    ("get_all-flask-sqlalchemy-similar-fastapi-sqlite3", Holds), // 69.2/67.4 = 1.027 < 1.05
    ("update-flask-sqlite3-equals-django", Holds),               // 109.9/109.9 = 1
    ("delete-narrow-band", Holds), // widest pair 11.2/9.0 = 1.244 < 1.25
    // (119.0/47.8 + 8.05/3.75 + 104.2/94.95 + 96.95/94.15 + 10.3/9.15)/5 = 1.58
    ("conclusion-raw-beats-orm-crud-mean", Holds),
    // each of 2.49, 2.15, 1.097, 1.030, 1.126 > 1
    ("conclusion-raw-beats-orm-crud-each", Holds),
    // medians 7.6, 99.6, 98.6, 10.2 ms: ratios 1.0, 1.078, 1.035, 1.0, each > 0.5
    ("conclusion-fastapi-sqlalchemy-outlier-only-get_all", Holds),
    // Figures 1, 2, 4–7: FastAPI+sqlite3 fastest in each
    ("conclusion-fastapi-best-except-get_all", Holds),
    // Figure 3: Flask+sqlite3 28.2 ms beats 67.4 and 168.8
    ("conclusion-fastapi-not-best-get_all", Holds),
    ("conclusion-get_one-fastapi-2x-flask", Holds), // 5.0/2.5 = 2.0 > 1.9
    ("conclusion-get_one-fastapi-5x-django", Holds), // 13.4/2.5 = 5.36 > 4.5
];

#[test]
fn every_claim_judged_against_the_paper_as_its_figures_say() {
    let paper = Paper::builtin().expect("paper data is valid");
    assert_eq!(paper.published.len(), 35, "7 figures x 5 stacks");
    assert_eq!(
        paper.claims.len(),
        EXPECTED.len(),
        "every claim in claims.toml needs an expected verdict here"
    );
    let est = paper.estimates();
    let mut wrong = Vec::new();
    for claim in &paper.claims {
        let want = EXPECTED
            .iter()
            .find(|(id, _)| *id == claim.id)
            .unwrap_or_else(|| panic!("claim {} has no expected verdict", claim.id))
            .1;
        let got = claim.judge(&est);
        if got.verdict != want {
            wrong.push(format!(
                "{}: got {:?}, want {:?} — {}",
                claim.id, got.verdict, want, got.detail
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn flask_hello_is_flagged_approximate() {
    let paper = Paper::builtin().unwrap();
    for stack in ["flask-sqlalchemy", "flask-sqlite3"] {
        let v = paper.value(stack, "hello").unwrap();
        assert!(v.approximate && v.value == 2700.0, "{stack}");
    }
    assert_eq!(paper.published.iter().filter(|v| v.approximate).count(), 2);
}

#[test]
fn a_run_with_overlapping_intervals_is_inconclusive_and_separated_ones_decide() {
    let paper = Paper::builtin().unwrap();
    let claim = paper
        .claims
        .iter()
        .find(|c| c.id == "get_one-best-fastapi-sqlite3")
        .unwrap();
    let mut est = paper.estimates();
    let wide = |v: f64, h: f64| Estimate {
        value: v,
        ci: Some(Interval {
            low: v - h,
            high: v + h,
        }),
    };
    for (stack, v) in [
        ("fastapi-sqlite3", 2.5),
        ("flask-sqlite3", 5.0),
        ("fastapi-sqlalchemy", 7.6),
        ("flask-sqlalchemy", 8.5),
        ("django-drf", 13.4),
    ] {
        est.insert((stack.into(), "get_one".into()), wide(v, 0.5));
    }
    assert_eq!(claim.judge(&est).verdict, Holds);
    est.insert(("flask-sqlite3".into(), "get_one".into()), wide(2.9, 0.5));
    assert_eq!(claim.judge(&est).verdict, Inconclusive);
    est.insert(("flask-sqlite3".into(), "get_one".into()), wide(1.0, 0.2));
    assert_eq!(claim.judge(&est).verdict, DoesNotHold);
    est.insert(
        ("flask-sqlite3".into(), "get_one".into()),
        Estimate {
            value: 1.0,
            ci: None,
        },
    );
    assert_eq!(claim.judge(&est).verdict, Inconclusive);
    est.remove(&("flask-sqlite3".to_string(), "get_one".to_string()));
    est.remove(&("fastapi-sqlite3".to_string(), "get_one".to_string()));
    assert_eq!(claim.judge(&est).verdict, Verdict::NotTested);
}

#[test]
fn bad_paper_data_is_refused_with_the_file_named() {
    let published = include_str!("../../paper/published.toml");
    let claims = include_str!("../../paper/claims.toml");
    let e = Paper::from_toml(
        &published.replace(
            "stack = \"django-drf\"\nmetric = \"req_per_s\"",
            "stack = \"django\"\nmetric = \"req_per_s\"",
        ),
        claims,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("published.toml") && e.to_string().contains("django"),
        "{e}"
    );
    let e = Paper::from_toml(
        published,
        &claims.replace("scenarios = [\"get_one\"]", "scenarios = [\"get-one\"]"),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("claims.toml") && e.to_string().contains("get-one"),
        "{e}"
    );
    let e = Paper::from_toml("not toml [", claims).unwrap_err();
    assert!(e.to_string().starts_with("paper/published.toml"), "{e}");
}

fn claim<'a>(paper: &'a Paper, id: &str) -> &'a analysis::paper::Claim {
    paper.claims.iter().find(|c| c.id == id).unwrap()
}

fn point(v: f64) -> Estimate {
    Estimate {
        value: v,
        ci: Some(Interval::point(v)),
    }
}

#[test]
fn a_group_worst_claim_needs_every_named_stack_behind_every_other() {
    // "The Flask stacks are the slowest at creating": Flask+sqlite3 the fastest of all
    // must fail, though Flask+SQLAlchemy alone is the slowest (the old rule passed it).
    let paper = Paper::builtin().unwrap();
    let c = claim(&paper, "create-worst-flask");
    let mut est = paper.estimates();
    est.insert(("flask-sqlite3".into(), "create".into()), point(70.0));
    let j = c.judge(&est);
    assert_eq!(j.verdict, DoesNotHold, "{}", j.detail);
    // Both behind every other stack: holds (paper: 116.0 and 111.3 > 99.6).
    assert_eq!(c.judge(&paper.estimates()).verdict, Holds);
    // One Flask stack tied with Django: that pair is not "behind" → does not hold.
    est.insert(("flask-sqlite3".into(), "create".into()), point(99.6));
    assert_eq!(c.judge(&est).verdict, DoesNotHold);
}

/// A run of `rounds` rounds: `base` per stack (ms), every stack × round scaled by a
/// shared drift and a small per-stack wobble.
fn rounds_run(
    base: &[(&str, f64)],
    scenario: &str,
    drift: &[f64],
    wobble: &[f64],
) -> (analysis::paper::Estimates, analysis::paper::Repetitions) {
    let mut est = analysis::paper::Estimates::new();
    let mut reps = analysis::paper::Repetitions {
        rounds: true,
        ..Default::default()
    };
    for (i, (stack, b)) in base.iter().enumerate() {
        let vals: Vec<(u32, f64)> = drift
            .iter()
            .zip(1..)
            .map(|(d, r)| {
                let w = wobble[(i + r as usize) % wobble.len()];
                (r, b * d * w)
            })
            .collect();
        let xs: Vec<f64> = vals.iter().map(|v| v.1).collect();
        est.insert(
            (stack.to_string(), scenario.to_string()),
            Estimate {
                value: analysis::stats::mean(&xs),
                ci: analysis::stats::t_interval(&xs, 0.95),
            },
        );
        reps.values
            .insert((stack.to_string(), scenario.to_string()), vals);
    }
    (est, reps)
}

#[test]
fn paired_rounds_decide_where_the_cell_intervals_overlap() {
    // update: Flask+sqlite3 vs Django, 5% apart, the host drifting ±30% between rounds
    // (shared by both stacks of a round), ±0.5% own wobble.
    let paper = Paper::builtin().unwrap();
    let drift = [1.0, 1.3, 0.7, 1.1, 0.9, 1.25, 0.75, 1.05, 0.95, 1.0];
    let wobble = [1.0, 1.005, 0.995, 1.002, 0.998];
    let base = [
        ("fastapi-sqlite3", 78.4),
        ("fastapi-sqlalchemy", 95.3),
        ("flask-sqlalchemy", 98.6),
        ("flask-sqlite3", 115.0),
        ("django-drf", 109.5),
    ];
    let (est, reps) = rounds_run(&base, "update", &drift, &wobble);
    let c = claim(&paper, "update-best-fastapi-sqlite3");
    // The per-cell CIs overlap (the drift is in them): the old rule could not decide.
    assert_eq!(c.judge(&est).verdict, Inconclusive);
    let ev = analysis::paper::Evidence {
        estimates: &est,
        repetitions: Some(&reps),
        confidence: 0.95,
    };
    let j = c.judge_with(&ev);
    assert_eq!(j.verdict, Holds, "{}", j.detail);
    assert!(j.basis.contains("paired"), "{}", j.basis);
    assert!(j.p.unwrap() < 0.001);
    // "Flask+sqlite3 matches Django (within 5%)": 115/109.5 = 1.050 sits on the edge.
    let eq = claim(&paper, "update-flask-sqlite3-equals-django");
    let j = eq.judge_with(&ev);
    assert_eq!(j.verdict, Inconclusive, "{}", j.detail);
    let w = j
        .power
        .expect("an inconclusive paired claim states its power");
    assert_eq!((w.design.as_str(), w.n), ("paired", 10));
}

#[test]
fn tost_holds_inside_the_band_fails_outside_and_states_what_it_needs() {
    // Paired log-ratios d_r of Flask+sqlite3 : Django on update (speed ratio = django /
    // flask), 4 rounds: ratios 1.01, 0.99, 1.02, 0.98 → d mean ≈ 0, sd 0.01826
    // (ln of the ratios: 0.00995, −0.01005, 0.01980, −0.02020; mean −0.000125,
    // sd 0.018254). 90% t(3) = 2.3534: half-width 2.3534·0.018254/2 = 0.02148, inside
    // ±ln 1.05 = ±0.04879 → holds.
    let paper = Paper::builtin().unwrap();
    let c = claim(&paper, "update-flask-sqlite3-equals-django");
    let make = |ratios: &[f64]| {
        let mut est = analysis::paper::Estimates::new();
        let mut reps = analysis::paper::Repetitions {
            rounds: true,
            ..Default::default()
        };
        let flask: Vec<(u32, f64)> = (1..=ratios.len() as u32).map(|r| (r, 100.0)).collect();
        let django: Vec<(u32, f64)> = ratios
            .iter()
            .zip(1..)
            .map(|(q, r)| (r, 100.0 * q))
            .collect();
        for (st, v) in [("flask-sqlite3", flask), ("django-drf", django)] {
            est.insert((st.into(), "update".into()), point(100.0));
            reps.values.insert((st.into(), "update".into()), v);
        }
        (est, reps)
    };
    let judge = |ratios: &[f64]| {
        let (est, reps) = make(ratios);
        c.judge_with(&analysis::paper::Evidence {
            estimates: &est,
            repetitions: Some(&reps),
            confidence: 0.95,
        })
    };
    let j = judge(&[1.01, 0.99, 1.02, 0.98]);
    assert_eq!(j.verdict, Holds, "{}", j.detail);
    // TOST p = the larger one-sided p, < 0.05.
    assert!(j.p.unwrap() < 0.05);
    // 10% apart, tight: the 95% interval wholly above 1.05 → does not hold.
    assert_eq!(judge(&[1.10, 1.11, 1.09, 1.10]).verdict, DoesNotHold);
    // Centred but noisy: no significant difference, yet not "equal" → inconclusive,
    // with the rounds TOST would need: h = ln 1.05 − |mean d|; n = (t·sd/h)².
    let ratios = [1.08, 0.93, 1.07, 0.92];
    let j = judge(&ratios);
    assert_eq!(j.verdict, Inconclusive, "{}", j.detail);
    let d: Vec<f64> = ratios.iter().map(|q: &f64| q.ln()).collect();
    let (m, s) = (analysis::stats::mean(&d), analysis::stats::sd(&d));
    let h = 1.05f64.ln() - m.abs();
    let t = 2.353_363_434_801_823; // t(0.95, 3)
    let w = j.power.unwrap();
    assert!((w.needed_halfwidth - h).abs() < 1e-12, "{w:?}");
    assert!((w.sd - s).abs() < 1e-12);
    assert_eq!(w.n_needed, Some((t * s / h).powi(2).ceil() as u64));
    assert!((w.observed_halfwidth - t * s / 2.0).abs() < 1e-9);
}
