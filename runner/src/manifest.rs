//! What `manifest.json` says about the machine and the code: host facts, the git
//! commit, timestamps, the stacks' registry entries. The manifest itself is `analysis::schema::Manifest`.

use std::path::Path;
use std::process::Command;

use std::collections::BTreeMap;

use analysis::registry::{Registry, StackInfo};
use analysis::schema::HostInfo;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Now, UTC, RFC 3339 (`2026-11-25T08:35:15.123456789Z`).
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// `20261125T083515Z`: the run folder's timestamp.
pub fn now_compact() -> String {
    let t = OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// This machine's name, safe for a folder name.
pub fn hostname() -> String {
    let raw = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| read_trimmed("/proc/sys/kernel/hostname"))
        .or_else(|| read_trimmed("/etc/hostname"))
        .unwrap_or_else(|| "host".into());
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.is_empty() {
        "host".into()
    } else {
        clean
    }
}

fn cpu_model() -> String {
    if let Some(info) = read_trimmed("/proc/cpuinfo") {
        for line in info.lines() {
            if let Some((k, v)) = line.split_once(':')
                && k.trim() == "model name"
            {
                return v.trim().to_string();
            }
        }
    }
    std::env::var("PROCESSOR_IDENTIFIER").unwrap_or_else(|_| "unknown".into())
}

fn memory_bytes() -> u64 {
    read_trimmed("/proc/meminfo")
        .and_then(|m| {
            m.lines().find_map(|l| {
                let rest = l.strip_prefix("MemTotal:")?;
                let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
                Some(kib * 1024)
            })
        })
        .unwrap_or(0)
}

fn os_name() -> String {
    read_trimmed("/etc/os-release")
        .and_then(|r| {
            r.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string())
}

/// The machine's CPUs (not only those this process is pinned to).
fn online_cores() -> u32 {
    read_trimmed("/proc/cpuinfo")
        .map(|i| i.lines().filter(|l| l.starts_with("processor")).count() as u32)
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32))
}

/// The host running the generator (the Docker engine may be elsewhere: see `docker_version`).
pub fn host_info(docker_version: String) -> HostInfo {
    HostInfo {
        hostname: hostname(),
        cpu_model: cpu_model(),
        cores: online_cores(),
        memory_bytes: memory_bytes(),
        os: os_name(),
        kernel: read_trimmed("/proc/sys/kernel/osrelease")
            .unwrap_or_else(|| std::env::consts::OS.into()),
        docker_version,
    }
}

/// `HEAD`'s commit in `dir`, with `-dirty` when tracked files differ from it; `None` outside git.
pub fn git_commit(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let clean = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["diff", "--quiet", "HEAD", "--"])
        .status()
        .is_ok_and(|s| s.success());
    Some(if clean {
        commit
    } else {
        format!("{commit}-dirty")
    })
}

/// The registry's entry (`stacks/<stack>/stack.toml`, compiled in) of each of `stacks`,
/// for the manifest: the run keeps the labels and ORM pairs it was made with.
pub fn stack_info(stacks: &[String]) -> BTreeMap<String, StackInfo> {
    Registry::builtin().info_of(stacks)
}
