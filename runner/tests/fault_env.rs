//! A wrong environment: no Docker engine, an output folder that cannot be written, a
//! full disk, a publish address the host does not have. Each gives one line naming the
//! cause and the fix, a non-zero exit, no panic or backtrace, and no container left.
//! Real Docker engine, real filesystems (tmpfs mounts; the tests run as root).

#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use analysis::schema::RepetitionStatus;
use common::*;

/// stderr is exactly one `error: ...` line and says no more than that.
fn assert_one_line_error(out: &Output, needles: &[&str]) -> String {
    let text = output_text(out);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line\n{text}");
    for n in needles {
        assert!(
            errors[0].contains(n),
            "{n:?} not in {:?}\n{text}",
            errors[0]
        );
    }
    assert!(!stderr.contains("panicked"), "{text}");
    assert!(!stderr.contains("backtrace"), "{text}");
    errors[0].to_string()
}

fn run_quick(out_dir: &Path, extra_env: &[(&str, &str)], extra_args: &[&str]) -> Output {
    let mut c = pywebbench();
    c.args(["run", "--quick", "--stacks", "flask-sqlite3", "--quiet"])
        .args(extra_args)
        .arg("--out")
        .arg(out_dir)
        .env("RUST_BACKTRACE", "1");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    c.output().expect("pywebbench runs")
}

/// A tmpfs mounted for the test, unmounted on drop (also when the test fails).
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, options: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).expect("mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED: mounting a tmpfs needs root (these fault tests run as root in CI)");
            return None;
        }
        Some(Mount(dir.to_path_buf()))
    }

    fn remount(&self, options: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {options}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn fault_no_docker_engine_is_one_line_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("nodocker-run");
    let out = run_quick(
        &run,
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_one_line_error(
        &out,
        &["Docker engine", "start the Docker engine", "DOCKER_HOST"],
    );
    let out = pywebbench()
        .arg("clean")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("clean runs");
    assert_eq!(out.status.code(), Some(1));
    assert_one_line_error(&out, &["Docker engine", "DOCKER_HOST"]);
    // A TCP address where nothing listens (loopback): the same message.
    let out = run_quick(&run, &[("DOCKER_HOST", "tcp://127.0.0.1:9")], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_one_line_error(&out, &["Docker engine", "DOCKER_HOST"]);
    assert_no_container_of("nodocker-run");
}

#[test]
fn fault_output_folder_not_writable_is_one_line_and_starts_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file where the folder should be.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a folder").expect("write");
    for out_dir in [file.join("run"), file.clone()] {
        let out = run_quick(&out_dir, &[], &[]);
        assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
        assert_one_line_error(&out, &["Not a directory", "--out"]);
    }
    assert_eq!(std::fs::read(&file).expect("read"), b"not a folder");
    assert_no_container_of("run");
    assert_no_container_of("a-file");
    // A read-only filesystem (root ignores permission bits, not a read-only mount).
    let Some(_ro) = Mount::tmpfs(&dir.path().join("ro"), "ro,size=64k") else {
        return;
    };
    let out = run_quick(&dir.path().join("ro/ro-run"), &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_one_line_error(&out, &["Read-only file system", "--out"]);
    assert_no_container_of("ro-run");
}

#[test]
fn fault_disk_full_stops_cleanly_and_resume_finishes_once_there_is_space() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Room for manifest.json, not for a repetition's samples.
    let Some(mount) = Mount::tmpfs(&dir.path().join("small"), "size=48k") else {
        return;
    };
    let run = dir.path().join("small/full-run");
    let out = run_quick(&run, &[], &[]);
    let text = output_text(&out);
    assert_ne!(out.status.code(), Some(0), "{text}");
    let line = assert_one_line_error(&out, &["No space left on device"]);
    assert!(
        line.contains("free space") && line.contains("--resume"),
        "the fix is named: {line}"
    );
    assert_no_container_of("full-run");
    // Nothing under a final name half-written, no temporary left.
    assert!(!run.join("samples").exists(), "{text}");
    let left: Vec<String> = walk(&run)
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    for part in walk(&run).into_iter().filter(|n| n.ends_with(".parquet")) {
        let bytes = std::fs::read(run.join(&part)).expect("read part");
        analysis::parse_manifest(&std::fs::read(run.join("manifest.json")).expect("manifest"))
            .expect("the manifest is whole");
        assert!(
            analysis::read::parquet_run_id(&bytes, "part").is_ok(),
            "{part} is not whole Parquet"
        );
    }
    // Free space and resume: the run completes with every scenario's samples.
    mount.remount("size=64m");
    let out = pywebbench()
        .args(["run", "--resume"])
        .arg(&run)
        .output()
        .expect("resume runs");
    assert!(out.status.success(), "{}", output_text(&out));
    check_complete_run(&run, &["flask-sqlite3"], 1);
    assert_no_container_of("full-run");
}

/// Relative paths of the files under `dir`.
fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                found.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    found
}

#[test]
fn fault_publish_address_the_host_lacks_fails_without_leaving_a_container() {
    // Docker picks the host port itself (HostPort ""), so a taken port cannot collide;
    // the bind that can fail is the address: 192.0.2.1 (TEST-NET-1) is on no interface.
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("badip-run");
    let out = run_quick(
        &run,
        &[],
        &["--path", "published-port", "--publish-ip", "192.0.2.1"],
    );
    let text = output_text(&out);
    assert_ne!(out.status.code(), Some(0), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{text}"
    );
    assert!(text.contains("192.0.2.1"), "the address is named\n{text}");
    assert_no_container_of("badip-run");
    if run.join("manifest.json").exists() {
        let m = manifest(&run);
        for r in &m.repetitions {
            assert_eq!(r.status, RepetitionStatus::Failed, "{text}");
            assert!(
                r.cause.as_deref().is_some_and(|c| c.contains("192.0.2.1")),
                "{:?}",
                r.cause
            );
        }
    }
}
