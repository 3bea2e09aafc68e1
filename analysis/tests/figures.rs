//! A synthetic run written with the writer, read back, summarised and drawn: all seven
//! figures as SVG and PNG, and the reports. Set ANALYSIS_FIGURES_DIR to keep the files.

use analysis::figures::{HEIGHT, WIDTH, distribution_svg, png, svg};
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{
    AnalysisError, Paper, Settings, read_resources, read_samples_for_analysis, report,
    summarize_paper, summarize_with, write_resources, write_sample_columns,
};

#[test]
fn all_seven_figures_and_reports_from_a_written_run() {
    let paper = Paper::builtin().unwrap();
    let spec = SyntheticSpec {
        scale: 0.01,
        failed: Some(("flask-sqlalchemy".into(), 2)),
        error_rate: 0.01,
        ..SyntheticSpec::default()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    let samples = read_samples_for_analysis(&write_sample_columns(&cols, None).unwrap()).unwrap();
    let resources = read_resources(&write_resources(&resources).unwrap()).unwrap();
    let settings = Settings {
        bootstrap_resamples: 100,
        ..Settings::default()
    };
    let s = summarize_with(&manifest, &samples, &resources, &paper, 7, settings).unwrap();
    let keep = std::env::var_os("ANALYSIS_FIGURES_DIR").map(std::path::PathBuf::from);
    let mut svgs = Vec::new();
    for fig in 1..=7u8 {
        let doc = svg(&s, fig, WIDTH, HEIGHT).unwrap();
        assert!(
            doc.starts_with("<svg") && doc.contains(&format!("Figure {fig}")),
            "figure {fig}"
        );
        assert!(doc.contains("FastAPI+sqlite3") && doc.contains("Django+DRF"));
        assert!(doc.contains("errors "), "error rate noted in figure {fig}");
        let image = png(&s, fig, WIDTH, HEIGHT).unwrap();
        assert_eq!(&image[1..4], b"PNG");
        assert!(
            image.len() > 10_000,
            "figure {fig} PNG is {} bytes",
            image.len()
        );
        if let Some(dir) = &keep {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("fig{fig}.png")), &image).unwrap();
            std::fs::write(dir.join(format!("fig{fig}.svg")), &doc).unwrap();
        }
        svgs.push(doc);
    }
    assert!(matches!(
        svg(&s, 8, WIDTH, HEIGHT),
        Err(AnalysisError::NoSuchFigure(8))
    ));
    let md = report::markdown(&s);
    assert!(
        md.contains("| FastAPI+sqlite3")
            && md.contains("does not hold")
            && md.contains("flask-sqlalchemy repetition 2")
    );
    // One latency distribution per latency scenario: a curve and a legend entry per
    // stack (pooled) plus a faint curve per included repetition.
    let mut distributions = Vec::new();
    for scenario in ["get_all", "get_one", "create", "update", "delete"] {
        assert!(s.cell_has_distribution(scenario), "{scenario}");
        let doc = distribution_svg(&s, scenario, WIDTH, HEIGHT).unwrap();
        assert!(doc.contains(&format!("Latency distribution: {scenario}")));
        assert!(doc.contains("log scale"), "log-x axis named");
        let cells = s.cells_of(scenario);
        let reps: usize = cells
            .iter()
            .map(|c| c.detail.as_ref().unwrap().included_repetitions as usize)
            .sum();
        // Thick: each stack's pooled curve and its legend mark; faint: each repetition.
        let thick = doc.matches(r#"stroke-width="3""#).count();
        assert_eq!(thick, 2 * cells.len(), "pooled curves + legend marks");
        let faint = doc
            .matches(r#"<polyline fill="none" opacity="0.3""#)
            .count();
        assert_eq!(faint, reps, "one faint curve per included repetition");
        if let Some(dir) = &keep {
            std::fs::write(dir.join(format!("dist-{scenario}.svg")), &doc).unwrap();
        }
        for c in &cells {
            let l = c.detail.as_ref().unwrap().pooled_latency.unwrap();
            assert!(
                doc.contains(&format!("{} — median", s.short_label(&c.stack))),
                "legend lists {}",
                c.stack
            );
            let share = l.slowest_1pct_share.unwrap();
            assert!(share > 0.01 && share < 1.0, "{share}");
            let d = c.detail.as_ref().unwrap().distribution.as_ref().unwrap();
            assert!(d.pooled.ms.len() <= analysis::distribution::POOLED_POINTS + 18);
            assert_eq!(d.pooled.n, l.n);
            assert_eq!(*d.pooled.f.last().unwrap(), 1.0);
        }
        distributions.push((scenario.to_string(), doc));
    }
    assert!(
        !s.cell_has_distribution("hello"),
        "throughput scenarios have none"
    );
    let md = report::markdown(&s);
    for scenario in ["get_all", "delete"] {
        assert!(
            md.contains(&format!("](dist-{scenario}.svg)")),
            "{scenario} referenced"
        );
    }
    assert!(md.contains("Slowest 1% share") && md.contains("p99 ms, repetitions [95 % CI]"));
    let html = report::html(&s, &svgs, &distributions);
    assert_eq!(
        html.matches("<figure><svg").count(),
        7 + 5,
        "all seven figures and five distributions inline"
    );
    for external in [
        "<script",
        "<link",
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
    ] {
        assert!(
            !html.contains(external),
            "report.html must be self-contained: found {external}"
        );
    }
    if let Some(dir) = &keep {
        std::fs::write(dir.join("report.md"), &md).unwrap();
        std::fs::write(dir.join("report.html"), &html).unwrap();
    }
    // The paper alone draws too.
    let p = summarize_paper(&paper);
    for fig in 1..=7u8 {
        let doc = svg(&p, fig, WIDTH, HEIGHT).unwrap();
        assert!(doc.contains("no run loaded"));
        if let Some(dir) = &keep {
            std::fs::write(
                dir.join(format!("paper_fig{fig}.png")),
                png(&p, fig, WIDTH, HEIGHT).unwrap(),
            )
            .unwrap();
        }
    }
    assert!(report::markdown(&p).contains("Figure 4"));
}

#[test]
fn every_repetition_is_a_dot_over_its_bar() {
    use analysis::figures::{FigureView, svg_view};
    use analysis::shown::ShownMetric;
    let paper = Paper::builtin().unwrap();
    let spec = SyntheticSpec {
        scale: 0.01,
        repetitions: 4,
        ..SyntheticSpec::default()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    let samples = read_samples_for_analysis(&write_sample_columns(&cols, None).unwrap()).unwrap();
    let resources = read_resources(&write_resources(&resources).unwrap()).unwrap();
    let settings = Settings {
        bootstrap_resamples: 100,
        ..Settings::default()
    };
    let s = summarize_with(&manifest, &samples, &resources, &paper, 7, settings).unwrap();
    for metric in [ShownMetric::Paper, ShownMetric::P95] {
        let view = FigureView {
            metric,
            stacks: None,
        };
        for fig in 1..=7u8 {
            let doc = svg_view(&s, fig, &view, WIDTH, HEIGHT).unwrap();
            let bars = view
                .bars(&s, analysis::paper::SCENARIOS[fig as usize - 1])
                .len();
            assert!(bars >= 2, "figure {fig}");
            assert_eq!(
                doc.matches("<circle").count(),
                4 * bars,
                "figure {fig}, {metric:?}: one dot per repetition per bar"
            );
        }
    }
    // The paper alone has no repetitions: no dots.
    let doc = svg(&summarize_paper(&paper), 1, WIDTH, HEIGHT).unwrap();
    assert_eq!(doc.matches("<circle").count(), 0);
}
