//! resources.parquet's CPU breakdown columns: written and read back (nulls kept), old
//! files without them still read (every new field null), and the limiter they give.

#![cfg(feature = "write")]

use analysis::limiter::Limiter;
use analysis::schema::ResourceRecord;
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{Paper, Settings, parse_manifest, read_resources, read_samples_for_analysis};

const SMALL_RUN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small_run/");

fn light() -> Settings {
    Settings {
        bootstrap_resamples: 50,
        ..Settings::default()
    }
}

#[test]
fn sampler_and_docker_stats_rows_round_trip() {
    let paper = Paper::builtin().expect("paper");
    let (_, _, mut rows) = synthetic_run(&SyntheticSpec::default(), &paper);
    // A Docker stats row (all breakdown null) and a sampler row without a proxy.
    rows[0] = ResourceRecord {
        interval_ns: None,
        server_cpu_ns: None,
        generator_cpu_ns: None,
        host_busy_ns: None,
        host_iowait_ns: None,
        host_steal_ns: None,
        host_idle_ns: None,
        host_cpus: None,
        generator_cpus: None,
        generator_cpus_busy_ns: None,
        server_cpus: None,
        server_cpus_busy_ns: None,
        ..rows[0].clone()
    };
    rows[1].proxy_cpu_ns = Some(123_456_789);
    rows[2].server_cpus = Some(u32::MAX);
    let bytes = analysis::write_resources(&rows).expect("write");
    let mut back = read_resources(&bytes).expect("read");
    let key = |r: &ResourceRecord| (r.stack.clone(), r.repetition, r.t_ns, r.phase.clone());
    rows.sort_by_key(key);
    back.sort_by_key(key);
    assert_eq!(back, rows);
}

#[test]
fn old_files_read_with_null_breakdown_and_unknown_limiters() {
    let resources =
        read_resources(&std::fs::read(format!("{SMALL_RUN}resources.parquet")).expect("fixture"))
            .expect("an old resources.parquet still reads");
    assert!(!resources.is_empty());
    assert!(resources.iter().all(|r| r.interval_ns.is_none()
        && r.server_cpu_ns.is_none()
        && r.host_cpus.is_none()
        && r.proxy_cpu_ns.is_none()));
    let manifest =
        parse_manifest(&std::fs::read(format!("{SMALL_RUN}manifest.json")).expect("manifest"))
            .expect("manifest");
    let samples = read_samples_for_analysis(
        &std::fs::read(format!("{SMALL_RUN}samples.parquet")).expect("samples"),
    )
    .expect("samples");
    let s = analysis::summarize_with(
        &manifest,
        &samples,
        &resources,
        &Paper::builtin().expect("paper"),
        1,
        light(),
    )
    .expect("summary");
    for c in &s.cells {
        let l = c.limiter.as_ref().expect("a run's cell has a limiter");
        assert_eq!(
            l.most_common,
            Limiter::Unknown,
            "{} {}",
            c.stack,
            c.scenario
        );
        assert!(l.mean.is_none() && l.disturbed.is_empty());
    }
    // The paper alone has no limiter, and its JSON has no such key.
    let paper = analysis::summarize_paper(&Paper::builtin().expect("paper"));
    assert!(paper.cells.iter().all(|c| c.limiter.is_none()));
    assert!(!paper.to_json().contains("\"limiter\""));
}

#[test]
fn a_synthetic_run_gets_a_known_limiter_in_every_cell_and_the_report_shows_it() {
    let paper = Paper::builtin().expect("paper");
    let spec = SyntheticSpec {
        stacks: vec!["fastapi-sqlite3".into(), "django-drf".into()],
        repetitions: 2,
        failed: Some(("django-drf".into(), 2)),
        ..SyntheticSpec::default()
    };
    let (manifest, cols, resources) = synthetic_run(&spec, &paper);
    let s = analysis::summarize_with(&manifest, &cols, &resources, &paper, 1, light())
        .expect("summary");
    for c in &s.cells {
        let l = c.limiter.as_ref().expect("limiter");
        assert!(
            matches!(l.most_common, Limiter::NotCpuBound | Limiter::ServerCpu),
            "{} {}: {:?}",
            c.stack,
            c.scenario,
            l.most_common
        );
        let u = l.mean.expect("mean usage");
        // The synthetic generator takes half the server's CPU; nothing else runs.
        assert!(
            (u.generator_cores * 2.0 - u.server_cores).abs() < 0.01,
            "{u:?}"
        );
        assert!(u.others_cores.abs() < 1e-9 && l.disturbed.is_empty());
        // The failed repetition is listed but not counted.
        if c.stack == "django-drf" {
            assert_eq!(l.repetitions.len(), 2);
            assert!(!l.repetitions[1].included);
        }
    }
    let json = s.to_json();
    let back = analysis::Summary::from_json(json.as_bytes()).expect("round trip");
    assert_eq!(back.cells[0].limiter, s.cells[0].limiter);
    let md = analysis::report::markdown(&s);
    assert!(md.contains("Limited by") && md.contains("Disturbed repetitions: none."));
}
