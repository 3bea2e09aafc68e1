//! `stack_info`: a summary takes each stack's labels, data access and raw twin from the
//! run's manifest, else (runs and summaries made before it was recorded) from the
//! compiled-in registry; the ORM pairs follow it.

use analysis::registry::{DataAccess, Registry};
use analysis::synthetic::{SyntheticSpec, synthetic_run};
use analysis::{Paper, Summary, summarize};

fn small() -> SyntheticSpec {
    SyntheticSpec {
        repetitions: 2,
        scale: 0.002,
        warmup_requests: 100,
        ..SyntheticSpec::default()
    }
}

#[test]
fn a_manifest_without_stack_info_falls_back_to_the_registry() {
    let paper = Paper::builtin().unwrap();
    let (manifest, cols, resources) = synthetic_run(&small(), &paper);
    assert!(manifest.stack_info.is_empty(), "an old-style manifest");
    let s = summarize(&manifest, &cols, &resources, &paper, 1).unwrap();
    let registry = Registry::builtin();
    // The synthetic run holds the paper's stacks, in the registry's order.
    assert_eq!(s.stacks, small().stacks);
    assert_eq!(s.stacks, registry.order(s.stacks.clone()));
    for st in &s.stacks {
        assert_eq!(s.stack_info[st], registry.get(st).expect("registered").info);
    }
    assert_eq!(
        s.label("fastapi-sqlalchemy"),
        "FastAPI + SQLAlchemy (SQLModel)"
    );
    assert_eq!(s.short_label("fastapi-sqlalchemy"), "FastAPI+SQLAlchemy");
    assert_eq!(s.label("no-such-stack"), "no-such-stack");
    // The paper's pairs (stacks added later may bring their own).
    let pairs: Vec<(&str, &str, &str)> = s
        .orm_overhead
        .iter()
        .filter(|o| o.scenario == "hello" && paper.meta.stacks.contains(&o.orm_stack))
        .map(|o| {
            (
                o.framework.as_str(),
                o.orm_stack.as_str(),
                o.raw_stack.as_str(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("fastapi", "fastapi-sqlalchemy", "fastapi-sqlite3"),
            ("flask", "flask-sqlalchemy", "flask-sqlite3"),
        ]
    );
}

#[test]
fn the_manifests_stack_info_wins_and_drives_the_orm_pairs() {
    let paper = Paper::builtin().unwrap();
    let (mut manifest, cols, resources) = synthetic_run(&small(), &paper);
    manifest.stack_info = Registry::builtin().info_of(
        &manifest
            .repetitions
            .iter()
            .map(|r| r.stack.clone())
            .collect::<Vec<_>>(),
    );
    // As the run recorded it: Flask's ORM stack had no raw twin then, and a new label.
    let flask = manifest.stack_info.get_mut("flask-sqlalchemy").unwrap();
    flask.raw_twin = None;
    flask.short_label = "Flask+ORM".into();
    let s = summarize(&manifest, &cols, &resources, &paper, 1).unwrap();
    assert_eq!(s.short_label("flask-sqlalchemy"), "Flask+ORM");
    assert!(
        s.orm_overhead
            .iter()
            .all(|o| o.framework == "fastapi" && o.orm_stack != "flask-sqlalchemy"),
        "Flask's pair is gone, FastAPI's are left"
    );
    assert!(
        s.orm_overhead
            .iter()
            .any(|o| o.orm_stack == "fastapi-sqlalchemy")
    );
    // And it survives summary.json.
    let back = Summary::from_json(s.to_json().as_bytes()).unwrap();
    assert_eq!(back.stack_info, s.stack_info);
}

#[test]
fn a_summary_json_without_stack_info_reads_with_the_registrys() {
    let paper = Paper::builtin().unwrap();
    let s = analysis::summarize_paper(&paper);
    // Written before stack_info: it had stack_labels instead.
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("stack_info").unwrap();
    obj.insert(
        "stack_labels".into(),
        serde_json::json!({"django-drf": "Django + DRF"}),
    );
    let back = Summary::from_json(v.to_string().as_bytes()).unwrap();
    assert_eq!(back.stack_info, s.stack_info);
    assert_eq!(back.stack_info.len(), 5);
    assert_eq!(
        back.stack_info["flask-sqlite3"].data_access,
        DataAccess::Raw
    );
}

#[test]
fn the_committed_published_summaries_still_load() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/published");
    let mut n = 0;
    for run in std::fs::read_dir(&dir).unwrap() {
        let file = run.unwrap().path().join("report/summary.json");
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let s = Summary::from_json(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for st in &s.stacks {
            assert!(
                s.stack_info.contains_key(st),
                "{}: no stack_info for {st}",
                file.display()
            );
        }
        n += 1;
    }
    assert!(
        n >= 2,
        "only {n} published summaries found in {}",
        dir.display()
    );
}
