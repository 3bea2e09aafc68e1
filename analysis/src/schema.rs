//! The raw-sample schema: one [`SampleRecord`] per HTTP request the load generator
//! made (its columns: the table in [`crate::columns`]), one [`ResourceRecord`] per
//! resource reading, and the per-run [`Manifest`].
//! This is a public interface (documented in `data/README.md`); bump
//! [`SCHEMA_VERSION`] on any incompatible change.

use serde::{Deserialize, Serialize};

/// Version of the Parquet column layout and of `manifest.json` (data/README.md#versions):
/// 1 = one `samples.parquet` with every logical column; 2 = `samples/<stack>.parquet`
/// storing `scheduled_ns`, `end_ns` and `ttfb_ns` as offsets (`crate::columns`).
/// Readers read both.
pub const SCHEMA_VERSION: u32 = 2;

/// File names inside a run directory.
/// The samples of a schema v1 run (one file, every stack).
pub const SAMPLES_FILE: &str = "samples.parquet";
/// The folder of a schema v2 run's samples: one `<stack>.parquet` per stack.
pub const SAMPLES_DIR: &str = "samples";
pub const RESOURCES_FILE: &str = "resources.parquet";
pub const MANIFEST_FILE: &str = "manifest.json";

/// `samples/<stack>.parquet`'s file name for `stack`, refusing a name that is not a
/// plain file name (a path separator, `..`, a leading dot, a control character).
pub fn stack_samples_file(stack: &str) -> std::result::Result<String, String> {
    let bad = stack.is_empty()
        || stack.starts_with('.')
        || stack
            .chars()
            .any(|c| c == '/' || c == '\\' || c == ':' || c.is_control());
    if bad {
        return Err(format!(
            "the stack name `{}` cannot be a file name under {SAMPLES_DIR}/ (use letters, digits, `-`, `_`, `.`)",
            stack.escape_default()
        ));
    }
    Ok(format!("{stack}.parquet"))
}

/// Why a request failed. `None` in a [`SampleRecord`] means it succeeded
/// (a response with status 200..=399, as k6's `http_req_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A full response arrived, with status >= 400.
    HttpStatus,
    /// No complete response within the request timeout.
    Timeout,
    /// The TCP connection could not be established.
    Connect,
    /// The connection was closed or reset before a full response.
    Io,
    /// The peer spoke something that is not valid HTTP/1.1.
    Protocol,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 5] = [
        ErrorKind::HttpStatus,
        ErrorKind::Timeout,
        ErrorKind::Connect,
        ErrorKind::Io,
        ErrorKind::Protocol,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Io => "io",
            ErrorKind::Protocol => "protocol",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One HTTP request, row-oriented: the sample columns, in file order, are its
/// fields; the column table that defines them is in [`crate::columns`].
pub use crate::columns::SampleRecord;

/// One reading of the server container's resources, covering the interval since the
/// previous reading of the same repetition.
///
/// Two sources write rows (see `data/README.md`): the runner's own sampler (local
/// engine on Linux: cgroup, `/proc`, `getrusage`), which fills every field; and the
/// Docker stats stream (remote engine, Docker Desktop, files written before the
/// sampler existed), which leaves every `Option` field `None`.
///
/// Column order in `resources.parquet` is the field order below.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    pub stack: String,
    pub repetition: u32,
    /// The phase during which the reading was taken: `settle`, `warmup`, `idle`,
    /// a scenario name, or `pause` (between scenarios). A sampler row covers its
    /// whole interval inside this phase (a phase change closes the interval).
    pub phase: String,
    /// Nanoseconds since the repetition's container was started (the end of the interval).
    pub t_ns: i64,
    /// CPU use of the server container in percent of one core (200 = two cores busy):
    /// `server_cpu_ns / interval_ns × 100` for sampler rows, as `docker stats`
    /// computes it for Docker stats rows.
    pub cpu_percent: f64,
    /// Memory in use (usage minus inactive page cache), bytes.
    pub mem_bytes: u64,
    /// Memory limit seen by the container, bytes.
    pub mem_limit_bytes: u64,
    /// Length of the interval this row covers, ns (monotonic clock). `None`: a Docker
    /// stats reading, whose CPU columns below are all `None`.
    pub interval_ns: Option<i64>,
    /// CPU time of the server container's cgroup in the interval (user + system), ns.
    pub server_cpu_ns: Option<i64>,
    /// CPU time of the load generator in the interval: the runner process (every
    /// thread), its reaped children and its live descendants (k6, `nsenter`), ns.
    pub generator_cpu_ns: Option<i64>,
    /// CPU time of the `docker-proxy` processes forwarding this container's published
    /// port, ns; `None` when there is none (the traffic bypasses the proxy).
    pub proxy_cpu_ns: Option<i64>,
    /// Host CPU time from `/proc/stat`, summed over all online CPUs, ns:
    /// user + nice + system + irq + softirq.
    pub host_busy_ns: Option<i64>,
    /// Host CPU time waiting for I/O, ns.
    pub host_iowait_ns: Option<i64>,
    /// Host CPU time stolen by the hypervisor, ns.
    pub host_steal_ns: Option<i64>,
    /// Host idle CPU time, ns.
    pub host_idle_ns: Option<i64>,
    /// Online CPUs of the host.
    pub host_cpus: Option<u32>,
    /// CPUs the generator may run on (the runner's affinity mask).
    pub generator_cpus: Option<u32>,
    /// Busy time (as `host_busy_ns`) of the generator's CPUs, ns.
    pub generator_cpus_busy_ns: Option<i64>,
    /// CPUs the server may run on (its cpuset; all online CPUs without one).
    pub server_cpus: Option<u32>,
    /// Busy time (as `host_busy_ns`) of the server's CPUs, ns.
    pub server_cpus_busy_ns: Option<i64>,
}

/// Outcome of one stack × repetition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepetitionStatus {
    Ok,
    Failed,
    Interrupted,
}

/// What happened in one scenario of one repetition: the denominator of req/s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    pub scenario: String,
    /// Wall clock (Unix epoch, ns) of the scenario's time zero.
    pub started_at_unix_ns: i64,
    /// Active time: from the scenario's time zero until its last request ended (ns).
    /// req/s = completed requests / active time.
    pub active_ns: i64,
    pub requests: u64,
    pub errors: u64,
    /// True when a `shared-iterations` scenario hit its maximum duration.
    pub timed_out: bool,
    /// `constant-arrival-rate` iterations not started because every VU was busy
    /// (k6's `dropped_iterations`); 0 for the closed-model executors. Absent in
    /// manifests written before it existed, read as 0.
    #[serde(default)]
    pub dropped_iterations: u64,
    /// Mean latency (ms) of the scenario's successful requests, the headline of the
    /// latency scenarios, as the analysis computes it from the samples; recorded for
    /// the precision rule (`analysis::precision`). Absent (null) in manifests written
    /// before 2026-12-02 and when no request succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_mean_ms: Option<f64>,
}

/// One stack × repetition in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepetitionSummary {
    pub stack: String,
    pub repetition: u32,
    pub status: RepetitionStatus,
    /// Why it failed or was interrupted (one line), `None` when ok.
    pub cause: Option<String>,
    pub started_at: String,
    pub ended_at: String,
    pub scenarios: Vec<ScenarioSummary>,
    /// Docker image id the container ran.
    pub image_id: String,
    /// The repetition sampled by the profiler (`run --profile`, `manifest.profile`):
    /// its samples are recorded but left out of every statistic. Absent (false) in
    /// runs made without a profiler.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub profiled: bool,
}

impl RepetitionSummary {
    /// Does this repetition count in the statistics: finished ok and not profiled?
    pub fn in_statistics(&self) -> bool {
        self.status == RepetitionStatus::Ok && !self.profiled
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    pub cpu_model: String,
    pub cores: u32,
    pub memory_bytes: u64,
    pub os: String,
    pub kernel: String,
    pub docker_version: String,
}

/// How the load reached the server containers (issue 11): `used` is `netns` (from
/// inside the container's network namespace to its 127.0.0.1:8000, no published
/// port, no `docker-proxy`) or `published-port` (through the port Docker publishes
/// on the host and its userland proxy); `reason` says why, in one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadPath {
    pub used: String,
    pub reason: String,
}

/// `manifest.json`: everything needed to interpret a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    /// Unique id of the run (`<timestamp>-<host>`), also the run folder name.
    pub run_id: String,
    /// `native` (pywebbench's own generator) or `k6`.
    pub loadgen: String,
    pub host: HostInfo,
    pub git_commit: Option<String>,
    pub pywebbench_version: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The campaign as run (parsed TOML, re-serialised as JSON).
    pub campaign: serde_json::Value,
    /// Pinned package versions per stack: stack -> package -> version.
    pub packages: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    pub repetitions: Vec<RepetitionSummary>,
    /// The planned order: `rounds[r - 1]` lists the stacks of round `r` (their
    /// repetition `r`) in the order they ran; round `r` ends before round `r + 1`
    /// starts, and the order inside each round is shuffled by the campaign's seed
    /// (`runner/src/campaign/schedule.rs`). Empty (absent) in runs made before
    /// rounds were interleaved, which ran all repetitions of one stack back to back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<Vec<String>>,
    /// The isolation profile: which CPUs the server and the generator could use.
    /// Absent in runs made before it was recorded (their campaign still holds
    /// `server.cpuset` and `loadgen_cpus`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<Isolation>,
    /// The load path of the run; absent (`None`) in runs made before it was
    /// recorded, which all used the published port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<LoadPath>,
    /// The stopping rule of a run made with a precision target (`run --precision`),
    /// its check after every round and why the run stopped; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionRecord>,
    /// The registry's entry (`stacks/<stack>/stack.toml`) of each stack of the run, as
    /// it was when the run was made; absent in runs made before it was recorded (the
    /// analysis then takes the compiled-in registry's).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub stack_info: std::collections::BTreeMap<String, crate::registry::StackInfo>,
    /// The API contract check (`stacks/CONTRACT.md`) the run passed before measuring;
    /// absent in runs made before it was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<ContractRecord>,
    /// The profiler of a run made with `run --profile`: how the server's Python
    /// processes were sampled, in which repetition, and where the samples are;
    /// absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRecord>,
}

/// The folder of a profiled run's samples (`profiles/<stack>/<scenario>.txt`).
pub const PROFILES_DIR: &str = "profiles";

/// The repetition a profiled run samples: an extra one, numbered 0, run for every
/// stack before round 1, so the measured rounds keep their number and their order.
pub const PROFILED_REPETITION: u32 = 0;

/// `profiles/<stack>/<scenario>.txt`, relative to the run folder: the collapsed stacks
/// of one stack × scenario of the profiled repetition. Refuses names that are not
/// plain file names.
pub fn profile_file(stack: &str, scenario: &str) -> std::result::Result<String, String> {
    let stack_file = stack_samples_file(stack)?;
    let scenario_file = stack_samples_file(scenario)?;
    let stack = stack_file.trim_end_matches(".parquet");
    let scenario = scenario_file.trim_end_matches(".parquet");
    Ok(format!("{PROFILES_DIR}/{stack}/{scenario}.txt"))
}

/// How a run's profiled repetition was sampled (`manifest.json` → `profile`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord {
    /// The sampler and its version (`py-spy 0.4.1`).
    pub tool: String,
    /// Samples per second per process.
    pub rate_hz: u32,
    /// The profiled repetition's number ([`PROFILED_REPETITION`]).
    pub repetition: u32,
    /// Idle threads sampled too (`py-spy --idle`)?
    pub idle: bool,
    /// How the sampler attached, in one line (from the host, which flags).
    pub method: String,
}

/// How each stack's image met the API contract before the run measured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractRecord {
    /// `run --skip-contract`: measured without checking.
    pub skipped: bool,
    /// Per stack: its image id and `passed` (checked by this run), `cached` (passed
    /// before with the same image id and suite) or `skipped`.
    pub stacks: std::collections::BTreeMap<String, ContractCheck>,
}

/// One stack's image and its contract result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractCheck {
    pub image_id: String,
    pub result: String,
}

/// Which CPUs the server container and the load generator could run on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Isolation {
    /// `none` (neither pinned, as the paper), `split` (both pinned to disjoint CPU
    /// sets), `server-pinned`, `loadgen-pinned`, or `overlapping` (both pinned,
    /// sharing CPUs).
    pub profile: String,
    /// The server's cpuset (Docker `--cpuset-cpus`), null = every CPU.
    pub server_cpus: Option<String>,
    /// The generator's CPUs (`loadgen.cpus`), null = every CPU.
    pub loadgen_cpus: Option<String>,
}

// ---- the precision run's record (`manifest.json` → `precision`; the rule's logic:
// `crate::precision`) ----

/// The stopping rule of a precision run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrecisionRule {
    /// The largest interval half-width allowed, as a share of the cell's mean
    /// (0.03 = ±3 %).
    pub target: f64,
    /// Confidence of the intervals (0.95).
    pub confidence: f64,
    /// The rule is not consulted before this many rounds (the campaign's repetitions).
    pub min_rounds: u32,
    /// The run stops after this many rounds whatever the widths.
    pub max_rounds: u32,
}

/// One headline cell's interval, as the rule sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellWidth {
    pub stack: String,
    pub scenario: String,
    /// Included (ok) repetitions.
    pub n: u32,
    #[serde(with = "crate::jsonf64")]
    pub mean: f64,
    /// Sample standard deviation of the repetition values; `None` when n < 2.
    pub sd: Option<f64>,
    /// Half-width ÷ |mean|; infinite when n < 2 (`"inf"` in JSON).
    #[serde(with = "crate::jsonf64")]
    pub relative: f64,
}

/// Why a precision run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// Every headline cell met the target.
    TargetReached,
    /// `max_rounds` rounds ran and some cell was still wider than the target.
    MaxRounds,
}

impl StopReason {
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::TargetReached => "every headline cell met the target",
            StopReason::MaxRounds => {
                "max rounds reached with some cell still wider than the target"
            }
        }
    }
}

/// What the rule says after a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Rounds complete when the check was made.
    pub round: u32,
    /// The widest cell (largest `relative`), if any cell has a value.
    pub widest: Option<CellWidth>,
    /// Cells still wider than the target.
    pub cells_over_target: u32,
    /// Estimated rounds the widest cell needs at its observed spread (the smallest n
    /// with `t(1−α/2, n−1)·s/√n ≤ target·|mean|`); `None` without a spread.
    pub rounds_needed: Option<u32>,
    /// `Some` when the run stops here.
    pub stop: Option<StopReason>,
}

/// What `manifest.json` records of a precision run (`precision`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecisionRecord {
    /// The rule in one line, with its reference.
    pub rule: String,
    #[serde(flatten)]
    pub settings: PrecisionRule,
    /// The rule's verdict after every complete round, in order.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Why the run stopped adding rounds; `None` while it runs (or when interrupted).
    #[serde(default)]
    pub stopped: Option<Stopped>,
}

/// The end of a precision run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    pub reason: StopReason,
    /// Rounds made.
    pub rounds: u32,
}
