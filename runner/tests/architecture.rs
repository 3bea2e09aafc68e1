//! The structure ARCHITECTURE.md describes, held against the code: the paths it names
//! exist, no command module imports another, long files say why they are long, the
//! viewer's JavaScript knows no stack by name, and the analysis core does no I/O.
//! Docker-free and quick: it only reads the repository's files.

use std::path::{Path, PathBuf};

const LONG_FILE_LINES: usize = 600;
/// A file over `LONG_FILE_LINES` lines names its reason in its first lines with this.
const LONG_FILE_MARKER: &str = "Why this file is long:";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("runner/ sits in the repository")
        .to_path_buf()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Every file below `dir` (recursively) whose name ends with `ext`.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The backticked repository paths of a Markdown text: `a/b.rs`, `runner/src/engine/`.
fn named_paths(text: &str) -> Vec<String> {
    const ROOTS: [&str; 8] = [
        "analysis/",
        "runner/",
        "web/",
        "stacks/",
        "paper/",
        "data/",
        "scripts/",
        "docs/",
    ];
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| ROOTS.iter().any(|r| s.starts_with(r)))
        .filter(|s| !s.contains(['<', '*', ' ', '{']))
        .map(|s| s.split("::").next().unwrap_or(s).to_string())
        .collect()
}

#[test]
fn architecture_md_names_only_paths_that_exist() {
    let root = repo();
    let text = read(&root.join("ARCHITECTURE.md"));
    let paths = named_paths(&text);
    assert!(
        paths.len() >= 20,
        "ARCHITECTURE.md names only {} repository paths in backticks; it should map the code",
        paths.len()
    );
    let missing: Vec<_> = paths.iter().filter(|p| !root.join(p).exists()).collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist (update the document): {missing:?}"
    );
}

#[test]
fn no_command_module_imports_another() {
    let dir = repo().join("runner/src/commands");
    let commands: Vec<String> = files(&dir, ".rs")
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| s != "mod")
        .collect();
    let mut offenders = Vec::new();
    for path in files(&dir, ".rs") {
        let me = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = read(&path);
        for other in commands.iter().filter(|c| **c != me) {
            for pattern in [
                format!("commands::{other}"),
                format!("super::{other}"),
                format!("crate::commands::{other}"),
            ] {
                if text.contains(&pattern) {
                    offenders.push(format!("{me}.rs uses {pattern}"));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "a command module imports another; move the shared code into the library: {offenders:?}"
    );
}

#[test]
fn long_files_say_why() {
    let root = repo();
    let mut offenders = Vec::new();
    for dir in ["analysis/src", "runner/src", "web/wasm/src"] {
        for path in files(&root.join(dir), ".rs") {
            let text = read(&path);
            let lines = text.lines().count();
            let head: String = text.lines().take(12).collect::<Vec<_>>().join("\n");
            if lines > LONG_FILE_LINES && !head.contains(LONG_FILE_MARKER) {
                offenders.push(format!(
                    "{} ({lines} lines)",
                    path.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "files over {LONG_FILE_LINES} lines without `{LONG_FILE_MARKER} ...` in their first lines; split them or say why: {offenders:?}"
    );
}

#[test]
fn the_viewer_script_names_no_stack() {
    let root = repo();
    let stacks: Vec<String> = std::fs::read_dir(root.join("stacks"))
        .expect("stacks/")
        .flatten()
        .filter(|e| e.path().join("stack.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        stacks.len() >= 5,
        "expected the stacks' folders with stack.toml, found {stacks:?}"
    );
    let mut offenders = Vec::new();
    for path in files(&root.join("web/js"), ".js") {
        let text = read(&path);
        for s in &stacks {
            if text.contains(&format!("'{s}'")) || text.contains(&format!("\"{s}\"")) {
                offenders.push(format!("{} names {s}", path.display()));
            }
        }
        if text.contains("sqlite3'") || text.contains("sqlite3\"") {
            offenders.push(format!(
                "{} guesses a stack's kind from its name",
                path.display()
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "the viewer's JavaScript must take stacks from the run's stack_info: {offenders:?}"
    );
}

#[test]
fn the_analysis_core_does_no_io() {
    let root = repo();
    let mut offenders = Vec::new();
    for path in files(&root.join("analysis/src"), ".rs") {
        let text = read(&path);
        for needle in ["std::fs", "std::net", "std::process", "std::env"] {
            if text.contains(needle) {
                offenders.push(format!(
                    "{} uses {needle}",
                    path.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "analysis/src must stay pure (bytes in, values out) so it builds for wasm32: {offenders:?}"
    );
}
