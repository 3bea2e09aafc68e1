//! Failed requests in the analysis: they are counted in the error rate shown beside
//! every number, never enter a latency statistic, and the report says so. Hostile
//! strings in a sample file never reach report.html as markup.

use analysis::schema::ErrorKind;
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{Paper, Settings, report, summarize_with};

fn light() -> Settings {
    Settings {
        bootstrap_resamples: 200,
        ..Settings::default()
    }
}

fn spec() -> SyntheticSpec {
    SyntheticSpec {
        run_id: "fault-analysis".into(),
        scale: 0.02,
        ..SyntheticSpec::default()
    }
}

#[test]
fn fault_failed_requests_are_in_the_error_rate_and_out_of_every_latency_statistic() {
    let paper = Paper::builtin().expect("paper");
    let (manifest, mut cols, resources) = synthetic_run(&spec(), &paper);
    let before = summarize_with(&manifest, &cols, &resources, &paper, 42, light()).expect("sum");
    let (stack, scenario) = ("flask-sqlite3", "get_one");
    let s_idx = cols.stacks.iter().position(|s| s == stack).expect("stack") as u16;
    let sc_idx = cols
        .scenarios
        .iter()
        .position(|s| s == scenario)
        .expect("scenario") as u16;
    // Turn 10 successful requests of the cell into 60 s timeouts.
    let mut turned = 0;
    for i in 0..cols.len() {
        if turned == 10 {
            break;
        }
        if cols.stack[i] == s_idx && cols.scenario[i] == sc_idx && cols.error[i].is_none() {
            cols.error[i] = Some(ErrorKind::Timeout);
            cols.status[i] = 0;
            cols.latency_ns[i] = 60_000_000_000;
            cols.ttfb_ns[i] = 60_000_000_000;
            turned += 1;
        }
    }
    assert_eq!(turned, 10);
    let after = summarize_with(&manifest, &cols, &resources, &paper, 42, light()).expect("sum");
    let (b, a) = (
        before.cell(stack, scenario).expect("cell"),
        after.cell(stack, scenario).expect("cell"),
    );
    assert_eq!(
        a.requests, b.requests,
        "the failed requests are still counted"
    );
    assert_eq!(a.errors, b.errors + 10);
    assert!((a.error_rate - a.errors as f64 / a.requests as f64).abs() < 1e-12);
    let pooled = a
        .detail
        .as_ref()
        .and_then(|d| d.pooled_latency)
        .expect("pooled latency");
    assert_eq!(
        pooled.n,
        a.requests - a.errors,
        "latency over successes only"
    );
    assert!(
        pooled.max_ms < 60_000.0,
        "a failed request's 60 s reached the latency statistics: max {} ms",
        pooled.max_ms
    );
    // The report: an error-rate cell beside every run number, and the rule stated.
    let md = report::markdown(&after);
    let cell_text = format!("{:.3}% ({}/{})", a.error_rate * 100.0, a.errors, a.requests);
    assert!(md.contains(&cell_text), "no {cell_text} in report.md");
    assert!(
        md.contains("failed requests are excluded from every latency statistic"),
        "report.md does not say failed requests are excluded"
    );
    for c in &after.cells {
        let t = format!("{:.3}% ({}/{})", c.error_rate * 100.0, c.errors, c.requests);
        assert!(
            md.contains(&t),
            "{}/{}: no error rate {t}",
            c.stack,
            c.scenario
        );
    }
}

#[test]
fn fault_hostile_strings_in_a_sample_file_are_escaped_or_refused() {
    let paper = Paper::builtin().expect("paper");
    let (mut manifest, mut cols, resources) = synthetic_run(&spec(), &paper);
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    // A scenario name nobody expects, with markup in it.
    let sc = cols
        .scenarios
        .iter()
        .position(|s| s == "hello")
        .expect("hello");
    cols.scenarios[sc] = hostile.to_string();
    for r in &mut manifest.repetitions {
        for s in &mut r.scenarios {
            if s.scenario == "hello" {
                s.scenario = hostile.to_string();
            }
        }
    }
    match summarize_with(&manifest, &cols, &resources, &paper, 42, light()) {
        Ok(s) => {
            let html = report::html(&s, &[], &[]);
            eprintln!("hostile scenario name: summarised; report.html escapes it");
            assert!(
                !html.contains("<script>alert"),
                "markup passed into report.html"
            );
            assert!(
                !html.contains("<img src=x"),
                "markup passed into report.html"
            );
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "the name is shown, escaped"
            );
        }
        Err(e) => {
            let msg = e.to_string();
            eprintln!("hostile scenario name: refused: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }
}
