//! The viewer's tables (analysis::viewtables) for a view: the shown metric, the
//! stacks and scenarios, the keys and exact values the page attaches to cells.

use analysis::Summary;
use analysis::format;
use analysis::paper::Paper;
use analysis::shown::ShownMetric;
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::viewtables::{Mark, Section, TableView, comparison, sections};

fn run_summary(seed: u64) -> Summary {
    let paper = Paper::builtin().expect("built-in paper");
    let spec = SyntheticSpec {
        repetitions: 2,
        scale: 0.003,
        warmup_requests: 100,
        ..SyntheticSpec::default()
    };
    let (manifest, samples, resources) = synthetic_run(&spec, &paper);
    analysis::summarize(&manifest, &samples, &resources, &paper, seed).expect("summary")
}

/// The cell of `table` whose mark has `key`: (text, mark).
fn find<'a>(sections: &'a [Section], key: &str) -> Option<(&'a str, &'a Mark)> {
    sections.iter().flat_map(|s| &s.tables).find_map(|t| {
        t.marks.iter().enumerate().find_map(|(i, row)| {
            row.iter()
                .position(|m| m.key.as_deref() == Some(key))
                .map(|k| (t.table.rows[i][k].as_str(), &row[k]))
        })
    })
}

#[test]
fn results_in_the_papers_metric_carry_each_cells_estimate() {
    let s = run_summary(7);
    let out = sections(&s, &TableView::default(), true);
    let ids: Vec<_> = out.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["results", "orm", "pairwise", "claims", "host"]);
    assert_eq!(out[0].tables.len(), 7);
    for c in &s.cells {
        let key = format!("value:{}:{}:paper", c.stack, c.scenario);
        let (text, mark) = find(&out, &key).expect(&key);
        assert_eq!(text, format::value(c.estimate.value, c.metric));
        let exact: f64 = mark.value.as_ref().unwrap().parse().unwrap();
        assert_eq!(exact, c.estimate.value, "{key}");
        let (_, limiter) = find(&out, &format!("limiter:{}:{}", c.stack, c.scenario)).unwrap();
        assert_eq!(
            limiter.value.as_deref(),
            c.limiter.as_ref().map(|l| l.most_common.as_str())
        );
    }
    for c in &s.claims {
        let (text, _) = find(&out, &format!("claim-run:{}", c.id)).unwrap();
        assert!(text.contains(c.run_verdict.unwrap().label()), "{text}");
    }
}

#[test]
fn another_metric_and_a_filter_change_the_rows_and_the_headers() {
    let s = run_summary(7);
    let view = TableView {
        metric: ShownMetric::P95,
        stacks: Some(vec!["django-drf".into(), "flask-sqlite3".into()]),
        scenarios: Some(vec!["get_all".into()]),
        name: "run A".into(),
        suffix: "-a".into(),
    };
    let out = sections(&s, &view, false);
    assert_eq!(out.len(), 2, "results and host only");
    let results = &out[0];
    assert_eq!(results.id, "results-a");
    assert_eq!(results.tables.len(), 1);
    let t = &results.tables[0];
    assert_eq!(t.id.as_deref(), Some("table-get_all-a"));
    assert_eq!(t.table.caption, "Figure 3: get_all — run A");
    assert_eq!(
        t.table.headers[2],
        "Reproduced: 95th percentile response time (ms)"
    );
    assert_eq!(t.table.rows.len(), 2);
    let c = s.cell("django-drf", "get_all").unwrap();
    let p95 = c.detail.as_ref().unwrap().p95_ms.as_ref().unwrap();
    let (text, _) = find(&out, "value:django-drf:get_all:p95").unwrap();
    assert_eq!(text, format::ms(p95.mean));
    let (published, _) = find(&out, "published:django-drf:get_all").unwrap();
    assert_eq!(published, format::MISSING, "the paper has no p95");
    assert!(find(&out, "value:fastapi-sqlite3:get_all:p95").is_none());
}

#[test]
fn the_comparison_names_the_better_run() {
    let a = run_summary(7);
    let b = run_summary(8);
    let cmp = analysis::compare(&a, &b);
    let view = TableView {
        scenarios: Some(vec!["hello".into()]),
        ..TableView::default()
    };
    let section = comparison(&cmp, &a, &view, "A run", "B run");
    assert_eq!(section.title, "Comparison: A = A run, B = B run");
    let rows = &section.tables[0].table.rows;
    assert_eq!(rows.len(), a.stacks.len(), "one row per stack");
    assert!(rows.iter().all(|r| r[0] == "hello"));
    for r in cmp.rows.iter().filter(|r| r.scenario == "hello") {
        let key = format!("cmp-verdict:hello:{}", r.stack);
        let (text, _) = find(std::slice::from_ref(&section), &key).unwrap();
        let expected = match r.significant {
            Some(true) if r.b_better == Some(true) => "B better",
            Some(true) => "A better",
            Some(false) => "~ (no significant change)",
            None => format::MISSING,
        };
        assert_eq!(text, expected);
    }
}

#[test]
fn the_comparison_of_runs_holding_different_stacks_says_which_are_not_compared() {
    let paper = Paper::builtin().expect("built-in paper");
    let two = SyntheticSpec {
        stacks: vec!["fastapi-sqlite3".into(), "django-drf".into()],
        repetitions: 2,
        scale: 0.003,
        warmup_requests: 100,
        ..SyntheticSpec::default()
    };
    let (manifest, samples, resources) = synthetic_run(&two, &paper);
    let b = analysis::summarize(&manifest, &samples, &resources, &paper, 9).expect("summary");
    let a = run_summary(7);
    let cmp = analysis::compare(&a, &b);
    let section = comparison(&cmp, &a, &TableView::default(), "five", "two");
    let rows = &section.tables[0].table.rows;
    assert_eq!(rows.len(), 2 * 7);
    assert!(
        rows.iter()
            .all(|r| r[1] == "FastAPI + sqlite3" || r[1] == "Django + DRF"),
        "{rows:?}"
    );
    let note = section.note.expect("a note");
    assert!(
        note.contains(
            "Only in A (not compared): FastAPI+SQLAlchemy, Flask+SQLAlchemy, Flask+sqlite3."
        ),
        "{note}"
    );
    assert!(!note.contains("Only in B"), "{note}");
}
