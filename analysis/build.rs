//! Compiles the stack registry in: finds every `../stacks/*/stack.toml`, checks them
//! with `src/registry.rs` (a bad file fails the build with its one-line error) and
//! writes `$OUT_DIR/stack_files.rs`, an `include_str!` of each, for
//! `analysis::registry::Registry::builtin` (no file I/O at run time, so wasm32 has it).
//! Reruns when a `stack.toml` changes or a folder appears under `stacks/`. Cargo checks
//! a watched folder recursively, so any file written under `stacks/` reruns it (and
//! rebuilds the crate): the contract suite writes no bytecode and no pytest cache there.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "src/registry.rs"]
mod registry;

/// What `registry.rs` reads as `crate::STACK_FILES` in the library; unused here.
#[allow(dead_code)]
const STACK_FILES: &[(&str, &str)] = &[];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let stacks = manifest_dir.join("../stacks");
    println!("cargo::rerun-if-changed={}", stacks.display());
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&stacks)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", stacks.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("stack.toml").is_file())
        .collect();
    folders.sort();
    let mut files: Vec<(String, String, PathBuf)> = Vec::new();
    for dir in folders {
        let path = dir.join("stack.toml");
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((format!("stacks/{name}/stack.toml"), text, path));
    }
    let pairs: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, t, _)| (f.as_str(), t.as_str()))
        .collect();
    if let Err(e) = registry::Registry::parse(&pairs) {
        panic!("{e}");
    }
    let mut out = String::from("&[\n");
    for (file, _, path) in &files {
        out.push_str(&format!(
            "    ({file:?}, include_str!({:?})),\n",
            absolute(path)
        ));
    }
    out.push_str("]\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("stack_files.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

fn absolute(p: &Path) -> String {
    p.canonicalize()
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}
