//! The profiler of `run --profile`: py-spy (`.venv/bin/py-spy`, from the dev lock),
//! run on the host as root against the server container's host PID, following its
//! worker processes (`--subprocesses`), without pausing them (`--nonblocking`), one
//! recording per scenario of the profiled repetition, written as collapsed stacks
//! (`--format raw`). Why from the host and not inside the container: the images stay
//! the measured ones (no py-spy in them, no `SYS_PTRACE` capability added to the
//! server) — docs/reliability.md, "Security".

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::campaign::ProfileSettings;

/// py-spy, found and checked.
#[derive(Clone, Debug)]
pub struct Profiler {
    pub bin: PathBuf,
    /// `py-spy 0.4.1`.
    pub version: String,
    pub settings: ProfileSettings,
}

/// py-spy: `$PYWEBBENCH_PY_SPY`, else `.venv/bin/py-spy` under `root`, else on `PATH`.
pub fn find_py_spy(root: &Path) -> PathBuf {
    crate::venv::find_tool(root, "PYWEBBENCH_PY_SPY", "py-spy")
}

impl Profiler {
    /// py-spy at [`find_py_spy`], runnable, and this process allowed to trace the
    /// server's processes (root on Linux with a local engine).
    pub fn find(settings: ProfileSettings) -> Result<Profiler> {
        if !cfg!(target_os = "linux") {
            bail!(
                "--profile needs Linux: py-spy attaches to the server's processes from the host (run on Linux, or drop --profile)"
            );
        }
        #[cfg(unix)]
        {
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } != 0 {
                bail!(
                    "--profile needs root: py-spy reads the server's memory with ptrace from the host (run pywebbench as root, e.g. sudo, or drop --profile)"
                );
            }
        }
        if std::env::var_os("DOCKER_HOST").is_some_and(|h| {
            let h = h.to_string_lossy();
            !h.is_empty() && !h.starts_with("unix://")
        }) {
            bail!(
                "--profile needs a local Docker engine: py-spy attaches to the container's processes on this host (unset DOCKER_HOST, or drop --profile)"
            );
        }
        let bin = find_py_spy(&std::env::current_dir().unwrap_or_default());
        let out = std::process::Command::new(&bin)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success());
        let Some(out) = out else {
            bail!(
                "py-spy is not runnable at {} (run `just setup` to install it into .venv from requirements-dev.lock, or set PYWEBBENCH_PY_SPY)",
                bin.display()
            );
        };
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(Profiler {
            bin,
            version,
            settings,
        })
    }

    /// How the samples were taken, in one line (the manifest's `profile.method`).
    pub fn method(&self) -> String {
        format!(
            "from the host as root (ptrace) on the container's main process and its children: py-spy record --pid <host pid> --subprocesses --nonblocking --function --format raw --rate {}{}",
            self.settings.rate_hz,
            if self.settings.idle { " --idle" } else { "" }
        )
    }

    /// Start sampling `pid` (a host PID) and its children into `out`.
    pub async fn record(&self, pid: u32, out: &Path) -> Result<Recording> {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut cmd = tokio::process::Command::new(&self.bin);
        cmd.arg("record")
            .arg("--pid")
            .arg(pid.to_string())
            .arg("--subprocesses")
            .arg("--nonblocking")
            .arg("--function")
            .arg("--format")
            .arg("raw")
            .arg("--rate")
            .arg(self.settings.rate_hz.to_string())
            .arg("--output")
            .arg(out);
        if self.settings.idle {
            cmd.arg("--idle");
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let mut rec = Recording {
            child: Some(child),
            out: out.to_path_buf(),
        };
        // py-spy refuses at once when it cannot attach (no ptrace, not Python): say so
        // before the scenario runs.
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Some(child) = rec.child.as_mut()
            && let Ok(Some(_)) = child.try_wait()
        {
            let output = rec
                .child
                .take()
                .map(|c| c.wait_with_output())
                .expect("the child");
            let output = output.await.context("reading py-spy's output")?;
            bail!(
                "py-spy could not sample PID {pid}: {} (run as root with ptrace allowed: kernel.yama.ptrace_scope ≤ 1, no seccomp/AppArmor rule against ptrace; or drop --profile)",
                last_line(&output.stderr)
            );
        }
        Ok(rec)
    }
}

/// The last non-empty line of a process's output.
fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_string()
}

/// A py-spy recording under way.
pub struct Recording {
    child: Option<tokio::process::Child>,
    out: PathBuf,
}

impl Recording {
    /// Stop sampling (SIGINT: py-spy writes its output and exits) and check the file:
    /// its size in bytes.
    pub async fn stop(mut self) -> Result<u64> {
        let Some(child) = self.child.take() else {
            bail!("the recording was already stopped");
        };
        #[cfg(unix)]
        {
            if let Some(pid) = child.id() {
                // SAFETY: kill with a PID we spawned and have not reaped.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGINT);
                }
            }
        }
        let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .context("py-spy did not stop within 30 s of SIGINT")?
            .context("waiting for py-spy")?;
        let size = std::fs::metadata(&self.out).map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            bail!(
                "py-spy wrote no samples to {} (exit {}: {}); check that the server runs Python and that py-spy can attach (or drop --profile)",
                self.out.display(),
                output.status,
                last_line(&output.stderr)
            );
        }
        Ok(size)
    }
}
