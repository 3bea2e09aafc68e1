//! The executors on worker threads (see the module doc of [`super`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hyper::header::HeaderValue;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::conn::{Client, Endpoint, Exchange, Prepared, deadline};
use super::{
    BATCH, ErrorKind, Executor, FLUSH_EVERY, GRACEFUL_STOP, LoadError, LoadOptions, RequestRecord,
    RequestSource, ScenarioOutcome, ScenarioPlan, Target,
};

/// What every VU of a scenario shares.
struct Shared {
    addr: Endpoint,
    host: HeaderValue,
    t0: Instant,
    timeout: Duration,
    source: Arc<dyn RequestSource>,
    constant: Option<Prepared>,
    next_iteration: AtomicU64,
    stopping: AtomicBool,
}

impl Shared {
    fn ns(&self, t: Instant) -> i64 {
        t.saturating_duration_since(self.t0).as_nanos() as i64
    }

    /// The request of `iteration`: the pre-built one, or built now.
    fn prepared(&self, iteration: u64) -> Result<std::borrow::Cow<'_, Prepared>, ()> {
        match &self.constant {
            Some(p) => Ok(std::borrow::Cow::Borrowed(p)),
            None => Prepared::new(&self.source.request(iteration))
                .map(std::borrow::Cow::Owned)
                .map_err(|why| tracing::error!("iteration {iteration}: {why}")),
        }
    }
}

/// Per-VU tallies, summed when the VU ends.
#[derive(Default)]
struct Tally {
    requests: u64,
    errors: u64,
    last_end_ns: i64,
}

/// A VU's record batch and the channel it goes to.
struct Batcher {
    tx: mpsc::Sender<Vec<RequestRecord>>,
    batch: Vec<RequestRecord>,
    last_flush: Instant,
    tally: Tally,
}

impl Batcher {
    fn new(tx: mpsc::Sender<Vec<RequestRecord>>, now: Instant) -> Self {
        Batcher {
            tx,
            batch: Vec::with_capacity(BATCH),
            last_flush: now,
            tally: Tally::default(),
        }
    }

    async fn push(&mut self, record: RequestRecord, now: Instant) -> Result<(), LoadError> {
        self.tally.requests += 1;
        self.tally.errors += u64::from(record.error.is_some());
        self.tally.last_end_ns = self.tally.last_end_ns.max(record.end_ns);
        self.batch.push(record);
        if self.batch.len() >= BATCH || now.duration_since(self.last_flush) >= FLUSH_EVERY {
            self.last_flush = now;
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), LoadError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx
            .send(full)
            .await
            .map_err(|_| LoadError::CollectorGone)
    }
}

/// One request of one iteration, recorded.
async fn iterate(
    shared: &Shared,
    client: &mut Client,
    vu: u32,
    iteration: u64,
    scheduled_ns: Option<i64>,
    start: Instant,
    hard_stop: Instant,
) -> (RequestRecord, Instant) {
    let start_ns = shared.ns(start);
    let ex = match shared.prepared(iteration) {
        Ok(prepared) => {
            client
                .request(&prepared, start, deadline(start, shared.timeout, hard_stop))
                .await
        }
        Err(()) => Exchange::failed(start, ErrorKind::Protocol),
    };
    let record = RequestRecord {
        vu,
        iteration,
        scheduled_ns: scheduled_ns.unwrap_or(start_ns),
        start_ns,
        end_ns: shared.ns(ex.end),
        latency_ns: ex.latency_ns,
        ttfb_ns: ex.ttfb_ns,
        connect_ns: ex.connect_ns,
        status: ex.status,
        bytes_in: ex.bytes_in,
        bytes_out: ex.bytes_out,
        error: ex.error,
    };
    (record, ex.end)
}

/// First pause after a refused (or otherwise failed) connect.
pub(super) const BACKOFF_MIN: Duration = Duration::from_millis(1);
/// Longest pause between two connect attempts of one VU.
pub(super) const BACKOFF_MAX: Duration = Duration::from_millis(100);

/// A VU's back-off after failed connects, as a client would do it: the VU waits
/// 1 ms after the first failed connect, then twice as long after each further one
/// (up to 100 ms), and starts over after any request that got a connection.
/// Every attempt is still a record (error `connect`).
#[derive(Debug, Default)]
struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    /// The pause owed after this record, if any.
    fn after(&mut self, record: &RequestRecord) -> Option<Duration> {
        if record.error != Some(ErrorKind::Connect) {
            self.next = None;
            return None;
        }
        let pause = self.next.unwrap_or(BACKOFF_MIN);
        self.next = Some((pause * 2).min(BACKOFF_MAX));
        Some(pause)
    }
}

/// Sleep `pause` after a failed connect, cut short at `end` or when the scenario stops.
async fn back_off(shared: &Shared, pause: Duration, end: Instant) -> Instant {
    let until = (Instant::now() + pause).min(end);
    // Poll the stop flag at least every 10 ms, so Ctrl-C stays prompt.
    loop {
        let now = Instant::now();
        if now >= until || shared.stopping.load(Relaxed) {
            return now;
        }
        tokio::time::sleep((until - now).min(Duration::from_millis(10))).await;
    }
}

/// A closed-model VU: `constant-vus` (no iteration limit) or `shared-iterations`.
async fn closed_vu(
    shared: Arc<Shared>,
    vu: u32,
    tx: mpsc::Sender<Vec<RequestRecord>>,
    end: Instant,
    iterations: Option<u64>,
) -> Result<Tally, LoadError> {
    let mut client = Client::new(shared.addr.clone(), shared.host.clone(), shared.t0);
    let mut now = Instant::now();
    let mut out = Batcher::new(tx, now);
    let hard_stop = end + GRACEFUL_STOP;
    let mut backoff = Backoff::default();
    while now < end && !shared.stopping.load(Relaxed) {
        let iteration = shared.next_iteration.fetch_add(1, Relaxed);
        if iterations.is_some_and(|m| iteration >= m) {
            break;
        }
        let (record, done) =
            iterate(&shared, &mut client, vu, iteration, None, now, hard_stop).await;
        now = done;
        let pause = backoff.after(&record);
        out.push(record, now).await?;
        if let Some(pause) = pause {
            now = back_off(&shared, pause, end).await;
        }
    }
    out.flush().await?;
    Ok(out.tally)
}

/// An open-model VU: runs the iterations the scheduler hands it, then reports idle.
async fn open_vu(
    shared: Arc<Shared>,
    vu: u32,
    tx: mpsc::Sender<Vec<RequestRecord>>,
    mut jobs: mpsc::Receiver<(u64, i64)>,
    idle: mpsc::UnboundedSender<u32>,
    hard_stop: Instant,
) -> Result<Tally, LoadError> {
    let mut client = Client::new(shared.addr.clone(), shared.host.clone(), shared.t0);
    let mut out = Batcher::new(tx, Instant::now());
    let mut backoff = Backoff::default();
    while let Some((iteration, scheduled_ns)) = jobs.recv().await {
        let start = Instant::now();
        let (record, done) = iterate(
            &shared,
            &mut client,
            vu,
            iteration,
            Some(scheduled_ns),
            start,
            hard_stop,
        )
        .await;
        let pause = backoff.after(&record);
        out.push(record, done).await?;
        if let Some(pause) = pause {
            // Busy while backing off: the scheduler counts the iterations it
            // could not hand out as dropped, as for a VU busy with a request.
            back_off(&shared, pause, hard_stop).await;
        }
        // The scheduler may be gone (scenario over): then nobody needs us idle.
        let _ = idle.send(vu);
    }
    out.flush().await?;
    Ok(out.tally)
}

/// Worker threads, each a current-thread tokio runtime parked on a shutdown signal.
struct Workers {
    handles: Vec<Handle>,
    shutdown: Vec<oneshot::Sender<()>>,
}

impl Workers {
    fn start(n: usize) -> Result<Self, LoadError> {
        let mut handles = Vec::with_capacity(n);
        let mut shutdown = Vec::with_capacity(n);
        for w in 0..n {
            let (handle_tx, handle_rx) = std::sync::mpsc::channel();
            let (stop_tx, stop_rx) = oneshot::channel::<()>();
            std::thread::Builder::new()
                .name(format!("load-worker-{w}"))
                .spawn(move || {
                    let rt = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt,
                        Err(e) => {
                            let _ = handle_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = handle_tx.send(Ok(rt.handle().clone()));
                    rt.block_on(async {
                        let _ = stop_rx.await;
                    });
                })
                .map_err(LoadError::Worker)?;
            let handle = handle_rx
                .recv()
                .map_err(|_| LoadError::WorkerPanicked)?
                .map_err(LoadError::Worker)?;
            handles.push(handle);
            shutdown.push(stop_tx);
        }
        Ok(Workers { handles, shutdown })
    }

    fn spawn<F>(&self, vu: u32, fut: F) -> JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handles[vu as usize % self.handles.len()].spawn(fut)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for s in self.shutdown.drain(..) {
            let _ = s.send(());
        }
    }
}

async fn join_all(tasks: Vec<JoinHandle<Result<Tally, LoadError>>>) -> Result<Tally, LoadError> {
    let mut sum = Tally::default();
    let mut first_err = None;
    for t in tasks {
        match t.await {
            Ok(Ok(tally)) => {
                sum.requests += tally.requests;
                sum.errors += tally.errors;
                sum.last_end_ns = sum.last_end_ns.max(tally.last_end_ns);
            }
            Ok(Err(e)) => {
                first_err.get_or_insert(e);
            }
            Err(_) => {
                first_err.get_or_insert(LoadError::WorkerPanicked);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(sum),
    }
}

pub(super) async fn run(
    addr: Endpoint,
    target: &Target,
    plan: &ScenarioPlan,
    tx: mpsc::Sender<Vec<RequestRecord>>,
    mut stop: watch::Receiver<bool>,
    options: LoadOptions,
) -> Result<ScenarioOutcome, LoadError> {
    let constant = match plan.requests.constant() {
        Some(spec) => Some(Prepared::new(&spec).map_err(LoadError::Plan)?),
        None => {
            // Fail fast on a malformed source rather than on every iteration.
            Prepared::new(&plan.requests.request(0)).map_err(LoadError::Plan)?;
            None
        }
    };
    let max_vus = match plan.executor {
        Executor::ConstantVus { vus, .. } | Executor::SharedIterations { vus, .. } => vus,
        Executor::ConstantArrivalRate { max_vus, .. } => max_vus,
    };
    let workers = Workers::start(options.workers.clamp(1, max_vus as usize))?;

    let started_at_unix_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let t0 = Instant::now();
    let shared = Arc::new(Shared {
        addr,
        host: Client::host_header(&target.host, target.port),
        t0,
        timeout: plan.request_timeout,
        source: plan.requests.clone(),
        constant,
        next_iteration: AtomicU64::new(0),
        stopping: AtomicBool::new(*stop.borrow()),
    });

    // Ctrl-C: flag it for the VUs; the arrival-rate scheduler also watches `stop`.
    let watcher = {
        let shared = shared.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            while stop.changed().await.is_ok() {
                if *stop.borrow() {
                    shared.stopping.store(true, Relaxed);
                    return;
                }
            }
        })
    };

    let mut dropped = 0u64;
    let mut target_iterations = None;
    let tally = match plan.executor {
        Executor::ConstantVus { vus, duration } => {
            let end = t0 + duration;
            let tasks = (0..vus)
                .map(|vu| workers.spawn(vu, closed_vu(shared.clone(), vu, tx.clone(), end, None)))
                .collect();
            join_all(tasks).await
        }
        Executor::SharedIterations {
            vus,
            iterations,
            max_duration,
        } => {
            target_iterations = Some(iterations);
            let end = t0 + max_duration;
            let tasks = (0..vus)
                .map(|vu| {
                    workers.spawn(
                        vu,
                        closed_vu(shared.clone(), vu, tx.clone(), end, Some(iterations)),
                    )
                })
                .collect();
            join_all(tasks).await
        }
        Executor::ConstantArrivalRate {
            rate,
            time_unit,
            duration,
            pre_allocated_vus,
            max_vus,
        } => {
            let hard_stop = t0 + duration + GRACEFUL_STOP;
            let (idle_tx, mut idle_rx) = mpsc::unbounded_channel::<u32>();
            let mut jobs: Vec<mpsc::Sender<(u64, i64)>> = Vec::new();
            let mut tasks = Vec::new();
            let mut add_vu = |jobs: &mut Vec<mpsc::Sender<(u64, i64)>>| {
                let vu = jobs.len() as u32;
                let (job_tx, job_rx) = mpsc::channel(1);
                jobs.push(job_tx);
                tasks.push(workers.spawn(
                    vu,
                    open_vu(
                        shared.clone(),
                        vu,
                        tx.clone(),
                        job_rx,
                        idle_tx.clone(),
                        hard_stop,
                    ),
                ));
                vu
            };
            let mut free: Vec<u32> = (0..pre_allocated_vus)
                .map(|_| add_vu(&mut jobs))
                .rev()
                .collect();
            let unit_ns = time_unit.as_nanos();
            let duration_ns = duration.as_nanos();
            for i in 0u64.. {
                // Iteration i is due at i·time_unit/rate (k6 constant_arrival_rate.go:
                // `notScaledTickerPeriod * gi`), exact in integer ns, no drift.
                let due_ns = u128::from(i) * unit_ns / u128::from(rate);
                if due_ns >= duration_ns || shared.stopping.load(Relaxed) {
                    break;
                }
                let due = t0 + Duration::from_nanos(due_ns as u64);
                if due > Instant::now() {
                    tokio::select! {
                        () = tokio::time::sleep_until(due.into()) => {}
                        () = super::stopped(&mut stop) => break,
                    }
                }
                while let Ok(vu) = idle_rx.try_recv() {
                    free.push(vu);
                }
                match free.pop() {
                    Some(vu) => {
                        // Capacity 1 and the VU is idle, so this never waits.
                        if jobs[vu as usize].send((i, due_ns as i64)).await.is_err() {
                            break; // the VU ended early: its error is in its task result
                        }
                    }
                    None => {
                        // k6: no free VU → the iteration is dropped, and one more VU is
                        // started (if below maxVUs) for the iterations to come.
                        dropped += 1;
                        if (jobs.len() as u32) < max_vus {
                            free.push(add_vu(&mut jobs));
                        }
                    }
                }
            }
            drop(jobs); // VUs finish their iteration in flight and end
            join_all(tasks).await
        }
    };
    watcher.abort();
    drop(workers);
    let tally = tally?;
    let stopped = shared.stopping.load(Relaxed);
    Ok(ScenarioOutcome {
        started_at_unix_ns,
        active_ns: tally.last_end_ns,
        requests: tally.requests,
        errors: tally.errors,
        timed_out: target_iterations.is_some_and(|m| tally.requests < m && !stopped),
        dropped_iterations: dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(error: Option<ErrorKind>) -> RequestRecord {
        RequestRecord {
            vu: 0,
            iteration: 0,
            scheduled_ns: 0,
            start_ns: 0,
            end_ns: 0,
            latency_ns: 0,
            ttfb_ns: 0,
            connect_ns: 0,
            status: 0,
            bytes_in: 0,
            bytes_out: 0,
            error,
        }
    }

    #[test]
    fn backoff_doubles_from_1_ms_to_100_ms_and_resets_on_a_connection() {
        let mut b = Backoff::default();
        let refused = record(Some(ErrorKind::Connect));
        let pauses: Vec<u64> = (0..10)
            .map(|_| b.after(&refused).unwrap().as_millis() as u64)
            .collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 64, 100, 100, 100]);
        // A request that reached the server (even a failed one) ends the back-off.
        assert_eq!(b.after(&record(Some(ErrorKind::HttpStatus))), None);
        assert_eq!(b.after(&refused), Some(BACKOFF_MIN));
        assert_eq!(b.after(&record(None)), None);
        assert_eq!(b.after(&refused), Some(BACKOFF_MIN));
    }
}
