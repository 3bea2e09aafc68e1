//! Helpers shared by the `run_*` integration tests: they drive the real `pywebbench`
//! binary against real containers and read its output back with pyarrow and DuckDB.

#![allow(dead_code)]

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
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

/// Like [`readback`], for a folder with samples but no resources.parquet: the number
/// of samples pyarrow and DuckDB agree on (`readback.py --samples-only`).
pub fn readback_samples_only(run: &Path) -> usize {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback.py");
    let out = Command::new(python())
        .arg(script)
        .arg(run)
        .arg("--samples-only")
        .output()
        .expect("python runs (run `just setup` for .venv with pyarrow and duckdb)");
    assert!(
        out.status.success(),
        "readback failed:\n{}",
        output_text(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("readback prints JSON");
    v["samples"].as_u64().expect("samples") as usize
}

pub fn manifest(run: &Path) -> Manifest {
    let bytes = std::fs::read(run.join("manifest.json")).expect("manifest.json exists");
    analysis::parse_manifest(&bytes).expect("manifest.json parses")
}

/// Containers (running or not) carrying `label`, asked of the Docker engine.
pub fn containers_with_label(label: &str) -> Vec<String> {
    with_docker(|docker| async move {
        use bollard::query_parameters::ListContainersOptionsBuilder;
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
        "no resource readings"
    );
    // A local engine on Linux: every reading is the sampler's (CPU breakdown set).
    let local =
        std::env::var("DOCKER_HOST").map_or(true, |h| h.is_empty() || h.starts_with("unix://"));
    if cfg!(target_os = "linux") && local {
        assert_eq!(
            seen["sampler_rows"], seen["resources"],
            "resources.parquet: rows without the sampler's breakdown"
        );
    }
    (m, seen)
}

/// A `pywebbench run` in the background whose stderr is followed line by line.
pub struct Watched {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    reader: JoinHandle<()>,
    seen: Vec<String>,
}

impl Watched {
    /// Start `pywebbench <args> --out <out>`.
    pub fn spawn(args: &[&str], out: &Path) -> Watched {
        let mut child = pywebbench()
            .args(args)
            .arg("--out")
            .arg(out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pywebbench starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Watched {
            child,
            lines,
            reader,
            seen: Vec::new(),
        }
    }

    /// Wait for a stderr line containing `needle`.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(l) => {
                    let hit = l.contains(needle);
                    self.seen.push(l);
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
            self.seen.join("\n")
        );
    }

    /// Wait for the exit; the exit status, how long the wait took, and all of stderr.
    pub fn finish(mut self) -> (ExitStatus, Duration, String) {
        let start = Instant::now();
        let status = self.child.wait().expect("pywebbench exits");
        let took = start.elapsed();
        self.reader.join().expect("stderr reader");
        self.seen.extend(self.lines.try_iter());
        (status, took, self.seen.join("\n"))
    }
}

/// Run `f` with a Docker client on a runtime of its own.
pub fn with_docker<T, F: Future<Output = T>>(f: impl FnOnce(bollard::Docker) -> F) -> T {
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
        f(docker).await
    })
}

/// SIGKILL a container through the Docker API.
pub fn kill_container(id: &str) {
    with_docker(|docker| async move {
        docker
            .kill_container(id, None::<bollard::query_parameters::KillContainerOptions>)
            .await
            .expect("kill the container");
    });
}

/// The docker CLI with `args`, its output (for tests that start their own containers).
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs")
}
