//! `pywebbench load URL`: one ad-hoc scenario, like oha or hey — the native
//! generator (or k6 with `--loadgen k6`, per-request records as the campaign runs
//! it; or `--loadgen k6-summary`, k6's end-of-test summary only, as the paper's
//! users ran it) and a summary: req/s, latency percentiles of the successful
//! requests (hdrhistogram), failures by kind. `just bench-loadgen` measures the
//! generators through this command, in their own process.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use hyper::{Method, Uri};
use tokio::sync::{mpsc, watch};

use crate::load::summary::SummaryBuilder;
use crate::load::{
    ConstantRequest, Executor, LoadOptions, RequestRecord, RequestSpec, ScenarioPlan, Target, k6,
    parse_duration,
};

/// The generator of `pywebbench load`: those of `run`, and k6 as the paper ran it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LoadLoadgen {
    /// pywebbench's own generator (tokio + hyper).
    Native,
    /// k6 as `pywebbench run --loadgen k6` runs it: every request imported from
    /// its `--out json` output.
    K6,
    /// k6 with its end-of-test summary only (`--summary-export`, no `--out`), as the
    /// paper's users ran it: requests, req/s and latency, no per-request records.
    #[value(name = "k6-summary")]
    K6Summary,
}

impl LoadLoadgen {
    /// The name in summaries.
    pub fn name(self) -> &'static str {
        match self {
            LoadLoadgen::Native => "native",
            LoadLoadgen::K6 => "k6",
            LoadLoadgen::K6Summary => "k6-summary",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// Target URL, plain HTTP: http://HOST:PORT/PATH (send load only to hosts you run).
    pub url: String,
    /// HTTP method.
    #[arg(long, short = 'm', default_value = "GET")]
    pub method: String,
    /// JSON request body (sent with Content-Type: application/json).
    #[arg(long, short = 'b')]
    pub body: Option<String>,
    /// Virtual users (each with its own keep-alive connection); with --rate, the
    /// pre-allocated VUs.
    #[arg(long, default_value_t = 50)]
    pub vus: u32,
    /// constant-vus (or constant-arrival-rate with --rate) for this long, e.g. 10s.
    #[arg(long, value_parser = parse_duration, conflicts_with = "iterations")]
    pub duration: Option<Duration>,
    /// shared-iterations: the VUs share this many iterations.
    #[arg(long)]
    pub iterations: Option<u64>,
    /// shared-iterations' maximum duration.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub max_duration: Duration,
    /// constant-arrival-rate: iterations per --time-unit (open model).
    #[arg(long, conflicts_with = "iterations")]
    pub rate: Option<u32>,
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub time_unit: Duration,
    /// constant-arrival-rate's maxVUs (default: --vus).
    #[arg(long)]
    pub max_vus: Option<u32>,
    /// Vary the request per iteration: `{id}` in the URL's path becomes an id drawn
    /// uniformly from LO-HI (e.g. 1-1500, the paper's get_one), the same id for the
    /// same iteration in every run and with every generator.
    #[arg(long, value_name = "LO-HI", value_parser = parse_ids)]
    pub ids: Option<(u64, u64)>,
    /// Per-request timeout, connection set-up included.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Worker threads of the native generator (default: the cores this process may use).
    #[arg(long)]
    pub workers: Option<usize>,
    #[arg(long, value_enum, default_value = "native")]
    pub loadgen: LoadLoadgen,
    /// The k6 binary for --loadgen k6 / k6-summary.
    #[arg(long, env = "PYWEBBENCH_K6")]
    pub k6: Option<PathBuf>,
    /// Write every request record as a JSON line to this file.
    #[arg(long)]
    pub records: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Send the load from inside this container's network namespace (name or id,
    /// on the engine DOCKER_HOST names): the URL's host is then an address inside
    /// it, e.g. http://127.0.0.1:8000/hello; no published port, no docker-proxy.
    /// Linux, local engine, root (setns).
    #[arg(long, conflicts_with = "netns_pid")]
    pub netns_of: Option<String>,
    /// As --netns-of, for the network namespace of this process (/proc/PID/ns/net).
    #[arg(long)]
    pub netns_pid: Option<u32>,
}

/// The process whose network namespace the load is sent from, if any.
fn netns_pid(args: &LoadArgs, rt: &tokio::runtime::Runtime) -> anyhow::Result<Option<u32>> {
    if let Some(pid) = args.netns_pid {
        return Ok(Some(pid));
    }
    let Some(container) = &args.netns_of else {
        return Ok(None);
    };
    if !crate::docker::engine_is_local() {
        bail!(
            "--netns-of {container}: the engine at {} is not on this machine, so its containers' namespaces are not either; load its published port instead",
            crate::docker::engine_address()
        );
    }
    rt.block_on(async {
        let docker = crate::docker::connect().await?;
        crate::docker::container_pid(&docker, container).await
    })
    .map(Some)
}

/// `--ids LO-HI`.
fn parse_ids(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--ids {text:?}: write the id range as LO-HI, e.g. 1-1500");
    let (lo, hi) = text.split_once('-').ok_or_else(bad)?;
    let (lo, hi) = (
        lo.trim().parse::<u64>().map_err(|_| bad())?,
        hi.trim().parse::<u64>().map_err(|_| bad())?,
    );
    if lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// Stands for `{id}` while the URL is parsed (braces are not allowed in a URI).
const ID_MARK: &str = "__pywebbench_id__";

/// `{id}` in `path` → an id in `lo..=hi` that depends only on the iteration
/// (SplitMix64 of the iteration index).
#[derive(Debug)]
struct IdRequests {
    method: Method,
    path: String,
    body: Option<Bytes>,
    lo: u64,
    hi: u64,
}

impl IdRequests {
    fn id(&self, iteration: u64) -> u64 {
        let mut z = iteration.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        self.lo + z % (self.hi - self.lo + 1)
    }
}

impl crate::load::RequestSource for IdRequests {
    fn request(&self, iteration: u64) -> RequestSpec {
        RequestSpec {
            method: self.method.clone(),
            path: self.path.replace(ID_MARK, &self.id(iteration).to_string()),
            body: self.body.clone(),
        }
    }
}

fn parse_target(url: &str) -> anyhow::Result<(Target, String)> {
    let url = &url.replace("{id}", ID_MARK);
    let uri: Uri = url
        .parse()
        .with_context(|| format!("bad URL {url:?} (write it as http://HOST:PORT/PATH)"))?;
    if uri.scheme_str() != Some("http") {
        bail!("URL {url:?} must start with http:// (the generator speaks plain HTTP/1.1)");
    }
    let host = uri
        .host()
        .with_context(|| format!("URL {url:?} has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(80);
    let path = uri
        .path_and_query()
        .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
    Ok((Target::new(host, port), path))
}

fn plan(args: &LoadArgs, path: String) -> anyhow::Result<ScenarioPlan> {
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .with_context(|| format!("bad HTTP method {:?}", args.method))?;
    let body = match &args.body {
        Some(text) => {
            serde_json::from_str::<serde_json::Value>(text)
                .with_context(|| format!("--body is not valid JSON: {text}"))?;
            Some(Bytes::from(text.clone()))
        }
        None => None,
    };
    let duration = args.duration.unwrap_or(Duration::from_secs(10));
    let executor = match (args.iterations, args.rate) {
        (Some(iterations), _) => Executor::SharedIterations {
            vus: args.vus,
            iterations,
            max_duration: args.max_duration,
        },
        (None, Some(rate)) => Executor::ConstantArrivalRate {
            rate,
            time_unit: args.time_unit,
            duration,
            pre_allocated_vus: args.vus,
            max_vus: args.max_vus.unwrap_or(args.vus),
        },
        (None, None) => Executor::ConstantVus {
            vus: args.vus,
            duration,
        },
    };
    executor.validate()?;
    let requests: Arc<dyn crate::load::RequestSource> = match (args.ids, path.contains(ID_MARK)) {
        (Some((lo, hi)), true) => Arc::new(IdRequests {
            method,
            path,
            body,
            lo,
            hi,
        }),
        (Some(_), false) => {
            bail!("--ids needs {{id}} in the URL's path, e.g. http://127.0.0.1:8000/items/{{id}}")
        }
        (None, true) => bail!("the URL has {{id}} in it: give the ids with --ids LO-HI"),
        (None, false) => Arc::new(ConstantRequest(RequestSpec { method, path, body })),
    };
    Ok(ScenarioPlan {
        name: "load".into(),
        executor,
        requests,
        request_timeout: args.timeout,
    })
}

/// A record as one JSON object: the request columns of the column table
/// (`analysis::columns`), keys sorted, the error as its name or null.
fn record_json(r: &RequestRecord) -> serde_json::Value {
    // Numbers and an optional enum: serialising cannot fail.
    serde_json::to_value(r).unwrap_or_default()
}

pub fn run(args: LoadArgs) -> anyhow::Result<()> {
    let (mut target, path) = parse_target(&args.url)?;
    let plan = plan(&args, path)?;
    if args.loadgen == LoadLoadgen::K6Summary && args.records.is_some() {
        bail!(
            "--records needs per-request records, which k6's summary does not have: use --loadgen k6 or native"
        );
    }
    let k6_path = || match &args.k6 {
        Some(p) => p.clone(),
        None => k6::find_k6(&std::env::current_dir().unwrap_or_default()),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    if let Some(pid) = netns_pid(&args, &rt)? {
        target.netns = Some(Arc::new(crate::netns::NetNs::open(pid)?));
    }
    let mut records_out = match &args.records {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot create the records file {}", p.display()))?,
        )),
        None => None,
    };
    let (outcome, summary) = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<Vec<RequestRecord>>(1024);
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = stop_tx.send(true);
            }
        });
        let collector = async {
            let mut summary = SummaryBuilder::new();
            while let Some(batch) = rx.recv().await {
                for r in &batch {
                    summary.add(r);
                    if let Some(out) = records_out.as_mut() {
                        writeln!(out, "{}", record_json(r)).context("cannot write a record")?;
                    }
                }
            }
            if let Some(out) = records_out.as_mut() {
                out.flush().context("cannot write the records file")?;
            }
            anyhow::Ok(summary)
        };
        let load = async {
            match args.loadgen {
                LoadLoadgen::Native => match args.workers {
                    Some(workers) => {
                        let options = LoadOptions { workers };
                        crate::load::run_scenario_with(&target, &plan, tx, stop_rx, options)
                            .await
                            .map(|o| (o, None))
                    }
                    None => crate::load::run_scenario(&target, &plan, tx, stop_rx)
                        .await
                        .map(|o| (o, None)),
                },
                LoadLoadgen::K6 => {
                    crate::load::run_scenario_k6(&k6_path(), &target, &plan, tx, stop_rx)
                        .await
                        .map(|o| (o, None))
                }
                LoadLoadgen::K6Summary => {
                    drop(tx); // no records
                    k6::run_scenario_k6_summary(&k6_path(), &target, &plan, stop_rx)
                        .await
                        .map(|(o, s)| (o, Some(s)))
                }
            }
        };
        let (outcome, summary) = tokio::join!(load, collector);
        anyhow::Ok((outcome?, summary?))
    })?;
    let report = match &outcome.1 {
        Some(k6_summary) => k6_summary.to_load_summary(&outcome.0),
        None => summary.finish(args.loadgen.name(), &outcome.0),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("cannot serialise the summary")?
        );
    } else {
        print!("{}", report.render());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_target_and_path() {
        let (t, p) = parse_target("http://127.0.0.1:8080/items/?x=1").unwrap();
        assert_eq!(t, Target::new("127.0.0.1", 8080));
        assert_eq!(p, "/items/?x=1");
        let (t, p) = parse_target("http://localhost").unwrap();
        assert_eq!((t.port, p.as_str()), (80, "/"));
        assert!(parse_target("https://x/").is_err());
        assert!(parse_target("not a url").is_err());
    }

    #[test]
    fn ids_vary_the_path_per_iteration_within_the_range() {
        assert_eq!(parse_ids("1-1500"), Ok((1, 1500)));
        assert!(parse_ids("1500-1").unwrap_err().contains("LO-HI"));
        assert!(parse_ids("x").is_err());
        let (_, path) = parse_target("http://127.0.0.1:1/items/{id}").unwrap();
        let source = IdRequests {
            method: Method::GET,
            path,
            body: None,
            lo: 1,
            hi: 1500,
        };
        use crate::load::RequestSource;
        let ids: Vec<u64> = (0..3000).map(|i| source.id(i)).collect();
        assert!(ids.iter().all(|id| (1..=1500).contains(id)));
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert!(
            distinct.len() > 1000,
            "spread over the range: {}",
            distinct.len()
        );
        assert_eq!(source.request(7).path, format!("/items/{}", source.id(7)));
        assert!(source.constant().is_none());
    }
}
