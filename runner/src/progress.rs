//! What `pywebbench run` shows while it works, an [`Observer`] of the engine's
//! events: an indicatif bar (stack, repetition, phase, time left, live req/s,
//! errors) on a terminal; plain log lines otherwise (CI); nothing but warnings with
//! `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{Event, Observer};
use crate::record::Live;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Bar,
    Plain,
    Quiet,
}

/// The phase on display.
struct Phase {
    header: String,
    started: Instant,
    /// Fixed length (constant-vus, a sleep), if any.
    length: Option<Duration>,
    /// Fixed iteration count (shared-iterations), if any.
    iterations: Option<u64>,
    /// Live counters apply (a load phase, not a sleep).
    load: bool,
    /// The last rate measurement: when, and the request count then.
    mark: (Instant, u64),
    /// Requests per second over the last ~second.
    rate: f64,
}

/// The progress display. Cheap to clone.
#[derive(Clone)]
pub struct Progress {
    mode: Mode,
    bar: Option<ProgressBar>,
    phase: Arc<Mutex<Phase>>,
    /// The run's standing (a precision run: round, widest cell, time left), shown
    /// after the phase's counters.
    status: Arc<Mutex<String>>,
    pub live: Arc<Live>,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Plain
        };
        let bar = (mode == Mode::Bar).then(|| {
            let b = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {prefix:.bold} [{bar:24}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            b.set_style(style);
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Progress {
            mode,
            bar,
            phase: Arc::new(Mutex::new(Phase {
                header: String::new(),
                started: Instant::now(),
                length: None,
                iterations: None,
                load: false,
                mark: (Instant::now(), 0),
                rate: 0.0,
            })),
            status: Arc::new(Mutex::new(String::new())),
            live: Arc::new(Live::default()),
        }
    }

    /// Set the run's standing, shown beside the bar (plain output prints the lines
    /// given to [`Progress::line`] instead).
    pub fn status(&self, msg: &str) {
        if let Ok(mut s) = self.status.lock() {
            *s = msg.to_string();
        }
        self.refresh();
    }

    /// A line above the bar (or on stderr); skipped when quiet.
    pub fn line(&self, msg: &str) {
        match (&self.bar, self.mode) {
            (Some(b), _) => b.println(msg),
            (None, Mode::Plain) => eprintln!("{msg}"),
            _ => {}
        }
    }

    /// A warning: shown even when quiet.
    pub fn warn(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.println(format!("warning: {msg}")),
            None => eprintln!("warning: {msg}"),
        }
    }

    /// A new phase begins: `header` is e.g. `fastapi-sqlite3 r2/5 hello`.
    pub fn phase(
        &self,
        header: String,
        length: Option<Duration>,
        iterations: Option<u64>,
        load: bool,
    ) {
        if let Ok(mut p) = self.phase.lock() {
            *p = Phase {
                header,
                started: Instant::now(),
                length,
                iterations,
                load,
                mark: (Instant::now(), 0),
                rate: 0.0,
            };
        }
        self.refresh();
    }

    /// Redraw from the live counters (called by [`Progress::spawn_ticker`]).
    fn refresh(&self) {
        let Some(bar) = &self.bar else { return };
        let Ok(mut p) = self.phase.lock() else { return };
        let elapsed = p.started.elapsed();
        let done = self.live.requests.load(Ordering::Relaxed);
        let errors = self.live.errors.load(Ordering::Relaxed);
        let (fraction, left) = match (p.iterations, p.length) {
            (Some(n), _) if n > 0 => {
                let f = done as f64 / n as f64;
                let left = (f > 0.0).then(|| elapsed.as_secs_f64() * (1.0 - f) / f);
                (f, left)
            }
            (_, Some(len)) if !len.is_zero() => {
                let f = (elapsed.as_secs_f64() / len.as_secs_f64()).min(1.0);
                (
                    f,
                    Some((len.as_secs_f64() - elapsed.as_secs_f64()).max(0.0)),
                )
            }
            _ => (0.0, None),
        };
        bar.set_prefix(p.header.clone());
        bar.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
        let left = left.map_or_else(|| "?".into(), |s| format!("{s:.0}s"));
        let msg = if p.load {
            let (at, count) = p.mark;
            let dt = at.elapsed().as_secs_f64();
            if dt >= 1.0 {
                p.rate = done.saturating_sub(count) as f64 / dt;
                p.mark = (Instant::now(), done);
            }
            let rate = p.rate;
            format!("{left} left  {rate:.0} req/s  {done} requests  {errors} errors")
        } else {
            format!("{left} left")
        };
        let status = self.status.lock().map(|s| s.clone()).unwrap_or_default();
        if status.is_empty() {
            bar.set_message(msg);
        } else {
            bar.set_message(format!("{msg}  |  {status}"));
        }
    }

    /// Refresh the bar every 250 ms until the display is finished.
    pub fn spawn_ticker(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.bar.as_ref()?;
        let this = self.clone();
        Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(250));
            loop {
                every.tick().await;
                if this.bar.as_ref().is_some_and(|b| b.is_finished()) {
                    break;
                }
                this.refresh();
            }
        }))
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: &Event) {
        match event {
            Event::RunStarted { .. } => {
                // Ends by itself once the bar is finished.
                let _ = self.spawn_ticker();
            }
            Event::PhaseStarted {
                header,
                phase,
                length,
                iterations,
            } => {
                if self.mode == Mode::Plain
                    && let Some(line) = event.line()
                {
                    eprintln!("{line}");
                }
                self.phase(
                    format!("{header} {}", phase.label()),
                    *length,
                    *iterations,
                    phase.is_load(),
                );
                return;
            }
            Event::RunFinished => self.finish(),
            _ => {}
        }
        if let Some(line) = event.line() {
            if event.is_warning() {
                self.warn(&line);
            } else {
                self.line(&line);
            }
        }
        if let Some(status) = event.status() {
            self.status(&status);
        }
    }

    fn live(&self) -> Arc<Live> {
        Arc::clone(&self.live)
    }
}
