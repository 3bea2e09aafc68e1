//! Helpers shared by the `run_*` integration tests: they drive the real `pywebbench`
//! binary against real containers and read its output back with pyarrow and DuckDB.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use analysis::schema::{Manifest, RepetitionStatus};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `pywebbench` with the repository root as working directory.
pub fn pywebbench() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pywebbench"));
    c.current_dir(repo_root());
    c
}

pub fn output_text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The project's Python (`.venv/bin/python`, made by `just setup`), else `python3`.
pub fn python() -> PathBuf {
    let venv = repo_root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Run `runner/tests/readback.py` on a run folder: pyarrow and DuckDB must agree.
pub fn readback(run: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback.py");
    let out = Command::new(python())
        .arg(script)
        .arg(run)
        .output()
        .expect("python runs (run `just setup` for .venv with pyarrow and duckdb)");
    assert!(
        out.status.success(),
        "readback failed:\n{}",
        output_text(&out)
    );
    serde_json::from_slice(&out.stdout).expect("readback prints JSON")
}

pub fn manifest(run: &Path) -> Manifest {
    let bytes = std::fs::read(run.join("manifest.json")).expect("manifest.json exists");
    analysis::parse_manifest(&bytes).expect("manifest.json parses")
}

/// Containers (running or not) carrying `label`, asked of the Docker engine.
pub fn containers_with_label(label: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        use bollard::query_parameters::ListContainersOptionsBuilder;
        let docker = bollard::Docker::connect_with_defaults()
            .expect("Docker client")
            .negotiate_version()
            .await
            .expect("the Docker engine answers");
        let filters =
            std::collections::HashMap::from([("label".to_string(), vec![label.to_string()])]);
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        docker
            .list_containers(Some(opts))
            .await
            .expect("list containers")
            .into_iter()
            .filter_map(|c| c.id)
            .collect()
    })
}

/// No container of this run is left.
pub fn assert_no_container_of(run_id: &str) {
    let left = containers_with_label(&format!("pywebbench.run={run_id}"));
    assert!(
        left.is_empty(),
        "containers of run {run_id} left behind: {left:?}"
    );
}

/// The checks every complete run must pass: the readers agree with each other and
/// with the manifest, every scenario of every ok repetition has samples.
pub fn check_complete_run(run: &Path, stacks: &[&str], reps: u32) -> (Manifest, serde_json::Value) {
    let m = manifest(run);
    assert!(m.ended_at.is_some(), "the run is not marked finished");
    assert!(!run.join("parts").exists(), "parts/ was not merged away");
    let seen = readback(run);
    let counts = seen["counts"].as_object().expect("counts");
    let mut total = 0;
    for stack in stacks {
        for rep in 1..=reps {
            let r = m
                .repetitions
                .iter()
                .find(|r| r.stack == *stack && r.repetition == rep)
                .unwrap_or_else(|| panic!("{stack} r{rep} is not in the manifest"));
            assert_eq!(
                r.status,
                RepetitionStatus::Ok,
                "{stack} r{rep}: {:?}",
                r.cause
            );
            assert_eq!(
                r.scenarios.len(),
                9,
                "{stack} r{rep}: 2 warm-ups + 7 scenarios"
            );
            assert!(r.image_id.starts_with("sha256:"), "{}", r.image_id);
            for s in &r.scenarios {
                let key = format!("{stack}/{rep}/{}", s.scenario);
                let c = &counts
                    .get(&key)
                    .unwrap_or_else(|| panic!("no samples for {key}"));
                assert_eq!(
                    c["requests"].as_u64(),
                    Some(s.requests),
                    "{key}: samples vs manifest"
                );
                assert_eq!(
                    c["errors"].as_u64(),
                    Some(s.errors),
                    "{key}: errors vs manifest"
                );
                assert!(s.requests > 0 && s.active_ns > 0, "{key}: {s:?}");
                total += s.requests;
            }
        }
        assert!(
            m.packages[*stack].contains_key("gunicorn"),
            "{stack}: packages {:?}",
            m.packages[*stack]
        );
    }
    assert_eq!(
        seen["samples"].as_u64(),
        Some(total),
        "every request is a sample"
    );
    assert!(
        seen["resources"].as_u64().is_some_and(|n| n > 0),
        "no Docker stats readings"
    );
    (m, seen)
}

/// The child's stderr, line by line, through a channel (the thread ends with the child).
pub fn stderr_lines(child: &mut Child) -> (mpsc::Receiver<String>, JoinHandle<()>) {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (rx, reader)
}

/// Wait for a line containing `needle`, collecting everything read into `seen`.
pub fn wait_for_line(
    lines: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    needle: &str,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match lines.recv_timeout(Duration::from_millis(200)) {
            Ok(l) => {
                let hit = l.contains(needle);
                seen.push(l);
                if hit {
                    return;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    panic!(
        "no line with {needle:?} within {timeout:?}; saw:\n{}",
        seen.join("\n")
    );
}

/// SIGKILL a container through the Docker API.
pub fn kill_container(id: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let docker = bollard::Docker::connect_with_defaults()
            .expect("Docker client")
            .negotiate_version()
            .await
            .expect("the Docker engine answers");
        docker
            .kill_container(id, None::<bollard::query_parameters::KillContainerOptions>)
            .await
            .expect("kill the container");
    });
}
