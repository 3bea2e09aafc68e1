//! What the engine reports while it works, to any [`Observer`]: the progress
//! display ([`crate::progress::Progress`]), plain log lines, a test's collector.
//! Events carry facts; [`Event::line`] gives the log line each one stands for.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use analysis::precision::{Check, PrecisionRule, StopReason};
use analysis::schema::RepetitionStatus;

use super::precision_text::{precision_line, precision_status};
use crate::record::Live;

/// A phase of a repetition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The container is being made.
    Start,
    /// The health check and the settle period.
    Settle,
    /// A warm-up scenario.
    Warmup(String),
    Idle,
    /// The pause between two scenarios.
    Pause,
    /// A measured scenario.
    Scenario(String),
}

impl Phase {
    /// The tag resource readings taken in this phase carry (`resources.parquet`'s
    /// `phase` column): warm-up scenarios share `warmup`.
    pub fn tag(&self) -> &str {
        match self {
            Phase::Start | Phase::Settle => "settle",
            Phase::Warmup(_) => "warmup",
            Phase::Idle => "idle",
            Phase::Pause => "pause",
            Phase::Scenario(name) => name,
        }
    }

    /// The name on display.
    pub fn label(&self) -> &str {
        match self {
            Phase::Start => "start",
            Phase::Settle => "settle",
            Phase::Warmup(name) | Phase::Scenario(name) => name,
            Phase::Idle => "idle",
            Phase::Pause => "pause",
        }
    }

    /// Does load run in it (live counters apply)?
    pub fn is_load(&self) -> bool {
        matches!(self, Phase::Warmup(_) | Phase::Scenario(_))
    }
}

/// One thing that happened in a run.
#[derive(Clone, Debug)]
pub enum Event {
    /// The run begins (after the preflight).
    RunStarted {
        run_id: String,
        dir: PathBuf,
        campaign: String,
        stacks: usize,
        /// "5 repetitions", or a precision run's bounds and target.
        repetitions: String,
        loadgen: String,
        path: String,
    },
    /// The contract gate passed (preflight): `checked` by the suite now, `cached`
    /// passed before with the same image id and suite (kept in `cache`).
    ContractChecked {
        checked: Vec<String>,
        cached: Vec<String>,
        took: Duration,
        cache: Option<PathBuf>,
    },
    /// A stack's image is there (preflight).
    ImageChecked {
        stack: String,
    },
    /// Done in an earlier attempt of this run.
    RepetitionSkipped {
        stack: String,
        repetition: u32,
    },
    RepetitionStarted {
        stack: String,
        repetition: u32,
    },
    /// A phase of a repetition begins; `header` is e.g. `flask-sqlite3 r2/5`.
    PhaseStarted {
        header: String,
        phase: Phase,
        /// Fixed length (a sleep, constant-vus), if any.
        length: Option<Duration>,
        /// Fixed iteration count (shared-iterations), if any.
        iterations: Option<u64>,
    },
    ScenarioFinished {
        header: String,
        scenario: String,
        requests: u64,
        errors: u64,
        /// Time under load, in nanoseconds.
        active_ns: i64,
        timed_out: bool,
    },
    /// A step of a capacity sweep measured (`pywebbench sweep`).
    SweepStep {
        header: String,
        scenario: String,
        point: analysis::capacity::Point,
        /// The step met the SLO.
        passes: bool,
    },
    RepetitionFinished {
        stack: String,
        repetition: u32,
        status: RepetitionStatus,
        cause: Option<String>,
    },
    /// A precision run's stopping rule after a round.
    RoundChecked {
        rule: PrecisionRule,
        check: Check,
        /// Time a round takes at this process's pace, once known.
        per_round: Option<Duration>,
    },
    PrecisionStopped {
        round: u32,
        reason: StopReason,
    },
    /// Something the user should see even with `--quiet`.
    Warning(String),
    /// The loop is over (the end-of-run report follows).
    RunFinished,
}

impl Event {
    /// The log line this event stands for, if any (warnings: without `warning: `).
    pub fn line(&self) -> Option<String> {
        Some(match self {
            Event::RunStarted {
                run_id,
                dir,
                campaign,
                stacks,
                repetitions,
                loadgen,
                path,
            } => format!(
                "run {run_id} → {} ({stacks} stacks × {repetitions} in interleaved rounds, campaign `{campaign}`, loadgen {loadgen}, path {path})",
                dir.display()
            ),
            Event::RepetitionSkipped { stack, repetition } => {
                format!("{stack} r{repetition}: done in an earlier attempt, skipped")
            }
            Event::PhaseStarted {
                header,
                phase,
                length,
                iterations,
            } => {
                let what = match (iterations, length) {
                    (Some(n), _) => format!(" ({n} iterations)"),
                    (None, Some(d)) => format!(" ({:.1} s)", d.as_secs_f64()),
                    _ => String::new(),
                };
                format!("{header} {}{what}", phase.label())
            }
            Event::ScenarioFinished {
                header,
                scenario,
                requests,
                errors,
                active_ns,
                timed_out,
            } => {
                let secs = *active_ns as f64 / 1e9;
                format!(
                    "{header} {scenario}: {requests} requests in {secs:.2} s = {:.1} req/s, {errors} errors{}",
                    if secs > 0.0 {
                        *requests as f64 / secs
                    } else {
                        0.0
                    },
                    if *timed_out {
                        " (hit max_duration)"
                    } else {
                        ""
                    }
                )
            }
            Event::SweepStep {
                header,
                scenario,
                point,
                passes,
            } => {
                use analysis::format;
                format!(
                    "{header} {scenario}: {} req/s achieved, p50 {} ms, p99 {} ms, errors + dropped {} — {}",
                    format::value(point.achieved, analysis::paper::Metric::ReqPerS),
                    format::ms(point.p50_ms),
                    format::ms(point.p99_ms),
                    format::error_rate(point.bad_share()),
                    if *passes {
                        "within the SLO"
                    } else {
                        "past the SLO"
                    }
                )
            }
            Event::RepetitionFinished {
                stack,
                repetition,
                status: RepetitionStatus::Failed,
                cause,
            } => format!(
                "{stack} r{repetition} failed: {}",
                cause.as_deref().unwrap_or("unknown cause")
            ),
            Event::RoundChecked {
                rule,
                check,
                per_round,
            } => precision_line(rule, check, *per_round),
            Event::PrecisionStopped { round, reason } => {
                format!(
                    "precision: stopping after round {round}: {}",
                    reason.describe()
                )
            }
            Event::Warning(w) => w.clone(),
            Event::ContractChecked {
                checked,
                cached,
                took,
                cache,
            } => {
                let mut line = format!(
                    "contract: {} stack(s) passed the API contract in {:.1} s",
                    checked.len(),
                    took.as_secs_f64()
                );
                if !cached.is_empty() {
                    line.push_str(&format!(
                        ", {} passed before with the same image id",
                        cached.len()
                    ));
                }
                match cache {
                    Some(c) => line.push_str(&format!(" (cache: {})", c.display())),
                    None => line.push_str(" (no cache folder: set PYWEBBENCH_CACHE_DIR)"),
                }
                line
            }
            Event::ImageChecked { .. }
            | Event::RepetitionStarted { .. }
            | Event::RepetitionFinished { .. }
            | Event::RunFinished => return None,
        })
    }

    /// Is it a warning (shown even when quiet)?
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Event::Warning(_)
                | Event::RepetitionFinished {
                    status: RepetitionStatus::Failed,
                    ..
                }
        )
    }

    /// The short standing shown beside a progress bar, if the event changes it.
    pub fn status(&self) -> Option<String> {
        match self {
            Event::RoundChecked {
                rule,
                check,
                per_round,
            } => Some(precision_status(rule, check, *per_round)),
            _ => None,
        }
    }
}

/// A consumer of a run's events. Called from the engine's tasks: keep it quick.
pub trait Observer: Send + Sync {
    fn event(&self, event: &Event);

    /// The counters the load phases add their requests and errors to (a progress
    /// bar reads them); by default counted for no one.
    fn live(&self) -> Arc<Live> {
        Arc::new(Live::default())
    }
}

/// Every event, kept in order (tests; a caller that reports afterwards).
#[derive(Default)]
pub struct Collect(pub Mutex<Vec<Event>>);

impl Observer for Collect {
    fn event(&self, event: &Event) {
        if let Ok(mut v) = self.0.lock() {
            v.push(event.clone());
        }
    }
}

impl Collect {
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_ups_are_tagged_warmup_but_shown_by_name() {
        let w = Phase::Warmup("warmup_hello".into());
        assert_eq!(
            (w.tag(), w.label(), w.is_load()),
            ("warmup", "warmup_hello", true)
        );
        assert_eq!(
            (Phase::Start.tag(), Phase::Start.label()),
            ("settle", "start")
        );
        assert!(!Phase::Idle.is_load());
    }

    #[test]
    fn the_plain_lines_read_as_before() {
        let e = Event::PhaseStarted {
            header: "flask-sqlite3 r2/5".into(),
            phase: Phase::Scenario("hello".into()),
            length: Some(Duration::from_secs(10)),
            iterations: None,
        };
        assert_eq!(
            e.line().as_deref(),
            Some("flask-sqlite3 r2/5 hello (10.0 s)")
        );
        let e = Event::ScenarioFinished {
            header: "flask-sqlite3 r2/5".into(),
            scenario: "hello".into(),
            requests: 1000,
            errors: 2,
            active_ns: 4_000_000_000,
            timed_out: true,
        };
        assert_eq!(
            e.line().as_deref(),
            Some(
                "flask-sqlite3 r2/5 hello: 1000 requests in 4.00 s = 250.0 req/s, 2 errors (hit max_duration)"
            )
        );
        let failed = Event::RepetitionFinished {
            stack: "a".into(),
            repetition: 1,
            status: RepetitionStatus::Failed,
            cause: None,
        };
        assert!(failed.is_warning());
        assert_eq!(failed.line().as_deref(), Some("a r1 failed: unknown cause"));
        let ok = Event::RepetitionFinished {
            stack: "a".into(),
            repetition: 1,
            status: RepetitionStatus::Ok,
            cause: None,
        };
        assert!(!ok.is_warning() && ok.line().is_none());
    }
}
