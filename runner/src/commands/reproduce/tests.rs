//! The run phase's choice of folder (new, resume, reuse) by campaign and generator.

use super::*;
use crate::manifest::host_info;
use analysis::schema::{MANIFEST_FILE, Manifest, SAMPLES_FILE, SCHEMA_VERSION};

fn quick_args(runs_dir: &Path) -> ReproduceArgs {
    ReproduceArgs {
        campaign: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../paper/campaign-quick.toml")),
        quick: false,
        stacks: None,
        reps: None,
        precision: None,
        max_rounds: None,
        profile: false,
        profile_rate: None,
        loadgen: Loadgen::Native,
        k6: None,
        fresh: false,
        resume: None,
        runs_dir: runs_dir.to_path_buf(),
        publish_dir: runs_dir.join("published"),
        no_publish: false,
        skip_contract: false,
        no_setup: true,
        no_web: true,
    }
}

/// A run folder holding only a manifest (and samples.parquet when finished).
fn write_run(
    runs: &Path,
    id: &str,
    args: &ReproduceArgs,
    loadgen: &str,
    started: &str,
    finished: bool,
) -> PathBuf {
    let dir = runs.join(id);
    std::fs::create_dir_all(&dir).expect("run folder");
    let m = Manifest {
        schema_version: SCHEMA_VERSION,
        run_id: id.into(),
        loadgen: loadgen.into(),
        host: host_info("test".into()),
        git_commit: None,
        pywebbench_version: "0".into(),
        started_at: started.into(),
        ended_at: finished.then(|| started.to_string()),
        campaign: wanted_campaign(args).expect("quick campaign").to_json(),
        packages: Default::default(),
        repetitions: Vec::new(),
        rounds: Vec::new(),
        isolation: None,
        path: None,
        precision: None,
        stack_info: Default::default(),
        contract: None,
        profile: None,
    };
    std::fs::write(
        dir.join(MANIFEST_FILE),
        serde_json::to_vec(&m).expect("json"),
    )
    .expect("manifest");
    if finished {
        std::fs::write(dir.join(SAMPLES_FILE), b"not read here").expect("samples");
    }
    dir
}

fn chosen(p: Plan) -> (&'static str, PathBuf) {
    match p {
        Plan::New(d) => ("new", d),
        Plan::Resume(d) => ("resume", d),
        Plan::Reuse(d) => ("reuse", d),
    }
}

#[test]
fn the_newest_run_of_the_same_campaign_and_loadgen_is_resumed_or_reused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let runs = tmp.path();
    let mut args = quick_args(runs);
    assert_eq!(chosen(plan(&args).expect("plan")).0, "new", "no runs yet");

    let old = write_run(runs, "a", &args, "native", "2026-11-25T08:00:00Z", true);
    assert_eq!(chosen(plan(&args).expect("plan")), ("reuse", old.clone()));

    let unfinished = write_run(runs, "b", &args, "native", "2026-11-25T09:00:00Z", false);
    assert_eq!(
        chosen(plan(&args).expect("plan")),
        ("resume", unfinished.clone())
    );

    // Another generator's or another campaign's runs are not candidates.
    write_run(runs, "c", &args, "k6", "2026-11-25T10:00:00Z", false);
    assert_eq!(chosen(plan(&args).expect("plan")), ("resume", unfinished));
    args.reps = Some(3);
    assert_eq!(
        chosen(plan(&args).expect("plan")).0,
        "new",
        "--reps 3 is another campaign"
    );
    args.reps = None;
    args.loadgen = Loadgen::K6;
    let (what, dir) = chosen(plan(&args).expect("plan"));
    assert_eq!(
        (what, dir.file_name().and_then(|n| n.to_str())),
        ("resume", Some("c"))
    );

    args.fresh = true;
    let (what, dir) = chosen(plan(&args).expect("plan"));
    assert_eq!(what, "new");
    assert!(dir.to_string_lossy().ends_with("-k6"), "{}", dir.display());
}
