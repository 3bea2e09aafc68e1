//! The Docker Engine API (bollard): one server container per stack × repetition,
//! its CPU/memory readings, and the clean-up of everything labelled `pywebbench`.
//!
//! Why this file is long: one owner of the Docker Engine API (containers, images,
//! stats, clean-up); a sixth of it is the unit tests of the stats and tar parsing.
//!
//! `DOCKER_HOST` is honoured (bollard's `connect_with_defaults`; on Windows the
//! default is Docker Desktop's named pipe). The API version is negotiated, so an
//! engine speaking API 1.41 (Docker 20.10) works.

use std::collections::HashMap;
use std::time::Instant;

use analysis::schema::ResourceRecord;
use anyhow::{Context, Result, anyhow, bail};
use bollard::Docker;
use bollard::models::{ContainerCreateBody, ContainerStatsResponse, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListNetworksOptions,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, StatsOptionsBuilder,
    WaitContainerOptionsBuilder,
};
use futures_util::StreamExt;
use tokio::sync::watch;

/// Every container, image and network of the project carries this label (value `1`).
pub const LABEL: &str = "pywebbench";
pub const LABEL_RUN: &str = "pywebbench.run";

/// The label filter (`key=value`) that selects one run's containers.
pub fn run_label(run_id: &str) -> String {
    format!("{LABEL_RUN}={run_id}")
}
pub const LABEL_STACK: &str = "pywebbench.stack";
pub const LABEL_REPETITION: &str = "pywebbench.repetition";
/// The port the stacks listen on inside their container.
pub const SERVER_PORT: u16 = 8000;

/// Where the engine is, for messages.
pub fn engine_address() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| {
        if cfg!(windows) {
            "npipe:////./pipe/docker_engine".into()
        } else {
            "unix:///var/run/docker.sock".into()
        }
    })
}

/// Whether the engine runs on this machine, as far as the client can tell:
/// `DOCKER_HOST` unset, empty, or a `unix://` socket. A `tcp://`, `ssh://` or
/// `npipe://` engine is another machine or a VM (Docker Desktop) whose
/// container processes this host cannot see.
pub fn engine_is_local() -> bool {
    match std::env::var("DOCKER_HOST") {
        Err(_) => !cfg!(windows),
        Ok(h) => (h.is_empty() && !cfg!(windows)) || h.starts_with("unix://"),
    }
}

/// Connect to the engine (honouring `DOCKER_HOST`) and negotiate the API version.
pub async fn connect() -> Result<Docker> {
    let fix = "start the Docker engine (`just setup` starts dockerd) or point DOCKER_HOST at one";
    let docker = Docker::connect_with_defaults().with_context(|| {
        format!(
            "cannot use the Docker engine at {}; {fix}",
            engine_address()
        )
    })?;
    let docker = docker.negotiate_version().await.with_context(|| {
        format!(
            "the Docker engine at {} does not answer; {fix}",
            engine_address()
        )
    })?;
    Ok(docker)
}

/// `20.10.24+dfsg1 (API 1.41, linux/amd64, kernel 6.1.0)`.
pub async fn engine_version(docker: &Docker) -> Result<String> {
    let v = docker
        .version()
        .await
        .context("asking the Docker engine for its version")?;
    Ok(format!(
        "{} (API {}, {}/{}, kernel {})",
        v.version.unwrap_or_default(),
        v.api_version.unwrap_or_default(),
        v.os.unwrap_or_default(),
        v.arch.unwrap_or_default(),
        v.kernel_version.unwrap_or_default()
    ))
}

/// The image of a stack.
pub fn image_of(stack: &str) -> String {
    format!("pywebbench/{stack}:{}", image_tag())
}

/// The stack images' tag: `$PYWEBBENCH_IMAGE_TAG` (a test's derived image, a stack
/// built under another tag), else `latest`. The contract suite reads the same variable.
pub fn image_tag() -> String {
    std::env::var("PYWEBBENCH_IMAGE_TAG")
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "latest".into())
}

/// The id of an image, or a message saying how to build it.
pub async fn image_id(docker: &Docker, image: &str) -> Result<String> {
    match docker.inspect_image(image).await {
        Ok(i) => Ok(i.id.unwrap_or_default()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => {
            bail!(
                "image {image} is missing; build the images with `bash scripts/build-images.sh` (or `just test`)"
            )
        }
        Err(e) => Err(e).with_context(|| format!("inspecting image {image}")),
    }
}

/// How to start one server container.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    pub stack: String,
    pub run_id: String,
    pub repetition: u32,
    pub workers: u32,
    pub threads: u32,
    pub memory_limit_bytes: u64,
    pub pids_limit: u32,
    pub cpuset: Option<String>,
    /// `DATABASE_PATH` in the container; `None` = the image's default.
    pub database_path: Option<String>,
    /// Host address the container's port 8000 is published on (`127.0.0.1` by default).
    pub publish_ip: String,
    /// Publish port 8000 at all. `false` for the netns path: the generator connects
    /// inside the container's network namespace, and no `docker-proxy` is started.
    pub publish: bool,
    /// The server command instead of the image's own (its `SERVER_COMMAND`): another
    /// of the stack's `[server]` classes (`pywebbench peak`); `None` = the image's.
    pub command: Option<String>,
    /// A peak grid point's label (`w2t4-gthread`), in the container's name.
    pub point: Option<String>,
}

/// A running server container. Call [`ServerContainer::remove`]; if it is dropped
/// without (a panic, an early return), the drop removes it, blocking.
pub struct ServerContainer {
    docker: Docker,
    pub id: String,
    pub image_id: String,
    /// The host port Docker chose for the container's port 8000 (`None` when not published).
    pub host_port: Option<u16>,
    /// The host PID of the container's init process (`State.Pid`): its
    /// `/proc/<pid>/ns/net` is the container's network namespace.
    pub pid: u32,
    /// When the start call returned: time zero of the resource readings.
    pub started: Instant,
    removed: bool,
}

fn labels(spec: &ServerSpec) -> HashMap<String, String> {
    HashMap::from([
        (LABEL.to_string(), "1".to_string()),
        (LABEL_RUN.to_string(), spec.run_id.clone()),
        (LABEL_STACK.to_string(), spec.stack.clone()),
        (LABEL_REPETITION.to_string(), spec.repetition.to_string()),
    ])
}

fn container_body(image: &str, spec: &ServerSpec, publish: bool) -> ContainerCreateBody {
    let port_key = format!("{SERVER_PORT}/tcp");
    let port_bindings = publish.then(|| {
        HashMap::from([(
            port_key.clone(),
            Some(vec![PortBinding {
                host_ip: Some(spec.publish_ip.clone()),
                // Empty: Docker picks a free port; inspect tells which.
                host_port: Some(String::new()),
            }]),
        )])
    });
    ContainerCreateBody {
        image: Some(image.to_string()),
        env: Some(
            [
                format!("WORKERS={}", spec.workers),
                format!("THREADS={}", spec.threads),
            ]
            .into_iter()
            .chain(
                spec.database_path
                    .iter()
                    .map(|p| format!("DATABASE_PATH={p}")),
            )
            .chain(spec.command.iter().map(|c| format!("SERVER_COMMAND={c}")))
            .collect(),
        ),
        labels: Some(labels(spec)),
        exposed_ports: Some(vec![port_key]),
        host_config: Some(HostConfig {
            port_bindings,
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            memory: Some(spec.memory_limit_bytes as i64),
            // No swap beyond the memory limit.
            memory_swap: Some(spec.memory_limit_bytes as i64),
            pids_limit: Some(i64::from(spec.pids_limit)),
            cpuset_cpus: spec.cpuset.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl ServerContainer {
    /// Create and start the stack's container; find its published port.
    pub async fn start(docker: &Docker, spec: &ServerSpec) -> Result<ServerContainer> {
        let image = image_of(&spec.stack);
        let point = spec
            .point
            .as_deref()
            .map(|p| format!("-{p}"))
            .unwrap_or_default();
        let name = format!(
            "pywebbench-{}-{}{point}-r{}",
            spec.run_id, spec.stack, spec.repetition
        );
        let opts = CreateContainerOptionsBuilder::default().name(&name).build();
        // A container of the same name is a leftover of an interrupted attempt.
        force_remove(docker, &name).await;
        let created = docker
            .create_container(Some(opts), container_body(&image, spec, spec.publish))
            .await
            .with_context(|| format!("creating a container from {image}"))?;
        let mut this = ServerContainer {
            docker: docker.clone(),
            id: created.id,
            image_id: String::new(),
            host_port: None,
            pid: 0,
            started: Instant::now(),
            removed: false,
        };
        docker
            .start_container(&this.id, None)
            .await
            .with_context(|| format!("starting the {} container", spec.stack))?;
        this.started = Instant::now();
        let info = docker
            .inspect_container(&this.id, None)
            .await
            .with_context(|| format!("inspecting the {} container", spec.stack))?;
        this.image_id = info.image.unwrap_or_default();
        this.pid = info
            .state
            .as_ref()
            .and_then(|st| st.pid)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0);
        if !spec.publish {
            if this.pid == 0 {
                bail!(
                    "the {} container has no process (did it exit at once? see `docker logs {}`)",
                    spec.stack,
                    name
                );
            }
            return Ok(this);
        }
        let port = info
            .network_settings
            .and_then(|n| n.ports)
            .and_then(|mut p| p.remove(&format!("{SERVER_PORT}/tcp")))
            .flatten()
            .and_then(|b| b.into_iter().find_map(|b| b.host_port))
            .and_then(|p| p.parse::<u16>().ok());
        match port {
            Some(p) => this.host_port = Some(p),
            None => bail!(
                "the {} container did not get a published port for {SERVER_PORT}/tcp (did it exit at once? see `docker logs {}`)",
                spec.stack,
                name
            ),
        }
        Ok(this)
    }

    /// The last lines the container wrote (for failure causes).
    pub async fn log_tail(&self, lines: usize) -> String {
        use bollard::query_parameters::LogsOptionsBuilder;
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut out = String::new();
        let mut logs = self.docker.logs(&self.id, Some(opts));
        while let Some(Ok(chunk)) = logs.next().await {
            out.push_str(&chunk.to_string());
        }
        out.trim().lines().last().unwrap_or("").to_string()
    }

    /// Resolves with the exit code when the container stops.
    pub fn exited(&self) -> impl std::future::Future<Output = i64> + Send + 'static {
        let docker = self.docker.clone();
        let id = self.id.clone();
        async move {
            let opts = WaitContainerOptionsBuilder::default()
                .condition("not-running")
                .build();
            let mut wait = docker.wait_container(&id, Some(opts));
            match wait.next().await {
                Some(Ok(r)) => r.status_code,
                // bollard reports a non-zero exit as an error carrying the code.
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
                _ => -1,
            }
        }
    }

    /// Stop and remove the container (SIGKILL: it holds nothing worth a graceful stop).
    pub async fn remove(mut self) -> Result<()> {
        self.removed = true;
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.docker.remove_container(&self.id, Some(opts)).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("removing container {}", self.id)),
        }
    }
}

impl Drop for ServerContainer {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let docker = self.docker.clone();
        let id = self.id.clone();
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
            tokio::task::block_in_place(|| handle.block_on(force_remove(&docker, &id)));
        } else {
            handle.spawn(async move { force_remove(&docker, &id).await });
        }
    }
}

async fn force_remove(docker: &Docker, id: &str) {
    let opts = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    let _ = docker.remove_container(id, Some(opts)).await;
}

/// The host PID of a running container's init process (by name or id), for
/// `pywebbench load --netns-of`.
pub async fn container_pid(docker: &Docker, container: &str) -> Result<u32> {
    let info = match docker.inspect_container(container, None).await {
        Ok(i) => i,
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => bail!(
            "no container {container:?} on the engine at {}; name a running container (`docker ps`)",
            engine_address()
        ),
        Err(e) => return Err(e).with_context(|| format!("inspecting container {container}")),
    };
    match info.state.and_then(|s| s.pid) {
        Some(pid) if pid > 0 => Ok(u32::try_from(pid)?),
        _ => bail!("container {container:?} is not running (no process); start it first"),
    }
}

/// The engine's operating system as `docker info` names it (e.g. `Debian GNU/Linux 12
/// (bookworm)`, `Docker Desktop`), empty when the engine does not say.
pub async fn engine_os(docker: &Docker) -> String {
    docker
        .info()
        .await
        .ok()
        .and_then(|i| i.operating_system)
        .unwrap_or_default()
}

/// Read one regular file from a container (created or running) through the archive API.
pub async fn read_file(docker: &Docker, container: &str, path: &str) -> Result<Vec<u8>> {
    let opts = DownloadFromContainerOptionsBuilder::default()
        .path(path)
        .build();
    let mut stream = docker.download_from_container(container, Some(opts));
    let mut tar = Vec::new();
    while let Some(chunk) = stream.next().await {
        tar.extend_from_slice(
            &chunk.with_context(|| format!("downloading {path} from the container"))?,
        );
    }
    first_tar_entry(&tar)
        .ok_or_else(|| anyhow!("the archive of {path} from the container holds no file"))
}

/// The content of the first regular file in an (uncompressed) tar archive.
fn first_tar_entry(tar: &[u8]) -> Option<Vec<u8>> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            return None;
        }
        let size_field = std::str::from_utf8(&header[124..136]).ok()?;
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        let kind = header[156];
        let body = at + 512;
        if kind == b'0' || kind == 0 {
            return tar.get(body..body + size).map(<[u8]>::to_vec);
        }
        at = body + size.div_ceil(512) * 512;
    }
    None
}

/// The pinned packages baked into a stack's image: `/app/requirements.lock`
/// (`name==version` lines), read from a created, never started, container.
pub async fn image_packages(
    docker: &Docker,
    stack: &str,
    run_id: &str,
) -> Result<std::collections::BTreeMap<String, String>> {
    let spec = ServerSpec {
        stack: stack.to_string(),
        run_id: run_id.to_string(),
        repetition: 0,
        workers: 1,
        threads: 1,
        memory_limit_bytes: 64 << 20,
        pids_limit: 16,
        cpuset: None,
        database_path: None,
        publish_ip: "127.0.0.1".into(),
        publish: false,
        command: None,
        point: None,
    };
    let image = image_of(stack);
    let created = docker
        .create_container(
            None::<bollard::query_parameters::CreateContainerOptions>,
            container_body(&image, &spec, false),
        )
        .await
        .with_context(|| format!("creating a container from {image} to read its lock file"))?;
    let lock = read_file(docker, &created.id, "/app/requirements.lock").await;
    force_remove(docker, &created.id).await;
    let lock = lock.with_context(|| format!("reading /app/requirements.lock from {image}"))?;
    Ok(parse_lock(&String::from_utf8_lossy(&lock)))
}

/// `name==version` lines of a pip lock file (hashes, comments and options skipped).
pub fn parse_lock(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim().trim_end_matches('\\').trim();
            let (name, version) = l.split_once("==")?;
            let version = version
                .split(|c: char| c.is_whitespace() || c == ';')
                .next()?;
            (!name.is_empty() && !name.starts_with('#') && !name.starts_with('-'))
                .then(|| (name.trim().to_lowercase(), version.to_string()))
        })
        .collect()
}

/// CPU percent of one core, as `docker stats` computes it (cli/command/container/stats_helpers.go):
/// Δcontainer CPU / Δsystem CPU × online CPUs × 100.
pub fn cpu_percent(s: &ContainerStatsResponse) -> Option<f64> {
    let cpu = s.cpu_stats.as_ref()?;
    let pre = s.precpu_stats.as_ref()?;
    let total = cpu.cpu_usage.as_ref()?.total_usage?;
    let pre_total = pre.cpu_usage.as_ref()?.total_usage?;
    let system = cpu.system_cpu_usage?;
    let pre_system = pre.system_cpu_usage?;
    if system <= pre_system || pre_system == 0 {
        return None;
    }
    let online = match cpu.online_cpus {
        Some(n) if n > 0 => f64::from(n),
        _ => cpu
            .cpu_usage
            .as_ref()?
            .percpu_usage
            .as_ref()
            .map_or(1, Vec::len) as f64,
    };
    let cpu_delta = total.saturating_sub(pre_total) as f64;
    Some(cpu_delta / (system - pre_system) as f64 * online * 100.0)
}

/// Memory in use without the page cache, as `docker stats` shows it: usage minus
/// `total_inactive_file` (cgroup v1) or `inactive_file` (cgroup v2).
pub fn mem_bytes(s: &ContainerStatsResponse) -> Option<(u64, u64)> {
    let m = s.memory_stats.as_ref()?;
    let usage = m.usage?;
    let cache = m
        .stats
        .as_ref()
        .and_then(|st| {
            st.get("total_inactive_file")
                .or_else(|| st.get("inactive_file"))
                .copied()
        })
        .filter(|&c| c < usage)
        .unwrap_or(0);
    Some((usage - cache, m.limit.unwrap_or(0)))
}

/// Read the container's stats stream until `stop` turns true or the stream ends,
/// tagging each reading with the phase current at that moment.
pub async fn collect_stats(
    docker: Docker,
    id: String,
    stack: String,
    repetition: u32,
    started: Instant,
    phase: watch::Receiver<String>,
    mut stop: watch::Receiver<bool>,
) -> Vec<ResourceRecord> {
    let opts = StatsOptionsBuilder::default()
        .stream(true)
        .one_shot(false)
        .build();
    let mut stream = docker.stats(&id, Some(opts));
    let mut out = Vec::new();
    loop {
        let next = tokio::select! {
            n = stream.next() => n,
            _ = stop.wait_for(|&s| s) => break,
        };
        let Some(Ok(reading)) = next else { break };
        let (Some(cpu), Some((mem, limit))) = (cpu_percent(&reading), mem_bytes(&reading)) else {
            continue;
        };
        out.push(ResourceRecord {
            stack: stack.clone(),
            repetition,
            phase: phase.borrow().clone(),
            t_ns: i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX),
            cpu_percent: cpu,
            mem_bytes: mem,
            mem_limit_bytes: limit,
            // Docker stats give no per-process breakdown: the sampler's columns stay null.
            ..ResourceRecord::default()
        });
    }
    out
}

/// What `clean` removed.
#[derive(Debug, Default)]
pub struct Cleaned {
    pub containers: usize,
    pub images: usize,
    pub networks: usize,
}

fn label_filter(label: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![label.to_string()])])
}

/// Ids of containers (running or not) carrying `label` (`key` or `key=value`).
pub async fn labelled_containers(docker: &Docker, label: &str) -> Result<Vec<String>> {
    let filters = label_filter(label);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = docker
        .list_containers(Some(opts))
        .await
        .context("listing containers")?;
    Ok(list.into_iter().filter_map(|c| c.id).collect())
}

/// Remove every container carrying `label`; with `images`, also the project's images
/// and networks.
pub async fn clean(docker: &Docker, label: &str, images: bool) -> Result<Cleaned> {
    let mut done = Cleaned::default();
    for id in labelled_containers(docker, label).await? {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        docker
            .remove_container(&id, Some(opts))
            .await
            .with_context(|| format!("removing container {id}"))?;
        done.containers += 1;
    }
    if images {
        let filters = label_filter(label);
        let nets = docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filters.clone()),
            }))
            .await
            .context("listing networks")?;
        for n in nets {
            if let Some(id) = n.id {
                docker
                    .remove_network(&id)
                    .await
                    .with_context(|| format!("removing network {id}"))?;
                done.networks += 1;
            }
        }
        let opts = ListImagesOptionsBuilder::default()
            .all(false)
            .filters(&filters)
            .build();
        let mut list = docker
            .list_images(Some(opts))
            .await
            .context("listing images")?;
        // Stack images first: the base image is their parent.
        list.sort_by_key(|i| i.parent_id.is_empty());
        for img in list {
            let opts = RemoveImageOptionsBuilder::default().force(true).build();
            docker
                .remove_image(&img.id, Some(opts), None)
                .await
                .with_context(|| format!("removing image {}", img.id))?;
            done.images += 1;
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_give_name_and_version() {
        let lock = "# comment\nfastapi==0.115.12 \\\n    --hash=sha256:abc \\\n    # via x\nSQLAlchemy==2.0.41 ; python_version >= '3.8'\n--index-url x\n";
        let p = parse_lock(lock);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p["fastapi"], "0.115.12");
        assert_eq!(p["sqlalchemy"], "2.0.41");
    }

    #[test]
    fn tar_entries_are_found() {
        let mut tar = vec![0u8; 512];
        tar[..8].copy_from_slice(b"file.txt");
        tar[124..135].copy_from_slice(b"00000000005");
        tar[156] = b'0';
        tar.extend_from_slice(b"hello");
        tar.resize(2048, 0);
        assert_eq!(first_tar_entry(&tar).as_deref(), Some(&b"hello"[..]));
        assert_eq!(first_tar_entry(&[0u8; 1024]), None);
    }

    #[test]
    fn cpu_percent_follows_docker_stats() {
        let json = r#"{"cpu_stats":{"cpu_usage":{"total_usage":3000000000},"system_cpu_usage":20000000000,"online_cpus":2},
            "precpu_stats":{"cpu_usage":{"total_usage":2000000000},"system_cpu_usage":18000000000,"online_cpus":2},
            "memory_stats":{"usage":104857600,"limit":2147483648,"stats":{"total_inactive_file":4857600}}}"#;
        let s: ContainerStatsResponse = serde_json::from_str(json).expect("stats JSON");
        // 1 s of CPU over 2 s of system time on 2 CPUs: 100 % of one core.
        assert_eq!(cpu_percent(&s), Some(100.0));
        assert_eq!(mem_bytes(&s), Some((100_000_000, 2_147_483_648)));
    }
}
