//! The resource sampler: who used the CPU while a repetition ran.
//!
//! Why this file is long: every counter source (cgroup v1/v2, rusage, /proc, docker-proxy)
//! is read here so per-phase sums stay exact in one place; a third is unit tests.
//!
//! With a local engine on Linux, every 500 ms and at every phase change it reads
//! (all cumulative counters, differenced per interval, so per-phase sums are exact):
//!
//! - the server container's cgroup: CPU (`cpu.stat` `usage_usec` on cgroup v2,
//!   `cpuacct.usage` on v1) and memory (`memory.current` − `inactive_file`, or v1's
//!   `memory.usage_in_bytes` − `total_inactive_file`); the cgroup is found through
//!   `/proc/<container init pid>/cgroup` and `/proc/self/mountinfo`;
//! - the generator: this process (`getrusage(RUSAGE_SELF)`, every thread), its reaped
//!   children (`RUSAGE_CHILDREN`) and its live descendants (`/proc/<pid>/stat`
//!   utime + stime + cutime + cstime) — k6, `nsenter` wrappers;
//! - `docker-proxy`: processes of that name whose arguments carry `-host-port <the
//!   container's published port>`; none → null;
//! - the host from `/proc/stat`: busy (user + nice + system + irq + softirq), iowait,
//!   steal, idle over all online CPUs, and the busy time of the generator's CPUs
//!   (its affinity mask) and of the server's (`Cpus_allowed_list` of its init).
//!
//! A phase change closes the current interval under the old phase. Elsewhere (a
//! remote `DOCKER_HOST`, not Linux, or a container whose cgroup cannot be read) the
//! Docker stats stream is read instead ([`docker::collect_stats`]) and the breakdown
//! columns stay null. The columns are documented in `data/README.md`.

use std::time::Instant;

use analysis::schema::ResourceRecord;
use bollard::Docker;
use tokio::sync::watch;

use crate::docker;

/// Is the engine on this machine, with its containers' processes in our /proc?
fn engine_is_local() -> bool {
    cfg!(target_os = "linux") && docker::engine_is_local()
}

/// Read the repetition's resources until `stop` turns true: the sampler with a local
/// engine on Linux, Docker stats otherwise (see the module doc). `pid` is the
/// container's init process as the start's inspect gave it (`ServerContainer::pid`;
/// 0 = unknown, then Docker stats).
#[allow(clippy::too_many_arguments)]
pub async fn collect_resources(
    engine: Docker,
    id: String,
    pid: u32,
    host_port: u16,
    stack: String,
    repetition: u32,
    started: Instant,
    phase: watch::Receiver<String>,
    stop: watch::Receiver<bool>,
) -> Vec<ResourceRecord> {
    if engine_is_local() {
        #[cfg(target_os = "linux")]
        if pid > 0 {
            match linux::Sampler::new(pid, &id, host_port) {
                Ok(sampler) => {
                    return sampler.run(stack, repetition, started, phase, stop).await;
                }
                Err(e) => tracing::warn!(
                    "resource sampler unavailable ({e}); reading Docker stats instead"
                ),
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (pid, host_port);
    }
    docker::collect_stats(engine, id, stack, repetition, started, phase, stop).await
}

#[cfg(target_os = "linux")]
pub(crate) mod linux {
    use std::collections::{HashMap, HashSet};
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use analysis::schema::ResourceRecord;
    use tokio::sync::watch;

    use crate::campaign::parse_cpu_list;

    /// Time between readings (a phase change adds one).
    pub const PERIOD: Duration = Duration::from_millis(500);

    /// Where the container's counters are.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Cgroup {
        V1 { cpuacct: PathBuf, memory: PathBuf },
        V2 { dir: PathBuf },
    }

    /// A cgroup filesystem mount: its root inside the hierarchy, where it is
    /// mounted, and its controllers (`None` for cgroup2).
    #[derive(Debug, Clone)]
    struct Mount {
        root: String,
        point: PathBuf,
        controllers: Option<Vec<String>>,
    }

    /// The cgroup mounts in `/proc/self/mountinfo`'s text.
    fn mounts(mountinfo: &str) -> Vec<Mount> {
        mountinfo
            .lines()
            .filter_map(|l| {
                let (pre, post) = l.split_once(" - ")?;
                let pre: Vec<&str> = pre.split(' ').collect();
                let post: Vec<&str> = post.split(' ').collect();
                let (root, point) = (pre.get(3)?, pre.get(4)?);
                let controllers = match *post.first()? {
                    "cgroup2" => None,
                    "cgroup" => Some(
                        post.get(2)?
                            .split(',')
                            .map(str::to_string)
                            .collect::<Vec<_>>(),
                    ),
                    _ => return None,
                };
                Some(Mount {
                    root: root.to_string(),
                    point: PathBuf::from(point),
                    controllers,
                })
            })
            .collect()
    }

    fn under(m: &Mount, path: &str) -> PathBuf {
        let rel = path
            .strip_prefix(m.root.trim_end_matches('/'))
            .unwrap_or(path)
            .trim_start_matches('/');
        m.point.join(rel)
    }

    /// The process's cgroup from `/proc/<pid>/cgroup` and `/proc/self/mountinfo`
    /// texts: cgroup v1's cpuacct + memory hierarchies when mounted, else v2.
    pub fn find_cgroup(proc_cgroup: &str, mountinfo: &str) -> Option<Cgroup> {
        let mounts = mounts(mountinfo);
        let mut v1: HashMap<&str, &str> = HashMap::new();
        let mut v2: Option<&str> = None;
        for line in proc_cgroup.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if ctrls.is_empty() {
                v2 = Some(path);
            } else {
                for c in ctrls.split(',') {
                    v1.insert(c, path);
                }
            }
        }
        let v1_mount = |ctrl: &str| {
            let path = v1.get(ctrl)?;
            let m = mounts.iter().find(|m| {
                m.controllers
                    .as_ref()
                    .is_some_and(|c| c.iter().any(|x| x == ctrl))
            })?;
            Some(under(m, path))
        };
        if let (Some(cpuacct), Some(memory)) = (v1_mount("cpuacct"), v1_mount("memory")) {
            return Some(Cgroup::V1 { cpuacct, memory });
        }
        let path = v2?;
        let m = mounts.iter().find(|m| m.controllers.is_none())?;
        Some(Cgroup::V2 {
            dir: under(m, path),
        })
    }

    fn read(path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn key_value(text: &str, key: &str) -> Option<u64> {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == key).then(|| v.trim().parse().ok()).flatten()
        })
    }

    impl Cgroup {
        /// CPU time of the cgroup so far, ns.
        fn cpu_ns(&self) -> Result<u64, String> {
            match self {
                Cgroup::V1 { cpuacct, .. } => {
                    let p = cpuacct.join("cpuacct.usage");
                    read(&p)?
                        .trim()
                        .parse()
                        .map_err(|_| format!("{}: not a number", p.display()))
                }
                Cgroup::V2 { dir } => {
                    let p = dir.join("cpu.stat");
                    key_value(&read(&p)?, "usage_usec")
                        .map(|us| us * 1000)
                        .ok_or_else(|| format!("{}: no usage_usec", p.display()))
                }
            }
        }

        /// (memory in use without inactive page cache, limit; 0 = none), bytes.
        fn memory(&self) -> Result<(u64, u64), String> {
            let (usage, stat, key, limit) = match self {
                Cgroup::V1 { memory, .. } => (
                    memory.join("memory.usage_in_bytes"),
                    memory.join("memory.stat"),
                    "total_inactive_file",
                    memory.join("memory.limit_in_bytes"),
                ),
                Cgroup::V2 { dir } => (
                    dir.join("memory.current"),
                    dir.join("memory.stat"),
                    "inactive_file",
                    dir.join("memory.max"),
                ),
            };
            let usage: u64 = read(&usage)?.trim().parse().unwrap_or(0);
            let inactive = key_value(&read(&stat)?, key).unwrap_or(0);
            let limit: u64 = read(&limit)?.trim().parse().unwrap_or(0);
            Ok((usage.saturating_sub(inactive), limit))
        }
    }

    /// Nanoseconds per `/proc` clock tick.
    fn tick_ns() -> u64 {
        // SAFETY: sysconf only reads a configuration value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if hz > 0 {
            1_000_000_000 / hz as u64
        } else {
            10_000_000
        }
    }

    /// Per CPU id: (busy, iowait, steal, idle) ticks, from `/proc/stat`'s text.
    pub fn proc_stat(text: &str) -> HashMap<usize, [u64; 4]> {
        let mut out = HashMap::new();
        for l in text.lines() {
            // "cpuN …" lines; the aggregate line is "cpu  …" (no number attached).
            let Some(rest) = l
                .strip_prefix("cpu")
                .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            else {
                continue;
            };
            let mut f = rest.split_whitespace();
            let Some(Ok(id)) = f.next().map(str::parse::<usize>) else {
                continue;
            };
            let v: Vec<u64> = f.map(|x| x.parse().unwrap_or(0)).collect();
            let g = |i: usize| v.get(i).copied().unwrap_or(0);
            // user nice system idle iowait irq softirq steal (guest is inside user)
            let busy = g(0) + g(1) + g(2) + g(5) + g(6);
            out.insert(id, [busy, g(4), g(7), g(3)]);
        }
        out
    }

    /// `/proc/stat` readings made monotone: each field is the highest value seen so far.
    /// The kernel's idle and iowait counters can step back on a tickless CPU
    /// (Documentation/filesystems/proc.rst, "iowait"); a difference clamped at zero
    /// would drop the step back and keep the step forward after it, so the parts of a
    /// repetition would add up to more than its wall time × CPUs. Against the
    /// high-water mark the steps telescope: the sum over intervals is the last mark
    /// minus the first.
    pub fn monotone(
        high: &mut HashMap<usize, [u64; 4]>,
        now: HashMap<usize, [u64; 4]>,
    ) -> HashMap<usize, [u64; 4]> {
        now.into_iter()
            .map(|(cpu, v)| {
                let h = high.entry(cpu).or_insert(v);
                for (h, v) in h.iter_mut().zip(v) {
                    *h = (*h).max(v);
                }
                (cpu, *h)
            })
            .collect()
    }

    /// (ppid, comm, utime + stime, cutime + cstime) from `/proc/<pid>/stat`'s text.
    pub fn pid_stat(text: &str) -> Option<(u32, String, u64, u64)> {
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        let comm = text.get(open + 1..close)?.to_string();
        let f: Vec<&str> = text.get(close + 2..)?.split(' ').collect();
        let n = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok());
        let ppid = f.get(1)?.parse().ok()?;
        Some((ppid, comm, n(11)? + n(12)?, n(13)? + n(14)?))
    }

    /// Does a `docker-proxy` command line (NUL-separated) forward `port`?
    pub fn proxy_forwards(cmdline: &[u8], port: u16) -> bool {
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let want = port.to_string();
        args.windows(2)
            .any(|w| w[0] == b"-host-port" && w[1] == want.as_bytes())
    }

    fn rusage_ns(who: libc::c_int) -> u64 {
        // SAFETY: getrusage writes into the zeroed struct we own.
        let ru = unsafe {
            let mut ru: libc::rusage = std::mem::zeroed();
            if libc::getrusage(who, &mut ru) != 0 {
                return 0;
            }
            ru
        };
        let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
        tv(ru.ru_utime) + tv(ru.ru_stime)
    }

    fn own_affinity() -> Option<Vec<usize>> {
        // SAFETY: a zeroed cpu_set_t is a valid empty set that sched_getaffinity fills.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return None;
            }
            Some(
                (0..libc::CPU_SETSIZE as usize)
                    .filter(|&c| libc::CPU_ISSET(c, &set))
                    .collect(),
            )
        }
    }

    /// One reading of every counter.
    struct Snapshot {
        at: Instant,
        server_ns: u64,
        mem: (u64, u64),
        generator_ns: u64,
        /// Live `docker-proxy` pids of this container → their CPU ticks so far.
        proxies: HashMap<u32, u64>,
        cpus: HashMap<usize, [u64; 4]>,
    }

    pub struct Sampler {
        cgroup: Cgroup,
        host_port: u16,
        own_pid: u32,
        tick_ns: u64,
        generator_cpus: Vec<usize>,
        server_cpus: Vec<usize>,
        mem_total: u64,
        /// docker-proxy pids already looked at: forwards our port or not.
        proxy_seen: HashMap<u32, bool>,
        /// The highest `/proc/stat` reading seen per CPU and field ([`monotone`]).
        cpus_high: HashMap<usize, [u64; 4]>,
    }

    impl Sampler {
        /// The sampler of the container whose init is `pid`; an error when its cgroup
        /// cannot be found or read from here (another pid namespace, no permission).
        pub fn new(pid: u32, container_id: &str, host_port: u16) -> Result<Sampler, String> {
            let proc_cgroup = read(Path::new(&format!("/proc/{pid}/cgroup")))?;
            let short = container_id.get(..12).unwrap_or(container_id);
            if !proc_cgroup.contains(short) {
                return Err(format!(
                    "pid {pid} is not in the container's cgroup (is the engine in another pid namespace?)"
                ));
            }
            let cgroup = find_cgroup(&proc_cgroup, &read(Path::new("/proc/self/mountinfo"))?)
                .ok_or_else(|| format!("no mounted cgroup hierarchy holds pid {pid}"))?;
            cgroup.cpu_ns()?;
            cgroup.memory()?;
            let status = read(Path::new(&format!("/proc/{pid}/status")))?;
            let all: Vec<usize> = proc_stat(&read(Path::new("/proc/stat"))?)
                .into_keys()
                .collect();
            let server_cpus = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .and_then(|l| parse_cpu_list(l).ok())
                .unwrap_or_else(|| all.clone());
            let mem_total = read(Path::new("/proc/meminfo"))
                .ok()
                .and_then(|m| {
                    m.lines()
                        .find_map(|l| l.strip_prefix("MemTotal:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                })
                .map_or(0, |kb| kb * 1024);
            Ok(Sampler {
                cgroup,
                host_port,
                own_pid: std::process::id(),
                tick_ns: tick_ns(),
                generator_cpus: own_affinity().unwrap_or(all),
                server_cpus,
                mem_total,
                proxy_seen: HashMap::new(),
                cpus_high: HashMap::new(),
            })
        }

        fn snapshot(&mut self) -> Result<Snapshot, String> {
            let at = Instant::now();
            let server_ns = self.cgroup.cpu_ns()?;
            let (mem, limit) = self.cgroup.memory()?;
            // A limit above the machine's memory means none: report the machine's, as docker stats does.
            let limit = if limit == 0 || (self.mem_total > 0 && limit > self.mem_total) {
                self.mem_total
            } else {
                limit
            };
            let cpus = monotone(
                &mut self.cpus_high,
                proc_stat(&read(Path::new("/proc/stat"))?),
            );
            let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
            let mut times: HashMap<u32, u64> = HashMap::new();
            let mut proxies = HashMap::new();
            let dir = std::fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
            let mut alive = HashSet::new();
            for entry in dir.flatten() {
                let Some(pid) = entry
                    .file_name()
                    .to_str()
                    .and_then(|s| s.parse::<u32>().ok())
                else {
                    continue;
                };
                // Processes come and go while we look: a vanished one is skipped.
                let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                    continue;
                };
                let Some((ppid, comm, own, reaped)) = pid_stat(&text) else {
                    continue;
                };
                alive.insert(pid);
                children.entry(ppid).or_default().push(pid);
                times.insert(pid, own + reaped);
                if comm == "docker-proxy" && self.host_port != 0 {
                    let port = self.host_port;
                    let ours = *self.proxy_seen.entry(pid).or_insert_with(|| {
                        std::fs::read(format!("/proc/{pid}/cmdline"))
                            .is_ok_and(|c| proxy_forwards(&c, port))
                    });
                    if ours {
                        proxies.insert(pid, own);
                    }
                }
            }
            self.proxy_seen.retain(|pid, _| alive.contains(pid));
            // Live descendants of this process (k6 and its wrappers): their own CPU and
            // that of their reaped children; once reaped by us, RUSAGE_CHILDREN has it.
            let mut descendants_ticks = 0u64;
            let mut stack = vec![self.own_pid];
            while let Some(p) = stack.pop() {
                for &c in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                    descendants_ticks += times.get(&c).copied().unwrap_or(0);
                    stack.push(c);
                }
            }
            let generator_ns = rusage_ns(libc::RUSAGE_SELF)
                + rusage_ns(libc::RUSAGE_CHILDREN)
                + descendants_ticks * self.tick_ns;
            Ok(Snapshot {
                at,
                server_ns,
                mem: (mem, limit),
                generator_ns,
                proxies,
                cpus,
            })
        }

        /// The row for the interval from `a` to `b`.
        fn row(&self, a: &Snapshot, b: &Snapshot, base: &ResourceRecord) -> ResourceRecord {
            let interval = i64::try_from(b.at.duration_since(a.at).as_nanos()).unwrap_or(i64::MAX);
            let ns = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            let server = ns(b.server_ns.saturating_sub(a.server_ns));
            // A proxy first seen now started in this interval: all its CPU is new.
            let proxy = (!a.proxies.is_empty() || !b.proxies.is_empty()).then(|| {
                let ticks: u64 = b
                    .proxies
                    .iter()
                    .map(|(pid, t)| t.saturating_sub(a.proxies.get(pid).copied().unwrap_or(0)))
                    .sum();
                ns(ticks * self.tick_ns)
            });
            let sum = |cpus: &[usize], field: usize| -> i64 {
                let ticks: u64 = cpus
                    .iter()
                    .map(|c| match (a.cpus.get(c), b.cpus.get(c)) {
                        (Some(x), Some(y)) => y[field].saturating_sub(x[field]),
                        _ => 0,
                    })
                    .sum();
                ns(ticks * self.tick_ns)
            };
            let all: Vec<usize> = b.cpus.keys().copied().collect();
            ResourceRecord {
                cpu_percent: if interval > 0 {
                    server as f64 / interval as f64 * 100.0
                } else {
                    0.0
                },
                mem_bytes: b.mem.0,
                mem_limit_bytes: b.mem.1,
                interval_ns: Some(interval),
                server_cpu_ns: Some(server),
                generator_cpu_ns: Some(ns(b.generator_ns.saturating_sub(a.generator_ns))),
                proxy_cpu_ns: proxy,
                host_busy_ns: Some(sum(&all, 0)),
                host_iowait_ns: Some(sum(&all, 1)),
                host_steal_ns: Some(sum(&all, 2)),
                host_idle_ns: Some(sum(&all, 3)),
                host_cpus: Some(all.len() as u32),
                generator_cpus: Some(self.generator_cpus.len() as u32),
                generator_cpus_busy_ns: Some(sum(&self.generator_cpus, 0)),
                server_cpus: Some(self.server_cpus.len() as u32),
                server_cpus_busy_ns: Some(sum(&self.server_cpus, 0)),
                ..base.clone()
            }
        }

        /// Read every [`PERIOD`] and at every phase change until `stop` turns true;
        /// a last reading closes the last interval.
        pub async fn run(
            mut self,
            stack: String,
            repetition: u32,
            started: Instant,
            mut phase: watch::Receiver<String>,
            mut stop: watch::Receiver<bool>,
        ) -> Vec<ResourceRecord> {
            let mut out = Vec::new();
            let mut current = phase.borrow_and_update().clone();
            let Ok(mut prev) = self.snapshot() else {
                return out;
            };
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + PERIOD, PERIOD);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut phase_open = true;
            loop {
                let last = tokio::select! {
                    biased;
                    _ = stop.wait_for(|&s| s) => true,
                    r = phase.changed(), if phase_open => {
                        phase_open = r.is_ok();
                        false
                    }
                    _ = tick.tick() => false,
                };
                // The container gone (its cgroup removed) ends the readings.
                let Ok(now) = self.snapshot() else { break };
                let base = ResourceRecord {
                    stack: stack.clone(),
                    repetition,
                    phase: current.clone(),
                    t_ns: i64::try_from(now.at.duration_since(started).as_nanos())
                        .unwrap_or(i64::MAX),
                    ..ResourceRecord::default()
                };
                out.push(self.row(&prev, &now, &base));
                prev = now;
                current = phase.borrow_and_update().clone();
                tick.reset();
                if last {
                    break;
                }
            }
            out
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const MOUNTINFO_V1: &str = "\
35 25 0:30 / /sys/fs/cgroup/cpuacct rw,relatime shared:12 - cgroup cgroup rw,cpuacct
36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory
40 25 0:35 / /sys/fs/cgroup/unified rw,relatime shared:17 - cgroup2 cgroup2 rw
";

        #[test]
        fn cgroup_v1_and_v2_are_found() {
            let cg = "4:memory:/docker/abc\n2:cpuacct:/docker/abc\n0::/\n";
            assert_eq!(
                find_cgroup(cg, MOUNTINFO_V1),
                Some(Cgroup::V1 {
                    cpuacct: "/sys/fs/cgroup/cpuacct/docker/abc".into(),
                    memory: "/sys/fs/cgroup/memory/docker/abc".into(),
                })
            );
            let v2 = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
            assert_eq!(
                find_cgroup("0::/system.slice/docker-abc.scope\n", v2),
                Some(Cgroup::V2 {
                    dir: "/sys/fs/cgroup/system.slice/docker-abc.scope".into()
                })
            );
            // A mount whose root is inside the hierarchy (a cgroup namespace).
            let nested = "30 25 0:26 /docker /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
            assert_eq!(
                find_cgroup("0::/docker/abc\n", nested),
                Some(Cgroup::V2 {
                    dir: "/sys/fs/cgroup/abc".into()
                })
            );
            assert_eq!(find_cgroup("0::/x\n", ""), None);
        }

        #[test]
        fn proc_stat_lines_split_busy_iowait_steal_idle() {
            let text = "cpu  10 1 5 100 7 1 2 3 0 0\ncpu0 4 1 2 50 3 1 1 2 9 0\ncpu1 6 0 3 50 4 0 1 1 0 0\nintr 1 2\n";
            let s = proc_stat(text);
            assert_eq!(s.len(), 2);
            assert_eq!(s[&0], [4 + 1 + 2 + 1 + 1, 3, 2, 50]);
            assert_eq!(s[&1], [6 + 3 + 1, 4, 1, 50]);
        }

        #[test]
        fn proc_stat_steps_back_do_not_add_up_to_more_than_the_span() {
            // iowait (field 1) steps back from 50 to 40, then on to 60: clamped
            // differences would count 0 + 20 = 20 for a span of 10.
            let mut high = HashMap::new();
            let readings = [[100, 50, 0, 10], [110, 40, 0, 20], [120, 60, 0, 30]];
            let seen: Vec<[u64; 4]> = readings
                .iter()
                .map(|r| monotone(&mut high, HashMap::from([(0, *r)]))[&0])
                .collect();
            let counted: u64 = seen.windows(2).map(|w| w[1][1] - w[0][1]).sum();
            assert_eq!(counted, 60 - 50);
            assert_eq!(seen[1], [110, 50, 0, 20]);
        }

        #[test]
        fn pid_stat_survives_odd_names() {
            let text = "1234 (k6 (x) y) S 77 1234 1 0 -1 4194560 100 0 0 0 25 5 3 2 20 0 1 0";
            assert_eq!(pid_stat(text), Some((77, "k6 (x) y".into(), 30, 5)));
        }

        #[test]
        fn proxies_are_matched_by_host_port() {
            let args = [
                "/usr/bin/docker-proxy",
                "-proto",
                "tcp",
                "-host-ip",
                "127.0.0.1",
                "-host-port",
                "32768",
                "-container-ip",
                "172.17.0.2",
                "-container-port",
                "8000",
            ];
            let cmd = args.join("\0").into_bytes();
            let cmd = cmd.as_slice();
            assert!(proxy_forwards(cmd, 32768));
            assert!(!proxy_forwards(cmd, 8000));
            assert!(!proxy_forwards(cmd, 3276));
        }

        #[test]
        fn own_cpu_time_is_counted() {
            // Busy for 50 ms of this thread's CPU time (not wall time: on a loaded
            // machine the thread may wait for a core), then rusage must have seen it.
            let thread_cpu_ns = || {
                let mut ts = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                // SAFETY: a valid timespec out-pointer.
                unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
                ts.tv_sec * 1_000_000_000 + ts.tv_nsec
            };
            let before = rusage_ns(libc::RUSAGE_SELF);
            let start = thread_cpu_ns();
            let mut x = 0u64;
            while thread_cpu_ns() - start < 50_000_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            let spent = rusage_ns(libc::RUSAGE_SELF) - before;
            assert!(spent >= 40_000_000, "{spent} ns for 50 ms of busy CPU");
        }
    }
}
