//! The viewer's drawings beside Figures 1–7: the bars' hit boxes and tooltip texts,
//! the pairwise matrices, the two-run change plot and the overview (run line, claims
//! scoreboard), on a synthetic run written, read back and summarised.

use analysis::figures::{
    FigureView, HEIGHT, WIDTH, change_svg, pairwise_scenarios_of, pairwise_svg, svg_view,
    svg_view_bars,
};
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{
    Paper, Settings, Summary, compare, overview::overview, read_resources,
    read_samples_for_analysis, summarize_paper, summarize_with, write_resources,
    write_sample_columns,
};

fn run(seed: u64) -> Summary {
    let paper = Paper::builtin().unwrap();
    let spec = SyntheticSpec {
        scale: 0.005,
        seed,
        ..SyntheticSpec::default()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    let samples = read_samples_for_analysis(&write_sample_columns(&cols, None).unwrap()).unwrap();
    let resources = read_resources(&write_resources(&resources).unwrap()).unwrap();
    let settings = Settings {
        bootstrap_resamples: 50,
        ..Settings::default()
    };
    summarize_with(&manifest, &samples, &resources, &paper, 3, settings).unwrap()
}

#[test]
fn every_bar_has_a_hit_box_inside_the_figure_and_its_tooltip_texts() {
    let s = run(1);
    for fig in 1..=7u8 {
        let view = FigureView::default();
        let (doc, bars) = svg_view_bars(&s, fig, &view, WIDTH, HEIGHT).unwrap();
        // The same drawing as without the boxes.
        assert_eq!(doc, svg_view(&s, fig, &view, WIDTH, HEIGHT).unwrap());
        let scenario = analysis::paper::SCENARIOS[fig as usize - 1];
        let cells = s.cells_of(scenario);
        assert_eq!(bars.len(), cells.len(), "figure {fig}");
        let mut last_right = 0;
        for (b, c) in bars.iter().zip(&cells) {
            assert_eq!(
                (b.stack.as_str(), b.scenario.as_str()),
                (c.stack.as_str(), scenario)
            );
            assert!(b.x >= last_right && b.width > 20 && b.height > 100, "{b:?}");
            assert!(
                b.x + b.width <= WIDTH as i32 && b.y >= 58 && b.y + b.height <= HEIGHT as i32,
                "{b:?}"
            );
            last_right = b.x + b.width;
            let d = c.detail.as_ref().unwrap();
            assert_eq!(
                b.n,
                format!(
                    "n = {} repetition(s), {} requests",
                    d.included_repetitions, c.requests
                )
            );
            assert_eq!(
                b.mean,
                format!(
                    "mean {} ms",
                    analysis::format::ms(d.mean_ms.as_ref().unwrap().mean)
                )
            );
            assert_eq!(
                b.p99,
                format!(
                    "p99 {} ms",
                    analysis::format::ms(d.p99_ms.as_ref().unwrap().mean)
                )
            );
            assert!(b.interval.starts_with("95 % CI ["), "{}", b.interval);
            assert_eq!(
                b.limiter,
                c.limiter
                    .as_ref()
                    .map(|l| format!("limited by {}", l.most_common.as_str()))
            );
        }
    }
    // A stack filtered out has no box; the paper alone has boxes without run numbers.
    let only: FigureView =
        serde_json::from_str(r#"{"stacks": ["django-drf"], "metric": "p95"}"#).unwrap();
    let (_, bars) = svg_view_bars(&s, 3, &only, WIDTH, HEIGHT).unwrap();
    assert_eq!(bars.len(), 1);
    assert!(
        bars[0]
            .value
            .starts_with("95th percentile response time (ms): "),
        "{}",
        bars[0].value
    );
    let paper = summarize_paper(&Paper::builtin().unwrap());
    let (_, bars) = svg_view_bars(&paper, 1, &FigureView::default(), WIDTH, HEIGHT).unwrap();
    assert!(!bars.is_empty() && bars.iter().all(|b| b.n == "n = published value only"));
}

#[test]
fn a_pairwise_matrix_per_scenario_with_each_pair_both_ways() {
    let s = run(2);
    let scenarios = pairwise_scenarios_of(&s);
    assert_eq!(scenarios.len(), 7);
    let doc = pairwise_svg(&s, "get_all", &FigureView::default()).unwrap();
    assert!(doc.starts_with("<svg") && doc.contains("Pairwise: get_all"));
    let p = s.pairwise.iter().find(|p| p.scenario == "get_all").unwrap();
    // a vs b as computed, and b vs a from it.
    let ab = analysis::format::signed_percent(p.diff_percent);
    let ba = analysis::format::signed_percent((1.0 / (1.0 + p.diff_percent / 100.0) - 1.0) * 100.0);
    assert!(doc.contains(&ab) && doc.contains(&ba), "{ab} / {ba}");
    let marks =
        doc.matches("% *").count() + doc.matches("% ~").count() + doc.matches("% ?").count();
    assert_eq!(marks, 5 * 4, "a mark in every off-diagonal cell");
    // Fewer than two stacks: a note, no matrix.
    let one: FigureView = serde_json::from_str(r#"{"stacks": ["django-drf"]}"#).unwrap();
    assert!(
        pairwise_svg(&s, "get_all", &one)
            .unwrap()
            .contains("fewer than two stacks")
    );
}

#[test]
fn the_change_plot_draws_every_row_of_the_comparison() {
    let (a, b) = (run(3), run(4));
    let cmp = compare(&a, &b);
    let doc = change_svg(&cmp, &FigureView::default(), None).unwrap();
    let with_delta = cmp
        .rows
        .iter()
        .filter(|r| r.delta_percent.is_some())
        .count();
    assert_eq!(with_delta, 35);
    assert_eq!(
        doc.matches("<circle").count(),
        with_delta
            + cmp
                .rows
                .iter()
                .filter(|r| r.significant != Some(true) && r.delta_percent.is_some())
                .count()
    );
    for r in cmp.rows.iter().take(3) {
        assert!(doc.contains(&analysis::format::signed_percent(r.delta_percent.unwrap())));
    }
    let some = vec!["hello".to_string()];
    let doc = change_svg(&cmp, &FigureView::default(), Some(&some)).unwrap();
    assert!(doc.contains("hello") && !doc.contains("get_all"));
}

#[test]
fn the_overview_counts_the_claims_by_verdict() {
    let s = run(5);
    let o = overview(&s);
    assert!(
        o.line.starts_with("Run ") && o.line.contains("5 stacks × 7 scenarios"),
        "{}",
        o.line
    );
    let total: usize = o
        .scoreboard
        .iter()
        .map(|v| v.count.parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, s.claims.len());
    let keys: Vec<_> = o.scoreboard.iter().map(|v| v.key).collect();
    assert_eq!(
        keys,
        ["holds", "does-not-hold", "inconclusive", "not-tested"]
    );
    let paper = overview(&summarize_paper(&Paper::builtin().unwrap()));
    assert_eq!(paper.judged_on, "the paper's own numbers");
}
