//! The campaign: the paper's procedure as a TOML file (`paper/campaign.toml`).
//!
//! [`Campaign::load`] parses and validates a file; every error is one line naming the
//! file, the line and the fix (`paper/campaign.toml:12: ...`). The validated
//! [`Campaign`] serialises to JSON for `manifest.json` (the campaign as run) and reads
//! back from it for `pywebbench run --resume`.
//! The file as written (raw structs with spans) and its validation live in `parse`.
//!
//! [`requests`] turns a scenario into the generator's [`crate::load::ScenarioPlan`]:
//! every request comes from a seeded ChaCha RNG, so every stack and every run is sent
//! the same requests.

pub mod requests;
pub mod schedule;

mod parse;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use analysis::schema::Isolation;
use serde::{Deserialize, Serialize};

use crate::load::Executor;

/// The registered stacks (`stacks/*/stack.toml`, compiled in), in order.
pub fn known_stacks() -> Vec<&'static str> {
    analysis::registry::Registry::builtin().names()
}

/// What to say of a stack that is not registered: the known ones and how to add one.
fn unknown_stack_hint(name: &str) -> String {
    format!(
        "use some of {} (a new stack needs stacks/{name}/stack.toml)",
        known_stacks().join(", ")
    )
}

/// The full campaign and the scaled-down one, relative to the repository root.
pub const DEFAULT_FILE: &str = "paper/campaign.toml";
pub const QUICK_FILE: &str = "paper/campaign-quick.toml";
/// The peak-configuration campaign (`pywebbench peak`'s default).
pub const PEAK_FILE: &str = "paper/campaign-peak.toml";

/// A bad campaign file: one line, `file:line: reason`.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    // `error` is in the message, so it is not also a `source` (one line, said once).
    #[error("cannot read the campaign {file}: {error} (pass an existing file with --campaign)")]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{file}:{line}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("{file}: {reason}")]
    Whole { file: String, reason: String },
}

/// A duration written with a unit (`"20s"`, `"500ms"`), kept as such in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub Duration);

impl Dur {
    pub fn parse(text: &str) -> Result<Dur, String> {
        if text.trim().starts_with('-') {
            return Err(format!("duration {text:?} is negative"));
        }
        crate::load::parse_duration(text).map(Dur)
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.as_nanos();
        if ns == 0 {
            f.write_str("0s")
        } else if ns.is_multiple_of(1_000_000_000) {
            write!(f, "{}s", ns / 1_000_000_000)
        } else if ns.is_multiple_of(1_000_000) {
            write!(f, "{}ms", ns / 1_000_000)
        } else if ns.is_multiple_of(1_000) {
            write!(f, "{}us", ns / 1_000)
        } else {
            write!(f, "{ns}ns")
        }
    }
}

impl Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        let text = String::deserialize(d)?;
        Dur::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What a scenario's requests are (the API contract's seven operations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// `GET /hello`
    Hello,
    /// `POST /echo` with the campaign's echo payload.
    Echo,
    /// `GET /items/`
    GetAll,
    /// `GET /items/{id}`, id uniform in `1..=database.records`.
    GetOne,
    /// `POST /items/`, a deterministic body per iteration.
    Create,
    /// `PUT /items/{id}`, id uniform in `1..=database.records`, deterministic body.
    Update,
    /// `DELETE /items/{id}`, distinct ids from a seeded shuffle of `1..=database.records`.
    Delete,
}

impl RequestKind {
    pub const ALL: [RequestKind; 7] = [
        RequestKind::Hello,
        RequestKind::Echo,
        RequestKind::GetAll,
        RequestKind::GetOne,
        RequestKind::Create,
        RequestKind::Update,
        RequestKind::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Hello => "hello",
            RequestKind::Echo => "echo",
            RequestKind::GetAll => "get_all",
            RequestKind::GetOne => "get_one",
            RequestKind::Create => "create",
            RequestKind::Update => "update",
            RequestKind::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<RequestKind> {
        RequestKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How a scenario drives its virtual users (k6 executor names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "executor", rename_all = "kebab-case")]
pub enum ExecutorSpec {
    ConstantVus {
        vus: u32,
        duration: Dur,
    },
    SharedIterations {
        vus: u32,
        iterations: u64,
        max_duration: Dur,
    },
    ConstantArrivalRate {
        rate: u32,
        time_unit: Dur,
        duration: Dur,
        pre_allocated_vus: u32,
        max_vus: u32,
    },
}

impl ExecutorSpec {
    pub fn to_executor(&self) -> Executor {
        match *self {
            ExecutorSpec::ConstantVus { vus, duration } => Executor::ConstantVus {
                vus,
                duration: duration.0,
            },
            ExecutorSpec::SharedIterations {
                vus,
                iterations,
                max_duration,
            } => Executor::SharedIterations {
                vus,
                iterations,
                max_duration: max_duration.0,
            },
            ExecutorSpec::ConstantArrivalRate {
                rate,
                time_unit,
                duration,
                pre_allocated_vus,
                max_vus,
            } => Executor::ConstantArrivalRate {
                rate,
                time_unit: time_unit.0,
                duration: duration.0,
                pre_allocated_vus,
                max_vus,
            },
        }
    }

    /// The longest the scenario can take (for time-left estimates).
    pub fn max_duration(&self) -> Duration {
        match self {
            ExecutorSpec::ConstantVus { duration, .. }
            | ExecutorSpec::ConstantArrivalRate { duration, .. } => duration.0,
            ExecutorSpec::SharedIterations { max_duration, .. } => max_duration.0,
        }
    }

    /// Iterations to do, when fixed in advance.
    pub fn iterations(&self) -> Option<u64> {
        match self {
            ExecutorSpec::SharedIterations { iterations, .. } => Some(*iterations),
            _ => None,
        }
    }
}

/// One scenario (or warm-up step).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub request: RequestKind,
    #[serde(flatten)]
    pub executor: ExecutorSpec,
}

/// The server container's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Server {
    /// Gunicorn workers (`WORKERS`).
    pub workers: u32,
    /// Gunicorn threads per worker (`THREADS`).
    pub threads: u32,
    /// Memory limit of the container, bytes.
    pub memory_limit_bytes: u64,
    /// Process/thread limit of the container.
    pub pids_limit: u32,
    /// Docker `--cpuset-cpus` for the server (e.g. `"0"`); `None` = no pinning (the paper).
    pub cpuset: Option<String>,
}

// `[loadgen] path`: the load path's choice is owned by `netns`, which implements it.
pub use crate::netns::PathChoice;

/// `[precision]`: keep adding rounds until every headline cell's interval is narrow
/// enough (`analysis::precision`); `pywebbench run --precision` sets or overrides it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Precision {
    /// Largest 95 % interval half-width allowed, as a share of the cell's mean (0.03).
    pub target: f64,
    /// Stop after this many rounds whatever the widths (at least `repetitions`).
    pub max_rounds: u32,
}

/// `[sweep]`: a capacity sweep's settings (`pywebbench sweep`); every key optional,
/// the command line overrides each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepTable {
    /// The stacks a sweep runs [default: the campaign's].
    pub stacks: Option<Vec<String>>,
    /// The request each step sends.
    pub request: Option<RequestKind>,
    /// A fixed list of rates (req/s) instead of the automatic ramp.
    pub rates: Option<Vec<u32>>,
    /// The ramp's first rate, req/s.
    pub start: Option<u32>,
    /// The ramp's highest rate, req/s.
    pub max_rate: Option<u32>,
    /// The p99 latency a step must stay under.
    pub slo: Option<Dur>,
    /// The largest share of failed plus dropped iterations a step may have.
    pub max_error_share: Option<f64>,
    /// The ramp's bisection stops when the bracket is within this share.
    pub resolution: Option<f64>,
    pub step_duration: Option<Dur>,
    /// Idle time between steps.
    pub pause: Option<Dur>,
}

/// `[peak]`: the peak-configuration grid (`pywebbench peak`): per worker class the
/// workers (and threads) to try; each stack tries the classes its `[server]` declares.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeakTable {
    /// The stacks to tune [default: the campaign's].
    pub stacks: Option<Vec<String>>,
    /// The scenarios measured at each point, the objective [default: the campaign's].
    pub scenarios: Option<Vec<String>>,
    pub classes: Vec<analysis::peak::ClassGrid>,
}

/// `[profile]` (or `run --profile`): sample the server's Python processes with py-spy
/// during every scenario of one extra repetition per stack
/// ([`analysis::schema::PROFILED_REPETITION`]), left out of the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSettings {
    /// Samples per second per process (py-spy `--rate`).
    pub rate_hz: u32,
    /// Sample idle threads too (py-spy `--idle`): waits in `select`/`accept` show up.
    #[serde(default)]
    pub idle: bool,
}

impl Default for ProfileSettings {
    fn default() -> ProfileSettings {
        ProfileSettings {
            rate_hz: DEFAULT_PROFILE_RATE_HZ,
            idle: false,
        }
    }
}

/// py-spy's own default rate, kept: 100 samples/s per process.
pub const DEFAULT_PROFILE_RATE_HZ: u32 = 100;

/// `--max-rounds` and `[precision] max_rounds` when not given.
pub const DEFAULT_MAX_ROUNDS: u32 = 10;

/// A share written as a percentage, `"3%"` or `"2.5 %"`, as a fraction (0.03); it
/// must lie in (0 %, 100 %).
pub fn parse_share(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let Some(number) = t.strip_suffix('%') else {
        return Err(format!("{t:?} is not a percentage; write e.g. \"3%\""));
    };
    let v: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{t:?} is not a percentage; write e.g. \"3%\""))?;
    if !(v > 0.0 && v < 100.0) {
        return Err(format!("{t:?} must lie between 0% and 100% (e.g. \"3%\")"));
    }
    Ok(v / 100.0)
}

/// The validated campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub name: String,
    pub seed: u64,
    pub repetitions: u32,
    pub stacks: Vec<String>,
    pub settle: Dur,
    pub idle: Dur,
    pub pause: Dur,
    pub request_timeout: Dur,
    pub health_timeout: Dur,
    pub database_records: u64,
    /// `[database] path`: where in the container the server keeps its SQLite file
    /// (`DATABASE_PATH`); `None` = the image's `/data/items.db` on the container's
    /// writable layer (the paper's). `/dev/shm/items.db` puts it on tmpfs (no fsync cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_path: Option<String>,
    /// The body of `POST /echo`, compact JSON.
    pub echo_payload: String,
    pub server: Server,
    /// CPUs the runner (so the load generator, and k6 with `--loadgen k6`) is pinned
    /// to, as a list (`"1"`, `"2-3"`); `None` = no pinning (the paper). Linux only.
    #[serde(default)]
    pub loadgen_cpus: Option<String>,
    /// `[loadgen] path`; `pywebbench run --path` overrides it.
    #[serde(default)]
    pub loadgen_path: PathChoice,
    /// `[precision]`: `None` = exactly `repetitions` rounds (the paper's procedure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// `[sweep]`: the capacity sweep's settings, if the campaign sets any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepTable>,
    /// `[peak]`: the peak-configuration grid, if the campaign has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak: Option<PeakTable>,
    /// `[profile]`: the profiled repetition's settings; `None` = no profiling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileSettings>,
    pub warmup: Vec<Scenario>,
    pub scenarios: Vec<Scenario>,
}

/// The CPUs of a list such as `"0"`, `"0-1"`, `"0,2-3"` (Docker's `--cpuset-cpus` syntax).
pub fn parse_cpu_list(text: &str) -> Result<Vec<usize>, String> {
    let bad = || format!("{text:?} is not a CPU list");
    let mut cpus = Vec::new();
    for part in text.trim().split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a > b || b >= 1024 {
            return Err(bad());
        }
        cpus.extend(a..=b);
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

impl Campaign {
    /// The `[peak]` table (`pywebbench peak`'s grid), or the error that says where one is.
    pub fn peak_table(&self) -> Result<&PeakTable, String> {
        self.peak.as_ref().ok_or_else(|| {
            format!(
                "the campaign has no [peak] table; use --campaign {PEAK_FILE} (or add [peak] with [[peak.class]] entries)"
            )
        })
    }

    /// Keep only these stacks (in the campaign's order). Unknown names are an error.
    pub fn select_stacks(&mut self, names: &[String]) -> Result<(), String> {
        for n in names {
            if !known_stacks().contains(&n.as_str()) {
                return Err(format!(
                    "unknown stack {n:?} in --stacks; {}",
                    unknown_stack_hint(n)
                ));
            }
        }
        let mut picked: Vec<String> = known_stacks()
            .iter()
            .filter(|s| names.iter().any(|n| n == *s))
            .map(|s| s.to_string())
            .collect();
        picked.dedup();
        if picked.is_empty() {
            return Err("--stacks selects no stack".into());
        }
        self.stacks = picked;
        Ok(())
    }

    /// Warm-up steps then scenarios, in the order they run.
    #[cfg(test)]
    pub fn all_scenarios(&self) -> impl Iterator<Item = &Scenario> {
        self.warmup.iter().chain(&self.scenarios)
    }

    /// Rounds the run may make: `repetitions`, or up to `[precision] max_rounds`.
    pub fn planned_rounds(&self) -> u32 {
        match self.precision {
            Some(p) => p.max_rounds.max(self.repetitions),
            None => self.repetitions,
        }
    }

    /// The stopping rule of a precision run (`None` without `[precision]`).
    pub fn precision_rule(&self) -> Option<analysis::precision::PrecisionRule> {
        self.precision.map(|p| analysis::precision::PrecisionRule {
            target: p.target,
            confidence: 0.95,
            min_rounds: self.repetitions,
            max_rounds: self.planned_rounds(),
        })
    }

    /// The isolation profile the campaign's `server.cpuset` and `loadgen.cpus` make.
    pub fn isolation(&self) -> Isolation {
        let (server, loadgen) = (&self.server.cpuset, &self.loadgen_cpus);
        let cpus = |l: &Option<String>| l.as_deref().and_then(|t| parse_cpu_list(t).ok());
        let profile = match (cpus(server), cpus(loadgen)) {
            (None, None) => "none",
            (Some(_), None) => "server-pinned",
            (None, Some(_)) => "loadgen-pinned",
            (Some(s), Some(l)) if s.iter().any(|c| l.contains(c)) => "overlapping",
            (Some(_), Some(_)) => "split",
        };
        Isolation {
            profile: profile.into(),
            server_cpus: server.clone(),
            loadgen_cpus: loadgen.clone(),
        }
    }

    /// The campaign as run, for `manifest.json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Back from `manifest.json` (for `--resume`).
    pub fn from_json(value: &serde_json::Value) -> Result<Campaign, String> {
        Campaign::deserialize(value)
            .map_err(|e| format!("the campaign recorded in manifest.json is unreadable: {e}"))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fault_fuzz;
