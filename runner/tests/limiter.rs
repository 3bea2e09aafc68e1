//! The limiter named for real: a tiny pinned campaign (server on CPU 0, the runner
//! and so the generator on CPU 1) against a real container, once with a busy loop
//! pinned to CPU 1 — the generator starved — and once without (the control).
//! `pywebbench run` then `pywebbench analyze`; the hello cell's limiter is read from
//! summary.json. Needs Docker, the stack images, `taskset` and 2 CPUs.
//!
//! The stack is Flask+sqlite3, whose hello saturates its one server CPU at a rate
//! the generator serves with a fraction of its CPU, so the control is server-bound.
//! (FastAPI on one core, loaded from inside its namespace, is fast enough that the
//! generator's CPU saturates too: both sides limited, a tie, not a control.)

mod common;

use std::path::Path;
use std::process::{Child, Command};

use analysis::limiter::{
    DISTURBED_CORES, Limiter, OWN_SATURATED, RepetitionLimiter, SET_SATURATED,
};
use common::*;

const CAMPAIGN: &str = r#"
name = "limiter-test"
seed = 1
repetitions = 1
stacks = ["flask-sqlite3"]
settle = "1s"
idle = "500ms"
pause = "500ms"
request_timeout = "60s"
health_timeout = "60s"

[database]
records = 1500

[payloads]
echo = '{"id": 1}'

[server]
workers = 2
threads = 2
memory_limit = "2GiB"
pids_limit = 512
cpuset = "0"

[loadgen]
cpus = "1"

[[warmup]]
name = "warmup_hello"
request = "hello"
executor = "constant-vus"
vus = 10
duration = "500ms"

[[scenario]]
name = "hello"
request = "hello"
executor = "constant-vus"
vus = 50
duration = "3s"
"#;

/// A busy loop pinned to one CPU; killed (by its pid) and reaped when dropped, so a
/// failing assertion does not leave it spinning.
struct BusyLoop(Child);

impl BusyLoop {
    fn on_cpu(cpu: u32) -> BusyLoop {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", &cpu.to_string(), "sh", "-c", "while :; do :; done"]);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to SIGKILL the
        // loop if this test's thread dies first (a crash or kill -9 skips Drop).
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        BusyLoop(cmd.spawn().expect("taskset runs (util-linux)"))
    }
}

impl Drop for BusyLoop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Run the campaign and analyse it; the hello cell's only repetition's limiter.
fn hello_limiter(dir: &Path, name: &str) -> RepetitionLimiter {
    let campaign = dir.join(format!("{name}.toml"));
    std::fs::write(&campaign, CAMPAIGN).expect("write campaign");
    let run = dir.join(name);
    let out = pywebbench()
        .args(["run", "--quiet", "--campaign"])
        .arg(&campaign)
        .arg("--out")
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    assert!(out.status.success(), "{}", output_text(&out));
    assert_no_container_of(name);
    let report = run.join("report");
    let out = pywebbench()
        .arg("analyze")
        .arg(&run)
        .arg("--out")
        .arg(&report)
        .output()
        .expect("pywebbench analyze runs");
    assert!(out.status.success(), "{}", output_text(&out));
    let summary = analysis::Summary::from_json(
        &std::fs::read(report.join("summary.json")).expect("summary.json"),
    )
    .expect("summary.json parses");
    let cell = summary.cell("flask-sqlite3", "hello").expect("hello cell");
    let limiter = cell.limiter.as_ref().expect("a run's cell has a limiter");
    assert_eq!(limiter.repetitions.len(), 1);
    let rep = limiter.repetitions[0].clone();
    assert_eq!(limiter.most_common, rep.limiter);
    let md = std::fs::read_to_string(report.join("report.md")).expect("report.md");
    assert!(
        md.contains(rep.limiter.as_str()),
        "report.md does not name the limiter {}",
        rep.limiter.as_str()
    );
    rep
}

/// The two tests pin to the same CPUs: one at a time, or the busy loop of one would
/// starve the other's control.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn two_cpus() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

#[test]
fn a_generator_starved_by_a_busy_loop_is_named_and_flagged() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(two_cpus(), "this test pins to CPUs 0 and 1");
    let dir = tempfile::tempdir().expect("tempdir");
    let rep = {
        let _busy = BusyLoop::on_cpu(1);
        hello_limiter(dir.path(), "limiter-busy")
    };
    let u = rep.usage.expect("sampler readings for hello");
    eprintln!(
        "busy loop: {:?} disturbed={} {u:?}",
        rep.limiter, rep.disturbed
    );
    assert_eq!((u.generator_cpus, u.server_cpus), (1, 1), "{u:?}");
    // CPU 1 is full (loop + generator), and the loop is counted as foreign load.
    assert!(u.generator_set_busy >= SET_SATURATED, "{u:?}");
    assert!(u.others_cores >= DISTURBED_CORES, "{u:?}");
    assert!(
        rep.disturbed,
        "the busy loop must flag the repetition: {u:?}"
    );
    let server_limited =
        u.server_set_busy >= SET_SATURATED || u.server_cores / u.server_capacity >= OWN_SATURATED;
    if server_limited && u.server_set_foreign() >= DISTURBED_CORES {
        // Other work also filled the server's CPU 0 (a shared machine): both sides
        // were starved by foreign load, which the classifier names as such.
        eprintln!(
            "CPU 0 was full and busy with other work too ({:.2} cores): expecting host-contended",
            u.server_set_foreign()
        );
        assert_eq!(rep.limiter, Limiter::HostContended, "{u:?}");
    } else {
        assert_eq!(rep.limiter, Limiter::GeneratorCpu, "{u:?}");
    }
}

#[test]
fn without_the_busy_loop_the_generator_is_not_named() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert!(two_cpus(), "this test pins to CPUs 0 and 1");
    let dir = tempfile::tempdir().expect("tempdir");
    let rep = hello_limiter(dir.path(), "limiter-control");
    let u = rep.usage.expect("sampler readings for hello");
    eprintln!(
        "control: {:?} disturbed={} {u:?}",
        rep.limiter, rep.disturbed
    );
    assert_eq!(rep.disturbed, u.foreign_cores() >= DISTURBED_CORES, "{u:?}");
    if u.generator_set_foreign() >= DISTURBED_CORES {
        eprintln!(
            "control inconclusive: other work took {:.2} of the generator's CPU 1 (a busy machine)",
            u.generator_set_foreign()
        );
        return;
    }
    assert_ne!(rep.limiter, Limiter::GeneratorCpu, "{u:?}");
    assert_ne!(rep.limiter, Limiter::Unknown, "{u:?}");
}
