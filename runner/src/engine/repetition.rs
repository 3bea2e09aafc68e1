//! One repetition (§3.3): a fresh container → settle (the health check `GET /hello`
//! → 200 inside it; the settle period counts from the container's start) → warm-up →
//! idle → the scenarios with a pause between them → stop and remove the container.
//! Resources are read throughout ([`crate::sampler`]), tagged with the [`Phase`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use analysis::SampleColumns;
use analysis::precision;
use analysis::schema::{RepetitionStatus, RepetitionSummary, ResourceRecord, ScenarioSummary};
use bollard::Docker;
use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, watch};

use super::config::Loadgen;
use super::event::{Event, Observer, Phase};
use crate::campaign::{Campaign, Scenario, requests};
use crate::docker::{self, ServerContainer, ServerSpec};
use crate::load::{self, Target};
use crate::manifest::now_rfc3339;
use crate::netns::{NetNs, PathUsed};
use crate::profiler::Profiler;
use crate::record::{Live, spawn_collector};
use crate::sweep::{self, RampResult, RampSink, SweepSettings};

/// Why a repetition stopped before its end.
enum Halt {
    /// Ctrl-C / SIGTERM, or the container exited (told apart by the caller).
    Stopped,
    Failed(String),
}

/// Everything a repetition needs.
pub(super) struct Session {
    pub docker: Docker,
    pub campaign: Campaign,
    pub run_id: String,
    pub loadgen: Loadgen,
    pub k6: PathBuf,
    pub publish_ip: String,
    pub target_host: String,
    /// netns or published-port (decided once per run, recorded in the manifest).
    pub path: PathUsed,
    pub observer: Arc<dyn Observer>,
    /// The counters the load phases add to.
    pub live: Arc<Live>,
    /// Turns true on Ctrl-C / SIGTERM.
    pub stop: watch::Receiver<bool>,
    /// `run --profile`: the profiler and the run folder its files go to.
    pub profiling: Option<Profiling>,
}

/// The profiled repetition's profiler ([`crate::profiler`]).
pub(super) struct Profiling {
    pub profiler: Profiler,
    /// The run folder (`profiles/<stack>/<scenario>.txt` goes under it).
    pub run_dir: PathBuf,
}

/// What a repetition measures after its warm-up and idle period.
pub(super) enum Measure<'a> {
    /// The campaign's scenarios, in order.
    Campaign,
    /// A capacity sweep ([`crate::sweep::ramp`]); its result lands in `result`.
    Sweep {
        settings: &'a SweepSettings,
        result: &'a mut RampResult,
    },
}

/// What a repetition deploys, and the name it records under.
pub(super) struct Deploy {
    /// The name of its samples, resource readings and manifest entry: the stack, or a
    /// peak grid point's `<stack>@<label>` ([`analysis::peak::point_name`]).
    pub name: String,
    /// The stack whose image runs.
    pub stack: String,
    pub workers: u32,
    pub threads: u32,
    /// `SERVER_COMMAND` instead of the image's own.
    pub command: Option<String>,
    /// The grid point's label, for the container's name.
    pub point: Option<String>,
}

/// What one repetition produced.
pub(super) struct RepetitionResult {
    pub summary: RepetitionSummary,
    pub samples: SampleColumns,
    pub resources: Vec<ResourceRecord>,
}

/// Sleep, unless `stop` turns true first.
async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> Result<(), Halt> {
    if d.is_zero() {
        return Ok(());
    }
    tokio::select! {
        () = tokio::time::sleep(d) => Ok(()),
        _ = stop.wait_for(|&s| s) => Err(Halt::Stopped),
    }
}

/// One `GET /hello` on a fresh connection: its status, or why there was none.
/// The connection is made as the generator's are ([`load::conn::tcp_connect`]),
/// so it takes the same path.
async fn hello_status(target: &Target) -> Result<u16, String> {
    let endpoint = target.endpoint().await.map_err(|e| e.to_string())?;
    let stream = load::conn::tcp_connect(&endpoint)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let conn = tokio::spawn(conn);
    let req = hyper::Request::get("/hello")
        .header(
            hyper::header::HOST,
            format!("{}:{}", target.host, target.port),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("request: {e}"));
    conn.abort();
    Ok(res?.status().as_u16())
}

/// Poll `GET /hello` until it answers 200, the timeout passes or `stop` turns true.
async fn wait_healthy(
    target: &Target,
    timeout: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Result<Duration, Halt> {
    let start = Instant::now();
    loop {
        // Each attempt ends by the deadline: an answer after it is a timeout too.
        let attempt = Duration::from_secs(2).min(timeout.saturating_sub(start.elapsed()));
        let last = match tokio::time::timeout(attempt, hello_status(target)).await {
            Ok(Ok(200)) => return Ok(start.elapsed()),
            Ok(Ok(code)) => format!("status {code}"),
            Ok(Err(e)) => e,
            Err(_) => format!("no answer within {} ms", attempt.as_millis()),
        };
        if start.elapsed() >= timeout {
            return Err(Halt::Failed(format!(
                "health timeout: GET /hello did not answer 200 within {:.0} s (last: {last}); see the stack's logs or raise health_timeout",
                timeout.as_secs_f64()
            )));
        }
        pause(Duration::from_millis(100), stop).await?;
    }
}

impl Session {
    /// A phase begins: the live counters start over.
    fn phase(&self, header: &str, phase: Phase, length: Option<Duration>, iterations: Option<u64>) {
        self.live.reset();
        self.observer.event(&Event::PhaseStarted {
            header: header.to_string(),
            phase,
            length,
            iterations,
        });
    }

    /// The stack deployed as the campaign's `[server]` says, under its own name.
    pub(super) fn deploy(&self, stack: &str) -> Deploy {
        Deploy {
            name: stack.to_string(),
            stack: stack.to_string(),
            workers: self.campaign.server.workers,
            threads: self.campaign.server.threads,
            command: None,
            point: None,
        }
    }

    pub(super) async fn repetition(&self, stack: &str, rep: u32) -> RepetitionResult {
        self.repetition_measuring(&self.deploy(stack), rep, Measure::Campaign)
            .await
    }

    /// A repetition of `deploy` whose measured part is `measure`.
    pub(super) async fn repetition_measuring(
        &self,
        deploy: &Deploy,
        rep: u32,
        measure: Measure<'_>,
    ) -> RepetitionResult {
        let stack = deploy.name.as_str();
        let started_at = now_rfc3339();
        let mut summary = RepetitionSummary {
            stack: stack.to_string(),
            repetition: rep,
            status: RepetitionStatus::Ok,
            cause: None,
            started_at,
            ended_at: String::new(),
            scenarios: Vec::new(),
            image_id: String::new(),
            profiled: self.profiled(rep),
        };
        let mut samples = SampleColumns::default();
        let spec = ServerSpec {
            stack: deploy.stack.clone(),
            run_id: self.run_id.clone(),
            repetition: rep,
            workers: deploy.workers,
            threads: deploy.threads,
            command: deploy.command.clone(),
            point: deploy.point.clone(),
            memory_limit_bytes: self.campaign.server.memory_limit_bytes,
            pids_limit: self.campaign.server.pids_limit,
            cpuset: self.campaign.server.cpuset.clone(),
            database_path: self.campaign.database_path.clone(),
            publish_ip: self.publish_ip.clone(),
            publish: self.path == PathUsed::PublishedPort,
        };
        let header = format!("{stack} r{rep}/{}", self.campaign.planned_rounds());
        self.observer.event(&Event::RepetitionStarted {
            stack: stack.to_string(),
            repetition: rep,
        });
        self.phase(&header, Phase::Start, None, None);
        let container = match ServerContainer::start(&self.docker, &spec).await {
            Ok(c) => c,
            Err(e) => {
                summary.status = RepetitionStatus::Failed;
                summary.cause = Some(format!("{e:#}"));
                summary.ended_at = now_rfc3339();
                return RepetitionResult {
                    summary,
                    samples,
                    resources: Vec::new(),
                };
            }
        };
        summary.image_id = container.image_id.clone();

        // The phase the resource readings are tagged with.
        let (phase_tx, phase_rx) = watch::channel(Phase::Settle.tag().to_string());
        let (stats_stop_tx, stats_stop_rx) = watch::channel(false);
        let stats = tokio::spawn(crate::sampler::collect_resources(
            self.docker.clone(),
            container.id.clone(),
            container.pid,
            // No published port (the netns path): no docker-proxy to account for.
            container.host_port.unwrap_or(0),
            stack.to_string(),
            rep,
            container.started,
            phase_rx,
            stats_stop_rx,
        ));
        // This repetition stops on Ctrl-C or when its container exits.
        let (rep_stop_tx, rep_stop) = watch::channel(false);
        let (exit_tx, exit_rx) = tokio::sync::oneshot::channel::<i64>();
        let exited = container.exited();
        let mut global_stop = self.stop.clone();
        let watcher = tokio::spawn(async move {
            tokio::select! {
                code = exited => { let _ = exit_tx.send(code); }
                _ = global_stop.wait_for(|&s| s) => {}
            }
            let _ = rep_stop_tx.send(true);
        });

        let target = match (self.path, container.host_port) {
            (PathUsed::PublishedPort, Some(port)) => {
                Ok(Target::new(self.target_host.clone(), port))
            }
            (PathUsed::PublishedPort, None) => {
                Err(Halt::Failed("the container has no published port".into()))
            }
            (PathUsed::Netns, _) => match NetNs::open(container.pid) {
                Ok(ns) => Ok(Target::inside(Arc::new(ns), docker::SERVER_PORT)),
                // A container that exited at once has no namespace left: say that
                // it exited (with its code and log), not that /proc lacks it.
                Err(e) => {
                    let mut exited = rep_stop.clone();
                    let wait = exited.wait_for(|&s| s);
                    match tokio::time::timeout(Duration::from_secs(2), wait).await {
                        Ok(Ok(_)) => Err(Halt::Stopped),
                        _ => Err(Halt::Failed(e.to_string())),
                    }
                }
            },
        };
        let outcome = match target {
            Err(halt) => Err(halt),
            Ok(target) => {
                self.phases(
                    stack,
                    rep,
                    &header,
                    &container,
                    &target,
                    &phase_tx,
                    rep_stop,
                    &mut samples,
                    &mut summary,
                    measure,
                )
                .await
            }
        };
        watcher.abort();
        let _ = stats_stop_tx.send(true);
        let resources = stats.await.unwrap_or_default();
        let phase = phase_tx.borrow().clone();
        let exit_code = exit_rx.await.ok();
        let last_log = if exit_code.is_some() {
            container.log_tail(20).await
        } else {
            String::new()
        };
        if let Err(e) = container.remove().await {
            self.observer.event(&Event::Warning(format!(
                "{e:#} (the end-of-run sweep retries)"
            )));
        }
        match outcome {
            Ok(()) => {}
            Err(_) if *self.stop.borrow() => {
                summary.status = RepetitionStatus::Interrupted;
                summary.cause = Some(format!("interrupted (SIGINT/SIGTERM) during {phase}"));
            }
            Err(Halt::Stopped) => {
                summary.status = RepetitionStatus::Failed;
                let code = exit_code.map_or_else(|| "?".into(), |c| c.to_string());
                let tail = if last_log.is_empty() {
                    String::new()
                } else {
                    format!(": {last_log}")
                };
                summary.cause = Some(format!(
                    "the container exited with code {code} during {phase}{tail}"
                ));
            }
            Err(Halt::Failed(why)) => {
                summary.status = RepetitionStatus::Failed;
                summary.cause = Some(why);
            }
        }
        summary.ended_at = now_rfc3339();
        RepetitionResult {
            summary,
            samples,
            resources,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn phases(
        &self,
        stack: &str,
        rep: u32,
        header: &str,
        container: &ServerContainer,
        target: &Target,
        phase: &watch::Sender<String>,
        mut stop: watch::Receiver<bool>,
        samples: &mut SampleColumns,
        summary: &mut RepetitionSummary,
        measure: Measure<'_>,
    ) -> Result<(), Halt> {
        let c = &self.campaign;
        let stack_idx = SampleColumns::intern(&mut samples.stacks, stack);
        self.phase(header, Phase::Settle, Some(c.settle.0), None);
        wait_healthy(target, c.health_timeout.0, &mut stop).await?;
        pause(
            c.settle.0.saturating_sub(container.started.elapsed()),
            &mut stop,
        )
        .await?;
        for w in &c.warmup {
            let warmup = Phase::Warmup(w.name.clone());
            let _ = phase.send(warmup.tag().into());
            self.scenario(
                header, warmup, target, w, stack_idx, rep, &stop, samples, summary,
            )
            .await?;
        }
        let _ = phase.send(Phase::Idle.tag().into());
        self.phase(header, Phase::Idle, Some(c.idle.0), None);
        pause(c.idle.0, &mut stop).await?;
        if let Measure::Sweep { settings, result } = measure {
            let ramp = self
                .sweep(
                    header, target, phase, stack_idx, rep, &stop, samples, settings,
                )
                .await?;
            summary.scenarios.extend(ramp.scenarios.iter().cloned());
            let interrupted = ramp.interrupted;
            *result = ramp;
            return if interrupted {
                Err(Halt::Stopped)
            } else {
                Ok(())
            };
        }
        for (i, s) in c.scenarios.iter().enumerate() {
            if i > 0 {
                let _ = phase.send(Phase::Pause.tag().into());
                self.phase(header, Phase::Pause, Some(c.pause.0), None);
                pause(c.pause.0, &mut stop).await?;
            }
            let measured = Phase::Scenario(s.name.clone());
            let _ = phase.send(measured.tag().into());
            let recording = match self.profiling.as_ref().filter(|_| summary.profiled) {
                None => None,
                Some(p) => {
                    let file = analysis::schema::profile_file(stack, &s.name)
                        .map_err(|e| Halt::Failed(format!("profile: {e}")))?;
                    let out = p.run_dir.join(file);
                    let rec = p
                        .profiler
                        .record(container.pid, &out)
                        .await
                        .map_err(|e| Halt::Failed(format!("{e:#}")))?;
                    Some(rec)
                }
            };
            let result = self
                .scenario(
                    header, measured, target, s, stack_idx, rep, &stop, samples, summary,
                )
                .await;
            if let Some(rec) = recording {
                let stopped = rec.stop().await;
                result?;
                stopped.map_err(|e| Halt::Failed(format!("profile of {}: {e:#}", s.name)))?;
            } else {
                result?;
            }
        }
        Ok(())
    }

    /// Is repetition `rep` the profiled one?
    fn profiled(&self, rep: u32) -> bool {
        self.profiling.is_some() && rep == analysis::schema::PROFILED_REPETITION
    }

    /// The sweep's steps on `target`, each step a phase of its own.
    #[allow(clippy::too_many_arguments)]
    async fn sweep(
        &self,
        header: &str,
        target: &Target,
        phase: &watch::Sender<String>,
        stack_idx: u16,
        rep: u32,
        stop: &watch::Receiver<bool>,
        samples: &mut SampleColumns,
        settings: &SweepSettings,
    ) -> Result<RampResult, Halt> {
        let observer = Arc::clone(&self.observer);
        let request = settings.request.as_str();
        let mut on_step = |rate: u32, point: Option<&analysis::capacity::Point>| {
            let name = analysis::capacity::step_name(request, rate);
            match point {
                None => {
                    let step = Phase::Scenario(name);
                    let _ = phase.send(step.tag().into());
                    observer.event(&Event::PhaseStarted {
                        header: header.to_string(),
                        phase: step,
                        length: Some(settings.step),
                        iterations: None,
                    });
                }
                Some(p) => observer.event(&Event::SweepStep {
                    header: header.to_string(),
                    scenario: name,
                    point: p.clone(),
                    passes: p.passes(&settings.slo),
                }),
            }
        };
        let sink = RampSink {
            samples,
            stack: stack_idx,
            repetition: rep,
            live: Arc::clone(&self.live),
            on_step: &mut on_step,
        };
        sweep::ramp(target, &self.campaign, settings, sink, stop.clone())
            .await
            .map_err(|e| Halt::Failed(format!("sweep: {e}")))
    }

    /// Run one scenario, collecting its samples into `samples` and its summary into `summary`.
    #[allow(clippy::too_many_arguments)]
    async fn scenario(
        &self,
        header: &str,
        phase: Phase,
        target: &Target,
        scenario: &Scenario,
        stack_idx: u16,
        rep: u32,
        stop: &watch::Receiver<bool>,
        samples: &mut SampleColumns,
        summary: &mut RepetitionSummary,
    ) -> Result<(), Halt> {
        let plan = requests::plan(&self.campaign, scenario);
        let scenario_idx = SampleColumns::intern(&mut samples.scenarios, &scenario.name);
        let (tx, rx) = mpsc::channel(256);
        let live = Arc::clone(&self.live);
        self.phase(
            header,
            phase,
            Some(scenario.executor.max_duration()),
            scenario.executor.iterations(),
        );
        let collector = spawn_collector(
            rx,
            std::mem::take(samples),
            stack_idx,
            rep,
            scenario_idx,
            live,
        );
        let outcome = match self.loadgen {
            Loadgen::Native => load::run_scenario(target, &plan, tx, stop.clone()).await,
            Loadgen::K6 => load::run_scenario_k6(&self.k6, target, &plan, tx, stop.clone()).await,
        };
        *samples = collector.await.map_err(|e| {
            Halt::Failed(format!(
                "the sample collector of {} failed: {e}",
                scenario.name
            ))
        })?;
        let outcome =
            outcome.map_err(|e| Halt::Failed(format!("scenario {}: {e}", scenario.name)))?;
        summary.scenarios.push(ScenarioSummary {
            scenario: scenario.name.clone(),
            started_at_unix_ns: outcome.started_at_unix_ns,
            active_ns: outcome.active_ns,
            requests: outcome.requests,
            errors: outcome.errors,
            timed_out: outcome.timed_out,
            dropped_iterations: outcome.dropped_iterations,
            latency_mean_ms: precision::ok_latency_mean_ms(samples, scenario_idx),
        });
        self.observer.event(&Event::ScenarioFinished {
            header: header.to_string(),
            scenario: scenario.name.clone(),
            requests: outcome.requests,
            errors: outcome.errors,
            active_ns: outcome.active_ns,
            timed_out: outcome.timed_out,
        });
        if *stop.borrow() {
            return Err(Halt::Stopped);
        }
        Ok(())
    }
}
