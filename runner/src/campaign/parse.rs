//! The campaign file as written (serde's raw structs, with spans) and its parsing and
//! validation into a [`Campaign`]: every error is `file:line: reason`.
//!
//! Why this file is long: one validator per campaign table, each with its one-line
//! errors naming the line; the sweep and peak tables already live in `parse/`.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Campaign, CampaignError, DEFAULT_MAX_ROUNDS, DEFAULT_PROFILE_RATE_HZ, Dur, ExecutorSpec,
    PathChoice, Precision, ProfileSettings, RequestKind, Scenario, Server, known_stacks,
    parse_cpu_list, parse_share, unknown_stack_hint,
};

mod peak;
mod sweep;

// ---- the file as written ------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    name: Spanned<String>,
    seed: Spanned<i64>,
    repetitions: Spanned<i64>,
    stacks: Spanned<Vec<Spanned<String>>>,
    settle: Spanned<String>,
    idle: Spanned<String>,
    pause: Spanned<String>,
    request_timeout: Spanned<String>,
    health_timeout: Spanned<String>,
    database: RawDatabase,
    payloads: RawPayloads,
    server: RawServer,
    loadgen: Option<RawLoadgen>,
    precision: Option<RawPrecision>,
    sweep: Option<sweep::RawSweep>,
    peak: Option<peak::RawPeak>,
    profile: Option<RawProfile>,
    #[serde(default)]
    warmup: Vec<Spanned<RawScenario>>,
    scenario: Spanned<Vec<Spanned<RawScenario>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoadgen {
    cpus: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrecision {
    target: Spanned<String>,
    max_rounds: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    rate: Option<Spanned<i64>>,
    idle: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    records: Spanned<i64>,
    path: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayloads {
    echo: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    workers: Spanned<i64>,
    threads: Spanned<i64>,
    memory_limit: Spanned<String>,
    pids_limit: Spanned<i64>,
    cpuset: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    request: Spanned<String>,
    executor: Spanned<String>,
    vus: Option<Spanned<i64>>,
    duration: Option<Spanned<String>>,
    iterations: Option<Spanned<i64>>,
    max_duration: Option<Spanned<String>>,
    rate: Option<Spanned<i64>>,
    time_unit: Option<Spanned<String>>,
    pre_allocated_vus: Option<Spanned<i64>>,
    max_vus: Option<Spanned<i64>>,
}

/// Turns byte offsets into `file:line: reason` errors.
struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err(&self, span: &Range<usize>, reason: impl Into<String>) -> CampaignError {
        CampaignError::Invalid {
            file: self.file.to_string(),
            line: self.line(span),
            reason: reason.into(),
        }
    }

    /// `name` a registered stack, else an error naming the list `key` it is in, if given.
    fn known_stack(&self, name: &Spanned<String>, key: Option<&str>) -> Result<(), CampaignError> {
        if known_stacks().contains(&name.get_ref().as_str()) {
            return Ok(());
        }
        let within = key.map(|k| format!(" in {k}")).unwrap_or_default();
        Err(self.err(
            &name.span(),
            format!(
                "unknown stack {:?}{within}; {}",
                name.get_ref(),
                unknown_stack_hint(name.get_ref())
            ),
        ))
    }

    /// An optional list of registered stacks (`peak.stacks`, `sweep.stacks`, named by `key`).
    fn stack_list(
        &self,
        list: &Option<Spanned<Vec<Spanned<String>>>>,
        key: &str,
    ) -> Result<Option<Vec<String>>, CampaignError> {
        list.as_ref()
            .map(|l| {
                l.get_ref()
                    .iter()
                    .map(|n| {
                        self.known_stack(n, Some(key))?;
                        Ok(n.get_ref().clone())
                    })
                    .collect()
            })
            .transpose()
    }

    fn dur(&self, v: &Spanned<String>, what: &str) -> Result<Dur, CampaignError> {
        let d = Dur::parse(v.get_ref()).map_err(|e| self.err(&v.span(), format!("{what}: {e}")))?;
        Ok(d)
    }

    fn positive_dur(&self, v: &Spanned<String>, what: &str) -> Result<Dur, CampaignError> {
        let d = self.dur(v, what)?;
        if d.0.is_zero() {
            return Err(self.err(&v.span(), format!("{what} must be > 0 (e.g. \"10s\")")));
        }
        Ok(d)
    }

    fn count<T: TryFrom<i64>>(&self, v: &Spanned<i64>, what: &str) -> Result<T, CampaignError> {
        let n = *v.get_ref();
        if n <= 0 {
            return Err(self.err(&v.span(), format!("{what} must be > 0, not {n}")));
        }
        T::try_from(n).map_err(|_| self.err(&v.span(), format!("{what} = {n} is too large")))
    }
}

/// Parse a size with a binary unit: `"512MiB"`, `"2GiB"`, `"1048576B"`.
fn parse_size(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad size {text:?} (write e.g. \"2GiB\", \"512MiB\")"))?;
    let scale: u64 = match unit.trim() {
        "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "" => return Err(format!("size {text:?} needs a unit (B, KiB, MiB, GiB)")),
        u => {
            return Err(format!(
                "unknown unit {u:?} in size {text:?} (use B, KiB, MiB, GiB)"
            ));
        }
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

fn scenario(
    ctx: &Ctx<'_>,
    raw: &Spanned<RawScenario>,
    records: u64,
) -> Result<Scenario, CampaignError> {
    let r = raw.get_ref();
    let name = r.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ctx.err(
            &r.name.span(),
            format!(
                "scenario name {:?} must be non-empty letters, digits, '_' or '-'",
                r.name.get_ref()
            ),
        ));
    }
    let what = |field: &str| format!("scenario {name:?}: {field}");
    let request = RequestKind::parse(r.request.get_ref()).ok_or_else(|| {
        let known: Vec<&str> = RequestKind::ALL.iter().map(|k| k.as_str()).collect();
        ctx.err(
            &r.request.span(),
            format!(
                "{}: unknown request {:?}; use one of {}",
                what("request"),
                r.request.get_ref(),
                known.join(", ")
            ),
        )
    })?;
    let fields = [
        ("vus", r.vus.as_ref().map(|v| v.span())),
        ("duration", r.duration.as_ref().map(|v| v.span())),
        ("iterations", r.iterations.as_ref().map(|v| v.span())),
        ("max_duration", r.max_duration.as_ref().map(|v| v.span())),
        ("rate", r.rate.as_ref().map(|v| v.span())),
        ("time_unit", r.time_unit.as_ref().map(|v| v.span())),
        (
            "pre_allocated_vus",
            r.pre_allocated_vus.as_ref().map(|v| v.span()),
        ),
        ("max_vus", r.max_vus.as_ref().map(|v| v.span())),
    ];
    let executor_name = r.executor.get_ref().as_str();
    let (allowed, required): (&[&str], &[&str]) = match executor_name {
        "constant-vus" => (&["vus", "duration"], &["vus", "duration"]),
        "shared-iterations" => (
            &["vus", "iterations", "max_duration"],
            &["vus", "iterations"],
        ),
        "constant-arrival-rate" => (
            &[
                "rate",
                "time_unit",
                "duration",
                "pre_allocated_vus",
                "max_vus",
            ],
            &["rate", "duration", "pre_allocated_vus"],
        ),
        other => {
            return Err(ctx.err(
                &r.executor.span(),
                format!(
                    "{}: unknown executor {other:?}; use constant-vus, shared-iterations or constant-arrival-rate",
                    what("executor")
                ),
            ));
        }
    };
    for (field, span) in &fields {
        if let Some(span) = span
            && !allowed.contains(field)
        {
            return Err(ctx.err(
                span,
                format!(
                    "{}: {executor_name} takes no `{field}` (it takes {})",
                    what(field),
                    allowed.join(", ")
                ),
            ));
        }
    }
    for field in required {
        if fields.iter().any(|(f, s)| f == field && s.is_none()) {
            return Err(ctx.err(
                &raw.span(),
                format!("{}: {executor_name} needs `{field}`", what(field)),
            ));
        }
    }
    // Presence was checked above; these `expect`-free lookups keep it that way.
    let need = |v: &Option<Spanned<i64>>, f: &str| -> Result<u64, CampaignError> {
        let v = v
            .as_ref()
            .ok_or_else(|| ctx.err(&raw.span(), format!("{} is missing", what(f))))?;
        ctx.count::<u64>(v, &what(f))
    };
    let need_dur = |v: &Option<Spanned<String>>, f: &str| -> Result<Dur, CampaignError> {
        let v = v
            .as_ref()
            .ok_or_else(|| ctx.err(&raw.span(), format!("{} is missing", what(f))))?;
        ctx.positive_dur(v, &what(f))
    };
    let small = |n: u64, v: &Option<Spanned<i64>>, f: &str| -> Result<u32, CampaignError> {
        u32::try_from(n).map_err(|_| {
            let span = v.as_ref().map_or(raw.span(), |v| v.span());
            ctx.err(&span, format!("{} = {n} is too large", what(f)))
        })
    };
    let executor = match executor_name {
        "constant-vus" => ExecutorSpec::ConstantVus {
            vus: small(need(&r.vus, "vus")?, &r.vus, "vus")?,
            duration: need_dur(&r.duration, "duration")?,
        },
        "shared-iterations" => {
            let vus = small(need(&r.vus, "vus")?, &r.vus, "vus")?;
            let iterations = need(&r.iterations, "iterations")?;
            if iterations < u64::from(vus) {
                // k6 refuses this configuration; so do we, so both generators run every campaign.
                let span = r.iterations.as_ref().map_or(raw.span(), |v| v.span());
                return Err(ctx.err(
                    &span,
                    format!(
                        "{}: {iterations} iterations can't be fewer than the {vus} vus (k6's rule for shared-iterations); raise iterations or lower vus",
                        what("iterations")
                    ),
                ));
            }
            ExecutorSpec::SharedIterations {
                vus,
                iterations,
                // k6's default maxDuration.
                max_duration: match &r.max_duration {
                    Some(v) => ctx.positive_dur(v, &what("max_duration"))?,
                    None => Dur(Duration::from_secs(600)),
                },
            }
        }
        _ => {
            let pre = small(
                need(&r.pre_allocated_vus, "pre_allocated_vus")?,
                &r.pre_allocated_vus,
                "pre_allocated_vus",
            )?;
            let max_vus = match &r.max_vus {
                Some(v) => small(
                    ctx.count::<u64>(v, &what("max_vus"))?,
                    &r.max_vus,
                    "max_vus",
                )?,
                None => pre,
            };
            if max_vus < pre {
                let span = r.max_vus.as_ref().map_or(raw.span(), |v| v.span());
                return Err(ctx.err(
                    &span,
                    format!(
                        "{}: max_vus ({max_vus}) is below pre_allocated_vus ({pre})",
                        what("max_vus")
                    ),
                ));
            }
            ExecutorSpec::ConstantArrivalRate {
                rate: small(need(&r.rate, "rate")?, &r.rate, "rate")?,
                time_unit: match &r.time_unit {
                    Some(v) => ctx.positive_dur(v, &what("time_unit"))?,
                    None => Dur(Duration::from_secs(1)),
                },
                duration: need_dur(&r.duration, "duration")?,
                pre_allocated_vus: pre,
                max_vus,
            }
        }
    };
    if request == RequestKind::Delete {
        // Each id is deleted once: a second DELETE of the same id would be a 404.
        match executor {
            ExecutorSpec::SharedIterations { iterations, .. } if iterations <= records => {}
            ExecutorSpec::SharedIterations { iterations, .. } => {
                let span = r.iterations.as_ref().map_or(raw.span(), |v| v.span());
                return Err(ctx.err(
                    &span,
                    format!(
                        "{}: {iterations} deletes but the database has {records} records; delete at most {records}",
                        what("iterations")
                    ),
                ));
            }
            _ => {
                return Err(ctx.err(
                    &r.executor.span(),
                    format!(
                        "{}: delete needs shared-iterations (each id is deleted once, so the count must be fixed)",
                        what("executor")
                    ),
                ));
            }
        }
    }
    Ok(Scenario {
        name,
        request,
        executor,
    })
}

impl Campaign {
    /// Read and validate a campaign file.
    pub fn load(path: &Path) -> Result<Campaign, CampaignError> {
        let text = std::fs::read_to_string(path).map_err(|error| CampaignError::Read {
            file: path.to_path_buf(),
            error,
        })?;
        Campaign::parse(&path.display().to_string(), &text)
    }

    /// Parse and validate campaign text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Campaign, CampaignError> {
        let ctx = Ctx { file, text };
        let raw: RawCampaign = toml::from_str(text).map_err(|e| {
            let reason = e.message().trim().replace('\n', " ");
            match e.span() {
                Some(span) => ctx.err(&span, reason),
                None => CampaignError::Whole {
                    file: file.to_string(),
                    reason,
                },
            }
        })?;
        let records = ctx.count::<u64>(&raw.database.records, "database.records")?;
        let database_path = match &raw.database.path {
            None => None,
            Some(p) => {
                let v = p.get_ref().trim();
                if !v.starts_with('/') || v.ends_with('/') || v.contains(char::is_whitespace) {
                    return Err(ctx.err(
                        &p.span(),
                        format!("database.path {v:?} is not an absolute file path in the container; write e.g. \"/dev/shm/items.db\" (tmpfs) or omit it for the image's /data/items.db"),
                    ));
                }
                Some(v.to_string())
            }
        };
        let mut stacks = Vec::new();
        for s in raw.stacks.get_ref() {
            ctx.known_stack(s, None)?;
            if stacks.contains(s.get_ref()) {
                return Err(ctx.err(
                    &s.span(),
                    format!("stack {:?} is listed twice", s.get_ref()),
                ));
            }
            stacks.push(s.get_ref().clone());
        }
        if stacks.is_empty() {
            return Err(ctx.err(
                &raw.stacks.span(),
                format!(
                    "stacks is empty; list some of {}",
                    known_stacks().join(", ")
                ),
            ));
        }
        let echo = raw.payloads.echo.get_ref();
        let echo_payload = match serde_json::from_str::<serde_json::Value>(echo) {
            Ok(v @ serde_json::Value::Object(_)) => v.to_string(),
            Ok(_) => {
                return Err(ctx.err(
                    &raw.payloads.echo.span(),
                    "payloads.echo must be a JSON object ({...})",
                ));
            }
            Err(e) => {
                return Err(ctx.err(
                    &raw.payloads.echo.span(),
                    format!("payloads.echo is not valid JSON: {e}"),
                ));
            }
        };
        let memory_limit_bytes = parse_size(raw.server.memory_limit.get_ref()).map_err(|e| {
            ctx.err(
                &raw.server.memory_limit.span(),
                format!("server.memory_limit: {e}"),
            )
        })?;
        if memory_limit_bytes < 6 << 20 {
            return Err(ctx.err(
                &raw.server.memory_limit.span(),
                "server.memory_limit is below Docker's minimum of 6MiB",
            ));
        }
        let cpu_list = |v: &Option<Spanned<String>>,
                        what: &str|
         -> Result<Option<String>, CampaignError> {
            let Some(c) = v else { return Ok(None) };
            parse_cpu_list(c.get_ref()).map_err(|e| {
                ctx.err(
                    &c.span(),
                    format!("{what}: {e} (write e.g. \"0\" or \"0-1\"; omit it for no pinning)"),
                )
            })?;
            Ok(Some(c.get_ref().trim().to_string()))
        };
        let cpuset = cpu_list(&raw.server.cpuset, "server.cpuset")?;
        let loadgen_cpus = cpu_list(
            &raw.loadgen.as_ref().and_then(|l| l.cpus.clone()),
            "loadgen.cpus",
        )?;
        let loadgen_path = match raw.loadgen.as_ref().and_then(|l| l.path.as_ref()) {
            None => PathChoice::Auto,
            Some(p) => match p.get_ref().as_str() {
                "auto" => PathChoice::Auto,
                "netns" => PathChoice::Netns,
                "published-port" => PathChoice::PublishedPort,
                other => {
                    return Err(ctx.err(
                        &p.span(),
                        format!("loadgen.path {other:?} is unknown; use \"auto\", \"netns\" or \"published-port\""),
                    ));
                }
            },
        };
        let mut warmup = Vec::new();
        for w in &raw.warmup {
            let s = scenario(&ctx, w, records)?;
            if !analysis::is_warmup(&s.name) {
                return Err(ctx.err(
                    &w.get_ref().name.span(),
                    format!("warm-up {:?} must be named warmup_<something> (the analysis skips names starting with `warmup`)", s.name),
                ));
            }
            warmup.push(s);
        }
        let mut scenarios = Vec::new();
        for sc in raw.scenario.get_ref() {
            let s = scenario(&ctx, sc, records)?;
            if analysis::is_warmup(&s.name) {
                return Err(ctx.err(
                    &sc.get_ref().name.span(),
                    format!("scenario {:?} starts with `warmup`, so the analysis would skip it; rename it or move it to [[warmup]]", s.name),
                ));
            }
            scenarios.push(s);
        }
        if scenarios.is_empty() {
            return Err(ctx.err(&raw.scenario.span(), "no [[scenario]]: add at least one"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (s, raw_s) in warmup
            .iter()
            .chain(&scenarios)
            .zip(raw.warmup.iter().chain(raw.scenario.get_ref()))
        {
            if !seen.insert(s.name.clone()) {
                return Err(ctx.err(
                    &raw_s.get_ref().name.span(),
                    format!("scenario name {:?} is used twice", s.name),
                ));
            }
        }
        let seed = *raw.seed.get_ref();
        if seed < 0 {
            return Err(ctx.err(&raw.seed.span(), format!("seed must be >= 0, not {seed}")));
        }
        let repetitions: u32 = ctx.count(&raw.repetitions, "repetitions")?;
        let precision = match &raw.precision {
            None => None,
            Some(p) => {
                let target = parse_share(p.target.get_ref())
                    .map_err(|e| ctx.err(&p.target.span(), format!("precision.target: {e}")))?;
                let max_rounds = match &p.max_rounds {
                    None => DEFAULT_MAX_ROUNDS.max(repetitions),
                    Some(m) => {
                        let n: u32 = ctx.count(m, "precision.max_rounds")?;
                        if n < repetitions {
                            return Err(ctx.err(
                                &m.span(),
                                format!("precision.max_rounds = {n} is below repetitions = {repetitions}: a precision run does at least `repetitions` rounds; raise max_rounds or lower repetitions"),
                            ));
                        }
                        n
                    }
                };
                Some(Precision { target, max_rounds })
            }
        };
        let sweep = match &raw.sweep {
            None => None,
            Some(w) => Some(ctx.sweep(w)?),
        };
        let peak = match &raw.peak {
            None => None,
            Some(p) => Some(ctx.peak(p)?),
        };
        let profile = match &raw.profile {
            None => None,
            Some(p) => Some(ProfileSettings {
                rate_hz: match &p.rate {
                    None => DEFAULT_PROFILE_RATE_HZ,
                    Some(r) => {
                        let hz: u32 = ctx.count(r, "profile.rate")?;
                        if hz > 1000 {
                            return Err(ctx.err(
                                &r.span(),
                                format!("profile.rate = {hz} samples/s is too fast to leave the server alone; use at most 1000 (py-spy's default is 100)"),
                            ));
                        }
                        hz
                    }
                },
                idle: p.idle.unwrap_or(false),
            }),
        };
        Ok(Campaign {
            name: raw.name.get_ref().clone(),
            seed: seed as u64,
            repetitions,
            stacks,
            settle: ctx.dur(&raw.settle, "settle")?,
            idle: ctx.dur(&raw.idle, "idle")?,
            pause: ctx.dur(&raw.pause, "pause")?,
            request_timeout: ctx.positive_dur(&raw.request_timeout, "request_timeout")?,
            health_timeout: ctx.positive_dur(&raw.health_timeout, "health_timeout")?,
            database_records: records,
            database_path,
            echo_payload,
            server: Server {
                workers: ctx.count(&raw.server.workers, "server.workers")?,
                threads: ctx.count(&raw.server.threads, "server.threads")?,
                memory_limit_bytes,
                pids_limit: ctx.count(&raw.server.pids_limit, "server.pids_limit")?,
                cpuset,
            },
            loadgen_cpus,
            loadgen_path,
            precision,
            sweep,
            peak,
            profile,
            warmup,
            scenarios,
        })
    }
}
