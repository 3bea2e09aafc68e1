//! What limited a cell: from the sampler's CPU breakdown in `resources.parquet`
//! (server cgroup, generator, `docker-proxy`, host `/proc/stat`), per stack ×
//! scenario × repetition, which side ran out of CPU — the server, the load
//! generator, the host (foreign load) — or whether the run waited on I/O or on
//! nothing CPU-bound at all. Pure: rows in, a verdict out. The rules and their
//! thresholds are documented in `analysis/README.md` ("The limiter").

use serde::{Deserialize, Serialize};

use crate::schema::ResourceRecord;

/// Foreign load (CPU of processes other than server, generator and proxy, plus
/// hypervisor steal) at or above this many cores marks a repetition `disturbed`.
pub const DISTURBED_CORES: f64 = 0.25;
/// A CPU set is saturated when its CPUs are busy at least this fraction of the time.
pub const SET_SATURATED: f64 = 0.90;
/// A process group is CPU-bound when it uses at least this fraction of the cores it
/// may use (its CPU set; for the server also its Gunicorn worker count).
pub const OWN_SATURATED: f64 = 0.85;
/// I/O wait at or above this many cores (with no CPU set saturated) names `io-wait`.
pub const IOWAIT_CORES: f64 = 0.25;

/// What limited a repetition of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limiter {
    /// The load generator (and its proxy) ran out of CPU: the cell measures the client.
    GeneratorCpu,
    /// Foreign processes (or hypervisor steal) took the CPU both sides needed.
    HostContended,
    /// The host waited on I/O (disk writes) with CPU to spare.
    IoWait,
    /// The server used the CPU it may use (its cpuset, or one core per Gunicorn worker).
    ServerCpu,
    /// Nothing CPU-bound: the server waited on locks, I/O not counted as iowait, or
    /// the client's concurrency (too few VUs to keep it busy).
    NotCpuBound,
    /// No sampler readings for this scenario (Docker stats only, or an old run).
    Unknown,
}

impl Limiter {
    /// In the order ties of [`most_common`] are broken: the verdicts that question
    /// the measurement first.
    pub const ALL: [Limiter; 6] = [
        Limiter::GeneratorCpu,
        Limiter::HostContended,
        Limiter::IoWait,
        Limiter::ServerCpu,
        Limiter::NotCpuBound,
        Limiter::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Limiter::GeneratorCpu => "generator-cpu",
            Limiter::HostContended => "host-contended",
            Limiter::IoWait => "io-wait",
            Limiter::ServerCpu => "server-cpu",
            Limiter::NotCpuBound => "not-cpu-bound",
            Limiter::Unknown => "unknown",
        }
    }
}

/// CPU use over one scenario of one repetition, in cores (CPU time ÷ wall time),
/// and the saturation of the two sides' CPU sets (busy fraction, 0–1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Wall time the readings cover, seconds.
    pub seconds: f64,
    pub server_cores: f64,
    pub generator_cores: f64,
    /// `None` when no `docker-proxy` carried the traffic.
    pub proxy_cores: Option<f64>,
    /// Host busy − server − generator − proxy, floored at 0.
    pub others_cores: f64,
    pub iowait_cores: f64,
    pub steal_cores: f64,
    pub host_busy_cores: f64,
    pub host_cpus: u32,
    pub generator_cpus: u32,
    /// Busy fraction of the generator's CPUs.
    pub generator_set_busy: f64,
    pub server_cpus: u32,
    /// Busy fraction of the server's CPUs.
    pub server_set_busy: f64,
    /// Cores the server can use: min(its CPUs, Gunicorn workers) — CPython's GIL keeps
    /// a worker process near one core.
    pub server_capacity: f64,
}

impl Usage {
    /// Other processes plus hypervisor steal, cores.
    pub fn foreign_cores(&self) -> f64 {
        self.others_cores + self.steal_cores
    }

    /// Foreign load on the generator's CPUs: their busy cores minus the generator's
    /// and the proxy's (unpinned, it may run on either side; it is the benchmark's own
    /// path, not foreign), floored at 0.
    pub fn generator_set_foreign(&self) -> f64 {
        (self.generator_set_busy * f64::from(self.generator_cpus)
            - self.generator_cores
            - self.proxy_cores.unwrap_or(0.0))
        .max(0.0)
    }

    /// Foreign load on the server's CPUs: their busy cores minus the server's and the
    /// proxy's, floored at 0.
    pub fn server_set_foreign(&self) -> f64 {
        (self.server_set_busy * f64::from(self.server_cpus)
            - self.server_cores
            - self.proxy_cores.unwrap_or(0.0))
        .max(0.0)
    }

    /// Do the generator's and the server's CPU sets share CPUs? Known from the counts
    /// only: they must overlap when together they hold more CPUs than the host; sets
    /// that fit side by side are taken as disjoint (pinned profiles).
    pub fn sets_shared(&self) -> bool {
        self.generator_cpus + self.server_cpus > self.host_cpus
    }
}

/// The sums of a scenario's sampler rows; `None` when no row has the breakdown.
pub fn usage(rows: &[&ResourceRecord], workers: Option<u32>) -> Option<Usage> {
    let mut interval = 0i64;
    let (mut server, mut generator, mut busy, mut iowait, mut steal) = (0i64, 0i64, 0i64, 0, 0);
    let (mut gen_busy, mut srv_busy) = (0i64, 0i64);
    let mut proxy: Option<i64> = None;
    let (mut host_cpus, mut gen_cpus, mut srv_cpus) = (0u32, 0u32, 0u32);
    for r in rows {
        let (
            Some(iv),
            Some(s),
            Some(g),
            Some(b),
            Some(io),
            Some(st),
            Some(hc),
            Some(gc),
            Some(gb),
            Some(sc),
            Some(sb),
        ) = (
            r.interval_ns,
            r.server_cpu_ns,
            r.generator_cpu_ns,
            r.host_busy_ns,
            r.host_iowait_ns,
            r.host_steal_ns,
            r.host_cpus,
            r.generator_cpus,
            r.generator_cpus_busy_ns,
            r.server_cpus,
            r.server_cpus_busy_ns,
        )
        else {
            continue;
        };
        interval += iv;
        server += s;
        generator += g;
        busy += b;
        iowait += io;
        steal += st;
        gen_busy += gb;
        srv_busy += sb;
        if let Some(p) = r.proxy_cpu_ns {
            *proxy.get_or_insert(0) += p;
        }
        host_cpus = host_cpus.max(hc);
        gen_cpus = gen_cpus.max(gc);
        srv_cpus = srv_cpus.max(sc);
    }
    if interval <= 0 || host_cpus == 0 {
        return None;
    }
    let wall = interval as f64;
    let cores = |ns: i64| ns as f64 / wall;
    let frac = |ns: i64, cpus: u32| {
        if cpus == 0 {
            0.0
        } else {
            (ns as f64 / (wall * f64::from(cpus))).clamp(0.0, 1.0)
        }
    };
    let proxy_cores = proxy.map(cores);
    let host_busy_cores = cores(busy);
    let (server_cores, generator_cores) = (cores(server), cores(generator));
    let others =
        (host_busy_cores - server_cores - generator_cores - proxy_cores.unwrap_or(0.0)).max(0.0);
    let server_capacity = match workers {
        Some(w) if w > 0 => f64::from(srv_cpus.min(w)),
        _ => f64::from(srv_cpus),
    };
    Some(Usage {
        seconds: wall / 1e9,
        server_cores,
        generator_cores,
        proxy_cores,
        others_cores: others,
        iowait_cores: cores(iowait),
        steal_cores: cores(steal),
        host_busy_cores,
        host_cpus,
        generator_cpus: gen_cpus,
        generator_set_busy: frac(gen_busy, gen_cpus),
        server_cpus: srv_cpus,
        server_set_busy: frac(srv_busy, srv_cpus),
        server_capacity,
    })
}

/// The limiter of one repetition's scenario, and whether foreign load disturbed it.
///
/// 1. Each side is *limited* when its CPU set is saturated (≥ [`SET_SATURATED`]
///    busy) or it uses ≥ [`OWN_SATURATED`] of the cores it may use.
/// 2. Disjoint sets (pinned): the limited side names the limiter; both limited →
///    `host-contended` when foreign load takes ≥ [`DISTURBED_CORES`] of each side's
///    CPUs (set busy − the side's own use − the proxy's); when it takes that much of
///    one side's CPUs only, that (starved) side; else the side using the larger
///    fraction of its own cores.
/// 3. Shared sets (no pinning): a side using ≥ [`OWN_SATURATED`] of its own cores
///    names the limiter (server first); otherwise, when the shared CPUs are
///    saturated, the largest consumer — server, generator + proxy, or foreign load
///    (`host-contended`).
/// 4. Nothing limited: `io-wait` when I/O wait ≥ [`IOWAIT_CORES`], else `not-cpu-bound`.
///
/// `disturbed` = foreign load (others + steal) ≥ [`DISTURBED_CORES`]; it never
/// removes the repetition.
pub fn classify(u: &Usage) -> (Limiter, bool) {
    let disturbed = u.foreign_cores() >= DISTURBED_CORES;
    let gen_own = if u.generator_cpus > 0 {
        u.generator_cores / f64::from(u.generator_cpus)
    } else {
        0.0
    };
    let srv_own = if u.server_capacity > 0.0 {
        u.server_cores / u.server_capacity
    } else {
        0.0
    };
    let client = u.generator_cores + u.proxy_cores.unwrap_or(0.0);
    let foreign = u.foreign_cores();
    let limiter = if u.sets_shared() {
        let set_busy = u.generator_set_busy.max(u.server_set_busy);
        if srv_own >= OWN_SATURATED {
            Some(Limiter::ServerCpu)
        } else if gen_own >= OWN_SATURATED {
            Some(Limiter::GeneratorCpu)
        } else if set_busy >= SET_SATURATED {
            Some(if foreign > u.server_cores && foreign > client {
                Limiter::HostContended
            } else if client > u.server_cores {
                Limiter::GeneratorCpu
            } else {
                Limiter::ServerCpu
            })
        } else {
            None
        }
    } else {
        let gen_limited = u.generator_set_busy >= SET_SATURATED || gen_own >= OWN_SATURATED;
        let srv_limited = u.server_set_busy >= SET_SATURATED || srv_own >= OWN_SATURATED;
        match (gen_limited, srv_limited) {
            (true, false) => Some(Limiter::GeneratorCpu),
            (false, true) => Some(Limiter::ServerCpu),
            (true, true) => Some(
                match (
                    u.generator_set_foreign() >= DISTURBED_CORES,
                    u.server_set_foreign() >= DISTURBED_CORES,
                ) {
                    (true, true) => Limiter::HostContended,
                    // One side's CPUs were taken by foreign load: that side was starved.
                    (true, false) => Limiter::GeneratorCpu,
                    (false, true) => Limiter::ServerCpu,
                    (false, false) if gen_own > srv_own => Limiter::GeneratorCpu,
                    (false, false) => Limiter::ServerCpu,
                },
            ),
            (false, false) => None,
        }
    };
    let limiter = limiter.unwrap_or(if u.iowait_cores >= IOWAIT_CORES {
        Limiter::IoWait
    } else {
        Limiter::NotCpuBound
    });
    (limiter, disturbed)
}

/// The most frequent limiter; ties go to the earlier one in [`Limiter::ALL`], and
/// `unknown` only wins when nothing else is known. `Unknown` for an empty list.
pub fn most_common(limiters: &[Limiter]) -> Limiter {
    let mut best = Limiter::Unknown;
    let mut best_n = 0;
    for l in Limiter::ALL {
        if l == Limiter::Unknown {
            continue;
        }
        let n = limiters.iter().filter(|&&x| x == l).count();
        if n > best_n {
            best = l;
            best_n = n;
        }
    }
    best
}

/// The limiter of one stack × scenario × repetition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepetitionLimiter {
    pub repetition: u32,
    /// False for failed/interrupted repetitions (shown, not counted in `most_common`).
    pub included: bool,
    pub limiter: Limiter,
    /// Foreign load ≥ [`DISTURBED_CORES`] (flagged, never dropped).
    pub disturbed: bool,
    pub usage: Option<Usage>,
}

/// The limiter of a cell (`cells[].limiter` in `summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellLimiter {
    /// The most common limiter over the included repetitions.
    pub most_common: Limiter,
    /// Included repetitions flagged `disturbed`.
    pub disturbed: Vec<u32>,
    /// Mean of each usage field over the included repetitions with readings.
    pub mean: Option<Usage>,
    pub repetitions: Vec<RepetitionLimiter>,
}

impl CellLimiter {
    /// From the per-repetition verdicts.
    pub fn of(repetitions: Vec<RepetitionLimiter>) -> CellLimiter {
        let included: Vec<&RepetitionLimiter> = repetitions.iter().filter(|r| r.included).collect();
        let limiters: Vec<Limiter> = included.iter().map(|r| r.limiter).collect();
        let usages: Vec<Usage> = included.iter().filter_map(|r| r.usage).collect();
        CellLimiter {
            most_common: most_common(&limiters),
            disturbed: included
                .iter()
                .filter(|r| r.disturbed)
                .map(|r| r.repetition)
                .collect(),
            mean: mean_usage(&usages),
            repetitions,
        }
    }
}

fn mean_usage(us: &[Usage]) -> Option<Usage> {
    let first = us.first()?;
    let n = us.len() as f64;
    let m = |f: fn(&Usage) -> f64| us.iter().map(f).sum::<f64>() / n;
    let proxies: Vec<f64> = us.iter().filter_map(|u| u.proxy_cores).collect();
    Some(Usage {
        seconds: m(|u| u.seconds),
        server_cores: m(|u| u.server_cores),
        generator_cores: m(|u| u.generator_cores),
        proxy_cores: (!proxies.is_empty())
            .then(|| proxies.iter().sum::<f64>() / proxies.len() as f64),
        others_cores: m(|u| u.others_cores),
        iowait_cores: m(|u| u.iowait_cores),
        steal_cores: m(|u| u.steal_cores),
        host_busy_cores: m(|u| u.host_busy_cores),
        host_cpus: first.host_cpus,
        generator_cpus: first.generator_cpus,
        generator_set_busy: m(|u| u.generator_set_busy),
        server_cpus: first.server_cpus,
        server_set_busy: m(|u| u.server_set_busy),
        server_capacity: m(|u| u.server_capacity),
    })
}

#[cfg(test)]
mod tests;
