//! Tools `just setup` installs into the project's virtualenv (k6, py-spy), found the
//! same way for every one of them.

use std::path::{Path, PathBuf};

/// The tool `name`: the path in `$<env_var>`, else `.venv/bin/<name>`
/// (`.venv/Scripts/<name>.exe` on Windows) under `root`, else `<name>` on `PATH`; when
/// none exists, the virtualenv's path (so an error names where `just setup` puts it).
pub fn find_tool(root: &Path, env_var: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env_var) {
        return PathBuf::from(p);
    }
    let exe = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let bin = if cfg!(windows) { "Scripts" } else { "bin" };
    let venv = root.join(".venv").join(bin).join(&exe);
    if venv.is_file() {
        return venv;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(&exe);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    venv
}
