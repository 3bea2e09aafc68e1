//! The contract gate: before a run measures anything, every stack's image must pass
//! the API contract (`stacks/CONTRACT.md`), checked by the contract suite
//! (`stacks/contract/`, pytest) against its real container, as `just test-contract`
//! runs it. A stack that fails refuses the whole run with its failing checks listed;
//! `--skip-contract` measures anyway and the manifest records it.
//!
//! The suite is run once for every stack not yet known to pass: `pytest stacks/contract`
//! with `PYWEBBENCH_STACKS` naming them and `PYWEBBENCH_CONTRACT_REPORT` a JSON file the
//! suite's conftest writes (each check's stack, name, outcome and one-line reason). The
//! suite starts each container with the docker CLI on a free 127.0.0.1 port, so its
//! traffic stays on the loopback. A pass is cached by image id and the suite's
//! content in [`cache_dir`]`/contract/<image id>.json`: the same images are not checked again
//! until they are rebuilt or the suite changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use analysis::schema::{ContractCheck, ContractRecord};
use anyhow::{Context, Result, anyhow, bail};
use bollard::Docker;
use serde::{Deserialize, Serialize};

use super::event::{Event, Observer};
use crate::docker;
use crate::manifest::now_rfc3339;
use crate::rundir::write_bytes_atomic;

/// The contract suite, relative to the repository root (the working directory).
pub const SUITE_DIR: &str = "stacks/contract";

/// At most this many failing checks are listed per stack (the rest are counted).
const LISTED_PER_STACK: usize = 12;

/// Where pywebbench keeps what it may forget: `$PYWEBBENCH_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/pywebbench`, else `~/.cache/pywebbench` (`%LOCALAPPDATA%\pywebbench`
/// on Windows); `None` when none of them is set (nothing is cached then).
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("PYWEBBENCH_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("pywebbench")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("pywebbench")))
        .or_else(|| var("LOCALAPPDATA").map(|d| d.join("pywebbench")))
}

/// A cached pass: the image passed the suite whose files hash to `suite`.
#[derive(Serialize, Deserialize)]
struct CachedPass {
    stack: String,
    image: String,
    image_id: String,
    suite: String,
    checked_at: String,
}

/// What the suite's conftest writes (`PYWEBBENCH_CONTRACT_REPORT`).
#[derive(Deserialize)]
struct Report {
    exitstatus: i32,
    results: Vec<CheckResult>,
}

#[derive(Deserialize)]
struct CheckResult {
    stack: String,
    test: String,
    /// `passed`, `failed`, `skipped`, or `error` (the container did not come up).
    outcome: String,
    reason: String,
}

/// Check every stack's image against the contract (or record the skip), before the
/// run folder exists: a refused run leaves nothing behind.
pub(super) async fn gate(
    engine: &Docker,
    stacks: &[String],
    skip: bool,
    observer: &dyn Observer,
) -> Result<ContractRecord> {
    let mut ids = BTreeMap::new();
    for stack in stacks {
        ids.insert(
            stack.clone(),
            docker::image_id(engine, &docker::image_of(stack)).await?,
        );
    }
    let record = |result: &dyn Fn(&str) -> &'static str| ContractRecord {
        skipped: skip,
        stacks: ids
            .iter()
            .map(|(s, id)| {
                let check = ContractCheck {
                    image_id: id.clone(),
                    result: result(s).into(),
                };
                (s.clone(), check)
            })
            .collect(),
    };
    if skip {
        observer.event(&Event::Warning(
            "--skip-contract: the stacks are measured without checking the API contract (recorded in manifest.json)".into(),
        ));
        return Ok(record(&|_| "skipped"));
    }
    let started = Instant::now();
    let suite = Path::new(SUITE_DIR);
    let digest = suite_digest(suite)?;
    let cache = cache_dir().map(|d| d.join("contract"));
    let cached: Vec<String> = stacks
        .iter()
        .filter(|s| {
            cache
                .as_deref()
                .is_some_and(|c| is_cached(c, &ids[s.as_str()], &digest))
        })
        .cloned()
        .collect();
    let to_check: Vec<String> = stacks
        .iter()
        .filter(|s| !cached.contains(s))
        .cloned()
        .collect();
    if !to_check.is_empty() {
        let report = run_suite(suite, &to_check).await?;
        let failures = failures(&report, &to_check);
        for stack in to_check.iter().filter(|s| !failures.contains_key(*s)) {
            if let Some(c) = &cache {
                remember(c, stack, &ids[stack], &digest)?;
            }
        }
        if !failures.is_empty() {
            bail!("{}", refusal(&failures, &ids));
        }
    }
    observer.event(&Event::ContractChecked {
        checked: to_check.clone(),
        cached: cached.clone(),
        took: started.elapsed(),
        cache: cache.clone(),
    });
    Ok(record(&|s| {
        if cached.iter().any(|c| c == s) {
            "cached"
        } else {
            "passed"
        }
    }))
}

/// The suite's files (sorted by name) hashed with FNV-1a: a changed check is a new
/// suite, and cached passes of the old one no longer count.
fn suite_digest(suite: &Path) -> Result<String> {
    let entries = std::fs::read_dir(suite).map_err(|e| {
        anyhow!(
            "the contract suite {} cannot be read ({e}): run pywebbench from the repository root, or pass --skip-contract to measure without checking the API contract",
            suite.display()
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py" || x == "ini"))
        .collect();
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        for b in name.unwrap_or_default().bytes().chain([0]).chain(bytes) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("fnv1a64:{hash:016x}"))
}

fn cache_file(cache: &Path, image_id: &str) -> PathBuf {
    let id = image_id.rsplit(':').next().unwrap_or(image_id);
    cache.join(format!("{id}.json"))
}

fn is_cached(cache: &Path, image_id: &str, digest: &str) -> bool {
    std::fs::read(cache_file(cache, image_id))
        .ok()
        .and_then(|b| serde_json::from_slice::<CachedPass>(&b).ok())
        .is_some_and(|p| p.image_id == image_id && p.suite == digest)
}

fn remember(cache: &Path, stack: &str, image_id: &str, digest: &str) -> Result<()> {
    std::fs::create_dir_all(cache).with_context(|| {
        format!(
            "cannot create the cache folder {} (set PYWEBBENCH_CACHE_DIR to a writable folder)",
            cache.display()
        )
    })?;
    let pass = CachedPass {
        stack: stack.into(),
        image: docker::image_of(stack),
        image_id: image_id.into(),
        suite: digest.into(),
        checked_at: now_rfc3339(),
    };
    let json = serde_json::to_vec_pretty(&pass).context("serialising a contract pass")?;
    write_bytes_atomic(&cache_file(cache, image_id), &json)
}

/// The project's pytest (`.venv/bin/pytest`, made by `just setup`), else `pytest`.
fn pytest() -> PathBuf {
    let venv = if cfg!(windows) {
        Path::new(".venv").join("Scripts").join("pytest.exe")
    } else {
        Path::new(".venv").join("bin").join("pytest")
    };
    if venv.exists() {
        venv
    } else {
        PathBuf::from("pytest")
    }
}

/// Run the suite for `stacks` and read its report.
async fn run_suite(suite: &Path, stacks: &[String]) -> Result<Report> {
    let tmp =
        tempfile::tempdir().context("cannot make a temporary folder for the contract report")?;
    let report_file = tmp.path().join("contract.json");
    let pytest = pytest();
    let out = tokio::process::Command::new(&pytest)
        .arg(suite)
        .args(["-q", "-p", "no:cacheprovider"])
        .env("PYWEBBENCH_STACKS", stacks.join(" "))
        .env("PYWEBBENCH_CONTRACT_REPORT", &report_file)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| {
            anyhow!(
                "cannot run the contract suite with {} ({e}): run `just setup` to install pytest into .venv, or pass --skip-contract to measure without checking the API contract",
                pytest.display()
            )
        })?;
    let last_line = || {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        text.lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no output")
            .to_string()
    };
    let see = format!("`just test-contract {}`", stacks.join(" "));
    let report: Report = match std::fs::read(&report_file) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("the contract suite's report is not valid JSON; run {see}"))?,
        Err(_) => bail!(
            "the contract suite did not run ({pytest} exited with {status}: {line}); run {see} to see why, or pass --skip-contract to measure without checking the API contract",
            pytest = pytest.display(),
            status = out.status,
            line = last_line()
        ),
    };
    // 0: all passed; 1: some checks failed (listed by the caller); else pytest itself failed.
    if report.exitstatus != 0 && report.exitstatus != 1 {
        bail!(
            "the contract suite stopped (pytest exit status {}: {}); run {see} to see why, or pass --skip-contract to measure without checking the API contract",
            report.exitstatus,
            last_line()
        );
    }
    Ok(report)
}

/// Per stack, its failing checks (`test`, reason); a checked stack with no result at
/// all counts as failing too.
fn failures(report: &Report, checked: &[String]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in &report.results {
        if r.outcome == "failed" || r.outcome == "error" {
            out.entry(r.stack.clone())
                .or_default()
                .push((r.test.clone(), r.reason.clone()));
        }
    }
    for stack in checked {
        if !report.results.iter().any(|r| &r.stack == stack) {
            out.entry(stack.clone()).or_default().push((
                "(no check ran)".into(),
                "the suite reported nothing for this stack".into(),
            ));
        }
    }
    out
}

/// The one error that refuses the run: each failing stack with its checks, then the fix.
fn refusal(
    failures: &BTreeMap<String, Vec<(String, String)>>,
    ids: &BTreeMap<String, String>,
) -> String {
    let mut text = format!(
        "refusing to measure: {} stack(s) fail the API contract (stacks/CONTRACT.md):",
        failures.len()
    );
    for (stack, checks) in failures {
        let id = ids.get(stack).map(String::as_str).unwrap_or_default();
        let short = id.trim_start_matches("sha256:").get(..12).unwrap_or(id);
        text.push_str(&format!(
            "\n  {stack} ({}, image {short}): {} failing check(s)",
            docker::image_of(stack),
            checks.len()
        ));
        for (test, reason) in checks.iter().take(LISTED_PER_STACK) {
            text.push_str(&format!("\n    {test}: {reason}"));
        }
        if checks.len() > LISTED_PER_STACK {
            text.push_str(&format!(
                "\n    … and {} more",
                checks.len() - LISTED_PER_STACK
            ));
        }
    }
    let names: Vec<&str> = failures.keys().map(String::as_str).collect();
    text.push_str(&format!(
        "\nfix the stack (details: `just test-contract {}`), or pass --skip-contract to measure anyway (recorded in manifest.json)",
        names.join(" ")
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(json: &str) -> Report {
        serde_json::from_str(json).expect("report")
    }

    #[test]
    fn failing_checks_are_listed_per_stack_with_the_fix() {
        let r = report(
            r#"{"exitstatus": 1, "results": [
                {"stack": "a", "test": "test_hello[a]", "outcome": "passed", "reason": ""},
                {"stack": "a", "test": "test_x[a-abc]", "outcome": "failed", "reason": "assert 500 == 404"},
                {"stack": "b", "test": "test_hello[b]", "outcome": "passed", "reason": ""}
            ]}"#,
        );
        let checked = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let f = failures(&r, &checked);
        assert_eq!(f.keys().collect::<Vec<_>>(), ["a", "c"]);
        let ids = BTreeMap::from([("a".to_string(), "sha256:0123456789abcdef".to_string())]);
        let text = refusal(&f, &ids);
        assert!(text.contains("test_x[a-abc]: assert 500 == 404"), "{text}");
        assert!(text.contains("image 0123456789ab"), "{text}");
        assert!(text.contains("`just test-contract a c`"), "{text}");
        assert!(text.contains("--skip-contract"), "{text}");
        assert!(!text.contains("test_hello"), "{text}");
    }

    #[test]
    fn a_pass_is_cached_by_image_id_and_suite() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let c = tmp.path().join("contract");
        assert!(!is_cached(&c, "sha256:abc", "s1"));
        remember(&c, "a", "sha256:abc", "s1").expect("remember");
        assert!(is_cached(&c, "sha256:abc", "s1"));
        assert!(!is_cached(&c, "sha256:abc", "s2"), "another suite");
        assert!(!is_cached(&c, "sha256:abd", "s1"), "another image");
    }

    #[test]
    fn the_suite_digest_changes_with_a_check() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::write(tmp.path().join("test_a.py"), "def test(): pass\n").expect("write");
        std::fs::write(tmp.path().join("notes.txt"), "ignored").expect("write");
        let d1 = suite_digest(tmp.path()).expect("digest");
        std::fs::write(tmp.path().join("notes.txt"), "still ignored").expect("write");
        assert_eq!(suite_digest(tmp.path()).expect("digest"), d1);
        std::fs::write(tmp.path().join("test_a.py"), "def test(): assert 0\n").expect("write");
        assert_ne!(suite_digest(tmp.path()).expect("digest"), d1);
        let err = suite_digest(&tmp.path().join("missing")).expect_err("no suite");
        assert!(err.to_string().contains("--skip-contract"), "{err}");
    }
}
