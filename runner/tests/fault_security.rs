//! The containers `pywebbench run` starts, inspected through the Docker API while a
//! scenario runs: published on 127.0.0.1 only, a non-root user, every capability
//! dropped, no privilege escalation, memory and pid limits (the campaign's).

#![cfg(unix)]

mod common;

use std::time::Duration;

use common::*;

#[test]
fn fault_security_running_container_is_confined() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = dir.path().join("sec-run");
    // The published-port path: the one with a port to confine (the netns path
    // publishes none, checked by path_remote.rs).
    let mut p = Watched::spawn(
        &[
            "run",
            "--quick",
            "--stacks",
            "fastapi-sqlite3",
            "--path",
            "published-port",
        ],
        &run,
    );
    p.wait_for("fastapi-sqlite3 r1/1 echo (", Duration::from_secs(120));
    let ids = containers_with_label("pywebbench.run=sec-run");
    assert_eq!(ids.len(), 1, "{ids:?}");
    let (info, procs) = with_docker(|docker| {
        let id = ids[0].clone();
        async move {
            let info = docker
                .inspect_container(
                    &id,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
                .expect("inspect");
            let procs = docker
                .top_processes(&id, None::<bollard::query_parameters::TopOptions>)
                .await
                .expect("top");
            (info, procs)
        }
    });
    let _ = std::process::Command::new("kill")
        .args(["-INT", &p.child.id().to_string()])
        .status();
    let (status, _, log) = p.finish();
    assert_eq!(status.code(), Some(130), "{log}");
    assert_no_container_of("sec-run");

    let hc = info.host_config.expect("host config");
    assert_eq!(hc.cap_drop, Some(vec!["ALL".to_string()]));
    assert!(
        hc.cap_add.unwrap_or_default().is_empty(),
        "no capability added"
    );
    assert_eq!(hc.privileged, Some(false));
    assert!(
        hc.security_opt
            .unwrap_or_default()
            .iter()
            .any(|o| o == "no-new-privileges"),
        "no-new-privileges"
    );
    assert_eq!(hc.memory, Some(2 << 30), "campaign memory_limit 2GiB");
    assert_eq!(hc.memory_swap, Some(2 << 30), "no swap beyond it");
    assert_eq!(hc.pids_limit, Some(512), "campaign pids_limit");
    let bindings = hc.port_bindings.expect("port bindings");
    let all: Vec<_> = bindings.values().flatten().flatten().collect();
    assert!(!all.is_empty());
    for b in &all {
        assert_eq!(b.host_ip.as_deref(), Some("127.0.0.1"), "{b:?}");
    }
    // What Docker actually bound, not only what was asked.
    let ports = info
        .network_settings
        .and_then(|n| n.ports)
        .expect("published ports");
    for b in ports.values().flatten().flatten() {
        assert_eq!(b.host_ip.as_deref(), Some("127.0.0.1"), "{b:?}");
    }
    let user = info.config.and_then(|c| c.user).unwrap_or_default();
    assert!(
        !user.is_empty() && user != "root" && user != "0" && !user.starts_with("0:"),
        "container user {user:?}"
    );
    // Every process in the container (seen from the host's ps): not root.
    let titles = procs.titles.expect("titles");
    let uid_col = titles.iter().position(|t| t == "UID").expect("UID column");
    let rows = procs.processes.expect("processes");
    assert!(rows.len() >= 3, "gunicorn master + 2 workers: {rows:?}");
    for row in &rows {
        assert!(row[uid_col] != "root" && row[uid_col] != "0", "{row:?}");
    }
}
