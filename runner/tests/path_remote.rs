//! The two load paths of issue 11 against real engines, real containers, real HTTP.
//!
//! * `a_remote_engine_is_loaded_through_its_published_port`: a SECOND Docker engine,
//!   started by the test (its own data root, exec root, pidfile, containerd
//!   namespace and bridge, `--iptables=false`, the userland proxy on), listening on
//!   `tcp://127.0.0.1:<free port>` only — the layout of a user whose engine runs on
//!   another machine, minus the machine. One stack image is copied into it
//!   (`docker save | docker -H … load`) and a tiny campaign runs with
//!   `DOCKER_HOST=tcp://127.0.0.1:PORT`: the run must choose the published port
//!   and say the engine is remote, record samples without errors, and leave no
//!   container on either engine. The engine, its bridge and its folders are
//!   removed when the test ends, failed or not.
//! * `the_local_engine_is_loaded_from_inside_the_namespace`: the default run on
//!   the local engine uses the netns path: its container has no published port,
//!   no `docker-proxy` serves it while it runs, and samples are recorded without
//!   errors — with the native generator and with k6 (under `nsenter`).
//!
//! Needs root (dockerd, `ip link`, setns), Docker, the stack images
//! (`bash scripts/build-images.sh`) and k6 in `.venv` (`just setup`).

#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const STACK: &str = "fastapi-sqlite3";

/// One stack, a short closed-model scenario and a few shared iterations.
fn tiny_campaign(dir: &Path, hello: &str) -> PathBuf {
    let text = format!(
        r#"name = "tiny-path"
seed = 1
repetitions = 1
stacks = ["{STACK}"]
settle = "1s"
idle = "0s"
pause = "0s"
request_timeout = "30s"
health_timeout = "60s"

[database]
records = 1500

[payloads]
echo = '{{"a": 1}}'

[server]
workers = 2
threads = 2
memory_limit = "1GiB"
pids_limit = 512

[[scenario]]
name = "hello"
request = "hello"
executor = "constant-vus"
vus = 10
duration = "{hello}"

[[scenario]]
name = "get_one"
request = "get_one"
executor = "shared-iterations"
vus = 5
iterations = 50
max_duration = "1m"
"#
    );
    let path = dir.join("tiny.toml");
    std::fs::write(&path, text).expect("write the tiny campaign");
    path
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the command starts");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The run's samples: every scenario has requests, none failed, pyarrow and DuckDB
/// agree with the manifest (`readback.py`).
fn assert_samples_without_errors(run: &Path) {
    let m = manifest(run);
    assert!(m.ended_at.is_some(), "the run did not finish");
    let seen = readback(run);
    let r = m
        .repetitions
        .iter()
        .find(|r| r.stack == STACK)
        .expect("the repetition is in the manifest");
    assert_eq!(
        r.status,
        analysis::schema::RepetitionStatus::Ok,
        "{:?}",
        r.cause
    );
    assert_eq!(r.scenarios.len(), 2, "{:?}", r.scenarios);
    for s in &r.scenarios {
        let key = format!("{STACK}/1/{}", s.scenario);
        let c = &seen["counts"][&key];
        assert!(s.requests > 0, "{key}: no requests");
        assert_eq!(c["requests"].as_u64(), Some(s.requests), "{key}: {c}");
        assert_eq!(s.errors, 0, "{key}: {} errors", s.errors);
        assert_eq!(c["errors"].as_u64(), Some(0), "{key}: {c}");
    }
}

// ---- the second engine ---------------------------------------------------------------

/// A dockerd of its own, torn down on drop.
struct SecondEngine {
    dir: PathBuf,
    bridge: String,
    port: u16,
    dockerd: Option<Child>,
}

impl SecondEngine {
    fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    fn docker(&self) -> Command {
        let mut c = Command::new("docker");
        c.env("DOCKER_HOST", self.host());
        c
    }

    fn start() -> SecondEngine {
        let id = std::process::id();
        let dir = std::env::temp_dir().join(format!("pywebbench-engine2-{id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("engine folder");
        // Its own bridge on a /24 no route of this host uses: published ports need
        // one (docker-proxy forwards to the container's address on it), and the
        // main engine's docker0 and iptables stay untouched.
        let routes = sh(Command::new("ip").args(["-4", "route"]));
        let octet = (0..250u32)
            .map(|i| (id + i) % 250 + 2)
            .find(|o| !routes.contains(&format!("10.213.{o}.")))
            .expect("a free 10.213.x.0/24");
        let mut engine = SecondEngine {
            bridge: format!("pwbe{}", id % 1_000_000),
            dir,
            port: free_port(),
            dockerd: None,
        };
        sh(Command::new("ip").args(["link", "add", &engine.bridge, "type", "bridge"]));
        sh(Command::new("ip").args([
            "addr",
            "add",
            &format!("10.213.{octet}.1/24"),
            "dev",
            &engine.bridge,
        ]));
        sh(Command::new("ip").args(["link", "set", &engine.bridge, "up"]));
        let log = std::fs::File::create(engine.dir.join("dockerd.log")).expect("log file");
        let d = &engine.dir;
        let mut cmd = Command::new("dockerd");
        cmd.arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("dockerd.pid"))
            .args(["-H", &engine.host()])
            .arg(format!("--bridge={}", engine.bridge))
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--ip-forward=false",
                "--ip-masq=false",
                "--userland-proxy=true",
                "--tls=false",
            ])
            // A containerd of its own is started under exec-root; should a system
            // containerd be shared instead, these keep the engines apart in it.
            .args(["--containerd-namespace", &format!("pwbe{id}")])
            .args([
                "--containerd-plugins-namespace",
                &format!("pwbe{id}-plugins"),
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        {
            use std::os::unix::process::CommandExt;
            // Its own process group: the teardown signals it and its children only.
            cmd.process_group(0);
        }
        engine.dockerd = Some(
            cmd.spawn()
                .expect("dockerd starts (is docker.io installed?)"),
        );
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let ok = engine
                .docker()
                .args(["version", "--format", "{{.Server.Version}}"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                break;
            }
            if let Some(status) = engine
                .dockerd
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "the second dockerd exited with {status}: {}",
                    engine.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the second dockerd does not answer on {} after 90 s: {}",
                engine.host(),
                engine.log_tail()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        engine
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }

    /// Copy a stack image from the main engine into this one.
    fn load_image(&self, image: &str) {
        let mut save = Command::new("docker")
            .env_remove("DOCKER_HOST")
            .args(["save", image])
            .stdout(Stdio::piped())
            .spawn()
            .expect("docker save starts");
        let stdout = save.stdout.take().expect("piped");
        let load = self
            .docker()
            .arg("load")
            .stdin(stdout)
            .output()
            .expect("docker load starts");
        let saved = save.wait().expect("docker save ends");
        assert!(
            saved.success() && load.status.success(),
            "copying {image} into the second engine failed (is it built? `bash scripts/build-images.sh`): {}",
            String::from_utf8_lossy(&load.stderr)
        );
    }

    fn containers(&self) -> Vec<String> {
        sh(self.docker().args(["ps", "-aq"]))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }
}

fn signal_group(pgid: u32, sig: libc::c_int) {
    // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), sig);
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        if self.dockerd.is_some() {
            let ids = self.docker().args(["ps", "-aq"]).output();
            if let Ok(o) = ids {
                let ids = String::from_utf8_lossy(&o.stdout).into_owned();
                let ids: Vec<&str> = ids.split_whitespace().collect();
                if !ids.is_empty() {
                    let _ = self.docker().args(["rm", "-f"]).args(&ids).output();
                }
            }
        }
        // containerd's pid, to stop it too should dockerd not have done it.
        let containerd = std::fs::read_to_string(self.dir.join("exec/containerd/containerd.pid"))
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok());
        if let Some(mut child) = self.dockerd.take() {
            let pid = child.id();
            signal_group(pid, libc::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(30);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            signal_group(pid, libc::SIGKILL);
            let _ = child.wait();
        }
        if let Some(pid) = containerd {
            let deadline = Instant::now() + Duration::from_secs(10);
            while alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            if alive(pid) {
                // SAFETY: kill(2) on the containerd this engine started.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGKILL);
                }
            }
        }
        // Whatever the engine left mounted under its folders (overlays, netns files).
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let root = self.dir.to_string_lossy().into_owned();
        let mut under: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|m| m.starts_with(&root))
            .collect();
        under.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in under {
            let _ = Command::new("umount").args(["-l", m]).output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .output();
    }
}

#[test]
fn a_remote_engine_is_loaded_through_its_published_port() {
    let engine = SecondEngine::start();
    engine.load_image(&format!("pywebbench/{STACK}:latest"));
    let tmp = tempfile::tempdir().expect("tempdir");
    let campaign = tiny_campaign(tmp.path(), "2s");
    let run_id = format!("path-remote-{}", std::process::id());
    let run = tmp.path().join(&run_id);
    let out = pywebbench()
        .env("DOCKER_HOST", engine.host())
        .args(["run", "--quiet", "--campaign"])
        .arg(&campaign)
        .arg("--out")
        .arg(&run)
        .output()
        .expect("pywebbench runs");
    assert!(
        out.status.success(),
        "{}\n--- dockerd log\n{}",
        output_text(&out),
        engine.log_tail()
    );
    let m = manifest(&run);
    let path = m.path.as_ref().expect("the manifest records the path");
    assert_eq!(path.used, "published-port", "{path:?}");
    assert!(
        path.reason.contains("remote") && path.reason.contains(&engine.host()),
        "the reason names the remote engine: {path:?}"
    );
    assert!(
        m.host.docker_version.contains("API"),
        "{}",
        m.host.docker_version
    );
    assert_samples_without_errors(&run);
    assert_eq!(
        engine.containers(),
        Vec::<String>::new(),
        "containers left on the second engine"
    );
    assert_no_container_of(&run_id);

    // Forcing netns against a remote engine is a one-line error, and makes no run folder.
    let forced = tmp.path().join("forced");
    let out = pywebbench()
        .env("DOCKER_HOST", engine.host())
        .args(["run", "--quiet", "--path", "netns", "--campaign"])
        .arg(&campaign)
        .arg("--out")
        .arg(&forced)
        .output()
        .expect("pywebbench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", output_text(&out));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("remote") && stderr.contains("--path published-port"),
        "{stderr}"
    );
    assert!(!forced.exists(), "a refused run left {}", forced.display());
}

/// `docker-proxy` processes forwarding to `ip` (their `-container-ip` argument).
fn proxies_to(ip: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_proxy = args.first().is_some_and(|a| a.ends_with("docker-proxy"));
        let to_ip = args
            .windows(2)
            .any(|w| w[0] == "-container-ip" && w[1] == ip);
        if is_proxy && to_ip {
            found.push(pid);
        }
    }
    found
}

/// Run the tiny campaign on the local engine with `loadgen`; while it runs, check
/// its container: no port published, no docker-proxy serving it.
fn local_netns_run(loadgen: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let campaign = tiny_campaign(tmp.path(), "4s");
    let run_id = format!("path-netns-{loadgen}-{}", std::process::id());
    let run = tmp.path().join(&run_id);
    let mut child = pywebbench()
        .env_remove("DOCKER_HOST")
        .args(["run", "--quiet", "--loadgen", loadgen, "--campaign"])
        .arg(&campaign)
        .arg("--out")
        .arg(&run)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pywebbench runs");
    let label = format!("pywebbench.run={run_id}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut checked = 0;
    while child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        let ids = containers_with_label(&label);
        for id in &ids {
            let inspect = Command::new("docker")
                .env_remove("DOCKER_HOST")
                .args([
                    "inspect",
                    "-f",
                    "{{.State.Running}} {{json .HostConfig.PortBindings}} {{json .NetworkSettings.Ports}} {{.NetworkSettings.IPAddress}}",
                    id,
                ])
                .output()
                .expect("docker inspect");
            let text = String::from_utf8_lossy(&inspect.stdout).into_owned();
            let fields: Vec<&str> = text.split_whitespace().collect();
            // The server container (not the never-started one that reads the lock file).
            if fields.first() != Some(&"true") || fields.len() < 4 {
                continue;
            }
            assert!(
                fields[1] == "{}" || fields[1] == "null",
                "netns run published a port: {text}"
            );
            assert!(
                !fields[2].contains("HostPort"),
                "netns run has a host port: {text}"
            );
            let proxies = proxies_to(fields[3]);
            assert!(
                proxies.is_empty(),
                "docker-proxy processes {proxies:?} serve the container at {}",
                fields[3]
            );
            checked += 1;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("pywebbench ends");
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        checked >= 3,
        "the running container was seen only {checked} times"
    );
    let m = manifest(&run);
    let path = m.path.as_ref().expect("the manifest records the path");
    assert_eq!(path.used, "netns", "{path:?}");
    assert!(path.reason.starts_with("auto:"), "{path:?}");
    assert_eq!(m.loadgen, loadgen);
    assert_samples_without_errors(&run);
    assert_no_container_of(&run_id);
}

#[test]
fn the_local_engine_is_loaded_from_inside_the_namespace() {
    local_netns_run("native");
    local_netns_run("k6");
}
